#!/bin/bash
# confirm_mail.sh - the confirmation mail is queued and sent after the
# answer: `mailout serve` against a relay that accepts, refuses (550), defers
# (451) or hangs; `mailout dispatch --once` without serve; the CLI's
# `subscribe` reporting the relay's answer; addresses stored and mailed in
# their normalised form; nothing stored for a refused request; a withdrawal
# or objection voids an older token and its queued mail.
. "${top_srcdir:-.}/tests/integration/lib.sh"
setup_newsletter "imprint_url = https://shop.example/imprint" "subscribe_ip_limit = 1000"
news=$NEWS_TEXT
"$MAILOUT" topic add offers --title "Special offers" > /dev/null
printf 'Send me special offers. I can unsubscribe at any time.\n' > "$TMP/offers.txt"
offers=$("$MAILOUT" consent-text add offers "$TMP/offers.txt")
plan 68

post() { # post PATH DATA: status in $CODE, body in $BODY
    CODE=$(curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' --data "$2" "$BASE$1")
    BODY=$(cat "$TMP/body")
}
get() {
    CODE=$(curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' "$BASE$1")
    BODY=$(cat "$TMP/body")
}
subscribe() { post /subscribe "email=$1&topic=news&consent_text=$news&age_confirmed=yes"; }
mails_to() { mailtool to "$SMTP_MAILDIR" "$1" | wc -l; }
token_of() { mailtool link "$(mailtool to "$SMTP_MAILDIR" "$1" | tail -n 1)" | sed 's,.*/,,'; }
# queue ADDR: state|attempts|last_code of the address's latest confirmation mail
queue() {
    sql "SELECT q.state || '|' || q.attempts || '|' || COALESCE(q.last_code::text, '')
           FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id
           JOIN contacts c ON c.id = r.contact_id WHERE c.email_norm = '$1' AND q.kind = 'confirm'
          ORDER BY r.id DESC LIMIT 1"
}
# wait_queue ADDR REGEX: until queue ADDR matches (20 s)
wait_queue() {
    local deadline=$((SECONDS + 20))
    until queue "$1" | grep -Eq -- "$2"; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}
state() { sql "SELECT cc.state FROM consent_current cc JOIN contacts c ON c.id = cc.contact_id JOIN topics t ON t.id = cc.topic_id WHERE c.email_norm = '$1' AND t.name = '$2'"; }
# everything a request could store
stored() {
    sql "SELECT (SELECT count(*) FROM contacts) || ' ' || (SELECT count(*) FROM doi_requests) || ' '
        || (SELECT count(*) FROM consent_events) || ' ' || (SELECT count(*) FROM confirm_mail_queue)
        || ' ' || (SELECT count(*) FROM audit_log)"
}
# relay [SINK-OPTIONS]: a fresh SMTP sink, and the configuration pointing at it
relay() {
    smtp_stop
    start_smtp "$@"
    sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$SMTP_PORT|" "$MAILOUT_CONFIG"
}
# no_relay: the configuration points at a port nobody listens on
no_relay() {
    smtp_stop
    sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$(free_port)|" "$MAILOUT_CONFIG"
}
restart_serve() {
    serve_stop
    start_serve
}
due_now() { sql "UPDATE confirm_mail_queue SET next_attempt_at = now() WHERE state = 'queued'" > /dev/null; }

# --- (a) the answer does not depend on the relay -----------------------------------
for mode in accept refuse hang; do
    case $mode in
    accept) relay ;;
    refuse) relay --refuse-all ;;
    hang) relay --sleep-rcpt 60 ;;
    esac
    restart_serve
    t0=$(date +%s%N)
    subscribe "same-$mode@example.com"
    t1=$(date +%s%N)
    printf '%s\n%s' "$CODE" "$BODY" > "$TMP/answer-$mode"
    ok "$([ $(((t1 - t0) / 1000000)) -lt 3000 ]; echo $?)" "relay that ${mode}s: POST /subscribe answers at once ($(((t1 - t0) / 1000000)) ms)"
    [ $mode = accept ] && { wait_mail same-accept@example.com; accepted=$(mails_to same-accept@example.com); }
    [ $mode = refuse ] && wait_queue same-refuse@example.com '^failed'
done
is "$(head -n1 "$TMP/answer-accept")" 200 "the answer is 200"
cmp -s "$TMP/answer-accept" "$TMP/answer-refuse"
ok $? "status and body are byte-for-byte the same when the relay refuses (550)"
cmp -s "$TMP/answer-accept" "$TMP/answer-hang"
ok $? "and when the relay hangs"
is "$accepted|$(queue same-refuse@example.com)" "1|failed|1|550" \
    "the accepted mail arrived, the refused one is recorded as failed with its code"
unlike "$(cat "$TMP/serve.log")" "same-refuse@example.com" "the log names no address"

# --- (b) a slow relay does not slow the pages; SIGTERM stops serve at once -----------
relay --sleep-rcpt 8
restart_serve
cat > "$TMP/probe.py" << 'EOF'
import sys, threading, time, urllib.parse, urllib.request
base, text = sys.argv[1], sys.argv[2]
posts = []
def subscribe(i):
    data = urllib.parse.urlencode({'email': 'slow%d@example.com' % i, 'topic': 'news',
                                   'consent_text': text, 'age_confirmed': 'yes'}).encode()
    t = time.monotonic()
    try:
        code = urllib.request.urlopen(base + '/subscribe', data, timeout=30).status
    except Exception as e:
        code = repr(e)
    posts.append((code, time.monotonic() - t))
threads = [threading.Thread(target=subscribe, args=(i,)) for i in range(12)]
for t in threads:
    t.start()
lat = []
while len(lat) < 120:
    t = time.monotonic()
    ok = urllib.request.urlopen(base + '/healthz', timeout=10).read() == b'ok\n'
    lat.append(time.monotonic() - t if ok else 99)
    time.sleep(0.02)
for t in threads:
    t.join()
lat.sort()
print('%d %d %.0f %.0f' % (len(lat), sum(1 for c, _ in posts if c == 200),
                          lat[int(len(lat) * 0.99) - 1] * 1000, max(d for _, d in posts) * 1000))
EOF
read -r probes posted p99 slowest <<< "$(/usr/bin/python3 "$TMP/probe.py" "$BASE" "$news")"
is "$posted" 12 "12 parallel subscribes answered 200 while the relay sleeps 8 s per RCPT"
ok "$([ "${slowest:-99999}" -lt 3000 ]; echo $?)" "none waited for the relay (slowest ${slowest} ms)"
ok "$([ "${probes:-0}" -ge 100 ] && [ "${p99:-99999}" -lt 100 ]; echo $?)" \
    "GET /healthz p99 over $probes probes: ${p99} ms (< 100 ms)"
# the sender is now inside a long SMTP session
deadline=$((SECONDS + 20))
until [ "$(sql "SELECT count(*) FROM confirm_mail_queue WHERE locked_by IS NOT NULL")" -gt 0 ] ||
    [ "$SECONDS" -ge "$deadline" ]; do sleep 0.2; done
ok "$([ "$(sql "SELECT count(*) FROM confirm_mail_queue WHERE locked_by IS NOT NULL")" -gt 0 ]; echo $?)" \
    "the sender holds a lease on the mails it is sending"
t0=$SECONDS
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
serve_rc=$?
SERVE_PID=
is "$serve_rc" 0 "serve exits 0 on SIGTERM while the relay hangs"
ok "$([ $((SECONDS - t0)) -le 6 ]; echo $?)" "within a few seconds ($((SECONDS - t0)) s)"
is "$(sql "SELECT count(*) FROM confirm_mail_queue WHERE locked_by IS NOT NULL")" 0 \
    "its leases are released: the mails are tried again"
unlike "$(grep -E 'AddressSanitizer|runtime error' "$TMP/serve.log")" '.' "no sanitizer reports"

# --- (c) the per-address limit counts mails queued, not delivered --------------------
relay --refuse-all
restart_serve
for i in 1 2 3 4; do
    [ "$i" = 4 ] && before=$(stored)
    subscribe lim@example.com
    printf '%s\n%s' "$CODE" "$BODY" > "$TMP/answer-lim-$i"
done
wait_queue lim@example.com '^failed'
is "$(sql "SELECT count(*) FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id JOIN contacts c ON c.id = r.contact_id WHERE c.email_norm = 'lim@example.com'")" \
    3 "three mails queued for one address although the relay refused them all"
is "$(stored)" "$before" "the 4th subscribe within 24 hours queues and stores nothing"
cmp -s "$TMP/answer-lim-1" "$TMP/answer-lim-4"
ok $? "and answers the same"

# --- (d) 4xx: retried with backoff, delivered after the relay recovers ---------------
relay --tempfail-rcpt 1
restart_serve
subscribe temp@example.com
wait_queue temp@example.com '^queued\|1\|451$'
is "$(queue temp@example.com)" "queued|1|451" "451: the mail stays queued, the code recorded"
is "$(sql "SELECT next_attempt_at > now() + interval '20 seconds' FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id JOIN contacts c ON c.id = r.contact_id WHERE c.email_norm = 'temp@example.com'")" \
    t "and is tried again only after a pause (backoff)"
is "$(mails_to temp@example.com)" 0 "nothing delivered yet"
due_now # the pause is over
wait_mail temp@example.com
is "$(mails_to temp@example.com)|$(queue temp@example.com)" "1|sent|2|250" \
    "the second attempt is delivered once the relay recovers"
like "$(sql "SELECT message_id FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id JOIN contacts c ON c.id = r.contact_id WHERE c.email_norm = 'temp@example.com'")" \
    '^[0-9a-f-]{36}@shop\.example$' "its Message-ID is recorded (the rule: UUID at the sender's domain)"
f=$(mailtool to "$SMTP_MAILDIR" temp@example.com)
is "$(mailtool header "$f" Auto-Submitted)" "auto-generated" "the mail says it is automatic"
tok=$(token_of temp@example.com)
post "/confirm/$tok" "confirm=yes"
is "$CODE|$(state temp@example.com news)" "200|confirmed" "(f) the link of a retried mail confirms"
wait_mail temp@example.com 2 # its receipt (receipt.sh), before the relay changes

# 5xx: recorded as failed with code and reply, never retried
relay --refuse-all
restart_serve
subscribe hard@example.com
wait_queue hard@example.com '^failed'
is "$(queue hard@example.com)" "failed|1|550" "550: recorded as failed with its code"
like "$(sql "SELECT last_reply FROM confirm_mail_queue q JOIN doi_requests r ON r.id = q.request_id JOIN contacts c ON c.id = r.contact_id WHERE c.email_norm = 'hard@example.com'")" \
    "Recipient address rejected" "and the relay's reply"
sql "UPDATE confirm_mail_queue SET next_attempt_at = now()" > /dev/null
sleep 2.5
is "$(queue hard@example.com)|$(grep -c 'RCPT <hard@example.com>' "$TMP/smtp.log")" "failed|1|550|1" \
    "and never tried again"
like "$(cat "$TMP/serve.log")" "confirmation mail refused request=[0-9]+ contact=[0-9]+ code=550" \
    "serve logs the refusal by ids"

# --- the CLI sends at once and reports the relay's answer ---------------------------
serve_stop
relay
run "$MAILOUT" subscribe cli-ok@example.com --topic news --age-confirmed
is "$RC|$OUT" "0|cli-ok@example.com: confirmation mail sent" "CLI: 'confirmation mail sent', exit 0"
is "$(mails_to cli-ok@example.com)|$(queue cli-ok@example.com)" "1|sent|1|250" "the mail is there"
relay --tempfail-rcpt 1
run "$MAILOUT" subscribe cli-temp@example.com --topic news --age-confirmed
is "$RC|$OUT" "75|cli-temp@example.com: confirmation mail queued" "CLI, relay says 451: queued, exit 75"
like "$ERR" "the relay said 451 4\.7\.1 .*stays queued" "with the relay's answer"
is "$(queue cli-temp@example.com)" "queued|1|451" "the mail stays queued for the sender"
relay --refuse-all
run "$MAILOUT" subscribe cli-hard@example.com --topic news --age-confirmed
is "$RC|$OUT" "65|cli-hard@example.com: confirmation mail refused" "CLI, relay says 550: refused, exit 65"
like "$ERR" "refused the confirmation mail: 550 5\.1\.1" "with the relay's answer"
no_relay
run "$MAILOUT" subscribe cli-down@example.com --topic news --age-confirmed
is "$RC|$OUT" "69|cli-down@example.com: confirmation mail queued" "CLI, relay unreachable: queued, exit 69"
like "$ERR" "stays queued for the sender" "and says so"
run "$MAILOUT" --json subscribe cli-down2@example.com --topic news --age-confirmed
like "$OUT" '"outcome": "queued"' "--json names the outcome"

# --- (e) dispatch --once works the queue without serve --------------------------------
relay
due_now # the pauses after the failed attempts are over
run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatch --once exits 0"
is "$(printf '%s\n' "$OUT" | head -n 1)" "confirmation mails: sent 3, deferred 0, failed 0, not sent 0" \
    "and sends what was queued (the 451 and the two unreachable ones)"
is "$(mails_to cli-temp@example.com)$(mails_to cli-down@example.com)$(mails_to cli-down2@example.com)" \
    111 "each queued mail arrives once"
run "$MAILOUT" dispatch --once
is "$(printf '%s\n' "$OUT" | head -n 1)" "confirmation mails: sent 0, deferred 0, failed 0, not sent 0" "a second run finds nothing due"
start_serve
tok=$(token_of cli-down@example.com)
post "/confirm/$tok" "confirm=yes"
is "$CODE|$(state cli-down@example.com news)" "200|confirmed" \
    "(f) the link in a mail sent by dispatch confirms (the token is derived again)"
wait_mail cli-down@example.com 2 # its receipt

# dispatch without --once: a worker until SIGTERM
serve_stop
no_relay
run "$MAILOUT" subscribe loop@example.com --topic news --age-confirmed
relay
due_now
"$MAILOUT" dispatch > "$TMP/dispatch.log" 2>&1 &
dpid=$!
wait_mail loop@example.com
is "$(mails_to loop@example.com)" 1 "dispatch (no --once) sends queued mails"
kill -TERM "$dpid"
wait "$dpid"
is "$?" 0 "and exits 0 on SIGTERM"
start_serve

# --- defect 4: normalised addresses, nothing stored for a refused request -------------
subscribe "idn%40b%C3%BCcher.example"
is "$CODE" 200 "POST /subscribe with idn@bücher.example: 200"
wait_mail idn@xn--bcher-kva.example
f=$(mailtool to "$SMTP_MAILDIR" idn@xn--bcher-kva.example)
is "$(grep -a -m1 '^X-Sink-Rcpt:' "$f" | tr -d '\r')|$(mailtool header "$f" To)" \
    "X-Sink-Rcpt: idn@xn--bcher-kva.example|idn@xn--bcher-kva.example" \
    "the mail goes to idn@xn--bcher-kva.example (envelope and To)"
is "$(sql "SELECT email FROM contacts WHERE email_norm = 'idn@xn--bcher-kva.example'")" \
    "idn@xn--bcher-kva.example" "and that is the address stored"
subscribe "%20space%40example.com"
is "$CODE" 200 "POST /subscribe with ' space@example.com': 200"
wait_mail space@example.com
is "$(sql "SELECT email FROM contacts WHERE email_norm = 'space@example.com'")|$(mailtool header "$(mailtool to "$SMTP_MAILDIR" space@example.com)" To)" \
    "space@example.com|space@example.com" "stored and mailed trimmed"
run "$MAILOUT" subscribe "Idn2@Bücher.example" --topic news --age-confirmed
is "$RC|$OUT" "0|Idn2@Bücher.example: confirmation mail sent" "CLI: Idn2@Bücher.example subscribes"
is "$(mailtool to "$SMTP_MAILDIR" Idn2@xn--bcher-kva.example | wc -l)|$(sql "SELECT email FROM contacts WHERE email_norm = 'idn2@xn--bcher-kva.example'")" \
    "1|Idn2@xn--bcher-kva.example" "mailed to Idn2@xn--bcher-kva.example (local part as given)"
run "$MAILOUT" subscribe " space2@example.com" --topic news --age-confirmed
is "$RC|$(mails_to space2@example.com)" "0|1" "CLI: ' space2@example.com' subscribes"
tok=$(token_of idn@xn--bcher-kva.example)
post "/confirm/$tok" "confirm=yes"
is "$CODE|$(state idn@xn--bcher-kva.example news)" "200|confirmed" "the IDN subscriber can confirm"
wait_mail idn@xn--bcher-kva.example 2 # its receipt

before=$(stored)
subscribe "not-an-address"
is "$CODE|$(stored)" "400|$before" "an invalid address over HTTP: 400, nothing stored"
run "$MAILOUT" subscribe "bad@@example.com" --topic news --age-confirmed
is "$RC|$(stored)" "65|$before" "over the CLI: exit 65, nothing stored"
post /subscribe "email=nobox%40example.com&topic=news&consent_text=$offers&age_confirmed=yes"
is "$CODE|$(stored)" "400|$before" "a consent text of another topic: 400, nothing stored"

mkdir -p "$TMP/data/templates/en"
cp -r "$SRCDIR/sql" "$TMP/data/"
cp "$SRCDIR"/templates/en/* "$TMP/data/templates/en/"
printf 'Subject: Confirm\n\nConfirm: {{confirm_url}}\nAnd see our sale: https://shop.example/sale\n' \
    > "$TMP/data/templates/en/confirm_mail.txt"
echo "data_dir = $TMP/data" >> "$MAILOUT_CONFIG"
run "$MAILOUT" subscribe adv@example.com --topic news --age-confirmed
is "$RC|$(stored)" "65|$before" "a confirmation template with an advertising link: exit 65, nothing stored"
like "$ERR" "only the confirm, privacy and imprint links are allowed" "and says why"
restart_serve
before=$(stored) # serve's start-up purge writes to the audit log
subscribe adv@example.com
is "$CODE|$(stored)|$(mails_to adv@example.com)" "400|$before|0" "over HTTP too: nothing stored, nothing sent"

printf 'Subject: Please confirm {{topics}}\n\nConfirm: {{confirm_url}}\n' \
    > "$TMP/data/templates/en/confirm_mail.txt"
"$MAILOUT" topic add crlf --title "Placeholder" > /dev/null
printf 'News. I can withdraw at any time.\n' > "$TMP/crlf.txt"
"$MAILOUT" consent-text add crlf "$TMP/crlf.txt" > /dev/null
sql "UPDATE topics SET title = E'News\\r\\nBcc: victim@example.com' WHERE name = 'crlf'" > /dev/null
before=$(stored)
run "$MAILOUT" subscribe crlf@example.com --topic crlf --age-confirmed
is "$RC|$(stored)" "65|$before" "a header value with CR LF (a topic title in the subject): exit 65, nothing stored"
like "$ERR" "header Subject may not contain a line break" "and says which header"
sed -i '$d' "$MAILOUT_CONFIG"
restart_serve

# --- defect 5: a withdrawal or objection voids an older token -------------------------
for how in "--topic news" ""; do
    a="void$([ -n "$how" ] && echo 1 || echo 2)@example.com"
    subscribe "$a"
    wait_mail "$a"
    tok=$(token_of "$a")
    # shellcheck disable=SC2086
    "$MAILOUT" unsubscribe "$a" $how > /dev/null 2>&1
    n=$(sql "SELECT count(*) FROM consent_events")
    get "/confirm/$tok"
    g=$CODE
    post "/confirm/$tok" "confirm=yes"
    is "$g|$CODE|$(sql "SELECT count(*) FROM consent_events")|$(state "$a" news)" \
        "410|410|$n|$([ -n "$how" ] && echo withdrawn || echo objected)" \
        "unsubscribe ${how:-(all marketing)} after the request: the older token answers 410 and records nothing"
done
subscribe void3@example.com
wait_mail void3@example.com
tok=$(token_of void3@example.com)
"$MAILOUT" unsubscribe void3@example.com --topic offers > /dev/null 2>&1
post "/confirm/$tok" "confirm=yes"
is "$CODE|$(state void3@example.com news)" "200|confirmed" \
    "a withdrawal of another topic does not void the request"
wait_mail void3@example.com 2 # its receipt

serve_stop
no_relay
run "$MAILOUT" subscribe void4@example.com --topic news --age-confirmed
"$MAILOUT" unsubscribe void4@example.com > /dev/null 2>&1
relay
due_now
run "$MAILOUT" dispatch --once
is "$(printf '%s\n' "$OUT" | head -n 1)|$(mails_to void4@example.com)|$(queue void4@example.com)" \
    "confirmation mails: sent 0, deferred 0, failed 0, not sent 1|0|cancelled|1|" \
    "the queued mail of a voided request is never sent"

done_testing
