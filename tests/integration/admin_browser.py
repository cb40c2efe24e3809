#!/usr/bin/python3
"""The admin view in a real headless Chromium; run by admin_browser.sh.

  admin_browser.py --base URL --token-file FILE --campaign NAME --email ADDR \
                   --shots DIR --profile DIR
  admin_browser.py --steps       prints how many result lines a run prints

Logs in through the form (the cookie is Secure: Chromium keeps it for
http://127.0.0.1, which it treats as a secure context), opens the campaign
list, the campaign page with its SVG chart and a contact page, and saves a
screenshot of each as DIR/admin-*.png.  Prints "ok - NAME" / "not ok - NAME"
per step and "# ..." comments; exits 0 when every step passed.
"""
import argparse
import sys
import traceback

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import browser_lib
from browser_lib import CHROMEDRIVER, CHROMIUM, WAIT, h1_text, result, shot, wait_h1

STEPS = 16


def main():
    if sys.argv[1:] == ['--steps']:
        print(STEPS)
        return 0
    ap = argparse.ArgumentParser()
    for a in ('base', 'token-file', 'campaign', 'email', 'shots', 'profile'):
        ap.add_argument('--' + a, required=True)
    args = ap.parse_args()
    with open(args.token_file) as f:
        token = f.readline().strip()

    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1100,1000',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic',
                 '--user-data-dir=' + args.profile):
        o.add_argument(flag)
    o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})

    step = 'start Chromium through chromedriver'
    d = None
    try:
        d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
        d.set_page_load_timeout(WAIT)

        step = 'GET /admin shows the login form'
        d.get(args.base + '/admin')
        result(h1_text(d) == 'Log in' and d.find_elements(By.ID, 'token'), step,
               'h1: %r' % h1_text(d))
        step = 'the login page shows no campaign'
        result(args.campaign not in d.page_source, step)
        step = 'the stylesheet applies under the CSP (header is dark)'
        bg = d.find_element(By.TAG_NAME, 'header').value_of_css_property('background-color')
        result(bg in ('rgba(45, 55, 72, 1)', 'rgb(45, 55, 72)'), step, 'background: %r' % bg)
        shot(d, args.shots, 'admin-1-login.png')

        step = 'a wrong token shows the form again with an error'
        d.find_element(By.ID, 'token').send_keys('wrong-token-wrong-token-wrong-token')
        d.find_element(By.CSS_SELECTOR, '#login button').click()
        WebDriverWait(d, WAIT).until(EC.presence_of_element_located((By.ID, 'login-error')))
        result(h1_text(d) == 'Log in' and not d.get_cookies(), step,
               'cookies: %r' % d.get_cookies())

        step = 'the right token logs in: the campaign list'
        d.find_element(By.ID, 'token').send_keys(token)
        d.find_element(By.CSS_SELECTOR, '#login button').click()
        result(wait_h1(d, 'Campaigns'), step, 'h1: %r' % h1_text(d))
        step = 'the browser keeps the cookie: HttpOnly, Secure, SameSite=Strict, Path=/admin'
        c = [x for x in d.get_cookies() if x.get('name') == 'mo_admin']
        result(len(c) == 1 and c[0].get('httpOnly') and c[0].get('secure')
               and c[0].get('sameSite') == 'Strict' and c[0].get('path') == '/admin', step,
               'cookies: %r' % d.get_cookies())
        step = 'the list shows the campaign with basis and exclusion counts'
        runs = d.find_element(By.ID, 'runs').text
        result(args.campaign in runs and 'consent: 2' in runs and 'no_basis: 1' in runs, step,
               runs)
        shot(d, args.shots, 'admin-2-campaigns.png')

        step = 'the campaign link opens the campaign page'
        d.find_element(By.CSS_SELECTOR, 'a.campaign').click()
        result(wait_h1(d, args.campaign), step, 'h1: %r' % h1_text(d))
        step = 'the page has the SVG chart'
        svg = d.find_elements(By.CSS_SELECTOR, 'svg#chart')
        result(len(svg) == 1 and svg[0].size['width'] > 100, step)
        step = 'the chart has the three series'
        series = [g.get_attribute('data-series')
                  for g in d.find_elements(By.CSS_SELECTOR, 'svg#chart g.series')]
        result(series == ['sent', 'failed', 'unsubscribed'], step, 'series: %r' % series)
        step = 'bars are drawn for sends and the unsubscribe'
        sent = d.find_elements(By.CSS_SELECTOR, 'g[data-series=sent] rect')
        uns = d.find_elements(By.CSS_SELECTOR, 'g[data-series=unsubscribed] rect')
        result(len(sent) >= 1 and len(uns) >= 1 and sent[0].size['height'] > 0, step,
               'sent bars %d, unsubscribe bars %d' % (len(sent), len(uns)))
        step = 'the chart has axis labels and a legend'
        legend = d.find_element(By.CSS_SELECTOR, 'svg#chart g.legend').text
        result(d.find_elements(By.CSS_SELECTOR, 'svg#chart text.xtick')
               and d.find_elements(By.CSS_SELECTOR, 'svg#chart text.axis-title')
               and 'Sent' in legend and 'Unsubscribed' in legend, step, 'legend: %r' % legend)
        shot(d, args.shots, 'admin-3-campaign.png')

        step = 'the lookup field opens the contact page'
        d.find_element(By.CSS_SELECTOR, 'form.lookup input[name=email]').send_keys(args.email)
        d.find_element(By.CSS_SELECTOR, 'form.lookup button').click()
        result(wait_h1(d, args.email), step, 'h1: %r' % h1_text(d))
        step = 'the contact page shows the audit history section and the explain path'
        main = d.find_element(By.TAG_NAME, 'main').text
        result('Audit history' in main and 'decision' in main and 'basis' in main, step, main)
        shot(d, args.shots, 'admin-4-contact.png')

        step = 'log out ends the session'
        d.find_element(By.ID, 'logout').click()
        result(wait_h1(d, 'Log in'), step, 'h1: %r' % h1_text(d))

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
