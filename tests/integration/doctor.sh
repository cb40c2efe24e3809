#!/bin/bash
# doctor.sh - `mailout doctor` against a real PostgreSQL, the aiosmtpd relay
# and a stub DNS server (tests/integration/dns_stub.py via
# $MAILOUT_DNS_SERVER): a good configuration exits 0 with every check ok;
# DNS records missing, not matching or not resolvable only warn; a missing
# postal_address, a bad DKIM key, an unreachable database or a schema not
# migrated exit 65 naming the cause; a relay that does not answer is
# reported.
. "${top_srcdir:-.}/tests/integration/lib.sh"
command -v openssl > /dev/null || skip_all "openssl not installed"
start_pg
start_smtp
plan 41

K=$TMP/keys
mkdir -p "$K"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.pem" 2> /dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 -out "$K/weak.pem" 2> /dev/null
openssl genpkey -algorithm ED25519 -out "$K/ed.pem" 2> /dev/null
chmod 600 "$K"/*.pem
RSA_P=$(openssl pkey -in "$K/rsa.pem" -pubout -outform DER | base64 -w0)
ED_P=$(openssl pkey -in "$K/ed.pem" -pubout -outform DER | tail -c 32 | base64 -w0)

has() { # has GOT LINE NAME: GOT holds LINE (a fixed string)
    if printf '%s\n' "$1" | grep -qxF -- "$2"; then ok 0 "$3"; else ok 1 "$3"; diag "got: $1" "want line: $2"; fi
}
DNS_PID=
dns() { # dns [RECORD-OPTIONS]: a fresh stub DNS server, $MAILOUT_DNS_SERVER pointing at it
    [ -n "$DNS_PID" ] && kill "$DNS_PID" 2> /dev/null && wait "$DNS_PID" 2> /dev/null
    DNS_PORT=$(free_port)
    /usr/bin/python3 "$SRCDIR/tests/integration/dns_stub.py" --port "$DNS_PORT" "$@" > "$TMP/dns.log" 2>&1 &
    DNS_PID=$!
    BG_PIDS="$BG_PIDS $DNS_PID"
    for _ in $(seq 1 50); do
        grep -q READY "$TMP/dns.log" && break
        sleep 0.1
    done
    export MAILOUT_DNS_SERVER="127.0.0.1:$DNS_PORT"
}
GOOD_RECORDS=(--txt "s2026._domainkey.shop.example=v=DKIM1; h=sha256; k=rsa; p=$RSA_P"
    --txt "e2026._domainkey.shop.example=v=DKIM1; k=ed25519; p=$ED_P"
    --txt "shop.example=v=spf1 ip4:192.0.2.1 -all" --txt "shop.example=google-site-verification=x"
    --a "shop.example=192.0.2.1"
    --txt "_dmarc.shop.example=v=DMARC1; p=none; rua=mailto:dmarc@shop.example"
    --mx "lists.shop.example=mx.shop.example")
conf() { # conf [EXTRA-LINES]: a complete configuration, then the extra lines
    write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
        "from = \"Shop News\" <news@shop.example>" "legal_entity = ACME GmbH" \
        "postal_address = Main Street 1, 12345 Town" "privacy_url = https://shop.example/privacy" \
        "base_url = https://shop.example" "unsubscribe_mailto = unsubscribe@lists.shop.example" \
        "suppression_key_file = $TMP/supp.key" "dkim_domain = shop.example" \
        "dkim_selector = s2026" "dkim_ed25519_selector = e2026" "$@"
}
KEYS=("dkim_key_file = $K/rsa.pem" "dkim_ed25519_key_file = $K/ed.pem")
conf "${KEYS[@]}"
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }

# --- a good configuration ---
dns "${GOOD_RECORDS[@]}"
run "$MAILOUT" doctor
is "$RC" 0 "a good configuration: exit 0" || diag "$OUT" "$ERR"
is "$(echo "$OUT" | grep -cv '^\(ok\|warning\|error\): ')" 0 "every finding is one 'ok:', 'warning:' or 'error:' line"
is "$(echo "$OUT" | grep -c '^\(warning\|error\):')" 0 "no warnings, no errors" || diag "$OUT"
like "$OUT" "ok: sender news@shop.example, legal entity 'ACME GmbH', postal address set" "sender identity"
like "$OUT" "ok: database reachable" "database reachable"
like "$OUT" "ok: schema current \([0-9]+ migrations applied\)" "migrations current"
like "$OUT" "ok: relay 127.0.0.1:$SMTP_PORT answers: 220 " "the relay greets with 220"
like "$OUT" "ok: RSA key of 2048 bits for selector s2026, domain shop.example" "the RSA key is strong"
like "$OUT" "ok: DKIM record s2026._domainkey.shop.example publishes our rsa key" "the RSA selector record matches"
like "$OUT" "ok: DKIM record e2026._domainkey.shop.example publishes our ed25519 key" "the Ed25519 selector record matches"
like "$OUT" "ok: SPF for shop.example: v=spf1 ip4:192.0.2.1 -all" "SPF found among several TXT records"
like "$OUT" "ok: DMARC for shop.example: v=DMARC1; p=none" "DMARC with a policy"
like "$OUT" "ok: base_url host shop.example has an address" "the unsubscribe web host resolves"
like "$OUT" "ok: unsubscribe_mailto domain lists.shop.example has MX records" "the unsubscribe mail domain has MX"
like "$(cat "$TMP/dns.log")" "QUERY s2026._domainkey.shop.example TXT" "the selector record was looked up over DNS"

conf "${KEYS[@]}" "db_role = mailout_app"
run "$MAILOUT" doctor
is "$RC" 0 "as the application role (db_role = mailout_app): exit 0" || diag "$OUT"
like "$OUT" "ok: schema current" "... the schema version is readable by the application role"
conf "${KEYS[@]}"

run "$MAILOUT" --json doctor
is "$RC" 0 "--json: exit 0"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; a=json.load(sys.stdin); print(sorted({f["level"] for f in a}), all(set(f) == {"level","check","message"} for f in a))')" \
    "['ok'] True" "--json prints an array of {level, check, message}"

# --- DNS records missing, not matching, or DNS not answering: warnings only ---
dns --txt "s2026._domainkey.shop.example=v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7" \
    --txt "_dmarc.shop.example=v=DMARC1; rua=mailto:x@shop.example"
run "$MAILOUT" doctor
is "$RC" 0 "wrong DKIM key, no SPF, DMARC without policy: still exit 0"
has "$OUT" "warning: DKIM record s2026._domainkey.shop.example does not match our key: p= holds another key; publish \"v=DKIM1; k=rsa; p=$RSA_P\"" \
    "a record with another key is a warning giving the record to publish"
has "$OUT" "warning: no DKIM record at e2026._domainkey.shop.example: publish the TXT record \"v=DKIM1; k=ed25519; p=$ED_P\"" \
    "a missing Ed25519 record is a warning"
like "$OUT" "warning: no SPF record for shop.example" "missing SPF is a warning"
like "$OUT" "warning: DMARC record _dmarc.shop.example has no policy: add p=none at least" "DMARC without p= is a warning"

export MAILOUT_DNS_SERVER="127.0.0.1:$(free_port)"
t0=$SECONDS
run "$MAILOUT" doctor
is "$RC" 0 "no DNS server answering: exit 0"
like "$OUT" "warning: cannot look up s2026._domainkey.shop.example: DNS lookups fail" "a failed lookup is a warning"
is "$(echo "$OUT" | grep -c '^error:')" 0 "... never an error"
ok "$([ $((SECONDS - t0)) -lt 15 ]; echo $?)" "... and doctor does not hang ($((SECONDS - t0)) s)"
unset MAILOUT_DNS_SERVER
run "$MAILOUT" doctor
is "$RC" 0 "the sandbox's own resolver (no records for shop.example): exit 0, DNS only warns" || diag "$OUT"

# --- what refuses a send: exit 65 ---
dns "${GOOD_RECORDS[@]}"
conf "${KEYS[@]}"
sed -i '/^postal_address/d' "$MAILOUT_CONFIG"
run "$MAILOUT" doctor
is "$RC" 65 "no postal_address: exit 65"
like "$OUT" "error: .*postal address \(key postal_address\)" "the error names postal_address"

conf "dkim_key_file = $K/missing.pem"
run "$MAILOUT" doctor
is "$RC" 65 "an unreadable DKIM key: exit 65"
like "$OUT" "error: cannot read '$K/missing.pem': .* \(key dkim_key_file\)" "the error names the key file"

conf "dkim_key_file = $K/weak.pem"
run "$MAILOUT" doctor
like "$OUT" "error: DKIM key '$K/weak.pem' has 512 bits: at least 1024 are needed" "a 512-bit key is an error naming its size"

conf "${KEYS[@]}"
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$(free_port)|" "$MAILOUT_CONFIG"
run "$MAILOUT" doctor
like "$OUT" "warning: relay 127.0.0.1:[0-9]+ does not answer: Connection refused" "a relay that is down is reported"

conf "${KEYS[@]}"
down=$(free_port)
sed -i "s|^transport = .*|transport = smtp://127.0.0.1:$down, smtp://127.0.0.1:$SMTP_PORT|" "$MAILOUT_CONFIG"
run "$MAILOUT" doctor
like "$OUT" "warning: relay 127.0.0.1:$down does not answer" "several relays: the first, down, is reported"
like "$OUT" "ok: relay 127.0.0.1:$SMTP_PORT answers: 220 " "... and the second, up, is checked too"

conf "${KEYS[@]}"
run env MAILOUT_DB="host=$PG_DIR port=$(free_port) user=owner dbname=mailout" "$MAILOUT" doctor
is "$RC" 65 "an unreachable database: exit 65"
like "$OUT" "error: database unreachable: " "... reported as an error"

as_pg "$PG_BIN/createdb" -h "$PG_DIR" -p "$PGPORT" -U owner fresh
run env MAILOUT_DB="host=$PG_DIR port=$PGPORT user=owner dbname=fresh" "$MAILOUT" doctor
is "$RC" 65 "a database without the schema: exit 65"
like "$OUT" "error: the schema is not installed: run .mailout db migrate." "... saying to run db migrate" || diag "$OUT"

done_testing
