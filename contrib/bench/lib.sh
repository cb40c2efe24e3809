# lib.sh - shared by the benchmark scripts: a throwaway PostgreSQL cluster
# with durable defaults, free ports, timing helpers.  Source it after
# setting BENCH (the script's name, for messages); it sets ROOT, PG_BIN,
# PSQL, TMP, and after bench_cluster_start PGHOST, PGPORT, PGUSER and sql().
# The EXIT trap stops the cluster and deletes TMP (KEEP=1 keeps it);
# bench_on_exit CMD adds a command to run first (e.g. stop a server).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

die() {
    echo "$BENCH: $*" >&2
    exit 1
}
step() { echo "$(date +%T) $*" >&2; }
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most)
wait_port() {
    for _ in $(seq 100); do
        /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}

# bench_mailout: MAILOUT made absolute (default _build/normal/mailout if
# present, else ./mailout, relative to the repository root)
bench_mailout() {
    if [ -z "${MAILOUT:-}" ]; then
        if [ -x "$ROOT/_build/normal/mailout" ]; then MAILOUT=$ROOT/_build/normal/mailout; else MAILOUT=$ROOT/mailout; fi
    fi
    case $MAILOUT in
    /*) ;;
    *) if [ -x "$MAILOUT" ]; then MAILOUT=$PWD/$MAILOUT; else MAILOUT=$ROOT/$MAILOUT; fi ;;
    esac
    [ -x "$MAILOUT" ] || die "no mailout binary at '$MAILOUT' (build it, or set MAILOUT)"
}

PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL server not installed (apt-get install postgresql)"
PSQL=$PG_BIN/psql
if [ "$(id -u)" -eq 0 ] && ! id postgres > /dev/null 2>&1; then die "no 'postgres' user to run the cluster as"; fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mailout-$BENCH.XXXXXX")
chmod 755 "$TMP"
PG_DIR=$TMP/pg
BENCH_ON_EXIT=()
bench_on_exit() { BENCH_ON_EXIT+=("$*"); }
bench_cleanup() {
    local c
    for c in "${BENCH_ON_EXIT[@]}"; do eval "$c" || true; done
    if [ -f "$PG_DIR/data/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop > /dev/null 2>&1 || true
    fi
    if [ -n "${KEEP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bench_cluster_start: initdb with PostgreSQL's default (durable) settings,
# its own port, a Unix socket in PG_DIR and no TCP
bench_cluster_start() {
    mkdir -p "$PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U owner -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
        > "$TMP/initdb.log" 2>&1 || { cat "$TMP/initdb.log" >&2; die "initdb failed"; }
    PGPORT=$(free_port)
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -w -l "$PG_DIR/log" \
        -o "-p $PGPORT -k $PG_DIR -c listen_addresses='' ${PG_EXTRA_OPTS:-}" start > /dev/null 2>&1 ||
        { cat "$PG_DIR/log" >&2; die "PostgreSQL did not start"; }
    export PGHOST=$PG_DIR PGPORT PGUSER=owner
}
sql() { PGOPTIONS='-c client_min_messages=warning' "$PSQL" -X -q -v ON_ERROR_STOP=1 -At -d "${2:-$DB}" -c "$1"; }
# quiet CMD...: run, output to TMP/cmd.out and cmd.err; on failure show them and die
quiet() {
    "$@" > "$TMP/cmd.out" 2> "$TMP/cmd.err" || {
        head -n 20 "$TMP/cmd.out" "$TMP/cmd.err" >&2
        die "failed: $*"
    }
}
