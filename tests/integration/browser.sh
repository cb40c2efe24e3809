#!/bin/bash
# browser.sh - double opt-in the way a person does it, in a real headless
# Chromium (Selenium, browser_confirm.py): fill in and send the form, take the
# link from the confirmation mail the SMTP sink received, open it (changes
# nothing), press the button (confirms), open it again (410).  Then the ledger
# must hold the proof: the browser's user agent, 127.0.0.1, the text's hash.
# Then the unsubscribe page (browser_unsubscribe.py) with a campaign mail's
# List-Unsubscribe link: open it (changes nothing), press the topic button
# (withdrawn, channel page), come back and switch another topic off.
# Screenshots are kept in $top_builddir/tests/out/browser-*.png.
. "${top_srcdir:-.}/tests/integration/lib.sh"

CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver
[ -x "$CHROMIUM" ] || skip_all "chromium not installed (apt-get install chromium)"
[ -x "$CHROMEDRIVER" ] || skip_all "chromedriver not installed (apt-get install chromium-driver)"
/usr/bin/python3 -c 'import selenium' 2> /dev/null ||
    skip_all "selenium not installed (apt-get install python3-selenium)"

setup_newsletter "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin"
ADDR="browser.user@example.com"
TEXT_ID=$NEWS_TEXT

SHOTS=$(cd "${top_builddir:-.}" && pwd) || { echo "Bail out! no top_builddir"; exit 1; }
SHOTS="$SHOTS/tests/out"
mkdir -p "$SHOTS" || { echo "Bail out! cannot create $SHOTS"; exit 1; }
rm -f "$SHOTS"/browser-*.png

PY="$SRCDIR/tests/integration/browser_confirm.py"
PY_STEPS=$(/usr/bin/python3 "$PY" --steps)
PY2="$SRCDIR/tests/integration/browser_unsubscribe.py"
PY2_STEPS=$(/usr/bin/python3 "$PY2" --steps)
plan $((PY_STEPS + PY2_STEPS + 21))

# browser SCRIPT STEPS ARGS...: runs a browser script; its "ok - NAME" lines become
# numbered TAP here, and steps it never reached count as failures
LINK=
browser() {
    local py=$1 steps=$2 py_rc py_results=0 line
    shift 2
    /usr/bin/python3 "$py" "$@" > "$TMP/browser.out" 2> "$TMP/browser.err"
    py_rc=$?
    while IFS= read -r line; do
        case "$line" in
        "ok - "*) ok 0 "${line#ok - }"; py_results=$((py_results + 1)) ;;
        "not ok - "*) ok 1 "${line#not ok - }"; py_results=$((py_results + 1)) ;;
        "# confirmation link: "*) LINK=${line#\# confirmation link: }; echo "$line" ;;
        "#"*) echo "$line" ;;
        *) diag "$line" ;;
        esac
    done < "$TMP/browser.out"
    while [ "$py_results" -lt "$steps" ]; do
        ok 1 "browser step $((py_results + 1)) of $steps did not run"
        py_results=$((py_results + 1))
    done
    if [ "$py_rc" -ne 0 ]; then
        diag "$(basename "$py") exited $py_rc; its stderr:"
        diag "$(tail -n 30 "$TMP/browser.err")"
    fi
}

# (a)-(d), (f): the browser
browser "$PY" "$PY_STEPS" --base "$BASE" --maildir "$SMTP_MAILDIR" --email "$ADDR" --topic news \
    --mailout "$MAILOUT" --shots "$SHOTS" --profile "$TMP/chromium-profile" \
    --ua-file "$TMP/ua.txt"

# (e) the ledger holds the proof of the click
UA=$(cat "$TMP/ua.txt" 2> /dev/null)
like "$UA" 'HeadlessChrome/|Chrome/' "the browser reported a Chrome user agent"
run "$MAILOUT" --json contact show "$ADDR"
is "$RC" 0 "contact show finds the address typed in the browser"
# jget KIND FIELD: FIELD of the last KIND event in $OUT (contact show --json);
# FIELD 'count' is the number of KIND events, 'state' the news topic's state
jget() {
    printf '%s' "$OUT" | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)
ev = [h for h in c["history"] if h["kind"] == sys.argv[1]]
if sys.argv[2] == "state":
    print(c["topics"].get("news", {}).get("state"))
elif sys.argv[2] == "count":
    print(len(ev))
else:
    print(ev[-1].get(sys.argv[2]) if ev else "<no %s event>" % sys.argv[1])
' "$1" "$2" 2>&1
}
is "$(jget confirmed state)" confirmed "topic news is confirmed"
is "$(jget confirmed count)" 1 "exactly one confirmed event"
is "$(jget confirmed topic)" news "the confirmed event is for topic news"
is "$(jget confirmed ip)" 127.0.0.1 "the confirmed event records the browser's IP"
is "$(jget confirmed user_agent)" "$UA" "the confirmed event records the browser's user agent"
is "$(jget requested user_agent)" "$UA" "the requested event records the browser's user agent too"
sha=$(jget confirmed consent_text_sha256)
like "$sha" '^[0-9a-f]{64}$' "the confirmed event names the consent text by SHA-256"
is "$sha" "$(sql "SELECT encode(sha256(convert_to(body, 'UTF8')), 'hex') FROM consent_texts WHERE id = $TEXT_ID")" \
    "it is the hash of the text the form showed"
is "$(sql "SELECT count(*) FROM doi_requests WHERE confirmed_at IS NOT NULL")" 1 \
    "the request is marked confirmed"

# (f) from outside the browser: the used link is gone for GET and POST
if [ -n "$LINK" ]; then
    is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$LINK")" 410 "curl GET of the used link: 410"
    is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -d confirm=yes "$LINK")" 410 \
        "curl POST of the used link: 410"
else
    ok 1 "curl GET of the used link: 410 (no link)"
    ok 1 "curl POST of the used link: 410 (no link)"
fi
run "$MAILOUT" --json contact show "$ADDR"
is "$(jget confirmed count)" 1 "still exactly one confirmed event"

# (g) the unsubscribe page: a campaign to a person who receives news and offers
PAGE_ADDR="page.user@example.com"
"$MAILOUT" topic add offers --title "Special offers" > /dev/null
printf 'Send me special offers. I can unsubscribe at any time.\n' > "$TMP/offers.txt"
OFFERS_TEXT=$("$MAILOUT" consent-text add offers "$TMP/offers.txt")
{
    echo "email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip"
    echo "$PAGE_ADDR,Page User,DE,news,2026-06-01T10:00:00Z,form,$TEXT_ID,192.0.2.1"
    echo "$PAGE_ADDR,Page User,DE,offers,2026-06-01T10:00:00Z,form,$OFFERS_TEXT,192.0.2.1"
} > "$TMP/contacts.csv"
printf 'Hello {{name}},\n\nnews.\n\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "a contact with consent to news and offers imported"
"$MAILOUT" template add monthly --subject "Monthly news" --text "$TMP/body.txt" > /dev/null 2>&1
"$MAILOUT" segment create page-user --where "email = '$PAGE_ADDR'" > /dev/null
"$MAILOUT" campaign create monthly --topic news --template monthly --segment page-user > /dev/null
"$MAILOUT" campaign send monthly > /dev/null 2>&1
run "$MAILOUT" dispatch --once
is "$RC|$(mailtool to "$SMTP_MAILDIR" "$PAGE_ADDR" | wc -l)" "0|1" "the campaign mail reached the SMTP sink"
before_page=$(sql "SELECT count(*) FROM consent_events WHERE kind NOT IN ('withdrawn')")
browser "$PY2" "$PY2_STEPS" --base "$BASE" --maildir "$SMTP_MAILDIR" --email "$PAGE_ADDR" \
    --topic news --other offers --mailout "$MAILOUT" --shots "$SHOTS" \
    --profile "$TMP/chromium-profile-2"
is "$(sql "SELECT string_agg(t.name || ' ' || host(e.ip) || ' ' || e.actor, ',' ORDER BY e.id)
           FROM consent_events e JOIN topics t ON t.id = e.topic_id
           JOIN contacts c ON c.id = e.contact_id
           WHERE c.email_norm = '$PAGE_ADDR' AND e.kind = 'withdrawn'")" \
    "news 127.0.0.1 subject,offers 127.0.0.1 subject" "both withdrawals record the browser's IP and the subject as actor"
is "$(sql "SELECT count(*) FROM consent_events WHERE kind NOT IN ('withdrawn')")" "$before_page" \
    "the page wrote nothing but the two withdrawals"
run "$MAILOUT" campaign send monthly
run "$MAILOUT" dispatch --once
is "$(mailtool to "$SMTP_MAILDIR" "$PAGE_ADDR" | wc -l)" 1 "a second run of the campaign does not mail them"

# the server stops cleanly and (in a sanitizer build) without reports
kill -TERM "$SERVE_PID"
serve_rc=
for _ in $(seq 1 100); do
    kill -0 "$SERVE_PID" 2> /dev/null || break
    sleep 0.1
done
if kill -0 "$SERVE_PID" 2> /dev/null; then
    serve_rc=timeout
else
    wait "$SERVE_PID"
    serve_rc=$?
fi
SERVE_PID=
is "$serve_rc" 0 "mailout serve exits 0 on SIGTERM"
unlike "$(grep -E 'ERROR: AddressSanitizer|LeakSanitizer|runtime error|mailout error' "$TMP/serve.log")" \
    '.' "the serve log has no errors or sanitizer reports"
done_testing
