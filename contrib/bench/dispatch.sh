#!/bin/bash
# dispatch.sh - benchmark of `mailout dispatch` (issue 9): N personalised
# ~4 KB messages, DKIM-signed with RSA-2048, to Postfix's smtp-sink on
# loopback, every send recorded in PostgreSQL; in the same run, alternating,
# the baseline `smtp-source -d -s 1` pushing the same count and size to the
# same sink.  Prints each wall time, msg/s, the ratio to smtp-source and
# mailout's peak RSS, and checks every run (the sink counted N more
# messages; N send_records 'sent' and N queue rows 'sent' for the run).
#
#   bash contrib/bench/dispatch.sh             # N=100000, RUNS=3
#   N=10000 RUNS=1 bash contrib/bench/dispatch.sh
#   MODE=rss bash contrib/bench/dispatch.sh    # peak RSS at 10,000 and 1,000,000
#
# Environment: N recipients (default 100000), RUNS (default 3) rounds of
# smtp-source, one dispatch process, two dispatch processes at once (each
# round on a fresh run of a fresh campaign, built untimed); MODE=rss: one
# `dispatch --once` per size in RSS_SIZES (default "10000 1000000"), each on
# its own database, reporting peak RSS (SIGN=0 drops the DKIM key to save
# time, as the issue allows; say so when quoting the figure); SIZE message
# body bytes (default 4096); SIGN (default 1); MAILOUT (binary; default
# _build/normal/mailout if present, else ./mailout, relative to the
# repository root); KEEP=1 keeps the work directory (and the cluster's data).
# Needs: PostgreSQL server and client, smtp-sink and smtp-source (apt-get
# install postfix; the packaged service may stay stopped), openssl,
# /usr/bin/python3, GNU time (/usr/bin/time).  Run as root (the cluster then
# runs as 'postgres') or as a user who may run initdb.  When this mailout
# has no `dispatch` yet, only the data and the baseline run.

set -eu
BENCH=dispatch
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${N:-100000} RUNS=${RUNS:-3} SIZE=${SIZE:-4096} SIGN=${SIGN:-1} MODE=${MODE:-rate}
RSS_SIZES=${RSS_SIZES:-10000 1000000}
for v in N RUNS SIZE SIGN; do
    case ${!v} in '' | *[!0-9]*) die "$v must be a number" ;; esac
done
case $MODE in rate | rss) ;; *) die "MODE is rate or rss" ;; esac
bench_mailout
for t in smtp-sink smtp-source; do
    command -v $t > /dev/null || die "no $t (apt-get install postfix; keep its service stopped)"
done
command -v openssl > /dev/null || die "no openssl"
/usr/bin/time -f %M -o /dev/null true 2> /dev/null || die "no GNU time at /usr/bin/time (apt-get install time)"
HAVE_DISPATCH=1
if "$MAILOUT" dispatch --help 2>&1 | grep -qi "unknown command"; then
    HAVE_DISPATCH=0
    echo "dispatch.sh: this mailout has no 'dispatch' command: data and baseline only" >&2
fi
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "?" }'; }

# --- the cluster and the sink ------------------------------------------------
bench_cluster_start
SINK_PORT=$(free_port)
# -c counts (its counter costs ~2 %, BENCH.md section 1); 1000: backlog
smtp-sink -c -u nobody "127.0.0.1:$SINK_PORT" 1000 > "$TMP/sink.log" 2>&1 &
SINK_PID=$!
bench_on_exit 'kill $SINK_PID 2> /dev/null; wait $SINK_PID 2> /dev/null'
wait_port "$SINK_PORT" || die "smtp-sink did not start"
sink_msgs() { local v; v=$(tr '\r' '\n' < "$TMP/sink.log" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2) || true; echo "${v:-0}"; }

if [ "$SIGN" = 1 ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$TMP/dkim.pem" 2> /dev/null
    chmod 600 "$TMP/dkim.pem"
fi

# setup_db NAME COUNT: a database with COUNT contacts, each with a confirmed
# consent to the topic news (contact import's consent proof columns), the
# template, the segment; config in $TMP/NAME.conf, exported as MAILOUT_CONFIG.
setup_db() {
    local name=$1 count=$2
    DB=$name
    sql "CREATE DATABASE $name" postgres
    {
        printf '%s\n' "suppression_key_file = $TMP/supp.key" "legal_entity = ACME Pumps GmbH" \
            "from = ACME Pumps <news@acme-pumps.example>" \
            "postal_address = ACME Pumps GmbH, Pumpenweg 1, 12345 Berlin" \
            "privacy_url = https://acme-pumps.example/privacy" \
            "unsubscribe_mailto = unsubscribe@acme-pumps.example" \
            "base_url = http://127.0.0.1:8080" \
            "transport = smtp://127.0.0.1:$SINK_PORT" "smtp_starttls = off" \
            "contact_attributes = city" "rate = 0"
        if [ "$SIGN" = 1 ]; then
            printf '%s\n' "dkim_domain = acme-pumps.example" "dkim_selector = bench" \
                "dkim_key_file = $TMP/dkim.pem"
        fi
    } > "$TMP/$name.conf"
    export MAILOUT_CONFIG=$TMP/$name.conf
    export MAILOUT_DB="host=$PG_DIR port=$PGPORT user=owner dbname=$name"
    quiet "$MAILOUT" db migrate
    # no frequency caps: every round sends to everybody again
    for key in frequency_cap_day frequency_cap_week frequency_cap_month; do
        quiet "$MAILOUT" policy set '*' "$key" 0
        quiet "$MAILOUT" policy set DE "$key" 0
    done
    quiet "$MAILOUT" topic add news --title "ACME news"
    printf 'Send me the ACME newsletter with offers. I can withdraw my consent at any time.\n' > "$TMP/consent.txt"
    quiet "$MAILOUT" consent-text add news "$TMP/consent.txt"
    local text_id
    text_id=$(tail -n 1 "$TMP/cmd.out")
    step "$name: $count contacts with a confirmed consent"
    /usr/bin/python3 - "$count" "$text_id" > "$TMP/contacts.csv" << 'PY'
import sys
n, tid = int(sys.argv[1]), sys.argv[2]
cities = ["Berlin", "Hamburg", "München", "Köln", "Leipzig", "Dresden", "Bremen", "Essen"]
w = sys.stdout.write
w("email,name,country,locale,city,consent_topic,consented_at,consent_source,consent_text_id,consent_ip\n")
for i in range(n):
    w("user%d@example.test,Contact Nummer %d,DE,de,%s,news,2025-03-01T10:00:00Z,bench import,%s,192.0.2.%d\n"
      % (i, i, cities[i % len(cities)], tid, i % 250 + 1))
PY
    quiet "$MAILOUT" contact import "$TMP/contacts.csv"
    tail -n 1 "$TMP/cmd.out" >&2
    # about SIZE bytes once rendered: a personal greeting, the address and
    # the city, filler paragraphs, the unsubscribe link and postal address
    /usr/bin/python3 - "$SIZE" > "$TMP/offer.txt" << 'PY'
import sys
size = int(sys.argv[1])
head = "Hello {{name}},\n\nthis issue goes to {{email}}, our reader in {{attr.city}}.\n\n"
tail = "\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n"
para = ("Our new booster pumps move more water with less power, and the spare "
        "parts fit every model we have built since 2010. ")
body = ""
while len(head) + len(body) + len(tail) + 700 < size:  # ~700: headers (DKIM, List-*), values
    body += para
    if len(body) % 3 == 0:
        body += "\n\n"
out, line = [], ""
for word in body.split(" "):
    if len(line) + len(word) > 72:
        out.append(line.rstrip())
        line = ""
    line += word + " "
out.append(line.rstrip())
sys.stdout.write(head + "\n".join(out) + "\n" + tail)
PY
    quiet "$MAILOUT" template add offer --subject 'ACME news for {{name}}' --text "$TMP/offer.txt"
    quiet "$MAILOUT" segment create everyone --where 'true'
    sql "VACUUM ANALYZE"
}

# new_run NAME: a fresh campaign NAME and its run (untimed); RUN_ID, QUEUED
new_run() {
    quiet "$MAILOUT" campaign create "$1" --topic news --template offer --segment everyone
    quiet "$MAILOUT" campaign send "$1"
    RUN_ID=$(sql "SELECT r.id FROM campaign_runs r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = '$1' ORDER BY r.id DESC LIMIT 1")
    QUEUED=$(sql "SELECT count(*) FROM send_queue WHERE run_id = $RUN_ID AND state = 'queued'")
    sql "CHECKPOINT"
}

# check_run COUNT SINK_BEFORE: every message of run RUN_ID sent and recorded
check_run() {
    local want=$1 before=$2 recs rows got
    sleep 0.3
    got=$(($(sink_msgs) - before))
    recs=$(sql "SELECT count(*) FROM send_records WHERE run_id = $RUN_ID AND status = 'sent'")
    rows=$(sql "SELECT count(*) FROM send_queue WHERE run_id = $RUN_ID AND state = 'sent'")
    CHECK="sink +$got, send_records sent $recs, queue sent $rows"
    [ "$got" = "$want" ] && [ "$recs" = "$want" ] && [ "$rows" = "$want" ] ||
        { echo "dispatch.sh: run $RUN_ID: expected $want everywhere: $CHECK" >&2; CHECK="$CHECK  MISMATCH"; FAILED=1; }
}

# timed CMD...: wall seconds into T, peak RSS kB into RSS
timed() {
    local t0 t1
    t0=$(now_ns)
    /usr/bin/time -f %M -o "$TMP/rss" "$@" > "$TMP/cmd.out" 2> "$TMP/cmd.err" ||
        { tail -n 20 "$TMP/cmd.err" >&2; die "failed: $*"; }
    t1=$(now_ns)
    T=$(secs "$t0" "$t1")
    RSS=$(tail -n 1 "$TMP/rss")
}

FAILED=0
if [ "$MODE" = rss ]; then
    REPORT=$TMP/report.txt
    echo "mailout dispatch peak RSS, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, DKIM $([ "$SIGN" = 1 ] && echo RSA-2048 || echo off)" > "$REPORT"
    printf '%-12s %10s %10s %12s  %s\n' recipients "wall s" "msg/s" "peak RSS kB" check >> "$REPORT"
    i=0
    for size in $RSS_SIZES; do
        i=$((i + 1))
        setup_db "rss$i" "$size"
        new_run "rss$i"
        [ "$QUEUED" = "$size" ] || die "campaign send queued $QUEUED of $size"
        [ "$HAVE_DISPATCH" = 1 ] || { echo "no dispatch: skipped $size" >> "$REPORT"; continue; }
        step "dispatch --once, $QUEUED recipients"
        before=$(sink_msgs)
        timed "$MAILOUT" dispatch --once
        check_run "$size" "$before"
        printf '%-12s %10s %10s %12s  %s\n' "$size" "$T" "$(rate "$size" "$T")" "$RSS" "$CHECK" >> "$REPORT"
    done
    echo "target: peak RSS < 64 MB and flat in campaign size" >> "$REPORT"
    cat "$REPORT"
    exit "$FAILED"
fi

setup_db bench "$N"
step "warm-up"
new_run warmup
[ "$QUEUED" = "$N" ] || die "campaign send queued $QUEUED of $N (see: $MAILOUT campaign explain warmup)"
quiet smtp-source -d -s 1 -m "$N" -l "$SIZE" -f news@acme-pumps.example -t rcpt@example.test \
    "127.0.0.1:$SINK_PORT"
if [ "$HAVE_DISPATCH" = 1 ]; then
    quiet "$MAILOUT" dispatch --once
    if [ "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $RUN_ID AND state = 'sent'")" = 0 ]; then
        HAVE_DISPATCH=0
        echo "dispatch.sh: this mailout's dispatch sends no campaign mail yet: data and baseline only" >&2
    fi
fi

SRC=() ONE=() TWO=() ONE_RSS=() TWO_RSS=() LOG=()
for r in $(seq "$RUNS"); do
    step "round $r: smtp-source"
    before=$(sink_msgs)
    timed smtp-source -d -s 1 -m "$N" -l "$SIZE" -f news@acme-pumps.example -t rcpt@example.test \
        "127.0.0.1:$SINK_PORT"
    sleep 0.3
    got=$(($(sink_msgs) - before))
    [ "$got" = "$N" ] || { echo "dispatch.sh: smtp-source: the sink counted $got of $N" >&2; FAILED=1; }
    SRC+=("$T")
    LOG+=("round $r smtp-source: ${T}s, sink +$got")
    [ "$HAVE_DISPATCH" = 1 ] || continue

    new_run "one$r"
    step "round $r: one dispatch process, $QUEUED recipients"
    before=$(sink_msgs)
    timed "$MAILOUT" dispatch --once
    check_run "$N" "$before"
    ONE+=("$T") ONE_RSS+=("$RSS")
    LOG+=("round $r dispatch x1: ${T}s, RSS ${RSS} kB, $CHECK")

    new_run "two$r"
    step "round $r: two dispatch processes, $QUEUED recipients"
    before=$(sink_msgs)
    t0=$(now_ns)
    /usr/bin/time -f %M -o "$TMP/rss.a" "$MAILOUT" dispatch --once > "$TMP/a.out" 2> "$TMP/a.err" &
    pa=$!
    /usr/bin/time -f %M -o "$TMP/rss.b" "$MAILOUT" dispatch --once > "$TMP/b.out" 2> "$TMP/b.err" &
    pb=$!
    wait "$pa" || { tail -n 20 "$TMP/a.err" >&2; die "dispatch (first of two) failed"; }
    wait "$pb" || { tail -n 20 "$TMP/b.err" >&2; die "dispatch (second of two) failed"; }
    T=$(secs "$t0" "$(now_ns)")
    RSS=$(printf '%s\n' "$(tail -n 1 "$TMP/rss.a")" "$(tail -n 1 "$TMP/rss.b")" | sort -n | tail -n 1)
    check_run "$N" "$before"
    TWO+=("$T") TWO_RSS+=("$RSS")
    LOG+=("round $r dispatch x2: ${T}s, RSS max ${RSS} kB, $CHECK")
done

src=$(printf '%s\n' "${SRC[@]}" | median)
REPORT=$TMP/report.txt
{
    echo "mailout dispatch benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}')"
    echo "$N recipients, ~$SIZE-byte personalised messages, DKIM $([ "$SIGN" = 1 ] && echo RSA-2048 || echo off), smtp-sink -c on 127.0.0.1; median of $RUNS rounds"
    printf '%-30s %9s %9s %8s %12s\n' command "wall s" "msg/s" ratio "peak RSS kB"
    printf '%-30s %9s %9s %8s %12s\n' "smtp-source -d -s 1" "$src" "$(rate "$N" "$src")" 1.00 -
    if [ "$HAVE_DISPATCH" = 1 ]; then
        one=$(printf '%s\n' "${ONE[@]}" | median)
        two=$(printf '%s\n' "${TWO[@]}" | median)
        printf '%-30s %9s %9s %8s %12s\n' "dispatch --once (1 process)" "$one" "$(rate "$N" "$one")" \
            "$(awk -v a="$src" -v b="$one" 'BEGIN { printf "%.2f", a / b }')" \
            "$(printf '%s\n' "${ONE_RSS[@]}" | sort -n | tail -n 1)"
        printf '%-30s %9s %9s %8s %12s\n' "dispatch --once (2 processes)" "$two" "$(rate "$N" "$two")" \
            "$(awk -v a="$src" -v b="$two" 'BEGIN { printf "%.2f", a / b }')" \
            "$(printf '%s\n' "${TWO_RSS[@]}" | sort -n | tail -n 1)"
        echo "ratio: mailout's rate / smtp-source's rate; targets: 1 process >= 0.50, 2 processes >= 0.80, RSS < 65536 kB"
    else
        echo "(no dispatch command in this mailout: baseline only)"
    fi
    printf '%s\n' "${LOG[@]}"
    [ "$FAILED" = 0 ] && echo "checks: every run complete" || echo "checks: MISMATCH (see above)"
} | tee "$REPORT"
mkdir -p "$ROOT/contrib/bench/out" 2> /dev/null && cp "$REPORT" "$ROOT/contrib/bench/out/dispatch-$(date +%Y%m%d-%H%M%S).txt" 2> /dev/null || true
exit "$FAILED"
