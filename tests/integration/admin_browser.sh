#!/bin/bash
# admin_browser.sh - the admin view in a real headless Chromium (Selenium,
# admin_browser.py) with realistic data: log in through the form, the
# campaign list, the campaign page with its SVG chart, a contact page, log
# out.  Screenshots are kept in $top_builddir/tests/out/admin-*.png.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$SRCDIR/tests/integration/admin_lib.sh"

CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
[ -x "$CHROMIUM" ] || skip_all "chromium not installed (apt-get install chromium)"
[ -x "$CHROMEDRIVER" ] || skip_all "chromedriver not installed (apt-get install chromium-driver)"
/usr/bin/python3 -c 'import selenium' 2> /dev/null ||
    skip_all "selenium not installed (apt-get install python3-selenium)"

admin_token_write "$TMP/admin.token" 600
setup_newsletter "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
    "admin_token_file = $TMP/admin.token"
admin_data

SHOTS=$(cd "${top_builddir:-.}" && pwd) || { echo "Bail out! no top_builddir"; exit 1; }
SHOTS="$SHOTS/tests/out"
mkdir -p "$SHOTS" || { echo "Bail out! cannot create $SHOTS"; exit 1; }
rm -f "$SHOTS"/admin-*.png

PY="$SRCDIR/tests/integration/admin_browser.py"
PY_STEPS=$(/usr/bin/python3 "$PY" --steps)
plan $((PY_STEPS + 3))

/usr/bin/python3 "$PY" --base "$BASE" --token-file "$TMP/admin.token" --campaign "$CAMPAIGN" \
    --email "$ADDR_A" --shots "$SHOTS" --profile "$TMP/chromium-profile" \
    > "$TMP/browser.out" 2> "$TMP/browser.err"
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
    diag "admin_browser.py exited $py_rc; its stderr:"
    diag "$(tail -n 30 "$TMP/browser.err")"
fi
is "$(ls "$SHOTS"/admin-*.png 2> /dev/null | wc -l)" 4 "four screenshots kept in $SHOTS"

serve_sigterm
is "$SERVE_RC" 0 "mailout serve exits 0 on SIGTERM"
unlike "$(grep -E 'ERROR: AddressSanitizer|LeakSanitizer|runtime error' "$TMP/serve.log")" \
    '.' "the serve log has no sanitizer reports"
done_testing
