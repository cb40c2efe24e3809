#!/bin/bash
# scheduler_backlog.sh - a recurring schedule after a long downtime (issue
# 11): every occurrence missed while no `mailout run` was up is recorded,
# those older than schedule_grace as skipped (missed), the others but the
# latest as skipped (superseded), and only the latest runs; more than the
# 100 occurrences one transaction records are worked through over several
# seconds, and the schedule moves on to its next occurrence after now.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$SRCDIR/tests/integration/sched_lib.sh"
sched_setup
plan 19

cat > "$TMP/contacts.csv" << EOF2
email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
anna@example.com,Anna,DE,$PROOF
EOF2
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"
run "$MAILOUT" campaign create hourly --topic news --template hello --segment everyone
is "$RC" 0 "campaign created"

# every hour (the most often a rule may say) since five days ago: about 120
# occurrences, none handled; a grace of three hours
start=$(date -u -d "-5 days" +%Y-%m-%dT%H:00:00Z)
schedule_past hourly "$start" "FREQ=DAILY;BYHOUR=$(seq -s, 0 23)"
run_conf "$TMP/a.conf" "schedule_grace = 3h"
run_start "$TMP/a.conf" "$TMP/a.log"
wait_sql "SELECT count(*) FROM campaign_runs WHERE state = 'done'" 1 60
ok $? "the latest occurrence's run is built and sent"
wait_sql "SELECT next_at > now() FROM schedules" t 30
ok $? "the schedule has moved past now"
sleep 2 # a few more ticks: nothing more may happen
run_stop "$RUN_PID"
is "$STOP_RC" 0 "exit 0 on SIGTERM"
BG_PIDS=

# every hour from the start to the last one recorded, independently
expected=$(sql "SELECT count(*) FROM generate_series('$start'::timestamptz,
                (SELECT max(occurs_at) FROM schedule_occurrences), interval '1 hour')")
is "$(sql "SELECT count(*) FROM schedule_occurrences")" "$expected" \
    "every occurrence since the downtime began is recorded, once"
[ "$expected" -gt 100 ]
ok $? "more than one transaction's worth of them ($expected)"
is "$(sql "SELECT count(*) FROM (SELECT generate_series('$start'::timestamptz,
           (SELECT max(occurs_at) FROM schedule_occurrences), interval '1 hour') AS t) g
           WHERE NOT EXISTS (SELECT 1 FROM schedule_occurrences o WHERE o.occurs_at = g.t)")" 0 \
    "none is left out"
is "$(sql "SELECT count(*) || ' ' || (min(o.occurs_at) = (SELECT max(occurs_at) FROM schedule_occurrences))
           || ' ' || (min(o.run_id) = (SELECT id FROM campaign_runs))
           || ' ' || (min(r.scheduled_for) = min(o.occurs_at))
           FROM schedule_occurrences o JOIN campaign_runs r ON r.id = o.run_id
           WHERE o.state = 'run'")" "1 true true true" "only the latest occurrence ran, with the one run"
is "$(sql "SELECT count(*) FROM schedule_occurrences WHERE state = 'skipped' AND reason LIKE 'missed: %'
           AND recorded_at - occurs_at <= interval '3 hours'")" 0 \
    "every occurrence skipped as missed was more than schedule_grace late"
is "$(sql "SELECT count(*) FROM schedule_occurrences WHERE state = 'skipped' AND reason NOT LIKE 'missed: %'
           AND (reason NOT LIKE 'superseded: %' OR recorded_at - occurs_at > interval '3 hours 2 seconds')")" 0 \
    "the others were superseded, within the grace"
like "$(sql "SELECT count(*) FILTER (WHERE reason LIKE 'missed: %') || ' '
             || count(*) FILTER (WHERE reason LIKE 'superseded: %') FROM schedule_occurrences")" \
    "^[1-9][0-9]+ [1-9][0-9]*$" "there are missed and superseded ones"
is "$(sql "SELECT next_at > (SELECT max(occurs_at) FROM schedule_occurrences)
           AND next_at <= now() + interval '1 hour' FROM schedules")" t \
    "next_at is the first occurrence after them"
is "$(grep -c 'schedule occurrence: ' "$TMP/a.log")" "$expected" "one log line per occurrence"

# review (issue 11): a stored schedule libical cannot read any more (hand-edited, or a
# libical that reads it differently) neither blocks the others nor floods the log
for c in broken fine; do
    "$MAILOUT" campaign create "$c" --topic news --template hello --segment everyone > /dev/null
done
schedule_in broken 3
schedule_in fine 3
sql "UPDATE schedules SET ics = 'BEGIN:VCALENDAR' || chr(10) || 'garbage'
     WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'broken')" > /dev/null
run_start "$TMP/a.conf" "$TMP/c.log"
wait_sql "SELECT count(*) FROM campaign_runs r JOIN campaigns c ON c.id = r.campaign_id
          WHERE c.name = 'fine'" 1 60
ok $? "a schedule due with an unreadable one still runs"
sleep 3 # several ticks with the broken one due
is "$(grep -c "scheduler: schedule of campaign 'broken': not an iCalendar object" "$TMP/c.log")" 1 \
    "the unreadable schedule is logged once, not once a tick"
is "$(sql "SELECT count(*) FROM schedule_occurrences o JOIN campaigns c ON c.id = o.campaign_id
           WHERE c.name = 'broken'")" 0 "nothing is recorded for it"
kill -0 "$RUN_PID" 2> /dev/null
ok $? "run stays up"
run_stop "$RUN_PID"
is "$STOP_RC" 0 "and exits 0 on SIGTERM"
BG_PIDS=
done_testing
