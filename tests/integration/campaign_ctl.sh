#!/bin/bash
# campaign_ctl.sh - campaign pause, resume, cancel, retry and status, the
# checks of campaign send, and the campaign mail metrics of /metrics.
# The dispatch worker is not part of this test: where it would move rows
# (claim, send, fail, defer), SQL does, as the contract of
# sql/0013_dispatch.sql describes.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 91

SERVE_PORT=$(free_port)
BASE="http://127.0.0.1:$SERVE_PORT"
CONF=("suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH"
    "from = news@shop.example" "base_url = $BASE" "listen = 127.0.0.1:$SERVE_PORT"
    "transport = maildir:$TMP/outbox")
# no postal_address yet: campaign send must refuse
write_conf "${CONF[@]}"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
{
    echo "email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip"
    for i in 1 2 3 4 5; do
        echo "p$i@example.com,P $i,DE,news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1"
    done
} > "$TMP/contacts.csv"
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"
printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring offers" --text "$TMP/body.txt" > /dev/null
"$MAILOUT" segment create all --where "true" > /dev/null
run "$MAILOUT" campaign create spring --topic news --template spring --segment all
is "$RC" 0 "campaign created"

q() { sql "$1"; }
run_state() { q "SELECT state FROM campaign_runs WHERE id = $1"; }
rows() { q "SELECT count(*) FROM send_queue WHERE run_id = $1 AND state = '$2'"; }
audits() { q "SELECT count(*) FROM audit_log WHERE action = 'campaign.$1'"; }

# --- before any run ---------------------------------------------------------------
run "$MAILOUT" campaign send spring
is "$RC" 65 "campaign send without postal_address: exit 65"
like "$ERR" "postal_address" "... naming the key"
is "$(q "SELECT count(*) FROM campaign_runs")" 0 "... and nothing was built"
run "$MAILOUT" campaign status spring
is "$RC" 0 "status of a campaign without runs: exit 0"
like "$OUT" "no runs" "... saying it has no runs"
run "$MAILOUT" campaign status spring --json
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" \
    '{"campaign": "spring", "runs": []}' "status --json without runs: an empty list"
for verb in pause resume cancel retry; do
    run "$MAILOUT" campaign $verb spring
    is "$RC" 65 "$verb without a run: exit 65"
done
like "$ERR" "no run" "... saying there is no run"
for verb in pause resume cancel retry status; do
    run "$MAILOUT" campaign $verb nosuch
    is "$RC" 66 "$verb of an unknown campaign: exit 66"
done
like "$ERR" "unknown campaign 'nosuch'" "... naming it"
run "$MAILOUT" campaign pause
is "$RC" 64 "pause without NAME: usage, exit 64"

# --- a run: pause and resume ------------------------------------------------------------
write_conf "${CONF[@]}" "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin"
run "$MAILOUT" campaign send spring
is "$RC" 0 "campaign send with a complete configuration"
like "$ERR" "warning: DKIM .*one-click" "... warns that without DKIM there is no one-click unsubscribe"
like "$OUT" "5 queued" "... and says how many were queued"
R1=$(q "SELECT max(id) FROM campaign_runs")
is "$(rows "$R1" queued)" 5 "five rows queued"

run "$MAILOUT" campaign pause spring
is "$RC" 0 "pause a queued run"
is "$(run_state "$R1")" paused "... the run is paused"
like "$OUT" "run $R1 paused \\(was queued\\)" "... and says so"
is "$(audits pause)" 1 "... audited"
is "$(q "SELECT actor LIKE 'cli:%' AND detail->>'run' = '$R1' AND detail->>'to' = 'paused' FROM audit_log WHERE action = 'campaign.pause'")" t \
    "... with the actor, the run and the new state"
run "$MAILOUT" campaign pause spring
is "$RC" 0 "pause again: exit 0"
like "$OUT" "already paused" "... already paused"
is "$(audits pause)" 1 "... nothing audited"
run "$MAILOUT" campaign resume spring
is "$RC" 0 "resume"
is "$(run_state "$R1")" queued "... nothing was ever claimed: queued again"
run "$MAILOUT" campaign resume spring
is "$RC" 0 "resume a run that is not paused: exit 0"
like "$OUT" "already queued" "... says so"

# a worker claims one row and sends another (what dispatch does)
q "UPDATE campaign_runs SET state = 'sending' WHERE id = $R1;
   UPDATE send_queue SET state = 'claimed', worker_key = 42 WHERE id = (SELECT min(id) FROM send_queue WHERE run_id = $R1);
   UPDATE send_queue SET state = 'sent', attempts = 1 WHERE id = (SELECT min(id) + 1 FROM send_queue WHERE run_id = $R1)" > /dev/null
run "$MAILOUT" campaign pause spring --json
is "$RC" 0 "pause a sending run"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["from"], d["to"], d["changed"])')" \
    "sending paused True" "... --json says from, to and changed"
is "$(rows "$R1" claimed)" 1 "... the claimed row is left to its worker"
run "$MAILOUT" campaign resume spring
is "$(run_state "$R1")" sending "resume after rows were claimed: sending"
is "$(audits resume)" 2 "both resumes audited"

# --- cancel ------------------------------------------------------------------------------
run "$MAILOUT" campaign cancel spring
is "$RC" 0 "cancel"
is "$(run_state "$R1")" cancelled "... the run is cancelled"
is "$(rows "$R1" cancelled)" 3 "... its three queued rows are cancelled at once"
is "$(rows "$R1" claimed)" 1 "... the claimed row is left to its worker"
is "$(rows "$R1" sent)" 1 "... the sent row stays sent"
like "$OUT" "3 queued recipients cancelled" "... and says how many"
is "$(q "SELECT detail->>'rows' FROM audit_log WHERE action = 'campaign.cancel'")" 3 "... audited with the count"
is "$(q "SELECT finished_at IS NOT NULL FROM campaign_runs WHERE id = $R1")" t "... finished_at set"
run "$MAILOUT" campaign cancel spring
is "$RC" 0 "cancel again: exit 0"
like "$OUT" "already cancelled" "... already cancelled"
for verb in pause resume retry; do
    run "$MAILOUT" campaign $verb spring
    is "$RC" 65 "$verb of a cancelled run: exit 65"
done
like "$ERR" "run $R1\\) is cancelled" "... naming the run and its state"

# --- status ------------------------------------------------------------------------------
# the worker hands the claimed row back as cancelled; a new run may be built
q "UPDATE send_queue SET state = 'cancelled', worker_key = NULL WHERE run_id = $R1 AND state = 'claimed'" > /dev/null
run "$MAILOUT" campaign send spring
is "$RC" 0 "a cancelled campaign may be sent again"
R2=$(q "SELECT max(id) FROM campaign_runs")
# 2 sent, 1 failed, 1 uncertain, 1 deferred (queued again after a 4xx)
q "UPDATE campaign_runs SET state = 'sending' WHERE id = $R2;
   WITH o AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM send_queue WHERE run_id = $R2)
   UPDATE send_queue s SET attempts = 1, state = CASE o.n WHEN 1 THEN 'sent' WHEN 2 THEN 'sent'
       WHEN 3 THEN 'failed' WHEN 4 THEN 'uncertain' ELSE 'queued' END,
       reason = CASE o.n WHEN 3 THEN '550 5.1.1 no such user' WHEN 5 THEN '451 try later' END,
       due_at = CASE o.n WHEN 5 THEN now() + interval '10 minutes' ELSE s.due_at END
   FROM o WHERE o.id = s.id" > /dev/null
run "$MAILOUT" campaign status spring --json
is "$RC" 0 "status with failed and uncertain rows: exit 0"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
keys = ["run", "state", "recipients", "queued", "sent", "failed", "uncertain"]
print(sorted(d.keys()), [[r[k] for k in keys] for r in d["runs"]])')" \
    "['campaign', 'runs'] [[$R2, 'sending', 5, 1, 2, 1, 1], [$R1, 'cancelled', 5, 0, 1, 0, 0]]" \
    "status --json: the documented keys, newest run first, counts matching the rows"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"]
print(r[0]["deferred"], r[0]["excluded"], r[0]["cancelled"], r[1]["cancelled"], r[0]["finished_at"], type(r[0]["run"]).__name__)')" \
    "1 0 0 4 None int" "... with deferred, excluded, cancelled and finished_at as extra keys"
run "$MAILOUT" campaign status spring
is "$RC" 0 "status text: exit 0"
like "$OUT" "^campaign spring" "... names the campaign"
like "$(printf '%s\n' "$OUT" | sed -n 3p)" "^ *$R2 +sending +5 +1 +2 +1 +1 +0 +0 +1$" \
    "... newest run first: recipients, queued, sent, failed, uncertain, excluded, cancelled, deferred"
like "$(printf '%s\n' "$OUT" | sed -n 4p)" "^ *$R1 +cancelled +5 +0 +1 +0 +0 +0 +4 +0$" "... then the cancelled run"
like "$OUT" "resend-uncertain" "... points at dispatch --resend-uncertain for the uncertain row"
like "$OUT" "campaign retry spring" "... and at campaign retry for the failed one"

# --- retry -------------------------------------------------------------------------------
# the worker finishes: the deferred row is sent, the run done
q "UPDATE send_queue SET state = 'sent', attempts = 2 WHERE run_id = $R2 AND state = 'queued';
   UPDATE campaign_runs SET state = 'done', finished_at = now() WHERE id = $R2" > /dev/null
run "$MAILOUT" campaign cancel spring
is "$RC" 65 "cancel of a done run: exit 65"
run "$MAILOUT" campaign pause spring
is "$RC" 65 "pause of a done run: exit 65"
failed_id=$(q "SELECT id FROM send_queue WHERE run_id = $R2 AND state = 'failed'")
run "$MAILOUT" campaign retry spring
is "$RC" 0 "retry"
like "$OUT" "1 failed recipient of run $R2 queued again" "... says how many"
is "$(q "SELECT state, reason IS NULL, attempts, due_at <= now() FROM send_queue WHERE id = $failed_id")" \
    "queued|t|1|t" "... the failed row is queued, due now, reason cleared, attempts kept"
is "$(rows "$R2" sent)|$(rows "$R2" uncertain)" "3|1" "... sent and uncertain rows untouched"
is "$(q "SELECT state, finished_at IS NULL FROM campaign_runs WHERE id = $R2")" "queued|t" \
    "... the done run is reopened"
is "$(q "SELECT detail->>'rows' FROM audit_log WHERE action = 'campaign.retry'")" 1 "... audited"
run "$MAILOUT" campaign send spring
is "$RC" 65 "a reopened run blocks a new send"
q "UPDATE send_queue SET state = 'sent' WHERE id = $failed_id;
   UPDATE campaign_runs SET state = 'done', finished_at = now() WHERE id = $R2" > /dev/null
run "$MAILOUT" campaign retry spring
is "$RC" 0 "retry with nothing failed: exit 0"
like "$OUT" "nothing to retry" "... says so"
is "$(run_state "$R2")" done "... the run stays done"
is "$(audits retry)" 1 "... nothing audited"

# --- /metrics ---------------------------------------------------------------------------
q "INSERT INTO send_records (run_id, basis, status)
   SELECT $R2, 'consent', s FROM unnest(ARRAY['sent', 'sent', 'sent', 'failed', 'deferred']) s;
   UPDATE send_queue SET state = 'queued' WHERE id = $failed_id" > /dev/null
start_serve
M=$(curl -s "$BASE/metrics")
like "$M" 'mailout_campaign_messages_total\{status="sent"\} 3' "/metrics: sent messages from send_records"
like "$M" 'mailout_campaign_messages_total\{status="failed"\} 1' "... failed"
like "$M" 'mailout_campaign_messages_total\{status="deferred"\} 1' "... deferred"
like "$M" '# TYPE mailout_campaign_messages_total counter' "... as a counter"
like "$M" 'mailout_send_queue\{state="queued"\} 1' "... queue gauge: queued"
like "$M" 'mailout_send_queue\{state="uncertain"\} 1' "... queue gauge: uncertain"
like "$M" 'mailout_database_up 1' "... the database was read"
pg_stop
M=$(curl -s --max-time 10 -w '\n%{http_code}' "$BASE/metrics")
like "$M" '200$' "database down: /metrics still answers 200"
like "$M" 'mailout_up 1' "... with mailout_up"
like "$M" 'mailout_http_requests_total [0-9]' "... and the other metrics"
like "$M" 'mailout_database_up 0' "... mailout_database_up 0"
unlike "$M" 'mailout_campaign_messages_total\{' "... and no campaign counts it could not read"
done_testing
