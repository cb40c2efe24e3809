#!/bin/bash
# receipt.sh - the consent receipt (issue 10): after a double-opt-in
# confirmation over HTTP the confirmed page holds the receipt as JSON (shown
# escaped, and as a download), its SHA-256 is on every 'confirmed' ledger
# event, and the same bytes arrive by mail at a real SMTP server as the
# attachment of a DKIM-signed mail without List-Unsubscribe; the
# preference links' tokens are stored only as hashes, for the right contact
# and topic; a German subscriber gets it in German; a receipt not yet sent
# when the address is suppressed is never sent.
. "${top_srcdir:-.}/tests/integration/lib.sh"
command -v openssl > /dev/null || skip_all "openssl not installed"
KEYS=$TMP/keys
mkdir -p "$KEYS"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$KEYS/dkim.pem" 2> /dev/null
chmod 600 "$KEYS/dkim.pem"
setup_newsletter "postal_address = ACME GmbH, Musterstr. 1, 10115 Berlin" \
    "imprint_url = https://shop.example/imprint" "unsubscribe_mailto = unsubscribe@shop.example" \
    "dkim_domain = shop.example" "dkim_selector = s2026" "dkim_key_file = $KEYS/dkim.pem"
news=$NEWS_TEXT
"$MAILOUT" topic add tips --title 'Tips & <Tricks> "quoted"' > /dev/null
printf 'Send me <b>tips</b> & "tricks". I can withdraw my consent at any time.\n' > "$TMP/tips.txt"
tips=$("$MAILOUT" consent-text add tips "$TMP/tips.txt")
printf 'Schickt mir den Newsletter. Ich kann meine Einwilligung jederzeit widerrufen.\n' > "$TMP/news-de.txt"
news_de=$("$MAILOUT" consent-text add news "$TMP/news-de.txt" --locale de)
plan 47

post() { # post PATH DATA: status in $CODE, body in $BODY (and $TMP/body)
    CODE=$(curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' --data "$2" "$BASE$1")
    BODY=$(cat "$TMP/body")
}
py() { /usr/bin/python3 "$@"; }
link_for() { mailtool link "$(mailtool to "$SMTP_MAILDIR" "$1" | head -n 1)"; }
cid_of() { sql "SELECT id FROM contacts WHERE email_norm = '$1'"; }
# receipt_mail ADDR: the receipt mail to ADDR (the one with the attachment)
receipt_mail() {
    local f
    for f in $(mailtool to "$SMTP_MAILDIR" "$1"); do
        grep -q '^Content-Type: multipart/mixed' "$f" && { echo "$f"; return; }
    done
}
# wait_receipt ADDR: until the receipt mail to ADDR arrived (20 s)
wait_receipt() {
    local deadline=$((SECONDS + 20))
    until [ -n "$(receipt_mail "$1")" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

cat > "$TMP/rtool.py" << 'EOF'
import base64, email, email.policy, html, json, re, sys
cmd = sys.argv[1]
if cmd == 'page':  # page BODY OUT: the <pre> receipt, unescaped, into OUT; prints whether the download is the same
    page = open(sys.argv[2], encoding='utf-8').read()
    m = re.search(r'<pre id="receipt"[^>]*>(.*?)</pre>', page, re.S)
    text = html.unescape(m.group(1)) if m else ''
    open(sys.argv[3], 'wb').write(text.encode('utf-8'))
    d = re.search(r'<a id="receipt-download" href="data:application/json;base64,([A-Za-z0-9+/=]*)" download="consent-receipt.json"', page)
    print('same' if d and base64.b64decode(d.group(1)) == text.encode('utf-8') else 'differs')
elif cmd == 'mail':  # mail FILE OUT: the attachment into OUT; prints what the mail is
    msg = email.message_from_binary_file(open(sys.argv[2], 'rb'), policy=email.policy.default)
    atts = [p for p in msg.iter_attachments()]
    body = msg.get_body(preferencelist=('plain',)).get_content()
    a = atts[0] if len(atts) == 1 else None
    open(sys.argv[3], 'wb').write(a.get_payload(decode=True) if a else b'')
    print('|'.join([msg['Subject'], str(msg['List-Unsubscribe']), str(msg['List-Unsubscribe-Post']),
                    str(msg['Auto-Submitted']), a.get_content_type() if a else '-',
                    a.get_filename() if a else '-']))
    open(sys.argv[3] + '.body', 'w').write(body)
elif cmd == 'get':  # get FILE EXPR: a value of the receipt (python expression over r)
    r = json.load(open(sys.argv[2], encoding='utf-8'))
    print(eval(sys.argv[3]))
EOF
rget() { py "$TMP/rtool.py" get "$TMP/r.json" "$1"; }

# --- confirm over HTTP: the page holds the receipt ---------------------------
post /subscribe "email=Alice@Example.com&topic=news&topic=tips&consent_text=$news&consent_text=$tips&age_confirmed=yes"
wait_mail alice@example.com
link=$(link_for alice@example.com)
post "/confirm/${link##*/}" "confirm=yes"
is "$CODE" 200 "POST /confirm/TOKEN answers 200"
like "$BODY" "Your consent receipt" "the confirmed page offers the consent receipt"
is "$(py "$TMP/rtool.py" page "$TMP/body" "$TMP/r.json")" same \
    "the download link (data: URI, download=consent-receipt.json) holds the same bytes as the page"
is "$(rget 'r["version"]')" "mailout-consent-receipt-1" "the page's receipt is JSON (python json parses it)"
alice=$(cid_of alice@example.com)
is "$(sql "SELECT count(*) || '|' || count(DISTINCT receipt_sha256) || '|' || min(receipt_sha256) FROM consent_events WHERE contact_id = $alice AND kind = 'confirmed'")" \
    "2|1|$(sha "$TMP/r.json")" "its SHA-256 is the receipt_sha256 of both 'confirmed' ledger events"
is "$(sql "SELECT count(*) FROM consent_events WHERE receipt_sha256 IS NOT NULL AND kind <> 'confirmed'")" 0 \
    "no other event carries a receipt hash"
is "$("$MAILOUT" --json contact show alice@example.com | py -c 'import json,sys; print(" ".join(e["receipt_sha256"] for e in json.load(sys.stdin)["history"] if e["kind"] == "confirmed"))')" \
    "$(sha "$TMP/r.json") $(sha "$TMP/r.json")" "contact show lists it with each confirmation"
is "$(rget 'r["subject"]["email"], r["language"], r["jurisdiction"]')" "('Alice@example.com', 'en', None)" \
    "it names the subject's address and the language"
is "$(rget '"|".join(r["controller"][k] for k in ("legal_entity", "postal_address", "privacy_url"))')" \
    "ACME GmbH|ACME GmbH, Musterstr. 1, 10115 Berlin|https://shop.example/privacy" \
    "the controller: legal entity, postal address, privacy notice"
is "$(rget '[(c["topic"], c["title"]) for c in r["consents"]]')" \
    "[('news', 'Monthly newsletter'), ('tips', 'Tips & <Tricks> \"quoted\"')]" "one consent per confirmed topic, with name and title"
is "$(rget 'r["consents"][0]["consent_text"]')$(rget 'r["consents"][1]["consent_text"]')" \
    "$(cat "$TMP/news.txt")$(cat "$TMP/tips.txt")" "each with the exact consent text"
is "$(rget '" ".join(c["consent_text_sha256"] for c in r["consents"])')" \
    "$(sha "$TMP/news.txt") $(sha "$TMP/tips.txt")" "and its SHA-256"
is "$(rget '" ".join(str(c["consent_text_version"]) + c["consent_text_locale"] for c in r["consents"])')" \
    "1en 1en" "and its version and locale"
is "$(rget '" ".join(c["consented_at"] + "|" + c["method"]["requested_at"] for c in r["consents"])')" \
    "$(sql "SELECT string_agg(iso_utc(c.occurred_at) || '|' || iso_utc(q.occurred_at), ' ' ORDER BY t.name)
              FROM consent_events c JOIN topics t ON t.id = c.topic_id
              JOIN consent_events q ON q.contact_id = c.contact_id AND q.topic_id = c.topic_id AND q.kind = 'requested'
             WHERE c.contact_id = $alice AND c.kind = 'confirmed'")" \
    "consent time and request time as on the ledger (ISO 8601 UTC)"
like "$(rget 'r["issued_at"]')" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' "issued_at is ISO 8601 UTC"
is "$(rget '" ".join(c["ip"] + "|" + c["method"]["type"] for c in r["consents"])')" \
    "127.0.0.1|double opt-in 127.0.0.1|double opt-in" "the IP of the confirmation and the method"
like "$(rget '" ".join(c["withdraw"]["preference_url"] for c in r["consents"])')" \
    "^$BASE/u/[A-Za-z0-9_-]{43} $BASE/u/[A-Za-z0-9_-]{43}$" "how to withdraw: a preference link per topic"
is "$(rget '" ".join(c["withdraw"]["mailto"] for c in r["consents"])')" \
    "mailto:unsubscribe@shop.example mailto:unsubscribe@shop.example" "and the mailto address"

# the tokens: stored only as hashes, for alice and the topic
tok_news=$(rget 'r["consents"][0]["withdraw"]["preference_url"].rsplit("/", 1)[1]')
tok_tips=$(rget 'r["consents"][1]["withdraw"]["preference_url"].rsplit("/", 1)[1]')
h_news=$(printf '%s' "$tok_news" | sha256sum | cut -d' ' -f1)
h_tips=$(printf '%s' "$tok_tips" | sha256sum | cut -d' ' -f1)
is "$(sql "SELECT string_agg(u.contact_id || ':' || t.name || ':' || (u.run_id IS NULL) || ':' || (u.message_id IS NULL), ' ' ORDER BY t.name)
             FROM unsubscribe_tokens u JOIN topics t ON t.id = u.topic_id WHERE u.token_sha256 IN ('$h_news', '$h_tips')")" \
    "$alice:news:true:true $alice:tips:true:true" \
    "each link's token has its SHA-256 in unsubscribe_tokens for that contact and topic, no run"
as_pg "$PG_BIN/pg_dump" -h "$PG_DIR" -p "$PGPORT" -U owner --data-only mailout > "$TMP/dump.sql" 2> /dev/null
ok "$([ -s "$TMP/dump.sql" ] && ! grep -q -e "$tok_news" -e "$tok_tips" "$TMP/dump.sql"; echo $?)" \
    "the tokens themselves are nowhere in the database (pg_dump --data-only)"

# every value escaped on the page
unlike "$BODY" '<Tricks>|<b>tips</b>|"quoted"' "values with < > & \" are never raw on the page"
like "$BODY" '&lt;Tricks&gt;' "they are escaped"

# --- the mail: sent after the answer, the same JSON ---------------------------
wait_receipt alice@example.com
ok $? "a receipt mail reaches the SMTP server"
rmail=$(receipt_mail alice@example.com)
is "$(py "$TMP/rtool.py" mail "$rmail" "$TMP/m.json")" \
    "Your consent receipt|None|None|auto-generated|application/json|consent-receipt.json" \
    "its subject, no List-Unsubscribe, Auto-Submitted, the JSON attached as consent-receipt.json"
cmp -s "$TMP/m.json" "$TMP/r.json"
ok $? "the attachment is byte for byte the receipt on the page"
is "$(sha "$TMP/m.json")" "$(sql "SELECT DISTINCT receipt_sha256 FROM consent_events WHERE contact_id = $alice AND kind = 'confirmed'")" \
    "and hashes to the receipt_sha256 on the ledger"
body=$(cat "$TMP/m.json.body")
like "$body" "$BASE/u/$tok_news" "the text names the preference link of each topic"
code=$(curl -s --max-time 10 -o "$TMP/pref.html" -w '%{http_code}' "$BASE/u/$tok_news")
is "$code" 200 "the preference link opens the unsubscribe and preferences page"
like "$(cat "$TMP/pref.html")" "news" "which lists the confirmed topic"
is "$(printf '%s' "$body" | grep -Eo 'https?://[^ ]+' | grep -v -e "^$BASE/u/$tok_news\$" -e "^$BASE/u/$tok_tips\$" -e '^https://shop.example/privacy$' -e '^https://shop.example/imprint$')" \
    "" "and no link but the preference, privacy and imprint links (no advertising)"
if /usr/bin/python3 -c 'import dkim' 2> /dev/null; then
    run /usr/bin/python3 "$SRCDIR/tests/integration/dkim_verify.py" --txt "s2026._domainkey.shop.example=$KEYS/dkim.pem" "$rmail"
    is "$RC" 0 "it is DKIM-signed like the confirmation mail (python3-dkim verifies it)"
else
    ok 0 "DKIM signature # SKIP python3-dkim not installed"
fi
is "$(sql "SELECT kind || '|' || state || '|' || (receipt IS NULL) || '|' || (nonce IS NOT NULL) FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id WHERE r.contact_id = $alice ORDER BY kind")" \
    "$(printf 'confirm|sent|true|true\nreceipt|sent|true|true')" \
    "the queue holds the receipt mail as a second kind; its draft is gone once sent"
unlike "$(cat "$TMP/serve.log")" "alice@example.com|$tok_news" "the log names neither the address nor a token"

# a used token changes nothing, and no second receipt
before=$(sql "SELECT count(*) FROM unsubscribe_tokens")
post "/confirm/${link##*/}" "confirm=yes"
is "$CODE|$(sql "SELECT count(*) FROM unsubscribe_tokens")|$(sql "SELECT count(*) FROM confirm_mail_queue WHERE kind = 'receipt'")" \
    "410|$before|1" "a used token answers 410 and issues no second receipt"
unlike "$BODY" "consent receipt" "and shows none"

# --- a German subscriber gets a German receipt -------------------------------
post /subscribe "email=jan@example.com&topic=news&consent_text=$news_de&age_confirmed=yes&locale=de"
wait_mail jan@example.com
post "/confirm/$(link_for jan@example.com | sed 's,.*/,,')" "confirm=yes"
like "$BODY" "Ihr Einwilligungsnachweis" "the German confirmed page offers the receipt"
py "$TMP/rtool.py" page "$TMP/body" "$TMP/r.json" > /dev/null
is "$(rget 'r["language"] + "|" + r["consents"][0]["consent_text_locale"]')|$(rget 'r["consents"][0]["consent_text"]')" \
    "de|de|$(cat "$TMP/news-de.txt")" "the receipt is in German, with the German consent text"
wait_receipt jan@example.com
ok $? "the German receipt mail arrives"
is "$(py "$TMP/rtool.py" mail "$(receipt_mail jan@example.com)" "$TMP/m.json" | cut -d'|' -f1)" \
    "Ihr Einwilligungsnachweis" "with a German subject"
is "$(sha "$TMP/m.json")" "$(sql "SELECT DISTINCT receipt_sha256 FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.email_norm = 'jan@example.com' AND e.kind = 'confirmed'")" \
    "its attachment hashes to jan's ledger hash"
like "$(cat "$TMP/m.json.body")" "Sie können Ihre Einwilligung jederzeit kostenlos widerrufen" "and a German text"

# the server that built and sent these stops cleanly (in a sanitizer build: without reports)
serve_sigterm
is "$SERVE_RC" 0 "mailout serve exits 0 on SIGTERM"
unlike "$(grep -E 'ERROR: AddressSanitizer|LeakSanitizer|runtime error|mailout error' "$TMP/serve.log")" \
    '.' "the serve log has no errors or sanitizer reports"
start_serve

# --- a receipt still queued when the address is suppressed is never sent -----
post /subscribe "email=kim@example.com&topic=news&consent_text=$news&age_confirmed=yes"
wait_mail kim@example.com
klink=$(link_for kim@example.com)
# serve's sender now points at a relay nobody listens on
smtp_port=$SMTP_PORT
serve_stop
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$(free_port)|" "$MAILOUT_CONFIG"
start_serve
post "/confirm/${klink##*/}" "confirm=yes"
is "$CODE" 200 "kim confirms while the relay is unreachable"
deadline=$((SECONDS + 20))
until [ "$(sql "SELECT attempts FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id WHERE q.kind = 'receipt' AND r.contact_id = $(cid_of kim@example.com)")" = 1 ] &&
    [ -z "$(sql "SELECT locked_by FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id WHERE q.kind = 'receipt' AND r.contact_id = $(cid_of kim@example.com)")" ] ||
    [ "$SECONDS" -ge "$deadline" ]; do sleep 0.2; done
run "$MAILOUT" unsubscribe kim@example.com --suppress
is "$RC" 0 "then an admin suppresses the address"
serve_stop
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$smtp_port|" "$MAILOUT_CONFIG"
sql "UPDATE confirm_mail_queue SET next_attempt_at = now() WHERE state = 'queued'" > /dev/null
start_serve
deadline=$((SECONDS + 20))
until [ "$(sql "SELECT state FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id WHERE q.kind = 'receipt' AND r.contact_id = $(cid_of kim@example.com)")" != queued ] ||
    [ "$SECONDS" -ge "$deadline" ]; do sleep 0.2; done
is "$(sql "SELECT state || '|' || last_reply || '|' || (receipt IS NULL) FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id WHERE q.kind = 'receipt' AND r.contact_id = $(cid_of kim@example.com)")" \
    "cancelled|address suppressed before the receipt was sent|true" "the queued receipt is cancelled, its draft dropped"
is "$(receipt_mail kim@example.com)" "" "and never sent"

done_testing
