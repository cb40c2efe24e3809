#!/bin/bash
# request.sh - the data-subject request log (GDPR Art. 12(3), R-GDPR-7):
# `mailout request add|list|extend|done` as the application role.  Due
# dates follow Regulation 1182/71 Art. 3(2)(c) (checked against python3
# dateutil's relativedelta, which keeps the same end-of-month rule); an
# extension moves the due date to receipt + 3 months, only once and only
# before the due date; export, erase and an objection close the matching
# open request and link their audit entry; after erasure the request log
# (and the whole data dump) holds no address; overdue requests show in
# /metrics and doctor; bad input exits 64/65/66 with nothing written.
. "${top_srcdir:-.}/tests/integration/lib.sh"

setup_newsletter
plan 94

{ cat "$TMP/mailout.conf"; echo "db_role = mailout_app"; } > "$TMP/app.conf"
M() { "$MAILOUT" --config "$TMP/app.conf" "$@"; }
oracle() { # oracle YYYY-MM-DD MONTHS: the date MONTHS months later (dateutil)
    /usr/bin/python3 -c 'import sys, datetime
from dateutil.relativedelta import relativedelta
d = datetime.date.fromisoformat(sys.argv[1]) + relativedelta(months=int(sys.argv[2]))
print(d.isoformat())' "$1" "$2"
}
TODAY=$(/usr/bin/python3 -c 'import datetime; print(datetime.datetime.now(datetime.timezone.utc).date().isoformat())')
TOMORROW=$(/usr/bin/python3 -c 'import datetime; print((datetime.datetime.now(datetime.timezone.utc).date() + datetime.timedelta(days=1)).isoformat())')
json_get() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
nreq() { sql "SELECT count(*) FROM dsr_requests"; }

cat > "$TMP/contacts.csv" << 'CSV'
email,name
Ann.Access@Example.com,Ann Access
bob.rect@example.com,Bob Rect
carl.erase-dsr@example.com,Carl Erase
dora.object@example.com,Dora Object
eve.topic@example.com,Eve Topic
CSV
run M contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported" || diag "$ERR"
ann=$(sql "SELECT id FROM contacts WHERE email_norm = 'ann.access@example.com'")

# --- due dates: one month from receipt, the month's last day when it has no such day ---
for d in 2026-01-31 2026-01-30 2026-02-28; do
    run M request add Ann.Access@Example.com --kind access --received "$d"
    is "$RC" 0 "request add received $d exits 0" || diag "$ERR"
    want=$(oracle "$d" 1)
    like "$OUT" "^request [0-9]+ recorded \(access, received $d\): due $want\$" "received $d is due $want (dateutil)"
    id=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
    is "$(sql "SELECT due_on FROM dsr_requests WHERE id = $id")" "$want" "... stored due_on $want"
    eval "R_${d//-/_}=$id"
done
is "$(oracle 2026-01-31 1):$(oracle 2026-01-30 1):$(oracle 2026-02-28 1)" "2026-02-28:2026-02-28:2026-03-28" \
    "the oracle agrees with Art. 3(2)(c) (31 Jan and 30 Jan -> 28 Feb, 28 Feb -> 28 Mar)"
is "$(sql "SELECT contact_id = $ann AND addr_hmac ~ '^[0-9a-f]{64}\$' FROM dsr_requests WHERE id = $R_2026_01_31")" t \
    "the request names the contact and the keyed hash"
is "$(sql "SELECT addr_hmac FROM dsr_requests WHERE id = $R_2026_01_31")" \
    "$(suppress_hash "$TMP/supp.key" ann.access@example.com)" "addr_hmac is the HMAC of the normalized address"

# --- extension -----------------------------------------------------------------
run M request extend "$R_2026_01_31" --reason "several systems to search"
is "$RC" 65 "extend after the due date: refused with 65"
like "$ERR" "due date 2026-02-28 has passed" "... the message names the passed due date"
is "$(sql "SELECT extended_to IS NULL FROM dsr_requests WHERE id = $R_2026_01_31")" t "... nothing written"

run M request add bob.rect@example.com --kind rectification --channel post
is "$RC" 0 "request add without --received (today) exits 0"
bob_req=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
is "$(sql "SELECT received_on || ' ' || due_on || ' ' || channel FROM dsr_requests WHERE id = $bob_req")" \
    "$TODAY $(oracle "$TODAY" 1) post" "received today (UTC), due in one month, channel post"
run M request extend "$bob_req"
is "$RC" 65 "extend without --reason: 65"
like "$ERR" "reason" "... the message names the reason"
run M request extend "$bob_req" --reason "$(printf 'line\r\ninjected')"
is "$RC" 65 "extend with CR LF in the reason: 65"
run M request extend "$bob_req" --reason "$(printf 'bad \xff utf8')"
is "$RC" 65 "extend with a non-UTF-8 reason: 65"
run M request extend "$bob_req" --reason "ask bob.rect@example.com again"
is "$RC" 65 "extend with an address in the reason: 65"
run M request extend "$bob_req" --reason "$(head -c 501 /dev/zero | tr '\0' x)"
is "$RC" 65 "extend with a 501-byte reason: 65"
is "$(sql "SELECT extended_to IS NULL FROM dsr_requests WHERE id = $bob_req")" t "... none of them wrote anything"
run M request extend "$bob_req" --reason "records held by two departments"
is "$RC" 0 "extend before the due date: exit 0" || diag "$ERR"
want=$(oracle "$TODAY" 3)
like "$OUT" "extended: due $want" "... new due date received + 3 months ($want, dateutil)"
is "$(sql "SELECT extended_to || '|' || extend_reason || '|' || (extended_at IS NOT NULL) FROM dsr_requests WHERE id = $bob_req")" \
    "$want|records held by two departments|true" "... stored with its reason and time"
run M request extend "$bob_req" --reason "once more"
is "$RC" 65 "a second extension: refused with 65"
like "$ERR" "already extended" "... says it is already extended"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'request.extend' AND object = 'request:$bob_req'")" 1 \
    "one audit entry request.extend"

# on the due date itself an extension is still in time (a receipt day whose due date is today)
DUE_TODAY=$(/usr/bin/python3 -c 'import datetime
from dateutil.relativedelta import relativedelta
t = datetime.datetime.now(datetime.timezone.utc).date()
print(next((str(t - datetime.timedelta(days=n)) for n in range(27, 32)
            if t - datetime.timedelta(days=n) + relativedelta(months=1) == t), ""))')
if [ -n "$DUE_TODAY" ]; then
    run M request add bob.rect@example.com --kind access --received "$DUE_TODAY"
    like "$OUT" "due $TODAY\$" "received $DUE_TODAY is due today"
    id=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
    run M request extend "$id" --reason "asked on the last day"
    is "$RC" 0 "extend on the due date itself: exit 0"
    run M request done "$id"
else
    ok 0 "received N days ago is due today # SKIP no receipt day is due today"
    ok 0 "extend on the due date itself # SKIP no receipt day is due today"
fi

# two extensions at once: the row lock lets exactly one through
run M request add bob.rect@example.com --kind access
race=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
M request extend "$race" --reason "first" > /dev/null 2>&1 &
p1=$!
M request extend "$race" --reason "second" > /dev/null 2>&1 &
p2=$!
wait "$p1"; r1=$?
wait "$p2"; r2=$?
is "$(printf '%s\n' "$r1" "$r2" | sort | tr '\n' ' ')" "0 65 " "two concurrent extensions: one succeeds, one is refused"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'request.extend' AND object = 'request:$race'")" 1 \
    "... one audit entry"
run M request done "$race"

# --- an address mailout does not know ----------------------------------------
run M request add Nobody.Known@example.org --kind access --channel web
is "$RC" 0 "a request for an unknown address is recorded"
unk_req=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
is "$(sql "SELECT contact_id IS NULL FROM dsr_requests WHERE id = $unk_req")" t "... without a contact"
is "$(sql "SELECT addr_hmac FROM dsr_requests WHERE id = $unk_req")" \
    "$(suppress_hash "$TMP/supp.key" nobody.known@example.org)" "... by the keyed hash of its address"

# --- list ------------------------------------------------------------------------
run M request list --json
is "$RC" 0 "request list --json exits 0"
is "$(printf '%s' "$OUT" | json_get 'len(d)')" "$(nreq)" "... one object per request"
is "$(printf '%s' "$OUT" | json_get "[r for r in d if r['id'] == $R_2026_01_31][0]['email']")" "Ann.Access@Example.com" \
    "... a live contact's address"
is "$(printf '%s' "$OUT" | json_get "[r for r in d if r['id'] == $unk_req][0]['subject'] + ' ' + str([r for r in d if r['id'] == $unk_req][0]['email'])")" \
    "unknown None" "... an unknown address: subject unknown, no address"
is "$(printf '%s' "$OUT" | json_get "[r for r in d if r['id'] == $bob_req][0]['extended_to']")" "$(oracle "$TODAY" 3)" \
    "... the extension"
run M request list --overdue --json
is "$(printf '%s' "$OUT" | json_get 'sorted(r["id"] for r in d)')" "[$R_2026_01_31, $R_2026_01_30, $R_2026_02_28]" \
    "list --overdue: exactly the three requests received in January and February"
days=$(/usr/bin/python3 -c "import datetime; print((datetime.date.fromisoformat('$TODAY') - datetime.date(2026, 2, 28)).days)")
is "$(printf '%s' "$OUT" | json_get "[r for r in d if r['id'] == $R_2026_01_31][0]['days_left']")" "-$days" \
    "... days_left is minus the days overdue"
run M request list
like "$OUT" "Ann.Access@Example.com" "text list shows the live contact's address"
like "$OUT" "\[unknown [0-9a-f]{12}\]" "text list shows the hash prefix for an unknown address"
like "$OUT" "$days days overdue" "text list shows the days overdue"

# --- export closes the access request ---------------------------------------------
run M request done "$R_2026_01_30"
is "$RC" 0 "request done exits 0"
is "$(sql "SELECT closed_via || ' ' || (closed_audit_id = (SELECT id FROM audit_log WHERE action = 'request.done' AND object = 'request:$R_2026_01_30')) FROM dsr_requests WHERE id = $R_2026_01_30")" \
    "manual true" "... closed manually, linked to its audit entry"
run M request done "$R_2026_01_30"
is "$RC" 65 "request done on a closed request: 65"
run M export Ann.Access@Example.com
is "$RC" 0 "export exits 0"
is "$(printf '%s' "$OUT" | json_get 'sorted(d["closed_requests"])')" "[$R_2026_01_31, $R_2026_02_28]" \
    "export closes the open access requests and says so in the JSON"
is "$(sql "SELECT count(*) FROM dsr_requests r JOIN audit_log a ON a.id = r.closed_audit_id WHERE r.closed_via = 'export' AND a.action = 'contact.export' AND a.object = 'contact:$ann' AND r.state = 'done' AND r.closed_by LIKE 'cli:%'")" 2 \
    "... both closed via export, linked to the contact.export audit entry"
is "$(sql "SELECT state FROM dsr_requests WHERE id = $unk_req")" open "... another person's access request stays open"

# --- erase closes the erasure request; no address afterwards ----------------------
run M request add carl.erase-dsr@example.com --kind erasure --received "$TODAY"
carl_req=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
carl=$(sql "SELECT id FROM contacts WHERE email_norm = 'carl.erase-dsr@example.com'")
run M request add carl.erase-dsr@example.com --kind access --received "$TODAY"
carl_acc=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
serve_stop
run M erase carl.erase-dsr@example.com
is "$RC" 0 "erase exits 0" || diag "$ERR"
like "$ERR" "closed request $carl_req" "erase says which request it closed"
is "$(sql "SELECT state || ' ' || closed_via || ' ' || (closed_audit_id = (SELECT id FROM audit_log WHERE action = 'contact.erase' AND object = 'contact:$carl')) FROM dsr_requests WHERE id = $carl_req")" \
    "done erase true" "... closed via erase, linked to the contact.erase audit entry"
is "$(sql "SELECT state || ' ' || contact_id FROM dsr_requests WHERE id = $carl_acc")" "open $carl" \
    "... the access request stays open, still naming the tombstone"
is "$(pg_dump --data-only --table=dsr_requests mailout | grep -ciF 'carl')" 0 "pg_dump --data-only of dsr_requests: no address"
is "$(pg_dump --data-only mailout | grep -ciF 'carl.erase')" 0 "... nor anywhere in the dump (audit log included)"
run M request list --json
is "$(printf '%s' "$OUT" | json_get "[r['subject'] + ' ' + str(r['email']) for r in d if r['id'] == $carl_acc][0]")" "erased None" \
    "list: an erased person's request shows no address"
run M request list
like "$OUT" "\[erased\]" "text list shows [erased]"
run M request add carl.erase-dsr@example.com --kind access --received "$TODAY"
is "$RC" 0 "a new request from the erased address is recorded"
is "$(sql "SELECT contact_id FROM dsr_requests ORDER BY id DESC LIMIT 1")" "$carl" "... under the tombstone"

# --- an objection closes the objection request ---------------------------------
run M request add dora.object@example.com --kind objection --received "$TODAY"
dora_req=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
run M request add eve.topic@example.com --kind objection --received "$TODAY"
eve_req=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
run M unsubscribe eve.topic@example.com --topic news
is "$(sql "SELECT state FROM dsr_requests WHERE id = $eve_req")" open "a withdrawal of one topic closes no objection request"
run M unsubscribe dora.object@example.com
is "$RC" 0 "unsubscribe without --topic exits 0"
like "$ERR" "closed request $dora_req" "... says which request it closed"
dora=$(sql "SELECT id FROM contacts WHERE email_norm = 'dora.object@example.com'")
is "$(sql "SELECT closed_via || ' ' || (closed_audit_id = (SELECT max(id) FROM audit_log WHERE action = 'consent.object' AND object = 'contact:$dora')) FROM dsr_requests WHERE id = $dora_req")" \
    "objection true" "... closed via objection, linked to the consent.object audit entry"
is "$(sql "SELECT count(*) FROM audit_log WHERE action = 'request.close' AND object IN ('request:$dora_req', 'request:$carl_req', 'request:$R_2026_01_31')")" 3 \
    "every closing is audited (request.close)"

# --- /metrics and doctor ----------------------------------------------------------
overdue=$(sql "SELECT count(*) FROM dsr_requests WHERE state = 'open' AND COALESCE(extended_to, due_on) < (now() AT TIME ZONE 'UTC')::date")
run M request add Nobody.Known@example.org --kind rectification --received 2026-03-31
late=$(printf '%s' "$OUT" | sed -E 's/^request ([0-9]+).*/\1/')
like "$OUT" "due 2026-04-30" "received 2026-03-31: due 2026-04-30"
open=$(sql "SELECT count(*) FROM dsr_requests WHERE state = 'open'")
is "$overdue" 0 "before: no open request overdue (the January ones were answered)"
start_serve
MET=$(curl -s --max-time 10 "$BASE/metrics")
like "$MET" "mailout_dsr_overdue 1" "/metrics: mailout_dsr_overdue 1"
like "$MET" "mailout_dsr_open $open" "/metrics: mailout_dsr_open $open"
like "$MET" "# TYPE mailout_dsr_overdue gauge" "... a gauge"
run M doctor
ldays=$(/usr/bin/python3 -c "import datetime; print((datetime.date.fromisoformat('$TODAY') - datetime.date(2026, 4, 30)).days)")
like "$OUT" "^warning: 1 data-subject request overdue \(GDPR Art. 12\(3\)\): $late \(rectification, $ldays days\)" \
    "doctor warns, naming the id and the days overdue"
run M request done "$late"
run M doctor
like "$OUT" "ok: no data-subject request overdue" "after it is answered: doctor ok"

# --- bad input --------------------------------------------------------------------
n=$(nreq)
run M request add ann.access@example.com --kind complaint
is "$RC:$(nreq)" "65:$n" "bad --kind: 65, nothing written"
like "$ERR" "invalid --kind 'complaint'" "... naming the option and value"
run M request add ann.access@example.com --kind access --received 2026-02-30
is "$RC:$(nreq)" "65:$n" "--received 2026-02-30: 65, nothing written"
like "$ERR" "invalid --received '2026-02-30': not a real date" "... not a real date"
run M request add ann.access@example.com --kind access --received "$TOMORROW"
is "$RC:$(nreq)" "65:$n" "--received tomorrow: 65, nothing written"
like "$ERR" "in the future" "... in the future"
run M request add ann.access@example.com --kind access --channel fax
is "$RC:$(nreq)" "65:$n" "bad --channel: 65"
run M request add "$(printf 'a@b.example\r\nBcc: x@y.example')" --kind access
is "$RC:$(nreq)" "65:$n" "an address with CR LF: 65"
run M request add ann.access@example.com
is "$RC" 64 "request add without --kind: usage 64"
run M request extend 999999 --reason "no such request"
is "$RC" 66 "extend an unknown id: 66"
run M request done 999999
is "$RC" 66 "done an unknown id: 66"
run M request done "1; DROP TABLE dsr_requests"
is "$RC" 65 "done with a malformed id: 65"
run M request done 99999999999999999999999
is "$RC" 65 "done with an id beyond 64 bits: 65"
run M request done 0
is "$RC" 65 "done with id 0: 65"
run M request add "$(head -c 100000 /dev/zero | tr '\0' a)@example.com" --kind access
is "$RC:$(nreq)" "65:$n" "a 100 kB address: 65, nothing written"
run M request add ann.access@example.com --kind access --received $'2026-01-31\n'
is "$RC:$(nreq)" "65:$n" "--received with a trailing newline: 65"
is "$(sql "SELECT count(*) FROM audit_log WHERE action LIKE 'request.%' AND (object LIKE '%@%' OR detail::text LIKE '%@%')")" 0 \
    "no request audit entry holds an address"

done_testing
