#!/bin/bash
# consent.sh - topics, versioned consent texts (R-GDPR-5), unsubscribe and
# contact show against a real PostgreSQL; each use case writes its own audit
# entry with the actor, and nothing at all when refused.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 41

write_conf "suppression_key_file = $TMP/supp.key"
"$MAILOUT" db migrate > /dev/null 2>&1
me="cli:$(id -un)"
audits() { sql "SELECT count(*) FROM audit_log"; }
last_audit() { sql "SELECT actor || '|' || action || '|' || object || '|' || detail::text FROM audit_log ORDER BY seq DESC LIMIT 1"; }
# audit_is ACTOR|ACTION|OBJECT DETAIL-JSON: "ok" when the latest entry is exactly that
audit_is() {
    sql "SELECT CASE WHEN actor || '|' || action || '|' || object = '$1' AND detail - 'host' = '$2'::jsonb THEN 'ok'
         ELSE actor || '|' || action || '|' || object || '|' || detail::text END FROM audit_log ORDER BY seq DESC LIMIT 1"
}

run "$MAILOUT" topic add news --title "Monthly newsletter"
is "$RC" 0 "topic add"
news_id=$(sql "SELECT id FROM topics WHERE name = 'news'")
is "$(audit_is "$me|topic.add|topic:news" "{\"id\": $news_id, \"title\": \"Monthly newsletter\"}")" ok \
    "topic add is audited with the command-line user as actor"
before=$(audits)
run "$MAILOUT" topic add news --title "Again"
is "$RC" 65 "a duplicate topic exits 65"
like "$ERR" "topic 'news' already exists" "and says so"
run "$MAILOUT" topic add "News Letter" --title x
is "$RC" 65 "an invalid topic name exits 65"
run "$MAILOUT" topic add offers --title "$(printf 'two\nlines')"
is "$RC" 65 "a title on two lines exits 65"
run "$MAILOUT" topic add offers
is "$RC" 64 "--title is required"
is "$(audits)|$(sql "SELECT count(*) FROM topics WHERE name <> 'tracking'")" "$before|1" \
    "a refused topic add writes neither a topic nor an audit entry"

printf 'Yes, send me the monthly newsletter. I can withdraw my consent at any time.\n' > "$TMP/v1.txt"
run "$MAILOUT" consent-text add news "$TMP/v1.txt"
is "$RC" 0 "consent-text add"
like "$OUT" '^[1-9][0-9]*$' "prints the id alone on stdout"
v1=$OUT
v1sum=$(sha256sum "$TMP/v1.txt" | cut -d' ' -f1)
is "$(sql "SELECT version || '|' || locale || '|' || sha256 FROM consent_texts WHERE id = $v1")" \
    "1|en|$v1sum" "stored as version 1 with its SHA-256"
is "$(audit_is "$me|consent_text.add|consent_text:$v1" \
    "{\"topic\": \"news\", \"locale\": \"en\", \"version\": 1, \"sha256\": \"$v1sum\", \"created\": true}")" ok \
    "consent-text add is audited with topic, locale, version and hash"
unlike "$(last_audit)" "withdraw my consent" "the audit entry does not copy the wording"
run "$MAILOUT" consent-text add news "$TMP/v1.txt"
is "$OUT" "$v1" "the same text again gives the same id (stored once)"
like "$(last_audit)" "\"created\": false" "a repeated text is audited as not created"
printf 'Yes, send me the newsletter. You can unsubscribe from every message.\n' > "$TMP/v2.txt"
run "$MAILOUT" consent-text add news "$TMP/v2.txt"
is "$(sql "SELECT version FROM consent_texts WHERE id = $OUT")" 2 "a changed text becomes version 2"
printf 'Ja, ich möchte den Newsletter. Ich kann meine Einwilligung jederzeit widerrufen.\n' > "$TMP/de.txt"
run "$MAILOUT" consent-text add news "$TMP/de.txt" --locale de
is "$(sql "SELECT version || locale FROM consent_texts WHERE id = $OUT")" "1de" "German text versioned separately"

printf 'Yes, send me the monthly newsletter.\n' > "$TMP/nowithdraw.txt"
before=$(sql "SELECT count(*) FROM consent_texts")
audits_before=$(audits)
run "$MAILOUT" consent-text add news "$TMP/nowithdraw.txt"
is "$RC" 65 "a text without a withdrawal sentence is refused with exit 65 (R-GDPR-5)"
like "$ERR" "does not tell people they can withdraw" "and says why"
is "$(sql "SELECT count(*) FROM consent_texts")" "$before" "nothing stored"
run "$MAILOUT" consent-text add nosuch "$TMP/v1.txt"
is "$RC" 66 "an unknown topic exits 66"
run "$MAILOUT" consent-text add news "$TMP/v1.txt" --locale "en GB"
is "$RC" 65 "a bad locale exits 65"
run "$MAILOUT" consent-text add news "$TMP/none.txt"
is "$RC" 66 "a missing file exits 66"
is "$(sql "SELECT count(*) FROM consent_texts")|$(audits)" "$before|$audits_before" \
    "a refused consent-text add writes neither a text nor an audit entry"

run "$MAILOUT" contact show nobody@example.com
is "$RC" 66 "contact show of an unknown address exits 66"

before=$(audits)
run "$MAILOUT" unsubscribe pat@example.com --topic nosuch
is "$RC" 66 "unsubscribe from an unknown topic exits 66"
run "$MAILOUT" unsubscribe "pat@" --topic news
is "$RC" 65 "unsubscribe of an invalid address exits 65"
is "$(audits)|$(sql "SELECT count(*) FROM contacts")|$(sql "SELECT count(*) FROM consent_events")" "$before|0|0" \
    "a refused unsubscribe writes no contact, no event and no audit entry"

# an opt-out needs a contact (an unknown address: optout_admin.sh)
printf 'email\nPat@Example.com\n' > "$TMP/pat.csv"
"$MAILOUT" contact import "$TMP/pat.csv" > /dev/null 2>&1
pat=$(sql "SELECT id FROM contacts WHERE email_norm = 'pat@example.com'")
run "$MAILOUT" unsubscribe "  pat@example.COM " --topic news --reason "phone call"
is "$RC" 0 "unsubscribe from one topic"
is "$(sql "SELECT count(*) || '|' || min(contact_id) FROM consent_events")|$(sql "SELECT count(*) FROM contacts")" \
    "1|$pat|1" "the address, padded and in another case, is matched trimmed and normalised"
is "$(audit_is "$me|consent.withdraw|contact:$pat" "{\"topic\": \"news\", \"channel\": \"admin\", \"changed\": true}")" ok \
    "the withdrawal is audited under the contact id, with no address and no reason"
is "$(sql "SELECT actor || '|' || source FROM consent_events WHERE contact_id = $pat")" \
    "$me|unsubscribe command" "the ledger event names the same actor"
run "$MAILOUT" --json contact show pat@example.com
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["topics"]["news"]["state"], c["history"][0]["kind"], c["history"][0]["channel"], c["history"][0]["note"])')" \
    "withdrawn withdrawn admin phone call" "withdrawal recorded with channel and note"
run "$MAILOUT" unsubscribe pat@example.com --topic news
like "$ERR" "already recorded" "a repeated unsubscribe changes nothing"
is "$(sql "SELECT count(*) FROM consent_events")" 1 "still one event"
like "$(last_audit)" "\"changed\": false" "and is audited as no change"
run "$MAILOUT" unsubscribe pat@example.com
is "$(audit_is "$me|consent.object|contact:$pat" "{\"topic\": null, \"channel\": \"admin\", \"changed\": true}")" ok \
    "an objection is audited as consent.object"
run "$MAILOUT" --json contact show pat@example.com
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["topics"]["news"]["state"], c["objected_since"] is not None)')" \
    "objected True" "an unsubscribe without topic is an objection to all marketing"
is "$(sql "SELECT string_agg(event, ',' ORDER BY id) FROM webhook_outbox")" "withdrawn,objected" \
    "each opt-out queued for the CRM webhook in the same transaction"
is "$(sql "SELECT count(*) FROM audit_log WHERE action IN ('topic.add', 'consent_text.add', 'consent.withdraw', 'consent.object')")" \
    "8" "admin actions are in the audit log"
is "$(sql "SELECT count(*) FROM audit_log WHERE actor <> '$me' OR detail::text LIKE '%example.com%' OR object LIKE '%@%'")" \
    0 "every entry names the actor and none holds an address"

done_testing
