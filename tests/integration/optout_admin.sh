#!/bin/bash
# optout_admin.sh - `mailout unsubscribe` (issue 10, admin opt-out): an
# unknown address is no contact (exit 66, nothing written); --suppress of an
# unknown address stores only its keyed hash, so a later import counts it as
# suppressed and `subscribe` sends nothing, and the address is nowhere in the
# database (pg_dump --data-only), the audit log included; --suppress of a
# known contact objects (or withdraws the topic) and suppresses in one
# transaction with its CRM webhook events, and campaign explain names the
# reason suppressed.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 34

write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH" \
    "from = news@shop.example" "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
    "base_url = https://mail.shop.example" "transport = maildir:$TMP/outbox"
"$MAILOUT" db migrate > /dev/null 2>&1
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
me="cli:$(id -un)"

# everything an opt-out could store
stored() {
    sql "SELECT (SELECT count(*) FROM contacts) || ' ' || (SELECT count(*) FROM consent_events)
        || ' ' || (SELECT count(*) FROM suppression) || ' ' || (SELECT count(*) FROM webhook_outbox)
        || ' ' || (SELECT count(*) FROM audit_log) || ' ' || (SELECT count(*) FROM doi_requests)"
}
# audit_is ACTOR|ACTION|OBJECT DETAIL-JSON: "ok" when the latest entry is exactly that
audit_is() {
    sql "SELECT CASE WHEN actor || '|' || action || '|' || object = '$1' AND detail - 'host' = '$2'::jsonb THEN 'ok'
         ELSE actor || '|' || action || '|' || object || '|' || detail::text END FROM audit_log ORDER BY seq DESC LIMIT 1"
}
# in_dump WORD: how many lines of pg_dump --data-only hold WORD (any case)
in_dump() {
    as_pg "$PG_BIN/pg_dump" -h "$PG_DIR" -p "$PGPORT" -U owner --data-only mailout > "$TMP/dump.sql" 2> "$TMP/dump.err" ||
        { cat "$TMP/dump.err" >&2; echo dump-failed; return; }
    grep -ci -- "$1" "$TMP/dump.sql"
}
outbox() { find "$TMP/outbox/new" -type f 2> /dev/null | wc -l; }

# --- an unknown address is no contact: exit 66, nothing written ---------------
before=$(stored)
run "$MAILOUT" unsubscribe Nora@Example.com
is "$RC" 66 "unsubscribe of an unknown address exits 66"
is "$ERR" "mailout: no contact with the address 'nora@example.com': nothing to record (with --suppress only its keyed hash goes on the do-not-contact list)" \
    "one clear line"
is "$(stored)" "$before" "nothing written: no contact, event, suppression, webhook entry or audit entry"
run "$MAILOUT" unsubscribe nora@example.com --topic news --reason "phone call"
is "$RC|$(stored)" "66|$before" "with --topic too"
run "$MAILOUT" unsubscribe nora@example.com --topic nosuch --suppress
is "$RC|$(stored)" "66|$before" "an unknown topic exits 66 before anything is suppressed"

# --- --suppress of an unknown address: only the keyed hash ---------------------
run "$MAILOUT" unsubscribe " Nora@Example.com " --suppress --reason "called the hotline"
is "$RC" 0 "unsubscribe --suppress of an unknown address"
is "$OUT" " Nora@Example.com : suppressed (no contact: only the address's keyed hash is stored)" "says what it did"
is "$(sql "SELECT addr_hmac || '|' || reason FROM suppression")" \
    "$(suppress_hash "$TMP/supp.key" nora@example.com)|admin" \
    "the suppression list holds the keyed hash of the normalised address, reason admin"
is "$(sql "SELECT count(*) FROM contacts")|$(sql "SELECT count(*) FROM consent_events")|$(sql "SELECT count(*) FROM webhook_outbox")" \
    "0|0|0" "no contact, no ledger event, no webhook entry (there is no contact to name)"
is "$(audit_is "$me|suppression.add|suppression" '{"reason": "admin", "channel": "admin", "known_contact": false, "changed": true}')" ok \
    "audited as suppression.add, without the address"
is "$(in_dump nora)|$(in_dump hotline)" "0|0" "the address (and the reason) appear nowhere in the database (pg_dump --data-only)"
run "$MAILOUT" unsubscribe nora@example.com --suppress
is "$RC|$(sql "SELECT count(*) FROM suppression")" "0|1" "a repeat exits 0 and lists the hash once"
like "$ERR" "already recorded; nothing changed" "and says nothing changed"
like "$(sql "SELECT detail::text FROM audit_log ORDER BY seq DESC LIMIT 1")" '"changed": false' "audited as no change"

# a later import counts it as suppressed; subscribe sends nothing
printf 'email,name\nNORA@example.com,Nora\nolga@example.com,Olga\npeter@example.com,Peter\n' > "$TMP/people.csv"
run "$MAILOUT" contact import "$TMP/people.csv"
is "$OUT" "loaded 2, rejected 0, suppressed 1, dropped 0: no consent created" \
    "a later contact import counts the address as suppressed"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm = 'nora@example.com'")" 0 "and does not store it"
before=$(stored)
run "$MAILOUT" subscribe nora@example.com --topic news --age-confirmed
is "$RC" 65 "subscribe of the suppressed address is refused (exit 65)"
like "$OUT" "nora@example.com: not sent: the address is suppressed" "and says why"
is "$(stored)|$(outbox)" "$before|0" "it stores nothing and sends nothing, not even a confirmation mail"
is "$(in_dump nora)" 0 "the address is still nowhere in the database"

# --- --suppress of a known contact: objected and suppressed --------------------
printf 'email,consent_topic,consented_at,consent_source,consent_text_id,consent_ip\nolga@example.com,news,2026-06-01T10:00:00Z,form,%s,192.0.2.1\npeter@example.com,news,2026-06-01T10:00:00Z,form,%s,192.0.2.1\n' \
    "$news_text" "$news_text" > "$TMP/proof.csv"
"$MAILOUT" contact import "$TMP/proof.csv" > /dev/null 2>&1
printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring" --text "$TMP/body.txt" > /dev/null 2>&1
"$MAILOUT" segment create all --where "true" > /dev/null
run "$MAILOUT" campaign create spring --topic news --template spring --segment all
is "$RC" 0 "a campaign to everyone"
explain() {
    "$MAILOUT" campaign explain spring --contact "$1" --json |
        /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["decision"], d["basis"] or "-", d["reason"] or "-")'
}
is "$(explain olga@example.com)" "basis consent -" "before: olga may be mailed on her consent"
olga=$(sql "SELECT id FROM contacts WHERE email_norm = 'olga@example.com'")
run "$MAILOUT" unsubscribe olga@example.com --suppress
is "$RC|$OUT" "0|olga@example.com: objected to all marketing; suppressed" "unsubscribe --suppress of a contact"
is "$(sql "SELECT kind || '|' || channel || '|' || actor FROM consent_events WHERE contact_id = $olga ORDER BY id DESC LIMIT 1")" \
    "objected|admin|$me" "the ledger records the objection"
is "$(sql "SELECT s.reason FROM suppression s JOIN contacts c ON c.addr_hmac = s.addr_hmac WHERE c.id = $olga")" admin \
    "and the address is suppressed (reason admin)"
is "$(sql "SELECT string_agg(event, ',' ORDER BY id) FROM webhook_outbox WHERE contact_id = $olga")" "objected,suppressed" \
    "both reach the CRM webhook outbox in the same transaction"
is "$(audit_is "$me|consent.object|contact:$olga" '{"topic": null, "channel": "admin", "changed": true, "suppressed": true}')" ok \
    "one audit entry under the contact id: objection and suppression"
is "$(explain olga@example.com)" "excluded - suppressed" "campaign explain shows the reason suppressed"
is "$("$MAILOUT" campaign explain spring --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["excluded"]["suppressed"], d["basis"]["consent"])')" \
    "1 1" "and counts her as suppressed, peter still on consent"
run "$MAILOUT" unsubscribe olga@example.com --suppress
is "$RC|$(sql "SELECT count(*) FROM webhook_outbox WHERE contact_id = $olga")" "0|2" "a repeat writes no second event"
like "$ERR" "already recorded" "and says so"

# with --topic: that topic withdrawn, the address suppressed
peter=$(sql "SELECT id FROM contacts WHERE email_norm = 'peter@example.com'")
run "$MAILOUT" unsubscribe peter@example.com --topic news --suppress
is "$RC|$OUT" "0|peter@example.com: unsubscribed from news; suppressed" "unsubscribe --topic --suppress"
is "$(sql "SELECT string_agg(event, ',' ORDER BY id) FROM webhook_outbox WHERE contact_id = $peter")|$(explain peter@example.com)" \
    "withdrawn,suppressed|excluded - suppressed" "withdrawn and suppressed"

is "$(sql "SELECT count(*) FROM audit_log WHERE detail::text LIKE '%@%' OR object LIKE '%@%' OR detail::text ILIKE '%nora%'")" 0 \
    "no audit entry holds an address"

done_testing
