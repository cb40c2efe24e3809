#!/usr/bin/python3
"""/privacy-info in a real headless Chromium; run by privacy_browser.sh.

  privacy_browser.py --base URL --processor NAME --shots DIR --profile DIR
  privacy_browser.py --steps       prints how many result lines a run prints

Opens the page in English (?lang=en) and in German (Accept-Language de,
set through Chromium's --lang), checks the visible headings, the processor
row and its transfer, and saves DIR/privacy-info-en.png and -de.png.
"""
import argparse
import sys
import traceback

from selenium.webdriver.common.by import By

import browser_lib as bl

STEPS = 9

HEADINGS = {
    'en': ['Controller', 'Purposes and legal basis', 'Personal data we process', 'Recipients',
           'Transfers outside the EEA', 'How long we keep data', 'Your rights'],
    'de': ['Verantwortlicher', 'Zwecke und Rechtsgrundlagen', 'Welche Daten wir verarbeiten',
           'Empfänger', 'Übermittlung außerhalb des EWR', 'Wie lange wir Daten speichern',
           'Ihre Rechte'],
}
TITLE = {'en': 'Privacy information', 'de': 'Datenschutzinformationen'}
MECH = {'en': 'standard contractual clauses', 'de': 'Standardvertragsklauseln'}


def check(d, lang, args):
    step = '%s: h1 %s' % (lang, TITLE[lang])
    bl.result(bl.wait_h1(d, TITLE[lang]), step, 'h1: %r' % bl.h1_text(d))
    step = '%s: the section headings are visible' % lang
    hs = [h.text.strip() for h in d.find_elements(By.TAG_NAME, 'h2') if h.is_displayed()]
    bl.result(hs == HEADINGS[lang], step, 'headings: %r' % hs)
    step = '%s: the processor row names the recipient and its country' % lang
    rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, 'tr.processor') if r.is_displayed()]
    bl.result(any(args.processor in r and ' US ' in ' %s ' % r for r in rows), step,
              'rows: %r' % rows)
    step = '%s: the transfer names its mechanism' % lang
    xs = [x.text for x in d.find_elements(By.CSS_SELECTOR, 'li.transfer')]
    bl.result(any(args.processor in x and MECH[lang] in x for x in xs), step, 'transfers: %r' % xs)
    bl.shot(d, args.shots, 'privacy-info-%s.png' % lang)


def main():
    if sys.argv[1:] == ['--steps']:
        print(STEPS)
        return 0
    ap = argparse.ArgumentParser()
    for a in ('base', 'processor', 'shots', 'profile'):
        ap.add_argument('--' + a, required=True)
    args = ap.parse_args()

    step = 'start Chromium through chromedriver'
    d = None
    try:
        # Chromium sends Accept-Language from --lang; ?lang=en overrides it for English
        d = bl.chrome(args.profile, window='1000,2800', extra_args=('--lang=de-DE', '--accept-lang=de-DE,de'))
        d.get(args.base + '/privacy-info?lang=en')
        check(d, 'en', args)
        d.get(args.base + '/privacy-info')
        check(d, 'de', args)
        step = 'the pages raised no JavaScript or CSP errors'
        errs = bl.console_errors(d)
        bl.result(not errs, step, *errs)
    except Exception:  # noqa: BLE001 - any failure ends the run with a TAP line
        bl.result(False, step, traceback.format_exc())
        return 1
    finally:
        if d is not None:
            d.quit()
    return 0 if bl.failed == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
