#!/bin/bash
# ropa.sh - audit ropa (GDPR Art. 30(1)(a)-(g)) and GET /privacy-info
# against a real database: sections drawn from configuration and data, a
# processor in and outside the EEA, required values (exit 65 naming them),
# the page in English and German with every value HTML-escaped.
. "${top_srcdir:-.}/tests/integration/lib.sh"
setup_newsletter "postal_address = ACME GmbH, Musterstr. 1, 10115 Berlin" \
    "imprint_url = https://shop.example/imprint" "contact_attributes = plan, health:sensitive"
plan 53

PY=/usr/bin/python3
# json EXPR: evaluates the Python expression EXPR with d = the JSON document $OUT
json() { printf '%s' "$OUT" | $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
page() { # page LANG-HEADER [QUERY]: GET /privacy-info into $TMP/page, status in CODE
    CODE=$(curl -s --max-time 10 -H "Accept-Language: $1" -D "$TMP/headers" -o "$TMP/page" \
        -w '%{http_code}' "$BASE/privacy-info${2:-}")
}

# --- the quick-start shape: loopback relay, no processors --------------------
run "$MAILOUT" audit ropa --json
is "$RC" 0 "audit ropa --json exits 0 without processors (loopback relay)"
is "$(json "all(isinstance(d[k], dict) and len(d[k]) > 1 for k in ('a_controller','b_purposes','c_categories','d_recipients','e_transfers','f_retention','g_security'))")" \
    True "a non-empty section for each of (a)-(g)"
is "$(json "(d['a_controller']['legal_entity'], d['a_controller']['email'])")" \
    "('ACME GmbH', 'news@shop.example')" "(a) controller from the configuration"
is "$(json "[(t['name'], len(t['consent_texts'])) for t in d['b_purposes']['topics']]")" \
    "[('news', 1), ('tracking', 0)]" "(b) every topic with its current consent texts"
is "$(json "d['b_purposes']['topics'][0]['consent_texts'][0]['id']")" "$NEWS_TEXT" \
    "(b) the consent text id as consent-text add printed"
is "$(json "d['b_purposes']['topics'][0]['consent_texts'][0]['sha256']")" \
    "$(sha256sum "$TMP/news.txt" | cut -d' ' -f1)" "(b) the consent text's SHA-256"
is "$(json "[(a['name'], a['sensitive']) for a in d['c_categories']['attributes']]")" \
    "[('plan', False), ('health', True)]" "(c) declared attributes, :sensitive marked"
is "$(json "(d['d_recipients']['processors'], d['d_recipients']['none'])")" \
    "([], \"none: mail is delivered by the sender's own infrastructure (maildir/loopback)\")" \
    "(d) no processors: says none"
is "$(json "(d['e_transfers']['residency'], d['e_transfers']['transfers'])")" "('eu', [])" \
    "(e) residency eu, no transfers"
is "$(json "(d['f_retention']['contact_retention_months'], d['f_retention']['reply_retention_months'])")" \
    "(36, 24)" "(f) retention settings"
like "$(json "' | '.join(m['measure'] + ': ' + m['detail'] for m in d['g_security']['measures'])")" \
    'mailout_app.*append-only history: .*audit_log.*consent_events.*send_records.*TLS for SMTP: smtp_starttls = off' \
    "(g) roles, append-only tables, TLS"
is "$(json "'missing' in d")" False "no 'missing' key when complete"

# data: a subscriber, a customer with an order
printf 'email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip\nbob@example.com,Bob,DE,news,2026-06-01T10:00:00Z,shop form,%s,192.0.2.1\n' "$NEWS_TEXT" > "$TMP/c.csv"
run "$MAILOUT" contact import "$TMP/c.csv"
is "$RC" 0 "contact with consent proof imported"
printf 'sku,name,category\nP-1,Pump,pumps\n' > "$TMP/p.csv"
"$MAILOUT" product import "$TMP/p.csv" > /dev/null 2>&1
printf 'order_id,email,sku,ordered_at\nA-1,dave@example.com,P-1,2026-05-02T09:00:00Z\n' > "$TMP/o.csv"
run "$MAILOUT" order import "$TMP/o.csv"
run "$MAILOUT" audit ropa --json
is "$(json "[(s['category'], s['topic'], s['count']) for s in d['c_categories']['data_subjects'] if s['category'] in ('subscribers', 'customers with orders')]")" \
    "[('subscribers', 'news', 1), ('customers with orders', None, 1)]" "(c) counts of subscribers and customers"

# --- processors: through the processor commands; rows they refuse as the owner ---
run "$MAILOUT" processor add "Relay EU GmbH" --role processor --country DE \
    --host relay.eu.example --dpa DPA-2026-1 --purpose "mail delivery"
is "$RC" 0 "processor add (EU) ($ERR)"
run "$MAILOUT" processor add "CRM <Inc>" --role controller --country US --host crm.example \
    --mechanism scc --purpose "CRM & sales"
is "$RC" 0 "processor add (US, scc) ($ERR)"
run "$MAILOUT" audit ropa --json
is "$RC" 0 "audit ropa with an EU and a US processor"
is "$(json "[(p['name'], p['country'], p['hosts']) for p in d['d_recipients']['processors']]")" \
    "[('CRM <Inc>', 'US', ['crm.example']), ('Relay EU GmbH', 'DE', ['relay.eu.example'])]" \
    "(d) both processors with country and hosts"
is "$(json "[(t['name'], t['country'], t['mechanism'], t['decision']) for t in d['e_transfers']['transfers']]")" \
    "[('CRM <Inc>', 'US', 'scc', None)]" "(e) only the US one, with its mechanism (no DPF decision under SCC)"
sql "INSERT INTO processors (name, role, country, created_by) VALUES ('UK Mail Ltd', 'processor', 'GB', 'test')" > /dev/null
run "$MAILOUT" audit ropa --json
is "$(json "[(t['name'], t['mechanism'], (t['decision'] or '')[:42]) for t in d['e_transfers']['transfers']]")" \
    "[('CRM <Inc>', 'scc', ''), ('UK Mail Ltd', 'adequacy', 'Commission Implementing Decision (EU) 2021')]" \
    "(e) an adequacy country needs no mechanism: its decision is named"
# as the application role (db_role = mailout_app): every table and catalogue it reads is granted
echo "db_role = mailout_app" >> "$TMP/mailout.conf"
run "$MAILOUT" audit ropa --json
is "$RC" 0 "audit ropa as mailout_app ($ERR)"
sed -i '/^db_role/d' "$TMP/mailout.conf"
run "$MAILOUT" audit ropa
is "$RC:$ERR" "0:" "text output exits 0, nothing on stderr"
like "$OUT" '^Records of processing' "text: title"
is "$(printf '%s\n' "$OUT" | grep -cE '^\((a|b|c|d|e|f|g)\) ')" 7 "text: one heading per section (a)-(g)"
like "$OUT" 'CRM <Inc> to US: standard contractual clauses' "text: the transfer with its mechanism"

# --- /privacy-info -----------------------------------------------------------
page "en"
is "$CODE" 200 "GET /privacy-info"
like "$(grep -i '^content-security-policy' "$TMP/headers")" "default-src 'none'" "strict CSP"
like "$(cat "$TMP/page")" '<h2>Recipients</h2>' "English headings"
like "$(cat "$TMP/page")" '<td>CRM &lt;Inc&gt;</td><td>independent controller</td><td>US</td><td>CRM &amp; sales</td>' \
    "processor row, escaped"
like "$(cat "$TMP/page")" 'standard contractual clauses' "transfer mechanism named"
like "$(cat "$TMP/page")" 'keyed hash of your address' "suppression list explained"
unlike "$(cat "$TMP/page")" 'bob@example.com|dave@example.com' "no personal data on the page"
page "de-DE,de;q=0.9"
is "$CODE" 200 "GET /privacy-info (Accept-Language: de)"
like "$(cat "$TMP/page")" '<h2>Empfänger</h2>.*|Standardvertragsklauseln' "German page"
like "$(cat "$TMP/page")" 'Beschwerde bei einer Datenschutz-Aufsichtsbehörde' "German: right to complain"
page "de" "?lang=en"
like "$(cat "$TMP/page")" '<h1>Privacy information</h1>' "?lang=en wins over Accept-Language"
CODE=$(curl -s --max-time 10 -I -o /dev/null -w '%{http_code}' "$BASE/privacy-info")
is "$CODE" 200 "HEAD /privacy-info"
CODE=$(curl -s --max-time 10 -X POST -o /dev/null -w '%{http_code}' "$BASE/privacy-info")
is "$CODE" 405 "POST /privacy-info is 405"

# --- required values ---------------------------------------------------------
sql "INSERT INTO processors (name, role, country, created_by) VALUES ('Acme Mail', 'processor', NULL, 'test')" > /dev/null
run "$MAILOUT" audit ropa --json
is "$RC" 65 "a processor without country: exit 65"
is "$ERR" "mailout: audit ropa: processor 'Acme Mail' has no country" "the error names it, one line"
is "$OUT" "" "nothing on stdout"
sql "UPDATE processors SET country = 'CN' WHERE name = 'Acme Mail'" > /dev/null
run "$MAILOUT" audit ropa
is "$ERR" "mailout: audit ropa: processor 'Acme Mail' (CN) has no transfer mechanism" \
    "a third country without adequacy and mechanism: named"
sql "DELETE FROM processors WHERE name = 'Acme Mail'" > /dev/null

# legal_entity missing, then hostile: escaped on the page
serve_sigterm
unlike "$(grep -E 'ERROR: AddressSanitizer|LeakSanitizer|runtime error' "$TMP/serve.log")" \
    '.' "the serve log has no sanitizer reports"
sed -i '/^legal_entity/d' "$TMP/mailout.conf"
run "$MAILOUT" audit ropa
is "$ERR" "mailout: audit ropa: legal_entity is not set" "legal_entity missing: exit 65 naming it ($RC)"
echo 'legal_entity = ACME <script>alert(1)</script> & "Söhne"' >> "$TMP/mailout.conf"
start_serve
page en
like "$(cat "$TMP/page")" 'ACME &lt;script&gt;alert\(1\)&lt;/script&gt; &amp; &quot;Söhne&quot;' "legal_entity HTML-escaped"
unlike "$(cat "$TMP/page")" '<script>' "no script element"
serve_sigterm

# hostile configuration: a value that is not UTF-8
sed -i '/^legal_entity/d;/^contact_attributes/d' "$TMP/mailout.conf"
printf 'legal_entity = ACME \xff GmbH\ncontact_attributes = plan , health:sensitive, Religion:sensitive\n' >> "$TMP/mailout.conf"
run "$MAILOUT" audit ropa --json
is "$RC:$ERR" "65:mailout: audit ropa: legal_entity is not valid UTF-8" "legal_entity not UTF-8: exit 65 naming it"
is "$OUT" "" "nothing on stdout"
start_serve
page en
is "$CODE" 200 "the page still answers (the value left out)"
serve_sigterm
sed -i '/^legal_entity/d' "$TMP/mailout.conf"
echo 'legal_entity = ACME GmbH' >> "$TMP/mailout.conf"
run "$MAILOUT" audit ropa --json
is "$(json "[(a['name'], a['sensitive']) for a in d['c_categories']['attributes']]")" \
    "[('plan', False), ('health', True), ('religion', True)]" "attribute list as parsed by the one attribute parser"

# the quick start's configuration (contrib/quickstart.sh): maildir, no processors, mailout_app
sql "DELETE FROM processors" > /dev/null
write_conf "transport = maildir:$TMP/outbox" "db = $MAILOUT_DB" "db_role = mailout_app" \
    "base_url = $BASE" "listen = 127.0.0.1:$SERVE_PORT" "from = news@shop.example" \
    "postal_address = ACME Pumps GmbH, Musterstraße 1, 10115 Berlin, Germany" \
    "unsubscribe_mailto = unsubscribe@shop.example" "legal_entity = ACME Pumps GmbH" \
    "privacy_url = https://shop.example/privacy" "imprint_url = https://shop.example/imprint" \
    "suppression_key_file = $TMP/supp.key"
run "$MAILOUT" audit ropa
is "$RC:$ERR" "0:" "audit ropa with the quick start's configuration"
ART=$(cd "${top_builddir:-.}" && pwd)/tests/out
mkdir -p "$ART" && printf '%s\n' "$OUT" > "$ART/ropa-quickstart.txt" # kept as an artifact
like "$OUT" "\(d\) Recipients
  none: mail is delivered by the sender's own infrastructure \(maildir/loopback\)" \
    "(d) says none, the section is not empty"
like "$OUT" "TLS for SMTP: not applicable: maildir transport" "(g) TLS not applicable for maildir"
done_testing
