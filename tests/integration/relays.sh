#!/bin/bash
# relays.sh - several relays in `transport`, tried in order when one refuses
# the connection: the batch goes through the next one, and with every relay
# down test-mail exits 69 naming each.  A relay that took a message's content
# and then dropped the connection before answering never has the batch handed
# to the next relay (the message may have been delivered).
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_smtp
plan 17

dead1=$(free_port)
dead2=$(free_port)

write_conf "transport = smtp://127.0.0.1:$dead1 ,  smtp://127.0.0.1:$SMTP_PORT" \
    "smtp_starttls = off" "from = news@example.com"
run "$MAILOUT" test-mail --count 2 rcpt@example.com
is "$RC" 0 "first relay refuses the connection: test-mail exits 0"
[ "$RC" -eq 0 ] || diag "$ERR"
like "$OUT" "2 of 2 delivered via smtp 127.0.0.1:$SMTP_PORT\$" "through the second relay"
is "$(maildir_count "$SMTP_MAILDIR")" 2 "the second relay received both messages"
is "$(cat "$SMTP_MAILDIR"/new/* | grep -h '^X-Sink-Session:' | sort -u | wc -l)" 1 \
    "over one session"
like "$ERR" "smtp 127.0.0.1:$dead1: .*refused" "the refusing relay is logged"
like "$ERR" "switching from relay 127.0.0.1:$dead1 to 127.0.0.1:$SMTP_PORT" "and the switch"

write_conf "transport = smtp://127.0.0.1:$dead1, smtp://127.0.0.1:$dead2/" "smtp_starttls = off" \
    "from = news@example.com"
run "$MAILOUT" test-mail rcpt@example.com
is "$RC" 69 "every relay down: exit 69"
like "$ERR" "no relay took the messages: smtp 127.0.0.1:$dead1: .*; smtp 127.0.0.1:$dead2: " \
    "the error names each relay and why"
is "$(maildir_count "$SMTP_MAILDIR")" 2 "nothing more received"

write_conf "transport = smtp://127.0.0.1:$SMTP_PORT, smtp://relay.example.com" \
    "smtp_starttls = off" "from = news@example.com"
run "$MAILOUT" test-mail rcpt@example.com
is "$RC" 65 "a relay without a port is refused (exit 65)"
like "$ERR" "invalid relay 'smtp://relay.example.com' in key transport" "naming the key and the item"

# one relay not on loopback: the loopback exemptions no longer apply
write_conf "transport = smtp://127.0.0.1:$SMTP_PORT, smtp://relay.example.com:25" \
    "smtp_starttls = off" "from = news@example.com"
run "$MAILOUT" test-mail rcpt@example.com
is "$RC" 65 "smtp_starttls = off with a relay off loopback is refused"
like "$ERR" "not 'relay.example.com:25'" "naming that relay"

# the first relay stores the first message, then drops the connection unanswered
DROP_PORT=$(free_port)
/usr/bin/python3 "$SRCDIR/tests/integration/smtp_sink.py" --port "$DROP_PORT" --maildir "$TMP/drop" \
    --drop-after-data 1 >> "$TMP/drop.log" 2>&1 &
BG_PIDS="$BG_PIDS $!"
for _ in $(seq 1 100); do
    /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1', $DROP_PORT), 0.2)" 2> /dev/null && break
    sleep 0.1
done
before=$(maildir_count "$SMTP_MAILDIR")
write_conf "transport = smtp://127.0.0.1:$DROP_PORT, smtp://127.0.0.1:$SMTP_PORT" \
    "smtp_starttls = off" "from = news@example.com"
run "$MAILOUT" test-mail --count 3 dropped@example.com
is "$(maildir_count "$TMP/drop")" 1 "the first relay stored the first message, then dropped the connection"
is "$(maildir_count "$SMTP_MAILDIR")" "$before" "the batch was not handed to the second relay: no second copy"
is "$RC" 75 "test-mail reports a temporary failure (exit 75)"
like "$OUT" "^1: unanswered \\(handed over, may have arrived\\)" "and says the first message may have arrived"

done_testing
