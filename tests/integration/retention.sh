#!/bin/bash
# retention.sh - storage limitation (R-GDPR-16, issue 13): `maintenance`
# erases contacts idle for contact_retention_months (no current consent,
# no order, activity, send or ledger event since, stored before), deletes
# web activity older than activity_retention (180d by default) and nulls
# SMTP replies older than reply_retention_months through
# redact_old_replies() (sql/0030).  Contacts: idle (created, consented,
# withdrawn, ordered and mailed 37-40 months ago) is erased; one with a
# recent order, one with a current consent, one with recent activity and
# one created recently stay.  `maintenance --dry-run` lists exactly the
# idle contact and the counts and changes nothing (pg_dump before and after
# identical); `maintenance` changes exactly the expired rows (a dump
# comparison per table), records the counts in the audit log, and `audit
# verify` stays green, while a reply nulled by hand (owner, triggers off)
# is still caught.  `run` runs maintenance itself.  Bad retention settings
# are refused naming the key.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp
command -v pg_dump > /dev/null || skip_all "pg_dump not installed"
plan 45

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
conf() {
    write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
        "from = news@shop.example" "legal_entity = ACME GmbH" "base_url = $BASE" \
        "listen = 127.0.0.1:$PORT" "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
        "privacy_url = https://shop.example/privacy" "suppression_key_file = $TMP/supp.key" "$@"
}
conf
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news=$("$MAILOUT" consent-text add news "$TMP/news.txt")

ago() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
M40=$(ago '-40 months')
M39=$(ago '-39 months')
M38=$(ago '-38 months')
M30=$(ago '-30 months')
M20=$(ago '-20 months')
D200=$(ago '-200 days')
D10=$(ago '-10 days')

# --- the contacts ----------------------------------------------------------
{
    echo "email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip"
    echo "idle@example.com,Ida Idle,DE,news,$M40,form,$news,192.0.2.1"
    echo "buyer@example.com,Bea Buyer,DE,,,,,"
    echo "loyal@example.com,Lou Loyal,DE,news,$M20,form,$news,192.0.2.2"
    echo "browser@example.com,Bro Wser,DE,,,,,"
    echo "fresh@example.com,Fre Sh,DE,,,,,"
} > "$TMP/contacts.csv"
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "five contacts imported"
id_of() { sql "SELECT id FROM contacts WHERE email_norm = '$1'"; }
idle=$(id_of idle@example.com)
buyer=$(id_of buyer@example.com)
loyal=$(id_of loyal@example.com)
browser=$(id_of browser@example.com)
fresh=$(id_of fresh@example.com)
is "$(sql "SELECT count(*) FROM consent_events WHERE contact_id = $idle AND occurred_at < now() - interval '39 months'")" 1 \
    "the import dates the consent when it was given (40 months ago)"

# a campaign to the consenting contacts: real send records with the sink's reply
printf 'Hello {{name}},\n\nnews.\n\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring news" --text "$TMP/body.txt" > /dev/null 2>&1
"$MAILOUT" segment create everyone --where "true" > /dev/null
"$MAILOUT" campaign create spring --topic news --template spring --segment everyone > /dev/null
"$MAILOUT" campaign send spring > /dev/null 2>&1
run "$MAILOUT" dispatch --once
is "$RC|$(sql "SELECT count(*) FROM send_records WHERE status = 'sent' AND smtp_reply IS NOT NULL")" "0|1" \
    "the campaign went to loyal (idle's consent lapsed unused), reply stored"
is "$(sql "SELECT kind FROM consent_events WHERE contact_id = $idle AND occurred_at > now() - interval '1 day'")" expired \
    "the run recorded the lapse (kind expired: no act of the person's, it does not count as activity)"
# quiet: a consent given 40 months ago, never withdrawn and (imported after the run) never lapsed in the ledger
printf 'email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip\nquiet@example.com,Qui Et,DE,news,%s,form,%s,192.0.2.3\n' \
    "$M40" "$news" > "$TMP/quiet.csv"
"$MAILOUT" contact import "$TMP/quiet.csv" > /dev/null
quiet=$(id_of quiet@example.com)
run_id=$(sql "SELECT max(run_id) FROM send_records")
# history back-dated by appending (never by editing: the chains stay valid):
# idle withdrew 38 months ago and was last mailed 39 months ago; loyal got
# a mail 30 months ago (its reply expires) and today's (it stays)
sql "INSERT INTO consent_events (contact_id, topic_id, kind, source, channel, actor, occurred_at)
     SELECT $idle, id, 'withdrawn', 'test', 'test', 'test', '$M38' FROM topics WHERE name = 'news'" > /dev/null
sql "INSERT INTO send_records (run_id, contact_id, message_id, basis, status, smtp_code, smtp_reply, occurred_at) VALUES
     ($run_id, $idle, '<old-idle@shop.example>', 'consent', 'sent', 250, '250 2.0.0 idle queued', '$M39'),
     ($run_id, $loyal, '<old-loyal@shop.example>', 'consent', 'sent', 250, '250 2.0.0 loyal old reply', '$M30')" > /dev/null
s_old=$(sql "SELECT id FROM send_records WHERE message_id = '<old-loyal@shop.example>'")
s_idle=$(sql "SELECT id FROM send_records WHERE message_id = '<old-idle@shop.example>'")
s_young=$(sql "SELECT id FROM send_records WHERE contact_id = $loyal AND occurred_at > now() - interval '1 day'")

printf 'sku,name,category\nP-1,Pump,pumps\n' > "$TMP/products.csv"
"$MAILOUT" product import "$TMP/products.csv" > /dev/null
printf 'order_id,email,sku,ordered_at,legal_entity\nO-1,idle@example.com,P-1,%s,ACME GmbH\nO-2,buyer@example.com,P-1,%s,ACME GmbH\n' \
    "$M39" "$D10" > "$TMP/orders.csv"
run "$MAILOUT" order import "$TMP/orders.csv"
is "$RC" 0 "an old order of idle, a recent one of buyer"
# activity (stored directly: the import needs a current tracking consent)
sql "INSERT INTO web_activity (contact_id, kind, item, at) VALUES
     ($browser, 'view', 'RECENT-BROWSER', '$D10'), ($loyal, 'view', 'OLD-LOYAL', '$D200'),
     ($loyal, 'download', 'RECENT-LOYAL', '$D10')" > /dev/null
# everyone but fresh was stored 40 months ago
sql "UPDATE contacts SET created_at = '$M40' WHERE id IN ($idle, $buyer, $loyal, $browser, $quiet)" > /dev/null

# a tombstone older than everything is not selected again
printf 'email\nghost@example.com\n' > "$TMP/ghost.csv"
"$MAILOUT" contact import "$TMP/ghost.csv" > /dev/null
"$MAILOUT" erase ghost@example.com > /dev/null 2>&1
sql "UPDATE contacts SET created_at = '$M40' WHERE source = 'erased'" > /dev/null

run "$MAILOUT" audit verify
is "$RC" 0 "the history verifies before maintenance"

# (pg_dump 17 frames its output with a random \restrict key)
dump() { pg_dump --data-only --no-owner mailout 2>&1 | grep -v '^\\\(un\)\?restrict ' > "$1"; }

# --- dry run ---------------------------------------------------------------
dump "$TMP/before.sql"
run "$MAILOUT" maintenance --dry-run
is "$RC" 0 "maintenance --dry-run exits 0"
like "$OUT" "would erase 1 contact idle for contact_retention_months \(36\):" "it would erase one contact"
is "$(printf '%s\n' "$OUT" | grep '^  contact ')" "  contact $idle idle@example.com" "the idle one, by id and address"
like "$OUT" "would delete 1 web activity row older than activity_retention" "one activity row (the default is 180d)"
like "$OUT" "would clear 2 SMTP replies older than reply_retention_months \(24, before 20" \
    "two replies (loyal's old one and idle's)"
run "$MAILOUT" maintenance --dry-run --json
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["dry_run"], d["contacts_erased"], [c["id"] for c in d["contacts"]], d["activity_deleted"], d["replies_cleared"], d["pending_deleted"])')" \
    "True 1 [$idle] 1 2 0" "--json: the same counts and the contact ids"
dump "$TMP/after_dry.sql"
ok "$(cmp -s "$TMP/before.sql" "$TMP/after_dry.sql")$?" "a dry run writes nothing (pg_dump --data-only identical)"

# --- maintenance -------------------------------------------------------------
nal=$(sql "SELECT count(*) FROM audit_log")
run "$MAILOUT" maintenance
is "$RC" 0 "maintenance exits 0"
like "$OUT" "erased 1 contact idle for contact_retention_months" "it says it erased one contact"
like "$OUT" "cleared 1 SMTP reply older than reply_retention_months" \
    "one reply cleared by the retention step (idle's went with the erasure)"
dump "$TMP/after.sql"
# per table: lines removed and added by maintenance (COPY rows), outside the
# audit log and the chains
diffs=$(/usr/bin/python3 - "$TMP/before.sql" "$TMP/after.sql" << 'PY'
import re, sys
def tables(path):
    t, cur = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r"COPY public\.(\w+) ", line)
        if m:
            cur = m.group(1); t[cur] = set(); continue
        if line.startswith("\\."):
            cur = None; continue
        if cur:
            t[cur].add(line.rstrip("\n"))
    return t
a, b = tables(sys.argv[1]), tables(sys.argv[2])
skip = {"audit_log", "chain_links", "chain_pending"}
out = []
for name in sorted(set(a) | set(b)):
    if name in skip:
        continue
    gone, new = a.get(name, set()) - b.get(name, set()), b.get(name, set()) - a.get(name, set())
    if gone or new:
        out.append("%s-%d+%d" % (name, len(gone), len(new)))
print(" ".join(out))
PY
)
is "$diffs" "consent_events-1+2 contacts-1+1 orders-1+0 retention_redactions-0+1 send_records-2+2 suppression-0+1 web_activity-1+0 webhook_outbox-0+1" \
    "the dump changes only in the expired rows: idle erased (ledger row nulled + objection, tombstone, order, suppression, erased webhook), one activity row, two replies (idle's, loyal's old one)"
is "$(sql "SELECT string_agg(item, ',' ORDER BY item) FROM web_activity")" "RECENT-BROWSER,RECENT-LOYAL" \
    "the activity row older than 180 days is gone, the others kept"
is "$(sql "SELECT string_agg(id::text || ':' || (smtp_reply IS NULL)::text, ',' ORDER BY id) FROM send_records WHERE id IN ($s_old, $s_idle, $s_young)")" \
    "$(printf '%s\n' "$s_old:true" "$s_idle:true" "$s_young:false" | sort -n | paste -sd,)" \
    "the replies older than 24 months are NULL, the young one kept"
is "$(sql "SELECT send_record_id FROM retention_redactions")" "$s_old" \
    "the retention step lists the reply it nulled"
is "$(sql "SELECT erased_at IS NOT NULL FROM contacts WHERE id = $idle")|$(sql "SELECT count(*) FROM contacts WHERE erased_at IS NULL")" \
    "t|5" "idle is a tombstone; buyer, loyal, quiet (unwithdrawn consent), browser and fresh stay"
is "$(sql "SELECT count(*) FROM suppression s JOIN contacts c ON c.addr_hmac = s.addr_hmac WHERE c.id = $idle")" 1 \
    "the erased address is suppressed (no re-import marketing)"
is "$(sql "SELECT action || '=' || (detail - 'host')::text FROM audit_log WHERE seq > $nal AND action LIKE 'maintenance.%' ORDER BY seq" | sed 's/"cutoff": "[^"]*"/"cutoff": C/')" \
    "$(printf '%s\n' 'maintenance.purge_pending={"deleted": 0, "retention_seconds": 604800}' \
        'maintenance.purge_activity={"deleted": 1, "retention_seconds": 15552000}' \
        'maintenance.erase_idle_contacts={"erased": 1, "skipped": 0, "retention_months": 36}' \
        'maintenance.purge_replies={"cutoff": C, "cleared": 1, "retention_months": 24}')" \
    "the audit log has one entry per step with its counts"
is "$(sql "SELECT count(*) FROM audit_log WHERE seq > $nal AND action = 'contact.erase' AND object = 'contact:$idle'")" 1 \
    "and the erasure's own entry"
is "$(sql "SELECT count(*) FROM audit_log WHERE seq > $nal AND detail::text ILIKE '%@example.com%'")" 0 \
    "no address in the audit log"
run "$MAILOUT" audit verify
is "$RC" 0 "audit verify stays green after maintenance"
[ "$RC" -eq 0 ] || diag "$ERR"

run "$MAILOUT" maintenance --json
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["dry_run"], d["contacts_erased"], d["activity_deleted"], d["replies_cleared"])')" \
    "False 0 0 0" "a second run finds nothing left"

# --- an open data-subject request holds the contact ---------------------------
printf 'email,name,country\nasker@example.com,Ask Er,DE\n' > "$TMP/asker.csv"
"$MAILOUT" contact import "$TMP/asker.csv" > /dev/null
asker=$(id_of asker@example.com)
sql "UPDATE contacts SET created_at = '$M40' WHERE id = $asker" > /dev/null
req=$("$MAILOUT" request add asker@example.com --kind access --json |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
run "$MAILOUT" maintenance --json
is "$RC|$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["contacts_erased"])')|$(sql "SELECT erased_at IS NULL FROM contacts WHERE id = $asker")" \
    "0|0|t" "an idle contact with an open access request is not erased before it is answered"
"$MAILOUT" request done "$req" > /dev/null
run "$MAILOUT" maintenance --json
is "$RC|$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["contacts_erased"])')" \
    "0|1" "once the request is done, retention erases it"

# --- two maintenance runs at once ---------------------------------------------
sql "UPDATE contacts SET created_at = '$M40' WHERE id = $fresh" > /dev/null
nal=$(sql "SELECT max(seq) FROM audit_log")
"$MAILOUT" maintenance --json > "$TMP/m1.json" 2> "$TMP/m1.err" &
p1=$!
"$MAILOUT" maintenance --json > "$TMP/m2.json" 2> "$TMP/m2.err" &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
is "$r1|$r2|$(/usr/bin/python3 -c 'import json,sys; print(sum(json.load(open(f))["contacts_erased"] for f in sys.argv[1:]))' "$TMP/m1.json" "$TMP/m2.json")" \
    "0|0|1" "two concurrent runs both succeed and erase the newly idle contact once between them"
is "$(sql "SELECT count(*) FROM audit_log WHERE seq > $nal AND action = 'contact.erase' AND object = 'contact:$fresh'")" 1 \
    "one erasure entry"
run "$MAILOUT" audit verify
is "$RC" 0 "audit verify green after concurrent runs"

# --- tampering -------------------------------------------------------------
createdb -T mailout tamper1
psql -X -q -v ON_ERROR_STOP=1 -d tamper1 -c "SET session_replication_role = replica; UPDATE send_records SET smtp_reply = NULL WHERE id = $s_young" > /dev/null 2>&1 ||
    diag "the tampering failed"
run "$MAILOUT" --db "host=$PG_DIR port=$PGPORT user=owner dbname=tamper1" audit verify
is "$RC" 65 "a reply nulled by hand (owner, triggers off) breaks verify"
like "$ERR" "send_records id $s_young \(send chain seq [0-9]+\): edited \(personal fields differ\)" "naming the row"
like "$(psql -X -q -d mailout -c "UPDATE retention_redactions SET cutoff = now()" 2>&1)" "append-only" \
    "the redaction list is append-only"
like "$(psql -X -q -d mailout -c "SET ROLE mailout_app; INSERT INTO retention_redactions (send_record_id, cutoff) VALUES ($s_young, now())" 2>&1)" \
    "permission denied" "and mailout_app cannot add to it"
like "$(psql -X -q -d mailout -c "SELECT redact_old_replies(now(), 10)" 2>&1)" "at least a month in the past" \
    "redact_old_replies refuses a cutoff that is no retention period"

# --- configuration -----------------------------------------------------------
for bad in "contact_retention_months = 0" "contact_retention_months = 1201" "reply_retention_months = -3" \
    "maintenance_interval = 10s"; do
    conf "$bad"
    run "$MAILOUT" maintenance --dry-run
    is "$RC|$(printf '%s' "$ERR" | grep -c "${bad%% *}")" "65|1" "'$bad' is refused naming the key"
done

# --- run does it ---------------------------------------------------------------
conf "reply_retention_months = 1"
nal=$(sql "SELECT max(seq) FROM audit_log")
"$MAILOUT" run > "$TMP/run.log" 2>&1 &
RPID=$!
BG_PIDS="$BG_PIDS $RPID"
for _ in $(seq 1 300); do
    [ "$(sql "SELECT count(*) FROM audit_log WHERE seq > $nal AND action = 'maintenance.purge_replies'")" = 1 ] && break
    kill -0 "$RPID" 2> /dev/null || break
    sleep 0.2
done
is "$(sql "SELECT actor || ' ' || (detail->>'retention_months') FROM audit_log WHERE seq > $nal AND action = 'maintenance.purge_replies'")" \
    "maintenance 1" "run runs maintenance (actor maintenance, its configuration)"
kill -TERM "$RPID"
wait "$RPID"
is "$?" 0 "run stops cleanly"
like "$(cat "$TMP/run.log")" "maintenance: pending=0 activity=0 contacts_erased=0 replies_cleared=0" \
    "and logs the counts"
run "$MAILOUT" audit verify
is "$RC" 0 "audit verify green at the end"
done_testing
