#!/bin/bash
# http_framing.sh - `mailout serve` against request smuggling:
#  - Content-Length with Transfer-Encoding, or two Content-Length fields
#    (equal or not), with a second POST /subscribe hidden in the body: 400,
#    the connection closed, neither address recorded.
. "${top_srcdir:-.}/tests/integration/lib.sh"

command -v curl > /dev/null || skip_all "curl not installed"
setup_newsletter
ID=$NEWS_TEXT
plan 14

# The raw-socket client, for what curl will not send.
#   frame.py send FILE             sends FILE's bytes from 127.0.0.1 and reads until the
#                                  server closes (or 5 s pass): "STATUS RESPONSES closed|open"
cat > "$TMP/frame.py" << 'EOF'
import os, re, socket, sys, time
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
like "$(curl -s --max-time 5 "$BASE/metrics")" '^mailout_http_framing_refused_total 8$' \
    "mailout_http_framing_refused_total counts the refused requests"

done_testing
