#!/bin/bash
# systemd.sh - contrib/systemd/mailout.service fits `mailout run`: its
# ExecStart command line is accepted by mailout's own option parsing (with
# --help appended: the global options, the command and its options), the
# stop and reload signals are the ones `run` handles, the stop timeout leaves
# room for run's 30 s, and `systemd-analyze verify` accepts the unit (with
# ExecStart pointing at the built binary) when systemd-analyze is installed.
. "${top_srcdir:-.}/tests/integration/lib.sh"
plan 8

UNIT="$SRCDIR/contrib/systemd/mailout.service"
key() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }

exec_start=$(key ExecStart)
like "$exec_start" "^/[^ ]*/mailout .* run( |\$)" "ExecStart runs 'mailout ... run'"
# the same words, with the built binary, a configuration of ours and --help
printf 'log_level = info\n' > "$TMP/mailout.conf"
read -r -a words <<< "$exec_start"
args=()
for ((i = 1; i < ${#words[@]}; i++)); do
    if [ "${words[$i]}" = /etc/mailout/mailout.conf ]; then args+=("$TMP/mailout.conf"); else args+=("${words[$i]}"); fi
done
run "$MAILOUT" "${args[@]}" --help
is "$RC" 0 "mailout accepts ExecStart's options and command (with --help)"
like "$OUT" "^usage: mailout run" "and they name the run command"
like "$(key ExecReload)" "kill -HUP \\\$MAINPID" "ExecReload sends SIGHUP"
is "$(key KillSignal)" SIGTERM "the stop signal is SIGTERM"
stop=$(key TimeoutStopSec)
ok "$([ "${stop%s}" -gt 30 ] && echo 0 || echo 1)" "TimeoutStopSec ($stop) leaves room for run's 30 s"

# review (issue 11): ConfigurationDirectory= stays root's, also with DynamicUser=yes,
# so the service's user enters /etc/mailout only through the mode's "others" bits
mode=$(key ConfigurationDirectoryMode)
if [ "$(key DynamicUser)" = yes ] && [ -n "$(key ConfigurationDirectory)" ]; then
    ok "$([ $((0${mode:-755} & 05)) -eq 5 ] && echo 0 || echo 1)" \
        "DynamicUser can read the root-owned ConfigurationDirectory (mode ${mode:-755})"
else
    ok 0 "no DynamicUser with a ConfigurationDirectory"
fi

if ! command -v systemd-analyze > /dev/null; then
    echo "ok 8 # SKIP systemd-analyze not installed"
    exit 0
fi
sed "s|^ExecStart=[^ ]*|ExecStart=$(cd "$(dirname "$MAILOUT")" && pwd)/$(basename "$MAILOUT")|" "$UNIT" > "$TMP/mailout.service"
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no "$TMP/mailout.service" 2>&1)
rc=$?
if [ $rc -ne 0 ] && printf '%s' "$out" | grep -qiE "system has not been booted|failed to (connect|initialize)|no such file or directory.*/run/systemd"; then
    echo "ok 8 # SKIP systemd-analyze verify needs a running systemd here"
    exit 0
fi
is "$rc:$out" "0:" "systemd-analyze verify accepts the unit"
done_testing
