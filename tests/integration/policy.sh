#!/bin/bash
# policy.sh - policy show and policy set against a real PostgreSQL: the
# table and --json views, a fallback to '*', every kind of key, the audit
# entry of each change, bad input changing nothing, and a new country row
# copied from '*'.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 69

write_conf "suppression_key_file = $TMP/supp.key"
"$MAILOUT" db migrate > /dev/null 2>&1
me="cli:$(id -un)"
audits() { sql "SELECT count(*) FROM audit_log"; }
# audit_is ACTOR|ACTION|OBJECT DETAIL-JSON: "ok" when the latest entry is exactly that
audit_is() {
    sql "SELECT CASE WHEN actor || '|' || action || '|' || object = '$1' AND detail - 'host' = '$2'::jsonb THEN 'ok'
         ELSE actor || '|' || action || '|' || object || '|' || detail::text END FROM audit_log ORDER BY seq DESC LIMIT 1"
}
policy_dump() { sql "SELECT string_agg(p::text, ';' ORDER BY country) FROM policy p"; }
col() { sql "SELECT $2::text FROM policy WHERE country = '$1'"; }

run "$MAILOUT" policy set --help
like "$OUT" "^usage: mailout policy set COUNTRY KEY VALUE" "policy set --help shows its usage"
like "$OUT" "existing_customer_months +0-24" "and lists the keys with their values"

# --- show ---
run "$MAILOUT" policy show
is "$RC" 0 "policy show exits 0"
rows=$(sql "SELECT count(*) FROM policy")
is "$(printf '%s\n' "$OUT" | grep -cE '^([A-Z]{2}|\*) ')" "$rows" "one table row per country"
like "$(printf '%s\n' "$OUT" | sed -n 2p)" '^\* +16 +24 +0 +false +true +24 +0 +0 +0 +false +topic +Advertisement$' \
    "the '*' row comes first with its values"
like "$OUT" '^US +13 +24 +0 +false ' "the US row: consent age 13, opt-out regime off"
like "$(printf '%s\n' "$OUT" | head -n1)" '^COUNTRY +AGE +CUSTOMER' "a header names the columns"
like "$OUT" 'CUSTOMER existing_customer_months' "a legend maps headings to keys"

run "$MAILOUT" policy show de
is "$RC" 0 "policy show COUNTRY (lower case) exits 0"
is "$(printf '%s\n' "$OUT" | grep -cE '^([A-Z]{2}|\*) ')" 1 "shows one row"
like "$OUT" '^DE +16 +24 ' "the country's own row"
unlike "$OUT" 'falls back|no policy of its own' "no fallback note for a country with a row"

run "$MAILOUT" policy show BR
is "$RC" 0 "policy show for a country without a row exits 0"
like "$(printf '%s\n' "$OUT" | head -n1)" "^BR has no policy of its own: the '\*' policy applies$" \
    "says it falls back to '*'"
like "$OUT" '^\* +16 +24 ' "and shows the '*' row"

run "$MAILOUT" policy show XY
is "$RC" 65 "an unassigned country code exits 65"
like "$ERR" "invalid country 'XY'" "and names it"
run "$MAILOUT" policy show DEU
is "$RC" 65 "a three-letter code exits 65"

json() { /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
run "$MAILOUT" policy show --json
is "$RC" 0 "policy show --json exits 0"
is "$(printf '%s' "$OUT" | json 'len(d)')" "$rows" "--json: one object per row"
is "$(printf '%s' "$OUT" | json '",".join(d[0].keys())')" \
    "country,consent_age,existing_customer_months,inquiry_months,opt_out_regime,double_opt_in,consent_lapse_months,frequency_cap_day,frequency_cap_week,frequency_cap_month,opt_out_label,charity_soft_opt_in,one_click_scope,note" \
    "--json: every key, in order"
is "$(printf '%s' "$OUT" | json '[ (o["consent_age"], o["opt_out_regime"], o["opt_out_label"]) for o in d if o["country"] == "CA"]')" \
    "[(16, False, 'Advertisement')]" "--json: typed values (numbers, booleans, strings)"
run "$MAILOUT" --json policy show br
is "$(printf '%s' "$OUT" | json '[(o["country"], o["fallback_for"]) for o in d]')" "[('*', 'BR')]" \
    "--json for a country without a row: the '*' row, marked fallback_for"

# --- set: each kind of key, each audited ---
run "$MAILOUT" policy set DE consent_age 14
is "$RC|$OUT" "0|policy DE: consent_age 16 -> 14" "set an integer key"
is "$(col DE consent_age)" 14 "stored"
is "$(audit_is "$me|policy.set|policy:DE" '{"key": "consent_age", "old": 16, "new": 14}')" ok \
    "audited: policy.set, the country, key, old and new"

run "$MAILOUT" policy set us opt_out_regime true
is "$RC|$(col US opt_out_regime)" "0|true" "set a boolean key (country in lower case)"
is "$(audit_is "$me|policy.set|policy:US" '{"key": "opt_out_regime", "old": false, "new": true}')" ok \
    "the boolean change is audited"

run "$MAILOUT" policy set US opt_out_label "Advertisement from ACME"
is "$RC|$(col US opt_out_label)" "0|Advertisement from ACME" "set the text key"
is "$(audit_is "$me|policy.set|policy:US" '{"key": "opt_out_label", "old": "Advertisement", "new": "Advertisement from ACME"}')" ok \
    "the text change is audited"

for kv in "existing_customer_months 0" "inquiry_months 6" "double_opt_in false" \
    "consent_lapse_months 120" "frequency_cap_day 2" "frequency_cap_week 5" \
    "frequency_cap_month 12" "charity_soft_opt_in true" "one_click_scope all"; do
    set -- $kv
    run "$MAILOUT" policy set GB "$1" "$2"
    is "$RC|$(col GB "$1")" "0|$2" "set GB $1 $2"
done

run "$MAILOUT" policy set '*' consent_age 18
is "$RC|$(col '*' consent_age)" "0|18" "set a key of '*'"
is "$(audit_is "$me|policy.set|policy:*" '{"key": "consent_age", "old": 16, "new": 18}')" ok \
    "a change of '*' is audited"

# --- bad input changes nothing ---
before_dump=$(policy_dump)
before_audit=$(audits)
bad() { # bad EXPECTED-RC ERR-REGEX COUNTRY KEY VALUE
    local want=$1 re=$2
    shift 2
    run "$MAILOUT" policy set "$@"
    is "$RC" "$want" "policy set $1 $2 (bad) exits $want"
    like "$ERR" "$re" "and says why: $re"
}
bad 65 "existing_customer_months: an integer from 0 to 24 .*never lengthened beyond 24" DE existing_customer_months 25
bad 65 "consent_age: an integer from 13 to 18" DE consent_age 12
bad 65 "inquiry_months: an integer from 0 to 6" CA inquiry_months 7
bad 65 "opt_out_regime: true or false" US opt_out_regime yes
bad 65 "frequency_cap_week: an integer from 0" DE frequency_cap_week 1.5
bad 65 "opt_out_label: 1 to 200 characters" US opt_out_label "$(printf 'two\nlines')"
bad 65 "one_click_scope: topic or all" DE one_click_scope everything
bad 65 "unknown policy key 'note'" DE note x
bad 65 "invalid country 'XX'" XX consent_age 16
is "$(printf '%s\n' "$ERR" | head -n1 | grep -c .)" 1 "the error is one line"
is "$(policy_dump)|$(audits)" "$before_dump|$before_audit" "refused changes leave policy and audit log as they were"
run "$MAILOUT" policy set DE consent_age
is "$RC" 64 "a missing value is a usage error"

# --- a new country row copies '*' ---
run "$MAILOUT" policy set br frequency_cap_day 3
is "$RC" 0 "set for a country without a row"
like "$OUT" "policy BR created as a copy of '\*'" "says the row was created"
is "$(sql "SELECT consent_age || ',' || existing_customer_months || ',' || opt_out_label || ',' || frequency_cap_day FROM policy WHERE country = 'BR'")" \
    "18,24,Advertisement,3" "the new row copies '*' (as changed above) and sets the key"
is "$(audit_is "$me|policy.set|policy:BR" '{"key": "frequency_cap_day", "old": 0, "new": 3, "created_from": "*"}')" ok \
    "the creation and the change are one audit entry"
run "$MAILOUT" policy show BR
unlike "$OUT" "no policy of its own" "BR now shows its own row"

# the application role may change policies (sql/0010 grants INSERT and UPDATE)
write_conf "suppression_key_file = $TMP/supp.key" "db_role = mailout_app"
run "$MAILOUT" policy set ar consent_age 13
is "$RC" 0 "policy set works as mailout_app"
is "$(col AR consent_age)|$(sql "SELECT actor FROM audit_log ORDER BY seq DESC LIMIT 1")" "13|$me" \
    "the row is created and audited under the application role"

done_testing
