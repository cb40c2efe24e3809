# lib.sh - shared by the integration tests (sourced, not run).
#
# TAP output, a throwaway PostgreSQL cluster (initdb into a temp dir, its own
# port and socket, run as 'postgres' when we are root) and a real SMTP server
# (tests/integration/smtp_sink.py on aiosmtpd) capturing into a Maildir.
# Everything started here is stopped on exit, failure or Ctrl-C.
# A missing service skips the script, except under CI where it bails out.

set -u
: "${top_srcdir:=.}"
: "${top_builddir:=.}"
: "${MAILOUT:=$top_builddir/mailout}"
SRCDIR=$(cd "$top_srcdir" && pwd)
export MAILOUT_DATA_DIR_SRC="$SRCDIR"

T_N=0
T_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mailout-test.XXXXXX")
chmod 755 "$TMP"
PG_DIR=
PG_BIN=
SMTP_PID=
SERVE_PID=
BG_PIDS= # a test's own background clients, stopped first on the way out

plan() { echo "1..$1"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
ok() { # ok COND-EXIT-STATUS NAME
    T_N=$((T_N + 1))
    if [ "$1" -eq 0 ]; then echo "ok $T_N - $2"; else
        echo "not ok $T_N - $2"; T_FAILED=$((T_FAILED + 1)); fi
}
is() { # is GOT EXPECTED NAME
    if [ "$1" = "$2" ]; then ok 0 "$3"; else ok 1 "$3"; diag "got:      '$1'" "expected: '$2'"; fi
}
like() { # like GOT REGEX NAME
    if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else ok 1 "$3"; diag "got: '$1'" "want match: $2"; fi
}
unlike() {
    if printf '%s' "$1" | grep -Eq -- "$2"; then ok 1 "$3"; diag "got: '$1'" "must not match: $2"; else ok 0 "$3"; fi
}
skip_all() {
    if [ -n "${CI:-}" ]; then echo "Bail out! $1"; exit 1; fi
    echo "1..0 # SKIP $1"; exit 0
}

# run CMD...: runs a command, capturing stdout in $OUT, stderr in $ERR, status in $RC
run() {
    "$@" > "$TMP/out" 2> "$TMP/err"
    RC=$?
    OUT=$(cat "$TMP/out")
    ERR=$(cat "$TMP/err")
}

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_stop() {
    if [ -n "$PG_DIR" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop > /dev/null 2>&1
    fi
}

smtp_stop() {
    if [ -n "$SMTP_PID" ]; then
        kill "$SMTP_PID" 2> /dev/null
        wait "$SMTP_PID" 2> /dev/null
        SMTP_PID=
    fi
}

serve_stop() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2> /dev/null
        wait "$SERVE_PID" 2> /dev/null
        SERVE_PID=
    fi
}

cleanup() {
    for p in $BG_PIDS; do kill "$p" 2> /dev/null; done
    serve_stop
    smtp_stop
    pg_stop
    [ -n "${KEEP_TMP:-}" ] && { echo "# kept $TMP" >&2; return; }
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Starts PostgreSQL; exports MAILOUT_DB (owner) and PG* for psql.
start_pg() {
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
    [ -x "$PG_BIN/initdb" ] || skip_all "PostgreSQL server not installed (apt-get install postgresql)"
    if [ "$(id -u)" -eq 0 ] && ! id postgres > /dev/null 2>&1; then
        skip_all "no 'postgres' user to run the test cluster as"
    fi
    PG_DIR="$TMP/pg"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U owner -A trust -E UTF8 --locale=C.UTF-8 \
        --no-sync > "$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; skip_all "initdb failed"; }
    PGPORT=$(free_port)
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -l "$PG_DIR/log" \
        -o "-p $PGPORT -k $PG_DIR -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start > /dev/null 2>&1 || { cat "$PG_DIR/log" >&2; skip_all "PostgreSQL did not start"; }
    export PGHOST="$PG_DIR" PGPORT PGUSER=owner PGDATABASE=mailout
    as_pg "$PG_BIN/createdb" -h "$PG_DIR" -p "$PGPORT" -U owner mailout || skip_all "createdb failed"
    export MAILOUT_DB="host=$PG_DIR port=$PGPORT user=owner dbname=mailout"
}

# psql as the owner: prints unaligned, tuples only
sql() { psql -X -q -v ON_ERROR_STOP=1 -At -c "$1" 2>&1; }

# Starts the SMTP sink; exports SMTP_PORT and SMTP_MAILDIR. Extra args go to the sink.
start_smtp() {
    /usr/bin/python3 -c 'import aiosmtpd' 2> /dev/null ||
        skip_all "python3-aiosmtpd not installed (apt-get install python3-aiosmtpd)"
    SMTP_PORT=$(free_port)
    SMTP_MAILDIR="$TMP/smtp-maildir"
    /usr/bin/python3 "$SRCDIR/tests/integration/smtp_sink.py" --port "$SMTP_PORT" \
        --maildir "$SMTP_MAILDIR" "$@" > "$TMP/smtp.log" 2>&1 &
    SMTP_PID=$!
    for _ in $(seq 1 100); do
        if /usr/bin/python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $SMTP_PORT), 0.2)" 2> /dev/null; then
            export SMTP_PORT SMTP_MAILDIR
            return 0
        fi
        sleep 0.1
    done
    cat "$TMP/smtp.log" >&2
    skip_all "SMTP sink did not start"
}

# Starts `mailout serve` with the current configuration (set listen and
# base_url to http://127.0.0.1:$SERVE_PORT first); waits for /healthz.
start_serve() {
    "$MAILOUT" serve > "$TMP/serve.log" 2>&1 &
    SERVE_PID=$!
    for _ in $(seq 1 100); do
        if [ "$(curl -s --max-time 2 "http://127.0.0.1:$SERVE_PORT/healthz")" = ok ]; then
            return 0
        fi
        kill -0 "$SERVE_PID" 2> /dev/null || break
        sleep 0.1
    done
    cat "$TMP/serve.log" >&2
    echo "Bail out! mailout serve did not start"
    exit 1
}

# setup_newsletter [CONF-LINE...]: PostgreSQL, the SMTP sink, a migrated
# database with the topic 'news' and its consent text ($NEWS_TEXT), and
# `mailout serve` at $BASE; extra configuration lines are appended.
setup_newsletter() {
    start_pg
    start_smtp
    SERVE_PORT=$(free_port)
    BASE="http://127.0.0.1:$SERVE_PORT"
    write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
        "from = news@shop.example" "legal_entity = ACME GmbH" "listen = 127.0.0.1:$SERVE_PORT" \
        "base_url = $BASE" "privacy_url = https://shop.example/privacy" \
        "suppression_key_file = $TMP/supp.key" "$@"
    run "$MAILOUT" db migrate
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
    run "$MAILOUT" topic add news --title "Monthly newsletter"
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! topic add failed"; exit 1; }
    printf 'Send me the monthly newsletter. I can withdraw my consent at any time.\n' > "$TMP/news.txt"
    run "$MAILOUT" consent-text add news "$TMP/news.txt"
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! consent-text add failed"; exit 1; }
    NEWS_TEXT=$OUT
    start_serve
}

# mail FILE helpers (decoding quoted-printable and encoded words)
mailtool() { /usr/bin/python3 "$SRCDIR/tests/integration/mailtool.py" "$@"; }

# serve_sigterm: stops `mailout serve` ($SERVE_PID) with SIGTERM; SERVE_RC is its exit
# status, or "timeout" if it still runs after 10 s (it is then left to cleanup)
serve_sigterm() {
    SERVE_RC=timeout
    kill -TERM "$SERVE_PID"
    for _ in $(seq 1 100); do
        kill -0 "$SERVE_PID" 2> /dev/null || break
        sleep 0.1
    done
    if ! kill -0 "$SERVE_PID" 2> /dev/null; then
        wait "$SERVE_PID"
        SERVE_RC=$?
        SERVE_PID=
    fi
}

# HMAC-SHA-256 of a normalized address under the test's suppression key
suppress_hash() {
    /usr/bin/python3 -c 'import hmac,hashlib,sys; k=bytes.fromhex(open(sys.argv[1]).read().strip()); print(hmac.new(k, sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$1" "$2"
}

# wait_mail ADDR [COUNT] [SECONDS]: waits until the SMTP sink holds at least
# COUNT (default 1) messages to ADDR (confirmation mails are sent after the
# answer, by serve's sender); 0 when they arrived, 1 after SECONDS (default 20).
wait_mail() {
    local n=${2:-1} deadline=$((SECONDS + ${3:-20}))
    while [ "$(mailtool to "$SMTP_MAILDIR" "$1" | wc -l)" -lt "$n" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
    return 0
}

# Number of messages in a Maildir's new/ directory
maildir_count() { find "$1/new" -type f 2> /dev/null | wc -l; }

# Writes a config file $TMP/mailout.conf from the arguments (lines), exports MAILOUT_CONFIG
write_conf() {
    printf '%s\n' "$@" > "$TMP/mailout.conf"
    export MAILOUT_CONFIG="$TMP/mailout.conf"
}

# Ends the script: exit status reflects failures.
done_testing() {
    [ "$T_FAILED" -eq 0 ]
}
