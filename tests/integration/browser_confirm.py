#!/usr/bin/python3
"""Double opt-in in a real headless Chromium; run by browser.sh.

  browser_confirm.py --base URL --maildir DIR --email ADDR --topic NAME \
                     --mailout BIN --shots DIR --profile DIR --ua-file FILE
  browser_confirm.py --steps       prints how many result lines a run prints

Prints one result line per step, "ok - NAME" or "not ok - NAME" (browser.sh
numbers them), "# ..." comments (screenshot paths, details), and exits 0 if
every step passed, 1 otherwise.  A run cut short by an exception prints
"not ok" for the step it was on; browser.sh counts the missing ones (STEPS
less those printed) as failures.
"""
import argparse
import email
import email.policy
import glob
import json
import os
import re
import subprocess
import sys
import time
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

import browser_lib
from browser_lib import CHROMEDRIVER, CHROMIUM, WAIT, comment, h1_text, result, shot, wait_h1

STEPS = 17


def document_statuses(d, url):
    """HTTP statuses of the main-document responses for url, oldest first
    (from Chromium's performance log; read once, the log is drained)."""
    out = []
    for entry in d.get_log('performance'):
        try:
            msg = json.loads(entry['message'])['message']
        except (KeyError, ValueError):
            continue
        if msg.get('method') != 'Network.responseReceived':
            continue
        p = msg.get('params', {})
        if p.get('type') == 'Document' and p.get('response', {}).get('url') == url:
            out.append(int(p['response']['status']))
    return out


def wait_mail(maildir, rcpt):
    """The confirmation link from the first message to rcpt in maildir/new."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        for f in sorted(glob.glob(os.path.join(maildir, 'new', '*'))):
            with open(f, 'rb') as fh:
                msg = email.message_from_binary_file(fh, policy=email.policy.default)
            if rcpt.lower() not in str(msg.get('X-Sink-Rcpt', '')).lower():
                continue
            part = msg.get_body(preferencelist=('plain',))
            body = part.get_content() if part else ''  # quoted-printable decoded here
            m = re.search(r'https?://\S+?/confirm/[A-Za-z0-9_-]+', body)
            return f, (m.group(0) if m else None)
        time.sleep(0.1)
    return None, None


def ledger(mailout, addr):
    """mailout --json contact show ADDR, parsed (None if it failed)."""
    p = subprocess.run([mailout, '--json', 'contact', 'show', addr], capture_output=True,
                       text=True, timeout=30)
    if p.returncode != 0:
        comment('contact show exited %d: %s' % (p.returncode, p.stderr.strip()))
        return None
    return json.loads(p.stdout)


def main():
    if sys.argv[1:] == ['--steps']:
        print(STEPS)
        return 0
    ap = argparse.ArgumentParser()
    for a in ('base', 'maildir', 'email', 'topic', 'mailout', 'shots', 'profile', 'ua-file'):
        ap.add_argument('--' + a, required=True)
    args = ap.parse_args()

    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1000,800',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic',
                 '--user-data-dir=' + args.profile):
        o.add_argument(flag)
    o.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})

    step = 'start Chromium through chromedriver'
    d = None
    try:
        d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
        d.set_page_load_timeout(WAIT)
        ua = d.execute_script('return navigator.userAgent')
        with open(args.ua_file, 'w') as f:
            f.write(ua + '\n')
        comment('user agent: %s' % ua)

        # (a) the form
        step = 'GET /subscribe shows the form'
        d.get(args.base + '/subscribe')
        result(h1_text(d) == 'Subscribe', step, 'h1: %r' % h1_text(d))
        step = 'topic and age boxes start unticked'
        box = d.find_element(By.CSS_SELECTOR, 'input[type=checkbox][name=topic][value="%s"]'
                             % args.topic)
        age = d.find_element(By.ID, 'age')
        result(not box.is_selected() and not age.is_selected(), step)
        step = 'address typed, topic and age ticked'
        d.find_element(By.ID, 'email').send_keys(args.email)
        box.click()
        age.click()
        result(box.is_selected() and age.is_selected()
               and d.find_element(By.ID, 'email').get_attribute('value') == args.email, step)
        shot(d, args.shots, 'browser-1-subscribe-form.png')
        step = 'submitting shows "Please check your inbox"'
        d.find_element(By.ID, 'subscribe').click()
        result(wait_h1(d, 'Please check your inbox'), step, 'h1: %r' % h1_text(d))

        # (b) the mail
        step = 'the confirmation mail arrives with a /confirm/TOKEN link'
        f, link = wait_mail(args.maildir, args.email)
        want = re.escape(args.base) + r'/confirm/[A-Za-z0-9_-]{43}$'
        result(link is not None and re.match(want, link) is not None, step,
               'file: %s' % f, 'link: %s' % link)
        if link is None:
            return 1
        comment('confirmation link: %s' % link)

        # (c) GET shows the button and changes nothing
        d.get_log('performance')  # drain
        step = 'GET of the link shows the confirm page'
        d.get(link)
        result(h1_text(d) == 'Confirm your subscription', step, 'h1: %r' % h1_text(d))
        step = 'the page has the #confirm button inside a POST form to the same URL'
        button = d.find_element(By.ID, 'confirm')
        form = button.find_element(By.XPATH, 'ancestor::form')
        result(button.is_displayed() and (form.get_attribute('method') or '').lower() == 'post'
               and form.get_attribute('action') == link, step,
               'method=%r action=%r' % (form.get_attribute('method'), form.get_attribute('action')))
        step = 'the page names the address'
        result(args.email in d.find_element(By.TAG_NAME, 'main').text, step)
        step = 'the confirm page was answered 200'
        st = document_statuses(d, link)
        result(st == [200], step, 'statuses: %r' % st)
        shot(d, args.shots, 'browser-2-confirm-page.png')
        step = 'after the GET the ledger has no confirmed event and the topic is pending'
        c = ledger(args.mailout, args.email)
        kinds = [h.get('kind') for h in c['history']] if c else None
        state = c['topics'].get(args.topic, {}).get('state') if c else None
        result(c is not None and 'confirmed' not in kinds and 'requested' in kinds
               and state == 'pending', step, 'kinds: %r, state: %r' % (kinds, state))

        # (d) the click confirms
        step = 'clicking #confirm shows "Subscription confirmed"'
        button.click()
        result(wait_h1(d, 'Subscription confirmed'), step, 'h1: %r' % h1_text(d))
        step = 'the confirmed page names the address'
        result(args.email in d.find_element(By.TAG_NAME, 'main').text, step)
        step = 'the POST was answered 200 at the link URL'
        st = document_statuses(d, link)
        result(st == [200] and d.current_url == link, step,
               'statuses: %r, url: %s' % (st, d.current_url))
        shot(d, args.shots, 'browser-3-confirmed.png')

        # (f) a second visit: the link is used up
        step = 'opening the link again shows "Link no longer valid"'
        d.get(link)
        result(h1_text(d) == 'Link no longer valid', step, 'h1: %r' % h1_text(d))
        step = 'the second GET was answered 410'
        st = document_statuses(d, link)
        result(st == [410], step, 'statuses: %r' % st)
        step = 'the used link offers no confirm button'
        result(not d.find_elements(By.ID, 'confirm'), step)
        shot(d, args.shots, 'browser-4-gone.png')

        # network errors (the 410 itself, a missing favicon) are checked above or harmless
        step = 'the pages raised no JavaScript or CSP errors'
        logs = [e for e in d.get_log('browser') if e.get('level') == 'SEVERE'
                and 'Failed to load resource' not in e.get('message', '')]
        result(not logs, step, *[e.get('message') for e in logs])
    except Exception:  # noqa: BLE001 - any failure ends the run with a TAP line
        result(False, step, traceback.format_exc())
        return 1
    finally:
        if d is not None:
            d.quit()
    return 0 if browser_lib.failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
