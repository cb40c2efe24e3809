#!/bin/bash
# segment.sh - segment create and count against a real PostgreSQL: every
# predicate kind, the category subtree, DAYS windows, the tracking gate of
# viewed()/downloaded() (also after an objection), NULLs under NOT,
# injection attempts, parse errors naming the column, and the audit entry.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 56

write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH" \
    "contact_attributes = tier, score"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can withdraw my consent at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
printf 'Use my web activity for offers. I can withdraw at any time.\n' > "$TMP/tracking.txt"
tracking_text=$("$MAILOUT" consent-text add tracking "$TMP/tracking.txt")

# a: DE, tracking; b: AT, news; c: US, no consent; d: DE, O'Brien, tracking; e: nothing known
cat > "$TMP/contacts.csv" <<CSV
email,name,country,birth_date,tier,score,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
a@x.example,Anna,DE,1990-01-01,gold,10,tracking,2025-01-01T00:00:00Z,shop,$tracking_text,198.51.100.1
b@x.example,Bert,AT,,silver,9,news,2025-01-01T00:00:00Z,shop,$news_text,198.51.100.2
c@x.example,Cem,US,,,abc,,,,,
d@x.example,O'Brien,DE,,,,tracking,2025-01-01T00:00:00Z,shop,$tracking_text,198.51.100.4
e@x.example,,,,,,,,,,
CSV
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"

# catalogue, orders and activity straight into the tables (their imports are another issue's part)
sql "INSERT INTO legal_entities (name) VALUES ('ACME GmbH');
INSERT INTO categories (path) VALUES ('pumps'), ('pumps/booster'), ('pumpsx');
INSERT INTO products (sku, name, category_id) VALUES
 ('P-1', 'Booster', (SELECT id FROM categories WHERE path = 'pumps/booster')),
 ('P-2', 'Other', (SELECT id FROM categories WHERE path = 'pumpsx'));
INSERT INTO orders (order_id, contact_id, sku, ordered_at, legal_entity_id)
 SELECT o.n, c.id, o.sku, now() - make_interval(days => o.d), 1
   FROM (VALUES ('A1', 'a@x.example', 'P-1', 10), ('B1', 'b@x.example', 'P-2', 400)) o(n, e, sku, d)
   JOIN contacts c ON c.email_norm = o.e;
INSERT INTO web_activity (contact_id, kind, item, at)
 SELECT c.id, w.k, w.item, now() - make_interval(days => w.d)
   FROM (VALUES ('a@x.example', 'view', 'P-1', 5), ('c@x.example', 'view', 'P-1', 5),
                ('d@x.example', 'download', 'doc-7', 20)) w(e, k, item, d)
   JOIN contacts c ON c.email_norm = w.e;" > /dev/null

# count EXPR: creates a new segment with EXPR and prints its count (or the error);
# it runs in a subshell, so the segment counter lives in a file
echo 0 > "$TMP/n"
count() {
    local N=$(($(cat "$TMP/n") + 1))
    echo "$N" > "$TMP/n"
    run "$MAILOUT" segment create "s$N" --where "$1"
    [ "$RC" -eq 0 ] || { echo "create exit $RC: $ERR"; return; }
    run "$MAILOUT" segment count "s$N"
    [ "$RC" -eq 0 ] || { echo "count exit $RC: $ERR"; return; }
    echo "$OUT"
}

is "$(count 'true')" 5 "true is every contact"
is "$(count "country = 'DE'")" 2 "country ="
is "$(count "NOT country = 'DE'")" 3 "NOT includes contacts without a country"
is "$(count "country != 'DE'")" 2 "!= leaves out contacts without a country"
is "$(count "Country IN ('DE','AT')")" 3 "IN, keywords case-insensitive"
is "$(count "country NOT IN ('DE','AT')")" 1 "NOT IN"
is "$(count "name = 'O''Brien'")" 1 "doubled quote inside text"
is "$(count "name LIKE 'B%' OR name IS NULL")" 2 "LIKE and IS NULL"
is "$(count "email = 'A@X.EXAMPLE'")" 1 "email compares case-insensitively"
is "$(count "birth_date < '2000-01-01'")" 1 "birth_date as a date"
is "$(count "attr.tier = 'gold'")" 1 "attribute as text"
is "$(count "attr.score > 9")" 1 "attribute as a number (10 > 9, not as text)"
is "$(count "attr.score >= 9 AND attr.score < 10.5")" 2 "a non-numeric attribute value raises no SQL error"
is "$(count "attr.score IN (9, 10)")" 2 "attribute IN numbers"
is "$(count "bought(category 'pumps')")" 1 "category covers its subtree (pumps/booster)"
is "$(count "bought(category 'pumpsx')")" 1 "pumps does not cover pumpsx"
is "$(count "bought(category 'pumps/booster') AND bought(sku 'P-1', 11)")" 1 "sku within the window"
is "$(count "bought(sku 'P-1', 9)")" 0 "sku outside the window"
is "$(count "bought(sku 'P-2', 365)")" 0 "order 400 days ago outside 365"
is "$(count "bought(sku 'P-2', 500)")" 1 "order 400 days ago inside 500"
is "$(count "viewed(sku 'P-1')")" 1 "viewed matches only with a tracking consent (c's row is ignored)"
is "$(count "viewed(category 'pumps', 7)")" 1 "viewed by category, inside the window"
is "$(count "viewed(category 'pumps', 3)")" 0 "viewed by category, outside the window"
is "$(count "downloaded(sku 'doc-7')")" 1 "downloaded"
is "$(count "subscribed('news')")" 1 "subscribed"
is "$(count "subscribed('tracking') AND NOT subscribed('news')")" 2 "subscribed and NOT"
run "$MAILOUT" unsubscribe d@x.example
is "$RC" 0 "objection recorded"
is "$(count "downloaded(sku 'doc-7')")" 0 "after an objection downloaded() no longer matches"
is "$(count "subscribed('tracking')")" 1 "after an objection the tracking consent is not current"

# --json and unknown names
run "$MAILOUT" segment count s1 --json
is "$OUT" '{"segment": "s1", "count": 5}' "count --json"
run "$MAILOUT" segment count nope
is "$RC" 66 "unknown segment exits 66"
like "$ERR" "unknown segment 'nope'" "unknown segment named"

# injection
is "$(count "name = 'x'' OR 1=1 --'")" 0 "a quote inside text stays a value"
run "$MAILOUT" segment create inj --where "true; DROP TABLE contacts"
is "$RC" 65 "trailing statement exits 65"
is "$ERR" "mailout: segment: 1:5: unexpected ';' after a complete expression" "error names the column"
is "$(sql "SELECT count(*) FROM contacts")" 5 "contacts intact"
is "$(sql "SELECT count(*) FROM segments WHERE name = 'inj'")" 0 "nothing stored on a parse error"
run "$MAILOUT" segment create inj --where "attr.a'b = 1"
is "$RC" 65 "attr.a'b exits 65"
like "$ERR" "segment: 1:1: undeclared attribute 'a'" "attr.a'b is an error naming the attribute"
run "$MAILOUT" segment create inj --where "(country = 'DE'"
is "$ERR" "mailout: segment: 1:16: expected ')'" "missing parenthesis: line and column"
run "$MAILOUT" segment create inj --where "true
  AND birth_date = '2001-02-30'"
is "$RC" 65 "bad date exits 65"
is "$ERR" "mailout: segment: 2:20: invalid date '2001-02-30': birth_date compares with 'YYYY-MM-DD'" \
    "bad date named at its line and column"
is "$(sql "SELECT count(*) FROM segments WHERE name = 'inj'")" 0 "still nothing stored"

# names, duplicates, topics
run "$MAILOUT" segment create s1 --where true
is "$RC" 65 "duplicate name exits 65"
is "$ERR" "mailout: segment 's1' exists" "duplicate named"
run "$MAILOUT" segment create "Bad Name" --where true
is "$RC" 65 "bad name exits 65"
run "$MAILOUT" segment create t1 --where "subscribed('nope')"
is "$RC" 66 "unknown topic exits 66"
like "$ERR" "unknown topic 'nope'" "unknown topic named"
run "$MAILOUT" segment create t2
is "$RC" 64 "--where is required"

# the audit log names the segment, never its values
run "$MAILOUT" segment create vip --where "attr.tier = 'platinum-secret'"
is "$RC" 0 "create prints"
is "$OUT" "segment 'vip' created" "create says so"
is "$(sql "SELECT action || ' ' || object FROM audit_log WHERE object = 'segment:vip'")" \
    "segment.create segment:vip" "create audited"
is "$(sql "SELECT count(*) FROM audit_log WHERE detail::text LIKE '%platinum-secret%'")" 0 \
    "no value in the audit log"
run "$MAILOUT" segment --help
like "$OUT" "segment create NAME --where EXPR" "help lists segment create"
done_testing
