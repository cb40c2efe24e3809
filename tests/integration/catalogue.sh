#!/bin/bash
# catalogue.sh - product import, product and category relations, order
# import against a real PostgreSQL: FILE:LINE reports with nothing changed,
# symmetric relations, contacts created without consent, suppressed
# addresses stored nowhere, sellers created, idempotent re-import.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 64

write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
dump() { pg_dump --data-only --no-owner mailout 2>&1; }
# the data, without pg_dump's comments and per-run \restrict keys
state() { dump | grep -v -e '^--' -e '^$' -e '^\\' | md5sum; }
products() { sql "SELECT string_agg(p.sku || '=' || COALESCE(p.name, '') || '@' || c.path, ' ' ORDER BY p.sku) FROM products p JOIN categories c ON c.id = p.category_id"; }

# 1. product import: good file, then bad rows with nothing changed
printf 'sku,name,category,colour\r\nP-100,Pump 100,pumps/centrifugal,red\r\nP-200,"Booster, big",pumps/booster,\r\nV-1,Valve,valves,\r\n' > "$TMP/products.csv"
run "$MAILOUT" product import "$TMP/products.csv"
is "$RC" 0 "product import exits 0"
is "$OUT" "loaded 3, rejected 0, suppressed 0, dropped 0: 3 products created, 0 updated, 3 categories created; 1 unused column dropped" "product summary"
like "$ERR" "products.csv:1: column 'colour' is not used: dropped" "unused column named"
is "$(products)" "P-100=Pump 100@pumps/centrifugal P-200=Booster, big@pumps/booster V-1=Valve@valves" "products stored"
is "$(sql "SELECT count(*) FROM categories WHERE path = 'pumps'")" 0 "an ancestor needs no row"

before=$(state)
printf 'sku,name,category\nP-300,Pump 300,Pumps/Big\n,No sku,pumps\nP-301,Pump,pumps//x\nP-302,"Bad\x01name",pumps\nP-100,Pump 100 new,pumps/inline\nP-303,Ok,pumps\nP-303,Other,pumps\n' > "$TMP/badprod.csv"
run "$MAILOUT" product import "$TMP/badprod.csv"
is "$RC" 65 "a bad product row fails the import"
like "$ERR" "badprod.csv:2: invalid category 'Pumps/Big'" "upper-case path named with its line"
like "$ERR" "badprod.csv:3: sku is empty" "empty sku named"
like "$ERR" "badprod.csv:4: invalid category 'pumps//x'" "empty segment named"
like "$ERR" "badprod.csv:5: name is longer than 200 bytes or has control characters" "control character in name"
like "$ERR" "badprod.csv:8: sku 'P-303' is already on line 7 with another name or category" "conflicting repeat named"
is "$OUT" "loaded 0, rejected 5, suppressed 0, dropped 0: nothing loaded" "summary says nothing loaded"
is "$(state)" "$before" "nothing changed in the database"

run "$MAILOUT" product import "$TMP/badprod.csv" --skip-invalid
is "$RC" 0 "--skip-invalid exits 0"
is "$OUT" "loaded 2, rejected 5, suppressed 0, dropped 0: 1 product created, 1 updated, 2 categories created" "--skip-invalid summary"
is "$(sql "SELECT name || '@' || c.path FROM products p JOIN categories c ON c.id = p.category_id WHERE sku = 'P-100'")" \
    "Pump 100 new@pumps/inline" "re-importing an sku updates its name and category"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'product.import'")" 2 "product imports audited"

# 2. relations
run "$MAILOUT" product relate P-200 P-100
is "$RC" 0 "product relate"
is "$(sql "SELECT sku_a || ' ' || sku_b FROM product_relations")" "P-100 P-200" "stored once with a < b"
run "$MAILOUT" product relate P-100 P-200
is "$RC" 0 "relating B A again exits 0"
like "$OUT" "already related: nothing changed" "and says it was a no-op"
is "$(sql "SELECT count(*) FROM product_relations")" 1 "no second row"
run "$MAILOUT" product relate P-100 NOPE
is "$RC" 66 "unknown sku exits 66"
like "$ERR" "unknown sku 'NOPE'" "names the unknown sku"
run "$MAILOUT" product relate P-100 P-100
is "$RC" 65 "a product related to itself exits 65"
run "$MAILOUT" product relate-category valves pumps
is "$RC" 0 "relate-category with an implicit ancestor path"
is "$(sql "SELECT a.path || ' ' || b.path FROM category_relations r JOIN categories a ON a.id = r.category_a JOIN categories b ON b.id = r.category_b")" \
    "valves pumps" "stored once (ids ordered), the ancestor row created"
run "$MAILOUT" product relate-category pumps valves
is "$RC:$(sql "SELECT count(*) FROM category_relations")" "0:1" "reverse relation is a no-op"
like "$OUT" "already related" "and says so"
run "$MAILOUT" product relate-category pumps garden
is "$RC" 66 "a category path without products exits 66"
like "$ERR" "no product in category 'garden'" "names the path"
is "$(sql "SELECT count(*) FROM categories WHERE path = 'garden'")" 0 "and creates no row for it"
run "$MAILOUT" product relate-category pumps Pumps
is "$RC" 65 "a malformed path exits 65"
run "$MAILOUT" product relate-category pumps pumps
is "$RC" 65 "a category related to itself exits 65"
is "$(sql "SELECT count(*) FROM audit_log WHERE action IN ('product.relate', 'product.relate_category')")" 2 \
    "relations audited once each"

# 3. order import
"$MAILOUT" contact import /dev/stdin > /dev/null 2>&1 <<CSV
email,name
known@example.com,Known
gone@example.com,Gone Person
CSV
"$MAILOUT" erase gone@example.com > /dev/null 2>&1 ||
    sql "INSERT INTO suppression (addr_hmac, reason) VALUES ('$(suppress_hash "$TMP/supp.key" gone@example.com)', 'erased'); DELETE FROM contacts WHERE email_norm = 'gone@example.com'" > /dev/null
cat > "$TMP/orders.csv" <<CSV
order_id,email,sku,ordered_at,legal_entity,collected_in_sale,opt_out_offered
A-1,known@example.com,P-100,2026-01-10T10:00:00Z,,true,true
A-1,known@example.com,P-200,2026-01-10T10:00:00Z,,,
A-2,new.customer@example.com,V-1,2026-02-01 09:30,ACME Retail Ltd,false,false
A-3,gone@example.com,P-100,2026-02-02T00:00:00+01:00,,,
A-1,known@example.com,P-100,2026-01-10T10:00:00Z,,true,true
CSV
run "$MAILOUT" order import "$TMP/orders.csv"
is "$RC" 0 "order import exits 0"
is "$OUT" "loaded 3, rejected 0, suppressed 1, dropped 0: 3 order lines new, 0 changed; 1 contact created, 2 legal entities created" \
    "order summary counts suppressed, contacts and legal entities created"
is "$(sql "SELECT o.order_id || ' ' || o.sku || ' ' || l.name || ' ' || o.collected_in_sale || ' ' || o.opt_out_offered FROM orders o JOIN legal_entities l ON l.id = o.legal_entity_id ORDER BY o.order_id, o.sku" | tr '\n' '|')" \
    "A-1 P-100 ACME GmbH true true|A-1 P-200 ACME GmbH true false|A-2 V-1 ACME Retail Ltd false false|" \
    "defaults: configured seller, collected true, opt-out false"
is "$(sql "SELECT to_char(ordered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM orders WHERE order_id = 'A-2'")" "2026-02-01 09:30" \
    "a time without zone is UTC"
is "$(sql "SELECT source || ' ' || (addr_hmac IS NOT NULL) FROM contacts WHERE email_norm = 'new.customer@example.com'")" "orders.csv true" \
    "unknown email creates the contact with source and keyed hash"
run "$MAILOUT" contact show new.customer@example.com --json
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["topics"]), len(d["history"]), d["objected_since"])')" "0 0 None" \
    "the created contact has no consent"
d=$(dump)
unlike "$d" "gone@example.com" "the suppressed address is in no table (pg_dump)"
unlike "$d" "Gone Person" "nor its name"
unlike "$d" "A-3" "nor its order"

run "$MAILOUT" order import "$TMP/orders.csv"
is "$RC:$OUT" "0:loaded 3, rejected 0, suppressed 1, dropped 0: 0 order lines new, 0 changed; 0 contacts created, 0 legal entities created" \
    "re-importing the same file is idempotent"
is "$(sql "SELECT count(*) FROM orders")" 3 "no order line twice"

# 4. bad order rows: all-or-nothing, then --skip-invalid
before=$(state)
cat > "$TMP/badorders.csv" <<CSV
order_id,email,sku,ordered_at,collected_in_sale,opt_out_offered
B-1,b1@example.com,P-999,2026-01-01,,
B-2,b2@example.com,P-100,2026-13-01,,
B-3,b3@example.com,P-100,2026-01-01,yes,
B-4,b4@example.com,P-100,2026-01-01,,maybe
B-5,not-an-address,P-100,2026-01-01,,
B-6,b6@example.com,V-1,2026-01-01,,
B-6,b6@example.com,V-1,2026-01-02,,
B-7,b7@example.com,P-100,2099-01-01,,
CSV
run "$MAILOUT" order import "$TMP/badorders.csv"
is "$RC" 65 "bad order rows fail the import"
like "$ERR" "badorders.csv:2: unknown sku 'P-999'" "unknown sku named"
like "$ERR" "badorders.csv:3: invalid ordered_at '2026-13-01'" "bad date named"
like "$ERR" "badorders.csv:4: invalid collected_in_sale 'yes': expected true or false" "bad boolean named"
like "$ERR" "badorders.csv:5: invalid opt_out_offered 'maybe'" "second bad boolean named"
like "$ERR" "badorders.csv:6: invalid email 'not-an-address'" "bad email named"
like "$ERR" "badorders.csv:8: order 'B-6' sku 'V-1' is already on line 7 with other values" "conflicting order line named"
like "$ERR" "badorders.csv:9: invalid ordered_at '2099-01-01'" "future order refused"
is "$(state)" "$before" "nothing changed in the database"
run "$MAILOUT" order import "$TMP/badorders.csv" --skip-invalid
is "$RC:$OUT" "0:loaded 1, rejected 7, suppressed 0, dropped 0: 1 order line new, 0 changed; 1 contact created, 0 legal entities created" \
    "--skip-invalid loads the good row"

# 5. no seller anywhere: the row is invalid
write_conf "suppression_key_file = $TMP/supp.key"
printf 'order_id,email,sku,ordered_at\nC-1,c1@example.com,P-100,2026-01-01\n' > "$TMP/noseller.csv"
run "$MAILOUT" order import "$TMP/noseller.csv"
is "$RC" 65 "no seller in the row or the configuration"
like "$ERR" "noseller.csv:2: no legal_entity" "names the row"

# 6. CRLF inside a field, NUL, huge field: a clear FILE:LINE error and nothing changed
before=$(state)
printf 'sku,name,category\nQ-1,"two\r\nlines",pumps\nQ-2,nul\000here,pumps\n' > "$TMP/ctl.csv"
/usr/bin/python3 -c 'import sys; sys.stdout.write("sku,name,category\nQ-3," + "x" * 70000 + ",pumps\n")' >> "$TMP/ctl.csv.big"
tail -n +2 "$TMP/ctl.csv.big" >> "$TMP/ctl.csv"
run "$MAILOUT" product import "$TMP/ctl.csv"
is "$RC" 65 "control characters and a huge field fail the import"
like "$ERR" "ctl.csv:2: name is longer than 200 bytes or has control characters" "CRLF in a field named"
like "$ERR" "ctl.csv:4: .*NUL" "NUL byte named"
like "$ERR" "ctl.csv:5: .*(longer|too long|65536)" "huge field named"
is "$(state)" "$before" "nothing changed"

done_testing
