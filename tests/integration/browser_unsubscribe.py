#!/usr/bin/python3
"""The unsubscribe page in a real headless Chromium; run by browser.sh.

  browser_unsubscribe.py --base URL --maildir DIR --email ADDR --topic NAME \
                         --other NAME --mailout BIN --shots DIR --profile DIR
  browser_unsubscribe.py --steps     prints how many result lines a run prints

Takes the List-Unsubscribe URL of the campaign mail to ADDR (topic NAME, the
person also receives OTHER), opens it (changes nothing), presses the button
for the message's topic (withdrawn, channel page), comes back through the
result page's link and switches OTHER off in the preferences (withdrawn,
channel page).  Output as browser_confirm.py: one "ok - NAME" or
"not ok - NAME" per step, "# ..." comments, screenshots in --shots.
"""
import argparse
import email
import email.policy
import glob
import os
import re
import sys
import time
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

import browser_confirm as bc

STEPS = 15


def campaign_url(maildir, rcpt):
    """(file, Message-ID, the http(s) URL of List-Unsubscribe) of the campaign mail to rcpt."""
    deadline = time.monotonic() + bc.WAIT
    while time.monotonic() < deadline:
        for f in sorted(glob.glob(os.path.join(maildir, 'new', '*'))):
            with open(f, 'rb') as fh:
                msg = email.message_from_binary_file(fh, policy=email.policy.default)
            if rcpt.lower() not in str(msg.get('X-Sink-Rcpt', '')).lower():
                continue
            lu = str(msg.get('List-Unsubscribe', ''))
            m = re.match(r'<(https?://[^>]+/u/[A-Za-z0-9_-]{43})>', lu)
            if m:
                return f, str(msg.get('Message-ID', '')).strip('<>'), m.group(1)
        time.sleep(0.1)
    return None, None, None


def withdrawals(mailout, addr):
    """[(topic, channel, user_agent, message_id)] of ADDR's withdrawn events, oldest first."""
    c = bc.ledger(mailout, addr)
    if c is None:
        return None
    return [(h.get('topic'), h.get('channel'), h.get('user_agent'), h.get('message_id'))
            for h in c['history'] if h.get('kind') == 'withdrawn']


def main():
    if sys.argv[1:] == ['--steps']:
        print(STEPS)
        return 0
    ap = argparse.ArgumentParser()
    for a in ('base', 'maildir', 'email', 'topic', 'other', 'mailout', 'shots', 'profile'):
        ap.add_argument('--' + a, required=True)
    args = ap.parse_args()

    o = webdriver.ChromeOptions()
    o.binary_location = bc.CHROMIUM
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1000,1200',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic',
                 '--user-data-dir=' + args.profile):
        o.add_argument(flag)
    o.set_capability('goog:loggingPrefs', {'performance': 'ALL', 'browser': 'ALL'})

    step = 'start Chromium through chromedriver'
    d = None
    try:
        d = webdriver.Chrome(service=Service(bc.CHROMEDRIVER), options=o)
        d.set_page_load_timeout(bc.WAIT)
        ua = d.execute_script('return navigator.userAgent')

        step = 'the campaign mail carries a List-Unsubscribe URL /u/TOKEN'
        f, msgid, url = campaign_url(args.maildir, args.email)
        bc.result(url is not None and url.startswith(args.base + '/u/'), step,
                  'file: %s' % f, 'url: %s' % url)
        if url is None:
            return 1
        bc.comment('unsubscribe link: %s' % url)

        # the page: a GET changes nothing
        d.get_log('performance')  # drain
        step = 'GET of the link shows the unsubscribe page, answered 200'
        d.get(url)
        st = bc.document_statuses(d, url)
        bc.result(bc.h1_text(d) == 'Unsubscribe' and st == [200], step,
                  'h1: %r, statuses: %r' % (bc.h1_text(d), st))
        step = 'the page lists the topics received, this message\'s marked'
        items = [li.text for li in d.find_elements(By.CSS_SELECTOR, '#receiving li')]
        bc.result(len(items) == 2 and any('(this email)' in i for i in items), step,
                  'items: %r' % items)
        step = 'the topic button sits in a POST form to the same address'
        button = d.find_element(By.ID, 'unsubscribe-topic')
        form = button.find_element(By.XPATH, 'ancestor::form')
        action = form.get_attribute('action') or ''
        bc.result(button.is_displayed() and (form.get_attribute('method') or '').lower() == 'post'
                  and action.split('?')[0] == url, step, 'action=%r' % action)
        step = 'after the GET the ledger has no withdrawal'
        w = withdrawals(args.mailout, args.email)
        bc.result(w == [], step, 'withdrawals: %r' % w)
        bc.shot(d, args.shots, 'browser-5-unsubscribe-page.png')

        # the topic button
        step = 'pressing "Unsubscribe from ..." shows "You are unsubscribed"'
        button.click()
        bc.result(bc.wait_h1(d, 'You are unsubscribed'), step, 'h1: %r' % bc.h1_text(d))
        step = 'the POST was answered 200 at the same address (no redirect)'
        st = bc.document_statuses(d, action)
        bc.result(st == [200] and d.current_url == action, step,
                  'statuses: %r, url: %s' % (st, d.current_url))
        step = 'the ledger: the message\'s topic withdrawn, channel page, browser UA, message id'
        w = withdrawals(args.mailout, args.email)
        bc.result(w == [(args.topic, 'page', ua, msgid)], step, 'withdrawals: %r' % w)
        bc.shot(d, args.shots, 'browser-6-unsubscribed.png')

        # back to the preferences through the result page's link
        step = 'the result page links back to the preferences'
        d.find_element(By.LINK_TEXT, 'Change your preferences').click()
        bc.result(bc.wait_h1(d, 'Unsubscribe'), step, 'h1: %r' % bc.h1_text(d))
        step = 'the switches: %s off, %s on' % (args.topic, args.other)
        topic_box = d.find_element(By.ID, 'topic-' + args.topic)
        other_box = d.find_element(By.ID, 'topic-' + args.other)
        bc.result(not topic_box.is_selected() and other_box.is_selected(), step,
                  '%s: %r, %s: %r' % (args.topic, topic_box.is_selected(), args.other,
                                      other_box.is_selected()))
        step = 'switching %s off' % args.other
        other_box.click()
        bc.result(not other_box.is_selected(), step)
        bc.shot(d, args.shots, 'browser-7-preferences.png')
        step = 'saving shows "Preferences saved"'
        d.find_element(By.ID, 'save').click()
        bc.result(bc.wait_h1(d, 'Preferences saved'), step, 'h1: %r' % bc.h1_text(d))
        step = 'the ledger: %s withdrawn too, channel page; %s not twice' % (args.other, args.topic)
        w = withdrawals(args.mailout, args.email)
        bc.result(w == [(args.topic, 'page', ua, msgid), (args.other, 'page', ua, msgid)], step,
                  'withdrawals: %r' % w)
        bc.shot(d, args.shots, 'browser-8-saved.png')
        step = 'the page now says no marketing is received'
        d.get(url)
        bc.result(len(d.find_elements(By.ID, 'receiving-none')) == 1, step)

        step = 'the pages raised no JavaScript or CSP errors'
        logs = [e for e in d.get_log('browser') if e.get('level') == 'SEVERE'
                and 'Failed to load resource' not in e.get('message', '')]
        bc.result(not logs, step, *[e.get('message') for e in logs])
    except Exception:  # noqa: BLE001 - any failure ends the run with a TAP line
        bc.result(False, step, traceback.format_exc())
        return 1
    finally:
        if d is not None:
            d.quit()
    return 0 if bc.browser_lib.failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
