#!/bin/bash
# privacy_browser.sh - /privacy-info in a real headless Chromium (Selenium,
# privacy_browser.py) in English and German, with an EU processor and a US
# one under standard contractual clauses.  Screenshots are kept in
# $top_builddir/tests/out/privacy-info-en.png and -de.png.
. "${top_srcdir:-.}/tests/integration/lib.sh"

CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
[ -x "$CHROMIUM" ] || skip_all "chromium not installed (apt-get install chromium)"
[ -x "$CHROMEDRIVER" ] || skip_all "chromedriver not installed (apt-get install chromium-driver)"
/usr/bin/python3 -c 'import selenium' 2> /dev/null ||
    skip_all "selenium not installed (apt-get install python3-selenium)"

setup_newsletter "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
    "contact_attributes = plan, health:sensitive"
# the rows as the owner (processor add would do the same; this test is about the page)
sql "INSERT INTO processors (name, role, country, hosts, dpa, mechanism, purpose, created_by)
     VALUES ('Relay EU GmbH', 'processor', 'DE', '{relay.eu.example}', 'DPA-1', NULL, 'mail delivery', 'test'),
            ('Cloud CRM Inc.', 'controller', 'US', '{crm.example}', NULL, 'scc', 'CRM', 'test')" > /dev/null

SHOTS=$(cd "${top_builddir:-.}" && pwd) || { echo "Bail out! no top_builddir"; exit 1; }
SHOTS="$SHOTS/tests/out"
mkdir -p "$SHOTS" || { echo "Bail out! cannot create $SHOTS"; exit 1; }
rm -f "$SHOTS"/privacy-info-*.png

PY="$SRCDIR/tests/integration/privacy_browser.py"
PY_STEPS=$(/usr/bin/python3 "$PY" --steps)
plan $((PY_STEPS + 2))

/usr/bin/python3 "$PY" --base "$BASE" --processor "Cloud CRM Inc." --shots "$SHOTS" \
    --profile "$TMP/chromium-profile" > "$TMP/browser.out" 2> "$TMP/browser.err"
py_rc=$?
py_results=0
while IFS= read -r line; do
    case "$line" in
    "ok - "*) ok 0 "${line#ok - }"; py_results=$((py_results + 1)) ;;
    "not ok - "*) ok 1 "${line#not ok - }"; py_results=$((py_results + 1)) ;;
    "#"*) echo "$line" ;;
    *) diag "$line" ;;
    esac
done < "$TMP/browser.out"
while [ "$py_results" -lt "$PY_STEPS" ]; do
    ok 1 "browser step $((py_results + 1)) of $PY_STEPS did not run"
    py_results=$((py_results + 1))
done
if [ "$py_rc" -ne 0 ]; then
    diag "privacy_browser.py exited $py_rc; its stderr:"
    diag "$(tail -n 30 "$TMP/browser.err")"
fi
is "$(ls "$SHOTS"/privacy-info-en.png "$SHOTS"/privacy-info-de.png 2> /dev/null | wc -l)" 2 \
    "two screenshots kept in $SHOTS"
serve_sigterm
is "$SERVE_RC" 0 "mailout serve exits 0 on SIGTERM"
done_testing
