#!/bin/bash
# cli.sh - the command line: help, version, exit codes, configuration errors,
# global options before or after the command words.
. "${top_srcdir:-.}/tests/integration/lib.sh"
plan 32

run "$MAILOUT" --help
is "$RC" 0 "--help exits 0"
like "$OUT" "db migrate" "--help lists commands"

run "$MAILOUT" --version
like "$OUT" "^mailout [0-9]+\.[0-9]+\.[0-9]+$" "--version prints the version"

run "$MAILOUT" frobnicate
is "$RC" 64 "unknown command exits 64"
like "$(echo "$ERR" | head -n1)" "^mailout: unknown command 'frobnicate'" "unknown command named on the first line"

run "$MAILOUT" db migrate --bogus
is "$RC" 64 "unknown option exits 64"

bad=""
for c in "db migrate" "db status" "topic add" "consent-text add" "contact import" "contact show" \
    subscribe unsubscribe serve dispatch maintenance test-mail; do
    # shellcheck disable=SC2086
    out=$("$MAILOUT" $c --help 2>&1) && printf '%s' "$out" | grep -q "^usage: mailout $c" || bad="$bad [$c]"
done
is "$bad" "" "every command answers --help with its usage"

run "$MAILOUT" db status --help
is "$RC" 0 "command --help exits 0 without configuration"
like "$OUT" "usage: mailout db status" "command --help shows its usage"

cd "$TMP" || exit 1
printf 'db = x\nfrom = a@b.example\nbogus_key = 1\n' > bad.conf
run "$MAILOUT" --config bad.conf db status
is "$RC" 65 "unknown configuration key exits 65"
is "$(echo "$ERR" | head -n1)" "mailout: unknown configuration key 'bogus_key' (bad.conf:3)" \
    "error names key, file and line"

printf 'rate = lots\n' > bad2.conf
MAILOUT_CONFIG=bad2.conf run "$MAILOUT" db status
is "$RC" 65 "\$MAILOUT_CONFIG is read; a bad value exits 65"
like "$ERR" "invalid value 'lots' for key rate.*bad2.conf:1" "bad value names key and line"

run "$MAILOUT" --config missing.conf db status
is "$RC" 66 "missing --config file exits 66"

printf 'transport = maildir:%s\n' "$TMP/md" > mailout.conf
run env -u MAILOUT_DB "$MAILOUT" db status
is "$RC" 64 "./mailout.conf is read; no database configured exits 64"
like "$ERR" "no database configured" "says the database is not configured"

run env MAILOUT_DB="host=/nonexistent port=1 dbname=x connect_timeout=2" "$MAILOUT" db status
is "$RC" 69 "unreachable database exits 69"

# global options may follow the command words (defect 11)
run "$MAILOUT" db status --config bad.conf
is "$RC" 65 "--config after the command is read"
is "$(echo "$ERR" | head -n1)" "mailout: unknown configuration key 'bogus_key' (bad.conf:3)" \
    "and names that file"
run "$MAILOUT" db status --config=bad.conf
is "$(echo "$ERR" | head -n1)" "mailout: unknown configuration key 'bogus_key' (bad.conf:3)" \
    "--config=FILE after the command is read"
run env -u MAILOUT_DB "$MAILOUT" db status --db "host=/nonexistent port=1 dbname=x connect_timeout=2"
is "$RC" 69 "--db CONNINFO after the command is used"
run env -u MAILOUT_DB "$MAILOUT" db status --db="host=/nonexistent port=1 dbname=x connect_timeout=2"
is "$RC" 69 "--db=CONNINFO after the command is used"

start_pg
printf 'db = %s\nsuppression_key_file = %s\n' "$MAILOUT_DB" "$TMP/supp.key" > good.conf
run env -u MAILOUT_DB -u MAILOUT_CONFIG "$MAILOUT" db migrate --config good.conf
is "$RC" 0 "db migrate --config FILE uses that file's database"
run env -u MAILOUT_DB -u MAILOUT_CONFIG "$MAILOUT" db status --config good.conf
like "$OUT" "^applied " "db status --config FILE uses that file's database"
export MAILOUT_CONFIG="$TMP/good.conf"
json_ok() { printf '%s' "$1" | /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)' 2> /dev/null; }
run "$MAILOUT" topic add x --title T --json
is "$RC" 0 "topic add with --json after the command"
json_ok "$OUT"
ok $? "prints valid JSON"
printf 'email\npat@example.com\n' > "$TMP/pat.csv"
"$MAILOUT" contact import "$TMP/pat.csv" > /dev/null 2>&1
"$MAILOUT" unsubscribe pat@example.com --topic x > /dev/null 2>&1
before=$("$MAILOUT" --json contact show pat@example.com)
run "$MAILOUT" contact show pat@example.com --json
is "$RC" 0 "contact show EMAIL --json exits 0"
json_ok "$OUT"
ok $? "and prints valid JSON"
same=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1]) == json.loads(sys.argv[2]))' "$before" "$OUT" 2>&1)
is "$same" "True" "the same document as mailout --json contact show EMAIL"
run "$MAILOUT" db status --json
like "$OUT" '"pending": \[\]' "db status --json"
run "$MAILOUT" contact show -- --json
is "$RC" 65 "after -- a word is an operand, not an option"
like "$ERR" "invalid email '--json'" "and is read as the address"

done_testing
