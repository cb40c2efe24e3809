#!/bin/bash
# import.sh - contact import against a real PostgreSQL: RFC 4180 details,
# all-or-nothing, --skip-invalid, duplicates, suppression, imported proof,
# undeclared columns dropped, and no consent from a plain import.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 68

write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can withdraw my consent at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
"$MAILOUT" topic add offers --title "Offers" > /dev/null
printf 'Send me offers. I can unsubscribe at any time.\n' > "$TMP/offers.txt"
offers_text=$("$MAILOUT" consent-text add offers "$TMP/offers.txt")
contacts() { sql "SELECT count(*) FROM contacts"; }

# 1. RFC 4180: BOM, CRLF, quoted commas, doubled quotes, embedded newline, UTF-8, IDN
printf '\xef\xbb\xbfemail,name,country,locale,birth_date,vip,hobby,note\r\n' > "$TMP/good.csv"
printf 'alice@example.com,"Smith, Alice",de,de,1990-05-01,yes,none,\r\n' >> "$TMP/good.csv"
printf '"bob@example.com","Bob ""the builder""",AT,de-AT,,no,x,"first line\r\nsecond line"\r\n' >> "$TMP/good.csv"
printf 'info@b\xc3\xbccher.example,J\xc3\xb6rg M\xc3\xbcller,DE,de,,,,\r\n' >> "$TMP/good.csv"
printf 'ALICE@Example.COM,Alice S.,,,,gold,,\r\n' >> "$TMP/good.csv"
run "$MAILOUT" contact import "$TMP/good.csv" --attributes vip,note
is "$RC" 0 "valid file imports"
is "$OUT" "loaded 3, rejected 0, suppressed 0, dropped 0: no consent created; 1 duplicate row merged; 1 undeclared column dropped" \
    "summary: loaded counts contacts stored, the merged duplicate and the dropped column are named"
like "$ERR" "good.csv:1: column 'hobby' is not a declared attribute: dropped" "undeclared column reported"
is "$(contacts)" 3 "duplicate address merged into one contact"
is "$(sql "SELECT name || '|' || country || '|' || (attrs->>'vip') FROM contacts WHERE email_norm = 'alice@example.com'")" \
    "Alice S.|DE|gold" "later row wins, earlier values kept where the later row is empty"
is "$(sql "SELECT name FROM contacts WHERE email_norm = 'bob@example.com'")" 'Bob "the builder"' \
    "quoted field with doubled quotes"
is "$(sql "SELECT attrs->>'note' FROM contacts WHERE email_norm = 'bob@example.com'" | tr -d '\r')" "first line
second line" "quoted field with an embedded CRLF kept"
is "$(sql "SELECT email_norm FROM contacts WHERE name LIKE 'J%'")" "info@xn--bcher-kva.example" \
    "IDN domain stored as A-label for matching"
is "$(sql "SELECT email FROM contacts WHERE name LIKE 'J%'")" "info@bücher.example" "address kept as entered"
is "$(sql "SELECT count(*) FROM contacts WHERE attrs ? 'hobby' OR attrs::text LIKE '%none%'")" 0 \
    "an undeclared column is absent from the database (R-GDPR-16; a special-category column such as religion is refused instead: sensitive.sh)"
is "$(sql "SELECT count(*) FROM consent_events")" 0 "a plain import creates no consent"

# 2. one bad row: nothing loaded, every bad row named
printf 'email,note\ncarol@example.com,Carol\nnot-an-email,X\n"dave@example.com","Dave\nspans lines"\neve@,Eve\n' > "$TMP/bad.csv"
run "$MAILOUT" contact import "$TMP/bad.csv"
is "$RC" 65 "a bad row fails the import with exit 65"
like "$ERR" "bad.csv:3: invalid email 'not-an-email'" "first bad row named with its line"
like "$ERR" "bad.csv:6: invalid email 'eve@'" "line numbers count the embedded newline"
is "$OUT" "loaded 0, rejected 2, suppressed 0, dropped 0: nothing loaded" "summary says nothing loaded"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm IN ('carol@example.com', 'dave@example.com')")" 0 \
    "no partial import"

run "$MAILOUT" contact import "$TMP/bad.csv" --skip-invalid
is "$RC" 0 "--skip-invalid exits 0"
is "$OUT" "loaded 2, rejected 2, suppressed 0, dropped 0: no consent created; 1 undeclared column dropped" \
    "--skip-invalid loads the good rows"
like "$ERR" "bad.csv:3: invalid email" "--skip-invalid still reports the bad rows"

# 3. file-level problems
run "$MAILOUT" contact import "$TMP/missing.csv"
is "$RC" 66 "missing file exits 66"
is "$OUT" "loaded 0, rejected 0, suppressed 0, dropped 0: nothing loaded" "a failed import still ends with the summary line"
printf 'name,country\nX,DE\n' > "$TMP/noemail.csv"
run "$MAILOUT" contact import "$TMP/noemail.csv"
is "$RC" 65 "missing email column exits 65"
like "$ERR" "noemail.csv:1: missing required column 'email'" "names the header line"
printf 'email,name\nx@example.com,"unterminated\n' > "$TMP/broken.csv"
run "$MAILOUT" contact import "$TMP/broken.csv" --skip-invalid
is "$RC" 65 "an unterminated quote fails the file even with --skip-invalid"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm = 'x@example.com'")" 0 "and loads nothing"
printf 'email,country,birth_date,locale\nf1@example.com,Germany,,\nf2@example.com,,2090-01-01,\nf3@example.com,,,<b>\n' > "$TMP/fields.csv"
run "$MAILOUT" contact import "$TMP/fields.csv"
like "$ERR" "fields.csv:2: invalid country 'Germany'" "bad country named"
like "$ERR" "fields.csv:3: invalid birth_date '2090-01-01'" "future birth date refused"
like "$ERR" "fields.csv:4: invalid locale '<b>'" "bad locale refused"

# 4. imported consent proof
cat > "$TMP/proof.csv" <<CSV
email,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
gina@example.com,news,2025-03-01T10:00:00Z,shop checkout form v3,$news_text,198.51.100.7
hank@example.com,,,,,
CSV
run "$MAILOUT" contact import "$TMP/proof.csv"
is "$RC" 0 "proof import"
is "$(sql "SELECT kind || '|' || channel || '|' || actor || '|' || iso_utc(occurred_at) || '|' || host(ip) || '|' || e.source FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.email_norm = 'gina@example.com'")" \
    "granted|import|import|2025-03-01T10:00:00Z|198.51.100.7|shop checkout form v3" \
    "proof recorded as an imported grant with its original time, IP and source"
is "$(sql "SELECT note LIKE 'imported proof: proof.csv line 2' AND consent_text_sha256 ~ '^[0-9a-f]{64}\$' FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.email_norm = 'gina@example.com'")" \
    "t" "marked as imported proof, with the consent text hash"
is "$(sql "SELECT count(*) FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.email_norm = 'hank@example.com'")" \
    0 "a row without proof creates no consent"
run "$MAILOUT" contact import "$TMP/proof.csv"
is "$(sql "SELECT count(*) FROM consent_events")" 1 "importing the same proof again adds nothing"

cat > "$TMP/proof-bad.csv" <<CSV
email,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
ivan@example.com,news,2025-03-01T10:00:00Z,form,$news_text,
jane@example.com,news,2025-03-01T10:00:00Z,form,$offers_text,198.51.100.8
CSV
run "$MAILOUT" contact import "$TMP/proof-bad.csv"
is "$RC" 65 "incomplete or mismatched proof fails the import"
like "$ERR" "proof-bad.csv:2: consent proof needs all five" "incomplete proof named"
like "$ERR" "proof-bad.csv:3: consent_text_id $offers_text is not a consent text of topic 'news'" \
    "a consent text of another topic is refused"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm IN ('ivan@example.com', 'jane@example.com')")" 0 \
    "nothing loaded"

# 5. an opt-out is not undone by an import (R-DOI-6)
"$MAILOUT" unsubscribe gina@example.com --topic news > /dev/null 2>&1
sed -i 's/2025-03-01T10:00:00Z/2025-04-01T10:00:00Z/' "$TMP/proof.csv"
run "$MAILOUT" contact import "$TMP/proof.csv"
like "$ERR" "proof.csv:2: consent to 'news' not imported: the person opted out" "re-import after an opt-out refused"
is "$(sql "SELECT state FROM consent_current cc JOIN contacts c ON c.id = cc.contact_id WHERE c.email_norm = 'gina@example.com'")" \
    "withdrawn" "still withdrawn"

# 6. suppressed addresses are never re-imported
h=$(suppress_hash "$TMP/supp.key" "kim@example.com")
sql "INSERT INTO suppression (addr_hmac, reason) VALUES ('$h', 'erased')" > /dev/null
printf 'email\nKim@Example.com\nlee@example.com\nkim@example.com\nLee@Example.com\n' > "$TMP/supp.csv"
run "$MAILOUT" contact import "$TMP/supp.csv"
is "$OUT" "loaded 1, rejected 0, suppressed 2, dropped 0: no consent created; 1 duplicate row merged" \
    "suppressed rows counted, a repeated address loaded once"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm = 'kim@example.com'")" 0 "suppressed address not stored"
is "$(stat -c %a "$TMP/supp.key")" 600 "suppression key created with mode 0600"
is "$(sql "SELECT action || ':' || (detail->>'loaded') FROM audit_log WHERE action = 'contact.import' ORDER BY seq DESC LIMIT 1")" \
    "contact.import:1" "each import is in the audit log"
is "$(sql "SELECT actor FROM audit_log WHERE action = 'contact.import' ORDER BY seq DESC LIMIT 1")" \
    "cli:$(id -un)" "with the command-line user as actor"
printf 'email\nmia@example.com\nnot-an-email\nkim@example.com\n' > "$TMP/supp-bad.csv"
run "$MAILOUT" contact import "$TMP/supp-bad.csv"
is "$OUT" "loaded 0, rejected 1, suppressed 1, dropped 0: nothing loaded" \
    "a failed import counts its rejected and suppressed rows and loads nothing"
run "$MAILOUT" contact import "$TMP/supp-bad.csv" --skip-invalid
is "$OUT" "loaded 1, rejected 1, suppressed 1, dropped 0: no consent created" \
    "--skip-invalid with rejected and suppressed rows"
run "$MAILOUT" --json contact import "$TMP/supp.csv"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(j["loaded"], j["rejected"], j["suppressed"], j["dropped"], j["merged"])')" \
    "1 0 2 0 1" "--json carries the same counts"

# 7. consent_text_id must be the id consent-text add printed: anything else is a
# FILE:LINE error, never a failed COPY and never another id (defect 10)
ids=(99999999999999999999 9223372036854775808 -1 1e3 " $news_text" "+$news_text" 0x10 0 "$news_text " "0$news_text")
{
    echo "email,consent_topic,consented_at,consent_source,consent_text_id,consent_ip"
    for i in "${!ids[@]}"; do
        printf 'id%d@example.com,news,2025-03-01T10:00:00Z,form,"%s",198.51.100.9\n' "$i" "${ids[$i]}"
    done
    printf 'idok@example.com,news,2025-03-01T10:00:00Z,form,%s,198.51.100.9\n' "$news_text"
} > "$TMP/ids.csv"
run "$MAILOUT" contact import "$TMP/ids.csv"
is "$RC" 65 "bad consent_text_id values fail the import with exit 65"
for i in "${!ids[@]}"; do
    printf '%s\n' "$ERR" | grep -qF -- "ids.csv:$((i + 2)): invalid consent_text_id '${ids[$i]}'"
    ok $? "consent_text_id '${ids[$i]}' is an error naming ids.csv:$((i + 2))"
done
unlike "$ERR" "copy" "no failed COPY"
is "$OUT" "loaded 0, rejected ${#ids[@]}, suppressed 0, dropped 0: nothing loaded" "summary counts every bad id"
run "$MAILOUT" contact import "$TMP/ids.csv" --skip-invalid
is "$(sql "SELECT string_agg(c.email || '=' || e.consent_text_id, ',') FROM consent_events e JOIN contacts c ON c.id = e.contact_id WHERE c.email LIKE 'id%'")" \
    "idok@example.com=$news_text" "--skip-invalid records only the exact id"

# 8. stored addresses are trimmed; email_norm is the normalised form (defect 10)
printf 'email,name\n"  Bob.Trim@Example.COM ",  Bob Trim  \n\tTab@B\xc3\xbccher.example\t,Tab\n' > "$TMP/trim.csv"
run "$MAILOUT" contact import "$TMP/trim.csv"
is "$OUT" "loaded 2, rejected 0, suppressed 0, dropped 0: no consent created" "addresses with spaces import"
is "$(sql "SELECT email || '|' || email_norm || '|' || name FROM contacts WHERE email_norm LIKE 'bob.trim@%'")" \
    "Bob.Trim@Example.COM|bob.trim@example.com|Bob Trim" "email stored trimmed, email_norm normalised"
is "$(sql "SELECT email || '|' || email_norm FROM contacts WHERE email_norm LIKE 'tab@%'")" \
    "Tab@Bücher.example|tab@xn--bcher-kva.example" "tabs trimmed, IDN domain as A-label in email_norm"

# 9. a path longer than any message buffer is reported whole, never overflows (defect 10)
long=$TMP
while [ ${#long} -lt 3900 ]; do long="$long/$(printf 'p%.0s' $(seq 1 200))"; done
mkdir -p "$long"
printf 'email\nok@example.com\nnot-an-email\n' > "$long/c.csv"
run "$MAILOUT" contact import "$long/c.csv"
is "$RC" 65 "a bad row under a ${#long}-character path exits 65 (no crash)"
is "$(printf '%s\n' "$ERR" | head -n 1)" "$long/c.csv:3: invalid email 'not-an-email': missing '@' (column email)" \
    "the FILE:LINE message keeps the whole path and the reason"
is "$OUT" "loaded 0, rejected 1, suppressed 0, dropped 0: nothing loaded" "and the summary line follows"

done_testing
