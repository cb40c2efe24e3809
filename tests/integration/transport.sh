#!/bin/bash
# transport.sh - the smtp transport against a real SMTP server (aiosmtpd),
# and the maildir transport.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_smtp --refuse refused@example.com
plan 17

write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" "from = news@example.com"
run "$MAILOUT" test-mail --count 2 rcpt@example.com
is "$RC" 0 "test-mail through smtp exits 0"
like "$OUT" "2 of 2 delivered via smtp 127.0.0.1:$SMTP_PORT" "reports both delivered"
is "$(maildir_count "$SMTP_MAILDIR")" 2 "the SMTP server received two messages"
sessions=$(cat "$SMTP_MAILDIR"/new/* | grep -h '^X-Sink-Session:' | sort -u | wc -l)
is "$sessions" 1 "both messages came over one SMTP session"
rcpts=$(cat "$SMTP_MAILDIR"/new/* | tr -d '\r' | grep -h '^X-Sink-Rcpt:' | sort -u)
is "$rcpts" "X-Sink-Rcpt: rcpt@example.com" "envelope recipient"
first=$(ls "$SMTP_MAILDIR"/new/* | head -n1)
like "$(grep -c '^Message-ID: <[0-9a-f-]\{36\}@example.com>' "$first")" "^1$" "one Message-ID with a uuid"
like "$(grep -c '^Date: ' "$first")" "^1$" "one Date header"
like "$(grep '^Subject:' "$first")" "mailout test message [12] of 2" "subject read back"
like "$(grep '^From:' "$first")" '"mailout" <news@example.com>' "From header read back"

run "$MAILOUT" test-mail refused@example.com
is "$RC" 75 "a refused recipient exits 75"
like "$OUT" "refused 550" "the 550 reply is reported"
is "$(maildir_count "$SMTP_MAILDIR")" 2 "nothing stored for the refused recipient"

write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = required" "from = news@example.com"
run "$MAILOUT" test-mail rcpt@example.com
is "$RC" 69 "STARTTLS required but not offered: exit 69, nothing sent"

port=$(free_port)
write_conf "transport = smtp://127.0.0.1:$port" "smtp_starttls = off" "from = news@example.com"
run "$MAILOUT" test-mail rcpt@example.com
is "$RC" 69 "no SMTP server: exit 69"

write_conf "transport = maildir:$TMP/outbox" "from = news@example.com"
run "$MAILOUT" test-mail --count 2 rcpt@example.com
is "$RC" 0 "test-mail through maildir exits 0"
is "$(maildir_count "$TMP/outbox")" 2 "two files in outbox/new"
f=$(ls "$TMP"/outbox/new/* | head -n1)
is "$(head -n1 "$f")" "Return-Path: <news@example.com>" "each file starts with the envelope sender"

done_testing
