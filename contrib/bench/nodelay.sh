#!/bin/bash
# nodelay.sh - A/B of TCP_NODELAY on libESMTP's sockets (dispatcher/nodelay.c):
# mailout's own SMTP transport sends N ~4 KB messages to Postfix's smtp-sink
# on loopback in sessions of BATCH, with the interposer on (A) and off
# (B, MAILOUT_NO_NODELAY=1), alternating A B A B, and prints each median and
# the ratio.  Without TCP_NODELAY every message waits ~44 ms for a delayed ACK
# (BENCH.md section 2, quirk 1).
#
# Environment: N (default 100: the B runs take ~45 ms a message), RUNS
# (pairs, default 3), SIZE (bytes, default 4096), BATCH (default 100),
# BUILD (the configured build directory holding libmailout.a; default
# _build/dev, relative to the repository root).  Needs cc, smtp-sink
# (apt-get install postfix; its service may stay stopped).
set -eu
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${N:-100} RUNS=${RUNS:-3} SIZE=${SIZE:-4096} BATCH=${BATCH:-100}
BUILD=${BUILD:-_build/dev}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
[ -f "$BUILD/libmailout.a" ] || { echo "nodelay.sh: no $BUILD/libmailout.a (build first, or set BUILD)" >&2; exit 1; }
command -v smtp-sink > /dev/null || { echo "nodelay.sh: no smtp-sink (apt-get install postfix)" >&2; exit 1; }
TMP=$(mktemp -d "${TMPDIR:-/tmp}/mailout-nodelay.XXXXXX")
SINK_PID=
cleanup() {
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2> /dev/null && wait "$SINK_PID" 2> /dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

printf 'print-deps:\n\t@echo $(DEP_LIBS)\n' > "$TMP/print.mk"
DEPS=$(make -s -C "$BUILD" -f Makefile -f "$TMP/print.mk" print-deps)
cc -O2 -std=gnu11 -I"$ROOT/include" -I"$BUILD" -o "$TMP/transport-ab" \
    "$ROOT/contrib/bench/transport-ab.c" "$BUILD/libmailout.a" $DEPS

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
smtp-sink -c -u nobody "127.0.0.1:$PORT" 1000 > "$TMP/sink.log" 2>&1 &
SINK_PID=$!
for _ in $(seq 50); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2> /dev/null && break
    sleep 0.1
done

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%.6f\n", (a[NR/2]+a[NR/2+1])/2}'; }
one() { # one ENV...: prints the wall seconds of one run
    env "$@" "$TMP/transport-ab" "127.0.0.1:$PORT" "$N" "$SIZE" "$BATCH" 2> "$TMP/err" |
        awk '{for (i = 1; i < NF; i++) if ($(i + 1) == "s,") print $i}'
}
one MAILOUT_NO_NODELAY=0 > /dev/null # warm-up
A=() B=()
for _ in $(seq "$RUNS"); do
    A+=("$(one MAILOUT_NO_NODELAY=0)")
    B+=("$(one MAILOUT_NO_NODELAY=1)")
done
a=$(printf '%s\n' "${A[@]}" | median)
b=$(printf '%s\n' "${B[@]}" | median)
sink=$(tr '\r' '\n' < "$TMP/sink.log" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 || true)
awk -v n="$N" -v s="$SIZE" -v a="$a" -v b="$b" -v r="$RUNS" -v batch="$BATCH" -v sink="${sink:-?}" 'BEGIN {
    printf "%d messages of %d bytes, sessions of %s, median of %d runs each\n", n, s, batch, r
    printf "  TCP_NODELAY on  (A): %8.3f s  %8.0f msg/s\n", a, n / a
    printf "  TCP_NODELAY off (B): %8.3f s  %8.0f msg/s\n", b, n / b
    printf "  B/A wall ratio: %.1f (per message: %.2f ms vs %.2f ms)\n", b / a, b * 1000 / n, a * 1000 / n
    printf "  the sink counted %s messages (expected %d)\n", sink, n * (2 * r + 1)
}'
printf 'A runs: %s\nB runs: %s\n' "${A[*]}" "${B[*]}"
