#!/bin/bash
# unsubscribe.sh - GET and POST /u/TOKEN against `mailout serve`, with tokens
# taken from real campaign mail (SMTP sink): RFC 8058 one-click by curl,
# urlencoded and multipart (curl -F, the RFC 8058 8.3 bytes verbatim, a
# missing final boundary), 200 without Location, idempotent, the ledger event
# with channel, IP, user agent and Message-ID, the next run and the next
# claim leave the person out (R-MBP-5); GET never changes anything
# (R-8058-5); altered, unknown and other recipients' tokens (R-8058-2); bad
# bodies (400/413, CRLF, NUL, huge) change nothing; the page's buttons (topic,
# all marketing), its preference switches (off: withdrawn; on: double
# opt-in), the pause (once h-pause lands); a 59-day-old token (R-US-1);
# one_click_scope all; the German page; escaping; /metrics counters.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp
plan 100

SERVE_PORT=$(free_port)
BASE="http://127.0.0.1:$SERVE_PORT"
write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
    "from = ACME News <news@shop.example>" "legal_entity = ACME <Shop> GmbH" \
    "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
    "unsubscribe_mailto = unsubscribe@shop.example" "listen = 127.0.0.1:$SERVE_PORT" \
    "base_url = $BASE" "privacy_url = https://shop.example/privacy" \
    "imprint_url = https://shop.example/imprint" "suppression_key_file = $TMP/supp.key"
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Monthly newsletter" > /dev/null
"$MAILOUT" topic add offers --title 'Offers & "deals" <b>' > /dev/null
"$MAILOUT" topic add events --title "Event invitations" > /dev/null
printf 'Send me the monthly newsletter. I can withdraw my consent at any time.\n' > "$TMP/news.txt"
printf 'Schicken Sie mir den Newsletter. Ich kann jederzeit widerrufen.\n' > "$TMP/news.de.txt"
printf 'Send me offers <i>now</i>. I can unsubscribe at any time.\n' > "$TMP/offers.txt"
printf 'Invite me to events. I can unsubscribe at any time.\n' > "$TMP/events.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
"$MAILOUT" consent-text add news "$TMP/news.de.txt" --locale de > /dev/null
offers_text=$("$MAILOUT" consent-text add offers "$TMP/offers.txt")
events_text=$("$MAILOUT" consent-text add events "$TMP/events.txt")

people="anna bob carol dave erin frank gina hank ivan jane kurt lena mia"
{
    echo "email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip"
    for p in $people; do
        c=DE
        [ "$p" = ivan ] && c=AT
        echo "$p@example.com,${p^},$c,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1"
        echo "$p@example.com,${p^},$c,offers,2026-06-01T10:00:00Z,form,$offers_text,192.0.2.1"
    done
} > "$TMP/contacts.csv"
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported with consent to news and offers"
printf 'Hello {{name}},\n\nnews.\n\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring news" --text "$TMP/body.txt" > /dev/null 2>&1
"$MAILOUT" segment create everyone --where "true" > /dev/null
run "$MAILOUT" campaign create spring --topic news --template spring --segment everyone
"$MAILOUT" campaign send spring > /dev/null 2>&1
run "$MAILOUT" dispatch --once
is "$RC|$(maildir_count "$SMTP_MAILDIR")" "0|13" "the campaign went out through the SMTP sink: one message each"
start_serve

# url NAME: the https/http URL of List-Unsubscribe in NAME's latest message; msgid NAME likewise
mailfile() { mailtool to "$SMTP_MAILDIR" "$1@example.com" | tail -n 1; }
url() { mailtool header "$(mailfile "$1")" List-Unsubscribe | sed -E 's/^<([^>]*)>.*/\1/'; }
msgid() { mailtool header "$(mailfile "$1")" Message-ID | tr -d '<>'; }
events() { sql "SELECT count(*) FROM consent_events"; }
cid() { sql "SELECT id FROM contacts WHERE email_norm = '$1@example.com'"; }
# last NAME KIND: "topic channel message_id ip" of NAME's latest KIND event ("" if none)
last() {
    sql "SELECT COALESCE(t.name, '*') || ' ' || e.channel || ' ' || COALESCE(e.message_id, '-')
                || ' ' || COALESCE(host(e.ip), '-')
         FROM consent_events e LEFT JOIN topics t ON t.id = e.topic_id
         WHERE e.contact_id = $(cid "$1") AND e.kind = '$2' ORDER BY e.id DESC LIMIT 1"
}
nkind() { sql "SELECT count(*) FROM consent_events WHERE contact_id = $(cid "$1") AND kind = '$2'"; }
# post URL ARGS...: curl POST; $CODE the status, $HDRS the headers, $BODY the page
post() {
    local u=$1
    shift
    CODE=$(curl -s -o "$TMP/body" -D "$TMP/hdrs" -w '%{http_code}' --max-time 10 "$@" "$u")
    HDRS=$(tr -d '\r' < "$TMP/hdrs")
    BODY=$(cat "$TMP/body")
}
oneclick() { post "$1" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'List-Unsubscribe=One-Click'; }
metric() { curl -s --max-time 10 "$BASE/metrics" | awk -v n="$1" '$1 == n {print $2}'; }

URL_ANNA=$(url anna)
like "$URL_ANNA" "^$BASE/u/[A-Za-z0-9_-]{43}\$" "List-Unsubscribe carries $BASE/u/TOKEN"

# --- one-click, urlencoded (R-8058-3, -4) ---
before=$(events)
post "$URL_ANNA" -A 'MailboxProvider/1.0' -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary 'List-Unsubscribe=One-Click'
is "$CODE" 200 "one-click POST (urlencoded, no cookie): 200"
unlike "$HDRS" '^[Ll]ocation:' "no Location header (no redirect)"
unlike "$HDRS" '^[Ss]et-[Cc]ookie:' "no cookie set"
like "$BODY" "You are unsubscribed" "the answer is a page saying so"
is "$(last anna withdrawn)" "news one_click $(msgid anna) 127.0.0.1" \
    "ledger: withdrawn news, channel one_click, the message's Message-ID, the client IP"
is "$(sql "SELECT user_agent || '|' || actor FROM consent_events WHERE contact_id = $(cid anna) AND kind = 'withdrawn'")" \
    "MailboxProvider/1.0|subject" "the user agent and the actor subject are recorded"
is "$(($(events) - before))" 1 "exactly one event written"
run "$MAILOUT" --json contact show anna@example.com
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)
w = [h for h in c["history"] if h["kind"] == "withdrawn"]
print(c["topics"]["news"]["state"], c["topics"]["offers"]["state"], w[-1]["channel"], w[-1]["message_id"])')" \
    "withdrawn confirmed one_click $(msgid anna)" "contact show: news withdrawn by one_click with the message id, offers kept"
run "$MAILOUT" contact show anna@example.com
like "$OUT" "withdrawn news via one_click by subject ip 127.0.0.1 .*message $(msgid anna)" \
    "contact show (text) names the channel and the message"
post "$URL_ANNA" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary $'List-Unsubscribe=One-Click\r\n'
is "$CODE|$(nkind anna withdrawn)|$(($(events) - before))" "200|1|1" \
    "a repeat (with a trailing CRLF): 200, still one withdrawn event (R-8058-7)"

# --- multipart: curl -F, the RFC 8058 8.3 bytes, a missing final boundary ---
post "$(url bob)" -F 'List-Unsubscribe=One-Click'
is "$CODE|$(last bob withdrawn)" "200|news one_click $(msgid bob) 127.0.0.1" "curl -F (multipart/form-data): 200, withdrawn"
printf -- '---FormBoundaryjWmhtjORrn\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n---FormBoundaryjWmhtjORrn--' > "$TMP/rfc8058.bin"
is "$(wc -c < "$TMP/rfc8058.bin")" 124 "the RFC 8058 8.3 body is 124 bytes"
post "$(url carol)" -H 'Content-Type: multipart/form-data; boundary=---FormBoundaryjWmhtjORrn' \
    --data-binary @"$TMP/rfc8058.bin"
c1=$CODE
post "$(url carol)" -H 'Content-Type: multipart/form-data; boundary=---FormBoundaryjWmhtjORrn' \
    --data-binary @"$TMP/rfc8058.bin"
is "$c1|$CODE|$(nkind carol withdrawn)|$(last carol withdrawn)" "200|200|1|news one_click $(msgid carol) 127.0.0.1" \
    "the 8.3 example verbatim, posted twice: 200 both times, exactly one withdrawn event"
printf -- '--XyZ\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n' > "$TMP/nofinal.bin"
post "$(url dave)" -H 'Content-Type: multipart/form-data; boundary=XyZ' --data-binary @"$TMP/nofinal.bin"
is "$CODE|$(nkind dave withdrawn)" "200|1" "multipart without its final boundary: 200, withdrawn"

# --- GET changes nothing (R-8058-5); the page (R-US-3) ---
before=$(events)
codes=
for _ in 1 2 3; do codes="$codes$(curl -s -o "$TMP/page" -w '%{http_code}' --max-time 10 "$(url erin)") "; done
is "$codes|$(($(events) - before))" "200 200 200 |0" "GET three times: 200 each, the ledger unchanged"
PAGE=$(cat "$TMP/page")
like "$PAGE" 'name="unsubscribe" value="topic"[^>]*>Unsubscribe from Monthly newsletter<' "the page has the topic button"
like "$PAGE" 'name="unsubscribe" value="all"[^>]*>Unsubscribe from all marketing<' "and the all-marketing button"
is "$(printf '%s' "$PAGE" | /usr/bin/python3 -c '
import re, sys
html = sys.stdin.read()
form = re.search(r"<form[^>]*id=\"unsubscribe\"[^>]*>(.*?)</form>", html, re.S).group(1)
print(sorted(set(re.findall(r"name=\"([^\"]+)\"", form))), len(re.findall(r"<input", form)))')" \
    "['unsubscribe'] 0" "the unsubscribe form has no field but the choice (R-US-3)"
like "$PAGE" '<li>Monthly newsletter <strong>\(this email\)</strong></li>' "the topics received, the message's marked"
like "$PAGE" 'Offers &amp; &quot;deals&quot; &lt;b&gt;' "titles are HTML-escaped"
unlike "$PAGE" '<b>|<i>now' "no markup from data gets through"
like "$PAGE" 'ACME &lt;Shop&gt; GmbH' "the legal entity, escaped"
like "$PAGE" 'href="https://shop.example/privacy"' "a privacy link"
like "$PAGE" 'href="https://shop.example/imprint"' "an imprint link"
unlike "$PAGE" 'erin@example.com' "the page does not show the address"
like "$PAGE" 'id="topic-news" checked' "the preference switches show what is on"
like "$PAGE" '<option value="12">12 months</option>' "the pause offers 1 to 12 months"
like "$(curl -s -I --max-time 10 "$(url erin)" | tr -d '\r')" 'Cache-Control: no-store' "the page is not cached"

# --- the German page ---
DE=$(curl -s --max-time 10 "$(url erin)?lang=de")
like "$DE" '<html lang="de">' "?lang=de: a German page"
like "$DE" 'Von aller Werbung abmelden' "with the German all-marketing button"
like "$DE" 'Datenschutzhinweise' "and German links"
like "$(curl -s --max-time 10 -H 'Accept-Language: de-DE,de;q=0.9' "$(url erin)")" 'Von Monthly newsletter abmelden' \
    "Accept-Language de: German"

# --- altered, unknown and other recipients' tokens (R-8058-2) ---
U=$(url frank)
tok=${U##*/}
first=${tok:0:1}
[ "$first" = A ] && flip=B || flip=A
before=$(events)
oneclick "$BASE/u/$flip${tok:1}"
is "$CODE" 404 "one token character flipped: 404"
like "$BODY" "Link not found" "the plain not-found page"
oneclick "$BASE/u/${tok:0:42}"
is "$CODE" 404 "a token cut short: 404"
oneclick "$BASE/u/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
is "$CODE" 404 "a token never issued: 404"
post "$BASE/u/$flip${tok:1}" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'unsubscribe=all'
is "$CODE" 404 "a bad token with the page's form: 404"
post "$BASE/u/$flip${tok:1}" -H 'Content-Type: text/plain' --data-binary 'junk'
is "$CODE" 404 "a bad token with a junk body: 404 (the token comes first)"
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/u/$flip${tok:1}")" 404 "GET with a bad token: 404"
is "$(($(events) - before))" 0 "no event for any of them"
before_frank=$(sql "SELECT count(*) FROM consent_events WHERE contact_id = $(cid frank)")
oneclick "$(url gina)"
is "$CODE|$(nkind gina withdrawn)" "200|1" "another recipient's token unsubscribes that recipient"
is "$(sql "SELECT count(*) FROM consent_events WHERE contact_id = $(cid frank)")" "$before_frank" \
    "and changes nothing for anyone else"

# --- bodies that are neither: 400/413, nothing changes ---
U=$(url hank)
before=$(events)
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'foo=bar'
is "$CODE" 400 "an unknown field: 400"
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'List-Unsubscribe=One-Click&x=1'
is "$CODE" 400 "the pair plus another field: 400"
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary $'\r\n\r\n'
is "$CODE" 400 "only CRLFs: 400"
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary $'List-Unsubscribe=One-Click\r\nBcc: x'
is "$CODE" 400 "CRLF and more after the pair: 400"
printf 'List-Unsubscribe=One-Click\0' > "$TMP/nul.bin"
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$TMP/nul.bin"
is "$CODE" 400 "a NUL byte after the pair: 400"
post "$U" -H 'Content-Type: application/json' --data-binary '{"List-Unsubscribe": "One-Click"}'
is "$CODE" 400 "JSON: 400"
post "$U" -X POST
is "$CODE" 400 "no body: 400"
head -c 20000 /dev/zero | tr '\0' 'a' > "$TMP/huge.bin"
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$TMP/huge.bin"
is "$CODE" 413 "20000 bytes: 413"
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' -H 'Transfer-Encoding: chunked' \
    --data-binary @"$TMP/huge.bin"
is "$CODE" 413 "20000 bytes chunked: 413"
post "$BASE/u/$flip${tok:1}" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$TMP/huge.bin"
is "$CODE" 404 "20000 bytes with a bad token: 404 (the token comes first)"
is "$(($(events) - before))|$(nkind hank withdrawn)" "0|0" "none of them changed anything"

# --- the page's buttons ---
post "$U" -A 'Browser/2' -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'unsubscribe=topic'
is "$CODE|$(last hank withdrawn)" "200|news page $(msgid hank) 127.0.0.1" "the topic button: withdrawn news, channel page"
like "$BODY" "no more Monthly newsletter emails" "the page names the topic"
post "$(url ivan)" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'unsubscribe=all'
is "$CODE|$(last ivan objected)" "200|* page $(msgid ivan) 127.0.0.1" "the all-marketing button: objected, channel page"
like "$BODY" "unsubscribed from all marketing" "the page says all marketing"
run "$MAILOUT" --json contact show ivan@example.com
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["topics"]["news"]["state"], c["topics"]["offers"]["state"], c["objected_since"] is not None)')" \
    "objected objected True" "contact show: every topic objected"
post "$(url ivan)" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'unsubscribe=all'
is "$CODE|$(nkind ivan objected)" "200|1" "a repeat: 200, still one objection"

# --- a token issued 59 days ago still works (R-US-1, R-CA-4) ---
U=$(url jane)
h=$(printf '%s' "${U##*/}" | sha256sum | cut -d' ' -f1)
sql "UPDATE unsubscribe_tokens SET created_at = now() - interval '59 days' WHERE token_sha256 = '$h'" > /dev/null
oneclick "$U"
is "$CODE|$(nkind jane withdrawn)" "200|1" "a one-click with a 59-day-old token unsubscribes"

# --- one_click_scope all: a one-click is an objection ---
run "$MAILOUT" policy set DE one_click_scope all
is "$RC" 0 "policy set DE one_click_scope all"
oneclick "$(url kurt)"
is "$CODE|$(last kurt objected)|$(nkind kurt withdrawn)" "200|* one_click $(msgid kurt) 127.0.0.1|0" \
    "one-click under scope all: objected, channel one_click"
like "$BODY" "unsubscribed from all marketing" "and the page says so"
is "$(sql "SELECT note FROM consent_events WHERE contact_id = $(cid kurt) AND kind = 'objected'")" \
    "one_click_scope all" "the event notes the scope"
"$MAILOUT" policy set DE one_click_scope topic > /dev/null

# --- preferences: a switch off withdraws, a switch on starts double opt-in ---
U=$(url lena)
P=$(curl -s --max-time 10 "$U")
like "$P" 'id="topic-offers" checked' "lena's page: offers on"
like "$P" 'id="topic-events">' "events offered, off"
like "$P" "name=\"consent_text.events\" value=\"$events_text\"" "with its consent text id"
like "$P" 'Invite me to events. I can unsubscribe at any time.' "and its consent text shown beside it"
before=$(events)
post "$U" -A 'Browser/3' -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary "save=preferences&topic=news&topic=events&consent_text.events=$events_text"
is "$CODE" 400 "switching a topic on without the age box: 400"
is "$(($(events) - before))" 0 "and nothing written"
post "$U" -A 'Browser/3' -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary "save=preferences&topic=news"
is "$CODE|$(last lena withdrawn)|$(nkind lena withdrawn)" "200|offers page $(msgid lena) 127.0.0.1|1" \
    "offers switched off: withdrawn offers, channel page; news kept"
like "$BODY" "Preferences saved" "the page says saved"
post "$U" -A 'Browser/3' -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary "save=preferences&topic=news&topic=events&consent_text.events=$events_text&age_confirmed=yes"
is "$CODE" 200 "events switched on with the age box: 200"
like "$BODY" "check your inbox" "the page asks to confirm by mail"
is "$(last lena requested)" "events page - 127.0.0.1" "a requested event for events, channel page"
is "$(sql "SELECT consent_text_id FROM consent_events WHERE contact_id = $(cid lena) AND kind = 'requested'")" \
    "$events_text" "with the consent text shown"
wait_mail lena@example.com 2
ok $? "the confirmation mail arrives"
is "$(nkind lena withdrawn)|$(nkind lena objected)" "1|0" "news stays on: nothing else changed"
like "$(curl -s --max-time 10 "$U")" 'id="topic-events" checked> Receive Event invitations</label> \(waiting for your confirmation\)' \
    "the page shows events waiting for confirmation"
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "save=preferences&topic=nosuch"
is "$CODE" 400 "a topic not on the page: 400"
post "$U" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "save=preferences&unsubscribe=all"
is "$CODE" 400 "fields of two forms at once: 400"

# --- the pause (ledger_pause: issue 10, h-pause) ---
# Until h-pause is merged ledger_pause() is a placeholder: 503 and nothing written.  With it,
# the pause is a 'paused' event and the next claim excludes the contact as 'paused'.
PAUSE_BUILT=$(sql "SELECT 'paused' = ANY (enum_range(NULL::consent_event_kind)::text[])")
before=$(events)
post "$(url mia)" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'pause=3'
if [ "$PAUSE_BUILT" = t ]; then
    is "$CODE" 200 "pause for 3 months: 200"
    like "$BODY" "for 3 months" "the page says for how long"
    is "$(last mia paused)" "* page $(msgid mia) 127.0.0.1" "a paused event, channel page"
    post "$(url mia)" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'pause=7'
    is "$CODE" 400 "a pause of 7 months is not on the page: 400"
else
    is "$CODE" 503 "pause before h-pause lands: 503 (ledger_pause is a placeholder)"
    is "$(($(events) - before))" 0 "and nothing written"
    ok 0 "# SKIP paused event: pausing is not built yet (h-pause)"
    post "$(url mia)" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'pause=7'
    is "$CODE" 400 "a pause of 7 months is not on the page: 400"
fi

# --- R-MBP-5: the next run and the next claim leave them out ---
run "$MAILOUT" campaign send spring
is "$RC" 0 "a second run of the campaign is built"
oneclick "$(url frank)" # after the run was built, before its claim
is "$CODE" 200 "frank unsubscribes after the run was built"
run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatch --once"
# campaign mails to NAME (not the confirmation mail)
ncampaign() { for f in $(mailtool to "$SMTP_MAILDIR" "$1@example.com"); do mailtool header "$f" Subject; done | grep -c '^Spring news$'; }
got=$(for p in $people; do [ "$(ncampaign "$p")" -gt 1 ] && echo "$p"; done | paste -sd ' ')
want="erin lena"
[ "$PAUSE_BUILT" = t ] || want="$want mia"
is "$got" "$want" "the second run mails only those who still receive news (anna, bob, ... left out)"
is "$(sql "SELECT q.state || ' ' || q.reason FROM send_queue q JOIN contacts c ON c.id = q.contact_id
           WHERE c.email_norm = 'frank@example.com' AND q.run_id = (SELECT max(id) FROM campaign_runs)")" \
    "excluded unsubscribed" "frank, unsubscribed after the run was built, is excluded at the claim"
is "$(sql "SELECT q.state FROM send_queue q JOIN contacts c ON c.id = q.contact_id
           WHERE c.email_norm = 'lena@example.com' AND q.run_id = (SELECT max(id) FROM campaign_runs)")" \
    "sent" "lena (news kept, offers switched off) is mailed"
if [ "$PAUSE_BUILT" = t ]; then
    run "$MAILOUT" campaign explain spring --contact mia@example.com --json
    is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["decision"], d["reason"])')" \
        "excluded paused" "campaign explain: mia is excluded as paused"
else
    ok 0 "# SKIP campaign explain: mia excluded as paused: pausing is not built yet (h-pause)"
fi

# --- /metrics ---
s0=$(metric mailout_unsubscribe_success_total)
u0=$(metric mailout_unsubscribe_unknown_total)
i0=$(metric mailout_unsubscribe_invalid_total)
like "$s0|$u0|$i0|$(metric mailout_unsubscribe_errors_total)" '^[0-9]+\|[0-9]+\|[0-9]+\|[0-9]+$' \
    "/metrics exposes the unsubscribe success, unknown, invalid and error counters"
oneclick "$(url anna)"
oneclick "$BASE/u/$flip${tok:1}"
post "$(url anna)" -H 'Content-Type: application/x-www-form-urlencoded' --data-binary 'x=1'
is "$(($(metric mailout_unsubscribe_success_total) - s0))|$(($(metric mailout_unsubscribe_unknown_total) - u0))|$(($(metric mailout_unsubscribe_invalid_total) - i0))" \
    "1|1|1" "one success, one unknown token and one invalid body are counted"

# --- HEAD, methods ---
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -X PUT "$(url anna)")" 405 "PUT: 405"
serve_sigterm
is "$SERVE_RC" 0 "mailout serve exits 0 on SIGTERM"
unlike "$(grep -E 'ERROR: AddressSanitizer|LeakSanitizer|runtime error' "$TMP/serve.log")" '.' \
    "the serve log has no sanitizer reports (leaks included)"
done_testing
