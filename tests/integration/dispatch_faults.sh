#!/bin/bash
# dispatch_faults.sh - campaign dispatch under faults, proven from the SMTP
# sink's Maildir and the database: kill -9 of the dispatcher mid-run several
# times (nobody gets two copies, every received message has a send record,
# the run completes, uncertain rows only from sessions in flight, re-sent only
# with --resend-uncertain); two dispatchers on one run (no duplicate, no gap);
# PostgreSQL restarted mid-run (every recipient exactly once); SIGTERM (exit
# 0, no claimed row left); domain_concurrency = 1 (no two sessions to one
# domain at once); the relay down (--once exits 69, nothing lost) and
# restarted mid-run (nothing lost, nobody twice).  The sink answers each DATA after 5 ms so that a run
# lasts long enough to be interrupted.  No timing assertions: generous waits.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp --sleep-data 0.005
plan 45

N=1500
conf() {
    write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
        "from = news@shop.example" "legal_entity = ACME GmbH" "base_url = https://shop.example/mail" \
        "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
        "privacy_url = https://shop.example/privacy" "suppression_key_file = $TMP/supp.key" "$@"
}
conf
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")
{
    echo "email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip"
    for i in $(seq 1 $N); do
        printf 'user%04d@example.com,User %d,DE,news,2026-06-01T10:00:00Z,form,%s,192.0.2.1\n' "$i" "$i" "$news_text"
    done
} > "$TMP/contacts.csv"
run "$MAILOUT" contact import "$TMP/contacts.csv"
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! contact import failed"; exit 1; }
"$MAILOUT" segment create everyone --where "country IS NULL OR country != 'JP'" > /dev/null
printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
for c in a b c d e f; do
    "$MAILOUT" template add "t$c" --subject "run $c" --text "$TMP/body.txt" > /dev/null
    "$MAILOUT" campaign create "$c" --topic news --template "t$c" --segment everyone > /dev/null
done

DPID=
start_dispatch() { # start_dispatch LOG ARGS...: a dispatcher in the background ($DPID)
    local log=$1
    shift
    "$MAILOUT" dispatch "$@" >> "$TMP/$log" 2>&1 &
    DPID=$!
    BG_PIDS="$BG_PIDS $DPID"
}
# received SUBJECT: messages with that subject in the sink
received() { grep -lE "^Subject: $1"$'\r'"?\$" "$SMTP_MAILDIR"/new/* 2> /dev/null | wc -l; }
# wait_received SUBJECT COUNT: until at least COUNT such messages arrived (60 s at most)
wait_received() {
    local deadline=$((SECONDS + 60))
    while [ "$(received "$1")" -lt "$2" ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
}
# wait_done RUN SECONDS: until the run is done (SQL errors while PostgreSQL restarts are ignored)
wait_done() {
    local deadline=$((SECONDS + $2))
    until [ "$(sql "SELECT state FROM campaign_runs WHERE id = $1" 2> /dev/null)" = done ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}
# wait_exit PID SECONDS: EXIT_RC is its exit status, or "timeout"
wait_exit() {
    local deadline=$((SECONDS + $2))
    EXIT_RC=timeout
    while kill -0 "$1" 2> /dev/null; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.1
    done
    wait "$1"
    EXIT_RC=$?
}
# audit RUN SUBJECT: compares the Maildir with the database; prints
# "dups=N unrecorded=N sent_missing=N sent=N uncertain=N other=N"
audit() {
    sql "SELECT q.message_id, q.state, c.email_norm FROM send_queue q JOIN contacts c ON c.id = q.contact_id
         WHERE q.run_id = $1" > "$TMP/queue.txt"
    sql "SELECT message_id FROM send_records WHERE run_id = $1 AND status IN ('sent', 'uncertain')
         AND message_id IS NOT NULL" > "$TMP/records.txt"
    /usr/bin/python3 - "$SMTP_MAILDIR" "$2" "$TMP/queue.txt" "$TMP/records.txt" << 'PY'
import collections, email, email.policy, glob, sys
box, subject, queue, records = sys.argv[1:5]
per_rcpt = collections.Counter()
ids = set()
for f in glob.glob(box + '/new/*'):
    with open(f, 'rb') as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.default)
    if str(m['Subject']) != subject:
        continue
    per_rcpt[str(m['X-Sink-Rcpt'])] += 1
    ids.add(str(m['Message-ID']).strip('<>'))
rec = set(l.strip() for l in open(records) if l.strip())
state = collections.Counter()
sent_missing = 0
for line in open(queue):
    mid, st, addr = line.rstrip('\n').split('|')
    state[st] += 1
    if st == 'sent' and (mid not in ids or per_rcpt[addr] != 1):
        sent_missing += 1
dups = sum(1 for n in per_rcpt.values() if n > 1)
unrecorded = len(ids - rec)
other = sum(n for s, n in state.items() if s not in ('sent', 'uncertain'))
print('dups=%d unrecorded=%d sent_missing=%d sent=%d uncertain=%d other=%d' % (
    dups, unrecorded, sent_missing, state['sent'], state['uncertain'], other))
PY
}
field() { printf '%s' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# --- kill -9 mid-run, three times, then restart until done ---
"$MAILOUT" campaign send a > /dev/null
run_a=$(sql "SELECT max(id) FROM campaign_runs")
landed=0
sent_a() { sql "SELECT count(*) FROM send_queue WHERE run_id = $run_a AND state = 'sent'"; }
for k in 1 2 3; do
    # killed once a session of this dispatcher is recorded: another one is then in flight
    before=$(sent_a)
    start_dispatch kill.log -j 2
    deadline=$((SECONDS + 60))
    while [ "$(sent_a)" -lt $((before + 100)) ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.05; done
    kill -9 "$DPID"
    wait "$DPID" 2> /dev/null
    [ "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $run_a AND state = 'queued'")" -gt 0 ] &&
        landed=$((landed + 1))
done
is "$landed" 3 "each kill -9 landed mid-run (rows still queued)"
ok "$([ "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $run_a AND state IN ('claimed', 'sending')")" -gt 0 ] && echo 0 || echo 1)" \
    "the killed dispatcher left claimed or sending rows behind"
run "$MAILOUT" dispatch --once -j 2
is "$RC" 0 "a restarted dispatch --once completes the run"
[ "$RC" -eq 0 ] || diag "$ERR"
a=$(audit "$run_a" "run a")
diag "after kill -9: $a"
is "$(field "$a" dups)" 0 "kill -9: nobody got two copies"
is "$(field "$a" unrecorded)" 0 "kill -9: every received message has a send record (sent or uncertain) with its Message-ID"
is "$(field "$a" sent_missing)" 0 "kill -9: every row recorded sent was received exactly once"
is "$(field "$a" other)" 0 "kill -9: no row left queued, claimed or sending"
is "$(( $(field "$a" sent) + $(field "$a" uncertain) ))" "$N" "kill -9: every recipient is sent or uncertain"
ok "$([ "$(field "$a" uncertain)" -le $((3 * 2 * 100)) ] && echo 0 || echo 1)" "kill -9: uncertain rows at most one session (100) per killed worker (3 kills x 2)"
is "$(sql "SELECT state FROM campaign_runs WHERE id = $run_a")" done "kill -9: the run is done"
like "$OUT" "uncertain \\(a worker stopped inside an SMTP session\\): $(field "$a" uncertain)" \
    "the --once summary reports the uncertain rows"
unc=$(field "$a" uncertain)
is "$(sql "SELECT count(*) FROM send_records WHERE run_id = $run_a AND status = 'uncertain'")" "$unc" \
    "each uncertain row has an uncertain send record"
run "$MAILOUT" dispatch --once
like "$OUT" "campaign mails: sent 0," "uncertain rows are not re-sent by themselves"
run "$MAILOUT" dispatch --once --resend-uncertain
is "$RC" 0 "dispatch --once --resend-uncertain"
like "$OUT" "campaign mails: sent $unc," "the uncertain rows are sent again on request"
is "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $run_a AND state <> 'sent'")" 0 "now every row is sent"
is "$(sql "SELECT (detail->>'rows') FROM audit_log WHERE action = 'dispatch.resend_uncertain'")" "$unc" \
    "the re-send on request is in the audit log"

# --- two dispatchers on one run ---
"$MAILOUT" campaign send b > /dev/null
run_b=$(sql "SELECT max(id) FROM campaign_runs")
"$MAILOUT" dispatch --once -j 2 --json > "$TMP/b1.json" 2> "$TMP/b1.log" &
p1=$!
"$MAILOUT" dispatch --once -j 2 --json > "$TMP/b2.json" 2> "$TMP/b2.log" &
p2=$!
BG_PIDS="$BG_PIDS $p1 $p2"
wait_exit "$p1" 120
r1=$EXIT_RC
wait_exit "$p2" 120
is "$r1 $EXIT_RC" "0 0" "two dispatchers on one run both exit 0"
s1=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["campaign_mails"]["sent"])' "$TMP/b1.json")
s2=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["campaign_mails"]["sent"])' "$TMP/b2.json")
is "$((s1 + s2))" "$N" "their sent counts add up to the run"
ok "$([ "$s1" -gt 0 ] && [ "$s2" -gt 0 ] && echo 0 || echo 1)" "both took part ($s1 and $s2)"
b=$(audit "$run_b" "run b")
is "$b" "dups=0 unrecorded=0 sent_missing=0 sent=$N uncertain=0 other=0" \
    "two dispatchers: no duplicate, no gap, every message recorded"

# --- PostgreSQL restarted mid-run ---
"$MAILOUT" campaign send c > /dev/null
run_c=$(sql "SELECT max(id) FROM campaign_runs")
start_dispatch pg.log -j 2
wait_received "run c" 40
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -m fast -w restart > /dev/null 2>&1
ok $? "PostgreSQL restarted mid-run"
ok "$([ "$(received "run c")" -lt "$N" ] && echo 0 || echo 1)" "the restart came before the run was done"
wait_done "$run_c" 180
ok $? "the run completes after the restart"
kill -TERM "$DPID"
wait_exit "$DPID" 30
is "$EXIT_RC" 0 "the dispatcher stops on SIGTERM"
c=$(audit "$run_c" "run c")
is "$c" "dups=0 unrecorded=0 sent_missing=0 sent=$N uncertain=0 other=0" \
    "PostgreSQL restart: every recipient sent exactly once"
grep -q "database connection restored" "$TMP/pg.log"
ok $? "the workers reconnected"

# --- SIGTERM mid-run, with domain_concurrency = 1 ---
conf "domain_concurrency = 1"
"$MAILOUT" campaign send d > /dev/null
run_d=$(sql "SELECT max(id) FROM campaign_runs")
start_dispatch term.log -j 2
wait_received "run d" 40
kill -TERM "$DPID"
wait_exit "$DPID" 25
is "$EXIT_RC" 0 "SIGTERM mid-run: exit 0 (within 25 s)"
is "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $run_d AND state IN ('claimed', 'sending', 'uncertain')")" 0 \
    "SIGTERM: no claimed, sending or uncertain row left"
ok "$([ "$(received "run d")" -lt "$N" ] && echo 0 || echo 1)" "SIGTERM came before the run was done"
run "$MAILOUT" dispatch --once -j 2
d=$(audit "$run_d" "run d")
is "$d" "dups=0 unrecorded=0 sent_missing=0 sent=$N uncertain=0 other=0" \
    "after SIGTERM and a restart: every recipient exactly once"
overlap=$(/usr/bin/python3 - "$SMTP_MAILDIR" << 'PY'
import email, email.policy, glob, sys
spans = {}
for f in glob.glob(sys.argv[1] + '/new/*'):
    with open(f, 'rb') as fh:
        m = email.message_from_binary_file(fh, policy=email.policy.default)
    if str(m['Subject']) != 'run d':
        continue
    s, t = str(m['X-Sink-Session']), float(str(m['X-Sink-Time']))
    lo, hi = spans.get(s, (t, t))
    spans[s] = (min(lo, t), max(hi, t))
v = sorted(spans.values())
print(sum(1 for a, b in zip(v, v[1:]) if b[0] < a[1]))
PY
)
is "$overlap" 0 "domain_concurrency = 1: no two sessions to example.com at once"

# --- the relay down, then gone mid-run ---
conf
sink_start() { # the sink again, on the same port and Maildir
    /usr/bin/python3 "$SRCDIR/tests/integration/smtp_sink.py" --port "$SMTP_PORT" \
        --maildir "$SMTP_MAILDIR" --sleep-data 0.005 >> "$TMP/smtp.log" 2>&1 &
    SMTP_PID=$!
    for _ in $(seq 1 100); do
        /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 0.2)" 2> /dev/null && return 0
        sleep 0.1
    done
    return 1
}
"$MAILOUT" campaign send e > /dev/null
run_e=$(sql "SELECT max(id) FROM campaign_runs")
smtp_stop
run "$MAILOUT" dispatch --once
is "$RC" 69 "relay unreachable: dispatch --once exits 69"
like "$ERR" "smtp 127.0.0.1:$SMTP_PORT" "naming the relay"
is "$(sql "SELECT count(*) || ' ' || sum(attempts) FROM send_queue WHERE run_id = $run_e AND state = 'queued'")" "$N 0" \
    "relay unreachable: every row still queued, not counted as an attempt"
is "$(sql "SELECT count(*) FROM send_records WHERE run_id = $run_e")" 0 "and no send record"
sink_start
ok $? "the relay is back"
start_dispatch relay.log -j 2
wait_received "run e" 40
smtp_stop
sleep 2
sink_start
ok $? "the relay is back after an outage mid-run"
wait_done "$run_e" 180
ok $? "the run completes after the relay outage"
kill -TERM "$DPID"
wait_exit "$DPID" 30
e=$(audit "$run_e" "run e")
diag "after the relay outage: $e"
is "$(printf '%s' "$e" | sed 's/ sent=[0-9]* uncertain=[0-9]*//')" "dups=0 unrecorded=0 sent_missing=0 other=0" \
    "relay outage: nobody twice, every message recorded, nothing left"
ok "$([ "$(field "$e" uncertain)" -le 2 ] && [ $(( $(field "$e" sent) + $(field "$e" uncertain) )) -eq "$N" ] && echo 0 || echo 1)" \
    "relay outage: at most the message in flight per session is uncertain, the rest sent"

# --- SIGTERM while the relay hangs: exit anyway, the stuck session uncertain, nobody twice ---
HANG_PORT=$(free_port)
/usr/bin/python3 "$SRCDIR/tests/integration/smtp_sink.py" --port "$HANG_PORT" \
    --maildir "$TMP/hang" --sleep-rcpt 300 >> "$TMP/hang.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"
for _ in $(seq 1 100); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $HANG_PORT), 0.2)" 2> /dev/null && break
    sleep 0.1
done
write_conf "transport = smtp://127.0.0.1:$HANG_PORT" "smtp_starttls = off" \
    "from = news@shop.example" "legal_entity = ACME GmbH" "base_url = https://shop.example/mail" \
    "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
    "privacy_url = https://shop.example/privacy" "suppression_key_file = $TMP/supp.key"
"$MAILOUT" campaign send f > /dev/null
run_f=$(sql "SELECT max(id) FROM campaign_runs")
start_dispatch hang.log -j 2
deadline=$((SECONDS + 30))
until [ "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $run_f AND state = 'sending'")" -gt 0 ] ||
    [ "$SECONDS" -ge "$deadline" ]; do sleep 0.1; done
kill -TERM "$DPID"
wait_exit "$DPID" 25
is "$EXIT_RC" 0 "SIGTERM while the relay hangs: exit 0 within 25 s"
conf
run "$MAILOUT" dispatch --once -j 2
is "$RC" 0 "a later dispatch --once completes the run"
f=$(audit "$run_f" "run f")
diag "after the hanging relay: $f"
is "$(printf '%s' "$f" | sed 's/ sent=[0-9]* uncertain=[0-9]*//')" "dups=0 unrecorded=0 sent_missing=0 other=0" \
    "hanging relay: nobody twice, nothing left in flight"
ok "$([ "$(field "$f" uncertain)" -ge 1 ] && [ "$(field "$f" uncertain)" -le 200 ] &&
    [ $(( $(field "$f" sent) + $(field "$f" uncertain) )) -eq "$N" ] && echo 0 || echo 1)" \
    "hanging relay: the stuck sessions' rows are uncertain (not re-sent), every other recipient sent"

done_testing
