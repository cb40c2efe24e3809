#!/bin/bash
# sensitive.sh - special categories of data (GDPR Art. 9), explicit consent
# (Art. 9(2)(a)) and children's data (Art. 8) against a real PostgreSQL and
# the real SMTP sink: special-category columns refused at import (nothing
# stored), declared NAME:sensitive accepted; a sensitive attribute in a
# campaign's segment or template refused at send, test and in explain without
# an explicit consent text, accepted with one and then only for the contacts
# who consented under it; known minors never profiled by web activity; bad
# attribute lists (CRLF, NUL, huge) refused.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp
plan 69

conf() {
    write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
        "from = news@shop.example" "legal_entity = ACME GmbH" "base_url = https://shop.example" \
        "postal_address = 1 Main St, Springfield" "suppression_key_file = $TMP/supp.key" "$@"
}
conf "contact_attributes = vip"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
contacts() { sql "SELECT count(*) FROM contacts"; }

# --- 1. import: special-category columns are refused, not dropped ---
printf 'email,name,religion\nr1@x.example,R1,catholic\n' > "$TMP/religion.csv"
run "$MAILOUT" contact import "$TMP/religion.csv"
is "$RC" 65 "a religion column is refused (exit 65)"
like "$ERR" "religion.csv:1: column 'religion' looks like special-category or financial data \\(matches 'religion', GDPR Art. 9\\): refused, nothing imported; declare it sensitive to keep it \\(contact_attributes = religion:sensitive" \
    "the message names the file, the column, why and how to declare it"
is "$(contacts)|$(sql "SELECT count(*) FROM consent_events")" "0|0" "nothing is in the database"
for col in Religion gesundheit credit_card_no 'Tax ID' kontonummer Weltanschauung 'philosophical beliefs'; do
    printf 'email,%s\nr2@x.example,x\n' "$col" > "$TMP/col.csv"
    run "$MAILOUT" contact import "$TMP/col.csv"
    is "$RC|$(contacts)" "65|0" "column '$col' refused, nothing imported"
    [ "$col" = 'Tax ID' ] && like "$ERR" "column 'tax id' .*contact_attributes = NAME:sensitive" \
        "a column name that is no attribute name: NAME in the hint"
done
# decided: a term must be a whole word (or a listed stem): partner, party_size are not special
printf 'email,partner,party_size\np1@x.example,Bob,4\n' > "$TMP/partner.csv"
run "$MAILOUT" contact import "$TMP/partner.csv"
is "$RC" 0 "partner and party_size are not special-category columns"
like "$ERR" "column 'partner' is not a declared attribute: dropped" "an undeclared ordinary column is still dropped"
is "$(sql "SELECT count(*) FROM contacts WHERE attrs <> '{}'")" 0 "and not stored"
run "$MAILOUT" contact import "$TMP/religion.csv" --attributes vip,religion
is "$RC" 65 "declared without :sensitive: refused"
like "$ERR" "it is declared without ':sensitive': mark it" "the message says it must be marked"
run "$MAILOUT" contact import "$TMP/religion.csv" --attributes 'vip, religion:sensitive'
is "$RC" 0 "declared religion:sensitive: accepted"
is "$(sql "SELECT attrs->>'religion' FROM contacts WHERE email_norm = 'r1@x.example'")" catholic "and stored"

# --- 2. bad attribute lists ---
run "$MAILOUT" contact import "$TMP/partner.csv" --attributes $'vip\r\n'
is "$RC" 65 "CR LF in --attributes refused"
like "$ERR" "attributes: item 1 'vip\\\\r\\\\n': a name has only ASCII letters" "the bad item shown escaped"
run "$MAILOUT" contact import "$TMP/partner.csv" --attributes "$(head -c 20000 /dev/zero | tr '\0' a)"
is "$RC" 65 "a huge --attributes refused"
like "$ERR" "longer than 16384 bytes" "with the limit"
run "$MAILOUT" contact import "$TMP/partner.csv" --attributes 'vip,,health:secret'
like "$RC|$ERR" "^65\\|.*item 2 '': empty item" "an empty item is refused"
conf "contact_attributes = vip, health:private"
run "$MAILOUT" segment count x
is "$RC" 65 "a bad contact_attributes key is a configuration error"
like "$ERR" "invalid value for key contact_attributes: item 2 'health:private': unknown flag" "naming key and item"
printf 'contact_attributes = vip, he\0alth:sensitive\n' > "$TMP/nul.conf"
MAILOUT_CONFIG="$TMP/nul.conf" run "$MAILOUT" segment count x
ok "$([ "$RC" -ne 0 ] && [ "$RC" -lt 128 ]; echo $?)" "a NUL in the configuration is refused without a crash"

# --- 3. explicit consent for a sensitive attribute ---
conf "contact_attributes = vip, health:sensitive, religion:sensitive"
sql "TRUNCATE contacts, consent_events, audit_log CASCADE" > /dev/null 2>&1 || true
"$MAILOUT" topic add care --title "Care offers" > /dev/null
printf 'Send me care offers. I can withdraw my consent at any time.\n' > "$TMP/care1.txt"
plain=$("$MAILOUT" consent-text add care "$TMP/care1.txt")
printf 'Send me care offers chosen by my health data (diagnosis). I can withdraw at any time.\n' > "$TMP/care2.txt"
printf 'Send me care offers chosen by my data. I can withdraw at any time.\n' > "$TMP/care3.txt"
run "$MAILOUT" consent-text add care "$TMP/care3.txt" --explicit health
is "$RC" 65 "--explicit refused when the text does not name the attribute"
like "$ERR" "does not name the attribute 'health'" "naming it"
run "$MAILOUT" consent-text add care "$TMP/care2.txt" --explicit vip
like "$RC|$ERR" "^65\\|.*attribute 'vip' is not declared sensitive" "--explicit refused for an attribute not declared sensitive"
is "$(sql "SELECT count(*) FROM consent_texts WHERE topic_id = (SELECT id FROM topics WHERE name = 'care')")" 1 \
    "nothing stored by the refusals"

cat > "$TMP/care.csv" <<CSV
email,name,country,health,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
plain@x.example,Plain,DE,diabetes,care,2026-01-10T10:00:00Z,form,$plain,192.0.2.1
CSV
run "$MAILOUT" contact import "$TMP/care.csv"
is "$RC" 0 "contacts with a sensitive attribute imported"
run "$MAILOUT" segment create diabetic --where "attr.health = 'diabetes'"
is "$RC" 0 "segment create with a sensitive attribute: allowed (a definition)"
like "$ERR" "warning: segment 'diabetic' uses sensitive attribute 'health' \\(GDPR Art. 9\\)" "but warned"
printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/plain.txt"
"$MAILOUT" template add plain --subject 'Care' --text "$TMP/plain.txt" > /dev/null 2>&1
"$MAILOUT" campaign create c1 --topic care --template plain --segment diabetic > /dev/null
run "$MAILOUT" campaign explain c1
like "$OUT" "sensitive: refused: segment uses sensitive attribute 'health' \\(GDPR Art. 9\\) but no current consent text of topic 'care' is explicit for it" \
    "explain says the segment's sensitive attribute is refused"
run "$MAILOUT" campaign send c1
is "$RC" 65 "send refused without an explicit consent text"
like "$ERR" "campaign 'c1': refused: segment uses sensitive attribute 'health'.*topic 'care'" "naming attribute and topic"
is "$(sql "SELECT count(*) FROM campaign_runs")" 0 "no run built"
run "$MAILOUT" campaign preview c1 --contact plain@x.example
like "$RC|$ERR" "^65\\|.*refused: segment uses sensitive attribute 'health'" "preview (test message) refused too"

run "$MAILOUT" consent-text add care "$TMP/care2.txt" --explicit health
is "$RC" 0 "an explicit consent text naming health"
explicit=$OUT
is "$(sql "SELECT array_to_string(explicit_attributes, ',') FROM consent_texts WHERE id = $explicit")" health "stored as explicit for health"
run "$MAILOUT" consent-text add care "$TMP/care2.txt"
is "$RC|$OUT" "0|$explicit" "the same text again is the same version"
run "$MAILOUT" consent-text add care "$TMP/care2.txt" --explicit religion
is "$RC" 65 "the same text with other explicit attributes: refused"
cat > "$TMP/care2.csv" <<CSV
email,name,country,health,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
exp@x.example,Explicit,DE,diabetes,care,2026-01-11T10:00:00Z,form,$explicit,192.0.2.2
other@x.example,Other,DE,asthma,care,2026-01-11T10:00:00Z,form,$explicit,192.0.2.3
CSV
run "$MAILOUT" contact import "$TMP/care2.csv"
is "$RC" 0 "contacts who consented under the explicit text"
run "$MAILOUT" campaign explain c1
like "$OUT" "sensitive: segment uses sensitive attribute 'health' \\(Art. 9\\): allowed by explicit consent text $explicit of topic 'care'" \
    "explain: allowed by the explicit text"
run "$MAILOUT" --json campaign explain c1
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); s=j["sensitive"][0]; print(s["attribute"], s["allowed"], s["consent_text"], j["total"])')" \
    "health True $explicit 1" "explain --json: the check, and only the explicit consenter in the segment"
run "$MAILOUT" campaign explain c1 --contact plain@x.example
like "$OUT" "not_in_segment" "a diabetic who consented under the plain text does not match"
like "$OUT" "its sensitive attribute 'health' counts only for contacts who consented to topic 'care' under a text explicit for it" \
    "explain --contact says why"
run "$MAILOUT" campaign send c1
is "$RC" 0 "send accepted with an explicit consent text"
is "$(sql "SELECT string_agg(c.email_norm, ',') FROM send_queue q JOIN contacts c ON c.id = q.contact_id")" \
    "exp@x.example" "only the contact who consented under it is queued"
run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatch"
is "$(mailtool to "$SMTP_MAILDIR" exp@x.example | wc -l)|$(mailtool to "$SMTP_MAILDIR" plain@x.example | wc -l)" "1|0" \
    "the sink got the mail for the explicit consenter only"

# --- 4. templates ---
printf 'Offers for {{attr.health}}.\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/health.txt"
"$MAILOUT" template add healthy --subject 'Care' --text "$TMP/health.txt" > /dev/null 2>&1
"$MAILOUT" segment create carers --where "subscribed('care')" > /dev/null
"$MAILOUT" topic add care2 --title "Other care" > /dev/null
"$MAILOUT" consent-text add care2 "$TMP/care1.txt" > /dev/null
"$MAILOUT" campaign create c2 --topic care2 --template healthy --segment carers > /dev/null
run "$MAILOUT" campaign send c2
is "$RC" 65 "a template using a sensitive attribute: refused without an explicit text of its topic"
like "$ERR" "refused: template uses sensitive attribute 'health'.*topic 'care2'" "naming template, attribute and topic"
run "$MAILOUT" campaign explain c2
like "$OUT" "sensitive: refused: template uses sensitive attribute 'health'" "explain says so"
"$MAILOUT" campaign create c3 --topic care --template healthy --segment carers > /dev/null
run "$MAILOUT" campaign preview c3 --contact exp@x.example
is "$RC" 0 "preview for a contact who consented under the explicit text"
like "$OUT" "Offers for diabetes" "the sensitive value is rendered for them"
run "$MAILOUT" campaign preview c3 --contact plain@x.example
is "$RC" 0 "preview for a contact who consented under the plain text"
unlike "$OUT" "diabetes" "the sensitive value is not rendered for them"

# data imported under another list (--attributes iban:sensitive) while the key does not
# declare it: still sensitive by its name, never rendered without explicit consent
sql "UPDATE contacts SET attrs = attrs || '{\"iban\": \"DE02120300000000202051\"}' WHERE email_norm = 'exp@x.example'" > /dev/null
printf 'Account: {{attr.iban}}.\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/iban.txt"
"$MAILOUT" template add bank --subject 'Care' --text "$TMP/iban.txt" > /dev/null 2>&1
"$MAILOUT" campaign create c4 --topic care --template bank --segment carers > /dev/null
run "$MAILOUT" campaign send c4
is "$RC" 65 "a template attribute named like financial data counts as sensitive even when not declared"
like "$ERR" "refused: template uses sensitive attribute 'iban'" "naming it"

# --- 5. known minors are never profiled by activity (Art. 8, R-GDPR-6) ---
printf 'Use my web activity for offers. I can withdraw at any time.\n' > "$TMP/tracking.txt"
tracking=$("$MAILOUT" consent-text add tracking "$TMP/tracking.txt")
minor_birth=$(date -u -d '15 years ago' +%F)
cat > "$TMP/kids.csv" <<CSV
email,name,country,birth_date,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
kid@x.example,Kid,DE,$minor_birth,tracking,2026-01-10T10:00:00Z,form,$tracking,192.0.2.9
adult@x.example,Adult,DE,1990-01-01,tracking,2026-01-10T10:00:00Z,form,$tracking,192.0.2.9
CSV
run "$MAILOUT" contact import "$TMP/kids.csv"
is "$RC" 0 "a 15-year-old and an adult, both with tracking consent"
sql "INSERT INTO web_activity (contact_id, kind, item, at)
     SELECT id, 'view', 'SKU-X', now() - interval '1 day' FROM contacts
      WHERE email_norm IN ('kid@x.example', 'adult@x.example')" > /dev/null
is "$(sql "SELECT count(*) FROM web_activity")" 2 "both have activity (stored directly)"
printf 'email,kind,item,at\nkid@x.example,view,SKU-Y,2026-11-01T10:00:00Z\nadult@x.example,view,SKU-Y,2026-11-01T10:00:00Z\n' > "$TMP/act.csv"
run "$MAILOUT" activity import "$TMP/act.csv"
is "$RC" 0 "activity import"
is "$(sql "SELECT string_agg(c.email_norm, ',') FROM web_activity w JOIN contacts c ON c.id = w.contact_id WHERE w.item = 'SKU-Y'")" \
    "adult@x.example" "a known minor's activity is not even recorded"
"$MAILOUT" segment create viewedx --where "viewed(sku 'SKU-X')" > /dev/null
run "$MAILOUT" segment count viewedx
is "$RC|$OUT" "0|1" "viewed sku X matches one contact"
"$MAILOUT" segment create viewedkid --where "viewed(sku 'SKU-X') AND email = 'kid@x.example'" > /dev/null
"$MAILOUT" segment create viewedadult --where "viewed(sku 'SKU-X') AND email = 'adult@x.example'" > /dev/null
is "$("$MAILOUT" segment count viewedkid)|$("$MAILOUT" segment count viewedadult)" "0|1" \
    "the 15-year-old DE contact does not match, the adult does"

# --- 6. doctor ---
conf "contact_attributes = religion, health:sensitive"
MAILOUT_DNS_SERVER=127.0.0.1:1 run "$MAILOUT" doctor
like "$OUT" "attribute 'religion' looks like special-category or financial data .*declare it religion:sensitive" \
    "doctor warns about a special-category attribute declared without :sensitive"
like "$OUT" "sensitive attributes \\(used only under explicit consent, Art. 9\\(2\\)\\(a\\)\\): health" \
    "doctor lists the sensitive attributes"

done_testing
