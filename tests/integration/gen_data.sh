#!/bin/bash
# gen_data.sh - contrib/gen-engine-data.py: the same seed gives the same
# bytes, a different seed different ones, the requested row counts, and
# every CSV parses with python's csv module with the expected header.
. "${top_srcdir:-.}/tests/integration/lib.sh"
plan 13

GEN="$SRCDIR/contrib/gen-engine-data.py"
gen() { /usr/bin/python3 "$GEN" --contacts 300 --orders 500 --activity 700 --seed "$1" --out "$2"; }
sums() { (cd "$1" && sha256sum products.csv relations.txt contacts.csv orders.csv activity.csv ledger.sql); }

gen 42 "$TMP/a"
is "$?" 0 "the generator runs"
gen 42 "$TMP/b"
is "$(sums "$TMP/a")" "$(sums "$TMP/b")" "the same seed gives byte-identical files"
gen 43 "$TMP/c"
unlike "$(sums "$TMP/c" | grep contacts.csv | cut -d' ' -f1)" "$(sums "$TMP/a" | grep contacts.csv | cut -d' ' -f1)" \
    "another seed gives other contacts"

# check FILE HEADER ROWS: parses as CSV, header as given, ROWS data rows, every row as wide as the header
check() {
    /usr/bin/python3 - "$TMP/a/$1" "$2" "$3" <<'PY'
import csv, sys
path, header, rows = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
with open(path, encoding="utf-8", newline="") as f:
    r = list(csv.reader(f, strict=True))
problems = []
if r[0] != header:
    problems.append(f"header {r[0]}")
if rows != "any" and len(r) - 1 != int(rows):
    problems.append(f"{len(r) - 1} rows")
if any(len(x) != len(header) for x in r):
    problems.append("ragged rows")
print("ok" if not problems else "; ".join(problems))
PY
}
is "$(check contacts.csv email,name,country,locale,birth_date 300)" ok "contacts.csv: 300 rows, parses"
is "$(check orders.csv order_id,email,sku,ordered_at,legal_entity,collected_in_sale,opt_out_offered 500)" ok \
    "orders.csv: 500 rows, parses"
is "$(check activity.csv email,kind,item,at 700)" ok "activity.csv: 700 rows, parses"
is "$(check products.csv sku,name,category any)" ok "products.csv parses"
is "$(cut -d, -f1 "$TMP/a/contacts.csv" | tail -n +2 | grep -cvE '^[a-z0-9.-]+@[a-z0-9.-]+\.[a-z]+$')" 0 \
    "every address is lower-case ASCII (no SMTPUTF8 needed)"
n=$(($(wc -l < "$TMP/a/products.csv") - 1))
ok "$([ "$n" -ge 1000 ] && [ "$n" -le 5000 ]; echo $?)" "a catalogue of a few thousand products ($n)"
like "$(cut -d, -f3 "$TMP/a/products.csv" | tr -d '\r' | sort -u | tr '\n' ' ')" " pumps pumps/booster pumps/booster/high-pressure " \
    "nested category paths"
is "$(grep -cvE '^(sku P-[0-9]+ P-[0-9]+|category [a-z0-9/-]+ [a-z0-9/-]+)$' "$TMP/a/relations.txt")" 0 \
    "relations.txt has only sku and category lines"
is "$(/usr/bin/python3 -c 'import csv,sys; print(len({r["country"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))}))' "$TMP/a/contacts.csv")" 9 \
    "contacts in eight countries and unknown"
is "$(grep -oE ',(granted|withdrawn|objected|expired),' "$TMP/a/ledger.sql" | sort -u | tr -d ',' | tr '\n' ' ')" \
    "expired granted objected withdrawn " "ledger.sql holds consents in every state"

done_testing
