#!/bin/bash
# processor.sh - the processor register (R-GDPR-13) and residency (R-GDPR-15)
# against a real PostgreSQL and SMTP sink: processor add/list/show/remove and
# their refusals (bad values, CR/LF, non-UTF-8, huge values, a host of another
# processor); residency = eu refuses a US processor without a mechanism and
# accepts it with scc, residency = none accepts anything, doctor then reports
# it; a relay `smtp.relay.example` with no processor blocks `campaign send`
# and `dispatch` (nothing queued, nothing sent, no send record) naming the
# host, and once registered it is let through (the refusal changes into a
# connection failure); a loopback relay needs no entry; an unregistered
# webhook host keeps the outbox pending (serve keeps running) until it is
# registered; export names the processors as recipients.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp
plan 95

COMMON=("from = ACME News <news@shop.example>" "legal_entity = ACME GmbH"
    "base_url = https://shop.example/mail" "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin"
    "privacy_url = https://shop.example/privacy" "suppression_key_file = $TMP/supp.key")
write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" "${COMMON[@]}"
cp "$TMP/mailout.conf" "$TMP/loop.conf"
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
proof="news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1"
cat > "$TMP/contacts.csv" << EOF
email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
anna@example.com,Anna,DE,$proof
bob@example.com,Bob,DE,$proof
EOF
"$MAILOUT" contact import "$TMP/contacts.csv" > /dev/null
printf 'Hello {{name}},\n\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
"$MAILOUT" template add t1 --subject "News" --text "$TMP/body.txt" > /dev/null
"$MAILOUT" segment create everyone --where "country = 'DE'" > /dev/null
"$MAILOUT" campaign create c1 --topic news --template t1 --segment everyone > /dev/null
"$MAILOUT" campaign create c2 --topic news --template t1 --segment everyone > /dev/null
nproc() { sql "SELECT count(*) FROM processors"; }
PY=/usr/bin/python3
json() { printf '%s' "$OUT" | $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# --- processor add: residency = eu (the default) ---------------------------------
run "$MAILOUT" processor add "Mailgun Inc" --role processor --country US --host smtp.mailgun.example
is "$RC" 65 "a US processor without a mechanism is refused under residency = eu (exit 65)"
is "$(echo "$ERR" | head -n1)" \
    "mailout: processor add: US is outside the EEA and residency = eu: record a transfer mechanism (--mechanism dpf|scc|bcr)" \
    "naming the country and what is missing"
is "$(nproc)" 0 "nothing written"
run "$MAILOUT" processor add "Mailgun Inc" --role processor --country us --host smtp.mailgun.example \
    --mechanism scc --dpa "DPA 2026-03" --purpose "bulk mail delivery"
is "$RC" 0 "with --mechanism scc it is accepted"
is "$(sql "SELECT country || ' ' || mechanism || ' ' || created_by FROM processors WHERE name = 'Mailgun Inc'")" \
    "US scc cli:$(id -un)" "country upper-cased, mechanism and actor recorded"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'processor.add' AND object = 'Mailgun Inc'")" 1 \
    "audited (processor.add)"
run "$MAILOUT" processor add "Wuhan Cloud" --role processor --country CN --host mx.cn.example
is "$RC" 65 "a country without adequacy decision and no mechanism is refused"
like "$ERR" "CN is outside the EEA without an adequacy decision and residency = eu: record a transfer mechanism \\(--mechanism scc\\|bcr\\)" \
    "naming the country and the mechanisms it may use"
run "$MAILOUT" processor add "Wuhan Cloud" --role processor --country CN --host mx.cn.example --mechanism dpf
is "$RC" 65 "dpf outside the US is refused"
like "$ERR" "covers only recipients in the US, not CN" "saying why"
run "$MAILOUT" processor add "Wuhan Cloud" --role processor --country CN --host mx.cn.example --mechanism adequacy
is "$RC" 65 "adequacy for a country without a decision is refused"
run "$MAILOUT" processor add "US Adequate" --role processor --country US --host a.us.example --mechanism adequacy
is "$RC" 65 "adequacy for the US (only DPF-certified recipients) is refused"
like "$ERR" "US has no adequacy decision of the Commission: record a safeguard \\(--mechanism dpf\\|scc\\|bcr\\)" \
    "naming what the US needs"
run "$MAILOUT" processor add "Tokyo Mail KK" --role processor --country JP --host smtp.tokyo.example
is "$RC" 0 "a country with an adequacy decision needs no mechanism (JP)"
run "$MAILOUT" processor add "Relay GmbH" --role processor --country DE \
    --host "Smtp.Relay.EXAMPLE.,[2001:DB8::25], 192.0.2.25,bücher.example"
is "$RC" 0 "an EEA processor needs nothing; several hosts"
is "$(sql "SELECT array_to_string(hosts, ' ') FROM processors WHERE name = 'Relay GmbH'")" \
    "smtp.relay.example 2001:db8::25 192.0.2.25 xn--bcher-kva.example" \
    "hosts lower-cased, without trailing dot, IPv6 canonical, IDN as A-label"
run "$MAILOUT" processor add "Other GmbH" --role controller --country DE --host "192.0.2.99,SMTP.relay.example"
is "$RC" 65 "a host of another processor is refused"
is "$(echo "$ERR" | head -n1)" "mailout: invalid --host 'smtp.relay.example': it belongs to processor 'Relay GmbH'" \
    "naming the host and the other processor"
run "$MAILOUT" processor add "Relay GmbH" --role processor --country DE --host other.example
is "$RC" 65 "a name that exists is refused"
like "$ERR" "processor 'Relay GmbH' exists" "saying so"

# bad values: one line naming the option, nothing written
n0=$(nproc)
bad() { # bad NAME EXPECTED-RC REGEX ARGS...
    local name=$1 want=$2 re=$3
    shift 3
    run "$MAILOUT" processor add "$@"
    is "$RC" "$want" "$name: exit $want"
    like "$(echo "$ERR" | head -n1)" "$re" "$name: the error names it"
}
bad "bad country" 65 "invalid --country 'D1'" X --role processor --country D1 --host x.example
bad "bad role" 65 "invalid --role 'owner'" X --role owner --country DE --host x.example
bad "bad mechanism" 65 "invalid --mechanism 'trust-me'" X --role processor --country DE --host x.example --mechanism trust-me
bad "host with a port" 65 "invalid --host 'x.example:25'" X --role processor --country DE --host x.example:25
bad "host with a scheme" 65 "invalid --host 'https://x.example/'" X --role processor --country DE --host https://x.example/
bad "empty host in the list" 65 "invalid --host ''" X --role processor --country DE --host "a.example,,b.example"
bad "CR LF in a host" 65 "invalid --host 'a.example\\\\r\\\\nb'" X --role processor --country DE --host $'a.example\r\nb'
bad "CR LF in the name" 65 "invalid name 'X\\\\r\\\\nInjected: 1'" $'X\r\nInjected: 1' --role processor --country DE --host x.example
bad "CR LF in --dpa" 65 "invalid --dpa" X --role processor --country DE --host x.example --dpa $'a\r\nb'
bad "non-UTF-8 name" 65 "invalid name .*not valid UTF-8" $'\xff\xfe' --role processor --country DE --host x.example
bad "a huge --purpose" 65 "invalid --purpose .*expected 1 to 500 bytes" X --role processor --country DE --host x.example \
    --purpose "$(head -c 100000 /dev/zero | tr '\0' a)"
bad "a huge name" 65 "invalid name .*expected 1 to 200 bytes" "$(head -c 5000 /dev/zero | tr '\0' a)" \
    --role processor --country DE --host x.example
bad "a huge host list" 65 "invalid --host: at most 4000 bytes" X --role processor --country DE \
    --host "$(head -c 10000 /dev/zero | tr '\0' a)"
bad "a non-ASCII country" 65 "invalid --country" X --role processor --country "Dé" --host x.example
bad "missing --host" 64 "usage: mailout processor add" X --role processor --country DE
is "$(nproc)" "$n0" "none of them wrote anything"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'processor.add'")" "$n0" "nor an audit entry"

# --- list, show ------------------------------------------------------------------
run "$MAILOUT" processor list --json
is "$RC" 0 "processor list --json"
is "$(json '[(p["name"], p["country"], p["mechanism"], p["residency_ok"]) for p in d["processors"] if p["name"] == "Mailgun Inc"]')" \
    "[('Mailgun Inc', 'US', 'scc', True)]" "the US processor is listed with its mechanism"
run "$MAILOUT" processor show "Relay GmbH" --json
is "$(json 'd["hosts"][0], d["role"], d["country"]')" "smtp.relay.example processor DE" "processor show --json"
run "$MAILOUT" processor show nobody
is "$RC" 66 "processor show of an unknown name exits 66"

# --- residency = none, then back to eu: doctor --------------------------------------
write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" "${COMMON[@]}" "residency = none"
run "$MAILOUT" processor add "Wuhan Cloud" --role processor --country CN --host mx.cn.example
is "$RC" 0 "residency = none: a CN processor without a mechanism is accepted"
write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" "${COMMON[@]}" "residency = mars"
run "$MAILOUT" processor list
is "$RC" 65 "residency = mars is refused"
like "$ERR" "invalid value 'mars' for key residency: expected eu or none" "naming the key"
cp "$TMP/loop.conf" "$MAILOUT_CONFIG"
run "$MAILOUT" processor list
like "$OUT" "Wuhan Cloud.*breaks residency" "processor list marks it under residency = eu"
run "$MAILOUT" doctor
like "$OUT" "processor 'Wuhan Cloud' breaks residency = eu: CN is outside the EEA" "doctor reports it"
write_conf "transport = smtp://mx.cn.example:25" "${COMMON[@]}"
run "$MAILOUT" campaign send c2
is "$RC" 69 "a relay whose processor breaks residency = eu is refused (exit 69)"
like "$ERR" "SMTP relay host 'mx.cn.example' \\(processor 'Wuhan Cloud'\\) is refused: CN is outside the EEA" \
    "naming the host, the processor and the country"
run "$MAILOUT" processor remove "Wuhan Cloud"
is "$RC" 65 "its removal is refused while the relay uses it"
cp "$TMP/loop.conf" "$MAILOUT_CONFIG"
run "$MAILOUT" processor remove "Wuhan Cloud"
is "$RC" 0 "processor remove"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'processor.remove' AND object = 'Wuhan Cloud'")" 1 \
    "audited (processor.remove)"
run "$MAILOUT" processor remove "Wuhan Cloud"
is "$RC" 66 "removing it again exits 66"

# --- relays ---------------------------------------------------------------------------
# a registered host is let through: the refusal becomes a connection failure
write_conf "transport = smtp://smtp.relay.example:587" "${COMMON[@]}"
cp "$TMP/mailout.conf" "$TMP/reg.conf"
write_conf "transport = smtp://smtp2.relay.example:587" "${COMMON[@]}"
cp "$TMP/mailout.conf" "$TMP/unreg.conf"
run "$MAILOUT" campaign send c1
is "$RC" 69 "campaign send with an unregistered relay is refused (exit 69)"
is "$(echo "$ERR" | grep '^mailout:')" \
    "mailout: SMTP relay host 'smtp2.relay.example' belongs to no registered processor: nothing is sent to it until it is registered (mailout processor add NAME --role ROLE --country CC --host smtp2.relay.example)" \
    "naming the host"
is "$(sql "SELECT (SELECT count(*) FROM send_queue) + (SELECT count(*) FROM send_records) + (SELECT count(*) FROM campaign_runs)")" 0 \
    "no run, nothing queued, no send record"
run "$MAILOUT" doctor
like "$OUT" "SMTP relay host 'smtp2.relay.example' belongs to no registered processor" "doctor lists the missing host"
export MAILOUT_CONFIG=$TMP/reg.conf
run "$MAILOUT" campaign send c1
is "$RC" 0 "with the relay registered, campaign send builds the run"
is "$(sql "SELECT count(*) FROM send_queue")" 2 "two rows queued"
run "$MAILOUT" processor remove "Relay GmbH"
is "$RC" 65 "a processor whose host is a configured relay cannot be removed"
like "$ERR" "'Relay GmbH' operates an SMTP relay \\(transport\\), host 'smtp.relay.example'" "naming the host"
export MAILOUT_CONFIG=$TMP/unreg.conf
run timeout 60 "$MAILOUT" dispatch --once
is "$RC" 69 "dispatch with an unregistered relay exits 69"
like "$ERR" "SMTP relay host 'smtp2.relay.example' belongs to no registered processor" "naming the host"
is "$(sql "SELECT count(*) FROM send_records")" 0 "no send record"
is "$(sql "SELECT count(*) FROM send_queue WHERE attempts = 0 AND state = 'queued'")" 2 "the mail stays queued, unclaimed"
export MAILOUT_CONFIG=$TMP/reg.conf
run timeout 120 "$MAILOUT" dispatch --once
unlike "$ERR" "registered processor" "the registered relay is let through to the connection"
# the loopback relay needs no entry: the queued mail goes out through the sink
export MAILOUT_CONFIG=$TMP/loop.conf
sql "UPDATE send_queue SET due_at = now(), state = 'queued' WHERE state IN ('queued', 'failed')" > /dev/null 2>&1
run timeout 120 "$MAILOUT" dispatch --once
is "$RC" 0 "a loopback relay needs no processor"
is "$(maildir_count "$SMTP_MAILDIR")" 2 "and both messages were sent"

# --- webhook ------------------------------------------------------------------------
printf 'whsec-%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$TMP/hook.secret"
chmod 600 "$TMP/hook.secret"
SERVE_PORT=$(free_port)
write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" "${COMMON[@]}" \
    "listen = 127.0.0.1:$SERVE_PORT" "webhook_url = https://crm.example.net/hooks?key=s3cret" \
    "webhook_secret_file = $TMP/hook.secret" "webhook_timeout = 2s"
"$MAILOUT" unsubscribe bob@example.com > /dev/null
is "$(sql "SELECT count(*) FROM webhook_outbox WHERE attempts = 0 AND delivered_at IS NULL")" 1 "one webhook event pending"
start_serve
for _ in $(seq 1 50); do
    grep -q "webhook host 'crm.example.net' belongs to no registered processor" "$TMP/serve.log" && break
    sleep 0.1
done
like "$(cat "$TMP/serve.log")" "webhook host 'crm.example.net' belongs to no registered processor" \
    "the webhook deliverer refuses the unregistered host, naming it"
sleep 1.5
is "$(sql "SELECT count(*) FROM webhook_outbox WHERE attempts = 0 AND delivered_at IS NULL")" 1 \
    "the event stays pending, never attempted"
is "$(curl -s --max-time 2 "http://127.0.0.1:$SERVE_PORT/healthz")" ok "serve keeps running"
is "$(grep -c "belongs to no registered processor" "$TMP/serve.log")" 1 "logged once, not in a loop"
run "$MAILOUT" processor add "CRM Ltd" --role controller --country GB --host crm.example.net --dpa "CRM DPA v2"
is "$RC" 0 "the CRM registered (GB: adequacy decision)"
deadline=$((SECONDS + 30))
until [ "$(sql "SELECT attempts FROM webhook_outbox")" -ge 1 ] || [ "$SECONDS" -ge "$deadline" ]; do sleep 0.2; done
ok "$([ "$(sql "SELECT attempts FROM webhook_outbox")" -ge 1 ]; echo $?)" "then the deliverer attempts it"
serve_sigterm
run "$MAILOUT" doctor
unlike "$OUT" "no registered processor" "doctor finds nothing missing now"

# --- export: recipients ---------------------------------------------------------------
run "$MAILOUT" export anna@example.com
is "$RC" 0 "export"
is "$(json 'all(r["name"] and "country" in r for r in d["recipients"])')" True "every recipient has a name and a country key"
is "$(json '[(r["name"], r["country"], r["role"], r["url"]) for r in d["recipients"] if r["recipient"] == "crm_webhook"]')" \
    "[('CRM Ltd', 'GB', 'controller', 'https://crm.example.net/hooks')]" \
    "the CRM webhook names its processor (and no secret of the URL)"
is "$(json '[(r["name"], r["country"], r["mechanism"], r["dpa"]) for r in d["recipients"] if r["name"] == "Mailgun Inc"]')" \
    "[('Mailgun Inc', 'US', 'scc', 'DPA 2026-03')]" "the US processor with its mechanism and DPA"
is "$(json '[r["hosts"] for r in d["recipients"] if r["recipient"] == "smtp_relay"]')" \
    "[['127.0.0.1:$SMTP_PORT']]" "the loopback relay stays listed as own infrastructure"
done_testing
