#!/bin/bash
# scheduler.sh - schedule occurrences become runs exactly once (issue 11).
# Two `mailout run` processes on one database, an occurrence due a few
# seconds later: one run, one schedule_occurrences row, one message per
# recipient at the SMTP sink, both processes up until SIGTERM, then exit 0
# within 30 s.  Each occurrence decides afresh: a consent withdrawn and
# another given between two scheduled runs change who is in the second,
# and `campaign explain --since-last-run` shows them as lost and gained.
# Eight campaigns due at once, raced for by both: one run each.
. "${top_srcdir:-.}/tests/integration/lib.sh"
. "$SRCDIR/tests/integration/sched_lib.sh"
sched_setup
plan 31

cat > "$TMP/contacts.csv" << EOF
email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
anna@example.com,Anna,DE,$PROOF
bob@example.com,Bob,DE,$PROOF
carol@example.com,Carol,DE,$PROOF
dave@example.com,Dave,DE,$PROOF
eve@example.com,Eve,DE,$PROOF
frank@example.com,Frank,DE,$PROOF
nobasis@example.com,No Basis,DE,,,,,
EOF
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"
run "$MAILOUT" campaign create weekly --topic news --template hello --segment everyone
is "$RC" 0 "campaign created"

# --- two processes, one occurrence ---
run_conf "$TMP/a.conf"
run_start "$TMP/a.conf" "$TMP/a.log"
pid_a=$RUN_PID
run_conf "$TMP/b.conf"
run_start "$TMP/b.conf" "$TMP/b.log"
pid_b=$RUN_PID
schedule_in weekly 3
at=$AT
wait_sql "SELECT count(*) FROM campaign_runs r JOIN campaigns c ON c.id = r.campaign_id
          WHERE c.name = 'weekly' AND r.state = 'done'" 1 60
ok $? "the occurrence's run is built and sent"
sleep 3 # both schedulers have looked again several times since
is "$(sql "SELECT count(*) FROM campaign_runs")" 1 "exactly one run"
is "$(sql "SELECT iso_utc(scheduled_for) FROM campaign_runs")" "$at" \
    "the run records the occurrence it is for (scheduled_for)"
is "$(sql "SELECT count(*) || ' ' || min(state) || ' ' || iso_utc(min(occurs_at))
           || ' ' || (min(run_id) = (SELECT id FROM campaign_runs)) FROM schedule_occurrences")" \
    "1 run $at true" "one schedule_occurrences row, for this occurrence and its run"
is "$(sql "SELECT next_at IS NULL FROM schedules")" t "the one-off schedule has ended (next_at NULL)"
is "$(rcpt_counts)" \
    "anna@example.com=1 bob@example.com=1 carol@example.com=1 dave@example.com=1 eve@example.com=1 frank@example.com=1" \
    "every recipient got exactly one message, nobody without a basis got one"
is "$(cat "$TMP/a.log" "$TMP/b.log" | grep -c 'schedule occurrence: run built campaign=weekly')" 1 \
    "one of the two processes logged the occurrence, once"
is "$(sql "SELECT actor || ' ' || (detail::jsonb ->> 'scheduled_for') FROM audit_log
           WHERE action = 'campaign.send'")" "scheduler $at" "the run is audited as the scheduler's"
kill -0 "$pid_a" 2> /dev/null
ok $? "process a is still up"
kill -0 "$pid_b" 2> /dev/null
ok $? "process b is still up"

# --- fresh evaluation: bob withdraws, nobasis gives consent ---
run "$MAILOUT" unsubscribe bob@example.com --topic news
is "$RC" 0 "bob unsubscribes after the first run"
printf 'email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip\nnobasis@example.com,No Basis,DE,%s\n' \
    "news,$(date -u +%Y-%m-%dT%H:%M:%SZ),form,$NEWS_TEXT,192.0.2.9" > "$TMP/consent.csv"
run "$MAILOUT" contact import "$TMP/consent.csv"
is "$RC" 0 "nobasis consents after the first run"
run "$MAILOUT" campaign explain weekly --since-last-run
is "$RC" 0 "explain --since-last-run after a scheduled run"
like "$OUT" "gained 1, lost 1, changed 0" "it counts one gained and one lost"
run "$MAILOUT" --json campaign explain weekly --since-last-run
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
print(" ".join("%s:%s>%s" % (c["email"], c["was"], c["now"]) for c in d["contacts"]))')" \
    "bob@example.com:consent>unsubscribed nobasis@example.com:no_basis>consent" \
    "bob lost his basis, nobasis gained one"

schedule_in weekly 3
at2=$AT
wait_sql "SELECT count(*) FROM campaign_runs WHERE state = 'done'" 2 60
ok $? "the second occurrence's run is built and sent"
run2=$(sql "SELECT max(id) FROM campaign_runs")
is "$(sql "SELECT iso_utc(scheduled_for) FROM campaign_runs WHERE id = $run2")" "$at2" \
    "the second run is for the second occurrence"
is "$(sql "SELECT string_agg(c.email_norm, ' ' ORDER BY c.email_norm) FROM send_queue q
           JOIN contacts c ON c.id = q.contact_id WHERE q.run_id = $run2")" \
    "anna@example.com carol@example.com dave@example.com eve@example.com frank@example.com nobasis@example.com" \
    "the second run was decided afresh: without bob, with nobasis"
is "$(rcpt_counts)" \
    "anna@example.com=2 bob@example.com=1 carol@example.com=2 dave@example.com=2 eve@example.com=2 frank@example.com=2 nobasis@example.com=1" \
    "the sink got the second round: one more each, none for bob"
is "$(sql "SELECT count(*) FROM schedule_occurrences WHERE state = 'run'")" 2 "two occurrences recorded, each with its run"
run "$MAILOUT" campaign explain weekly --since-last-run
like "$OUT" "gained 0, lost 0, changed 0" "since the second run nothing changed"

# --- eight campaigns due at once: both schedulers race for them ---
"$MAILOUT" segment create anna --where "email = 'anna@example.com'" > /dev/null
for i in 1 2 3 4 5 6 7 8; do
    "$MAILOUT" campaign create burst$i --topic news --template hello --segment anna > /dev/null
done
at=$(date -u -d "+6 seconds" +%Y-%m-%dT%H:%M:%SZ)
for i in 1 2 3 4 5 6 7 8; do schedule_at burst$i "$at"; done
wait_sql "SELECT count(*) FROM campaign_runs r JOIN campaigns c ON c.id = r.campaign_id
          WHERE c.name LIKE 'burst%' AND r.state = 'done'" 8 60
ok $? "the eight runs are built and sent"
sleep 2
is "$(sql "SELECT string_agg(n::text, ' ') FROM (SELECT count(r.id) AS n FROM campaigns c
           LEFT JOIN campaign_runs r ON r.campaign_id = c.id WHERE c.name LIKE 'burst%'
           GROUP BY c.id) x")" "1 1 1 1 1 1 1 1" "one run per campaign"
is "$(sql "SELECT count(*) FROM schedule_occurrences o JOIN campaigns c ON c.id = o.campaign_id
           WHERE c.name LIKE 'burst%' AND o.state = 'run'")" 8 "one occurrence row each"
is "$(cat "$TMP/a.log" "$TMP/b.log" | grep -c 'schedule occurrence: run built campaign=burst')" 8 \
    "each logged once, by one of the processes"
like "$(rcpt_counts)" "^anna@example.com=10 " "anna got one message per campaign"

# --- SIGTERM: both exit 0 within 30 s ---
run_stop "$pid_a"
is "$STOP_RC" 0 "process a exits 0 on SIGTERM within 30 s"
run_stop "$pid_b"
is "$STOP_RC" 0 "process b exits 0 on SIGTERM within 30 s"
BG_PIDS=
unlike "$(cat "$TMP/a.log" "$TMP/b.log")" "scheduler: " "no scheduler errors were logged"
done_testing
