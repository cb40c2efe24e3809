#!/bin/bash
# consent.sh - topics, versioned consent texts (R-GDPR-5), unsubscribe and
# contact show against a real PostgreSQL.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 24

write_conf "suppression_key_file = $TMP/supp.key"
"$MAILOUT" db migrate > /dev/null 2>&1

run "$MAILOUT" topic add news --title "Monthly newsletter"
is "$RC" 0 "topic add"
run "$MAILOUT" topic add news --title "Again"
is "$RC" 65 "a duplicate topic exits 65"
like "$ERR" "topic 'news' already exists" "and says so"
run "$MAILOUT" topic add "News Letter" --title x
is "$RC" 65 "an invalid topic name exits 65"
run "$MAILOUT" topic add offers
is "$RC" 64 "--title is required"

printf 'Yes, send me the monthly newsletter. I can withdraw my consent at any time.\n' > "$TMP/v1.txt"
run "$MAILOUT" consent-text add news "$TMP/v1.txt"
is "$RC" 0 "consent-text add"
like "$OUT" '^[1-9][0-9]*$' "prints the id alone on stdout"
v1=$OUT
is "$(sql "SELECT version || '|' || locale || '|' || sha256 FROM consent_texts WHERE id = $v1")" \
    "1|en|$(sha256sum "$TMP/v1.txt" | cut -d' ' -f1)" "stored as version 1 with its SHA-256"
run "$MAILOUT" consent-text add news "$TMP/v1.txt"
is "$OUT" "$v1" "the same text again gives the same id (stored once)"
printf 'Yes, send me the newsletter. You can unsubscribe from every message.\n' > "$TMP/v2.txt"
run "$MAILOUT" consent-text add news "$TMP/v2.txt"
is "$(sql "SELECT version FROM consent_texts WHERE id = $OUT")" 2 "a changed text becomes version 2"
printf 'Ja, ich möchte den Newsletter. Ich kann meine Einwilligung jederzeit widerrufen.\n' > "$TMP/de.txt"
run "$MAILOUT" consent-text add news "$TMP/de.txt" --locale de
is "$(sql "SELECT version || locale FROM consent_texts WHERE id = $OUT")" "1de" "German text versioned separately"

printf 'Yes, send me the monthly newsletter.\n' > "$TMP/nowithdraw.txt"
before=$(sql "SELECT count(*) FROM consent_texts")
run "$MAILOUT" consent-text add news "$TMP/nowithdraw.txt"
is "$RC" 65 "a text without a withdrawal sentence is refused with exit 65 (R-GDPR-5)"
like "$ERR" "does not tell people they can withdraw" "and says why"
is "$(sql "SELECT count(*) FROM consent_texts")" "$before" "nothing stored"
run "$MAILOUT" consent-text add nosuch "$TMP/v1.txt"
is "$RC" 66 "an unknown topic exits 66"
run "$MAILOUT" consent-text add news "$TMP/none.txt"
is "$RC" 66 "a missing file exits 66"

run "$MAILOUT" contact show nobody@example.com
is "$RC" 66 "contact show of an unknown address exits 66"

run "$MAILOUT" unsubscribe pat@example.com --topic news --reason "phone call"
is "$RC" 0 "unsubscribe from one topic"
run "$MAILOUT" --json contact show pat@example.com
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["topics"]["news"]["state"], c["history"][0]["kind"], c["history"][0]["channel"], c["history"][0]["note"])')" \
    "withdrawn withdrawn admin phone call" "withdrawal recorded with channel and note"
run "$MAILOUT" unsubscribe pat@example.com --topic news
like "$ERR" "already recorded" "a repeated unsubscribe changes nothing"
is "$(sql "SELECT count(*) FROM consent_events")" 1 "still one event"
run "$MAILOUT" unsubscribe pat@example.com
run "$MAILOUT" --json contact show pat@example.com
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["topics"]["news"]["state"], c["objected_since"] is not None)')" \
    "objected True" "an unsubscribe without topic is an objection to all marketing"
is "$(sql "SELECT string_agg(event, ',' ORDER BY id) FROM webhook_outbox")" "withdrawn,objected" \
    "each opt-out queued for the CRM webhook in the same transaction"
is "$(sql "SELECT count(*) FROM audit_log WHERE action IN ('topic.add', 'consent_text.add', 'consent.withdraw', 'consent.object')")" \
    "8" "admin actions are in the audit log"

done_testing
