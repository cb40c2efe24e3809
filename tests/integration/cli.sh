#!/bin/bash
# cli.sh - the command line: help, version, exit codes, configuration errors.
. "${top_srcdir:-.}/tests/integration/lib.sh"
plan 17

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

done_testing
