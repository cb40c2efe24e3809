#!/bin/bash
# chain.sh - tamper evidence (issue 12): the consent ledger and the send
# records are hash-chained by the sealer (serve's background thread and the
# start of `audit verify`); `audit verify` checks those chains and the audit
# log.  Real history (import, double opt-in over HTTP, a campaign through
# the SMTP sink, a one-click unsubscribe) verifies intact and is sealed by
# serve while it runs.  Then, on a fresh copy of that database each time,
# the owner with triggers off (session_replication_role = replica) edits,
# deletes and inserts rows, and verify exits 65 naming the first broken
# entry.  An erasure (personal columns nulled, contacts.erased_at set)
# stays green; the same nulling on a live contact does not.  A column no
# list in chain.c classifies stops verify.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp
plan 59

SERVE_PORT=$(free_port)
BASE="http://127.0.0.1:$SERVE_PORT"
write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
    "from = ACME News <news@shop.example>" "legal_entity = ACME GmbH" \
    "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
    "listen = 127.0.0.1:$SERVE_PORT" "base_url = $BASE" \
    "privacy_url = https://shop.example/privacy" "suppression_key_file = $TMP/supp.key"
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Monthly newsletter" > /dev/null
printf 'Send me the monthly newsletter. I can withdraw my consent at any time.\n' > "$TMP/news.txt"
news=$("$MAILOUT" consent-text add news "$TMP/news.txt")

run "$MAILOUT" audit verify
is "$RC" 0 "verify of an almost empty database exits 0"

{
    echo "email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip"
    for p in anna bob carol dave; do
        echo "$p@example.com,${p^},DE,news,2026-06-01T10:00:00Z,form,$news,192.0.2.1"
    done
} > "$TMP/contacts.csv"
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported with consent (IP as proof)"
pending() { sql "SELECT count(*) FROM chain_pending"; }
is "$(pending)" 4 "each new ledger row is queued for sealing"

start_serve
post() { # post PATH DATA: status in $CODE
    CODE=$(curl -s --max-time 10 -o "$TMP/body" -w '%{http_code}' -A "ChainTest/1.0 (X11)" \
        --data "$2" "$BASE$1")
}
post /subscribe "email=zoe@example.com&topic=news&consent_text=$news&age_confirmed=yes"
is "$CODE" 200 "zoe subscribes over HTTP"
wait_mail zoe@example.com || diag "no confirmation mail"
tok=$(mailtool link "$(mailtool to "$SMTP_MAILDIR" zoe@example.com | tail -n 1)" | sed 's,.*/,,')
post "/confirm/$tok" "confirm=yes"
is "$CODE" 200 "and confirms"

printf 'Hello {{name}},\n\nnews.\n\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring news" --text "$TMP/body.txt" > /dev/null 2>&1
"$MAILOUT" segment create everyone --where "true" > /dev/null
"$MAILOUT" campaign create spring --topic news --template spring --segment everyone > /dev/null
"$MAILOUT" campaign send spring > /dev/null 2>&1
run "$MAILOUT" dispatch --once
is "$RC|$(sql "SELECT count(*) FROM send_records WHERE status = 'sent'")" "0|5" \
    "the campaign went to five recipients through the SMTP sink"
u=$(mailtool header "$(mailtool to "$SMTP_MAILDIR" bob@example.com | tail -n 1)" List-Unsubscribe |
    sed -E 's/^<([^>]*)>.*/\1/')
CODE=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --data "List-Unsubscribe=One-Click" "$u")
is "$CODE" 200 "bob unsubscribes by one click"
is "$(sql "SELECT count(*) FROM consent_events WHERE kind = 'withdrawn'")" 1 "the withdrawal is in the ledger"

# serve's sealer links everything appended while it runs (about once a second)
for _ in $(seq 1 100); do
    [ "$(pending)" = 0 ] && break
    sleep 0.2
done
is "$(pending)" 0 "serve's background sealer drained chain_pending"
nce=$(sql "SELECT count(*) FROM consent_events")
nsr=$(sql "SELECT count(*) FROM send_records")
is "$(sql "SELECT count(*) FROM chain_links WHERE chain = 'consent'")|$(sql "SELECT count(*) FROM chain_links WHERE chain = 'send'")" \
    "$nce|$nsr" "one link per ledger row and per send record"
serve_sigterm
is "$SERVE_RC" 0 "serve stops"

nal=$(sql "SELECT count(*) FROM audit_log")
run "$MAILOUT" audit verify
is "$RC" 0 "verify of the real history exits 0"
like "$OUT" "audit_log +$nal entries  head [0-9a-f]{64}" "it prints the audit log's entries and head hash"
like "$OUT" "consent +$nce entries  head $(sql "SELECT hash FROM chain_links WHERE chain = 'consent' ORDER BY seq DESC LIMIT 1")" \
    "the consent chain's entries and head hash"
like "$OUT" "send +$nsr entries  head [0-9a-f]{64}" "the send chain's"
run "$MAILOUT" audit verify --json
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["intact"], [(c["chain"], c["entries"]) for c in d["chains"]])')" \
    "True [('audit_log', $nal), ('consent', $nce), ('send', $nsr)]" "--json: intact, entries per chain"

# the rows the tampering hits
anna=$(sql "SELECT id FROM contacts WHERE email_norm = 'anna@example.com'")
e_anna=$(sql "SELECT id FROM consent_events WHERE contact_id = $anna ORDER BY id LIMIT 1")
e_anna_seq=$(sql "SELECT seq FROM chain_links WHERE chain = 'consent' AND row_id = $e_anna")
e_carol=$(sql "SELECT e.id FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.email_norm = 'carol@example.com' ORDER BY e.id LIMIT 1")
s_dave=$(sql "SELECT s.id FROM send_records s JOIN contacts c ON c.id = s.contact_id WHERE c.email_norm = 'dave@example.com'")
s_dave_seq=$(sql "SELECT seq FROM chain_links WHERE chain = 'send' AND row_id = $s_dave")
a2=$(sql "SELECT id FROM audit_log WHERE seq = 2")

# tamper NAME SQL: a fresh copy $DB of the database, SQL run there by the
# owner with triggers off, then `audit verify` on the copy ($RC, $ERR)
ncopy=0
tamper() {
    ncopy=$((ncopy + 1))
    DB=copy$ncopy
    createdb -T mailout "$DB" || diag "createdb $DB failed"
    psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "SET session_replication_role = replica; $2" > /dev/null 2>&1 ||
        diag "$1: the tampering failed"
    run "$MAILOUT" --db "host=$PG_DIR port=$PGPORT user=owner dbname=$DB" audit verify
    is "$RC" 65 "$1: verify exits 65"
}
esc() { printf '%s' "$1" | sed 's/[()]/\\&/g'; }

tamper "edit a consent event's occurred_at" \
    "UPDATE consent_events SET occurred_at = occurred_at - interval '1 year' WHERE id = $e_anna"
is "$ERR" "mailout: audit verify: consent_events id $e_anna (consent chain seq $e_anna_seq): edited (digest differs)" \
    "it names the ledger row, its chain position and the cause in one line"

tamper "edit a send record's status" "UPDATE send_records SET status = 'failed' WHERE id = $s_dave"
like "$ERR" "$(esc "send_records id $s_dave (send chain seq $s_dave_seq): edited (digest differs)")" \
    "it names the send record"

tamper "null the IP of a live contact's event" "UPDATE consent_events SET ip = NULL WHERE id = $e_anna"
like "$ERR" "$(esc "consent_events id $e_anna (consent chain seq $e_anna_seq): edited (personal fields differ)")" \
    "it names the row: personal fields differ"

tamper "null every personal column of a live contact" \
    "UPDATE consent_events SET ip = NULL, email_entered = NULL, user_agent = NULL WHERE contact_id = $anna"
like "$ERR" "consent_events id $e_anna .*personal fields differ" "not an erasure without the erasure mark"

tamper "delete a consent event" "DELETE FROM consent_events WHERE id = $e_carol"
like "$ERR" "consent_events id $e_carol \(consent chain seq [0-9]+\): deleted" "it names the deleted row"

tamper "delete a send record" "DELETE FROM send_records WHERE id = $s_dave"
like "$ERR" "$(esc "send_records id $s_dave (send chain seq $s_dave_seq): deleted")" "it names the deleted send"

tamper "insert a back-dated consent event" \
    "INSERT INTO consent_events (contact_id, topic_id, kind, occurred_at, recorded_at, source, channel, actor,
                                 consent_text_id, consent_text_sha256, note, ip)
     SELECT contact_id, topic_id, 'granted', '2024-01-01', '2024-01-01', source, channel, actor,
            consent_text_id, consent_text_sha256, 'import', ip FROM consent_events WHERE id = $e_carol"
new=$(psql -X -At -d "$DB" -c "SELECT max(id) FROM consent_events")
is "$ERR" "mailout: audit verify: consent_events id $new: inserted outside mailout (no chain link)" \
    "it names the inserted row"

tamper "edit an audit_log entry" "UPDATE audit_log SET object = 'other' WHERE seq = 2"
is "$ERR" "mailout: audit verify: audit_log seq 2 (id $a2): edited (hash differs)" "it names the audit entry"

tamper "edit an audit_log entry and recompute its hash" \
    "UPDATE audit_log SET object = 'other', hash = audit_log_hash(prev_hash, seq, at, actor, action, 'other', detail) WHERE seq = 2"
like "$ERR" "audit_log seq 3 .*does not follow seq 2 \(prev_hash differs\)" "the next entry no longer follows it"

tamper "delete an audit_log entry" "DELETE FROM audit_log WHERE seq = 2"
is "$ERR" "mailout: audit verify: audit_log seq 2: missing (entry deleted)" "it names the missing entry"

tamper "duplicate an audit_log entry" \
    "ALTER TABLE audit_log DROP CONSTRAINT audit_log_seq_key;
     INSERT INTO audit_log (seq, at, actor, action, object, detail, prev_hash, hash)
     SELECT seq, at, actor, action, object, detail, prev_hash, hash FROM audit_log WHERE seq = 2"
like "$ERR" "audit_log seq 2 \(id [0-9]+\): duplicate seq" "it names the duplicate"

tamper "delete a chain link" "DELETE FROM chain_links WHERE chain = 'consent' AND seq = 3"
is "$ERR" "mailout: audit verify: consent chain seq 3: missing (link deleted)" "it names the missing link"

tamper "delete the last link and its pending trace" \
    "DELETE FROM chain_links WHERE chain = 'send' AND seq = (SELECT max(seq) FROM chain_links WHERE chain = 'send')"
like "$ERR" "send_records id [0-9]+: inserted outside mailout" "its row is no longer linked"

tamper "edit a link's digest" "UPDATE chain_links SET digest = repeat('a', 64) WHERE chain = 'send' AND seq = 1"
like "$ERR" "send chain seq 1\): link edited \(hash differs\)" "a rewritten link is caught"

# erasure: mailout erase (erase_contact(), 0026) nulls exactly the personal
# columns of the person's rows and marks the contact; the chains stay valid
ncopy=$((ncopy + 1))
DB=copy$ncopy
createdb -T mailout "$DB"
run "$MAILOUT" --db "host=$PG_DIR port=$PGPORT user=owner dbname=$DB" erase anna@example.com
is "$(psql -X -At -d "$DB" -c "SELECT count(*) FROM consent_events WHERE contact_id = $anna AND ip IS NOT NULL")|$RC" "0|0" \
    "(mailout erase removed the erased contact's proof IP)"
run "$MAILOUT" --db "host=$PG_DIR port=$PGPORT user=owner dbname=$DB" audit verify
is "$RC" 0 "an erasure leaves verify green"
psql -X -q -d "$DB" -c "SET session_replication_role = replica;
    UPDATE consent_events SET occurred_at = occurred_at + interval '1 day' WHERE id = $e_anna" > /dev/null
run "$MAILOUT" --db "host=$PG_DIR port=$PGPORT user=owner dbname=$DB" audit verify
is "$RC|$ERR" "65|mailout: audit verify: consent_events id $e_anna (consent chain seq $e_anna_seq): edited (digest differs)" \
    "an erased contact's rows are still covered for everything else"

# a history column that chain.c does not classify stops verify by name
createdb -T mailout colcopy
psql -X -q -d colcopy -c "ALTER TABLE send_records ADD COLUMN rendered_to text" > /dev/null
run "$MAILOUT" --db "host=$PG_DIR port=$PGPORT user=owner dbname=colcopy" audit verify
ok "$([ "$RC" -ne 0 ] && echo 0 || echo 1)" "an unclassified column fails verify"
like "$ERR" "send_records column 'rendered_to' is not classified for the hash chain" "naming it"

# the append-only guard of the links, for the owner too
like "$(sql "DELETE FROM chain_links WHERE seq = 1")" "append-only" "chain_links refuses DELETE"
like "$(sql "UPDATE chain_links SET digest = digest")" "append-only" "and UPDATE"
like "$(sql "TRUNCATE chain_links")" "append-only" "and TRUNCATE"

# `mailout run` seals in the background too
"$MAILOUT" run > "$TMP/run.log" 2>&1 &
RUN_PID=$!
BG_PIDS="$BG_PIDS $RUN_PID"
for _ in $(seq 1 100); do
    [ "$(curl -s --max-time 2 "$BASE/healthz")" = ok ] && break
    sleep 0.1
done
"$MAILOUT" unsubscribe dave@example.com > /dev/null 2>&1
for _ in $(seq 1 100); do
    [ "$(pending)" = 0 ] && break
    sleep 0.2
done
is "$(pending)|$(sql "SELECT count(*) FROM consent_events")" "0|$(sql "SELECT count(*) FROM chain_links WHERE chain = 'consent'")" \
    "run's background sealer links a row appended while it runs"
kill -TERM "$RUN_PID"
wait "$RUN_PID"
is "$?" 0 "run stops"

# rows appended outside serve are sealed by verify itself
"$MAILOUT" unsubscribe carol@example.com > /dev/null 2>&1
is "$(pending)" 1 "a CLI unsubscribe is queued"
run "$MAILOUT" audit verify
is "$RC|$(pending)" "0|0" "verify seals it first and stays intact"

# the application role may seal and verify (grants in 0025)
echo "db_role = mailout_app" >> "$TMP/mailout.conf"
"$MAILOUT" unsubscribe anna@example.com > /dev/null 2>&1
run "$MAILOUT" audit verify
is "$RC|$(pending)" "0|0" "as mailout_app: verify seals and checks"

# a pending entry for a row already sealed (only by tampering) does not block sealing
sealed=$(sql "SELECT row_id FROM chain_links WHERE chain = 'consent' ORDER BY seq LIMIT 1")
sql "INSERT INTO chain_pending (chain, row_id) VALUES ('consent', $sealed)" > /dev/null
"$MAILOUT" unsubscribe bob@example.com > /dev/null 2>&1
run "$MAILOUT" audit verify
is "$RC|$(pending)" "0|0" "a stale pending entry is dropped and the new row sealed"
like "$ERR" "pending entry for a row already sealed dropped chain=consent id=$sealed" "with a warning naming the row"

done_testing
