"""Shared helpers of the Selenium tests (admin_browser.py, privacy_browser.py).

TAP-ish output for the shell wrappers ("ok - NAME" / "not ok - NAME" and
"# ..." comments), and a headless Chromium through chromedriver with the
options every test uses.  `failed` counts the steps that failed.
"""
import os
import sys

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20
CHROMEDRIVER = '/usr/bin/chromedriver'
CHROMIUM = '/usr/bin/chromium'

failed = 0


def result(cond, name, *details):
    """Prints ok/not ok for one step, details as comments; returns cond."""
    global failed
    if cond:
        print('ok - %s' % name)
    else:
        failed += 1
        print('not ok - %s' % name)
        for d in details:
            for line in str(d).splitlines():
                print('# %s' % line)
    sys.stdout.flush()
    return cond


def comment(text):
    for line in str(text).splitlines():
        print('# %s' % line)
    sys.stdout.flush()


def h1_text(d):
    return d.find_element(By.TAG_NAME, 'h1').text.strip()


def wait_h1(d, text):
    """Waits until the h1 contains text; True when it is exactly text."""
    try:
        WebDriverWait(d, WAIT).until(EC.text_to_be_present_in_element((By.TAG_NAME, 'h1'), text))
        return h1_text(d) == text
    except WebDriverException:
        return False


def shot(d, shots, name):
    path = os.path.join(shots, name)
    d.save_screenshot(path)
    comment('screenshot: %s' % path)


def chrome(profile, window='1100,1000', extra_args=(), logging=None):
    """A headless Chromium with its own profile directory; browser console logged."""
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for flag in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=' + window,
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync', '--no-first-run', '--disable-quic',
                 '--user-data-dir=' + profile) + tuple(extra_args):
        o.add_argument(flag)
    o.set_capability('goog:loggingPrefs', logging or {'browser': 'ALL'})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    d.set_page_load_timeout(WAIT)
    return d


def console_errors(d):
    """SEVERE browser console entries (JavaScript, CSP), failed loads (favicon) aside."""
    return [e.get('message') for e in d.get_log('browser') if e.get('level') == 'SEVERE'
            and 'Failed to load resource' not in e.get('message', '')]
