#!/bin/bash
# scheduler_grace.sh - occurrences that fell due while no `mailout run` was
# up (issue 11): within schedule_grace (default 1h) the run is built at
# start-up and sent; older than the grace the occurrence is recorded as
# skipped with its reason and no run is made.  An occurrence of a campaign
# whose previous run is not finished is recorded as skipped (busy).
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$SRCDIR/tests/integration/sched_lib.sh"
sched_setup
plan 26

cat > "$TMP/contacts.csv" << EOF
email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
anna@example.com,Anna,DE,$PROOF
bob@example.com,Bob,DE,$PROOF
EOF
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"
for c in late missed busy; do
    "$MAILOUT" campaign create $c --topic news --template hello --segment everyone > /dev/null
done
runs_of() { sql "SELECT count(*) FROM campaign_runs r JOIN campaigns c ON c.id = r.campaign_id
                 WHERE c.name = '$1'"; }
occ_of() { sql "SELECT o.state || '|' || COALESCE(o.reason, '') FROM schedule_occurrences o
                JOIN campaigns c ON c.id = o.campaign_id WHERE c.name = '$1' ORDER BY o.occurs_at"; }

# --- due while nothing ran, within the default grace: runs at start-up ---
schedule_in late 2
at=$AT
sleep 4
is "$(runs_of late)" 0 "nothing ran while no process was up"
run_conf "$TMP/a.conf"
run_start "$TMP/a.conf" "$TMP/a.log"
wait_sql "SELECT count(*) FROM campaign_runs WHERE state = 'done'" 1 30
ok $? "with the default grace the missed occurrence runs at start-up"
is "$(occ_of late)" "run|" "it is recorded as run"
is "$(sql "SELECT iso_utc(scheduled_for) FROM campaign_runs")" "$at" "the run is for that occurrence"
is "$(rcpt_counts)" "anna@example.com=1 bob@example.com=1" "each recipient got one message"
like "$(cat "$TMP/a.log")" "schedule occurrence: run built campaign=late occurs_at=$at" \
    "the run is logged"
run_stop "$RUN_PID"
is "$STOP_RC" 0 "exit 0 on SIGTERM"

# a manual run of busy, paused while nothing dispatches: not finished
run "$MAILOUT" campaign send busy
is "$RC" 0 "a manual run of busy"
run "$MAILOUT" campaign pause busy
is "$RC" 0 "which is paused, so not finished"

# a grace shorter than the scheduler's look (once a second) is refused
run_conf "$TMP/g.conf" "schedule_grace = 1s"
MAILOUT_CONFIG=$TMP/g.conf run "$MAILOUT" run
is "$RC" 65 "schedule_grace = 1s: exit 65"
like "$ERR" "invalid value '1s' for key schedule_grace: expected at least 2s \\(.*g.conf:[0-9]+" \
    "the message names the key, the file and the line"

# --- older than schedule_grace = 2s: skipped, no run ---
schedule_in missed 2
at=$AT
sleep 6
run_conf "$TMP/b.conf" "schedule_grace = 2s"
run_start "$TMP/b.conf" "$TMP/b.log"
wait_sql "SELECT count(*) FROM schedule_occurrences" 2 30
ok $? "the occurrence older than the grace is recorded"
like "$(occ_of missed)" "^skipped\|missed: [0-9]+ s late, more than schedule_grace \(2 s\)" \
    "as skipped, with the reason"
is "$(runs_of missed)" 0 "no run is made for it"
is "$(sql "SELECT next_at IS NULL FROM schedules s JOIN campaigns c ON c.id = s.campaign_id
           WHERE c.name = 'missed'")" t "the schedule has moved on (ended)"
like "$(cat "$TMP/b.log")" "schedule occurrence: skipped campaign=missed occurs_at=$at reason=\"missed: " \
    "the skip is logged with its reason"
is "$(maildir_count "$SMTP_MAILDIR")" 2 "no more mail went out"
run "$MAILOUT" campaign schedule missed --list
like "$OUT" "$at skipped \(missed: [0-9]+ s late, more than schedule_grace" \
    "campaign schedule --list shows the skip and its reason"
run "$MAILOUT" campaign schedule late --list
like "$OUT" "run \(run [0-9]+\)" "and the occurrence that ran, with its run"

# --- the previous run is not finished: skipped as busy ---
schedule_in busy 2
at=$AT
wait_sql "SELECT count(*) FROM schedule_occurrences" 3 30
ok $? "the occurrence of busy is recorded"
like "$(occ_of busy)" "^skipped\|busy: the campaign's previous run [0-9]+ is not finished \(paused\)" \
    "as skipped: the previous run is not finished"
is "$(runs_of busy)" 1 "no second run of busy"
run_stop "$RUN_PID"
is "$STOP_RC" 0 "exit 0 on SIGTERM"
BG_PIDS=
unlike "$(cat "$TMP/a.log" "$TMP/b.log")" "scheduler: " "no scheduler errors were logged"
is "$(sql "SELECT count(*) FROM schedule_occurrences")" 3 "three occurrences recorded in all"
done_testing
