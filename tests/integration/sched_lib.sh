# sched_lib.sh - shared by the scheduler tests (sourced after lib.sh).
#
# sched_setup: PostgreSQL, the SMTP sink, a migrated database with the topic
# 'news', its consent text ($NEWS_TEXT, $PROOF: a CSV consent proof), a
# template 'hello' and a segment 'everyone'.  run_conf FILE [LINE...] writes
# a configuration for one `mailout run` process (its own listen port);
# run_start/run_stop start and stop one; schedule_in/schedule_at schedule a
# campaign (`campaign schedule --at`), schedule_past as if before a downtime.

sched_setup() {
    start_pg
    start_smtp
    write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
        "from = news@shop.example" "legal_entity = ACME GmbH" \
        "base_url = https://shop.example/mail" "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
        "suppression_key_file = $TMP/supp.key"
    run "$MAILOUT" db migrate
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
    "$MAILOUT" topic add news --title "Newsletter" > /dev/null
    printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
    NEWS_TEXT=$("$MAILOUT" consent-text add news "$TMP/news.txt")
    PROOF="news,2026-06-01T10:00:00Z,form,$NEWS_TEXT,192.0.2.1"
    printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
    "$MAILOUT" template add hello --subject "Hello" --text "$TMP/body.txt" > /dev/null
    "$MAILOUT" segment create everyone --where "true" > /dev/null
}

# run_conf FILE [LINE...]: the shared configuration plus a listen port of its
# own ($RUN_PORT) and the extra lines
run_conf() {
    local f=$1
    shift
    RUN_PORT=$(free_port)
    { cat "$TMP/mailout.conf"; echo "listen = 127.0.0.1:$RUN_PORT"; printf '%s\n' "$@"; } > "$f"
}

# run_start CONF LOG: starts `mailout run`, waits for its /healthz; RUN_PID
run_start() {
    local port
    port=$(sed -n 's/^listen = 127.0.0.1://p' "$1")
    MAILOUT_CONFIG=$1 "$MAILOUT" run > "$2" 2>&1 &
    RUN_PID=$!
    BG_PIDS="$BG_PIDS $RUN_PID"
    for _ in $(seq 1 100); do
        [ "$(curl -s --max-time 2 "http://127.0.0.1:$port/healthz")" = ok ] && return 0
        kill -0 "$RUN_PID" 2> /dev/null || break
        sleep 0.1
    done
    cat "$2" >&2
    echo "Bail out! mailout run did not start"
    exit 1
}

# run_stop PID: SIGTERM; STOP_RC is its exit status, or "timeout" when it
# still runs after 30 s (it is then left to cleanup)
run_stop() {
    STOP_RC=timeout
    kill -TERM "$1"
    for _ in $(seq 1 300); do
        kill -0 "$1" 2> /dev/null || break
        sleep 0.1
    done
    if ! kill -0 "$1" 2> /dev/null; then
        wait "$1"
        STOP_RC=$?
    fi
}

# schedule_in CAMPAIGN SECONDS: a one-off schedule SECONDS from now (whole
# seconds), replacing the campaign's; AT is the occurrence (UTC, ISO)
schedule_in() {
    AT=$(date -u -d "+$2 seconds" +%Y-%m-%dT%H:%M:%SZ)
    schedule_at "$1" "$AT"
}

# schedule_at CAMPAIGN TIME: a one-off schedule at TIME (UTC, ISO)
schedule_at() {
    run "$MAILOUT" campaign schedule "$1" --at "$2"
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! campaign schedule $1 failed"; exit 1; }
}

# wait_sql QUERY EXPECTED [SECONDS]: polls until QUERY prints EXPECTED; 0, or 1
# after SECONDS (default 30)
wait_sql() {
    local deadline=$((SECONDS + ${3:-30}))
    while [ "$(sql "$1")" != "$2" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
    return 0
}

# rcpt_counts: "address count" per recipient at the sink, sorted
rcpt_counts() {
    /usr/bin/python3 - "$SMTP_MAILDIR" << 'PY'
import collections, email, glob, sys
n = collections.Counter()
for f in glob.glob(sys.argv[1] + '/new/*'):
    with open(f, 'rb') as fh:
        n[str(email.message_from_binary_file(fh)['X-Sink-Rcpt']).strip().lower()] += 1
print(' '.join('%s=%d' % (a, n[a]) for a in sorted(n)))
PY
}

# schedule_past CAMPAIGN DTSTART RRULE: a recurring schedule whose first
# occurrence (DTSTART, UTC, ISO) is in the past and not handled yet, as if
# every `mailout run` had been down since just before it (`campaign
# schedule` itself refuses the past)
schedule_past() {
    local dt
    dt=$(date -u -d "$2" +%Y%m%dT%H%M%SZ)
    sql "INSERT INTO schedules (campaign_id, kind, dtstart, tzid, rrule, ics, next_at)
         SELECT id, 'rrule', '$2', 'UTC', '$3', E'BEGIN:VCALENDAR\\r\\nVERSION:2.0\\r\\nPRODID:-//mailout test//EN\\r\\n'
             'BEGIN:VEVENT\\r\\nUID:$1@test\\r\\nDTSTAMP:$dt\\r\\nDTSTART:$dt\\r\\nRRULE:$3\\r\\nEND:VEVENT\\r\\n'
             'END:VCALENDAR\\r\\n', '$2' FROM campaigns WHERE name = '$1'" > /dev/null ||
        { echo "Bail out! cannot schedule $1"; exit 1; }
}
