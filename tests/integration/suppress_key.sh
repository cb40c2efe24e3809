#!/bin/bash
# suppress_key.sh - the suppression list fails closed (defect 1): relative
# paths are read from the configuration file's directory, the database keeps
# the key's fingerprint, a missing or replaced key is refused with exit 69 by
# every command that needs it (never replaced by a new key), and every
# contact carries its keyed hash, older contacts included.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 48

CONF="$TMP/etc"
KEY="$CONF/keys/supp.key"
SERVE_PORT=$(free_port)
BASE="http://127.0.0.1:$SERVE_PORT"
mkdir -p "$CONF/keys" "$TMP/a" "$TMP/b"
# every path relative: read from $CONF whatever the working directory
cat > "$CONF/mailout.conf" <<CONF
suppression_key_file = keys/supp.key
transport = maildir:outbox
legal_entity = ACME GmbH
from = news@shop.example
listen = 127.0.0.1:$SERVE_PORT
base_url = $BASE
CONF
export MAILOUT_CONFIG="$CONF/mailout.conf"

fingerprint() {
    /usr/bin/python3 -c 'import hmac,hashlib,sys; k=bytes.fromhex(open(sys.argv[1]).read().strip()); print(hmac.new(k, b"mailout suppression key fingerprint v1", hashlib.sha256).hexdigest())' "$1"
}
new_key() { /usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))' > "$1"; chmod 600 "$1"; }
contacts() { sql "SELECT count(*) FROM contacts"; }
hmac_of() { sql "SELECT addr_hmac FROM contacts WHERE email_norm = '$1'"; }

run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
"$MAILOUT" topic add news --title "Newsletter" > /dev/null
printf 'Send me the newsletter. I can withdraw my consent at any time.\n' > "$TMP/news.txt"
news=$("$MAILOUT" consent-text add news "$TMP/news.txt")
is "$(sql "SELECT count(*) FROM suppression_key")" 0 "no fingerprint before the key is first used"

# --- first use: the key is created beside the configuration file -------------
cd "$TMP/a" || exit 1
printf 'email,name\nann@example.com,Ann\nBen@Example.COM,Ben\n' > "$TMP/first.csv"
run "$MAILOUT" contact import "$TMP/first.csv"
is "$RC" 0 "first import"
is "$(stat -c %a "$KEY" 2> /dev/null)" 600 "the relative key path is read from the configuration file's directory (mode 0600)"
[ ! -e "$TMP/a/keys" ] && [ ! -e "$TMP/a/suppression.key" ]
ok $? "no key in the working directory"
is "$(sql "SELECT fingerprint FROM suppression_key")" "$(fingerprint "$KEY")" \
    "the database keeps the key's fingerprint"
is "$(sql "SELECT count(*) FROM suppression_key WHERE first_used_at <= now()")" 1 "one row, with the time of first use"
is "$(hmac_of ann@example.com)" "$(suppress_hash "$KEY" ann@example.com)" \
    "an imported contact carries the HMAC of its address under the key"
is "$(hmac_of ben@example.com)" "$(suppress_hash "$KEY" ben@example.com)" \
    "computed over the normalized address"

# --- the same import from another directory still drops a suppressed address
sql "INSERT INTO suppression (addr_hmac, reason) VALUES ('$(suppress_hash "$KEY" kim@example.com)', 'erased')" > /dev/null
cd "$TMP/b" || exit 1
printf 'email\nKim@Example.com\nlee@example.com\n' > supp.csv
run "$MAILOUT" contact import supp.csv
is "$OUT" "loaded 1, rejected 0, suppressed 1, dropped 0: no consent created" \
    "run from another directory, the suppressed address is still dropped"
is "$(sql "SELECT count(*) FROM contacts WHERE email_norm = 'kim@example.com'")" 0 "and not stored"
[ ! -e "$TMP/b/keys" ] && [ ! -e "$TMP/b/suppression.key" ]
ok $? "no new key in that directory"

# the CLI hashes under the same key: an admin's suppression, and contacts it creates
run "$MAILOUT" unsubscribe Max@Example.com --suppress
is "$RC" 0 "unsubscribe --suppress of an unknown address"
is "$(sql "SELECT addr_hmac FROM suppression WHERE reason = 'admin'")" "$(suppress_hash "$KEY" max@example.com)" \
    "the hash it stores is the HMAC of the normalized address under the key"
run "$MAILOUT" subscribe Noa@Example.com --topic news --age-confirmed
is "$RC" 0 "subscribe from the command line"
is "$(hmac_of noa@example.com)" "$(suppress_hash "$KEY" noa@example.com)" \
    "the contact it creates carries the hash"
is "$(find "$CONF/outbox/new" -type f | wc -l)" 1 "maildir:outbox is read from the configuration file's directory"
out=$(sql "INSERT INTO contacts (email, email_norm) VALUES ('x@example.com', 'x@example.com')")
like "$out" "contacts_addr_hmac_present" "a new contact without its hash is refused by the database"

# --- after first use, a missing key is an error, never a new key ------------
mv "$KEY" "$TMP/key.saved"
n=$(contacts)
printf 'email\nnia@example.com\n' > new.csv
run "$MAILOUT" contact import new.csv
is "$RC" 69 "import with the key file gone exits 69"
is "$(echo "$ERR" | head -n1)" \
    "mailout: suppression key '$CONF/keys/supp.key' is missing (key suppression_key_file): the database holds the fingerprint of the key already used, so a new key will not be created; restore the file" \
    "one line naming the file and the key"
is "$(contacts)" "$n" "nothing imported"
[ ! -e "$KEY" ]
ok $? "no new key file created"
unlike "$OUT" "loaded [1-9]" "no summary line claims a load"
run "$MAILOUT" unsubscribe nia@example.com
is "$RC|$(contacts)" "69|$n" "unsubscribe: exit 69, nothing stored"
run "$MAILOUT" subscribe nia@example.com --topic news --age-confirmed
is "$RC|$(contacts)" "69|$n" "subscribe: exit 69, nothing stored"
like "$ERR" "a new key will not be created" "and says so"
run timeout 20 "$MAILOUT" serve
is "$RC" 69 "serve refuses to start (exit 69)"
like "$ERR" "suppression key '.*' is missing \\(key suppression_key_file\\)" "naming the key"
[ ! -e "$KEY" ]
ok $? "still no new key file"

# --- a different key is refused --------------------------------------------
new_key "$KEY"
run "$MAILOUT" contact import new.csv
is "$RC" 69 "import with a different key exits 69"
is "$(echo "$ERR" | head -n1)" \
    "mailout: suppression key '$CONF/keys/supp.key' is not the key already used (key suppression_key_file): its fingerprint differs from the one in the database, so it will not be used and a new key will not be created; restore the original file" \
    "one line naming the file and the key"
is "$(contacts)" "$n" "nothing imported"
run "$MAILOUT" unsubscribe nia@example.com
is "$RC" 69 "unsubscribe with a different key exits 69"
is "$(sql "SELECT fingerprint FROM suppression_key")" "$(fingerprint "$TMP/key.saved")" \
    "the stored fingerprint is unchanged"

# --- a key others can read is refused ----------------------------------------
mv "$TMP/key.saved" "$KEY"
chmod 640 "$KEY"
run "$MAILOUT" contact import new.csv
is "$RC" 65 "a group-readable key is refused"
like "$ERR" "readable by group or others: chmod 600 it \\(key suppression_key_file\\)" "naming the key"
chmod 600 "$KEY"
run "$MAILOUT" contact import new.csv
is "$RC|$(contacts)" "0|$((n + 1))" "the original key restored: the import works"

# --- serve: the key is checked at start and for every confirmation -----------
start_serve
CODE=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' \
    --data "email=ola@example.com&topic=news&consent_text=$news&age_confirmed=yes" "$BASE/subscribe")
is "$CODE" 200 "subscribe over HTTP"
is "$(hmac_of ola@example.com)" "$(suppress_hash "$KEY" ola@example.com)" "the contact carries the hash"
mail=$(grep -l "^To: ola@example.com" "$CONF"/outbox/new/* | tail -n 1)
link=$(mailtool link "$mail")
mv "$KEY" "$TMP/key.saved"
CODE=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --data "confirm=yes" "$link")
is "$CODE" 503 "a confirmation while the key is missing is refused"
state=$(sql "SELECT cc.state FROM consent_current cc JOIN contacts c ON c.id = cc.contact_id WHERE c.email_norm = 'ola@example.com'")
is "$state" "pending" "and records nothing"
[ ! -e "$KEY" ]
ok $? "serve created no new key"
mv "$TMP/key.saved" "$KEY"
CODE=$(curl -s --max-time 10 -o /dev/null -w '%{http_code}' --data "confirm=yes" "$link")
is "$CODE" 200 "with the key back, the same link confirms"
serve_stop

# --- contacts stored before the column get their hash --------------------------
# a database migrated by the previous release (0001-0007), with contacts
as_pg "$PG_BIN/createdb" -h "$PG_DIR" -p "$PGPORT" -U owner old > /dev/null
OLDDB="host=$PG_DIR port=$PGPORT user=owner dbname=old"
mkdir -p "$TMP/old/sql"
for f in "$SRCDIR"/sql/000[1-7]_*.sql; do cp "$f" "$TMP/old/sql/"; done
printf 'data_dir = %s\nsuppression_key_file = old.key\n' "$TMP/old" > "$CONF/old.conf"
MAILOUT_DB=$OLDDB run "$MAILOUT" --config "$CONF/old.conf" db migrate
is "$RC" 0 "migrate an old database to 0007"
PGDATABASE=old sql "INSERT INTO contacts (email, email_norm) VALUES ('Pia@Example.com', 'pia@example.com'), ('quinn@example.com', 'quinn@example.com')" > /dev/null
printf 'data_dir = %s\nsuppression_key_file = old.key\n' "$SRCDIR" > "$CONF/old.conf"
MAILOUT_DB=$OLDDB run "$MAILOUT" --config "$CONF/old.conf" db migrate
is "$RC" 0 "then to the current release"
is "$(PGDATABASE=old sql "SELECT count(*) FROM contacts WHERE addr_hmac IS NULL")" 2 \
    "older contacts have no hash yet"
MAILOUT_DB=$OLDDB run "$MAILOUT" --config "$CONF/old.conf" unsubscribe quinn@example.com
is "$RC" 0 "a command that loads the key"
is "$(PGDATABASE=old sql "SELECT string_agg(email_norm || '=' || addr_hmac, ' ' ORDER BY email_norm) FROM contacts")" \
    "pia@example.com=$(suppress_hash "$CONF/old.key" pia@example.com) quinn@example.com=$(suppress_hash "$CONF/old.key" quinn@example.com)" \
    "fills the hash of every older contact"

done_testing
