#!/bin/bash
# fuzz.sh [SECONDS] - builds every libFuzzer target tests/fuzz/fuzz_*.c with
# clang (AddressSanitizer + UndefinedBehaviorSanitizer + LeakSanitizer) and
# runs each for SECONDS (default 20), as many at once as there are CPUs.
#
# The library is compiled once, by the automake build in _build/fuzz
# (configured with CC=clang and -fsanitize=fuzzer-no-link,address,undefined);
# tests/fuzz/fuzz.mk links each target against it with the libraries that
# configure found.  A target's options come from a "fuzz-options:" line in
# its source (default -max_len=4096), its dictionary from tests/fuzz/NAME.dict,
# its seeds from tests/fuzz/corpus/NAME/; new inputs it finds are kept in
# _build/fuzz/corpus/NAME/ for the next run.
#
# Prints "fuzz NAME: ok (N runs)" or "fuzz NAME: FAILED" per target, and for
# a failure the sanitizer report and the saved input that reproduces it:
#   _build/fuzz/fuzz_NAME _build/fuzz/artifacts/NAME/crash-...
# Exits 1 when any target crashes, leaks, times out or does not build.
# Environment: FUZZ_JOBS (targets run at once), FUZZ_TARGETS (names to run,
# space-separated; default all).
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
secs=${1:-20}
case $secs in
'' | *[!0-9]* | 0) echo "usage: contrib/fuzz.sh [SECONDS]" >&2; exit 64 ;;
esac
bdir=_build/fuzz
jobs=${FUZZ_JOBS:-$(nproc 2> /dev/null || echo 2)}
cc=${FUZZ_CC:-clang}

if ! command -v "$cc" > /dev/null; then
    echo "fuzz: $cc not found: install it with 'apt-get install clang libclang-rt-14-dev'" >&2
    exit 1
fi
if [ -f config.status ]; then
    echo "fuzz: the source tree is configured in-tree; run 'make distclean' first" >&2
    exit 1
fi
[ -x configure ] || ./autogen.sh > /dev/null 2>&1 || { ./autogen.sh; exit 1; }

targets=()
if [ -n "${FUZZ_TARGETS:-}" ]; then
    for n in $FUZZ_TARGETS; do targets+=("$n"); done
else
    for f in tests/fuzz/fuzz_*.c; do
        [ -f "$f" ] || continue
        n=${f#tests/fuzz/fuzz_}
        targets+=("${n%.c}")
    done
fi
if [ ${#targets[@]} -eq 0 ]; then
    echo "fuzz: no targets in tests/fuzz" >&2
    exit 1
fi

# --- build -----------------------------------------------------------------
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
mkdir -p "$bdir"
if [ ! -f "$bdir/Makefile" ] || [ configure -nt "$bdir/config.status" ] ||
    ! grep -q -e "-DCSVIN_CHUNK=61" "$bdir/Makefile"; then
    echo "== fuzz: configure ($cc)"
    # CSVIN_CHUNK: csvin.c reads 61 bytes at a time instead of 64 KiB (see fuzz_csvin.c)
    (cd "$bdir" && "$top/configure" CC="$cc" CFLAGS="$flags" CPPFLAGS="-DCSVIN_CHUNK=61" \
        > configure.log 2>&1) ||
        { tail -n 20 "$bdir/configure.log"; echo "fuzz: configure failed" >&2; exit 1; }
fi
echo "== fuzz: build ${#targets[@]} targets"
fmake() {
    make -C "$bdir" --no-print-directory -f Makefile -f "$top/tests/fuzz/fuzz.mk" "$@"
}
bins=("${targets[@]/#/fuzz_}")
built_all=1
if ! fmake -k -j"$jobs" "${bins[@]}" > "$bdir/build.log" 2>&1; then
    grep -E -B2 -A6 'error|Error' "$bdir/build.log" | head -n 60
    built_all=0
fi

# --- run -------------------------------------------------------------------
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0

run_one() { # run_one NAME: runs the target, leaves NAME.log and NAME.rc in $bdir/run
    local n=$1 src="tests/fuzz/fuzz_$1.c" opts art work
    opts=$(grep -o 'fuzz-options:.*' "$src" | head -n 1 | sed -e 's/^fuzz-options://')
    art="$bdir/artifacts/$n/"
    work="$bdir/corpus/$n"
    rm -rf "$art" && mkdir -p "$art" "$work"
    local args=(-max_len=4096 $opts -timeout=10 -rss_limit_mb=2048 -max_total_time="$secs"
        -print_final_stats=1 -artifact_prefix="$art")
    [ -f "tests/fuzz/$n.dict" ] && args+=(-dict="tests/fuzz/$n.dict")
    args+=("$work")
    [ -d "tests/fuzz/corpus/$n" ] && args+=("tests/fuzz/corpus/$n")
    timeout -k 10 $((secs + 120)) "$bdir/fuzz_$n" "${args[@]}" > "$bdir/run/$n.log" 2>&1
    echo $? > "$bdir/run/$n.rc"
}

rm -rf "$bdir/run" && mkdir -p "$bdir/run"
running=0
for n in "${targets[@]}"; do
    if [ ! -f "tests/fuzz/fuzz_$n.c" ]; then
        echo "no such target tests/fuzz/fuzz_$n.c" > "$bdir/run/$n.log"
        echo 1 > "$bdir/run/$n.rc"
        continue
    fi
    # after a failed build, try each target alone to tell which ones do build
    if [ $built_all = 0 ] && ! fmake "fuzz_$n" >> "$bdir/build.log" 2>&1; then
        echo "build failed (see $top/$bdir/build.log)" > "$bdir/run/$n.log"
        echo 1 > "$bdir/run/$n.rc"
        continue
    fi
    if [ "$running" -ge "$jobs" ]; then
        wait -n
        running=$((running - 1))
    fi
    run_one "$n" &
    running=$((running + 1))
done
wait

status=0
echo "== fuzz: ${secs}s per target"
for n in "${targets[@]}"; do
    log="$bdir/run/$n.log"
    rc=$(cat "$bdir/run/$n.rc" 2> /dev/null || echo 1)
    if [ "$rc" = 0 ]; then
        runs=$(awk '/stat::number_of_executed_units:/{print $2}' "$log" | tail -n 1)
        echo "fuzz $n: ok (${runs:-0} runs)"
        continue
    fi
    status=1
    echo "fuzz $n: FAILED"
    # the report: from the first sanitizer or check line to the end, bounded
    awk '/^==[0-9]+==|fuzz check failed|runtime error|^SUMMARY|ERROR: libFuzzer|^build failed|^no such/{p=1}
        p && !/ in fuzzer::|libc_start|in _start |in main |^NOTE: libFuzzer|Combine libFuzzer|^$/' \
        "$log" | head -n 60 | sed -e 's/^/    /'
    [ "$rc" = 124 ] || [ "$rc" = 137 ] && echo "    (killed after $((secs + 120))s)"
    for a in "$bdir/artifacts/$n"/*; do
        [ -f "$a" ] || continue
        echo "    reproduce: $top/$bdir/fuzz_$n $top/$a"
    done
    echo "    full log: $top/$log"
done
exit $status
