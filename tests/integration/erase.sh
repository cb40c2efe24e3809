#!/bin/bash
# erase.sh - `mailout erase EMAIL` (GDPR Art. 17, R-GDPR-9, R-GDPR-10)
# through the SECURITY DEFINER function erase_contact() owned by
# mailout_eraser.  A contact with a name, a custom attribute, tracking
# consent and activity, an order, a double opt-in confirmed over HTTP with a
# distinctive User-Agent, a sent campaign and CRM webhooks is erased; then a
# data-only dump of the whole database holds neither the address (in any
# case), the name, the attribute value, the user agent nor the proof IP;
# the receiver gets an 'erased' event without the address; the tombstone is
# never selected again, a re-import counts it as suppressed, erasing again
# says so and exits 0, an unknown address exits 66.  The append-only
# guards: mailout_app cannot UPDATE history even with mailout.erasure=on,
# the owner's UPDATE with mailout.erasure=on is refused by the trigger, and
# mailout_eraser itself may only set the personal columns to NULL.
. "${top_srcdir:-.}/tests/integration/lib.sh"

HOOK_PORT=$(free_port)
HOOK_LOG="$TMP/hook.log"
printf 'whsec-%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$TMP/hook.secret"
chmod 600 "$TMP/hook.secret"
echo ok > "$TMP/hook.mode"
: > "$HOOK_LOG"
/usr/bin/python3 "$SRCDIR/tests/integration/webhook_receiver.py" --port "$HOOK_PORT" \
    --secret-file "$TMP/hook.secret" --log "$HOOK_LOG" --mode-file "$TMP/hook.mode" \
    > "$TMP/receiver.out" 2>&1 &
BG_PIDS="$BG_PIDS $!"
for _ in $(seq 1 50); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $HOOK_PORT), 0.2)" 2> /dev/null && break
    sleep 0.1
done
setup_newsletter "webhook_url = http://127.0.0.1:$HOOK_PORT/hooks/mailout" \
    "webhook_secret_file = $TMP/hook.secret" "webhook_timeout = 3s" "webhook_backoff_base = 1s" \
    "contact_attributes = favourite" "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin"
plan 61

ADDR='Zoe.Quux-Erasure@Example.COM'
LOWER='zoe.quux-erasure@example.com'
NAME='Zoe Quuxleigh-Erasure'
ATTR='ultramarine-orchid-7431'
UA='ErasureProbeAgent/9.7 (distinctive; X11)'
PROOF_IP='198.51.100.77'

post() { # post PATH DATA: with the distinctive User-Agent
    CODE=$(curl -s --max-time 10 -A "$UA" -o "$TMP/body" -w '%{http_code}' --data "$2" "$BASE$1")
}
hooklog() {
    /usr/bin/python3 -c "import json,sys
log = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
$1" "$HOOK_LOG"
}
wait_log() { # wait_log PY-CONDITION: until some receiver line L makes it true (30 s)
    local deadline=$((SECONDS + 30))
    until [ "$(hooklog "print(any($1 for L in log))")" = True ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}
json_get() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
dump() { pg_dump --data-only --no-owner mailout 2>&1; }
# leak NEEDLE: the lines of the dump holding NEEDLE, any case
leak() { dump | grep -iF -- "$1"; }

# --- a contact with everything ---------------------------------------------
printf 'I agree that my viewed products and downloads are used for offers. I can withdraw at any time.\n' > "$TMP/tracking.txt"
tracking_text=$("$MAILOUT" consent-text add tracking "$TMP/tracking.txt")
cat > "$TMP/contacts.csv" << CSV
email,name,country,favourite,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
$ADDR,$NAME,DE,$ATTR,tracking,2026-01-01T10:00:00Z,web form,$tracking_text,$PROOF_IP
other@example.com,Other Person,DE,plain,,,,,
CSV
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported with a name, an attribute and tracking consent"
cid=$(sql "SELECT id FROM contacts WHERE email_norm = '$LOWER'")

printf 'sku,name,category\nP-100,Pump 100,pumps\n' > "$TMP/products.csv"
"$MAILOUT" product import "$TMP/products.csv" > /dev/null
printf 'order_id,email,sku,ordered_at,legal_entity\nZ-1,%s,P-100,2026-01-10T10:00:00Z,ACME GmbH\n' "$ADDR" > "$TMP/orders.csv"
run "$MAILOUT" order import "$TMP/orders.csv"
is "$RC" 0 "an order of the contact imported"
printf 'email,kind,item,at\n%s,view,P-100,%s\n' "$ADDR" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$TMP/activity.csv"
run "$MAILOUT" activity import "$TMP/activity.csv"
is "$RC" 0 "activity of the contact imported"

post /subscribe "email=$ADDR&topic=news&consent_text=$NEWS_TEXT&age_confirmed=yes"
is "$CODE" 200 "subscribe over HTTP"
wait_mail "$LOWER" || wait_mail "$ADDR" || diag "no confirmation mail"
link=$(mailtool link "$( (mailtool to "$SMTP_MAILDIR" "$ADDR"; mailtool to "$SMTP_MAILDIR" "$LOWER") | tail -n 1)")
post "/confirm/${link##*/}" "confirm=yes"
is "$CODE" 200 "confirmed over HTTP with the distinctive User-Agent"
is "$(sql "SELECT count(*) FROM consent_events WHERE contact_id = $cid AND user_agent = '$UA'")" 2 \
    "the ledger holds the user agent (request and confirmation) before erasure"

printf 'Hello {{name}},\n\nnews.\n\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add monthly --subject "News for {{name}}" --text "$TMP/body.txt" > /dev/null
"$MAILOUT" segment create everyone --where "country IS NULL OR country != 'JP'" > /dev/null
"$MAILOUT" campaign create monthly --topic news --template monthly --segment everyone > /dev/null
run "$MAILOUT" campaign send monthly
is "$RC" 0 "campaign built"
[ "$RC" -eq 0 ] || diag "$ERR"
run "$MAILOUT" dispatch --once
is "$RC" 0 "campaign dispatched"
is "$(sql "SELECT count(*) FROM send_records WHERE contact_id = $cid AND smtp_reply IS NOT NULL")" 1 \
    "a send record with its SMTP reply"
wait_log "L['event'] == 'confirmed' and L['contact_id'] == $cid" || diag "no confirmed webhook"
is "$(hooklog "print(sum(1 for L in log if L['event'] == 'confirmed' and '$LOWER' in L['body'].lower()))")" 1 \
    "the CRM got the confirmation with the address (before erasure)"
run "$MAILOUT" segment count everyone --json
before_count=$(printf '%s' "$OUT" | json_get 'd["count"]')
# a pending payload naming the address (serve, the deliverer, is stopped):
# kept for the CRM, but stripped by the erasure
serve_stop
run "$MAILOUT" unsubscribe "$ADDR" --topic news
is "$(sql "SELECT count(*) FROM webhook_outbox WHERE contact_id = $cid AND delivered_at IS NULL AND payload ? 'email'")" 1 \
    "a withdrawal naming the address waits in the outbox"
like "$(leak "$LOWER" | head -n 1)" . "before erasure the dump holds the address"

# --- erase -------------------------------------------------------------------
# as the application role: it may only EXECUTE erase_contact()
{ cat "$TMP/mailout.conf"; echo "db_role = mailout_app"; } > "$TMP/app.conf"
run "$MAILOUT" --config "$TMP/app.conf" erase "$ADDR"
is "$RC" 0 "erase exits 0 (as mailout_app)"
[ "$RC" -eq 0 ] || diag "$ERR"
like "$OUT" "contact $cid erased" "erase says which contact"
for needle in "$LOWER" "$NAME" "$ATTR" "$UA" "$PROOF_IP"; do
    got=$(leak "$needle")
    is "$got" "" "the dump holds no '$needle' after erasure"
done
hmac=$(suppress_hash "$TMP/supp.key" "$LOWER")
is "$(sql "SELECT (erased_at IS NOT NULL) || ' ' || (email IS NULL) || ' ' || attrs::text || ' ' || addr_hmac FROM contacts WHERE id = $cid")" \
    "true true {} $hmac" "the contact is a tombstone with only its keyed hash"
is "$(sql "SELECT reason FROM suppression WHERE addr_hmac = '$hmac'")" erased "the keyed hash is suppressed (erased)"
is "$(sql "SELECT count(*) FROM orders WHERE contact_id = $cid")|$(sql "SELECT count(*) FROM web_activity WHERE contact_id = $cid")|$(sql "SELECT count(*) FROM doi_requests WHERE contact_id = $cid")|$(sql "SELECT count(*) FROM unsubscribe_tokens WHERE contact_id = $cid")" \
    "0|0|0|0" "orders, activity, requests and tokens are gone"
is "$(sql "SELECT count(*) FROM consent_events WHERE contact_id = $cid AND (email_entered IS NOT NULL OR ip IS NOT NULL OR user_agent IS NOT NULL)")|$(sql "SELECT count(*) FROM send_records WHERE contact_id = $cid AND smtp_reply IS NULL")" \
    "0|1" "history rows stay with their personal columns NULL"
is "$(sql "SELECT actor LIKE 'cli:%' AND object = 'contact:$cid' AND detail ? 'consent_events' FROM audit_log WHERE action = 'contact.erase'")" t \
    "one audit entry contact.erase with the contact id and counts"
# the withdrawal held back above goes out now, without the address, then the erasure
start_serve
wait_log "L['event'] == 'erased' and L['contact_id'] == $cid" || diag "no erased webhook"
is "$(hooklog "print(sum(1 for L in log if L['event'] == 'withdrawn' and L['contact_id'] == $cid and '$LOWER' not in L['body'].lower()))")" 1 \
    "the withdrawal pending at erasure reached the CRM without the address"
is "$(hooklog "print(sum(1 for L in log if L['event'] == 'erased' and L['sig_ok'] and '$LOWER' not in L['body'].lower() and 'email' not in json.loads(L['body'])))")" 1 \
    "the CRM got one signed 'erased' event without the address"
# the erased rows were sealed while they still held the personal data
is "$(sql "SELECT count(*) FROM consent_events e WHERE e.contact_id = $cid AND NOT EXISTS (SELECT 1 FROM chain_links l WHERE l.chain = 'consent' AND l.row_id = e.id)")|$(sql "SELECT count(*) FROM chain_links l JOIN send_records r ON r.id = l.row_id WHERE l.chain = 'send' AND r.contact_id = $cid")" \
    "0|1" "every ledger row and the send record of the erased contact are in their chains"
run "$MAILOUT" audit verify
is "$RC" 0 "audit verify stays green after the erasure"
[ "$RC" -eq 0 ] || diag "$ERR"
# (chain.sh shows that the same edits on a live contact's rows are caught)

# --- the tombstone is never selected again --------------------------------
run "$MAILOUT" contact show "$ADDR"
is "$RC" 66 "contact show of the erased address exits 66"
run "$MAILOUT" segment count everyone --json
is "$(printf '%s' "$OUT" | json_get 'd["count"]')" $((before_count - 1)) "segment count leaves the tombstone out"
run "$MAILOUT" campaign explain monthly --json
is "$(printf '%s' "$OUT" | json_get 'd["total"]')" $((before_count - 1)) "campaign explain leaves the tombstone out"
run "$MAILOUT" campaign explain monthly --contact "$ADDR"
is "$RC" 66 "campaign explain --contact of the erased address exits 66"
run "$MAILOUT" campaign send monthly
is "$(sql "SELECT count(*) FROM send_queue q WHERE q.contact_id = $cid AND q.run_id = (SELECT max(id) FROM campaign_runs)")" 0 \
    "a new campaign run does not queue the tombstone"
is "$(sql "SELECT count(*) FROM campaign_run_decisions WHERE contact_id = $cid AND run_id = (SELECT max(id) FROM campaign_runs)")" 0 \
    "nor decide about it"
run "$MAILOUT" contact import "$TMP/contacts.csv"
like "$OUT" "suppressed 1" "a re-import counts the erased address as suppressed"
is "$(sql "SELECT count(*) FROM contacts WHERE addr_hmac = '$hmac'")|$(leak "$NAME")" "1|" \
    "the re-import does not bring the person back"
run "$MAILOUT" erase "$ADDR"
is "$RC:$OUT" "0:contact $cid: already erased" "erase again: already erased, exit 0"
run "$MAILOUT" erase nobody-here@example.com
is "$RC" 66 "unknown address exits 66"
like "$ERR" "no contact with address 'nobody-here@example.com'" "unknown address named"
run "$MAILOUT" erase 'not an address'
is "$RC" 65 "invalid address exits 65"

# --- the doors of history -------------------------------------------------------
ev=$(sql "SELECT min(id) FROM consent_events")
psql_err() { psql -X -q -v ON_ERROR_STOP=1 -At -c "$1" 2>&1 > /dev/null; }
like "$(psql_err "SET ROLE mailout_app; SET mailout.erasure = on; UPDATE consent_events SET user_agent = NULL WHERE id = $ev")" \
    "permission denied" "mailout_app cannot UPDATE consent_events even with mailout.erasure=on"
like "$(psql_err "SET mailout.erasure = on; UPDATE consent_events SET user_agent = NULL WHERE id = $ev")" \
    "consent_events is append-only: UPDATE refused" "the owner's UPDATE with mailout.erasure=on is refused by the trigger"
like "$(psql_err "SET mailout.erasure = on; UPDATE send_records SET smtp_reply = NULL")" \
    "send_records is append-only: UPDATE refused" "the same for send_records"
like "$(psql_err "SET ROLE mailout_eraser; UPDATE consent_events SET note = 'x' WHERE id = $ev")" \
    "permission denied" "mailout_eraser has no privilege on non-personal columns"
like "$(psql_err "BEGIN; GRANT UPDATE ON consent_events TO mailout_eraser; SET ROLE mailout_eraser; UPDATE consent_events SET note = 'x' WHERE id = $ev")" \
    "erasure may change only email_entered, ip, user_agent" "the trigger refuses mailout_eraser a non-personal column"
like "$(psql_err "SET ROLE mailout_eraser; UPDATE consent_events SET user_agent = 'forged' WHERE id = $ev")" \
    "erasure may only set email_entered, ip, user_agent to NULL" "the trigger refuses mailout_eraser a new personal value"
like "$(psql_err "SET ROLE mailout_eraser; DELETE FROM consent_events WHERE id = $ev")" \
    "permission denied|append-only" "mailout_eraser cannot DELETE history"
like "$(psql_err "SELECT erase_contact((SELECT id FROM contacts WHERE email_norm = 'other@example.com'), repeat('0', 64), 'x')" | head -n 1)" . "erase_contact refuses a hash that is not the contact's"
is "$(sql "SELECT proname || ' ' || pg_get_userbyid(proowner) || ' ' || prosecdef FROM pg_proc WHERE proname = 'erase_contact'")|$(sql "SELECT has_function_privilege('mailout_app', 'erase_contact(bigint,text,text)', 'EXECUTE')")|$(sql "SELECT has_function_privilege('public', 'erase_contact(bigint,text,text)', 'EXECUTE')")" \
    "erase_contact mailout_eraser true|t|f" "erase_contact: SECURITY DEFINER, owned by mailout_eraser, EXECUTE for mailout_app only"

# --- unsealed history: the function waits for the chain sealer ----------------
serve_stop # no background sealer from here on: the pending rows below stay pending
# (chain_pending comes with the hash chains, sql/0025; stood in for when absent)
made_pending=$(sql "SELECT to_regclass('chain_pending') IS NULL")
[ "$made_pending" = t ] && sql "CREATE TABLE chain_pending (chain text NOT NULL, row_id bigint NOT NULL, PRIMARY KEY (chain, row_id)); GRANT SELECT, INSERT ON chain_pending TO mailout_eraser" > /dev/null
run "$MAILOUT" subscribe pending@example.com --topic news --age-confirmed
pcid=$(sql "SELECT id FROM contacts WHERE email_norm = 'pending@example.com'")
sql "INSERT INTO chain_pending (chain, row_id) SELECT 'consent', id FROM consent_events WHERE contact_id = $pcid ON CONFLICT DO NOTHING" > /dev/null
like "$(psql_err "SELECT erase_contact($pcid, '$(suppress_hash "$TMP/supp.key" pending@example.com)', 'test')")" \
    "has history rows not yet sealed into the chain" "erase_contact refuses while the contact's rows wait for the chain"
is "$(sql "SELECT erased_at IS NULL FROM contacts WHERE id = $pcid")" t "nothing erased then"
[ "$made_pending" = t ] && sql "DROP TABLE chain_pending" > /dev/null
# the stand-in pending rows name rows already linked: gone again, or every
# later seal would try to link them twice
[ "$made_pending" = f ] && sql "DELETE FROM chain_pending p USING chain_links l WHERE l.chain = p.chain AND l.row_id = p.row_id" > /dev/null

# --- races (h-review) -----------------------------------------------------------
# Two erases of one address at once: both find the live contact, both wait on
# its row (held here by a reader), one erases, the other must then report the
# tombstone, not fail.  And a send record a dispatcher commits while the erase
# waits (SMTP reply quoting the address) must not survive the erasure.
lock_and_hold() { # lock_and_hold SQL: run SQL in a transaction until $TMP/release exists
    psql -X -q -At -v ON_ERROR_STOP=1 > /dev/null 2>&1 << SQL &
BEGIN;
$1;
RESET ROLE;
DO \$\$ BEGIN WHILE (pg_stat_file('$TMP/release', true)).size IS NULL LOOP PERFORM pg_sleep(0.1); END LOOP; END \$\$;
COMMIT;
SQL
    HOLD_PID=$!
    local deadline=$((SECONDS + 30)) # until it holds its lock and waits for the release
    until [ "$(sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'DO %release%' AND state = 'active' AND pid <> pg_backend_pid()")" = 1 ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
waiting_on_locks() { sql "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"; }
wait_waiters() { # wait_waiters N: until N sessions wait on a lock (30 s)
    local deadline=$((SECONDS + 30))
    until [ "$(waiting_on_locks)" -ge "$1" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
RACE='Race.Person@Example.COM'
run "$MAILOUT" subscribe "$RACE" --topic news --age-confirmed
rcid=$(sql "SELECT id FROM contacts WHERE email_norm = 'race.person@example.com'")
rm -f "$TMP/release"
lock_and_hold "SELECT 1 FROM contacts WHERE id = $rcid FOR SHARE"
"$MAILOUT" erase "$RACE" > "$TMP/e1.out" 2>&1 &
E1=$!
"$MAILOUT" erase "$RACE" > "$TMP/e2.out" 2>&1 &
E2=$!
wait_waiters 2
touch "$TMP/release"
wait "$HOLD_PID"
wait "$E1"; rc1=$?
wait "$E2"; rc2=$?
is "$rc1:$rc2" "0:0" "two concurrent erases of one address both exit 0"
like "$(cat "$TMP/e1.out" "$TMP/e2.out")" "already erased" "the one that lost the race reports the tombstone"
is "$(sql "SELECT count(*) FROM contacts WHERE id = $rcid AND erased_at IS NOT NULL")|$(sql "SELECT count(*) FROM audit_log WHERE action = 'contact.erase' AND object = 'contact:$rcid'")" \
    "1|1" "erased once, audited once"

RACE2='Late.Reply@Example.COM'
run "$MAILOUT" subscribe "$RACE2" --topic news --age-confirmed
lcid=$(sql "SELECT id FROM contacts WHERE email_norm = 'late.reply@example.com'")
anyrun=$(sql "SELECT min(id) FROM campaign_runs")
rm -f "$TMP/release"
# the dispatcher's record statement: a send record whose reply quotes the
# address, committed only after the erase has started waiting
lock_and_hold "SET ROLE mailout_app; INSERT INTO send_records (run_id, contact_id, basis, status, smtp_code, smtp_reply) VALUES ($anyrun, $lcid, 'consent', 'failed', 550, '550 5.1.1 <late.reply@example.com>: mailbox unavailable')"
"$MAILOUT" erase "$RACE2" > "$TMP/e3.out" 2>&1 &
E3=$!
wait_waiters 1
touch "$TMP/release"
wait "$HOLD_PID"
wait "$E3"; rc3=$?
is "$rc3" 0 "erase while a send record for the person is being committed: exit 0 (seals and retries)"
is "$(leak late.reply@example.com)" "" "the SMTP reply committed during the erase is not in the dump"
# a send record appended for the tombstone afterwards (a dispatcher that was
# in the SMTP session when erase ran) keeps no reply
sql "SET ROLE mailout_app; INSERT INTO send_records (run_id, contact_id, basis, status, smtp_code, smtp_reply) VALUES ($anyrun, $lcid, 'consent', 'bounced', 550, '550 <late.reply@example.com> gone')" > /dev/null
is "$(sql "SELECT count(*) FROM send_records WHERE contact_id = $lcid AND smtp_reply IS NOT NULL")|$(leak late.reply@example.com)" "0|" \
    "a send record written for the tombstone after the erasure is stored without its SMTP reply"
run "$MAILOUT" audit verify
is "$RC" 0 "audit verify stays green after the races"

# --- R-DOI-6: the person may subscribe again, as a new contact ---------------
start_serve
post /subscribe "email=$ADDR&topic=news&consent_text=$NEWS_TEXT&age_confirmed=yes"
is "$CODE" 200 "the erased address may start a new double opt-in"
is "$(sql "SELECT count(*) FILTER (WHERE erased_at IS NOT NULL AND email IS NULL) || ' ' || count(*) FILTER (WHERE erased_at IS NULL AND id <> $cid) FROM contacts WHERE addr_hmac = '$hmac'")" \
    "1 1" "the tombstone stays a tombstone; the new request is a new contact"
is "$(sql "SELECT reason FROM suppression WHERE addr_hmac = '$hmac'")" erased \
    "the address stays suppressed until the person confirms"

done_testing
