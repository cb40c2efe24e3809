#!/bin/bash
# audit.sh - audit contact, audit campaign, audit log and export against a
# demo built through the real paths: double opt-in over HTTP (with a user
# agent), imported consent proof, an order, web activity, a campaign sent
# through the SMTP sink, a one-click unsubscribe and an ARF complaint.
# Checked with Python's json and csv modules; expected values come from the
# setup (the people created, the files written, the mail the sink got).
# The audit log names the OS user and host and never an address.
# The demo's reports are kept in $top_builddir/tests/out/audit-*.
. "${top_srcdir:-.}/tests/integration/lib.sh"
HOOK_PORT=$(free_port) # nothing listens: deliveries stay pending, rows exist
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$TMP/hook.secret"
chmod 600 "$TMP/hook.secret"
HOOK_URL="http://127.0.0.1:$HOOK_PORT/hooks/mailout"
setup_newsletter "postal_address = ACME GmbH, Musterstr. 1, 10115 Berlin" \
    "imprint_url = https://shop.example/imprint" "unsubscribe_mailto = unsubscribe@shop.example" \
    "webhook_url = $HOOK_URL" "webhook_secret_file = $TMP/hook.secret" \
    "activity_retention = 90d"
plan 61

ART=$(cd "${top_builddir:-.}" && pwd)/tests/out
mkdir -p "$ART" && rm -f "$ART"/audit-*
keep() { printf '%s\n' "$OUT" > "$ART/audit-$1"; } # keep NAME: $OUT as an artifact
me=$(id -un)
host=$(hostname)
PY=/usr/bin/python3
# json EXPR: evaluates the Python expression EXPR with d = the JSON document $OUT
json() { printf '%s' "$OUT" | $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
post() {
    CODE=$(curl -s --max-time 10 -A "$UA" -o "$TMP/body" -w '%{http_code}' --data "$2" "$BASE$1")
}
cid() { sql "SELECT id FROM contacts WHERE email_norm = '$1'"; }

# --- the demo ------------------------------------------------------------------
printf 'I agree that my viewed products are used for offers. I can withdraw at any time.\n' > "$TMP/tracking.txt"
tracking=$("$MAILOUT" consent-text add tracking "$TMP/tracking.txt")
# alice: double opt-in over HTTP for news and tracking, confirmed in a browser with a user agent
UA="AuditTest/2.0 (demo browser)"
post /subscribe "email=alice@example.com&topic=news&topic=tracking&consent_text=$NEWS_TEXT&consent_text=$tracking&age_confirmed=yes"
is "$CODE" 200 "POST /subscribe"
wait_mail alice@example.com || diag "no confirmation mail"
link=$(mailtool link "$(mailtool to "$SMTP_MAILDIR" alice@example.com | tail -n 1)")
tok=${link##*/}
post "/confirm/$tok" "confirm=yes"
is "$CODE" 200 "POST /confirm/TOKEN with user agent '$UA'"
# bob and erin: imported proof; carol: no consent; dave: only an order
cat > "$TMP/contacts.csv" << CSV
email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
bob@example.com,Bob,DE,news,2026-06-01T10:00:00Z,shop form,$NEWS_TEXT,192.0.2.1
erin@example.com,Erin,DE,news,2026-06-01T10:00:00Z,shop form,$NEWS_TEXT,192.0.2.2
carol@example.com,Carol,DE,,,,,
CSV
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"
printf 'sku,name,category\nP-100,Pump 100,pumps\nV-1,Valve,valves\n' > "$TMP/products.csv"
"$MAILOUT" product import "$TMP/products.csv" > /dev/null 2>&1
printf 'order_id,email,sku,ordered_at\nA-1001,alice@example.com,P-100,2026-05-02T09:00:00Z\nD-7,dave@example.com,V-1,2026-05-03T09:00:00Z\n' > "$TMP/orders.csv"
run "$MAILOUT" order import "$TMP/orders.csv"
is "$RC" 0 "orders imported (alice, and dave who has no consent)"
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
printf 'email,kind,item,at\nalice@example.com,view,P-100,%s\n' "$now" > "$TMP/activity.csv"
run "$MAILOUT" activity import "$TMP/activity.csv"
is "$(sql "SELECT count(*) FROM web_activity")" 1 "alice's activity kept (tracking consent)"
consenting=3 # alice (double opt-in), bob and erin (imported proof)
without=2    # carol and dave
printf 'Hello {{name}},\n\nspring news.\n\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add spring --subject "Spring news" --text "$TMP/body.txt" > /dev/null 2>&1
"$MAILOUT" segment create everyone --where "true" > /dev/null
run "$MAILOUT" campaign create spring --topic news --template spring --segment everyone
is "$RC" 0 "campaign created"
run "$MAILOUT" --json campaign explain spring
explained=$OUT
run "$MAILOUT" campaign send spring
run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatched"
spring_mail() { grep -l '^Subject: Spring news' "$SMTP_MAILDIR"/new/* 2> /dev/null; }
sent_mails=$(spring_mail | wc -l)
is "$sent_mails" "$consenting" "the sink got one campaign message per consenting person"
mail_of() { for f in $(spring_mail); do grep -qi "^To:.*$1" "$f" && echo "$f"; done | tail -n 1; }
alice_mail=$(mail_of alice@example.com)
alice_msgid=$(mailtool header "$alice_mail" Message-ID | tr -d '<>')
unsub=$(mailtool header "$alice_mail" List-Unsubscribe | sed -E 's/^<([^>]*)>.*/\1/')
CODE=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-binary 'List-Unsubscribe=One-Click' "$unsub")
is "$CODE" 200 "alice unsubscribes with the one-click link"
erin_mail=$(mail_of erin@example.com)
{
    printf 'From: fbl@isp.example\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=feedback-report; boundary=F\n\n'
    printf -- '--F\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: isp/1\nVersion: 1\n\n'
    printf -- '--F\nContent-Type: message/rfc822\n\n'
    tr -d '\r' < "$erin_mail" | sed -e '/^X-Sink-/d' -e '/^To:/d'
    printf -- '\n--F--\n'
} > "$TMP/arf.eml"
run "$MAILOUT" inbound < "$TMP/arf.eml"
is "$RC" 0 "erin's complaint (ARF) is handled"
# more admin commands for the audit log
"$MAILOUT" subscribe frank@example.com --topic news --age-confirmed --source '=1+2' > /dev/null 2>&1
"$MAILOUT" pause bob@example.com --months 2 > /dev/null 2>&1
"$MAILOUT" unsubscribe carol@example.com > /dev/null 2>&1
"$MAILOUT" policy set DE consent_lapse_months 24 > /dev/null 2>&1

# --- audit contact -------------------------------------------------------------
run "$MAILOUT" --json audit contact alice@example.com
keep contact.json
is "$RC" 0 "audit contact --json"
is "$(json 'list(d.keys())')" "['contact', 'consent_events', 'sends', 'revocations', 'webhook_deliveries']" \
    "the report's sections"
is "$(json '[(e["topic"], e["channel"], e["user_agent"], e["consent_text_id"], e["consent_text_sha256"], e["token_sha256"]) for e in d["consent_events"] if e["kind"] == "confirmed" and e["topic"] == "news"]')" \
    "[('news', 'web', '$UA', $NEWS_TEXT, '$(sha "$TMP/news.txt")', '$(printf '%s' "$tok" | sha256sum | cut -d' ' -f1)')]" \
    "the confirmation: channel web, the user agent, the consent text id and its SHA-256, the token's SHA-256"
is "$(json '[e["kind"] for e in d["consent_events"] if e["topic"] == "tracking"]')" "['requested', 'confirmed']" \
    "tracking: requested, then confirmed"
is "$(json '[(s["campaign"], s["basis"], s["evidence"].get("consent_event") is not None, s["status"], s["smtp_code"], s["message_id"].strip("<>")) for s in d["sends"]]')" \
    "[('spring', 'consent', True, 'sent', 250, '$alice_msgid')]" \
    "the send: campaign, basis consent with its consent event, SMTP 250, the Message-ID the sink got"
is "$(json '[(r["kind"], r["topic"], r["channel"], r["message_id"].strip("<>"), r["campaign"], r["run_id"] == d["sends"][0]["run_id"]) for r in d["revocations"]]')" \
    "[('withdrawn', 'news', 'one_click', '$alice_msgid', 'spring', True)]" \
    "the revocation: withdrawn news by one click, from that message of that run"
is "$(json 'sorted(set(w["event"] for w in d["webhook_deliveries"]))')" "['confirmed', 'withdrawn']" \
    "the CRM webhook deliveries: the confirmation and the withdrawal"
is "$(json 'd["contact"]["id"]')" "$(cid alice@example.com)" "the contact's id"
events=$OUT
run "$MAILOUT" audit contact alice@example.com --csv
keep contact.csv
is "$RC" 0 "audit contact --csv"
is "$(printf '%s' "$OUT" | $PY -c '
import csv, io, json, sys
rows = list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))
d = json.loads(open(sys.argv[1]).read())
n = sum(len(d[k]) for k in ("consent_events", "sends", "revocations", "webhook_deliveries"))
s = [r for r in rows if r["section"] == "sends"][0]
print(len(rows) == n, s["basis"], s["smtp_code"], s["campaign"])' <(printf '%s' "$events"))" \
    "True consent 250 spring" "--csv parses: one row per event, the send's basis, code and campaign"
run "$MAILOUT" audit contact alice@example.com
keep contact.txt
like "$OUT" "withdrawn news via one_click by subject from message <?$alice_msgid>? \\(campaign spring run [0-9]+\\)" \
    "text: the revocation with its message, campaign and run"
run "$MAILOUT" audit contact frank@example.com --csv
is "$(printf '%s' "$OUT" | $PY -c '
import csv, io, sys
rows = list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))
print(sorted(set(r["source"] for r in rows if r["section"] == "consent_events")))')" \
    "[\"'=1+2\"]" "--csv: a field starting with = is neutralised with a leading apostrophe"
run "$MAILOUT" audit contact nobody@example.com
is "$RC" 66 "audit contact of an unknown address: 66"
like "$ERR" "unknown contact" "with a one-line message"

# --- audit campaign ------------------------------------------------------------
run "$MAILOUT" --json audit campaign spring
keep campaign.json
is "$RC" 0 "audit campaign --json"
is "$(json 'len(d["runs"])')" 1 "one run"
is "$(json 'd["runs"][0]["by_basis"]["consent"]')" "$consenting" "recipients with basis consent: the consenting people"
is "$(json 'sum(d["runs"][0]["excluded"].values())')" "$without" "excluded: the people without a basis"
is "$(json 'sorted(d["runs"][0]["excluded"].items())')" \
    "$(printf '%s' "$explained" | $PY -c 'import json,sys; print(sorted((k, v) for k, v in json.load(sys.stdin)["excluded"].items() if v))')" \
    "excluded per reason as campaign explain said before the run"
is "$(json 'd["runs"][0]["considered"]')" "$((consenting + without))" "considered: everyone in the segment"
is "$(json '(d["runs"][0]["sent"], d["runs"][0]["failed"], d["runs"][0]["uncertain"], d["runs"][0]["bounced"])')" \
    "($sent_mails, 0, 0, 0)" "sent as the sink counted; nothing failed, uncertain or bounced"
is "$(json '(d["runs"][0]["unsubscribes"], d["runs"][0]["complaints"])')" "(1, 1)" \
    "one unsubscribe (alice) and one complaint (erin) from the run's messages"
is "$(json 'abs(d["runs"][0]["unsubscribe_rate"] - 1 / d["runs"][0]["sent"]) < 1e-9 and abs(d["runs"][0]["complaint_rate"] - 1 / d["runs"][0]["sent"]) < 1e-9')" \
    True "rates over the sent count"
run "$MAILOUT" audit campaign spring --csv
keep campaign.csv
is "$(printf '%s' "$OUT" | $PY -c '
import csv, io, sys
rows = list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))
print(len(rows), rows[0]["sent"], rows[0]["basis_consent"], sum(int(v) for k, v in rows[0].items() if k.startswith("excluded_")))')" \
    "1 $sent_mails $consenting $without" "--csv parses: one row per run with basis and exclusion columns"
run "$MAILOUT" audit campaign spring
keep campaign.txt
like "$OUT" "sent $sent_mails, failed 0" "text report"
run "$MAILOUT" audit campaign nosuch
is "$RC" 66 "audit campaign of an unknown campaign: 66"

# --- export ----------------------------------------------------------------------
run "$MAILOUT" export alice@example.com
keep export.json
is "$RC" 0 "export (no --json)"
export_doc=$OUT
is "$(json 'd["contact"]["email"]')" "alice@example.com" "export: one JSON document with the contact"
is "$(printf '%s' "$OUT" | $PY -c '
import json, sys
d = json.load(sys.stdin)
t = {c["id"]: c["body"] for c in d["consent_texts"]}
print(t[int(sys.argv[1])] == open(sys.argv[2]).read(), t[int(sys.argv[3])] == open(sys.argv[4]).read())' \
    "$NEWS_TEXT" "$TMP/news.txt" "$tracking" "$TMP/tracking.txt")" "True True" \
    "export: the exact consent text bodies shown"
is "$(json '[(o["order_id"], o["sku"]) for o in d["orders"]]')" "[('A-1001', 'P-100')]" "export: the order"
is "$(json '[(a["kind"], a["item"]) for a in d["activity"]]')" "[('view', 'P-100')]" "export: the activity"
is "$(json '[r["url"] for r in d["recipients"] if r["recipient"] == "crm_webhook"] + [r["hosts"] for r in d["recipients"] if r["recipient"] == "smtp_relay"]')" \
    "['$HOOK_URL', ['127.0.0.1:$SMTP_PORT']]" "export: recipients, the CRM webhook endpoint and the SMTP relay"
unlike "$OUT" "$(cat "$TMP/hook.secret")" "export: never the webhook secret"
is "$(json 'sorted(r["right"] for r in d["rights"]["rights"])')" \
    "['access', 'complaint', 'erasure', 'objection', 'portability', 'rectification', 'restriction', 'withdraw_consent']" \
    "export: the person's rights"
is "$(json '(d["rights"]["unsubscribe_url_base"], d["rights"]["contact"]["controller"], d["retention"]["activity_seconds"])')" \
    "('$BASE/u/', 'ACME GmbH', 7776000)" "export: how to exercise them, and retention from the configuration"
is "$(json 'sorted((p["topic"], p["state"]) for p in d["purposes"])')" "[('news', 'withdrawn'), ('tracking', 'confirmed')]" \
    "export: purposes with the current state"
is "$(json '[(s["campaign"], s["basis"]) for s in d["sends"]] + [(r["kind"], r["channel"]) for r in d["revocations"]]')" \
    "[('spring', 'consent'), ('withdrawn', 'one_click')]" "export: sends with their basis, revocations"
run "$MAILOUT" --json export alice@example.com
is "$RC|$(json 'd["format"]')" "0|mailout-export/1" "export --json: the same document"
is "$(sql "SELECT count(*) || ' ' || min(object) FROM audit_log WHERE action = 'contact.export'")" \
    "2 contact:$(cid alice@example.com)" "each export is audited with the contact id"
run "$MAILOUT" export nobody@example.com
is "$RC|$OUT" "66|" "export of an unknown address: 66, nothing on stdout"

# a file name that holds an address never reaches the audit log
printf 'order_id,email,sku,ordered_at\nG-1,gus@example.com,V-1,2026-05-04T09:00:00Z\n' > "$TMP/orders-of-gus@example.com.csv"
run "$MAILOUT" order import "$TMP/orders-of-gus@example.com.csv"
is "$RC|$(sql "SELECT object || ' ' || (detail->>'file') FROM audit_log WHERE action = 'order.import' ORDER BY seq DESC LIMIT 1")" \
    "0|[withheld] [withheld]" "an imported file's name with an '@' is withheld in object and detail"

# --- audit log -------------------------------------------------------------------
run "$MAILOUT" --json audit log
is "$RC" 0 "audit log --json"
is "$(json 'sorted({e["action"] for e in d["entries"]} >= {"topic.add", "consent_text.add", "contact.import", "product.import", "order.import", "activity.import", "template.add", "segment.create", "campaign.create", "campaign.send", "consent.request", "consent.pause", "consent.object", "policy.set", "contact.export", "inbound.complaint"} and [1])')" \
    "[1]" "the commands run are listed by action"
is "$(json 'sorted({(e["user"], e["host"]) for e in d["entries"] if e["actor"].startswith("cli:")})')" \
    "[('$me', '$host')]" "every command-line entry names the OS user and the host"
is "$(sql "SELECT count(*) FROM audit_log WHERE (actor || ' ' || COALESCE(object, '') || ' ' || detail::text) ~* '[a-z0-9.]+@[a-z0-9.-]+'")" 0 \
    "no address anywhere in the audit log"
is "$(sql "SELECT count(*) FROM audit_log WHERE detail::text ~ 'AuditTest|192\\.0\\.2\\.'")" 0 \
    "no user agent or IP in it"
# --since is read to the second: a second after the last entry, the cut
# (rounded down) falls after it; the next entry is at or after the cut
sleep 1
t=$(sql "SELECT iso_utc(now())")
"$MAILOUT" topic add later --title "Later" > /dev/null
run "$MAILOUT" audit log
keep log.txt
run "$MAILOUT" --json audit log --since "$t"
is "$(json '[e["action"] for e in d["entries"]]')" "['topic.add']" "--since: only the entries from then on"
run "$MAILOUT" audit log --csv
keep log.csv
is "$(printf '%s' "$OUT" | $PY -c '
import csv, io, json, sys
rows = list(csv.DictReader(io.StringIO(sys.stdin.read(), newline="")))
last = rows[-1]
print(len(rows) == int(sys.argv[1]), last["action"], last["user"], last["host"], json.loads(last["detail"])["title"])' \
    "$(sql "SELECT count(*) FROM audit_log")")" "True topic.add $me $host Later" \
    "--csv parses: every entry, user, host and detail as JSON"
run "$MAILOUT" audit log --since yesterday
is "$RC|$(printf '%s\n' "$ERR" | wc -l)" "65|1" "a bad --since: 65 with a one-line message"
like "$ERR" "invalid --since 'yesterday'" "naming the option and the value"
run "$MAILOUT" audit log --since 2026-02-30
is "$RC" 65 "an impossible date: 65"

done_testing
