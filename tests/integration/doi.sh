#!/bin/bash
# doi.sh - double opt-in end to end through the real `mailout serve` and a
# real SMTP server: subscribe, confirmation mail, GET changes nothing, POST
# confirms with proof; forged, malformed, expired, reused and other-person
# tokens; abuse limits; identical answers; re-subscribe after an opt-out.
. "${top_srcdir:-.}/tests/integration/lib.sh"
setup_newsletter "postal_address = ACME GmbH, Musterstr. 1, 10115 Berlin" \
    "imprint_url = https://shop.example/imprint" "subscribe_ip_limit = 40"
news=$NEWS_TEXT
"$MAILOUT" topic add offers --title "Special offers" > /dev/null
printf 'Send me special offers. I can unsubscribe at any time.\n' > "$TMP/offers.txt"
printf 'Schickt mir den Newsletter. Ich kann jederzeit widerrufen.\n' > "$TMP/news-de.txt"
offers=$("$MAILOUT" consent-text add offers "$TMP/offers.txt")
"$MAILOUT" consent-text add news "$TMP/news-de.txt" --locale de > /dev/null
plan 84

# post PATH DATA: status in $CODE, body in $BODY
post() {
    CODE=$(curl -s --max-time 10 -A "doi-test/1.0" -o "$TMP/body" -w '%{http_code}' --data "$2" "$BASE$1")
    BODY=$(cat "$TMP/body")
}
get() {
    CODE=$(curl -s --max-time 10 -A "doi-test/1.0" -o "$TMP/body" -w '%{http_code}' "$BASE$1")
    BODY=$(cat "$TMP/body")
}
events() { sql "SELECT count(*) FROM consent_events"; }
state() { sql "SELECT cc.state FROM consent_current cc JOIN contacts c ON c.id = cc.contact_id JOIN topics t ON t.id = cc.topic_id WHERE c.email_norm = '$1' AND t.name = '$2'"; }
mails_to() { mailtool to "$SMTP_MAILDIR" "$1" | wc -l; }
link_for() { mailtool link "$(mailtool to "$SMTP_MAILDIR" "$1" | tail -n 1)"; }
token_of() { printf '%s' "${1##*/}"; }

# --- the whole flow -------------------------------------------------------
post /subscribe "email=alice@example.com&topic=news&topic=offers&consent_text=$news&consent_text=$offers&age_confirmed=yes"
is "$CODE" 200 "POST /subscribe answers 200"
like "$BODY" "Please check your inbox" "with the check-your-inbox page"
cp "$TMP/body" "$TMP/answer-new"
wait_mail alice@example.com
is "$(mails_to alice@example.com)" 1 "one confirmation mail reached the SMTP server"
mail=$(mailtool to "$SMTP_MAILDIR" alice@example.com)
is "$(mailtool header "$mail" Subject)" "Please confirm your subscription" "its subject"
is "$(mailtool header "$mail" List-Unsubscribe)" "" "a confirmation mail carries no List-Unsubscribe header"
body=$(mailtool body "$mail")
like "$body" "Monthly newsletter" "names the first topic"
like "$body" "Special offers" "names the second topic"
unlike "$(printf '%s' "$body" | grep -Eo 'https?://[^ ]+' | grep -v -e "^$BASE/confirm/" -e '^https://shop.example/privacy$' -e '^https://shop.example/imprint$')" \
    "." "no link but confirm, privacy and imprint (R-DOI-2)"
link=$(link_for alice@example.com)
like "$link" "^$BASE/confirm/[A-Za-z0-9_-]{43}$" "the mail holds the confirm link with a 256-bit token"
tok=$(token_of "$link")
is "$(sql "SELECT count(*) FROM doi_requests WHERE token_sha256 = '$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)'")" 1 \
    "only the token's SHA-256 is stored"
is "$(sql "SELECT count(*) FROM doi_requests WHERE token_sha256 = '$tok'")" 0 "never the token itself"
is "$(sql "SELECT string_agg(t.name || ':' || e.consent_text_id, ',' ORDER BY t.name) FROM consent_events e JOIN topics t ON t.id = e.topic_id WHERE e.kind = 'requested'")" \
    "news:$news,offers:$offers" "two topics: two requested events, each with its own consent text (R-GDPR-4)"
is "$(state alice@example.com news)" "pending" "pending before confirmation"

n=$(events)
for i in 1 2 3; do get "/confirm/$tok"; done
is "$CODE" 200 "GET /confirm/TOKEN shows a page"
like "$BODY" 'id="confirm"' "with a confirm button"
like "$BODY" 'method="post"' "which POSTs"
is "$(events)" "$n" "three GETs change nothing (mail scanners prefetch links)"
is "$(state alice@example.com news)" "pending" "still pending"

post "/confirm/$tok" "confirm=yes"
is "$CODE" 200 "POST /confirm/TOKEN answers 200"
like "$BODY" "Subscription confirmed" "with the confirmed page"
is "$(state alice@example.com news)$(state alice@example.com offers)" "confirmedconfirmed" "both topics confirmed"
"$MAILOUT" --json contact show alice@example.com > "$TMP/alice.json"
proof=$(/usr/bin/python3 - "$TMP/alice.json" <<'PY'
import json, re, sys
c = json.load(open(sys.argv[1]))
conf = [e for e in c["history"] if e["kind"] == "confirmed"]
req = [e for e in c["history"] if e["kind"] == "requested"]
ok = len(conf) == 2 and all(
    e["ip"] == "127.0.0.1" and e["user_agent"] == "doi-test/1.0"
    and re.fullmatch(r"[0-9a-f]{64}", e["consent_text_sha256"] or "")
    and re.fullmatch(r"[0-9a-f]{64}", e["token_sha256"] or "")
    and e["occurred_at"] and e["email_entered"] == "alice@example.com"
    and e["controller"] == "ACME GmbH" and e["privacy_notice"] == "https://shop.example/privacy"
    and e["source"] == "web form" and e["channel"] == "web" and e["age_attested"] is True
    and e["consent_text_version"] == 1
    for e in conf) and all(r["ip"] == "127.0.0.1" and r["user_agent"] == "doi-test/1.0" for r in req)
print("complete" if ok else json.dumps(c["history"]))
PY
)
is "$proof" "complete" "the ledger proves who, when, how and what (IP, user agent, text hash, token hash) (R-GDPR-3)"

n=$(events)
post "/confirm/$tok" "confirm=yes"
is "$CODE" 410 "a reused token answers 410"
like "$BODY" "no longer valid" "with the link-no-longer-valid page"
get "/confirm/$tok"
is "$CODE" 410 "GET of a used token answers 410"
is "$(events)" "$n" "a reused token changes nothing"

# --- forged and malformed tokens ------------------------------------------
post /subscribe "email=bob@example.com&topic=news&consent_text=$news&age_confirmed=yes"
wait_mail bob@example.com
btok=$(token_of "$(link_for bob@example.com)")
first=${btok:0:1}
if [ "$first" = A ]; then flip=B; else flip=A; fi
forged="$flip${btok:1}"
n=$(events)
post "/confirm/$forged" "confirm=yes"
is "$CODE" 404 "a token with one character flipped answers 404"
get "/confirm/$forged"
is "$CODE" 404 "also on GET"
for bad in short "${btok}x" "${btok:0:42}%21" "${btok:0:42}." "%00" "" "${btok:0:42}%0a" \
    "$btok/x" "${btok}%20"; do
    post "/confirm/$bad" "confirm=yes"
    is "$CODE" 404 "malformed token '/confirm/$bad' answers 404 on POST"
    get "/confirm/$bad"
    is "$CODE" 404 "malformed token '/confirm/$bad' answers 404 on GET"
done
is "$(events)" "$n" "forged and malformed tokens change nothing"
is "$(state bob@example.com news)" "pending" "bob still pending"

# another person's token confirms only that person
post /subscribe "email=carl@example.com&topic=news&consent_text=$news&age_confirmed=yes"
post "/confirm/$btok" "confirm=yes"
is "$(state bob@example.com news)|$(state carl@example.com news)" "confirmed|pending" \
    "bob's token confirms bob, never carl"

# --- expiry ----------------------------------------------------------------
post /subscribe "email=dora@example.com&topic=news&consent_text=$news&age_confirmed=yes"
wait_mail dora@example.com
dtok=$(token_of "$(link_for dora@example.com)")
sql "UPDATE doi_requests r SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day' FROM contacts c WHERE c.id = r.contact_id AND c.email_norm = 'dora@example.com'" > /dev/null
n=$(events)
get "/confirm/$dtok"
is "$CODE" 410 "an expired token answers 410 on GET"
post "/confirm/$dtok" "confirm=yes"
is "$CODE" 410 "and on POST"
is "$(events)|$(state dora@example.com news)" "$n|pending" "an expired token changes nothing"

# --- abuse limits ----------------------------------------------------------
for i in 1 2 3 4; do
    post /subscribe "email=eve@example.com&topic=news&consent_text=$news&age_confirmed=yes"
    cp "$TMP/body" "$TMP/answer-eve-$i"
done
wait_mail eve@example.com 3
is "$(sql "SELECT count(*) FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id JOIN contacts c ON c.id = r.contact_id WHERE c.email_norm = 'eve@example.com'")|$(mails_to eve@example.com)" \
    "3|3" "the 4th confirmation mail within 24 hours is neither queued nor sent (R-DOI-4)"
is "$CODE" 200 "the 4th request still answers 200"
cmp -s "$TMP/answer-eve-1" "$TMP/answer-eve-4"
ok $? "with the same page as the first"

h=$(suppress_hash "$TMP/supp.key" "sam@example.com")
sql "INSERT INTO suppression (addr_hmac, reason) VALUES ('$h', 'complaint')" > /dev/null
post /subscribe "email=fay@example.com&topic=news&consent_text=$news&age_confirmed=yes"
cp "$TMP/body" "$TMP/answer-fay"
post /subscribe "email=sam@example.com&topic=news&consent_text=$news&age_confirmed=yes"
cmp -s "$TMP/answer-fay" "$TMP/body"
ok $? "the answer for a suppressed address is byte-identical to a new one (R-DOI-4)"
post /subscribe "email=alice@example.com&topic=news&consent_text=$news&age_confirmed=yes"
cmp -s "$TMP/answer-fay" "$TMP/body"
ok $? "and for an already confirmed address"

n=$(events)
c=$(sql "SELECT count(*) FROM contacts")
post /subscribe "email=gus@example.com&consent_text=$news&age_confirmed=yes"
is "$CODE" 200 "a request without a topic (no consent box ticked) answers 200"
cmp -s "$TMP/answer-fay" "$TMP/body"
ok $? "with the same page"
is "$(events)|$(sql "SELECT count(*) FROM contacts")|$(mails_to gus@example.com)" "$n|$c|0" \
    "and records nothing, sends nothing (R-GDPR-1)"

post /subscribe "email=hal@example.com&topic=news&consent_text=$news"
is "$CODE" 400 "a request without the age attestation is refused"
is "$(mails_to hal@example.com)" 0 "and sends nothing"
post /subscribe "email=not-an-address&topic=news&consent_text=$news&age_confirmed=yes"
is "$CODE" 400 "an invalid address answers 400"
post /subscribe "email=ian@example.com&topic=news&consent_text=$offers&age_confirmed=yes"
is "$CODE" 400 "a consent text of another topic answers 400"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm = 'ian@example.com'")" 0 "and records nothing"

# --- children ---------------------------------------------------------------
printf 'email,country,birth_date\nkid-de@example.com,DE,2011-06-01\nkid-fr@example.com,FR,2011-06-01\n' > "$TMP/kids.csv"
"$MAILOUT" contact import "$TMP/kids.csv" > /dev/null 2>&1
birthday_age=$(/usr/bin/python3 -c 'import datetime; t=datetime.date.today(); print(t.year-2011-((t.month,t.day)<(6,1)))')
run "$MAILOUT" subscribe kid-de@example.com --topic news
is "$RC" 65 "a known minor in DE (consent age 16) cannot consent alone (R-GDPR-6)"
is "$(mails_to kid-de@example.com)|$(sql "SELECT count(*) FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.email_norm = 'kid-de@example.com'")" \
    "0|0" "no mail, no event"
run "$MAILOUT" subscribe kid-fr@example.com --topic news
if [ "$birthday_age" -ge 15 ]; then
    is "$RC" 0 "a $birthday_age-year-old in FR (consent age 15) may subscribe"
else
    is "$RC" 65 "a $birthday_age-year-old in FR (consent age 15) may not subscribe yet"
fi
run "$MAILOUT" subscribe jo@example.com --topic news
is "$RC" 65 "without a birth date the CLI needs --age-confirmed"

# --- re-subscribe after an opt-out ------------------------------------------
"$MAILOUT" unsubscribe alice@example.com > /dev/null 2>&1
is "$(state alice@example.com news)" "objected" "alice objected to all marketing"
post /subscribe "email=alice@example.com&topic=news&consent_text=$news&age_confirmed=yes"
is "$(state alice@example.com news)" "pending" "subscribing again starts a new double opt-in"
wait_mail alice@example.com 3 # the first confirmation mail, its receipt, the new confirmation mail
atok=$(token_of "$(link_for alice@example.com)")
post "/confirm/$atok" "confirm=yes"
is "$(state alice@example.com news)|$(state alice@example.com offers)" "confirmed|objected" \
    "only her own new confirmation lifts the opt-out, for that topic only"
is "$(sql "SELECT string_agg(kind::text, ',' ORDER BY e.id) FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.email_norm = 'alice@example.com' AND (e.topic_id IS NULL OR e.topic_id = (SELECT id FROM topics WHERE name = 'news'))")" \
    "requested,confirmed,requested,objected,requested,confirmed" \
    "every request, the opt-out and the new consent stay in the ledger"

# --- German -----------------------------------------------------------------
post /subscribe "email=jan@example.com&topic=news&consent_text=$news&age_confirmed=yes&locale=de"
wait_mail jan@example.com
jmail=$(mailtool to "$SMTP_MAILDIR" jan@example.com)
is "$(mailtool header "$jmail" Subject)" "Bitte bestätigen Sie Ihre Anmeldung" "German confirmation mail (encoded subject decodes)"
jtok=$(token_of "$(mailtool link "$jmail")")
get "/confirm/$jtok"
like "$BODY" "Anmeldung bestätigen" "German confirm page"

# --- a confirmation template with advertising is refused ----------------------
mkdir -p "$TMP/data/templates/en"
cp -r "$SRCDIR/sql" "$TMP/data/"
printf 'Subject: Confirm\n\nConfirm: {{confirm_url}}\nAnd see our sale: https://shop.example/sale\n' > "$TMP/data/templates/en/confirm_mail.txt"
echo "data_dir = $TMP/data" >> "$TMP/mailout.conf"
run "$MAILOUT" subscribe kay@example.com --topic news --age-confirmed
is "$RC" 65 "a confirmation template with an advertising link is refused (R-DOI-2)"
like "$ERR" "only the confirm, privacy and imprint links are allowed" "and says why"
sed -i '$d' "$TMP/mailout.conf"

# --- per-IP limit -----------------------------------------------------------
limited=0
for i in $(seq 1 45); do
    post /subscribe "email=flood$i@example.com&topic=news&consent_text=$news&age_confirmed=yes"
    if [ "$CODE" = 429 ]; then limited=1; break; fi
done
is "$limited" 1 "the per-IP limit answers 429"
is "$(sql "SELECT count(*) FROM rate_events WHERE kind = 'subscribe_ip'")" 40 "after subscribe_ip_limit requests in an hour"

# --- purge of expired pending requests (R-GDPR-16: expiry 7d + pending_retention 7d) -------
"$MAILOUT" subscribe gina@example.com --topic news --age-confirmed > /dev/null  # the IP limit is used up
sql "UPDATE doi_requests r SET created_at = now() - interval '15 days', expires_at = now() - interval '8 days' FROM contacts c WHERE c.id = r.contact_id AND c.email_norm = 'dora@example.com'" > /dev/null
sql "UPDATE doi_requests r SET created_at = now() - interval '13 days', expires_at = now() - interval '6 days' FROM contacts c WHERE c.id = r.contact_id AND c.email_norm = 'gina@example.com'" > /dev/null
run "$MAILOUT" maintenance
is "$(printf '%s\n' "$OUT" | head -n 1)" "deleted 1 expired pending request" "maintenance deletes a pending request 15 days old (R-GDPR-16)"
is "$(sql "SELECT count(*) FROM doi_requests r JOIN contacts c ON c.id = r.contact_id WHERE c.email_norm IN ('dora@example.com', 'gina@example.com')")" \
    "1" "and keeps one 13 days old (expired 6 days ago, within pending_retention = 7d)"
is "$(sql "SELECT detail->>'deleted' FROM audit_log WHERE action = 'maintenance.purge_pending' ORDER BY seq DESC LIMIT 1")" \
    "1" "with a counter in the audit log (R-GDPR-16)"

get /metrics
like "$BODY" "mailout_confirm_success_total [1-9]" "/metrics counts confirmations"
kill -0 "$SERVE_PID"
ok $? "mailout serve is still running"

done_testing
