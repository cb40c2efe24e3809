#!/bin/bash
# campaign_mail.sh - templates and the campaign message against a real
# PostgreSQL: the standard footer `template add` appends (R-MBP-4,
# R-GDPR-12), reply-like subjects refused (R-MBP-7), and `campaign preview`
# read back with Python's email parser: single-instance headers, the list
# headers (R-2369-1/3, R-8058-1), List-Id, the body link and postal address,
# RFC 2047, line lengths, the footer fallback at render, the advertisement
# label under opt_out_regime (R-US-5), CR/LF refused for headers, base_url
# https except on loopback, and that preview writes nothing.
. "${top_srcdir:-.}/tests/integration/lib.sh"
start_pg
plan 86

BASE=https://mail.shop.example
conf() {
    write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH" \
        "from = Bücher Shop <news@shop.example>" "postal_address = 1 Main St, Springfield" \
        "unsubscribe_mailto = unsubscribe@shop.example" "$@"
}
conf "base_url = $BASE"
run "$MAILOUT" db migrate
is "$RC" 0 "migrate"
"$MAILOUT" topic add news --title "Grüße & News" > /dev/null
printf 'I want the newsletter. I can unsubscribe at any time.\n' > "$TMP/consent.txt"
ct=$("$MAILOUT" consent-text add news "$TMP/consent.txt")
cat > "$TMP/contacts.csv" << EOF
email,name,country,consent_topic,consented_at,consent_source,consent_text_id,consent_ip
jm@example.com,Jürgen Müller,DE,news,2026-01-10T10:00:00Z,form,$ct,192.0.2.1
vip@example.com,Vera,DE,news,2026-01-10T10:00:00Z,form,$ct,192.0.2.1
us@example.com,Sam,US,,,,,
nobasis@example.com,Nobody,DE,,,,,
jp@example.com,Outside,JP,news,2026-01-10T10:00:00Z,form,$ct,192.0.2.1
crlf@example.com,Eve,DE,news,2026-01-10T10:00:00Z,form,$ct,192.0.2.1
EOF
run "$MAILOUT" contact import "$TMP/contacts.csv"
is "$RC" 0 "contacts imported"
sql "UPDATE contacts SET attrs = '{\"vip\": \"yes\"}' WHERE email_norm = 'vip@example.com';
     UPDATE contacts SET name = E'Eve\r\nBcc: x@y.example' WHERE email_norm = 'crlf@example.com'" > /dev/null
"$MAILOUT" policy set US opt_out_regime true > /dev/null
"$MAILOUT" segment create notjp --where "country != 'JP'" > /dev/null
cd "$TMP" || exit 1

# --- template add: the standard footer ---
stored() { sql "SELECT $2 FROM templates WHERE name = '$1'"; }
footer_en=$(cat "$SRCDIR/templates/en/footer.txt")
footer_de=$(cat "$SRCDIR/templates/de/footer.txt")
footer_html=$(cat "$SRCDIR/templates/en/footer.html")

printf 'Hello {{name}}\n{{unsubscribe_url}}\n{{postal_address}}\n' > full.txt
printf '<p>Hello {{name}}</p><p><a href="{{unsubscribe_url}}">unsubscribe</a> {{postal_address}}</p>\n' > full.html
run "$MAILOUT" template add full --subject 'Angebote für {{name}} – Frühling' --text full.txt --html full.html
is "$RC|$ERR" "0|" "a template with the link and address in both parts: no footer, nothing on stderr"
is "$(stored full text_body)" "$(cat full.txt)" "its text part is stored as given"

printf 'Hello {{name}}\nNews of the month.\n' > bare.txt
printf '<html><body><p>Hello {{name}}</p></body></html>\n' > bare.html
run "$MAILOUT" template add bare --subject 'News' --text bare.txt --html bare.html
is "$RC" 0 "a template without link or address is accepted"
is "$(printf '%s\n' "$ERR" | wc -l)" 2 "one line per part on stderr"
like "$(printf '%s\n' "$ERR" | sed -n 1p)" "^template text part 'bare.txt' has no \{\{unsubscribe_url\}\} and no \{\{postal_address\}\}: the standard footer \(en\) is appended" \
    "the text part's line names the part and both missing variables"
like "$(printf '%s\n' "$ERR" | sed -n 2p)" "^template html part 'bare.html' has no \{\{unsubscribe_url\}\} and no" \
    "the html part's line names the html part"
is "$(stored bare text_body)" "$(printf 'Hello {{name}}\nNews of the month.\n\n%s' "$footer_en")" \
    "the stored text part is the template, a blank line and the footer"
is "$(stored bare html_body)" "$(printf '<html><body><p>Hello {{name}}</p>\n%s\n</body></html>' "$footer_html")" \
    "the html footer goes before </body>"
is "$(sql "SELECT detail->'footer' FROM audit_log WHERE action = 'template.add' ORDER BY seq DESC LIMIT 1")" \
    '["text", "html"]' "the audit entry says which parts got the footer"

printf '<p>{{unsubscribe_url}}</p>\n' > nopostal.html
run "$MAILOUT" template add onepart --subject 'News' --text full.txt --html nopostal.html
is "$RC" 0 "only the html part lacks something"
is "$ERR" "template html part 'nopostal.html' has no {{postal_address}}: the standard footer (en) is appended to it" \
    "one line, for the html part, naming the postal address"
is "$(stored onepart text_body)" "$(cat full.txt)" "the complete text part is left alone"
is "$(stored onepart html_body)" "$(printf '<p>{{unsubscribe_url}}</p>\n%s' "$footer_html")" \
    "the html part without </body> ends with the footer"

printf 'Hallo {{name}}\n{{postal_address}}\n' > de.txt
run "$MAILOUT" template add deutsch --subject 'Neuigkeiten' --text de.txt --locale de
is "$RC|$ERR" "0|template text part 'de.txt' has no {{unsubscribe_url}}: the standard footer (de) is appended to it" \
    "a German template without the link: the German footer"
is "$(stored deutsch "locale || '|' || (text_body = E'Hallo {{name}}\\n{{postal_address}}\\n\\n' || \$q\$$footer_de\$q\$ || E'\\n')::text")" \
    "de|true" "stored with locale de, ending with the German footer"
like "$footer_de" "jederzeit kostenlos widersprechen: \{\{unsubscribe_url\}\}" "the German footer states the right to object, free of charge"
like "$footer_en" "at any time, free of charge: \{\{unsubscribe_url\}\}" "the English footer states the right to object, free of charge"
for f in en/footer.txt en/footer.html de/footer.txt de/footer.html; do
    n=0
    for v in unsubscribe_url preferences_url legal_entity postal_address; do
        grep -q "{{$v}}" "$SRCDIR/templates/$f" && n=$((n + 1))
    done
    is "$n" 4 "templates/$f has the four variables"
done

printf 'Hidden {{#attr.vip}}{{unsubscribe_url}}{{/attr.vip}}\n{{postal_address}}\n' > hidden.txt
run "$MAILOUT" template add hidden --subject 'Hidden' --text hidden.txt
is "$RC|$ERR" "0|" "a link inside a section counts as present at template add"

# --- refusals: reply-like subjects, locale ---
before=$(sql "SELECT count(*) || '/' || (SELECT count(*) FROM audit_log) FROM templates")
for subj in 'Re: your order' 'RE:your order' 'Fwd: offer' 'fw : offer' 'AW: Ihre Bestellung' 'wg: Angebot' '  re: x'; do
    run "$MAILOUT" template add replyish --subject "$subj" --text full.txt
    is "$RC|$(printf '%s' "$ERR" | head -n1 | cut -c1-68)" \
        "65|mailout: invalid --subject: a campaign may not pose as a reply or fo" "subject '$subj' refused (R-MBP-7)"
done
run "$MAILOUT" template add badloc --subject 'x' --text full.txt --locale fr
is "$RC|$ERR" "65|mailout: invalid --locale 'fr': en or de" "an unknown locale exits 65"
is "$(sql "SELECT count(*) || '/' || (SELECT count(*) FROM audit_log) FROM templates")" "$before" \
    "nothing stored or audited by the refusals"
run "$MAILOUT" template add reminder --subject 'Reminder: spring sale' --text full.txt
is "$RC" 0 "a subject merely starting with 'Re' is fine"
run "$MAILOUT" template add lu --subject 'List-Unsubscribe: <https://evil.example/u/x>' --text full.txt
is "$RC" 0 "a subject that reads like a header is just a subject"

# --- campaigns ---
for c in full bare onepart hidden lu deutsch; do
    "$MAILOUT" campaign create "c-$c" --topic news --template "$c" --segment notjp > /dev/null ||
        echo "Bail out! campaign create c-$c failed"
done
printf 'Tier {{attr.tier}}\n' > tier.txt
"$MAILOUT" template add tier --subject 'For {{attr.tier}} customers' --text tier.txt 2> /dev/null > /dev/null
"$MAILOUT" campaign create c-tier --topic news --template tier --segment notjp > /dev/null

# parse FILE: one line per fact, from Python's email parser (policy default)
cat > "$TMP/parse.py" << 'EOF'
import email, email.policy, re, sys
raw = open(sys.argv[1], 'rb').read()
m = email.message_from_bytes(raw, policy=email.policy.default)
def count(h): return len(m.get_all(h) or [])
print('single', ' '.join('%s=%d' % (h, count(h)) for h in ('From', 'To', 'Subject', 'Date', 'Message-ID')))
print('lu-count', count('List-Unsubscribe'))
lu = str(m['List-Unsubscribe'] or '')
print('lu', lu)
print('lu-https', len(re.findall(r'<https://', lu)), 'http', len(re.findall(r'<http:', lu)))
print('lu-form', bool(re.fullmatch(r'<https://[^<>\s]+>(, <mailto:[^<>\s]+>)?', lu)))
print('lup', count('List-Unsubscribe-Post'), str(m['List-Unsubscribe-Post'] or '').strip())
print('listid', str(m['List-Id'] or ''))
print('subject', str(m['Subject']))
print('to', str(m['To']))
print('from', str(m['From']))
print('bcc', count('Bcc'))
print('type', m.get_content_type())
t = m.get_body(preferencelist=('plain',))
h = m.get_body(preferencelist=('html',))
text = t.get_content() if t else ''
html = h.get_content() if h else ''
url = re.search(r'<(https://[^>]+)>', lu)
url = url.group(1) if url else 'NONE'
print('url', url)
print('text-url', url in text, 'text-postal', '1 Main St, Springfield' in text)
print('html-url', url in html, 'html-postal', '1 Main St, Springfield' in html)
print('text-objection', text.count('free of charge'), 'html-objection', html.count('free of charge'))
print('text-first', text.splitlines()[0] if text else '')
print('html-ad', 'ADVERTISEMENT' in html.upper() and html.index('Advertisement') < html.index('Hello') if 'Hello' in html else 'Advertisement' in html)
print('text-ad', 'Advertisement' in text)
lines = raw.split(b'\r\n')
print('crlf', b'\n' not in raw.replace(b'\r\n', b'') and b'\r' not in raw.replace(b'\r\n', b''))
print('longest', max(len(l) for l in lines))
print('ascii', all(b < 128 for b in raw))
EOF
parse() { /usr/bin/python3 "$TMP/parse.py" "$1"; }
fact() { printf '%s\n' "$P" | sed -n "s/^$1 //p"; }
dump() { pg_dump --data-only --no-owner mailout 2>&1 | grep -v '^\\\(un\)\?restrict'; }

before=$(dump)
"$MAILOUT" campaign preview c-full --contact jm@example.com > "$TMP/m1" 2> "$TMP/e1"
is "$?|$(cat "$TMP/e1")" "0|" "preview of a contact with consent: exit 0, nothing on stderr"
P=$(parse "$TMP/m1")
is "$(fact single)" "From=1 To=1 Subject=1 Date=1 Message-ID=1" "From, To, Subject, Date, Message-ID once each (R-MBP-7)"
is "$(fact lu-count)" 1 "exactly one List-Unsubscribe (R-2369-1)"
is "$(fact lu)" "<$BASE/u/PREVIEW.not-a-token>, <mailto:unsubscribe@shop.example?subject=unsubscribe%20PREVIEW.not-a-token>" \
    "List-Unsubscribe: the https URI with the placeholder token, then the mailto with the same token"
is "$(fact lu-https)" "1 http 0" "one https URI and no http one (R-8058-1)"
is "$(fact lu-form)" True "the R-2369-1 form: angle brackets, no white space inside"
is "$(fact lup)" "1 List-Unsubscribe=One-Click" "List-Unsubscribe-Post exactly once, exact value (R-8058-1)"
is "$(fact listid)" "Grüße & News <news.shop.example>" "List-Id: the topic title (RFC 2047) and topic.from-domain"
is "$(fact subject)" "Angebote für Jürgen Müller – Frühling" "a non-ASCII subject decodes correctly"
is "$(fact to)" "Jürgen Müller <jm@example.com>" "a non-ASCII display name decodes correctly"
is "$(fact from)" "Bücher Shop <news@shop.example>" "From with the configured sender"
is "$(fact type)" "multipart/alternative" "multipart/alternative when the template has HTML"
is "$(fact text-url)" "True text-postal True" "the https URL verbatim and the postal address in the text part"
is "$(fact html-url)" "True html-postal True" "and in the HTML part"
is "$(fact text-objection)" "0 html-objection 0" "no footer where the template has the link and address"
is "$(fact text-ad)" False "no advertisement label with consent"
is "$(fact crlf)" True "CRLF line ends only"
ok "$([ "$(fact longest)" -le 998 ] && echo 0 || echo 1)" "every line at most 998 octets ($(fact longest))"
is "$(fact ascii)" True "the message is 7-bit"
ok "$(grep -q 'PREVIEW.not-a-token' "$TMP/m1" && echo 0 || echo 1)" "the token is the placeholder, which no endpoint accepts"

"$MAILOUT" campaign preview c-full --contact us@example.com > "$TMP/m2" 2> "$TMP/e2"
is "$?|$(cat "$TMP/e2")" "0|" "preview for a US contact under the opt-out regime"
P=$(parse "$TMP/m2")
is "$(fact text-first)" "*** Advertisement ***" "the advertisement label opens the text part (R-US-5)"
is "$(fact html-ad)" True "and the HTML part, before the content"
is "$(fact subject)" "Angebote für Sam – Frühling" "the subject is left as the template says"

"$MAILOUT" campaign preview c-bare --contact jm@example.com > "$TMP/m3" 2> /dev/null
P=$(parse "$TMP/m3")
is "$(fact text-objection)" "1 html-objection 1" "a template stored with the footer: the footer once per part"
is "$(fact text-url)" "True text-postal True" "its text part has the link and the address"

"$MAILOUT" campaign preview c-hidden --contact jm@example.com > "$TMP/m4" 2> /dev/null
P=$(parse "$TMP/m4")
is "$(fact text-objection)|$(fact text-url)" "1 html-objection 0|True text-postal True" \
    "a link hidden by a section: the footer is appended at render"
"$MAILOUT" campaign preview c-hidden --contact vip@example.com > "$TMP/m5" 2> /dev/null
P=$(parse "$TMP/m5")
is "$(fact text-objection)|$(fact text-url)" "0 html-objection 0|True text-postal True" \
    "where the section shows the link, no footer"

"$MAILOUT" campaign preview c-deutsch --contact jm@example.com > "$TMP/m6" 2> /dev/null
like "$(mailtool body "$TMP/m6")" "jederzeit kostenlos widersprechen: $BASE/u/PREVIEW" "the German footer, rendered"

"$MAILOUT" campaign preview c-lu --contact jm@example.com > "$TMP/m7" 2> /dev/null
P=$(parse "$TMP/m7")
is "$(fact lu-count)|$(fact subject)" "1|List-Unsubscribe: <https://evil.example/u/x>" \
    "a subject reading like a header stays the subject; one List-Unsubscribe, mailout's (R-2369-3)"

# no basis, outside the segment
run "$MAILOUT" campaign preview c-full --contact nobasis@example.com
is "$RC" 0 "a contact without a basis: exit 0"
like "$ERR" "excluded \(no_basis\)" "the exclusion reason on stderr"
like "$OUT" "List-Unsubscribe-Post: List-Unsubscribe=One-Click" "the message is still printed"
run "$MAILOUT" campaign preview c-full --contact jp@example.com
is "$RC" 0 "a contact outside the segment: exit 0"
like "$ERR" "excluded \(not_in_segment\)" "named not_in_segment"

# CR/LF bound for a header
run "$MAILOUT" campaign preview c-full --contact crlf@example.com
is "$RC" 65 "a name with CR LF: exit 65"
like "$ERR" "line break" "one line says why"
unlike "$OUT" "Bcc" "no Bcc header, nothing printed"
is "$(dump)" "$before" "the previews so far wrote nothing (pg_dump before and after)"
sql "UPDATE contacts SET attrs = jsonb_build_object('tier', E'gold\r\nBcc: x@y.example') WHERE email_norm = 'vip@example.com'" > /dev/null
before=$(dump)
run "$MAILOUT" campaign preview c-tier --contact vip@example.com
is "$RC|$OUT" "65|" "a subject variable with CR LF: exit 65, nothing printed"
like "$ERR" "subject has a line break" "the reason names the subject"

# unknown names
run "$MAILOUT" campaign preview nope --contact jm@example.com
is "$RC" 66 "unknown campaign: exit 66"
run "$MAILOUT" campaign preview c-full --contact nobody@example.com
is "$RC" 66 "unknown contact: exit 66"
run "$MAILOUT" campaign preview c-full
is "$RC" 64 "--contact is required"
is "$(dump)" "$before" "preview writes nothing (pg_dump before and after)"

# base_url: https except on loopback
conf "base_url = http://example.com"
run "$MAILOUT" campaign preview c-full --contact jm@example.com
is "$RC" 65 "base_url http://example.com is refused"
like "$ERR" "key base_url" "naming the key"
conf "base_url = http://127.0.0.1:8080/"
run "$MAILOUT" campaign preview c-full --contact jm@example.com
is "$RC" 0 "http:// on loopback is allowed"
like "$OUT" "List-Unsubscribe: <http://127.0.0.1:8080/u/PREVIEW.not-a-token>" "without a doubled slash"
write_conf "suppression_key_file = $TMP/supp.key" "legal_entity = ACME GmbH" \
    "from = news@shop.example" "postal_address = 1 Main St" "base_url = $BASE"
run "$MAILOUT" campaign preview c-full --contact jm@example.com
is "$(printf '%s\n' "$OUT" | tr -d '\r' | grep '^List-Unsubscribe:')" "List-Unsubscribe: <$BASE/u/PREVIEW.not-a-token>" \
    "without unsubscribe_mailto: the https URI alone"
write_conf "suppression_key_file = $TMP/supp.key" "from = news@shop.example" "base_url = $BASE"
run "$MAILOUT" campaign preview c-full --contact jm@example.com
is "$RC|$ERR" "65|mailout: marketing mail needs a postal address (key postal_address)" "no postal address: refused, naming the key"

done_testing
