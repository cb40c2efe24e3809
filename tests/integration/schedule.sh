#!/bin/bash
# schedule.sh - `campaign schedule` (issue 11): the next occurrences mailout
# lists (libical) are compared with an independent computation
# (tests/integration/schedule_check.py: python3-dateutil's rrule with
# zoneinfo) for weekly rules across the spring and autumn DST changes of
# Europe/Paris and America/New_York, EXDATE, RDATE, a monthly first-Monday
# rule, COUNT and UNTIL; a local time inside a spring-forward gap is refused
# (65) and dateutil confirms it does not exist; an ambiguous one takes its
# first instance and says so.  Bad input exits 65 and writes nothing, an
# unknown campaign 66; --export is read by python3-icalendar and its own
# VTIMEZONE places every occurrence where tzdata does; --clear; recorded
# occurrences show in --list.  Dates lie in 2027 and later: after now.
. "${top_srcdir:-.}/tests/integration/lib.sh"
/usr/bin/python3 -c 'import dateutil, zoneinfo, icalendar' 2> /dev/null ||
    skip_all "python3-dateutil or python3-icalendar missing (contrib/install-deps.sh)"
start_pg
plan 132

write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH" \
    "from = news@shop.example" "transport = maildir:$TMP/outbox"
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring offers" --text "$TMP/body.txt" > /dev/null
"$MAILOUT" segment create all --where "true" > /dev/null
for c in weekly other; do
    run "$MAILOUT" campaign create "$c" --topic news --template spring --segment all
    [ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! campaign create failed"; exit 1; }
done

check() { /usr/bin/python3 "$SRCDIR/tests/integration/schedule_check.py" "$@"; }
state() { sql "SELECT (SELECT count(*) FROM schedules) || ' ' || (SELECT coalesce(string_agg(md5(ics), ','), '') FROM schedules) || ' ' || (SELECT count(*) FROM audit_log)"; }

# compare NAME N MAILOUT-SET-ARGS... -- CHECK-ARGS...: sets the schedule of
# campaign weekly, then compares N listed occurrences with dateutil's
compare() {
    local name=$1 n=$2 set=() ck=()
    shift 2
    while [ "$1" != "--" ]; do set+=("$1"); shift; done
    shift
    ck=("$@")
    run "$MAILOUT" campaign schedule weekly "${set[@]}"
    is "$RC" 0 "$name: scheduled"
    [ "$RC" -eq 0 ] || diag "$ERR"
    "$MAILOUT" campaign schedule weekly --list --count "$n" --json > "$TMP/list.json"
    check mailout "$TMP/list.json" > "$TMP/got.txt"
    check next "${ck[@]}" --count "$n" > "$TMP/want.txt"
    if diff -u "$TMP/want.txt" "$TMP/got.txt" > "$TMP/diff.txt"; then
        ok 0 "$name: $(wc -l < "$TMP/got.txt") occurrences as dateutil computes them"
    else
        ok 1 "$name: occurrences as dateutil computes them"
        diag "$(cat "$TMP/diff.txt")"
    fi
}

# --- weekly rules across DST (spring and autumn) ---
compare "Paris weekly Monday 09:00" 40 \
    --at 2027-03-01T09:00 --tz Europe/Paris --rrule "FREQ=WEEKLY;BYDAY=MO" -- \
    --dtstart 2027-03-01T09:00 --tz Europe/Paris --rrule "FREQ=WEEKLY;BYDAY=MO"
like "$(cat "$TMP/got.txt")" "2027-03-22T09:00:00\+01:00 2027-03-22T08:00:00Z" \
    "Paris: 09:00 is 08:00Z before the spring change"
like "$(cat "$TMP/got.txt")" "2027-03-29T09:00:00\+02:00 2027-03-29T07:00:00Z" \
    "Paris: 09:00 is 07:00Z after it (wall-clock time kept)"
like "$(cat "$TMP/got.txt")" "2027-11-01T09:00:00\+01:00 2027-11-01T08:00:00Z" \
    "Paris: back to 08:00Z after the autumn change"
compare "Paris weekly Sunday 02:30 (inside the gap on 2027-03-28, twice on 2027-10-31)" 40 \
    --at 2027-03-07T02:30 --tz Europe/Paris --rrule "FREQ=WEEKLY;BYDAY=SU" -- \
    --dtstart 2027-03-07T02:30 --tz Europe/Paris --rrule "FREQ=WEEKLY;BYDAY=SU"
compare "New York weekly Monday and Friday 08:00" 50 \
    --at 2027-03-01T08:00 --tz America/New_York --rrule "FREQ=WEEKLY;BYDAY=MO,FR" -- \
    --dtstart 2027-03-01T08:00 --tz America/New_York --rrule "FREQ=WEEKLY;BYDAY=MO,FR"
like "$(cat "$TMP/got.txt")" "2027-03-12T08:00:00-05:00 2027-03-12T13:00:00Z" \
    "New York: 08:00 is 13:00Z before 2027-03-14"
like "$(cat "$TMP/got.txt")" "2027-03-15T08:00:00-04:00 2027-03-15T12:00:00Z" \
    "New York: 08:00 is 12:00Z after it"
compare "New York daily 01:30 across 2027-11-07 (fall back)" 30 \
    --at 2027-10-25T01:30 --tz America/New_York --rrule "FREQ=DAILY" -- \
    --dtstart 2027-10-25T01:30 --tz America/New_York --rrule "FREQ=DAILY"
compare "New York every second Wednesday 17:45, from a time given in UTC" 30 \
    --at 2027-02-03T22:45Z --tz America/New_York --rrule "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE" -- \
    --dtstart 2027-02-03T17:45 --tz America/New_York --rrule "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"

# --- a monthly BYDAY rule: the first Monday ---
compare "Paris first Monday of the month 10:00" 24 \
    --at 2027-01-04T10:00 --tz Europe/Paris --rrule "FREQ=MONTHLY;BYDAY=1MO" -- \
    --dtstart 2027-01-04T10:00 --tz Europe/Paris --rrule "FREQ=MONTHLY;BYDAY=1MO"
compare "New York last Friday of the month 16:00" 24 \
    --at 2027-01-29T16:00 --tz America/New_York --rrule "FREQ=MONTHLY;BYDAY=-1FR" -- \
    --dtstart 2027-01-29T16:00 --tz America/New_York --rrule "FREQ=MONTHLY;BYDAY=-1FR"

# --- COUNT and UNTIL ---
compare "COUNT: daily 09:00 Paris, 6 times across 2027-03-28" 10 \
    --at 2027-03-25T09:00 --tz Europe/Paris --rrule "FREQ=DAILY;COUNT=6" -- \
    --dtstart 2027-03-25T09:00 --tz Europe/Paris --rrule "FREQ=DAILY;COUNT=6"
is "$(wc -l < "$TMP/got.txt")" 6 "COUNT=6: six occurrences, then none"
compare "UNTIL: weekly Thursday 18:00 New York until 2027-11-18T23:00Z" 40 \
    --at 2027-09-02T18:00 --tz America/New_York --rrule "FREQ=WEEKLY;BYDAY=TH;UNTIL=20271118T230000Z" -- \
    --dtstart 2027-09-02T18:00 --tz America/New_York --rrule "FREQ=WEEKLY;BYDAY=TH;UNTIL=20271118T230000Z"
# 2027-11-18T18:00 EST is 23:00Z: UNTIL is inclusive
tail -n 1 "$TMP/got.txt" > "$TMP/last.txt"
is "$(cat "$TMP/last.txt")" "2027-11-18T18:00:00-05:00 2027-11-18T23:00:00Z" "UNTIL: the last occurrence is the one at UNTIL"
compare "a one-off at 2027-05-04T09:30 Paris" 5 \
    --at 2027-05-04T09:30 --tz Europe/Paris -- \
    --dtstart 2027-05-04T09:30 --tz Europe/Paris

# --- EXDATE and RDATE, from an iCalendar file ---
cat > "$TMP/ex.ics" << 'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//Calendar 1.0//EN
BEGIN:VEVENT
UID:spring-news@example.com
DTSTAMP:20261120T120000Z
SUMMARY:Spring newsletter
DTSTART;TZID=Europe/Paris:20270302T080000
RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=20
EXDATE;TZID=Europe/Paris:20270323T080000,20270330T080000
EXDATE:20270413T060000Z
RDATE;TZID=Europe/Paris:20270327T110000
RDATE;TZID=America/New_York:20270501T090000
END:VEVENT
END:VCALENDAR
EOF
compare "EXDATE (three) and RDATE (two) in an .ics" 30 \
    --ics "$TMP/ex.ics" -- \
    --dtstart 2027-03-02T08:00 --tz Europe/Paris --rrule "FREQ=WEEKLY;BYDAY=TU;COUNT=20" \
    --exdate 2027-03-23T08:00 --exdate 2027-03-30T08:00 --exdate 2027-04-13T06:00Z \
    --rdate 2027-03-27T11:00 --rdate 2027-05-01T13:00Z
unlike "$(cat "$TMP/got.txt")" "2027-03-23T|2027-03-30T|2027-04-13T" "the EXDATEs are left out"
like "$(cat "$TMP/got.txt")" "2027-05-01T15:00:00\+02:00 2027-05-01T13:00:00Z" "an RDATE given in another zone"
is "$(sql "SELECT kind || ' ' || tzid || ' ' || rrule FROM schedules s JOIN campaigns c ON c.id = s.campaign_id WHERE c.name = 'weekly'")" \
    "ics Europe/Paris FREQ=WEEKLY;COUNT=20;BYDAY=TU" "stored: kind, zone and rule beside the calendar"
stored=$(sql "SELECT ics FROM schedules")
like "$stored" "DTSTART;TZID=Europe/Paris:20270302T080000" "canonical: DTSTART;TZID"
like "$stored" "EXDATE;TZID=Europe/Paris:20270413T080000" "canonical: an EXDATE in UTC is kept in the zone"
like "$stored" "RDATE;TZID=Europe/Paris:20270501T150000" "canonical: the RDATE in the zone"
like "$stored" "UID:spring-news@example.com" "canonical: the UID of the import"
like "$stored" "SUMMARY:Spring newsletter" "canonical: its SUMMARY"

# --export: read by python3-icalendar; its VTIMEZONE agrees with tzdata
"$MAILOUT" campaign schedule weekly --export > "$TMP/export.ics"
is "$?" 0 "--export exits 0"
like "$(cat "$TMP/export.ics")" "BEGIN:VTIMEZONE" "--export carries a VTIMEZONE"
"$MAILOUT" campaign schedule weekly --list --count 30 --json > "$TMP/list.json"
check mailout "$TMP/list.json" > "$TMP/got.txt"
run check export "$TMP/export.ics" 30
is "$RC" 0 "icalendar reads the export"
[ "$RC" -eq 0 ] || diag "$ERR"
is "$OUT" "$(cat "$TMP/got.txt")" "the export expands, with its own VTIMEZONE, to mailout's occurrences"

"$MAILOUT" campaign schedule weekly --at 2027-03-01T09:00 --tz America/New_York \
    --rrule "FREQ=WEEKLY;BYDAY=MO;UNTIL=20280101T000000Z" > /dev/null
"$MAILOUT" campaign schedule weekly --export > "$TMP/export.ics"
"$MAILOUT" campaign schedule weekly --list --count 50 --json > "$TMP/list.json"
check mailout "$TMP/list.json" > "$TMP/got.txt"
run check export "$TMP/export.ics" 50
is "$OUT" "$(cat "$TMP/got.txt")" "a New York export too (both DST changes)"
"$MAILOUT" campaign schedule weekly --at 2027-06-01T12:00Z > /dev/null
"$MAILOUT" campaign schedule weekly --export > "$TMP/export.ics"
unlike "$(cat "$TMP/export.ics")" "VTIMEZONE" "a UTC schedule needs no VTIMEZONE"
run check export "$TMP/export.ics" 5
is "$OUT" "2027-06-01T12:00:00+00:00 2027-06-01T12:00:00Z" "a UTC one-off exports as such"

# --- a local time in a spring-forward gap ---
before=$(state)
run "$MAILOUT" campaign schedule weekly --at 2027-03-28T02:30 --tz Europe/Paris
is "$RC" 65 "Paris 02:30 on 2027-03-28: exit 65"
like "$ERR" "local time 2027-03-28T02:30 does not exist in Europe/Paris: on 2027-03-28 the clocks jump from 02:00 to 03:00" \
    "the error names the gap"
is "$(check exists 2027-03-28T02:30 Europe/Paris)" "missing" "dateutil: 2027-03-28T02:30 does not exist in Europe/Paris"
run "$MAILOUT" campaign schedule weekly --at 2027-03-14T02:30 --tz America/New_York --rrule FREQ=WEEKLY
is "$RC" 65 "New York 02:30 on 2027-03-14 (a rule's start): exit 65"
like "$ERR" "does not exist in America/New_York: on 2027-03-14 the clocks jump from 02:00 to 03:00" \
    "the error names the New York gap"
is "$(check exists 2027-03-14T02:30 America/New_York)" "missing" "dateutil: it does not exist in America/New_York"
is "$(check exists 2027-03-28T03:00 Europe/Paris)" "exists" "dateutil: 03:00 exists (the check can say so)"
printf 'BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Paris:20270328T020000\r\nEND:VEVENT\r\n' > "$TMP/gap.ics"
run "$MAILOUT" campaign schedule weekly --ics "$TMP/gap.ics"
is "$RC" 65 "--ics with DTSTART in the gap: exit 65"
is "$(state)" "$before" "nothing written"

# --- an ambiguous local time takes the first instance ---
run "$MAILOUT" campaign schedule other --at 2027-10-31T02:30 --tz Europe/Paris
is "$RC" 0 "Paris 02:30 on 2027-10-31 (it happens twice): accepted"
like "$ERR" "note: local time 2027-10-31T02:30 occurs twice in Europe/Paris \(the clocks go back\): taking the first" \
    "a note on stderr says so"
amb=$(check ambiguous 2027-10-31T02:30 Europe/Paris)
"$MAILOUT" campaign schedule other --list --json > "$TMP/list.json"
is "ambiguous $(check mailout "$TMP/list.json" | cut -d' ' -f2)" "$amb" \
    "the instant is dateutil's first instance (fold=0)"
run "$MAILOUT" campaign schedule other --at 2027-11-07T01:30 --tz America/New_York --json
is "$RC" 0 "New York 01:30 on 2027-11-07, --json: accepted"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print("ambiguous", d["next"]["utc"], "occurs twice" in d["note"])')" \
    "$(check ambiguous 2027-11-07T01:30 America/New_York) True" "--json: the first instance and the note"

# --- bad input: 65 and nothing written ---
before=$(state)
bad() { # bad NAME WANT-ERROR-REGEX ARGS...
    local name=$1 want=$2
    shift 2
    run "$MAILOUT" campaign schedule weekly "$@"
    is "$RC" 65 "$name: exit 65"
    like "$ERR" "$want" "$name: the message"
}
bad "a malformed TIME" "invalid time '2027-03-01 9am' \(--at\): expected YYYY-MM-DDTHH:MM" --at "2027-03-01 9am"
bad "February 30" "invalid time '2027-02-30T09:00'" --at 2027-02-30T09:00 --tz Europe/Paris
bad "an unknown zone" "unknown time zone 'Europe/Atlantis' \(--tz\)" --at 2027-03-01T09:00 --tz Europe/Atlantis
bad "a path as zone" "unknown time zone '../../etc/passwd' \(--tz\)" --at 2027-03-01T09:00 --tz ../../etc/passwd
bad "tzdata's right/ copy" "unknown time zone 'right/Europe/Paris' \(--tz\)" --at 2027-03-01T09:00 --tz right/Europe/Paris
bad "a bad BYDAY" "invalid RRULE part 'BYDAY=MX'" --at 2027-03-01T09:00 --rrule "FREQ=WEEKLY;BYDAY=MX"
bad "an unknown rule part" "invalid RRULE: unknown part 'EVERY=2'" --at 2027-03-01T09:00 --rrule "FREQ=WEEKLY;EVERY=2"
bad "a rule without FREQ" "FREQ is missing" --at 2027-03-01T09:00 --rrule "BYDAY=MO"
bad "FREQ=MINUTELY" "FREQ=MINUTELY is not supported" --at 2027-03-01T09:00 --rrule "FREQ=MINUTELY"
bad "a time in the past" "time 2026-01-05T09:00:00 Europe/Paris \(2026-01-05T08:00:00Z\) is in the past" \
    --at 2026-01-05T09:00 --tz Europe/Paris
bad "a rule that has ended" "the schedule has no occurrence after now" \
    --at 2026-01-05T09:00 --tz Europe/Paris --rrule "FREQ=WEEKLY;UNTIL=20260301T000000Z"
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Mars/Olympus:20270301T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' > "$TMP/tz.ics"
bad "an unknown TZID" "unknown time zone 'Mars/Olympus' \(DTSTART TZID\)" --ics "$TMP/tz.ics"
printf 'BEGIN:VEVENT\r\nDTSTART:20270301T090000\r\nEND:VEVENT\r\n' > "$TMP/floating.ics"
bad "a floating DTSTART" "DTSTART is a floating time" --ics "$TMP/floating.ics"
printf 'this is not a calendar\n' > "$TMP/junk.ics"
bad "not a calendar" "not an iCalendar object" --ics "$TMP/junk.ics"
# review (issue 11): hostile calendars
bad "the host's zone" "unknown time zone 'localtime' \(--tz\)" --at 2027-03-01T09:00 --tz localtime
bad "tzdata's Factory" "unknown time zone 'Factory' \(--tz\)" --at 2027-03-01T09:00 --tz Factory
printf 'BEGIN:VEVENT\r\nDTSTART:20270301T090000Z\r\nEND:VEVENT\r\n\0BEGIN:VEVENT\r\n' > "$TMP/nul.ics"
bad "a NUL byte" "calendar '.*nul.ics' holds a NUL byte" --ics "$TMP/nul.ics"
printf 'BEGIN:VEVENT\r\nDTSTART:20270301T090000Z\r\nSUMMARY:\033]0;title\007x\r\nEND:VEVENT\r\n' > "$TMP/ctl.ics"
bad "a control character in SUMMARY" "SUMMARY '.x1b.*' holds a control character" --ics "$TMP/ctl.ics"
unlike "$ERR" $'\033' "the control character is not written raw"
printf 'BEGIN:VEVENT\r\nDTSTART:20270301T090000Z\r\nUID:a\033b\r\nEND:VEVENT\r\n' > "$TMP/ctl.ics"
bad "a control character in UID" "UID '.*' holds a control character" --ics "$TMP/ctl.ics"
printf 'BEGIN:VEVENT\r\nDTSTART:20270301T090000Z\r\nSUMMARY:caf\xe9\r\nEND:VEVENT\r\n' > "$TMP/latin1.ics"
bad "Latin-1 text" "calendar is not valid UTF-8" --ics "$TMP/latin1.ics"
bad "a yearly rule beyond the 25-year horizon" "INTERVAL=30 puts occurrences more than 25 years apart" \
    --at 2027-03-01T09:00 --rrule "FREQ=YEARLY;INTERVAL=30"
bad "a monthly rule beyond the 25-year horizon" "INTERVAL=400 puts occurrences more than 25 years apart" \
    --at 2027-03-01T09:00 --rrule "FREQ=MONTHLY;INTERVAL=400"
is "$(state)" "$before" "none of them wrote anything"

run "$MAILOUT" campaign schedule weekly --at 2027-03-01T09:00 --ics "$TMP/ex.ics"
is "$RC" 64 "two modes: exit 64"
run "$MAILOUT" campaign schedule weekly --list --tz Europe/Paris
is "$RC" 64 "--tz without --at: exit 64"
run "$MAILOUT" campaign schedule weekly --ics "$TMP/missing.ics"
is "$RC" 66 "a missing --ics file: exit 66"
for mode in "--at 2027-03-01T09:00" --list --export --clear; do
    # shellcheck disable=SC2086
    run "$MAILOUT" campaign schedule nosuch $mode
    is "$RC" 66 "unknown campaign with $mode: exit 66"
done
like "$ERR" "unknown campaign 'nosuch'" "the message names it"
is "$(state)" "$before" "still nothing written"

# --- recorded occurrences in --list; next_at ---
"$MAILOUT" campaign schedule weekly --at 2027-03-01T09:00 --tz Europe/Paris --rrule "FREQ=WEEKLY;BYDAY=MO" > /dev/null
is "$(sql "SELECT to_char(next_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM schedules s JOIN campaigns c ON c.id = s.campaign_id WHERE c.name = 'weekly'")" \
    "2027-03-01 08:00" "next_at is the first occurrence"
cid=$(sql "SELECT id FROM campaigns WHERE name = 'weekly'")
sid=$(sql "SELECT id FROM schedules WHERE campaign_id = $cid")
rid=$(sql "INSERT INTO campaign_runs (campaign_id, state) VALUES ($cid, 'done') RETURNING id")
sql "INSERT INTO schedule_occurrences (schedule_id, campaign_id, occurs_at, state, run_id, recorded_by)
     VALUES ($sid, $cid, '2026-11-23 08:00Z', 'run', $rid, 'test:1'),
            ($sid, $cid, '2026-11-30 08:00Z', 'skipped', NULL, 'test:1')" > /dev/null
sql "UPDATE schedule_occurrences SET reason = 'missed: every service was down longer than schedule_grace' WHERE state = 'skipped'" > /dev/null
run "$MAILOUT" campaign schedule weekly --list --count 3
is "$RC" 0 "--list exits 0"
like "$OUT" "2027-03-01T09:00:00\+01:00 +2027-03-01T08:00:00Z" "--list: local and UTC"
like "$OUT" "2026-11-23T08:00:00Z run \(run $rid\)" "--list: a recorded run"
like "$OUT" "2026-11-30T08:00:00Z skipped \(missed: every service was down" "--list: a skipped occurrence and why"
run "$MAILOUT" campaign schedule weekly --list --count 0
is "$RC" 0 "--list --count 0 exits 0"
unlike "$OUT" "no further occurrences" "--list --count 0: no claim that nothing follows"
like "$OUT" "2026-11-23T08:00:00Z run" "--list --count 0: the recorded occurrences"
"$MAILOUT" campaign schedule weekly --list --count 3 --json > "$TMP/list.json"
is "$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print(len(d["next"]), d["tzid"], d["rrule"], [(r["state"], r["run"], bool(r["reason"])) for r in d["recorded"]])' "$TMP/list.json")" \
    "3 Europe/Paris FREQ=WEEKLY;BYDAY=MO [('run', $rid, False), ('skipped', None, True)]" "--list --json"

# --- replace keeps one row; --clear ---
n_set=$(sql "SELECT count(*) FROM audit_log WHERE action = 'campaign.schedule' AND object = 'weekly'")
"$MAILOUT" campaign schedule weekly --at 2027-04-01T10:00 --tz Europe/Paris > /dev/null
is "$(sql "SELECT count(*) || ' ' || kind || ' ' || (id = $sid) FROM schedules WHERE campaign_id = $cid GROUP BY kind, id")" \
    "1 at true" "setting again replaces the schedule (one row, same id)"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'campaign.schedule' AND object = 'weekly'")" \
    "$((n_set + 1))" "setting a schedule is audited"
n_audit=$(sql "SELECT count(*) FROM audit_log WHERE action = 'campaign.schedule_clear'")
run "$MAILOUT" campaign schedule weekly --clear
is "$RC" 0 "--clear exits 0"
like "$OUT" "campaign weekly: schedule cleared" "--clear says so"
is "$(sql "SELECT count(*) FROM schedules WHERE campaign_id = $cid")" 0 "the schedule is gone"
is "$(sql "SELECT count(*) || ' ' || count(schedule_id) FROM schedule_occurrences WHERE campaign_id = $cid")" \
    "2 0" "recorded occurrences stay, detached"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'campaign.schedule_clear'")" "$((n_audit + 1))" "--clear is audited"
run "$MAILOUT" campaign schedule weekly --list
is "$RC" 66 "--list without a schedule: exit 66"
like "$ERR" "campaign 'weekly' has no schedule" "and says why"
run "$MAILOUT" campaign schedule weekly --clear
is "$RC:$OUT" "0:campaign weekly had no schedule" "--clear again: nothing to do, exit 0"

done_testing
