#!/bin/bash
# engine.sh - the legal-basis engine, table-driven: one crafted contact per
# basis and per exclusion reason (DESIGN.md "Legal-basis engine", RULES.md
# R-EP-1..3, R-GDPR-2, R-GDPR-6, R-GDPR-11, R-CA-3, R-CA-6, R-DOI-1; the pause
# of issue 10), checked through `campaign explain --contact --json`; then the counts against
# `segment count`, that explain writes nothing, `--since-last-run`, and that
# building a run records a lapsed consent once.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 105

AT=2026-11-24T12:00:00Z
write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH" \
    "from = news@shop.example" "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
    "base_url = https://mail.shop.example"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")

# the catalogue: campaign "pumps" promotes category pumps and sku X-1;
# R-1 is explicitly related to X-1; category heating is related to pumps
cat > "$TMP/products.csv" << 'EOF'
sku,name,category
P-1,Booster pump,pumps/booster
X-1,Seal kit,accessories/seals
R-1,Seal grease,care/grease
H-1,Boiler,heating/boiler
G-1,Garden hose,garden/hoses
EOF
run "$MAILOUT" product import "$TMP/products.csv"
is "$RC" 0 "products imported"
run "$MAILOUT" product relate X-1 R-1
is "$RC" 0 "product relation"
run "$MAILOUT" product relate-category heating pumps
is "$RC" 0 "category relation"

# contacts: consent proof (granted for news) where the table wants consent
cat > "$TMP/contacts.csv" << EOF
email,name,country,birth_date,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
consent@example.com,Consent,DE,,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
cat@example.com,Category,DE,,,,,,
relsku@example.com,Related sku,DE,,,,,,
relcat@example.com,Related category,DE,,,,,,
samesku@example.com,Same sku,DE,,,,,,
unrelated@example.com,Unrelated,DE,,,,,,
old@example.com,Old,DE,,,,,,
notcollected@example.com,Not collected,DE,,,,,,
nooptout@example.com,No opt-out,DE,,,,,,
otherentity@example.com,Other entity,DE,,,,,,
optedout@example.com,Opted out,DE,,,,,,
objected@example.com,Objected,DE,,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
minor@example.com,Minor,DE,2011-06-01,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
minorfr@example.com,Minor FR,FR,2011-06-01,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
suppressed@example.com,Suppressed,DE,,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
unknown@example.com,Unknown country,,2011-06-01,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
unknownec@example.com,Unknown country customer,,,,,,,
us@example.com,US,US,,,,,,
cain@example.com,CA inside,CA,,,,,,
caout@example.com,CA outside,CA,,,,,,
cap@example.com,Capped,AT,,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
lapsed@example.com,Lapsed,DE,,news,2024-06-01T10:00:00Z,form,$news_text,192.0.2.1
nobasis@example.com,Nobody,DE,,,,,,
outside@example.com,Outside,JP,,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
paused@example.com,Paused,DE,,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
pausedminor@example.com,Paused minor,DE,2011-06-01,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1
EOF
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"

cat > "$TMP/orders.csv" << 'EOF'
order_id,email,sku,ordered_at,legal_entity,collected_in_sale,opt_out_offered
1001,cat@example.com,P-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1002,relsku@example.com,R-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1003,relcat@example.com,H-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1004,samesku@example.com,X-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1005,unrelated@example.com,G-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1006,old@example.com,P-1,2024-01-01T09:00:00Z,ACME GmbH,true,true
1007,notcollected@example.com,P-1,2026-05-01T09:00:00Z,ACME GmbH,false,true
1008,nooptout@example.com,P-1,2026-05-01T09:00:00Z,ACME GmbH,true,false
1009,otherentity@example.com,P-1,2026-05-01T09:00:00Z,ACME Retail SAS,true,true
1010,optedout@example.com,P-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1011,objected@example.com,P-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1012,unknownec@example.com,P-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1013,cain@example.com,P-1,2024-12-01T09:00:00Z,ACME GmbH,true,true
1014,caout@example.com,P-1,2024-11-01T09:00:00Z,ACME GmbH,true,true
1015,minor@example.com,P-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
1016,paused@example.com,P-1,2026-05-01T09:00:00Z,ACME GmbH,true,true
EOF
run "$MAILOUT" order import "$TMP/orders.csv"
is "$RC" 0 "orders imported"

# revocations after the purchase, a suppression, a send for the frequency cap
"$MAILOUT" unsubscribe optedout@example.com --topic news > /dev/null
"$MAILOUT" unsubscribe objected@example.com > /dev/null
# pauses of all marketing, as ledger_pause() writes them (until three months after AT)
sql "INSERT INTO consent_events (contact_id, kind, source, channel, actor, paused_until)
     SELECT id, 'paused', 'engine.sh', 'admin', 'test', timestamptz '$AT' + interval '3 months'
       FROM contacts WHERE email_norm IN ('paused@example.com', 'pausedminor@example.com', 'objected@example.com')" > /dev/null
sql "INSERT INTO suppression (addr_hmac, reason)
     SELECT addr_hmac, 'admin' FROM contacts WHERE email_norm = 'suppressed@example.com'" > /dev/null
run "$MAILOUT" policy set AT frequency_cap_week 1
is "$RC" 0 "frequency cap set for AT"

printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
run "$MAILOUT" template add spring --subject "Spring offers" --text "$TMP/body.txt"
is "$RC" 0 "template"
run "$MAILOUT" segment create notjp --where "country IS NULL OR country != 'JP'"
is "$RC" 0 "segment"
run "$MAILOUT" campaign create pumps --topic news --template spring --segment notjp \
    --promotes X-1 --category pumps
is "$RC" 0 "campaign created with the configured legal entity"
# a sent message to cap@ two days before AT (dispatch writes these; here by hand)
sql "INSERT INTO campaign_runs (campaign_id, state) SELECT id, 'done' FROM campaigns WHERE name = 'pumps';
     INSERT INTO send_records (run_id, contact_id, basis, status, occurred_at)
     SELECT r.id, c.id, 'consent', 'sent', '2026-11-22T12:00:00Z' FROM campaign_runs r, contacts c
      WHERE c.email_norm = 'cap@example.com'" > /dev/null

# explain EMAIL: prints "decision basis reason order relation consent_event?"
explain() {
    "$MAILOUT" campaign explain pumps --contact "$1" --at "${2:-$AT}" --json |
        /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); e=d["evidence"]
print(d["decision"], d["basis"] or "-", d["reason"] or "-", e["order_id"] or "-", e["relation"] or "-",
      "event" if e["consent_event"] else "-")'
}

# the table: address, expected decision line, what it shows
while IFS='|' read -r addr want what; do
    is "$(explain "$addr")" "$want" "$what"
done << 'EOF'
consent@example.com|basis consent - - - event|confirmed consent for the topic
cat@example.com|basis existing_customer - 1001 category pumps -|existing customer, related via the promoted category (subtree)
relsku@example.com|basis existing_customer - 1002 related sku X-1 -|existing customer, related via an explicit product relation
relcat@example.com|basis existing_customer - 1003 related category pumps -|existing customer, related via a category relation
samesku@example.com|basis existing_customer - 1004 same sku -|existing customer, the same sku
unrelated@example.com|excluded - unrelated_purchase 1005 - -|R-EP-2: a purchase unrelated to the promotion
old@example.com|excluded - purchase_too_old 1006 category pumps -|purchase outside the 24-month window
notcollected@example.com|excluded - not_collected_in_sale 1007 category pumps -|R-EP-2: address not collected in the sale
nooptout@example.com|excluded - no_opt_out_offered 1008 category pumps -|R-EP-2: no opt-out offered at collection
otherentity@example.com|excluded - different_legal_entity 1009 category pumps -|R-EP-3: another legal entity of the group
optedout@example.com|excluded - unsubscribed - - -|opted out of the topic after the purchase
objected@example.com|excluded - objected - - -|R-GDPR-11: an objection beats both consent and purchase, and a pause
paused@example.com|excluded - paused - - -|a running pause of all marketing beats both consent and purchase
pausedminor@example.com|excluded - paused - - -|a pause is named before minor (the person's own choice first)
minor@example.com|excluded - minor - - -|R-GDPR-6: 15 years old in DE (consent age 16), customer or not
minorfr@example.com|basis consent - - - event|R-GDPR-6: 15 years old in FR (consent age 15) consents alone
suppressed@example.com|excluded - suppressed - - -|a suppressed address is excluded whatever its consent
unknown@example.com|excluded - minor - - -|unknown country: the strictest policy (consent age 16)
unknownec@example.com|basis existing_customer - 1012 category pumps -|unknown country: existing customer within 24 months
us@example.com|excluded - no_basis - - -|US with the opt-out regime off (the default): no basis
cain@example.com|basis existing_customer - 1013 category pumps -|R-CA-3: CA purchase 2024-12-01, inside 24 months
caout@example.com|excluded - purchase_too_old 1014 category pumps -|R-CA-3: CA purchase 2024-11-01, outside 24 months
cap@example.com|excluded - frequency_cap - - -|frequency cap of the AT policy reached
lapsed@example.com|excluded - consent_expired - - event|consent without a send for 24 months lapsed
nobasis@example.com|excluded - no_basis - - -|R-EP-1: EU contact with neither consent nor order
outside@example.com|excluded - not_in_segment - - -|a contact outside the segment
EOF

# the path names each rule and the evidence
run "$MAILOUT" campaign explain pumps --contact otherentity@example.com --at "$AT"
is "$RC" 0 "explain --contact prints a path"
like "$OUT" "existing_customer +fail +order 1009 \(sku P-1, 2026-05-01T09:00:00Z, sold by ACME Retail SAS\): category pumps, but the campaign is sent by ACME GmbH" \
    "the path names the order, the seller and the campaign's legal entity"
like "$OUT" "evidence: order 1009, category pumps" "evidence line"
run "$MAILOUT" campaign explain pumps --contact paused@example.com --at "$AT"
like "$OUT" "paused +fail +all marketing paused until 20[0-9-]+T[0-9:]+Z \(consent event [0-9]+\)" \
    "the path of a paused contact names the pause, its end and its event"
unlike "$OUT" "[0-9]\. +(minor|frequency_cap|consent) " "and stops there"
run "$MAILOUT" campaign explain pumps --contact consent@example.com --at "$AT"
like "$OUT" "paused +pass +no pause of marketing" "every path has the paused step"
run "$MAILOUT" campaign explain pumps --contact cain@example.com --at "$AT" --json
like "$OUT" '"order_id": "1013"' "R-CA-6: a CA recipient's explain names the order relied on"
like "$OUT" '"rule": "segment"' "the path starts with the segment"
run "$MAILOUT" campaign explain pumps --contact nobody@example.com --at "$AT"
is "$RC" 66 "an unknown address exits 66"
run "$MAILOUT" campaign explain nope --at "$AT"
is "$RC" 66 "an unknown campaign exits 66"
run "$MAILOUT" campaign explain pumps --at yesterday
is "$RC" 64 "a bad --at is a usage error"

# R-DOI-1: a pending request is no consent
run "$MAILOUT" subscribe pending@example.com --topic news --age-confirmed
is "$(explain pending@example.com)" "excluded - no_basis - - -" "R-DOI-1: a requested (unconfirmed) consent gives no basis"

# US: switching the opt-out regime on gives that basis, to US contacts only
run "$MAILOUT" policy set US opt_out_regime true
is "$RC" 0 "opt-out regime switched on for US"
is "$(explain us@example.com)" "basis opt_out_regime - - - -" "US with the opt-out regime on: basis opt_out_regime"
is "$(explain nobasis@example.com)" "excluded - no_basis - - -" "R-GDPR-2: an EU contact never gets opt_out_regime"

# counts: every key present, totals add up and equal segment count
segcount=$("$MAILOUT" segment count notjp)
"$MAILOUT" campaign explain pumps --at "$AT" --json > "$TMP/explain.json"
is "$?" 0 "explain --json"
read -r total sum keys consent ec < <(/usr/bin/python3 -c '
import json,sys; d=json.load(open(sys.argv[1]))
print(d["total"], sum(d["basis"].values()) + sum(d["excluded"].values()),
      len(d["basis"]) + len(d["excluded"]), d["basis"]["consent"], d["basis"]["existing_customer"])' "$TMP/explain.json")
is "$total" "$segcount" "explain total equals segment count"
is "$sum" "$total" "the basis and reason counts add up to the total"
is "$keys" 16 "every basis and every reason is a key (paused included)"
is "$consent" 2 "two contacts by consent (consent@, minorfr@)"
is "$ec" 6 "six existing customers"
for k in suppressed objected unsubscribed paused minor frequency_cap consent_expired unrelated_purchase \
    purchase_too_old different_legal_entity not_collected_in_sale no_opt_out_offered no_basis opt_out_regime; do
    n=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print({**d["basis"], **d["excluded"]}[sys.argv[2]])' "$TMP/explain.json" "$k")
    ok "$([ "$n" -ge 1 ] && echo 0 || echo 1)" "count of $k is at least 1 ($n)"
done
run "$MAILOUT" campaign explain pumps --at "$AT"
like "$OUT" "consent +2" "text output lists the counts"
is "$("$MAILOUT" campaign explain pumps --at "$AT" --json | /usr/bin/python3 -c 'import json,sys; print(" ".join(json.load(sys.stdin)["excluded"]))')" \
    "suppressed objected unsubscribed paused minor frequency_cap consent_expired unrelated_purchase purchase_too_old different_legal_entity not_collected_in_sale no_opt_out_offered no_basis" \
    "the reasons in the engine's order: paused after unsubscribed, before minor"

# explain writes nothing: the whole database is the same before and after
dump() { pg_dump --data-only mailout | grep -Ev "^(--|\\\\(un)?restrict )"; }
dump > "$TMP/before.sql"
"$MAILOUT" campaign explain pumps --at "$AT" > /dev/null
"$MAILOUT" campaign explain pumps --json > /dev/null
"$MAILOUT" campaign explain pumps --contact lapsed@example.com > /dev/null
"$MAILOUT" campaign explain pumps --contact outside@example.com > /dev/null
dump > "$TMP/after.sql"
ok "$(cmp -s "$TMP/before.sql" "$TMP/after.sql" && echo 0 || echo 1)" "explain writes nothing (data dump unchanged)"
cmp -s "$TMP/before.sql" "$TMP/after.sql" || diag "$(diff "$TMP/before.sql" "$TMP/after.sql" | head -20)"
is "$(sql "SELECT count(*) FROM consent_events WHERE kind = 'expired'")" 0 "explain only reports a lapse"

# building a run: decisions, queue, the lapse recorded once
run "$MAILOUT" campaign send pumps --json
is "$RC" 0 "campaign send builds a run"
run_id=$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["run"])')
is "$(sql "SELECT count(*) FROM campaign_run_decisions WHERE run_id = $run_id")" "$segcount" \
    "every contact of the segment has a recorded decision"
is "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $run_id")" \
    "$(sql "SELECT count(*) FROM campaign_run_decisions WHERE run_id = $run_id AND basis IS NOT NULL")" \
    "one queue row per contact with a basis"
is "$(sql "SELECT count(*) FROM send_queue q JOIN contacts c ON c.id = q.contact_id
           WHERE q.run_id = $run_id AND c.email_norm IN ('objected@example.com', 'suppressed@example.com', 'outside@example.com',
                                                         'paused@example.com', 'pausedminor@example.com')")" 0 \
    "no queue row for the objected, the suppressed, the paused or a contact outside the segment"
is "$(sql "SELECT string_agg(d.reason, ' ' ORDER BY c.email_norm) FROM campaign_run_decisions d JOIN contacts c ON c.id = d.contact_id
           WHERE d.run_id = $run_id AND c.email_norm IN ('paused@example.com', 'pausedminor@example.com')")" "paused paused" \
    "campaign send records the reason paused"
is "$(sql "SELECT basis || ' ' || order_id || ' ' || relation FROM send_queue q JOIN contacts c ON c.id = q.contact_id
           WHERE q.run_id = $run_id AND c.email_norm = 'relsku@example.com'")" "existing_customer 1002 related sku X-1" \
    "the queue row keeps the basis and its evidence"
is "$(sql "SELECT count(*) FROM consent_events e JOIN contacts c ON c.id = e.contact_id
           WHERE e.kind = 'expired' AND c.email_norm = 'lapsed@example.com'")" 1 "the lapsed consent is recorded as expired"
run "$MAILOUT" campaign send pumps
is "$RC" 65 "a second run while the first is not done is refused"
like "$ERR" "has a run that is not finished" "and says why"
is "$(explain lapsed@example.com)" "excluded - consent_expired - - -" "after the ledger event the reason stays consent_expired"

# --since-last-run: one lost (unsubscribed), one gained (consent imported now)
"$MAILOUT" unsubscribe consent@example.com --topic news > /dev/null
printf 'email,consent_topic,consented_at,consent_source,consent_text_id,consent_ip\nnobasis@example.com,news,2026-11-01T10:00:00Z,form,%s,192.0.2.9\n' \
    "$news_text" > "$TMP/late.csv"
"$MAILOUT" contact import "$TMP/late.csv" > /dev/null
run "$MAILOUT" campaign explain pumps --since-last-run --json
is "$RC" 0 "explain --since-last-run"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c '
import json,sys; d=json.load(sys.stdin)
print(d["gained"], d["lost"], " ".join(sorted(c["email"] + ":" + c["was"] + ">" + c["now"] for c in d["contacts"])))')" \
    "1 1 consent@example.com:consent>unsubscribed nobasis@example.com:no_basis>consent" \
    "who gained and who lost a basis, and why"
before=$(sql "SELECT count(*) FROM campaign_run_decisions")
"$MAILOUT" campaign explain pumps --since-last-run > /dev/null
is "$(sql "SELECT count(*) FROM campaign_run_decisions")" "$before" "--since-last-run writes nothing"

# the lapse is recorded once: a second run after the first is done adds none
sql "UPDATE campaign_runs SET state = 'done' WHERE id = $run_id" > /dev/null
run "$MAILOUT" campaign send pumps --json
is "$RC" 0 "a second run once the first is done"
is "$(sql "SELECT count(*) FROM consent_events WHERE kind = 'expired'")" 1 "the lapse is recorded once"

# R-GDPR-2: no send row without a basis
run sql "INSERT INTO send_records (run_id, basis, status) VALUES ($run_id, NULL, 'sent')"
like "$OUT" "null value in column \"basis\"" "R-GDPR-2: a send record without a basis is refused"

# campaign create errors
run "$MAILOUT" campaign create c2 --topic news --template spring --segment notjp --promotes NOPE
is "$RC" 66 "an unknown sku exits 66"
like "$ERR" "unknown sku 'NOPE'" "and names it"
run "$MAILOUT" campaign create c2 --topic news --template spring --segment notjp --promotes 'X-1,a"b\c}{'
is "$RC" 66 "quotes, backslashes and braces in a sku reach the database as data"
like "$ERR" "unknown sku 'a\"b" "and the unknown one is named"
run "$MAILOUT" campaign explain pumps --contact $'a@example.com\r\nBcc: x@example.com'
is "$RC" 65 "CRLF in --contact is bad input"
run "$MAILOUT" campaign create c2 --topic news --template spring --segment notjp --category pump
is "$RC" 66 "a category covering no product exits 66 (pump is not pumps)"
run "$MAILOUT" campaign create c2 --topic news --template spring --segment notjp --category 'Pumps;x'
is "$RC" 65 "a malformed category path exits 65"
run "$MAILOUT" campaign create c2 --topic nope --template spring --segment notjp
is "$RC" 66 "an unknown topic exits 66"
run "$MAILOUT" campaign create pumps --topic news --template spring --segment notjp
is "$RC" 65 "an existing campaign name exits 65"
write_conf "suppression_key_file = $TMP/supp.key"
run "$MAILOUT" campaign create c3 --topic news --template spring --segment notjp
is "$RC" 65 "no legal entity configured or given: refused (R-EP-4)"
like "$ERR" "legal entity" "the error names the legal entity"
run "$MAILOUT" campaign create c3 --topic news --template spring --segment notjp --legal-entity "ACME Retail SAS"
is "$RC" 0 "--legal-entity names another entity of the group"
is "$(explain otherentity@example.com 2>/dev/null | head -c 0; "$MAILOUT" campaign explain c3 --contact otherentity@example.com --at "$AT" --json |
    /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["basis"] or d["reason"])')" \
    "unrelated_purchase" "a campaign promoting nothing gives no existing_customer basis at all"
is "$(sql "SELECT count(*) FROM audit_log WHERE action IN ('campaign.create', 'campaign.send')")" 4 \
    "create and send are audited"

done_testing
