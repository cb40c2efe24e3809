#!/bin/bash
# http_framing.sh - `mailout serve` against request smuggling and slow
# clients, and who may read /metrics:
#  - Content-Length with Transfer-Encoding, or two Content-Length fields
#    (equal or not), with a second POST /subscribe hidden in the body: 400,
#    the connection closed, neither address recorded;
#  - headers or a body trickled one byte a second: closed at the deadline,
#    although the connection is never idle;
#  - slowloris from several loopback addresses (127.0.0.2 ...): each address
#    holds at most the per-IP limit, a probe from 127.0.0.1 is answered at
#    once, and the trickling connections are closed after the deadline;
#  - /metrics only for metrics_allow clients, a 404 like any unknown path
#    for everyone else; an invalid metrics_allow stops serve (exit 65).
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl > /dev/null || skip_all "curl not installed"
setup_newsletter
ID=$NEWS_TEXT
plan 42

# The raw-socket client, for what curl will not send.
#   frame.py send FILE             sends FILE's bytes from 127.0.0.1 and reads until the
#                                  server closes (or 5 s pass): "STATUS RESPONSES closed|open"
#   frame.py trickle head|body CAP sends a request's headers (head) or a POST's headers and
#                                  then its body (body) one byte a second: the seconds until
#                                  the server closed the connection, or "open" after CAP s
#   frame.py keepalive N GAP       N requests on one connection, GAP s apart: their statuses
#   frame.py slowloris N PER HOLD READY
#                                  PER connections from each of 127.0.0.2 ... 127.0.0.(N+1),
#                                  each trickling headers one byte a second for HOLD s; writes
#                                  READY once they are open, then prints
#                                  "held=MOST_ON_ONE_ADDRESS total=HELD cut=CLOSED_BY_SERVER
#                                  first=S last=S open=STILL_OPEN" (S: seconds from the start)
cat > "$TMP/frame.py" << 'EOF'
import os, re, select, socket, sys, time
port = int(os.environ['PORT'])

def connect(src='127.0.0.1', timeout=5):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(timeout)
    s.connect(('127.0.0.1', port))
    return s

cmd = sys.argv[1]
if cmd == 'send':
    data = open(sys.argv[2], 'rb').read()
    s = connect()
    try:
        s.sendall(data)
    except OSError:
        pass
    got, state, end = b'', 'open', time.monotonic() + 5
    while time.monotonic() < end:
        try:
            x = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            state = 'closed'
            break
        if not x:
            state = 'closed'
            break
        got += x
    codes = re.findall(rb'(?:^|\r\n)HTTP/1\.[01] (\d{3}) ', got)
    print((codes[0].decode() if codes else 'none'), len(codes), state)
elif cmd == 'trickle':
    kind, cap = sys.argv[2], float(sys.argv[3])
    s = connect()
    if kind == 'head':
        s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Trickle: ')
    else:
        s.sendall(b'POST /subscribe HTTP/1.1\r\nHost: x\r\n'
                  b'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n')
    t0 = time.monotonic()
    while time.monotonic() - t0 < cap:
        r, _, _ = select.select([s], [], [], 1.0)
        try:
            if r and not s.recv(4096):
                break
            s.send(b'a')
        except OSError:
            break
    else:
        print('open')
        sys.exit(0)
    print(int(time.monotonic() - t0))
elif cmd == 'keepalive':
    n, gap = int(sys.argv[2]), float(sys.argv[3])
    s = connect(timeout=5)
    out = []
    for i in range(n):
        if i:
            time.sleep(gap)
        try:
            s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
            d = b''
            while not d.endswith(b'ok\n'):
                x = s.recv(4096)
                if not x:
                    break
                d += x
            out.append(d.split(b' ')[1].decode() if d.startswith(b'HTTP/1.1 ') else 'closed')
        except OSError:
            out.append('closed')
    print(' '.join(out))
elif cmd == 'slowloris':
    n, per, hold, ready = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    conns = []  # [socket, source address, closed at (s) or None]
    t0 = time.monotonic()
    for a in range(2, n + 2):
        src = '127.0.0.%d' % a
        for _ in range(per):
            try:
                s = connect(src, 2)
                s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ')
                s.setblocking(False)
                conns.append([s, src, None])
            except OSError:
                conns.append([None, src, 0.0])
    def poll_closed():
        now = time.monotonic() - t0
        live = [c for c in conns if c[2] is None]
        if not live:
            return
        r, _, _ = select.select([c[0] for c in live], [], [], 0)
        for c in live:
            if c[0] in r:
                try:
                    if c[0].recv(4096):
                        continue  # an answer; still open
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                c[2] = now
    # let the server refuse what is over its limits, then say which are held
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        poll_closed()
        time.sleep(0.1)
    held = {}
    for c in conns:
        if c[2] is None:
            held[c[1]] = held.get(c[1], 0) + 1
    open(ready, 'w').write('ready\n')
    held_at = time.monotonic() - t0
    last_byte = 0.0
    while time.monotonic() - t0 < hold:
        poll_closed()
        if time.monotonic() - last_byte >= 1.0:
            last_byte = time.monotonic()
            for c in conns:
                if c[2] is None:
                    try:
                        c[0].send(b'a')
                    except OSError:
                        c[2] = time.monotonic() - t0
        time.sleep(0.1)
    poll_closed()
    cut = [c[2] for c in conns if c[2] is not None and c[2] > held_at]
    still = sum(1 for c in conns if c[2] is None)
    print('held=%d total=%d cut=%d first=%d last=%d open=%d' % (
        max(held.values() or [0]), sum(held.values()), len(cut), min(cut or [0]), max(cut or [0]),
        still))
EOF
frame() { PORT=$SERVE_PORT /usr/bin/python3 "$TMP/frame.py" "$@" 2>&1; }
FORM_CT="Content-Type: application/x-www-form-urlencoded"
form() { printf 'email=%s%%40example.com&topic=news&consent_text=%s&age_confirmed=yes' "$1" "$ID"; }
# a whole POST /subscribe for address $1, to hide inside another request's body
smuggled() {
    local f
    f=$(form "$1")
    printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: %d\r\n\r\n%s' \
        "$FORM_CT" "${#f}" "$f"
}
recorded() { sql "SELECT count(*) FROM contacts WHERE email_norm LIKE 'smug%'"; }
# stop_serve WHAT: SIGTERM; serve exits 0 within 10 s, and its log has no error and (in an
# --enable-sanitizers build) no AddressSanitizer, LeakSanitizer or UBSan report
stop_serve() {
    serve_sigterm
    is "$SERVE_RC" 0 "$1: serve exits 0 on SIGTERM"
    unlike "$(grep -E 'ERROR: AddressSanitizer|LeakSanitizer|runtime error| mailout error: ' \
        "$TMP/serve.log")" '.' "$1: no error or sanitizer report in the serve log"
}
EVENTS0=$(sql "SELECT count(*) FROM consent_events")

# --- request smuggling ------------------------------------------------------
# CL.TE: by Content-Length the body is one opaque blob; by Transfer-Encoding it is
# smug1's form, the last chunk, and then a second request for smug2
first=$(form smug1)
body=$(printf '%x\r\n%s\r\n0\r\n\r\n' "${#first}" "$first"; smuggled smug2)
printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n%s' \
    "$FORM_CT" "${#body}" "$body" > "$TMP/req"
is "$(frame send "$TMP/req")" "400 1 closed" \
    "Content-Length and Transfer-Encoding with a request in the body: one 400, connection closed"
body=$(printf '%x\r\n%s\r\n0\r\n\r\n' "${#first}" "$first"; smuggled smug2)
printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n%s' \
    "$FORM_CT" "${#body}" "$body" > "$TMP/req"
is "$(frame send "$TMP/req")" "400 1 closed" "... with Transfer-Encoding first: the same"
# two Content-Length fields: the first covers smug3's form, the second the form and a request
first=$(form smug3)
body="$first$(smuggled smug4)"
printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n%s' \
    "$FORM_CT" "${#first}" "${#body}" "$body" > "$TMP/req"
is "$(frame send "$TMP/req")" "400 1 closed" \
    "two different Content-Length fields with a request in the body: one 400, connection closed"
first=$(form smug5)
printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: %d\r\nContent-Length: %d\r\n\r\n%s%s' \
    "$FORM_CT" "${#first}" "${#first}" "$first" "$(smuggled smug6)" > "$TMP/req"
is "$(frame send "$TMP/req")" "400 1 closed" \
    "two equal Content-Length fields and a request after the body: one 400, connection closed"
printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\ncontent-length: %d\r\nCONTENT-LENGTH: %d\r\n\r\n%s' \
    "$FORM_CT" "${#first}" "${#first}" "$first" > "$TMP/req"
is "$(frame send "$TMP/req")" "400 1 closed" "the field names in any case: the same"
printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n' \
    "$FORM_CT" "${#first}" "$first" > "$TMP/req"
is "$(frame send "$TMP/req")" "400 1 closed" "two Transfer-Encoding fields: 400, connection closed"
printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\nTransfer-Encoding: gzip, chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n' \
    "$FORM_CT" "${#first}" "$first" > "$TMP/req"
is "$(frame send "$TMP/req")" "501 1 closed" "a transfer coding other than chunked: 501, connection closed"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' \
    > "$TMP/req"
is "$(frame send "$TMP/req")" "400 1 closed" "a GET with both fields: 400, the request after it never answered"
is "$(recorded)" 0 "no contact for any address in those requests (smug1-smug6)"
is "$(sql "SELECT count(*) FROM consent_events")" "$EVENTS0" "no consent event recorded"
is "$(maildir_count "$SMTP_MAILDIR")" 0 "no confirmation mail sent"
# what still works: a plain chunked form
first=$(form chunked-ok)
printf 'POST /subscribe HTTP/1.1\r\nHost: x\r\n%s\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%x\r\n%s\r\n0\r\n\r\n' \
    "$FORM_CT" "${#first}" "$first" > "$TMP/req"
is "$(frame send "$TMP/req")" "200 1 closed" "a chunked form alone: 200"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm = 'chunked-ok@example.com'")" 1 \
    "and its address is recorded"

# --- slow clients -------------------------------------------------------------
# all at once: a trickled header, a trickled body, and slowloris from 9 addresses
# (9 x 64 connections would fill the old 512 slots at 64 per address)
frame trickle head 25 > "$TMP/head.out" &
HEAD=$!
frame trickle body 35 > "$TMP/body.out" &
BODY=$!
frame keepalive 4 4 > "$TMP/keep.out" &
KEEP=$!
BG_PIDS="$HEAD $BODY $KEEP"
frame slowloris 9 64 16 "$TMP/ready" > "$TMP/loris.out" &
LORIS=$!
BG_PIDS="$BG_PIDS $LORIS"
for _ in $(seq 1 100); do
    [ -f "$TMP/ready" ] && break
    sleep 0.1
done
ok "$([ -f "$TMP/ready" ]; echo $?)" "slowloris: 576 trickling connections opened from 127.0.0.2-127.0.0.10"
probe=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "$BASE/healthz")
like "$probe" '^200 (0|1)\.' "a probe from 127.0.0.1 meanwhile is answered within 2 s ($probe)"
probe=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$BASE/subscribe")
is "$probe" 200 "and so is the subscribe form"
wait "$LORIS"
loris=$(cat "$TMP/loris.out")
diag "slowloris: $loris"
held=$(printf '%s' "$loris" | sed -n 's/.*held=\([0-9]*\).*/\1/p')
ok "$([ "${held:-99}" -le 16 ] && [ "${held:-0}" -ge 1 ]; echo $?)" \
    "no address holds more than 16 connections (most: ${held:-none})"
total=$(printf '%s' "$loris" | sed -n 's/.* total=\([0-9]*\).*/\1/p')
cut=$(printf '%s' "$loris" | sed -n 's/.* cut=\([0-9]*\).*/\1/p')
is "${cut:-none}" "${total:-0}" "the server closed every held connection"
like "$loris" ' first=(9|10|11|12) last=(9|10|11|12|13) ' \
    "10 s after they opened, although they never went idle"
like "$loris" ' open=0$' "none is left open"
is "$(curl -s --interface 127.0.0.2 --max-time 5 "$BASE/healthz")" ok \
    "127.0.0.2 is served again afterwards"
wait "$HEAD" "$BODY" "$KEEP"
BG_PIDS=
like "$(cat "$TMP/head.out")" '^(9|10|11|12)$' \
    "headers sent one byte a second: closed after 10 s ($(cat "$TMP/head.out"))"
like "$(cat "$TMP/body.out")" '^(19|20|21|22|23)$' \
    "a body sent one byte a second: closed 20 s after the headers ($(cat "$TMP/body.out"))"
is "$(cat "$TMP/keep.out")" "200 200 200 200" \
    "4 requests 4 s apart on one connection: all answered (each request has its own 10 s)"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm LIKE 'slow%'")" 0 "nothing recorded"

# --- /metrics ---------------------------------------------------------------------
mcode() { curl -s -o "$TMP/mbody" -w '%{http_code}' --max-time 5 "$@"; }
is "$(mcode "$BASE/metrics")" 200 "metrics_allow unset: /metrics answers loopback (127.0.0.1)"
is "$(mcode --interface 127.0.0.3 "$BASE/metrics")" 200 "... and 127.0.0.3 (127.0.0.0/8)"
m=$(cat "$TMP/mbody")
like "$m" '^mailout_http_framing_refused_total ([89]|[1-9][0-9])$' \
    "mailout_http_framing_refused_total counts the refused requests"
like "$m" '^mailout_http_slow_closed_total ([0-9]{3})$' \
    "mailout_http_slow_closed_total counts the closed slow connections"
like "$m" '^# HELP mailout_http_requests_total ' "every metric has its help line"

stop_serve "after the hostile requests"
echo "metrics_allow = 127.0.0.2/32, 2001:db8::/32" >> "$TMP/mailout.conf"
start_serve
is "$(mcode "$BASE/metrics")" 404 "metrics_allow = 127.0.0.2/32: 127.0.0.1 gets 404"
cp "$TMP/mbody" "$TMP/m404"
mcode "$BASE/no-such-page" > /dev/null
cmp -s "$TMP/m404" "$TMP/mbody"
ok $? "the same page as for an unknown path"
is "$(mcode -d x "$BASE/metrics")" 404 "POST /metrics from 127.0.0.1: 404 too (not 405)"
is "$(mcode --interface 127.0.0.2 "$BASE/metrics")" 200 "127.0.0.2 gets 200"
like "$(cat "$TMP/mbody")" '^mailout_up 1$' "with the metrics"

stop_serve "with metrics_allow"
sed -i '$d' "$TMP/mailout.conf"
echo "metrics_allow = 10.0.0.0/33" >> "$TMP/mailout.conf"
run timeout 10 "$MAILOUT" serve
is "$RC" 65 "metrics_allow = 10.0.0.0/33: serve exits 65"
like "$ERR" "invalid network '10.0.0.0/33' \\(key metrics_allow\\)" "naming the value and the key"
unlike "$ERR" 'Sanitizer|runtime error' "and without a sanitizer report"

done_testing
