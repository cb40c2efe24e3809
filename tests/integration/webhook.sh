#!/bin/bash
# webhook.sh - the CRM webhook outbox delivered by `mailout serve` to a real
# receiver on loopback (webhook_receiver.py, which checks every signature
# and timestamp as a CRM should): a confirmation through double opt-in, an
# unsubscribe from one topic, an objection and a suppression all arrive, in
# order per contact, through a receiver that fails the first attempts; a
# 410 is a dead letter at once; max attempts make a dead letter that
# `webhook status` shows and `webhook retry` sends again; a hanging receiver
# times out while serve keeps answering; SIGTERM during a hanging POST stops
# serve promptly; kill -9 after the POST arrived and before it was recorded
# sends the same event again after the restart; bad webhook settings are
# refused when the configuration is loaded.
. "${top_srcdir:-.}/tests/integration/lib.sh"

SUPPRESS="${top_builddir:-.}/tests/integration/webhook_suppress"
HOOK_PORT=$(free_port)
HOOK_LOG="$TMP/hook.log"
HOOK_MODE="$TMP/hook.mode"
printf 'whsec-%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$TMP/hook.secret"
chmod 600 "$TMP/hook.secret"
echo ok > "$HOOK_MODE"
: > "$HOOK_LOG"
/usr/bin/python3 "$SRCDIR/tests/integration/webhook_receiver.py" --port "$HOOK_PORT" \
    --secret-file "$TMP/hook.secret" --log "$HOOK_LOG" --mode-file "$HOOK_MODE" \
    --fail-first 3 > "$TMP/receiver.out" 2>&1 &
BG_PIDS="$BG_PIDS $!"
for _ in $(seq 1 50); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $HOOK_PORT), 0.2)" 2> /dev/null && break
    sleep 0.1
done

HOOK_CONF=("webhook_url = http://127.0.0.1:$HOOK_PORT/hooks/mailout"
    "webhook_secret_file = $TMP/hook.secret" "webhook_timeout = 3s"
    "webhook_max_attempts = 4" "webhook_backoff_base = 1s")
setup_newsletter "${HOOK_CONF[@]}"
cp "$TMP/mailout.conf" "$TMP/good.conf"
plan 67

post() {
    CODE=$(curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' --data "$2" "$BASE$1")
    BODY=$(cat "$TMP/body")
}
mode() { echo "$1" > "$HOOK_MODE"; }
cid() { sql "SELECT id FROM contacts WHERE email_norm = '$1'"; }
# wait_sql QUERY EXPECTED [SECONDS]: until the query prints EXPECTED; 0, or 1 after SECONDS (default 30)
wait_sql() {
    local deadline=$((SECONDS + ${3:-30}))
    until [ "$(sql "$1")" = "$2" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}
# wait_log PY-CONDITION [SECONDS]: until some log line L makes the condition true
wait_log() {
    local deadline=$((SECONDS + ${2:-30}))
    until [ "$(hooklog "print(any($1 for L in log))")" = True ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
# hooklog PY: runs PY with log = the receiver's lines (dicts), in arrival order
hooklog() {
    /usr/bin/python3 -c "import json,sys
log = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
$1" "$HOOK_LOG"
}
json_get() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

printf 'email\nbob@example.com\ncarol@example.com\nerin@example.com\n' > "$TMP/contacts.csv"
run "$MAILOUT" contact import "$TMP/contacts.csv"
[ "$RC" -eq 0 ] || diag "$ERR"

# --- every kind of event, through a receiver that fails the first 3 attempts ---
post /subscribe "email=alice@example.com&topic=news&consent_text=$NEWS_TEXT&age_confirmed=yes"
wait_mail alice@example.com || diag "no confirmation mail"
link=$(mailtool link "$(mailtool to "$SMTP_MAILDIR" alice@example.com | tail -n 1)")
post "/confirm/${link##*/}" "confirm=yes"
is "$CODE" 200 "alice confirms through double opt-in"
run "$MAILOUT" unsubscribe alice@example.com --topic news
is "$RC" 0 "alice leaves the topic news"
run "$MAILOUT" unsubscribe bob@example.com --topic news
run "$MAILOUT" unsubscribe alice@example.com
is "$RC" 0 "alice objects to all marketing"
run "$SUPPRESS" alice@example.com admin
is "$RC" 0 "alice is suppressed (suppress_add)"
[ "$RC" -eq 0 ] || diag "$ERR"
alice=$(cid alice@example.com)
bob=$(cid bob@example.com)
first_five=$(sql "SELECT string_agg(id::text, ',' ORDER BY id) FROM webhook_outbox")
is "$(sql "SELECT string_agg(event || ':' || contact_id, ',' ORDER BY id) FROM webhook_outbox")" \
    "confirmed:$alice,withdrawn:$alice,withdrawn:$bob,objected:$alice,suppressed:$alice" \
    "five events queued in the outbox"
wait_sql "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL" 0 40
ok $? "all five delivered although the receiver failed the first three attempts"
is "$(hooklog "print(sum(1 for L in log if L['answer'] == 500))")" 3 "the receiver answered 500 three times"
is "$(hooklog "print(sorted({L['id'] for L in log if L['answer'] == 200}) == sorted(int(x) for x in '$first_five'.split(',')))")" \
    True "the receiver accepted every event"
is "$(hooklog "print(all(L['sig_ok'] and L['ts_ok'] for L in log))")" True \
    "every request carries a valid signature over timestamp and body, with a fresh timestamp"
is "$(hooklog "print(all(L['id_ok'] and L['ctype_ok'] for L in log))")" True \
    "every request: JSON with X-Mailout-Event-Id and X-Mailout-Event matching the body"
# in order per contact: a POST of id j comes only after every older id of that contact was accepted
is "$(hooklog "
accepted = set(); bad = []
ids = {}
for L in log:
    ids.setdefault(L['contact_id'], set()).add(L['id'])
for L in log:
    older = [i for i in ids[L['contact_id']] if i < L['id']]
    if any(i not in accepted for i in older): bad.append(L['id'])
    if L['answer'] == 200: accepted.add(L['id'])
print(bad)")" "[]" "in order per contact: no event before an older one of its contact was accepted"
is "$(hooklog "
bodies = {}
for L in log: bodies.setdefault(L['id'], set()).add(L['body'])
print(all(len(b) == 1 for b in bodies.values()), max(sum(1 for L in log if L['id'] == i) for i in bodies) > 1)")" \
    "True True" "an event sent again has the same id and the same body, byte for byte"
wd=$(sql "SELECT id FROM webhook_outbox WHERE event = 'withdrawn' AND contact_id = $alice")
is "$(hooklog "
d = json.loads([L for L in log if L['id'] == $wd][-1]['body'])
print(sorted(d), d['event'], d['topics'], d['email'], d['contact_id'] == $alice)")" \
    "['at', 'contact_id', 'email', 'event', 'id', 'topics'] withdrawn ['news'] alice@example.com True" \
    "the body is the payload with its keys plus the event id"
is "$(hooklog "print([json.loads(L['body'])['topics'] for L in log if L['event'] == 'objected'][-1])")" \
    "['*']" "an objection names all marketing"
is "$(hooklog "print(json.loads([L for L in log if L['event'] == 'suppressed'][-1]['body'])['reason'])")" \
    admin "a suppression carries its reason"
is "$(sql "SELECT sum(failures) || '|' || bool_and(last_status = 200)::int || '|' || count(*) FILTER (WHERE locked_by IS NOT NULL) FROM webhook_outbox")" \
    "3|1|0" "the outbox records the failed attempts, status 200 and no lease left"
run "$MAILOUT" webhook status --json
is "$(printf '%s' "$OUT" | json_get 'd["pending"], d["delivered"], d["dead"], d["failed_attempts"], d["oldest_pending_seconds"], d["configured"]')" \
    "0 5 0 3 None True" "webhook status --json: counts"
run "$MAILOUT" webhook status
like "$OUT" "delivered +5" "webhook status: delivered 5"
metrics=$(curl -s --max-time 5 "$BASE/metrics")
like "$metrics" "mailout_webhook_delivered_total 5" "/metrics: delivered"
like "$metrics" "mailout_webhook_failed_attempts_total 3" "/metrics: failed attempts"
like "$metrics" "mailout_webhook_pending 0" "/metrics: pending"
like "$metrics" "mailout_webhook_dead 0" "/metrics: dead"
run "$MAILOUT" --json contact show alice@example.com
is "$(printf '%s' "$OUT" | json_get '",".join("%s:%s:%s" % (w["event"], w["state"], w["last_status"]) for w in d["webhooks"])')" \
    "confirmed:delivered:200,withdrawn:delivered:200,objected:delivered:200,suppressed:delivered:200" \
    "contact show --json lists the contact's webhook deliveries"
is "$(printf '%s' "$OUT" | json_get 'all(w["delivered_at"] and w["attempts"] >= 1 and w["id"] > 0 for w in d["webhooks"])')" \
    True "with id, attempts and delivery time"
run "$MAILOUT" contact show alice@example.com
like "$OUT" "webhooks:" "contact show prints the webhook deliveries"
like "$OUT" "#$wd withdrawn delivered, [0-9]+ attempts?, last status 200, delivered 20" "one line per delivery"

# --- a 4xx is a dead letter at once -------------------------------------------
mode 410
posts_before=$(hooklog "print(len(log))")
run "$MAILOUT" unsubscribe bob@example.com
gone=$(sql "SELECT max(id) FROM webhook_outbox")
wait_sql "SELECT dead_at IS NOT NULL FROM webhook_outbox WHERE id = $gone" t 15
ok $? "a 410 makes a dead letter"
is "$(sql "SELECT attempts || '|' || last_status || '|' || (delivered_at IS NULL)::int FROM webhook_outbox WHERE id = $gone")" \
    "1|410|1" "at once: one attempt, status 410 kept"
sleep 1.5
is "$(hooklog "print(sum(1 for L in log if L['id'] == $gone))")" 1 "and it is not sent again"
like "$(sql "SELECT last_error FROM webhook_outbox WHERE id = $gone")" "^HTTP 410: .*test receiver says no" \
    "the receiver's answer is kept for the operator"

# --- max attempts: a dead letter; status shows it; a dead letter holds nothing back ---
mode 500
run "$MAILOUT" unsubscribe carol@example.com --topic news
spent=$(sql "SELECT max(id) FROM webhook_outbox")
wait_sql "SELECT dead_at IS NOT NULL FROM webhook_outbox WHERE id = $spent" t 30
ok $? "500 on every attempt: a dead letter after webhook_max_attempts"
is "$(sql "SELECT attempts || '|' || failures || '|' || last_status FROM webhook_outbox WHERE id = $spent")" \
    "4|4|500" "after exactly 4 attempts, the last status kept"
is "$(hooklog "print(sum(1 for L in log if L['id'] == $spent))")" 4 "the receiver saw 4 attempts"
is "$(hooklog "
t = [L['seq'] for L in log if L['id'] == $spent]
print(len(t))")" 4 "each a separate request"
run "$MAILOUT" webhook status --json
is "$(printf '%s' "$OUT" | json_get "d['dead'], sorted(x['id'] for x in d['dead_letters']) == sorted([$gone, $spent]), [x['last_status'] for x in d['dead_letters']]")" \
    "2 True [410, 500]" "webhook status --json lists both dead letters"
run "$MAILOUT" webhook status
like "$OUT" "dead +2" "webhook status: dead 2"
like "$OUT" "#$spent withdrawn contact $(cid carol@example.com), 4 attempts, dead since .*HTTP 500" \
    "webhook status lists the dead letter"
like "$(curl -s --max-time 5 "$BASE/metrics")" "mailout_webhook_dead 2" "/metrics: dead 2"
mode ok
run "$SUPPRESS" bob@example.com hard_bounce
later=$(sql "SELECT max(id) FROM webhook_outbox")
wait_sql "SELECT delivered_at IS NOT NULL FROM webhook_outbox WHERE id = $later" t 15
ok $? "bob's next event is delivered although his older one is a dead letter"

audits=$(sql "SELECT count(*) FROM audit_log WHERE action = 'webhook.retry'")
run "$MAILOUT" webhook retry --id 999999
is "$RC" 66 "webhook retry of an id that is no dead letter exits 66"
run "$MAILOUT" webhook retry
is "$RC|$OUT" "0|2 dead letters queued again" "webhook retry queues both"
is "$(sql "SELECT count(*) || '|' || max((detail->'ids')::text) FROM audit_log WHERE action = 'webhook.retry'")" \
    "$((audits + 1))|[$gone, $spent]" "audited once, with the ids"
wait_sql "SELECT count(*) FROM webhook_outbox WHERE delivered_at IS NULL" 0 20
ok $? "webhook retry redelivers the dead letters"
run "$MAILOUT" webhook status --json
is "$(printf '%s' "$OUT" | json_get 'd["dead"], d["pending"], d["delivered"]')" "0 0 8" "webhook status: nothing dead or pending"
run "$MAILOUT" webhook retry
is "$OUT" "no dead letters" "webhook retry with nothing dead says so"

# --- a hanging receiver: the attempt times out, serve keeps answering ----------
mode "hang 6"
run "$MAILOUT" unsubscribe carol@example.com
slow=$(sql "SELECT max(id) FROM webhook_outbox")
wait_log "L['id'] == $slow" 15
ok $? "the hanging receiver got the POST"
t0=$(date +%s%N)
health=$(curl -s --max-time 2 "$BASE/healthz")
ms=$((($(date +%s%N) - t0) / 1000000))
is "$health" ok "GET /healthz answers while the POST hangs"
[ "$ms" -lt 1000 ] || diag "healthz took ${ms} ms"
ok $([ "$ms" -lt 1000 ]; echo $?) "and at once (${ms} ms)"
wait_sql "SELECT attempts FROM webhook_outbox WHERE id = $slow" 1 10
like "$(sql "SELECT last_error || '|' || COALESCE(last_status::text, 'none') FROM webhook_outbox WHERE id = $slow")" \
    "[Tt]imed out.*\|none$" "the attempt failed with a timeout after webhook_timeout, no status"
mode ok
wait_sql "SELECT delivered_at IS NOT NULL FROM webhook_outbox WHERE id = $slow" t 15
ok $? "and the next attempt delivers it"

# --- SIGTERM while the receiver hangs: serve stops within the limit -------------
mode "hang 30"
run "$SUPPRESS" carol@example.com complaint
cut=$(sql "SELECT max(id) FROM webhook_outbox")
wait_log "L['id'] == $cut" 15
t0=$(date +%s%N)
serve_sigterm
ms=$((($(date +%s%N) - t0) / 1000000))
is "$SERVE_RC" 0 "SIGTERM during a hanging POST: serve exits 0"
ok $([ "$ms" -lt 5000 ]; echo $?) "within 5 s (${ms} ms)"
is "$(sql "SELECT attempts || '|' || (locked_by IS NULL)::int || '|' || (delivered_at IS NULL)::int FROM webhook_outbox WHERE id = $cut")" \
    "0|1|1" "the cut attempt is not counted and the event is free for the next deliverer"
mode ok
start_serve
wait_sql "SELECT delivered_at IS NOT NULL FROM webhook_outbox WHERE id = $cut" t 15
ok $? "after the restart it is delivered"

# --- kill -9 after the receiver got the POST, before it was recorded ------------
mode "recv-hang 30"
run "$MAILOUT" unsubscribe erin@example.com
lost=$(sql "SELECT max(id) FROM webhook_outbox")
wait_log "L['id'] == $lost and L['answer'] == 'recv-hang'" 15
ok $? "the receiver got the POST"
kill -9 "$SERVE_PID"
wait "$SERVE_PID" 2> /dev/null
SERVE_PID=
is "$(sql "SELECT (delivered_at IS NULL)::int || '|' || (locked_by IS NOT NULL)::int FROM webhook_outbox WHERE id = $lost")" \
    "1|1" "serve killed: the outcome was never recorded, the lease is still held"
mode ok
start_serve
wait_sql "SELECT delivered_at IS NOT NULL FROM webhook_outbox WHERE id = $lost" t 20
ok $? "after the restart the lease expires and the event is delivered"
is "$(hooklog "
b = [L['body'] for L in log if L['id'] == $lost]
print(len(b) >= 2, len(set(b)))")" "True 1" "sent again with the same id and the same body (the receiver dedupes by id)"
is "$(hooklog "print(all(L['sig_ok'] and L['ts_ok'] for L in log))")" True "every request of the run was signed"
serve_stop

# --- bad settings are refused when the configuration is loaded ---------------
cp "$TMP/good.conf" "$TMP/bad.conf"
sed -i "s|^webhook_url = .*|webhook_url = http://crm.example.com/hook|" "$TMP/bad.conf"
run "$MAILOUT" --config "$TMP/bad.conf" webhook status
is "$RC" 65 "a non-loopback http:// webhook_url is refused (exit 65)"
like "$ERR" "invalid value 'http://crm.example.com/hook' for key webhook_url: expected an https:// URL .*bad.conf:[0-9]+" \
    "naming the key, the file and the line"
grep -v '^webhook_secret_file' "$TMP/good.conf" > "$TMP/bad.conf"
run timeout 10 "$MAILOUT" --config "$TMP/bad.conf" serve
is "$RC" 65 "webhook_url without webhook_secret_file is refused"
like "$ERR" "webhook_url needs webhook_secret_file" "naming the missing key"
chmod 640 "$TMP/hook.secret"
run timeout 10 "$MAILOUT" serve
is "$RC" 65 "serve refuses a group-readable secret file"
like "$ERR" "readable by group or others.*webhook_secret_file" "naming the key"
chmod 600 "$TMP/hook.secret"
printf 'short\n' > "$TMP/short.secret"
chmod 600 "$TMP/short.secret"
sed "s|^webhook_secret_file = .*|webhook_secret_file = $TMP/short.secret|" "$TMP/good.conf" > "$TMP/bad.conf"
run timeout 10 "$MAILOUT" --config "$TMP/bad.conf" serve
is "$RC" 65 "serve refuses a secret shorter than 16 bytes"
is "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$BASE/healthz")" 000 "and did not start"

done_testing
