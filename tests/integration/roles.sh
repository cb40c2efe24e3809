#!/bin/bash
# roles.sh - the application role can append to history but never rewrite it.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 16

run "$MAILOUT" db migrate
is "$RC" 0 "migrate"

sql "CREATE ROLE app LOGIN IN ROLE mailout_app" > /dev/null
sql "INSERT INTO contacts (email, email_norm, addr_hmac) VALUES ('a@example.com', 'a@example.com', repeat('a', 64))" > /dev/null
sql "INSERT INTO consent_texts (topic_id, version, body, sha256) SELECT id, 1, 'You can withdraw at any time.', repeat('a', 64) FROM topics WHERE name = 'tracking'" > /dev/null
sql "INSERT INTO legal_entities (name) VALUES ('ACME GmbH')" > /dev/null
sql "INSERT INTO campaigns (name, topic_id, template_id, segment_id, legal_entity_id)
     SELECT 'c', t.id, tp.id, s.id, l.id FROM topics t,
       (INSERT INTO templates (name, subject, text_body) VALUES ('t', 's', 'b') RETURNING id) tp,
       (INSERT INTO segments (name, expr) VALUES ('s', 'true') RETURNING id) s,
       legal_entities l WHERE t.name = 'tracking'" > /dev/null 2>&1 ||
sql "WITH tp AS (INSERT INTO templates (name, subject, text_body) VALUES ('t', 's', 'b') RETURNING id),
          s AS (INSERT INTO segments (name, expr) VALUES ('s', 'true') RETURNING id)
     INSERT INTO campaigns (name, topic_id, template_id, segment_id, legal_entity_id)
     SELECT 'c', t.id, tp.id, s.id, l.id FROM topics t, tp, s, legal_entities l WHERE t.name = 'tracking'" > /dev/null
sql "INSERT INTO campaign_runs (campaign_id) SELECT id FROM campaigns" > /dev/null

as_app() { psql -X -q -At -U app -c "$1" 2>&1; }

out=$(as_app "INSERT INTO consent_events (contact_id, topic_id, kind, source, channel, actor, consent_text_id, consent_text_sha256, note)
              SELECT 1, t.id, 'granted', 'test', 'admin', 'admin:test', ct.id, ct.sha256, 'signed form' FROM topics t JOIN consent_texts ct ON ct.topic_id = t.id")
is "$out" "" "app role may append to the consent ledger"
out=$(as_app "INSERT INTO send_records (run_id, contact_id, basis, status) VALUES (1, 1, 'consent', 'sent')")
is "$out" "" "app role may append send records"
out=$(as_app "INSERT INTO audit_log (actor, action) VALUES ('test', 'test.append')")
is "$out" "" "app role may append to the audit log"

for tc in consent_events:note send_records:status audit_log:actor; do
    t=${tc%%:*}
    out=$(as_app "UPDATE $t SET ${tc#*:} = 'x'")
    like "$out" "permission denied for table $t" "app role cannot UPDATE $t"
    out=$(as_app "DELETE FROM $t")
    like "$out" "permission denied for table $t" "app role cannot DELETE FROM $t"
done
is "$(sql 'SELECT (SELECT count(*) FROM consent_events)::text || (SELECT count(*) FROM send_records) || (SELECT count(*) FROM audit_log)')" \
    "111" "history unchanged"

out=$(sql "UPDATE audit_log SET actor = 'forged'")
like "$out" "audit_log is append-only" "even the owner cannot rewrite the audit log"
out=$(sql "DELETE FROM consent_events")
like "$out" "consent_events is append-only" "even the owner cannot delete ledger events"

out=$(as_app "INSERT INTO consent_events (contact_id, topic_id, kind, source, channel, actor, token_sha256)
              SELECT 1, id, 'confirmed', 'test', 'web', 'subject', repeat('b', 64) FROM topics WHERE name = 'tracking'")
like "$out" "violates check constraint" "a confirmed event without a consent text hash is refused"
out=$(as_app "INSERT INTO send_records (run_id, contact_id, basis, status) VALUES (1, 1, NULL, 'sent')")
like "$out" "null value in column \"basis\"" "a send record without a legal basis is refused"
is "$(sql 'SELECT hash = audit_log_hash(prev_hash, seq, at, actor, action, object, detail) FROM audit_log')" "t" \
    "audit entries carry their chain hash"

done_testing
