#!/bin/bash
# dispatch.sh - campaign dispatch against the real SMTP sink and PostgreSQL:
# what every received message carries (body link, one List-Unsubscribe with
# https and mailto, List-Unsubscribe-Post, the postal address) and its send
# record with the same Message-ID; nobody without a basis gets anything; an
# unsubscribe after `campaign send` is honoured at claim; a CR/LF in a name
# injects no header and fails only that recipient; non-ASCII subject and
# display name arrive decoded; a 550 5.1.1 fails and suppresses the address;
# a 451 defers the row, which a later dispatch sends; --once summary; every
# message carries valid RSA and Ed25519 DKIM signatures (python3-dkim) whose
# h= covers both list headers.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
start_smtp --refuse refused@example.com --tempfail-rcpt 1
plan 43

K=$TMP/keys
mkdir -p "$K"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.pem" 2> /dev/null
openssl genpkey -algorithm ED25519 -out "$K/ed.pem" 2> /dev/null
chmod 600 "$K/rsa.pem" "$K/ed.pem"

write_conf "transport = smtp://127.0.0.1:$SMTP_PORT" "smtp_starttls = off" \
    "from = ACME News <news@shop.example>" "legal_entity = ACME GmbH" \
    "base_url = https://shop.example/mail" "unsubscribe_mailto = unsubscribe@shop.example" \
    "postal_address = ACME GmbH, Hauptstr. 1, 10115 Berlin" \
    "privacy_url = https://shop.example/privacy" "suppression_key_file = $TMP/supp.key" \
    "dkim_domain = shop.example" "dkim_selector = s1" "dkim_key_file = $K/rsa.pem" \
    "dkim_ed25519_selector = e1" "dkim_ed25519_key_file = $K/ed.pem"
run "$MAILOUT" db migrate
[ "$RC" -eq 0 ] || { diag "$ERR"; echo "Bail out! db migrate failed"; exit 1; }
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/news.txt"
news_text=$("$MAILOUT" consent-text add news "$TMP/news.txt")

proof="news,2026-06-01T10:00:00Z,form,$news_text,192.0.2.1"
cat > "$TMP/contacts.csv" << EOF
email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
anna@example.com,Anna Müller,DE,$proof
bob@example.com,Bob,DE,$proof
carol@example.com,Carol,DE,$proof
dave@example.com,Dave,DE,$proof
eve@example.com,Eve,DE,$proof
refused@example.com,Refused,DE,$proof
frank@example.org,Frank,DE,$proof
nobasis@example.com,No Basis,DE,,,,,
EOF
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"
# a name with CR LF bound for the To header (imports refuse it; stored data may still hold it)
sql "UPDATE contacts SET name = E'Eve\r\nBcc: victim@example.net' WHERE email_norm = 'eve@example.com'" > /dev/null

printf 'Hello {{name}},\n\nspring offers.\n\nUnsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n' > "$TMP/body.txt"
run "$MAILOUT" template add spring --subject "Grüße, {{name}}" --text "$TMP/body.txt"
is "$RC" 0 "template added"
run "$MAILOUT" segment create everyone --where "country IS NULL OR country != 'JP'"
is "$RC" 0 "segment created"
run "$MAILOUT" campaign create spring --topic news --template spring --segment everyone
is "$RC" 0 "campaign created"
run "$MAILOUT" campaign send spring --json
is "$RC" 0 "campaign send builds the run"
run_id=$(sql "SELECT max(id) FROM campaign_runs")
is "$(sql "SELECT count(*) FROM send_queue WHERE run_id = $run_id")" 7 "seven recipients queued (not the one without a basis)"

# revoked after the run was built, before dispatch
run "$MAILOUT" unsubscribe dave@example.com --topic news
is "$RC" 0 "dave unsubscribes after campaign send"

run "$MAILOUT" dispatch --once
is "$RC" 0 "dispatch --once exits 0"
like "$OUT" "campaign mails: sent 3, failed 2, deferred 1, excluded 1" "the summary counts each outcome"
[ "$RC" -eq 0 ] || diag "$ERR"

# what arrived, checked message by message
check_mail() {
    /usr/bin/python3 - "$SMTP_MAILDIR" "$@" << 'PY'
import email, email.policy, glob, re, subprocess, sys
box = sys.argv[1]
mode = sys.argv[2]
msgs = []
for f in sorted(glob.glob(box + '/new/*')):
    with open(f, 'rb') as fh:
        msgs.append(email.message_from_binary_file(fh, policy=email.policy.default))
def body(m):
    p = m.get_body(preferencelist=('plain',))
    return p.get_content() if p else ''
if mode == 'rcpts':
    print(' '.join(sorted(str(m['X-Sink-Rcpt']) for m in msgs)))
elif mode == 'lists':
    bad = []
    for m in msgs:
        lu = m.get_all('List-Unsubscribe') or []
        lup = m.get_all('List-Unsubscribe-Post') or []
        rx = (r'^<(https://shop\.example/mail/u/([A-Za-z0-9_-]{43}))>, '
              r'<mailto:unsubscribe@shop\.example\?subject=unsubscribe%20([A-Za-z0-9_-]{43})>$')
        mm = re.match(rx, str(lu[0])) if len(lu) == 1 else None
        ok = (mm is not None and mm.group(2) == mm.group(3)
              and len(lup) == 1 and str(lup[0]) == 'List-Unsubscribe=One-Click'
              and mm.group(1) in body(m) and 'ACME GmbH, Hauptstr. 1, 10115 Berlin' in body(m))
        if not ok:
            bad.append('%s: %r %r' % (m['X-Sink-Rcpt'], lu, lup))
    print('\n'.join(bad) if bad else 'ok')
elif mode == 'ids':
    for m in msgs:
        print(str(m['Message-ID']).strip('<>'))
elif mode == 'tokens':
    import hashlib
    for m in msgs:
        t = re.search(r'/u/([A-Za-z0-9_-]{43})>', str(m['List-Unsubscribe'])).group(1)
        print(str(m['X-Sink-Rcpt']), hashlib.sha256(t.encode()).hexdigest())
elif mode == 'header':
    for m in msgs:
        if str(m['X-Sink-Rcpt']) == sys.argv[3]:
            print(str(m[sys.argv[4]]))
elif mode == 'bcc':
    print(sum(1 for m in msgs if m.get_all('Bcc')))
PY
}

# the sink defers the first RCPT of all: whoever was first in the queue
deferred=$(sql "SELECT c.email_norm FROM send_queue q JOIN contacts c ON c.id = q.contact_id
                WHERE q.run_id = $run_id AND q.state = 'queued'")
like "$deferred" "^(anna|bob|carol)@example\.com$|^frank@example\.org$" "one recipient with a basis is deferred (the sink's one 451)"
want=$(printf '%s\n' anna@example.com bob@example.com carol@example.com frank@example.org | grep -vx "$deferred" | paste -sd ' ')
is "$(check_mail rcpts)" "$want" "only recipients with a basis, not refused, not deferred, got mail (one each)"
is "$(check_mail lists)" ok "each message has one List-Unsubscribe (https + mailto with the same token), List-Unsubscribe-Post, the body link and the postal address"
ids_mail=$(check_mail ids | sort)
ids_db=$(sql "SELECT message_id FROM send_records WHERE run_id = $run_id AND status = 'sent' ORDER BY 1")
is "$ids_mail" "$ids_db" "every received message has a send record (status sent) with its Message-ID"
is "$(sql "SELECT count(*) FROM send_records r JOIN send_queue q ON q.id = r.queue_id
           WHERE r.status = 'sent' AND q.state = 'sent' AND q.message_id = r.message_id
           AND r.basis = 'consent' AND r.evidence ? 'consent_event' AND r.smtp_code = 250")" 3 \
    "the send records carry basis, evidence, the SMTP code and the queue row's Message-ID"
tok_ok=0
while read -r rcpt hash; do
    [ "$(sql "SELECT c.email_norm FROM unsubscribe_tokens t JOIN contacts c ON c.id = t.contact_id
              WHERE t.token_sha256 = '$hash' AND t.run_id = $run_id")" = "$rcpt" ] || tok_ok=1
done < <(check_mail tokens)
ok "$tok_ok" "each message's token is stored (hash only) for its recipient and run"

# nobody without a basis
is "$(sql "SELECT state || ' ' || reason FROM send_queue q JOIN contacts c ON c.id = q.contact_id
           WHERE c.email_norm = 'dave@example.com'")" "excluded unsubscribed" \
    "a revocation before the claim is honoured: excluded, reason unsubscribed"
is "$(sql "SELECT count(*) FROM send_records r JOIN contacts c ON c.id = r.contact_id
           WHERE c.email_norm IN ('dave@example.com', 'nobasis@example.com')")" 0 "no send record for them"

# CR LF in a name
is "$(check_mail bcc)" 0 "no message carries a Bcc header"
unlike "$(check_mail rcpts)" "victim" "the Bcc attempt reaches nobody"
is "$(sql "SELECT q.state || ' ' || (q.reason LIKE 'cannot build the message:%')::text FROM send_queue q
           JOIN contacts c ON c.id = q.contact_id WHERE c.email_norm = 'eve@example.com'")" "failed true" \
    "the recipient with CR LF in the name is failed with the reason"
is "$(sql "SELECT r.status || ' ' || (r.smtp_reply <> '')::text FROM send_records r
           JOIN contacts c ON c.id = r.contact_id WHERE c.email_norm = 'eve@example.com'")" "failed true" \
    "and has a failed send record with the reason"

# 550 5.1.1
is "$(sql "SELECT q.state || ' ' || q.last_code FROM send_queue q JOIN contacts c ON c.id = q.contact_id
           WHERE c.email_norm = 'refused@example.com'")" "failed 550" "a 550 5.1.1 leaves the row failed"
is "$(sql "SELECT r.status || ' ' || r.smtp_code FROM send_records r JOIN contacts c ON c.id = r.contact_id
           WHERE c.email_norm = 'refused@example.com'")" "failed 550" "with a failed send record"
is "$(sql "SELECT s.reason FROM suppression s JOIN contacts c ON c.addr_hmac = s.addr_hmac
           WHERE c.email_norm = 'refused@example.com'")" "hard_bounce" "and the address suppressed as a hard bounce"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'dispatch.hard_bounce'")" 1 "the suppression is in the audit log"
is "$(sql "SELECT o.payload->>'reason' FROM webhook_outbox o JOIN contacts c ON c.id = o.contact_id
           WHERE o.event = 'suppressed' AND c.email_norm = 'refused@example.com'")" "hard_bounce" \
    "and the CRM webhook outbox tells of the suppression (R-GDPR-10)"

# 451: deferred, then sent by a later dispatch
is "$(sql "SELECT q.attempts || ' ' || q.last_code || ' ' || (q.due_at > now())::text FROM send_queue q
           WHERE q.run_id = $run_id AND q.state = 'queued'")" "1 451 true" "a 451 defers the row with a later due time"
is "$(sql "SELECT status || ' ' || smtp_code FROM send_records WHERE run_id = $run_id AND status = 'deferred'")" \
    "deferred 451" "with a deferred send record"
is "$(sql "SELECT state FROM campaign_runs WHERE id = $run_id")" sending "the run is not done while a row is deferred"
run "$MAILOUT" dispatch --once
like "$OUT" "campaign mails: sent 0, failed 0, deferred 0, excluded 0" "nothing is due yet: nothing sent"
sql "UPDATE send_queue SET due_at = now() WHERE run_id = $run_id AND state = 'queued'" > /dev/null
run "$MAILOUT" dispatch --once --json
is "$RC" 0 "dispatch --once --json"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)["campaign_mails"]; print(d["sent"], d["left"])')" \
    "1 0" "the deferred row is sent once due"
is "$(mailtool to "$SMTP_MAILDIR" "$deferred" | wc -l)" 1 "its recipient got exactly one message"
is "$(sql "SELECT state || ' ' || (finished_at IS NOT NULL)::text FROM campaign_runs WHERE id = $run_id")" \
    "done true" "the run is done once nothing is left"
is "$(sql "SELECT count(*) FROM send_queue WHERE state IN ('queued', 'claimed', 'sending')")" 0 "no row left in flight"

# DKIM: every message received, checked by python3-dkim against the test keys
run /usr/bin/python3 "$SRCDIR/tests/integration/dkim_verify.py" --count 2 \
    --txt "s1._domainkey.shop.example=$K/rsa.pem" --txt "e1._domainkey.shop.example=$K/ed.pem" \
    "$SMTP_MAILDIR"/new/*
is "$RC" 0 "every campaign message carries two valid DKIM signatures (RSA and Ed25519)"
[ "$RC" -eq 0 ] || diag "$OUT $ERR"
is "$(printf '%s\n' "$OUT" | grep -c ' pass h=')" "$((2 * $(ls "$SMTP_MAILDIR"/new | wc -l)))" \
    "python3-dkim passes each signature of each message"
is "$(printf '%s\n' "$OUT" | /usr/bin/python3 -c '
import sys
n = 0
for line in sys.stdin:
    h = line.rsplit(" h=", 1)[-1].strip().lower().split(":")
    n += " pass h=" in line and "list-unsubscribe" in h and "list-unsubscribe-post" in h
print(n)')" "$((2 * $(ls "$SMTP_MAILDIR"/new | wc -l)))" \
    "each signature's h= covers List-Unsubscribe and List-Unsubscribe-Post"

is "$(check_mail header anna@example.com Subject)" "Grüße, Anna Müller" "a non-ASCII subject arrives decoded"
is "$(check_mail header anna@example.com To)" "Anna Müller <anna@example.com>" "a non-ASCII display name arrives decoded"

# -j and a bad value
run "$MAILOUT" dispatch --once --sessions 0
is "$RC" 64 "--sessions 0 is a usage error"
like "$ERR" "invalid --sessions '0'" "naming the option"
run "$MAILOUT" dispatch --help
like "$OUT" "resend-uncertain" "help names --resend-uncertain"

done_testing
