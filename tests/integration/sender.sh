#!/bin/bash
# sender.sh - the sender identity (defect 2): `from` may be an address or
# `Display Name <address>` (non-ASCII names too); the confirmation mail of
# double opt-in and test-mail carry that name and address in From, the bare
# address as the envelope sender; a malformed value is refused when the
# configuration is loaded, naming the key and the line.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp
plan 22

conf() {
    write_conf "$1" "transport = smtp://127.0.0.1:$SMTP_PORT" "legal_entity = ACME GmbH" \
        "suppression_key_file = $TMP/supp.key" "privacy_url = https://shop.example/privacy"
}
# the From header as Python's email package reads it: count|display name|address
from_of() {
    /usr/bin/python3 - "$1" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
a = m['From'].addresses
print('%d|%s|%s' % (len(a), a[0].display_name, a[0].addr_spec))
PY
}
last_to() { mailtool to "$SMTP_MAILDIR" "$1" | tail -n 1; }
raw_from() { tr -d '\r' < "$1" | grep '^From:'; }

conf "from = Acme Pumps <news@acme.example>"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'Send me the newsletter. I can withdraw my consent at any time.\n' > "$TMP/news.txt"
"$MAILOUT" consent-text add news "$TMP/news.txt" > /dev/null

run "$MAILOUT" subscribe ann@example.com --topic news --age-confirmed
is "$RC" 0 "double opt-in with from = Acme Pumps <news@acme.example>"
mail=$(last_to ann@example.com)
is "$(from_of "$mail")" "1|Acme Pumps|news@acme.example" "From: display name and address"
is "$(mailtool header "$mail" X-Sink-Mail-From)" "news@acme.example" "MAIL FROM is the bare address"

conf "from = Bücher & Co <news@acme.example>"
run "$MAILOUT" subscribe bea@example.com --topic news --age-confirmed
is "$RC" 0 "double opt-in with a non-ASCII display name"
mail=$(last_to bea@example.com)
is "$(from_of "$mail")" "1|Bücher & Co|news@acme.example" "From: the name decodes to 'Bücher & Co'"
like "$(raw_from "$mail")" '^From: =\?UTF-8\?B\?[A-Za-z0-9+/=]+\?= <news@acme\.example>$' \
    "sent RFC 2047-encoded, the header stays ASCII"
is "$(mailtool header "$mail" X-Sink-Mail-From)" "news@acme.example" "MAIL FROM is the bare address"

conf 'from = "Acme, Inc. \"Pumps\"" <news@acme.example>'
run "$MAILOUT" subscribe cy@example.com --topic news --age-confirmed
is "$RC" 0 "double opt-in with a quoted display name"
is "$(from_of "$(last_to cy@example.com)")" '1|Acme, Inc. "Pumps"|news@acme.example' \
    "From: the quoted name with its comma and quotes"

conf "from = news@acme.example"
run "$MAILOUT" subscribe dan@example.com --topic news --age-confirmed
is "$RC" 0 "double opt-in with a bare address"
is "$(from_of "$(last_to dan@example.com)")" "1|ACME GmbH|news@acme.example" \
    "From: the legal entity as display name"

conf "from = News <news@bücher.example>"
run "$MAILOUT" subscribe eli@example.com --topic news --age-confirmed
is "$RC" 0 "double opt-in from an IDN domain"
mail=$(last_to eli@example.com)
is "$(from_of "$mail")" "1|News|news@xn--bcher-kva.example" "the domain is sent as A-label"
is "$(mailtool header "$mail" X-Sink-Mail-From)" "news@xn--bcher-kva.example" "in MAIL FROM too"

conf "from = Acme Pumps <news@acme.example>"
run "$MAILOUT" test-mail fay@example.com
is "$RC" 0 "test-mail with a display name"
mail=$(last_to fay@example.com)
is "$(from_of "$mail")" "1|Acme Pumps|news@acme.example" "test-mail From: display name and address"
is "$(mailtool header "$mail" X-Sink-Mail-From)" "news@acme.example" "test-mail MAIL FROM is the bare address"

# a malformed sender is refused when the configuration is loaded
n=$(sql "SELECT count(*) FROM contacts")
m=$(maildir_count "$SMTP_MAILDIR")
conf "from = Acme Pumps <news@acme.example"
run "$MAILOUT" subscribe gus@example.com --topic news --age-confirmed
is "$RC" 65 "a from without '>' exits 65"
is "$(echo "$ERR" | head -n1)" \
    "mailout: invalid value 'Acme Pumps <news@acme.example' for key from: missing '>' after the address ($TMP/mailout.conf:1)" \
    "naming the key, the file and the line"
is "$(sql "SELECT count(*) FROM contacts")|$(maildir_count "$SMTP_MAILDIR")" "$n|$m" \
    "nothing stored, nothing sent"
conf "reply_to = Help <help@>"
run "$MAILOUT" db status
is "$RC|$(echo "$ERR" | head -n1)" \
    "65|mailout: invalid value 'Help <help@>' for key reply_to: invalid email 'help@': missing domain ($TMP/mailout.conf:1)" \
    "reply_to is checked the same way"

done_testing
