#!/bin/bash
# unsubscribe.sh - load test of the RFC 8058 one-click endpoint (issue 10):
# wrk on loopback POSTs `List-Unsubscribe=One-Click` to `mailout serve`, each
# request with its own valid token, against PostgreSQL with its default
# durable commit; then GETs of the unsubscribe page.  In the same run, as
# baselines: wrk on GET /healthz (the HTTP server without the database) and
# pgbench committing one-row INSERTs with as many clients as serve has
# threads (the durable-commit floor).  Prints requests/s, p50/p99/max
# latency and the ratios, and checks that every unsubscribe wrk saw
# answered 2xx is in the ledger (withdrawn, channel one_click).
#
#   bash contrib/bench/unsubscribe.sh
#   DURATION=10 CONNECTIONS=16 bash contrib/bench/unsubscribe.sh
#
# Environment: DURATION seconds per phase (default 20), CONNECTIONS (default
# 16, the per-client-IP limit of mailout serve), THREADS wrk threads
# (default 2), TOKENS contacts and tokens created (default 400000; more than
# the requests of one phase, so no token repeats), MAILOUT the binary
# (default _build/normal/mailout if present, else ./mailout), KEEP=1 keeps
# the work directory.  Targets (issue 10, 2 cores): >= 2,000 durable
# unsubscribes/s with p99 < 50 ms; GET of the page >= 10,000/s.
# Needs: PostgreSQL server and client (pgbench ships with the server), wrk,
# /usr/bin/python3, curl.  Run as root (the cluster runs as 'postgres') or as
# a user who may run initdb.

set -eu
BENCH=unsubscribe
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION=${DURATION:-20} CONNECTIONS=${CONNECTIONS:-16} THREADS=${THREADS:-2} TOKENS=${TOKENS:-400000}
for v in DURATION CONNECTIONS THREADS TOKENS; do
    case ${!v} in '' | *[!0-9]*) die "$v must be a number" ;; esac
done
bench_mailout
command -v wrk > /dev/null || die "no wrk (apt-get install wrk)"
command -v curl > /dev/null || die "no curl"
[ -x "$PG_BIN/pgbench" ] || die "no pgbench in $PG_BIN"

bench_cluster_start
DB=bench
sql "CREATE DATABASE bench" postgres
HTTP_PORT=$(free_port)
cat > "$TMP/mailout.conf" << EOF
suppression_key_file = $TMP/supp.key
legal_entity = ACME Pumps GmbH
from = ACME Pumps <news@acme-pumps.example>
postal_address = ACME Pumps GmbH, Pumpenweg 1, 12345 Berlin
privacy_url = https://acme-pumps.example/privacy
imprint_url = https://acme-pumps.example/imprint
base_url = http://127.0.0.1:$HTTP_PORT
listen = 127.0.0.1:$HTTP_PORT
transport = maildir:$TMP/outbox
log_level = warning
EOF
export MAILOUT_CONFIG=$TMP/mailout.conf
export MAILOUT_DB="host=$PG_DIR port=$PGPORT user=owner dbname=bench"
quiet "$MAILOUT" db migrate
quiet "$MAILOUT" topic add news --title "ACME news"
quiet "$MAILOUT" topic add events --title "ACME events"

# Contacts and their tokens straight into the tables: token n is "b" and n
# in 42 digits (well-formed base64url, 43 characters); the table keeps its
# SHA-256 only, as dispatch stores it.  The address hashes are stand-ins
# (the key does not matter to an unsubscribe).
step "$TOKENS contacts with one token each"
sql "INSERT INTO contacts (email, email_norm, addr_hmac, source, country)
     SELECT 'u' || i || '@example.test', 'u' || i || '@example.test',
            md5(i::text) || md5('h' || i), 'bench', 'DE'
       FROM generate_series(1, $TOKENS) i"
sql "INSERT INTO unsubscribe_tokens (token_sha256, contact_id, topic_id, message_id)
     SELECT encode(sha256(convert_to('b' || lpad(c.id::text, 42, '0'), 'UTF8')), 'hex'), c.id,
            (SELECT id FROM topics WHERE name = 'news'), '<bench-' || c.id || '@acme-pumps.example>'
       FROM contacts c"
sql "VACUUM ANALYZE"
sql "CHECKPOINT"
FIRST_ID=$(sql "SELECT min(id) FROM contacts")

SERVE_PID=
stop_serve() { [ -n "$SERVE_PID" ] && { kill "$SERVE_PID" 2> /dev/null; wait "$SERVE_PID" 2> /dev/null; } || true; }
bench_on_exit stop_serve
"$MAILOUT" serve > "$TMP/serve.log" 2>&1 &
SERVE_PID=$!
wait_port "$HTTP_PORT" || { cat "$TMP/serve.log" >&2; die "mailout serve did not start"; }
tok() { printf 'b%042d' "$1"; }
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HTTP_PORT/u/$(tok "$FIRST_ID")")
[ "$code" = 200 ] || die "GET /u/TOKEN answered $code (is the unsubscribe page built?)"

# wrk script: thread k of T sends tokens FIRST+OFFSET+k, +T, +2T, ... so no
# two requests of a phase share a token; done() prints one RESULT line.
cat > "$TMP/load.lua" << 'LUA'
local threads = {}
function setup(thread)
    thread:set("tid", #threads)
    table.insert(threads, thread)
end
function init(args)
    nthreads = tonumber(args[1]); first = tonumber(args[2]); mode = args[3]; k = 0
end
function request()
    local n = first + tid + k * nthreads
    k = k + 1
    local path = "/u/" .. string.format("b%042d", n)
    if mode == "post" then
        return wrk.format("POST", path, {["Content-Type"] = "application/x-www-form-urlencoded"},
                          "List-Unsubscribe=One-Click")
    end
    if mode == "health" then path = "/healthz" end
    return wrk.format("GET", path)
end
function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format("RESULT requests=%d non2xx=%d sockerr=%d p50=%.2f p99=%.2f max=%.2f secs=%.3f\n",
        summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
        summary.duration / 1e6))
end
LUA

# phase NAME MODE OFFSET: wrk for DURATION s; sets REQ, NON2XX, SOCKERR, P50, P99, MAX, RPS
phase() {
    step "$1: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s -s "$TMP/load.lua" \
        "http://127.0.0.1:$HTTP_PORT/" -- "$THREADS" "$(($FIRST_ID + $3))" "$2" > "$TMP/$1.wrk" 2>&1 ||
        { cat "$TMP/$1.wrk" >&2; die "wrk failed"; }
    local line
    line=$(grep '^RESULT' "$TMP/$1.wrk") || { cat "$TMP/$1.wrk" >&2; die "no wrk result"; }
    eval "$(echo "$line" | sed 's/^RESULT //; s/\([a-z0-9]*\)=/R_\1=/g')"
    REQ=$R_requests NON2XX=$R_non2xx SOCKERR=$R_sockerr P50=$R_p50 P99=$R_p99 MAX=$R_max
    RPS=$(awk -v n="$REQ" -v s="$R_secs" 'BEGIN { printf "%.0f", n / s }')
}

# The durable-commit floor: one-row INSERTs, one commit each, as many
# clients as serve has threads (4), for DURATION seconds.
sql "CREATE TABLE bench_floor (id bigserial PRIMARY KEY, contact_id bigint, at timestamptz DEFAULT now(), note text)"
printf 'INSERT INTO bench_floor (contact_id, note) VALUES (1, %s);\n' "'one_click'" > "$TMP/floor.sql"
step "baseline: pgbench -c 4 -j 2 -T $DURATION (one-row INSERT per commit)"
"$PG_BIN/pgbench" -n -c 4 -j 2 -T "$DURATION" -f "$TMP/floor.sql" bench > "$TMP/pgbench.out" 2>&1 ||
    { cat "$TMP/pgbench.out" >&2; die "pgbench failed"; }
FLOOR_TPS=$(awk '/^tps = / { printf "%.0f", $3 }' "$TMP/pgbench.out")
FLOOR_LAT=$(awk '/^latency average = / { print $4 }' "$TMP/pgbench.out")

phase health health 0
H_RPS=$RPS H_P99=$P99
BEFORE=$(sql "SELECT count(*) FROM consent_events WHERE kind = 'withdrawn' AND channel = 'one_click'")
phase post post 0
U_REQ=$REQ U_NON=$NON2XX U_ERR=$SOCKERR U_RPS=$RPS U_P50=$P50 U_P99=$P99 U_MAX=$MAX
# the requests still in flight when wrk stopped may have committed too
sleep 1
AFTER=$(sql "SELECT count(*) FROM consent_events WHERE kind = 'withdrawn' AND channel = 'one_click'")
OUTBOX=$(sql "SELECT count(*) FROM webhook_outbox WHERE event = 'withdrawn'")
LEDGER=$((AFTER - BEFORE))
OK2XX=$((U_REQ - U_NON))
[ "$U_REQ" -lt "$TOKENS" ] || die "ran out of tokens: raise TOKENS"
phase page get 0
G_RPS=$RPS G_P99=$P99 G_NON=$NON2XX

CHECK=ok
{ [ "$LEDGER" -ge "$OK2XX" ] && [ "$LEDGER" -le $((OK2XX + CONNECTIONS)) ] && [ "$U_NON" = 0 ] &&
    [ "$U_ERR" = 0 ] && [ "$G_NON" = 0 ]; } || CHECK=MISMATCH
REPORT=$TMP/report.txt
{
    echo "mailout one-click load, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') (fsync on, synchronous_commit on)"
    echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s on loopback; $TOKENS contacts and tokens"
    printf '%-44s %10s %9s %9s %9s\n' step "req/s" "p50 ms" "p99 ms" "max ms"
    printf '%-44s %10s %9s %9s %9s\n' "baseline: pgbench one-row commit, 4 clients" "$FLOOR_TPS" "$FLOOR_LAT" - -
    printf '%-44s %10s %9s %9s %9s\n' "baseline: GET /healthz (no database)" "$H_RPS" - "$H_P99" -
    printf '%-44s %10s %9s %9s %9s\n' "POST /u/TOKEN one-click (durable)" "$U_RPS" "$U_P50" "$U_P99" "$U_MAX"
    printf '%-44s %10s %9s %9s %9s\n' "GET /u/TOKEN page" "$G_RPS" - "$G_P99" -
    echo "ratios: one-click / pgbench floor $(ratio "$U_RPS" "$FLOOR_TPS"); page / healthz $(ratio "$G_RPS" "$H_RPS")"
    echo "check: wrk 2xx $OK2XX (non-2xx $U_NON, socket errors $U_ERR); ledger withdrawn/one_click +$LEDGER; webhook outbox withdrawn $OUTBOX: $CHECK"
    echo "targets: one-click >= 2000/s with p99 < 50 ms; page >= 10000/s"
} > "$REPORT"
cat "$REPORT"
[ "$CHECK" = ok ]
