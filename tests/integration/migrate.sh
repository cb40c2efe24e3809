#!/bin/bash
# migrate.sh - db migrate / db status against a real PostgreSQL: order,
# idempotence, checksums, failing migrations leave no trace.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 20

nfiles=$(ls "$SRCDIR"/sql/[0-9]*_*.sql | wc -l)

run "$MAILOUT" db status
is "$RC" 0 "db status on an empty database"
like "$OUT" "0 applied, $nfiles pending" "all migrations pending"

run "$MAILOUT" db migrate
is "$RC" 0 "db migrate applies"
is "$OUT" "applied $nfiles migrations" "reports how many"
is "$(sql 'SELECT count(*) FROM mailout_migrations')" "$nfiles" "each recorded"
is "$(sql 'SELECT count(*) FROM mailout_migrations WHERE checksum !~ $$^[0-9a-f]{64}$$')" 0 \
    "each with a SHA-256 checksum"

before=$(sql "SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version) FROM mailout_migrations")
run "$MAILOUT" db migrate
is "$RC" 0 "second db migrate exits 0"
is "$OUT" "database is up to date" "second db migrate is a no-op"
is "$(sql "SELECT string_agg(version || ':' || applied_at, ',' ORDER BY version) FROM mailout_migrations")" \
    "$before" "nothing re-applied"

run "$MAILOUT" --json db status
like "$OUT" '"pending": \[\]' "db status --json: nothing pending"

uncommented=$(sql "SELECT string_agg(c.relname || '.' || coalesce(a.attname, ''), ' ')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
  LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND c.relkind = 'r'
 WHERE c.relkind IN ('r', 'v') AND c.relname <> 'mailout_migrations'
   AND (obj_description(c.oid, 'pg_class') IS NULL
        OR (a.attnum IS NOT NULL AND col_description(c.oid, a.attnum) IS NULL))")
is "$uncommented" "" "every table, view and column has a comment"

# A broken migration: copy the data dir and add one
DATA="$TMP/data"
mkdir -p "$DATA"
cp -r "$SRCDIR/sql" "$DATA/sql"
printf -- '-- broken on purpose\nCREATE TABLE half_done (x int);\nINSERT INTO half_done VALUES (1);\nCREATE TABLE broken (\n    y no_such_type\n);\n' \
    > "$DATA/sql/0999_broken.sql"
write_conf "data_dir = $DATA"
run "$MAILOUT" db migrate
is "$RC" 65 "a failing migration exits 65"
like "$(echo "$ERR" | head -n1)" "0999_broken.sql:5\)" "error names the file and the line"
like "$ERR" 'type "no_such_type" does not exist' "error says what failed"
is "$(sql "SELECT to_regclass('half_done') IS NULL")" "t" "earlier statements of the file rolled back"
is "$(sql 'SELECT count(*) FROM mailout_migrations WHERE version = 999')" 0 "not recorded"

# Fix it: now it applies
printf -- 'CREATE TABLE half_done (x int);\n' > "$DATA/sql/0999_broken.sql"
run "$MAILOUT" db migrate
is "$OUT" "applied 1 migration" "fixed migration applies"

# Changing an applied file is refused
printf -- '-- edited\n' >> "$DATA/sql/0002_contacts_consent.sql"
run "$MAILOUT" db migrate
is "$RC" 65 "a changed applied migration is refused"
like "$ERR" "migration '0002_contacts_consent.sql' was changed after it was applied" "names the changed file"

# The tracking topic and the policy defaults are seeded
is "$(sql "SELECT name FROM topics WHERE reserved")" "tracking" "reserved tracking topic exists"

done_testing
