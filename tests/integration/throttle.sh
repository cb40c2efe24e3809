#!/bin/bash
# throttle.sh - the shared send rate (key rate, sql/0014_throttle.sql): a
# token bucket in PostgreSQL that every worker on the database takes from.
# Two processes taking concurrently never get more than rate * elapsed +
# capacity tokens in total (asserted on the counts, not on speed); the
# bucket holds at most one second's worth; an empty bucket says how long to
# wait; rate 0 grants everything; the application role may take.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 12

TAKE="${top_builddir:-.}/tests/integration/throttle_take"
[ -x "$TAKE" ] || { echo "Bail out! $TAKE not built (make check builds it)"; exit 1; }
write_conf "suppression_key_file = $TMP/supp.key"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"

# a bucket idle for an hour holds one second's worth, no more
sql "UPDATE send_rate SET tokens = 0, updated_at = now() - interval '1 hour'" > /dev/null
run "$TAKE" 5 100 0
is "$RC" 0 "take from a full bucket"
like "$OUT" "granted 5 calls 1" "an idle bucket grants its capacity (rate 5: 5), not an hour's worth"
# an empty bucket (its clock set ahead, so no refill can race the check)
sql "UPDATE send_rate SET tokens = 0, updated_at = now() + interval '1 minute'" > /dev/null
run "$TAKE" 5 100 0
like "$OUT" "granted 0 calls 1" "an empty bucket grants nothing"
like "$OUT" "wait_ms 200" "... and says to wait for one token: 1/rate s = 200 ms"
# rate below 1 message per second still has a capacity of one
sql "UPDATE send_rate SET tokens = 0, updated_at = now() - interval '1 hour'" > /dev/null
run "$TAKE" 1 10 0
like "$OUT" "granted 1 calls 1" "rate 1: capacity 1"

# rate 0: unlimited, the database is not asked
run "$TAKE" 0 100000 0
like "$OUT" "granted 100000 calls 1" "rate 0 grants everything at once"

# two workers, rate 5, 3 s: sum <= 5 * elapsed + 5
sql "UPDATE send_rate SET tokens = 0, updated_at = now() - interval '1 hour'" > /dev/null
t0=$(date +%s.%N)
"$TAKE" 5 2 3 > "$TMP/a.out" 2>&1 &
pa=$!
"$TAKE" 5 3 3 > "$TMP/b.out" 2>&1 &
pb=$!
BG_PIDS="$pa $pb"
wait "$pa"; ra=$?
wait "$pb"; rb=$?
BG_PIDS=
t1=$(date +%s.%N)
is "$ra$rb" 00 "both takers ran"
ga=$(sed -n 's/^granted \([0-9]*\) .*/\1/p' "$TMP/a.out")
gb=$(sed -n 's/^granted \([0-9]*\) .*/\1/p' "$TMP/b.out")
total=$((${ga:-0} + ${gb:-0}))
bound=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", 5 * (b - a) + 5 }')
diag "granted $ga + $gb = $total in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; bound $bound"
ok "$([ "$total" -le "$bound" ]; echo $?)" "two workers together stay within rate * elapsed + capacity ($total <= $bound)"
ok "$([ "${ga:-0}" -ge 1 ] && [ "${gb:-0}" -ge 1 ]; echo $?)" "both workers were granted tokens"
is "$(sql "SELECT tokens >= 0 AND tokens <= 5 FROM send_rate")" t "the bucket stays within 0..capacity"

# the application role may take (grants)
is "$(sql "SET ROLE mailout_app; UPDATE send_rate SET granted = 0 WHERE id RETURNING granted")" 0 \
    "mailout_app may update the bucket"
done_testing
