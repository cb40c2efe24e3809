#!/bin/bash
# explain.sh - benchmark of the legal-basis engine (`campaign explain`, and
# building a run with `campaign send`) beside a baseline measured in the
# same run, and prints a report (seconds, ratio to the baseline, peak RSS).
#
# Starts a throwaway PostgreSQL cluster (initdb into a temp dir, its own port
# and Unix socket, run as 'postgres' when we are root; stopped and removed on
# exit), runs `mailout db migrate`, generates data with
# contrib/gen-engine-data.py, loads it through mailout's own importers
# (contact, product, order and activity import; product relate and
# relate-category) and the consent ledger with psql -f ledger.sql (as the
# schema owner), then times:
#   baseline: a bare SELECT count(*) join of contacts, orders and
#             web_activity (the floor PostgreSQL sets for touching the rows)
#   campaign explain spring --json and campaign send spring (building the
#             run), each with wall time, peak RSS of mailout (GNU time) and
#             the ratio to the baseline.  Targets (issue 8): explain < 10 s,
#             building the run < 30 s, peak RSS of mailout < 100 MB.
#
# Environment: CONTACTS, ORDERS, ACTIVITY (rows; defaults 1000000, 2000000,
# 5000000), SMALL=1 (10000, 20000, 50000 unless set), SEED (default 1),
# MAILOUT (binary; default _build/normal/mailout if present, else ./mailout,
# both relative to the repository root), KEEP_TMP=1 keeps the temp dir.
# Needs: PostgreSQL server and client binaries (the newest under
# /usr/lib/postgresql), /usr/bin/python3, GNU time (/usr/bin/time) for peak
# RSS.  Run from anywhere, as root (the cluster then runs as 'postgres') or
# as a user who may run initdb.

set -eu
BENCH=explain
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -n "${SMALL:-}" ]; then
    CONTACTS=${CONTACTS:-10000} ORDERS=${ORDERS:-20000} ACTIVITY=${ACTIVITY:-50000}
else
    CONTACTS=${CONTACTS:-1000000} ORDERS=${ORDERS:-2000000} ACTIVITY=${ACTIVITY:-5000000}
fi
SEED=${SEED:-1}
for v in CONTACTS ORDERS ACTIVITY SEED; do
    case ${!v} in '' | *[!0-9]*) die "$v must be a number" ;; esac
done
bench_mailout
[ -x "$PSQL" ] || die "no $PSQL (apt-get install postgresql-client)"
GNUTIME=
[ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2> /dev/null && GNUTIME=/usr/bin/time
DATA=$TMP/data
[ -n "${KEEP_TMP:-}" ] && KEEP=1

# --- the cluster -----------------------------------------------------------
bench_cluster_start
export PGDATABASE=bench
DB=bench
sql "CREATE DATABASE bench" postgres

printf '%s\n' "suppression_key_file = $TMP/supp.key" "legal_entity = ACME Pumps GmbH" \
    "from = news@acme-pumps.example" "postal_address = ACME Pumps GmbH, Pumpenweg 1, 12345 Berlin" \
    "base_url = https://mail.acme-pumps.example" \
    > "$TMP/mailout.conf"
export MAILOUT_CONFIG=$TMP/mailout.conf
export MAILOUT_DB="host=$PG_DIR port=$PGPORT user=owner dbname=bench"
step "db migrate"
quiet "$MAILOUT" db migrate

# --- the data --------------------------------------------------------------
step "generating $CONTACTS contacts, $ORDERS orders, $ACTIVITY activity rows (seed $SEED)"
/usr/bin/python3 "$ROOT/contrib/gen-engine-data.py" --contacts "$CONTACTS" --orders "$ORDERS" \
    --activity "$ACTIVITY" --seed "$SEED" --out "$DATA"

step "topics and consent texts"
quiet "$MAILOUT" topic add newsletter --title "Monthly newsletter"
printf 'Send me the monthly newsletter with offers. I can withdraw my consent at any time.\n' \
    > "$TMP/newsletter.txt"
quiet "$MAILOUT" consent-text add newsletter "$TMP/newsletter.txt"
printf 'Use my product views and downloads to choose offers for me. I can withdraw this consent at any time.\n' \
    > "$TMP/tracking.txt"
quiet "$MAILOUT" consent-text add tracking "$TMP/tracking.txt" # the topic comes with the migrations

# Loading order matters: activity import keeps only rows of contacts with a
# current tracking consent, so the ledger goes in before the activity.
# Import commands and their summary lines as in INTERFACE.md.
load() { # load WHAT CMD...: runs an import, prints its time and summary line
    local what=$1 t0 t1
    shift
    t0=$(now_ns)
    quiet "$@"
    t1=$(now_ns)
    printf '%-22s %8ss  %s\n' "$what" "$(secs "$t0" "$t1")" "$(tail -n 1 "$TMP/cmd.out")" >&2
}
step "loading"
load contacts "$MAILOUT" contact import "$DATA/contacts.csv"
load products "$MAILOUT" product import "$DATA/products.csv"
t0=$(now_ns)
while read -r kind a b; do
    case $kind in
    sku) quiet "$MAILOUT" product relate "$a" "$b" ;;
    category) quiet "$MAILOUT" product relate-category "$a" "$b" ;;
    *) die "relations.txt: unknown line '$kind $a $b'" ;;
    esac
done < "$DATA/relations.txt"
printf '%-22s %8ss  %s lines\n' relations "$(secs "$t0" "$(now_ns)")" "$(wc -l < "$DATA/relations.txt")" >&2
load orders "$MAILOUT" order import "$DATA/orders.csv"
t0=$(now_ns)
quiet env PGOPTIONS='-c client_min_messages=warning' "$PSQL" -X -q -v ON_ERROR_STOP=1 -f "$DATA/ledger.sql"
printf '%-22s %8ss  %s events\n' ledger "$(secs "$t0" "$(now_ns)")" "$(sql "SELECT count(*) FROM consent_events")" >&2
load activity "$MAILOUT" activity import "$DATA/activity.csv"
quiet sql "VACUUM ANALYZE"
echo "loaded: $(sql "SELECT (SELECT count(*) FROM contacts) || ' contacts, ' ||
    (SELECT count(*) FROM orders) || ' order lines, ' ||
    (SELECT count(*) FROM web_activity) || ' activity rows stored'")" >&2

# --- baseline --------------------------------------------------------------
# A bare join over the same tables the engine reads, timed in the same run.
BASELINE_SQL="SELECT count(*) FROM contacts c
  LEFT JOIN orders o ON o.contact_id = c.id
  LEFT JOIN web_activity a ON a.contact_id = c.id AND a.at > now() - interval '90 days'"
step "baseline"
t0=$(now_ns)
sql "$BASELINE_SQL" > "$TMP/baseline.out"
t1=$(now_ns)
BASELINE=$(secs "$t0" "$t1")
echo "baseline (count(*) join of contacts, orders, web_activity): ${BASELINE}s, $(cat "$TMP/baseline.out") rows" >&2

# --- the engine ------------------------------------------------------------
step "segment, template, campaign"
quiet "$MAILOUT" segment create everyone --where 'true'
printf 'Hello {{name}},\nour pumps.\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/offer.txt"
quiet "$MAILOUT" template add offer --subject 'Offers' --text "$TMP/offer.txt"
quiet "$MAILOUT" campaign create spring --topic newsletter --template offer --segment everyone \
    --category pumps --promotes P-00010
SEGCOUNT=$("$MAILOUT" segment count everyone)

# timed CMD...: wall seconds into T, peak RSS in kB into RSS (GNU time), output in $TMP/cmd.out
timed() {
    local t0 t1
    t0=$(now_ns)
    if [ -n "$GNUTIME" ]; then
        "$GNUTIME" -f %M -o "$TMP/rss" "$@" > "$TMP/cmd.out" 2> "$TMP/cmd.err" ||
            { cat "$TMP/cmd.err" >&2; die "failed: $*"; }
        RSS=$(tail -n 1 "$TMP/rss")
    else
        "$@" > "$TMP/cmd.out" 2> "$TMP/cmd.err" || { cat "$TMP/cmd.err" >&2; die "failed: $*"; }
        RSS=?
    fi
    t1=$(now_ns)
    T=$(secs "$t0" "$t1")
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else print "?" }'; }

step "campaign explain"
timed "$MAILOUT" campaign explain spring --json
EXPLAIN_T=$T EXPLAIN_RSS=$RSS
TOTAL=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["total"] == sum(d["basis"].values()) + sum(d["excluded"].values()); print(d["total"])' "$TMP/cmd.out")
[ "$TOTAL" = "$SEGCOUNT" ] || die "explain total $TOTAL differs from segment count $SEGCOUNT"
cp "$TMP/cmd.out" "$TMP/explain.json"

step "campaign send (building the run)"
timed "$MAILOUT" campaign send spring --json
SEND_T=$T SEND_RSS=$RSS
QUEUED=$(sql "SELECT count(*) FROM send_queue")

{
    echo "mailout engine benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
    echo "data: $CONTACTS contacts, $ORDERS order lines, $(sql "SELECT count(*) FROM web_activity") activity rows stored ($ACTIVITY generated), seed $SEED"
    printf '%-34s %9s %9s %12s\n' step seconds ratio "peak RSS kB"
    printf '%-34s %9s %9s %12s\n' "baseline count(*) join" "$BASELINE" 1.0 -
    printf '%-34s %9s %9s %12s\n' "campaign explain --json" "$EXPLAIN_T" "$(ratio "$EXPLAIN_T" "$BASELINE")" "$EXPLAIN_RSS"
    printf '%-34s %9s %9s %12s\n' "campaign send (build the run)" "$SEND_T" "$(ratio "$SEND_T" "$BASELINE")" "$SEND_RSS"
    echo "explain: $(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(", ".join("%s %d" % kv for kv in list(d["basis"].items()) + list(d["excluded"].items()) if kv[1]))' "$TMP/explain.json")"
    echo "run: $QUEUED queued of $TOTAL"
    echo "targets (issue 8): explain < 10 s, build < 30 s, peak RSS < 100000 kB"
} | tee "$TMP/report.txt"
