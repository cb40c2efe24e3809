#!/bin/bash
# import.sh - benchmark of `mailout contact import` against a raw COPY floor.
#
# Starts a throwaway PostgreSQL cluster (initdb into a temp dir, its own port
# and Unix socket, run as 'postgres' when we are root; stopped and removed on
# exit), migrates a template database once, and generates a contacts CSV of N
# rows with gen-contacts.py.  Then, after one uncounted warm-up pair, RUNS
# pairs of whole-process runs, each run on a fresh copy of the migrated
# database:
#   baseline: psql -c '\copy bench_raw FROM file CSV HEADER' into a plain table
#             of six text columns (the PostgreSQL floor for loading the file)
#   import:   mailout contact import FILE --attributes vip
# and prints the median wall time, rows/s, client CPU, peak RSS of each and
# the import/baseline wall-time ratio (median of the per-pair ratios).  The
# table is also written to contrib/bench/out/import-DATE.txt.
#
# Every run is checked: bench_raw must hold N rows after the baseline; the
# import's summary line must read "loaded N, rejected 0, suppressed 0,
# dropped 0: no consent created", contacts must hold N rows and every IDN
# address must be stored with an A-label domain.
#
# Environment: N (rows, default 100000), RUNS (counted pairs, default 5),
# MAILOUT (binary; default _build/normal/mailout if present, else ./mailout,
# both relative to the repository root), KEEP_TMP=1 keeps the temp dir.
# Server settings are PostgreSQL's defaults (fsync and synchronous_commit on).
# Needs: PostgreSQL server and client binaries (the newest under
# /usr/lib/postgresql), /usr/bin/python3; /usr/bin/time (GNU time) for client
# CPU and peak RSS, else those columns read "n/a".  Run from anywhere, as root
# (the cluster then runs as 'postgres') or as a user who may run initdb.

set -eu
BENCH=import
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
BENCH_DIR=$ROOT/contrib/bench
N=${N:-100000}
RUNS=${RUNS:-5}
bench_mailout
case $N in '' | *[!0-9]*) die "N must be a number" ;; esac
case $RUNS in '' | *[!0-9]* | 0) die "RUNS must be a number >= 1" ;; esac
# psql itself, not Debian's /usr/bin/psql (a Perl wrapper that adds its own start-up to every run)
[ -x "$PSQL" ] || die "no $PSQL (apt-get install postgresql-client)"
GNUTIME=
[ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2> /dev/null && GNUTIME=/usr/bin/time
[ -n "${KEEP_TMP:-}" ] && KEEP=1

# --- the cluster -----------------------------------------------------------
bench_cluster_start
export PGDATABASE=bench
DB=bench

# The migrated schema, once; each run gets a fresh copy of it.
sql "CREATE DATABASE bench_tpl" postgres
printf 'suppression_key_file = %s\nlegal_entity = Bench GmbH\n' "$TMP/supp.key" > "$TMP/mailout.conf"
export MAILOUT_CONFIG=$TMP/mailout.conf
export MAILOUT_DB="host=$PG_DIR port=$PGPORT user=owner dbname=bench"
MAILOUT_DB="host=$PG_DIR port=$PGPORT user=owner dbname=bench_tpl" "$MAILOUT" db migrate \
    > "$TMP/migrate.log" 2>&1 || { cat "$TMP/migrate.log" >&2; die "mailout db migrate failed"; }
fresh_db() {
    sql "DROP DATABASE IF EXISTS bench" postgres
    sql "CREATE DATABASE bench TEMPLATE bench_tpl" postgres
    sql "CREATE TABLE bench_raw (email text, name text, country text, locale text, birth_date text, vip text)"
    sql "CHECKPOINT" # start each run with no dirty buffers
}

# --- the input -------------------------------------------------------------
CSV=$TMP/contacts.csv
/usr/bin/python3 "$BENCH_DIR/gen-contacts.py" "$N" > "$CSV"
# rows with an IDN domain: each must end up as an A-label (xn--) in contacts.email_norm
N_IDN=$(/usr/bin/python3 -c 'import csv, sys
print(sum(not r["email"].split("@")[1].isascii() for r in csv.DictReader(open(sys.argv[1], encoding="utf-8"))))' "$CSV")

# --- one timed run ---------------------------------------------------------
# timed NAME CMD...: runs CMD on a fresh database; appends "wall cpu rss_kb"
# to $TMP/NAME.runs (cpu and rss "n/a" without GNU time); output in $TMP/NAME.out/.err
timed() {
    local name=$1 t0 t1 cpu=n/a rss=n/a rc=0
    shift
    fresh_db
    t0=$(date +%s%N)
    if [ -n "$GNUTIME" ]; then
        "$GNUTIME" -f '%U %S %M' -o "$TMP/time.out" "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" || rc=$?
    else
        "$@" > "$TMP/$name.out" 2> "$TMP/$name.err" || rc=$?
    fi
    t1=$(date +%s%N)
    if [ "$rc" -ne 0 ]; then
        cat "$TMP/$name.out" "$TMP/$name.err" >&2
        die "$name: exit status $rc"
    fi
    if [ -n "$GNUTIME" ]; then
        read -r u s rss < <(tail -n 1 "$TMP/time.out")
        cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    fi
    echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }') $cpu $rss" >> "$TMP/$name.runs"
}

check_import() {
    local want="loaded $N, rejected 0, suppressed 0, dropped 0: no consent created" got
    got=$(cat "$TMP/import.out")
    [ "$got" = "$want" ] || die "import summary: got '$got', expected '$want'"
    got=$(sql "SELECT count(*) FROM contacts")
    [ "$got" = "$N" ] || die "contacts after import: $got, expected $N"
    got=$(sql "SELECT count(*) FROM contacts WHERE split_part(email_norm, '@', 2) LIKE '%xn--%'")
    [ "$got" = "$N_IDN" ] || die "contacts with an A-label domain: $got, expected $N_IDN"
}
check_baseline() {
    local got
    got=$(sql "SELECT count(*) FROM bench_raw")
    [ "$got" = "$N" ] || die "bench_raw after \\copy: $got, expected $N"
}

run_pair() {
    timed baseline "$PSQL" -X -q -v ON_ERROR_STOP=1 -c "\\copy bench_raw FROM '$CSV' CSV HEADER"
    check_baseline
    timed import "$MAILOUT" contact import "$CSV" --attributes vip
    check_import
}

echo "warm-up ..." >&2
run_pair
rm -f "$TMP/baseline.runs" "$TMP/import.runs"
for i in $(seq 1 "$RUNS"); do
    echo "run $i/$RUNS ..." >&2
    run_pair
done

# --- the table -------------------------------------------------------------
# col FILE K: column K of every run, one a line
col() { awk -v k="$2" '{ print $k }' "$1"; }
median() {
    sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.4f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
minmax() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f-%.3f", lo, hi }'; }
stat_row() { # stat_row NAME LABEL
    local f=$TMP/$1.runs w c r rate
    w=$(col "$f" 1 | median)
    rate=$(awk -v n="$N" -v w="$w" 'BEGIN { printf "%.0f", n / w }')
    if [ -n "$GNUTIME" ]; then
        c=$(col "$f" 2 | median | awk '{ printf "%.2f", $1 }')
        r=$(col "$f" 3 | sort -g | tail -n 1 | awk '{ printf "%.1f MiB", $1 / 1024 }')
    else
        c=n/a r=n/a
    fi
    printf '%-40s %8.3f  %-13s %9s %9s %11s\n' "$2" "$w" "$(col "$f" 1 | minmax)" "$rate" "$c" "$r"
}
ratios=$(paste -d' ' <(col "$TMP/import.runs" 1) <(col "$TMP/baseline.runs" 1) |
    awk '{ printf "%.3f\n", $1 / $2 }')

# the commit the sources are at, "+changes" when dispatcher/, include/ or sql/ differ from it
src_rev() {
    local rev
    rev=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null) || { echo unknown; return; }
    git -C "$ROOT" diff --quiet HEAD -- dispatcher include sql 2> /dev/null || rev="$rev+changes"
    echo "$rev"
}

OUTDIR=$BENCH_DIR/out
mkdir -p "$OUTDIR"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUTFILE=$OUTDIR/import-$STAMP.txt
{
    echo "mailout contact import benchmark, $STAMP"
    echo "host: $(nproc) CPU, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)," \
        "PostgreSQL $(sql 'SHOW server_version'), default server settings"
    echo "input: $N rows, $(wc -c < "$CSV") bytes (gen-contacts.py); mailout: $MAILOUT" \
        "(source $(src_rev))"
    echo "each figure: median of $RUNS runs after 1 warm-up, whole process, fresh migrated database per run"
    echo
    printf '%-40s %8s  %-13s %9s %9s %11s\n' "command" "wall s" "min-max" "rows/s" "cpu s" "peak RSS"
    stat_row baseline "baseline: psql \\copy into bench_raw"
    stat_row import "mailout contact import --attributes vip"
    echo
    echo "ratio import/baseline, wall time: $(printf '%s\n' "$ratios" | median | awk '{ printf "%.2f", $1 }')" \
        "(median of per-pair ratios; pairs: $(printf '%s\n' "$ratios" | tr '\n' ' ' | sed 's/ $//'))"
    echo "cpu s: median user+sys of the client process only (the server backend's work is not in it);" \
        "peak RSS: the client's largest over all runs"
    echo "walls, baseline: $(col "$TMP/baseline.runs" 1 | tr '\n' ' ')"
    echo "walls, import:   $(col "$TMP/import.runs" 1 | tr '\n' ' ')"
    echo "check: every import printed 'loaded $N, rejected 0, suppressed 0, dropped 0: no consent created'" \
        "and left $N rows in contacts, $N_IDN of them with an IDN domain stored as A-label"
} | tee "$OUTFILE"
echo "written to ${OUTFILE#"$ROOT"/}" >&2
