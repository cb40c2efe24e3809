#!/bin/bash
# pause.sh - pause all marketing for N months (issue 10): `mailout pause`
# records a 'paused' ledger event with its end, a 'paused' webhook outbox
# entry and an audit entry; the legal-basis engine excludes the contact with
# the reason paused (explain, campaign send, and the re-check at claim)
# until the end, after which, or after `--months 0`, the basis is back.  A
# pause is no opt-out: consent stays, confirmations still go out, an
# objection stays.  Bad months exit 65, an unknown address 66, and neither
# writes anything.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp
plan 73

write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
    "from = news@shop.example" "legal_entity = ACME GmbH" "base_url = https://shop.example/mail" \
    "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" "suppression_key_file = $TMP/supp.key"
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
"$MAILOUT" topic add offers --title "Offers" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
printf 'I want offers. I can unsubscribe at any time.\n' > "$TMP/offers.txt"
"$MAILOUT" consent-text add offers "$TMP/offers.txt" > /dev/null

proof="news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1"
cat > "$TMP/contacts.csv" << EOF
email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
anna@example.com,Anna,DE,$proof
bob@example.com,Bob,DE,$proof
carol@example.com,Carol,DE,$proof
dave@example.com,Dave,DE,$proof
eve@example.com,Eve,DE,$proof
EOF
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"
printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring offers" --text "$TMP/body.txt" > /dev/null
"$MAILOUT" segment create everyone --where "true" > /dev/null
run "$MAILOUT" campaign create spring --topic news --template spring --segment everyone
is "$RC" 0 "campaign created"

# explain EMAIL [AT]: "decision basis-or-reason"
explain() {
    "$MAILOUT" campaign explain spring --contact "$1" ${2:+--at "$2"} --json |
        /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["decision"], d["basis"] or d["reason"])'
}
# path EMAIL [AT]: the paused step of the path, "result detail"
path() {
    "$MAILOUT" campaign explain spring --contact "$1" ${2:+--at "$2"} --json |
        /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
print(" ".join(s["result"] + " " + s["detail"] for s in d["path"] if s["rule"] == "paused"))'
}
counts() { sql "SELECT (SELECT count(*) FROM consent_events) || ' ' || (SELECT count(*) FROM webhook_outbox)
                       || ' ' || (SELECT count(*) FROM audit_log) || ' ' || (SELECT count(*) FROM contacts)"; }
anna_id=$(sql "SELECT id FROM contacts WHERE email_norm = 'anna@example.com'")

is "$(explain anna@example.com)" "basis consent" "before the pause: basis consent"
is "$(path anna@example.com)" "pass no pause of marketing" "the path has a paused step that passes"

# --- pause via the CLI ---
run "$MAILOUT" pause anna@example.com --months 3 --reason "parental leave"
is "$RC" 0 "pause --months 3"
until=$(sql "SELECT iso_utc(paused_until) FROM consent_events WHERE contact_id = $anna_id AND kind = 'paused'")
is "$OUT" "anna@example.com: all marketing paused until $until" "it says until when"
is "$(sql "SELECT paused_until = date_trunc('second',
                  (occurred_at AT TIME ZONE 'UTC' + interval '3 months') AT TIME ZONE 'UTC')
           FROM consent_events WHERE contact_id = $anna_id AND kind = 'paused'")" t \
    "the pause ends three calendar months (UTC) after it was recorded, in whole seconds"
is "$(sql "SELECT coalesce(topic_id::text, 'all') || ' ' || channel || ' ' || source || ' ' || (actor LIKE 'cli:%')::text
           || ' ' || note FROM consent_events WHERE contact_id = $anna_id AND kind = 'paused'")" \
    "all admin pause command true parental leave" "the ledger event: all marketing, channel, source, actor, the reason"
is "$(explain anna@example.com)" "excluded paused" "explain: excluded, reason paused"
pause_ev=$(sql "SELECT id FROM consent_events WHERE contact_id = $anna_id AND kind = 'paused'")
is "$(path anna@example.com)" "fail all marketing paused until $until (consent event $pause_ev)" \
    "explain --contact names the pause, its end and its event"
run "$MAILOUT" campaign explain spring --contact anna@example.com
like "$OUT" "paused +fail +all marketing paused until $until" "the text path shows the paused step"
is "$("$MAILOUT" campaign explain spring --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
print(d["excluded"]["paused"], d["basis"]["consent"], d["total"])')" "1 4 5" "explain counts one paused, four by consent"
run "$MAILOUT" campaign explain spring
like "$OUT" "paused +1" "the text counts list paused"

run "$MAILOUT" contact show anna@example.com
like "$OUT" "all marketing paused until $until \(since " "contact show: the running pause and its end"
like "$OUT" "paused \(all marketing\) via admin by cli:[^ ]+ until $until note \"parental leave\"" \
    "contact show: the paused event in the history, with its end"
is "$("$MAILOUT" contact show anna@example.com --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); p=d["pause"]
print(p["running"], p["until"], p["consent_event"], d["topics"]["news"]["state"])')" \
    "True $until $pause_ev confirmed" "contact show --json: pause running, until, its event; the consent stays"

is "$(sql "SELECT payload->>'event' || ' ' || (payload->>'paused_until') || ' ' || (payload->'topics')::text || ' '
           || (payload->>'email') || ' ' || (payload->>'resumed') FROM webhook_outbox WHERE event = 'paused'")" \
    "paused $until [\"*\"] anna@example.com false" "the webhook outbox has the paused event with its end"
is "$(sql "SELECT object || ' ' || (detail->>'months') || ' ' || (detail->>'paused_until') || ' '
           || (detail->>'changed') || ' ' || (detail::text LIKE '%anna%' OR detail::text LIKE '%parental%')::text
           FROM audit_log WHERE action = 'consent.pause'")" \
    "contact:$anna_id 3 $until true false" "audited: contact id, months, end; no address, no reason"

# --- a pause is no opt-out ---
is "$(sql "SELECT consent_blocked($anna_id, (SELECT id FROM topics WHERE name = 'news'))")" f \
    "a pause blocks no consent (consent_blocked false)"
run "$MAILOUT" subscribe anna@example.com --topic offers --age-confirmed
is "$RC" 0 "a paused contact can still subscribe to another topic"
ok "$(wait_mail anna@example.com 1 10 && echo 0 || echo 1)" "its confirmation mail (not marketing) is sent during the pause"
"$MAILOUT" unsubscribe eve@example.com > /dev/null
"$MAILOUT" pause eve@example.com --months 1 > /dev/null
is "$(explain eve@example.com)" "excluded objected" "objected and paused: the objection is the reason (it outlasts the pause)"
"$MAILOUT" pause eve@example.com --months 0 > /dev/null
is "$(explain eve@example.com)" "excluded objected" "resuming lifts no objection"

# --- campaign send excludes, and the claim re-checks ---
run "$MAILOUT" campaign send spring --json
is "$RC" 0 "campaign send builds a run"
run_id=$(sql "SELECT max(id) FROM campaign_runs")
is "$(sql "SELECT reason FROM campaign_run_decisions WHERE run_id = $run_id AND contact_id = $anna_id")" paused \
    "the run's decision for the paused contact: reason paused"
is "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $run_id AND contact_id = $anna_id")" 0 \
    "no queue row for the paused contact"
run "$MAILOUT" pause carol@example.com --months 1
is "$RC" 0 "carol pauses after the run was built"
run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatch --once"
is "$(sql "SELECT q.state || ' ' || q.reason FROM send_queue q JOIN contacts c ON c.id = q.contact_id
           WHERE q.run_id = $run_id AND c.email_norm = 'carol@example.com'")" "excluded paused" \
    "a pause after the run was built is honoured at claim: excluded, reason paused"
is "$(mailtool to "$SMTP_MAILDIR" carol@example.com | wc -l)" 0 "carol got no mail"
is "$(mailtool to "$SMTP_MAILDIR" anna@example.com | wc -l)" 1 "anna got only her confirmation mail"
is "$(mailtool to "$SMTP_MAILDIR" bob@example.com | wc -l)" 1 "bob (not paused) got the campaign"

# --- a pause already in force that lasts as long changes nothing ---
before=$(counts)
run "$MAILOUT" pause anna@example.com --months 2
is "$RC" 0 "a shorter pause while a longer one runs: exit 0"
is "$OUT" "anna@example.com: all marketing paused until $until" "the running pause's end is reported"
like "$ERR" "a pause at least that long is in force; nothing changed" "and says nothing changed"
is "$(counts | cut -d' ' -f1,2,4)" "$(echo "$before" | cut -d' ' -f1,2,4)" "no ledger event, no outbox entry"
is "$(sql "SELECT detail->>'changed' FROM audit_log WHERE action = 'consent.pause' ORDER BY id DESC LIMIT 1")" \
    false "the repeat is audited as unchanged"

# --- the end: by time ---
after=$(sql "SELECT iso_utc(paused_until + interval '1 second') FROM consent_events WHERE id = $pause_ev")
is "$(explain anna@example.com "$after")" "basis consent" "after the pause's end: basis consent again"
is "$(path anna@example.com "$after")" "pass the pause ended on $until (consent event $pause_ev)" \
    "the path says the pause ended"
at_end=$(sql "SELECT iso_utc(paused_until) FROM consent_events WHERE id = $pause_ev")
is "$(explain anna@example.com "$at_end")" "basis consent" "at its end exactly the pause is over"
# a pause recorded long ago that has ended (written as the test superuser)
sql "INSERT INTO consent_events (contact_id, kind, occurred_at, source, channel, actor, paused_until)
     SELECT id, 'paused', now() - interval '3 months', 'test', 'admin', 'test', now() - interval '1 day'
       FROM contacts WHERE email_norm = 'dave@example.com'" > /dev/null
is "$(explain dave@example.com)" "basis consent" "a pause whose paused_until is past: basis consent"
like "$(path dave@example.com)" "^pass the pause ended on " "and the path says when it ended"
run "$MAILOUT" contact show dave@example.com
unlike "$OUT" "all marketing paused" "contact show shows no running pause for an ended one"

# --- the end: resume (months 0) ---
run "$MAILOUT" pause anna@example.com --months 0
is "$RC" 0 "pause --months 0 resumes"
is "$OUT" "anna@example.com: pause ended" "it says the pause ended"
is "$(explain anna@example.com)" "basis consent" "after the resume: basis consent"
is "$(sql "SELECT count(*) || ' ' || bool_and(paused_until <= now())::text FROM consent_events WHERE contact_id = $anna_id AND kind = 'paused'
           AND id > $pause_ev")" "1 true" "the resume is a paused event ending at its own time"
is "$(sql "SELECT count(*) FROM consent_events WHERE contact_id = $anna_id AND kind = 'paused'")" 2 \
    "the ledger keeps both events"
is "$(sql "SELECT count(*) || ' ' || string_agg(payload->>'resumed', ',' ORDER BY id) FROM webhook_outbox
           WHERE event = 'paused' AND contact_id = $anna_id")" "2 false,true" "the outbox has both, the second a resume"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'consent.resume' AND object = 'contact:$anna_id'")" 1 \
    "the resume is audited"
run "$MAILOUT" contact show anna@example.com --json
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["pause"]["running"])')" \
    False "contact show --json: no pause running"
before=$(counts)
run "$MAILOUT" pause anna@example.com --months 0
is "$OUT" "anna@example.com: not paused" "a second resume: not paused"
like "$ERR" "no pause in force; nothing changed" "and nothing changed"
is "$(counts | cut -d' ' -f1,2)" "$(echo "$before" | cut -d' ' -f1,2)" "no ledger event, no outbox entry"
run "$MAILOUT" pause anna@example.com --months 1 --json
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["paused"], d["changed"])')" \
    "True True" "a new pause after a resume: the latest event decides (--json)"
is "$(explain anna@example.com)" "excluded paused" "paused again"

# --- bad input changes nothing ---
before=$(counts)
for m in 25 -1 abc 1.5 "" 99999999999999999999; do
    run "$MAILOUT" pause bob@example.com --months "$m"
    is "$RC" 65 "--months '$m' exits 65"
done
like "$ERR" "invalid --months '99999999999999999999' \(a number of months from 1 to 24, or 0 to resume\)" \
    "the error names the option and the range"
run "$MAILOUT" pause bob@example.com
is "$RC" 64 "no --months: usage error"
run "$MAILOUT" pause nobody@example.com --months 1
is "$RC" 66 "an unknown address exits 66"
like "$ERR" "no contact with the address nobody@example.com" "and says so"
run "$MAILOUT" pause 'bad@' --months 1
is "$RC" 65 "an invalid address exits 65"
is "$(counts)" "$before" "bad input wrote nothing: no event, outbox entry, audit entry or contact"
is "$(explain bob@example.com)" "basis consent" "bob is not paused"

# --- the database's own rules ---
run sql "INSERT INTO consent_events (contact_id, topic_id, kind, source, channel, actor, paused_until)
         VALUES ($anna_id, (SELECT id FROM topics WHERE name = 'news'), 'paused', 't', 'admin', 't', now())"
like "$OUT" "consent_events_pause_check" "a pause for one topic is refused"
run sql "INSERT INTO consent_events (contact_id, kind, source, channel, actor)
         VALUES ($anna_id, 'paused', 't', 'admin', 't')"
like "$OUT" "consent_events_pause_check" "a pause without paused_until is refused"
run sql "INSERT INTO consent_events (contact_id, kind, source, channel, actor, paused_until)
         VALUES ($anna_id, 'objected', 't', 'admin', 't', now())"
like "$OUT" "consent_events_pause_check" "paused_until on another kind is refused"

run "$MAILOUT" pause --help
like "$OUT" "--months N +1 to 24 months; 0 resumes" "pause --help documents --months"

done_testing
