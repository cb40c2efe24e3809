#!/bin/bash
# template.sh - template add against a real PostgreSQL: a stored marketing
# template with its audit entry, and every refusal (name, subject, syntax,
# encoding, size, missing file, duplicate) leaving templates and the audit
# log as they were.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 39

write_conf "suppression_key_file = $TMP/supp.key"
"$MAILOUT" db migrate > /dev/null 2>&1
me="cli:$(id -un)"
state() { sql "SELECT (SELECT count(*) FROM templates) || '/' || (SELECT count(*) FROM audit_log)"; }
cd "$TMP" || exit 1
run "$MAILOUT" template add --help
like "$OUT" "^usage: mailout template add NAME --subject TEXT --text FILE" "template add --help shows its usage"

printf 'Hello {{name}},\n{{#attr.vip}}VIP offer\n{{/attr.vip}}Unsubscribe: {{unsubscribe_url}}\n{{postal_address}}\n' > news.txt
printf '<p>Hello {{name}}</p>\n<p><a href="{{unsubscribe_url}}">unsubscribe</a> {{postal_address}}</p>\n' > news.html

run "$MAILOUT" template add spring-2026 --subject 'Spring offers for {{name}}' --text news.txt --html news.html
is "$RC" 0 "template add exits 0"
is "$OUT" "template spring-2026 added" "prints one line"
is "$(sql "SELECT kind || '|' || locale || '|' || subject FROM templates WHERE name = 'spring-2026'")" \
    "marketing|en|Spring offers for {{name}}" "stored as a marketing template with its subject"
is "$(sql "SELECT text_body FROM templates WHERE name = 'spring-2026'")" "$(cat news.txt)" "the text part is stored verbatim"
is "$(sql "SELECT html_body FROM templates WHERE name = 'spring-2026'")" "$(cat news.html)" "the html part is stored verbatim"
id=$(sql "SELECT id FROM templates WHERE name = 'spring-2026'")
tsum=$(sha256sum < news.txt | cut -d' ' -f1)
hsum=$(sha256sum < news.html | cut -d' ' -f1)
tlen=$(wc -c < news.txt)
hlen=$(wc -c < news.html)
is "$(sql "SELECT CASE WHEN actor = '$me' AND action = 'template.add' AND object = 'template:spring-2026'
      AND detail - 'host' = '{\"id\": $id, \"kind\": \"marketing\", \"locale\": \"en\", \"text\": {\"bytes\": $tlen, \"sha256\": \"$tsum\"},
                     \"html\": {\"bytes\": $hlen, \"sha256\": \"$hsum\"}}'::jsonb THEN 'ok'
      ELSE actor || '|' || action || '|' || object || '|' || detail::text END FROM audit_log ORDER BY seq DESC LIMIT 1")" ok \
    "audited: template.add, the name, id, kind, locale, sizes and checksums (never the bodies)"

run "$MAILOUT" --json template add plain.v1 --subject 'News' --text news.txt
is "$RC" 0 "a template without html"
is "$(printf '%s' "$OUT" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["template"], d["id"] > 0)')" \
    "plain.v1 True" "--json prints the name and id"
is "$(sql "SELECT html_body IS NULL FROM templates WHERE name = 'plain.v1'")" t "no html part stored"

printf 'Hello {{name}}\n{{unsubscribe_url}} {{postal_address}}\n' |
    "$MAILOUT" template add from-stdin --subject 'Hi' --text - > "$TMP/o" 2>&1
is "$?|$(cat "$TMP/o")" "0|template from-stdin added" "the text part may come from standard input"

# --- refusals change nothing ---
before=$(state)
refuse() { # refuse RC ERR-REGEX NAME ARGS...
    local want=$1 re=$2 what=$3
    shift 3
    run "$MAILOUT" template add "$@"
    is "$RC" "$want" "$what: exits $want"
    like "$(printf '%s\n' "$ERR" | head -n1)" "$re" "$what: says why"
}
refuse 65 "template 'spring-2026' already exists" "duplicate name" spring-2026 --subject x --text news.txt
refuse 65 "invalid template name 'Spring'" "upper-case name" Spring --subject x --text news.txt
refuse 65 "invalid template name" "name starting with '-'" _x --subject x --text news.txt
refuse 65 "invalid --subject: it must be one line" "subject with LF" a1 --subject "$(printf 'a\nBcc: x@y.example')" --text news.txt
refuse 65 "invalid --subject: it must be one line" "subject with CR" a1 --subject "$(printf 'a\rb')" --text news.txt
refuse 65 "template subject: 1:4: unclosed section 'x'" "subject syntax error" a1 --subject 'Hi {{#x}}' --text news.txt
printf 'line one\nline {{#attr.vip}} two\n' > bad.txt
refuse 65 "template text part 'bad.txt': 2:6: unclosed section 'attr.vip'" "text syntax error" a1 --subject x --text bad.txt
printf '<p>{{name</p>\n' > bad.html
refuse 65 "template html part 'bad.html': 1:4: " "html syntax error" a1 --subject x --text news.txt --html bad.html
printf 'caf\xe9\n' > latin1.txt
refuse 65 "template text part 'latin1.txt': not valid UTF-8" "a part that is not UTF-8" a1 --subject x --text latin1.txt
head -c 1048577 /dev/zero | tr '\0' a > big.txt
refuse 65 "larger than|too large|1048576" "a part over 1 MiB" a1 --subject x --text big.txt
: > empty.txt
refuse 65 "template text part 'empty.txt': empty" "an empty text part" a1 --subject x --text empty.txt
refuse 66 "cannot read template text part 'missing.txt'" "a missing text file" a1 --subject x --text missing.txt
refuse 66 "cannot read template html part 'missing.html'" "a missing html file" a1 --subject x --text news.txt --html missing.html
run "$MAILOUT" template add a1 --text news.txt
is "$RC" 64 "--subject is required (usage error)"
is "$(state)" "$before" "no refused template was stored or audited"

done_testing
