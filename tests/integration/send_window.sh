#!/bin/bash
# send_window.sh - send windows (issue 11): `campaign window NAME --days D
# --hours H` is read in each recipient's local time (the contact's
# time_zone, else its country's zone where the country has one, else the
# campaign's schedule zone).  Recipients outside it stay queued, due at the
# next opening, which the test computes independently with Python's
# zoneinfo (minute by minute, no PostgreSQL); the ones inside are sent.
# The window is chosen from the current time so that some are inside and
# some outside whatever the hour.  Also: the country seed table against
# zoneinfo, a time_zone the zone database does not know refused at import
# (FILE:LINE, the column, nothing loaded), bad window values refused, a row
# whose window closed before its claim moved again, and the legal-basis
# re-check at claim still deciding when the window lets a row go.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp
plan 64

PY=/usr/bin/python3
write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
    "from = news@shop.example" "legal_entity = ACME GmbH" "base_url = https://shop.example/mail" \
    "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" "suppression_key_file = $TMP/supp.key"
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
proof="news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1"

# --- the country seed table against zoneinfo ---
# zones_agree CC: "agree" when every zone zone.tab lists for CC has the same UTC
# offset every 30 minutes over the next two years, else "differ"; then the zones
zones_agree() {
    "$PY" - "$1" << 'PY'
import datetime, sys, zoneinfo
cc = sys.argv[1]
zones = [l.split("\t")[2].strip() for l in open("/usr/share/zoneinfo/zone.tab", encoding="utf-8")
         if not l.startswith("#") and l.split("\t")[0] == cc]
start = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
steps = [start + datetime.timedelta(minutes=30 * i) for i in range(2 * 365 * 48)]
offs = [[t.astimezone(zoneinfo.ZoneInfo(z)).utcoffset() for t in steps] for z in zones]
print("agree" if all(o == offs[0] for o in offs) else "differ", " ".join(zones))
PY
}
for cc in DE FR JP IN AR; do
    read -r verdict zones <<< "$(zones_agree "$cc")"
    first=${zones%% *}
    is "$verdict $(sql "SELECT zone FROM country_zones WHERE country = '$cc'")" "agree $first" \
        "country_zones: $cc is $first, and zoneinfo finds all of $cc's zones ($zones) agree"
done
for cc in US RU AU; do
    read -r verdict zones <<< "$(zones_agree "$cc")"
    is "$verdict $(sql "SELECT count(*) FROM country_zones WHERE country = '$cc'")" "differ 0" \
        "country_zones: $cc is absent, and zoneinfo finds its zones differ"
done
is "$(sql "SELECT count(*) FROM country_zones z WHERE NOT EXISTS
           (SELECT 1 FROM pg_timezone_names n WHERE n.name = z.zone)")" 0 \
    "every seeded zone is known to PostgreSQL's zone database"

# --- time_zone at import ---
cat > "$TMP/badzone.csv" << EOF
email,name,country,time_zone
ok@example.com,Ok,DE,Europe/Berlin
mars@example.com,Mars,,Mars/Olympus_Mons
case@example.com,Case,,europe/berlin
EOF
run "$MAILOUT" contact import "$TMP/badzone.csv"
is "$RC" 65 "an unknown time_zone: exit 65"
like "$ERR" "badzone\.csv:3: unknown time_zone 'Mars/Olympus_Mons' \(column time_zone\)" \
    "the error names the file, the line, the value and the column"
like "$ERR" "badzone\.csv:4: unknown time_zone 'europe/berlin'" "zone names are case-sensitive, as in tzdata"
is "$(sql "SELECT count(*) FROM contacts")" 0 "nothing imported"
printf 'email,time_zone\nx@example.com,posix/Europe/Berlin\ny@example.com,Europe/Berlin;x\n' > "$TMP/shape.csv"
run "$MAILOUT" contact import "$TMP/shape.csv"
is "$RC" 65 "a time_zone that is no zone name: exit 65"
like "$ERR" "shape\.csv:2: invalid time_zone 'posix/Europe/Berlin' \(column time_zone\)" \
    "the posix/ copies are refused, naming line and column"
like "$ERR" "shape\.csv:3: invalid time_zone 'Europe/Berlin;x'" "a stray character is refused"

# Contacts in several zones: their own time_zone, only a country with one zone
# (DE), only a country with several (US: the campaign's zone), nothing (the
# campaign's zone), and a time_zone that wins over the country.
cat > "$TMP/contacts.csv" << EOF
email,name,country,time_zone,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
tokyo@example.com,Tokyo,,Asia/Tokyo,$proof
ny@example.com,NY,,America/New_York,$proof
berlin@example.com,Berlin,,Europe/Berlin,$proof
de@example.com,DE only,DE,,$proof
us@example.com,US only,US,,$proof
over@example.com,Override,DE,America/New_York,$proof
EOF
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts with time zones imported"
is "$(sql "SELECT string_agg(email_norm || '=' || coalesce(time_zone, '-'), ' ' ORDER BY email_norm) FROM contacts")" \
    "berlin@example.com=Europe/Berlin de@example.com=- ny@example.com=America/New_York over@example.com=America/New_York tokyo@example.com=Asia/Tokyo us@example.com=-" \
    "time_zone stored as given; empty stays NULL"
run "$MAILOUT" contact show tokyo@example.com
like "$OUT" "time_zone +Asia/Tokyo" "contact show prints the time_zone"
run "$MAILOUT" contact show de@example.com
like "$OUT" "time_zone +Europe/Berlin \(from the country\)" "without one, the country's zone is shown as such"
is "$("$MAILOUT" contact show de@example.com --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin)
print(d["time_zone"], d["country_time_zone"])')" "None Europe/Berlin" "contact show --json: time_zone null, country_time_zone"

printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring" --text "$TMP/body.txt" > /dev/null
"$MAILOUT" segment create everyone --where "true" > /dev/null
run "$MAILOUT" campaign create spring --topic news --template spring --segment everyone
is "$RC" 0 "campaign created"
# The campaign's zone is its schedule's (`campaign schedule` is h-ical's work;
# the row is stored directly here).
CAMPAIGN_TZ=Asia/Kolkata
sql "INSERT INTO schedules (campaign_id, kind, dtstart, tzid, ics, next_at)
     SELECT id, 'at', now() + interval '30 days', '$CAMPAIGN_TZ', 'BEGIN:VCALENDAR', NULL
     FROM campaigns WHERE name = 'spring'" > /dev/null

# --- bad window values ---
audits() { sql "SELECT count(*) FROM audit_log WHERE action = 'campaign.window'"; }
run "$MAILOUT" campaign window spring --days mon-frx
is "$RC" 65 "--days mon-frx: exit 65"
like "$ERR" "invalid --days 'mon-frx': expected weekdays" "the message names --days and the value"
run "$MAILOUT" campaign window spring --hours 17:00-09:00
is "$RC" 65 "--hours 17:00-09:00: exit 65"
like "$ERR" "invalid --hours '17:00-09:00': the end must be after the start: a window cannot cross midnight" \
    "a window crossing midnight is refused and says why"
run "$MAILOUT" campaign window spring --hours 9-17
is "$RC" 65 "--hours 9-17: exit 65"
like "$ERR" "invalid --hours '9-17': expected local start and end HH:MM-HH:MM" "the expected form is named"
run "$MAILOUT" campaign window spring --clear --days mon
is "$RC" 64 "--clear with --days: usage error 64"
run "$MAILOUT" campaign window nosuch --days mon
is "$RC" 66 "an unknown campaign: exit 66"
is "$(sql "SELECT coalesce(window_days::text, 'none') FROM campaigns WHERE name = 'spring'") $(audits)" \
    "none 0" "nothing stored, nothing audited"

# --- a window around the current time ---
# The reference zone is whichever of Tokyo, Berlin and New York has a local
# hour in [3, 21) now (one always has); the window is [hour-2, hour+3) on
# every day but tomorrow there.  The reference zone is inside; the other
# two, 6 hours or more away, are outside.
# CANON is how mailout prints the days: runs of two or more joined with '-'.
read -r DAYS CANON HOURS REF << EOF
$("$PY" - << 'PY'
import datetime, zoneinfo
now = datetime.datetime.now(datetime.timezone.utc)
names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
for z in ["Asia/Tokyo", "Europe/Berlin", "America/New_York"]:
    loc = now.astimezone(zoneinfo.ZoneInfo(z))
    if 3 <= loc.hour < 21:
        tomorrow = (loc.isoweekday() % 7) + 1
        chosen = [d for d in range(1, 8) if d != tomorrow]
        days = ",".join(names[d - 1] for d in chosen)
        runs = []
        for d in chosen:
            if runs and runs[-1][1] == d - 1:
                runs[-1][1] = d
            else:
                runs.append([d, d])
        canon = ",".join(names[a - 1] + ("-" + names[b - 1] if b > a else "") for a, b in runs)
        print(days, canon, "%02d:00-%02d:00" % (loc.hour - 2, loc.hour + 3), z)
        break
PY
)
EOF
diag "window: $DAYS $HOURS (reference zone $REF)"
run "$MAILOUT" campaign window spring --days "$DAYS" --hours "$HOURS"
is "$RC" 0 "campaign window --days --hours"
is "$(printf '%s\n' "$OUT" | head -n 1)" \
    "campaign spring: send window $CANON $HOURS, recipient's local time (zone: contact time_zone, else its country's, else $CAMPAIGN_TZ)" \
    "it prints the window, the days in canonical form"
is "$("$MAILOUT" campaign window spring --json | "$PY" -c 'import json,sys; d=json.load(sys.stdin)
print(d["window"]["hours"], d["zone"])')" "$HOURS $CAMPAIGN_TZ" "campaign window --json: the hours and the campaign's zone"
is "$(audits)" 1 "setting the window is audited (campaign.window)"

run "$MAILOUT" campaign send spring
is "$RC" 0 "campaign send"
like "$OUT" "wait for their send window" "campaign send says some wait for the window"

# expected: per contact "email inside|ISO-opening", computed with zoneinfo alone,
# in address order
expected() {
    "$PY" - "$DAYS" "$HOURS" "$CAMPAIGN_TZ" << 'PY'
import datetime, sys, zoneinfo
days_spec, hours, campaign_tz = sys.argv[1:4]
names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
days = {names.index(d) + 1 for d in days_spec.split(",")}
a, b = hours.split("-")
start = int(a[:2]) * 60 + int(a[3:])
end = int(b[:2]) * 60 + int(b[3:])
zones = {"tokyo": "Asia/Tokyo", "ny": "America/New_York", "berlin": "Europe/Berlin",
         "de": "Europe/Berlin", "us": campaign_tz, "over": "America/New_York"}
now = datetime.datetime.now(datetime.timezone.utc)
def inside(t, tz):
    loc = t.astimezone(tz)
    return loc.isoweekday() in days and start <= loc.hour * 60 + loc.minute < end
for who, z in sorted(zones.items()):
    tz = zoneinfo.ZoneInfo(z)
    if inside(now, tz):
        print(who + "@example.com inside")
        continue
    t = now.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    while not inside(t, tz):
        t += datetime.timedelta(minutes=1)
    print(who + "@example.com " + t.strftime("%Y-%m-%dT%H:%M:%SZ"))
PY
}
EXPECTED=$(expected)
diag "$EXPECTED"
n_in=$(printf '%s\n' "$EXPECTED" | grep -c ' inside$')
n_out=$(printf '%s\n' "$EXPECTED" | grep -vc ' inside$')
ok "$([ "$n_in" -ge 1 ] && [ "$n_out" -ge 2 ]; echo $?)" "some recipients are inside the window ($n_in), some outside ($n_out)"
is "$(printf '%s\n' "$EXPECTED" | grep "^$(echo "$REF" | sed 's/Asia.Tokyo/tokyo/; s/Europe.Berlin/berlin/; s/America.New_York/ny/')@" | cut -d' ' -f2)" \
    inside "the reference zone's recipient is inside"

# the queue as built: "email due-now|ISO-due_at"
queue() {
    sql "SELECT c.email_norm || ' ' || CASE WHEN q.due_at <= now() THEN 'inside' ELSE iso_utc(q.due_at) END
         FROM send_queue q JOIN contacts c ON c.id = q.contact_id
         WHERE q.state = 'queued' ORDER BY c.email_norm"
}
outside_expected=$(printf '%s\n' "$EXPECTED" | grep -v ' inside$')
is "$(queue | grep -v ' inside$')" "$outside_expected" \
    "built: each outside recipient is due at its next opening, as zoneinfo computes it"
is "$(sql "SELECT count(*) FROM send_queue WHERE state = 'queued' AND due_at = window_opens_at AND due_at > now()")" \
    "$n_out" "those rows are marked as waiting for their window"

run "$MAILOUT" campaign status spring --json
is "$(printf '%s' "$OUT" | "$PY" -c 'import json,sys; d=json.load(sys.stdin)
print(sorted(d), d["runs"][0]["window_wait"])')" "['campaign', 'runs'] $n_out" \
    "campaign status --json: window_wait per run, the documented top-level keys only"
run "$MAILOUT" campaign status spring
like "$OUT" "run [0-9]+: $n_out queued wait for their send window \('campaign window spring' shows it\)" \
    "campaign status says how many wait"
run "$MAILOUT" campaign window spring
like "$OUT" "^$n_out queued recipients wait for their send window" "campaign window NAME says it too"

# --- dispatch: the inside ones go, the outside ones stay queued ---
run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatch --once ends although rows wait for their window"
sent=$(sql "SELECT string_agg(c.email_norm, ' ' ORDER BY c.email_norm) FROM send_queue q
            JOIN contacts c ON c.id = q.contact_id WHERE q.state = 'sent'" | tr ',' ' ')
is "$sent" "$(printf '%s\n' "$EXPECTED" | grep ' inside$' | cut -d' ' -f1 | paste -sd' ')" \
    "exactly the recipients inside their window were sent"
got_mail=$(for e in $sent; do mailtool to "$SMTP_MAILDIR" "$e" | wc -l; done | paste -sd' ')
is "$got_mail" "$(for e in $sent; do echo 1; done | paste -sd' ')" "each of them got one message (SMTP sink)"
is "$(ls "$SMTP_MAILDIR/new" | wc -l)" "$n_in" "and nobody else got mail"
is "$(queue)" "$outside_expected" "the outside ones stay queued, due at their next opening"

# --- at claim: a row whose due_at came while its window is closed goes back ---
sql "UPDATE send_queue SET due_at = now() - interval '1 second' WHERE state = 'queued'" > /dev/null
run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatch --once with due rows outside their window"
is "$(ls "$SMTP_MAILDIR/new" | wc -l)" "$n_in" "nothing more was sent"
EXPECTED=$(expected)
is "$(queue)" "$(printf '%s\n' "$EXPECTED" | grep -v ' inside$')" \
    "at claim they were moved to the next opening again"
is "$(sql "SELECT count(*) FROM send_records WHERE status <> 'sent'")" 0 \
    "moving a row leaves no send record"

# --- the window only delays: the basis is checked when the row goes ---
withdrawn=$(printf '%s\n' "$EXPECTED" | grep -v ' inside$' | head -n 1 | cut -d' ' -f1)
run "$MAILOUT" unsubscribe "$withdrawn" --topic news
is "$RC" 0 "one waiting recipient unsubscribes"
run "$MAILOUT" campaign window spring --clear
is "$RC" 0 "campaign window --clear"
like "$OUT" "no send window" "it says there is none"
like "$OUT" "$n_out queued recipients due now that the window is gone" "the waiting rows are due now"
is "$(sql "SELECT count(*) FROM send_queue WHERE state = 'queued' AND (due_at > now() OR window_opens_at IS NOT NULL)")" 0 \
    "no row waits any more"
run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatch --once"
is "$(sql "SELECT q.state || ' ' || q.reason FROM send_queue q JOIN contacts c ON c.id = q.contact_id
           WHERE c.email_norm = '$withdrawn'")" "excluded unsubscribed" \
    "the re-check at claim excluded the one who unsubscribed while waiting"
is "$(sql "SELECT count(*) FROM send_queue WHERE state = 'sent'")" "$((n_in + n_out - 1))" \
    "every other recipient is sent"
is "$(sql "SELECT count(*) FROM send_queue WHERE state = 'queued'")" 0 "nothing is left queued"
is "$(sql "SELECT state FROM campaign_runs")" done "the run is done"
is "$(audits)" 2 "clearing is audited too"

done_testing
