#!/bin/bash
# run-tests.sh - the whole test suite, as CI runs it: builds with -Werror and
# runs `make check` (unit tests, integration tests against a throwaway
# PostgreSQL and a real SMTP server, browser tests), checks formatting, runs
# the suite again in an AddressSanitizer + UBSan build, runs every libFuzzer
# target briefly (contrib/fuzz.sh; FUZZ_SECONDS each, default up to 15), then
# `make distcheck`.
# Prints "N passed, N failed" at the end; exits non-zero on any failure.
# Set QUICK=1 to skip the sanitizer build, the fuzzing and distcheck.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
bash contrib/install-deps.sh || exit 1
[ -x configure ] || ./autogen.sh > /dev/null 2>&1 || { ./autogen.sh; exit 1; }
if [ -f config.status ]; then
    echo "run-tests: cleaning the in-tree build (make distclean) for out-of-tree builds"
    make distclean > /dev/null 2>&1 || true
fi
jobs=$(nproc 2> /dev/null || echo 2)
status=0
pass=0
fail=0
summaries=()

count() { # count BUILD-DIR LABEL
    local log="$1/test-suite.log" p f e x
    [ -f "$log" ] || { fail=$((fail + 1)); summaries+=("$2: no test-suite.log"); return; }
    p=$(awk '/^# PASS:/{print $3; exit}' "$log")
    f=$(awk '/^# FAIL:/{print $3; exit}' "$log")
    e=$(awk '/^# ERROR:/{print $3; exit}' "$log")
    x=$(awk '/^# XPASS:/{print $3; exit}' "$log")
    pass=$((pass + ${p:-0}))
    fail=$((fail + ${f:-0} + ${e:-0} + ${x:-0}))
    summaries+=("$2: ${p:-0} passed, $(( ${f:-0} + ${e:-0} + ${x:-0} )) failed")
}

build() { # build DIR LABEL CONFIGURE-ARGS...
    local dir="$1" label="$2"
    shift 2
    echo "== $label: configure $*"
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && "$top/configure" "$@" > configure.log 2>&1) || { tail -n 20 "$dir/configure.log"; return 1; }
    echo "== $label: make"
    make -C "$dir" -j"$jobs" > "$dir/make.log" 2>&1 || { tail -n 40 "$dir/make.log"; return 1; }
    echo "== $label: make check"
    make -C "$dir" -j"$jobs" check > "$dir/check.log" 2>&1
    local rc=$?
    grep -E '^(FAIL|ERROR|XPASS)' "$dir/check.log"
    if [ $rc -ne 0 ]; then
        for l in $(grep -lE '^(not ok|Bail out)' "$dir"/tests/*/*.log 2> /dev/null); do
            echo "--- $l"; grep -E -B2 -A8 '^(not ok|Bail out)' "$l" | head -n 60
        done
    fi
    count "$dir" "$label"
    return $rc
}

build _build/normal "normal build" --enable-werror || status=1
echo "== format-check"
make -C _build/normal format-check > _build/format.log 2>&1 || { tail -n 20 _build/format.log; echo "format-check failed"; status=1; fail=$((fail + 1)); }

if [ -z "${QUICK:-}" ]; then
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
    export LSAN_OPTIONS=suppressions=$top/tests/lsan.supp:print_suppressions=0
    export CK_TIMEOUT_MULTIPLIER=5
    build _build/sanitize "sanitizer build" --enable-werror --enable-sanitizers || status=1
    unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS CK_TIMEOUT_MULTIPLIER
    # 15 s per target, less when there are so many that the fuzzing would pass 2 minutes
    ntargets=$(find tests/fuzz -maxdepth 1 -name 'fuzz_*.c' | wc -l)
    rounds=$(( (ntargets + jobs - 1) / jobs ))
    fuzz_secs=$(( 120 / (rounds > 0 ? rounds : 1) ))
    [ $fuzz_secs -gt 15 ] && fuzz_secs=15
    [ $fuzz_secs -lt 5 ] && fuzz_secs=5
    echo "== fuzz: $ntargets targets, ${FUZZ_SECONDS:-$fuzz_secs}s each"
    bash contrib/fuzz.sh "${FUZZ_SECONDS:-$fuzz_secs}" > _build/fuzz.log 2>&1
    fuzz_rc=$?
    grep -v '^== ' _build/fuzz.log | head -n 300
    p=$(grep -c '^fuzz [^ ]*: ok ' _build/fuzz.log)
    f=$(grep -c '^fuzz [^ ]*: FAILED' _build/fuzz.log)
    # a failure before any target ran (no clang, configure) still counts
    [ $fuzz_rc -ne 0 ] && [ "$f" -eq 0 ] && f=1
    pass=$((pass + p))
    fail=$((fail + f))
    summaries+=("fuzz: $p passed, $f failed")
    echo "fuzz: $p passed, $f failed"
    [ $fuzz_rc -eq 0 ] || status=1
    echo "== make distcheck"
    if make -C _build/normal distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror > _build/distcheck.log 2>&1; then
        echo "distcheck passed"
    else
        grep -E '^(FAIL|ERROR)|rror' _build/distcheck.log | head -n 30
        echo "distcheck failed"; status=1; fail=$((fail + 1))
    fi
fi

echo
for png in _build/*/tests/out/*.png; do [ -f "$png" ] && echo "# screenshot: $top/$png"; done
for s in "${summaries[@]}"; do echo "# $s"; done
echo "$pass passed, $fail failed"
[ $status -eq 0 ] && [ $fail -eq 0 ]
