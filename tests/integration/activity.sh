#!/bin/bash
# activity.sh - web activity is kept only for contacts with a current
# tracking consent (RULES.md R-EP-6): other rows are dropped, counted and
# stored nowhere (pg_dump proves it); a withdrawal, an objection or an
# expiry deletes the contact's activity; maintenance applies
# activity_retention; bad rows name FILE:LINE and change nothing.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 37

conf() { write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH" "$@"; }
conf
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
dump() { pg_dump --data-only --no-owner mailout 2>&1; }
state() { dump | grep -v -e '^--' -e '^$' -e '^\\' | md5sum; }
rows_of() { sql "SELECT count(*) FROM web_activity w JOIN contacts c ON c.id = w.contact_id WHERE c.email_norm = '$1'"; }

printf 'I agree that my viewed products and downloads are used for offers. I can withdraw at any time.\n' > "$TMP/tracking.txt"
tracking_text=$("$MAILOUT" consent-text add tracking "$TMP/tracking.txt")
cat > "$TMP/contacts.csv" <<CSV
email,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
t1@example.com,tracking,2026-01-01T10:00:00Z,web form,$tracking_text,192.0.2.1
t2@example.com,tracking,2026-01-01T10:00:00Z,web form,$tracking_text,192.0.2.2
t3@example.com,tracking,2026-01-01T10:00:00Z,web form,$tracking_text,192.0.2.3
n1@example.com,,,,,
CSV
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts with tracking consent imported"
contacts_before=$(sql "SELECT count(*) FROM contacts")

# 1. R-EP-6: 10 rows, 4 without tracking consent (2 of a known contact, 2 of an unknown one)
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
cat > "$TMP/activity.csv" <<CSV
email,kind,item,at
t1@example.com,view,P-100,$now
t1@example.com,view,P-200,$now
t1@example.com,download,DOC-manual-7,$now
T2@Example.com,view,P-100,$now
t2@example.com,download,DOC-sheet-1,$now
t3@example.com,view,V-1,$now
n1@example.com,view,SECRET-ITEM-N1-A,$now
n1@example.com,download,SECRET-ITEM-N1-B,$now
stranger@example.com,view,SECRET-ITEM-U1-A,$now
stranger@example.com,view,SECRET-ITEM-U1-B,$now
CSV
run "$MAILOUT" activity import "$TMP/activity.csv"
is "$RC" 0 "activity import exits 0 although rows were dropped"
is "$OUT" "loaded 6, rejected 0, suppressed 0, dropped 4: no tracking consent (2 of them for unknown contacts); 6 rows stored, 0 already stored or repeated" \
    "summary: 6 stored, 4 dropped for want of tracking consent"
is "$(sql "SELECT count(*) FROM web_activity")" 6 "6 rows stored"
is "$(sql "SELECT count(*) FROM contacts")" "$contacts_before" "no contact created from activity"
d=$(dump)
unlike "$d" "SECRET-ITEM" "the dropped rows' items are stored nowhere, audit log included (pg_dump)"
unlike "$d" "stranger@example.com" "the unknown address is stored nowhere"
like "$(sql "SELECT detail::text FROM audit_log WHERE action = 'activity.import'")" '"dropped": 4' "the audit entry holds counts only"

run "$MAILOUT" activity import "$TMP/activity.csv"
is "$RC:$OUT" "0:loaded 0, rejected 0, suppressed 0, dropped 4: no tracking consent (2 of them for unknown contacts); 0 rows stored, 6 already stored or repeated" \
    "re-importing the same file stores nothing twice"
is "$(sql "SELECT count(*) FROM web_activity")" 6 "still 6 rows"

# 2. a tracking consent that ends takes the activity with it
run "$MAILOUT" unsubscribe t1@example.com --topic tracking
is "$RC" 0 "unsubscribe --topic tracking"
is "$(rows_of t1@example.com)" 0 "withdrawal deleted t1's activity"
is "$(rows_of t2@example.com)" 2 "t2's activity untouched"
run "$MAILOUT" unsubscribe t2@example.com
is "$RC" 0 "unsubscribe without --topic (objection)"
is "$(rows_of t2@example.com)" 0 "objection deleted t2's activity"
unlike "$(dump)" "DOC-manual-7|DOC-sheet-1" "their items are gone from the database"
run "$MAILOUT" activity import "$TMP/activity.csv"
is "$OUT" "loaded 0, rejected 0, suppressed 0, dropped 9: no tracking consent (2 of them for unknown contacts); 0 rows stored, 1 already stored or repeated" \
    "after withdrawal and objection their rows are dropped"
is "$(rows_of t1@example.com):$(rows_of t2@example.com)" "0:0" "and not stored again"
t3=$(sql "SELECT id FROM contacts WHERE email_norm = 't3@example.com'")
sql "INSERT INTO consent_events (contact_id, topic_id, kind, source, channel, actor) SELECT $t3, id, 'expired', 'test', 'test', 'test' FROM topics WHERE name = 'tracking'" > /dev/null
is "$(rows_of t3@example.com)" 0 "an expired tracking consent deletes the activity too"
sql "INSERT INTO consent_events (contact_id, topic_id, kind, note, source, channel, actor, consent_text_id, consent_text_sha256) SELECT $t3, t.id, 'granted', 'test', 'test', 'test', 'test', ct.id, ct.sha256 FROM topics t JOIN consent_texts ct ON ct.topic_id = t.id WHERE t.name = 'tracking'" > /dev/null

# 3. retention
old=$(date -u -d '-40 days' +%Y-%m-%dT%H:%M:%SZ)
printf 'email,kind,item,at\nt3@example.com,view,OLD-1,%s\nt3@example.com,view,OLD-2,%s\nt3@example.com,view,NEW-1,%s\n' "$old" "$old" "$now" > "$TMP/old.csv"
run "$MAILOUT" activity import "$TMP/old.csv"
is "$RC:$(rows_of t3@example.com)" "0:3" "a renewed consent lets activity in again"
run "$MAILOUT" maintenance --json
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["activity_deleted"])')" 0 \
    "nothing is older than the default activity_retention (180d)"
conf "activity_retention = 30d"
run "$MAILOUT" maintenance
is "$RC" 0 "maintenance with activity_retention = 30d"
like "$OUT" "deleted 2 web activity rows older than activity_retention" "maintenance prints the count"
is "$(sql "SELECT string_agg(item, ',' ORDER BY item) FROM web_activity")" "NEW-1" "older rows gone, newer kept"
is "$(sql "SELECT detail->>'deleted' FROM audit_log WHERE action = 'maintenance.purge_activity' ORDER BY seq DESC LIMIT 1")" 2 \
    "the count is in the audit log"
conf "activity_retention = soon"
run "$MAILOUT" maintenance
is "$RC" 65 "a bad activity_retention is refused"
like "$ERR" "activity_retention" "naming the key"
conf

# 4. bad rows: FILE:LINE, nothing changed; dropped rows still counted
before=$(state)
printf 'email,kind,item,at\nt3@example.com,click,P-1,%s\nt3@example.com,view,,%s\nt3@example.com,view,"a\r\nb",%s\nt3@example.com,view,P-1,yesterday\nn1@example.com,view,SECRET-ITEM-N1-C,%s\nt3@example.com,view,OK-1,%s\n' \
    "$now" "$now" "$now" "$now" "$now" > "$TMP/bad.csv"
/usr/bin/python3 -c 'import sys; sys.stdout.write("t3@example.com,view," + "y" * 201 + ",2026-01-01\nt3@example.com,view,nul\0x,2026-01-01\n")' >> "$TMP/bad.csv"
run "$MAILOUT" activity import "$TMP/bad.csv"
is "$RC" 65 "bad rows fail the import"
like "$ERR" "bad.csv:2: invalid kind 'click': expected view or download" "bad kind named"
like "$ERR" "bad.csv:3: invalid item" "empty item named"
like "$ERR" "bad.csv:4: invalid item" "CRLF in an item named"
like "$ERR" "bad.csv:6: invalid at 'yesterday'" "bad time named"
like "$ERR" "bad.csv:9: invalid item" "an item over 200 bytes named"
like "$ERR" "bad.csv:10: .*NUL" "a NUL byte named"
is "$OUT" "loaded 0, rejected 6, suppressed 0, dropped 1: no tracking consent (0 of them for unknown contacts); nothing loaded" \
    "summary: nothing loaded, the dropped row still counted"
is "$(state)" "$before" "nothing changed in the database"

done_testing
