#!/bin/bash
# dkim.sh - DKIM signatures on what mailout sends, verified by an independent
# verifier (Debian's python3-dkim, with the test keys' TXT records served by
# a stubbed DNS lookup): the confirmation mail (CLI `subscribe` and `serve`'s
# sender) and `test-mail` carry a valid rsa-sha256 and a valid
# ed25519-sha256 signature; h= names the list headers (over-signed); a
# message altered after signing, or given a second List-Unsubscribe, fails;
# a 1024-bit and a PKCS#1 key work; a 512-bit or group-readable key is
# refused and nothing is sent.
. "${top_srcdir:-.}/tests/integration/lib.sh"
/usr/bin/python3 -c 'import dkim, nacl' 2> /dev/null ||
    skip_all "python3-dkim or python3-nacl not installed (apt-get install python3-dkim python3-nacl)"
command -v openssl > /dev/null || skip_all "openssl not installed"

K=$TMP/keys
mkdir -p "$K"
genkey() { # genkey FILE ALGORITHM [BITS]
    if [ "$2" = RSA ]; then
        openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:$3" -out "$1" 2> /dev/null
    else
        openssl genpkey -algorithm "$2" -out "$1" 2> /dev/null
    fi
    chmod 600 "$1"
}
genkey "$K/rsa2048.pem" RSA 2048
genkey "$K/ed25519.pem" ED25519
genkey "$K/rsa1024.pem" RSA 1024
genkey "$K/rsa512.pem" RSA 512
openssl pkey -in "$K/rsa2048.pem" -traditional -out "$K/rsa2048-pkcs1.pem" 2> /dev/null ||
    openssl rsa -in "$K/rsa2048.pem" -traditional -out "$K/rsa2048-pkcs1.pem" 2> /dev/null
chmod 600 "$K/rsa2048-pkcs1.pem"

DKIM_CONF=("dkim_domain = shop.example" "dkim_selector = s2026" "dkim_key_file = $K/rsa2048.pem"
    "dkim_ed25519_key_file = $K/ed25519.pem" "dkim_ed25519_selector = e2026")
setup_newsletter "${DKIM_CONF[@]}"
plan 26

# verify [OPTIONS] FILE...: python3-dkim's verdict per signature in $OUT, exit status in $RC
verify() {
    run /usr/bin/python3 "$SRCDIR/tests/integration/dkim_verify.py" \
        --txt "s2026._domainkey.shop.example=${RSA_KEY:-$K/rsa2048.pem}" \
        --txt "e2026._domainkey.shop.example=$K/ed25519.pem" "$@"
}
clear_sink() { rm -f "$SMTP_MAILDIR"/new/*; }

is "$(head -n1 "$K/rsa2048-pkcs1.pem")" "-----BEGIN RSA PRIVATE KEY-----" "the PKCS#1 test key is PKCS#1"
is "$(head -n1 "$K/rsa2048.pem")" "-----BEGIN PRIVATE KEY-----" "the genpkey test key is PKCS#8"

# --- the confirmation mail, from the CLI and from serve's sender ---
run "$MAILOUT" subscribe cli@example.com --topic news --age-confirmed
is "$RC" 0 "subscribe sends the confirmation mail (signed)"
curl -s --max-time 10 -o /dev/null --data "email=web@example.com&topic=news&consent_text=$NEWS_TEXT&age_confirmed=yes" "$BASE/subscribe"
wait_mail web@example.com || diag "serve sent nothing: $(cat "$TMP/serve.log")"
files=$(
    mailtool to "$SMTP_MAILDIR" cli@example.com
    mailtool to "$SMTP_MAILDIR" web@example.com
)
is "$(echo "$files" | wc -l)" 2 "both confirmation mails arrived"
verify --count 2 $files
is "$RC" 0 "every confirmation mail carries two valid signatures (python3-dkim)"
is "$(echo "$OUT" | grep -c ' s2026 pass ')" 2 "rsa-sha256 signatures pass"
is "$(echo "$OUT" | grep -c ' e2026 pass ')" 2 "ed25519-sha256 signatures pass"
like "$(echo "$OUT" | head -n1)" "h=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:Content-Transfer-Encoding:List-Unsubscribe:List-Unsubscribe-Post" \
    "h= covers the identity and MIME headers and names both list headers" ||
    diag "$OUT"
f1=$(echo "$files" | head -n1)
like "$(grep -m1 -A1 '^DKIM-Signature: v=1; a=rsa-sha256' "$f1" | tr -d "\r\n" | tr "\t" " ")" "c=relaxed/relaxed; d=shop.example; s=s2026;" \
    "the RSA signature comes first, relaxed/relaxed, d= and s= as configured"
long=$(grep -c '^.\{79,\}' "$f1")
is "$long" 0 "no header line longer than 78 characters (b= is folded)"

# --- altered messages fail ---
for m in body subject append-list-unsubscribe; do
    verify --mutate "$m" "$f1"
    is "$RC" 1 "altered after signing ($m): verification fails"
done
is "$(echo "$OUT" | grep -c ' fail ')" 2 "a second List-Unsubscribe breaks both signatures (over-signed)"

# --- test-mail ---
clear_sink
run "$MAILOUT" test-mail --count 2 probe@example.com
is "$RC" 0 "test-mail with two DKIM keys exits 0"
verify --count 2 "$SMTP_MAILDIR"/new/*
is "$RC" 0 "both test messages carry two valid signatures" || diag "$OUT"

# --- key variants ---
conf() { # conf KEYFILE [EXTRA...]: test-mail configuration with one RSA key
    local key=$1
    shift
    write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
        "from = news@shop.example" "dkim_domain = shop.example" "dkim_selector = s2026" \
        "dkim_key_file = $key" "$@"
}
clear_sink
conf "$K/rsa1024.pem"
run "$MAILOUT" test-mail probe@example.com
is "$RC" 0 "a 1024-bit key signs"
RSA_KEY=$K/rsa1024.pem verify --count 1 "$SMTP_MAILDIR"/new/*
is "$RC" 0 "the 1024-bit signature verifies" || diag "$OUT"

clear_sink
conf "$K/rsa2048-pkcs1.pem"
run "$MAILOUT" test-mail probe@example.com
is "$RC" 0 "a PKCS#1 key loads and signs"
verify --count 1 "$SMTP_MAILDIR"/new/*
is "$RC" 0 "the PKCS#1 key's signature verifies" || diag "$OUT"

clear_sink
conf "$K/rsa512.pem"
run "$MAILOUT" test-mail probe@example.com
is "$RC" 65 "a 512-bit key is refused (exit 65)"
like "$ERR" "rsa512.pem' has 512 bits: at least 1024 are needed" "the message names the key and its size"
is "$(maildir_count "$SMTP_MAILDIR")" 0 "nothing was sent with the weak key"

cp "$K/rsa1024.pem" "$K/group.pem"
chmod 640 "$K/group.pem"
conf "$K/group.pem"
run "$MAILOUT" test-mail probe@example.com
is "$RC" 65 "a group-readable key is refused (exit 65)"
like "$ERR" "group.pem' is readable by group or others: chmod 600 it \(key dkim_key_file\)" \
    "the message says what to do"

conf "$K/rsa1024.pem" "dkim_ed25519_key_file = $K/rsa1024.pem" "dkim_ed25519_selector = e2026"
run "$MAILOUT" test-mail probe@example.com
like "$ERR" "holds an RSA key, not an Ed25519 key \(key dkim_ed25519_key_file\)" \
    "an RSA key as the Ed25519 key is refused"

done_testing
