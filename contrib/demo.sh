#!/bin/bash
# demo.sh - the quick-start demo: a topic with English and German consent
# texts, the sample contacts from contrib/sample, then a double opt-in run
# through the real HTTP endpoints with the maildir transport.  Run by
# contrib/quickstart.sh after the database is migrated; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
M=./mailout
say() { printf '\n-- %s\n' "$*"; }

say "a topic people can subscribe to, with its consent texts (versioned, stored once by hash)"
$M topic add news --title "Monthly newsletter" 2> /dev/null || echo "topic 'news' exists"
en=$($M consent-text add news contrib/sample/consent-news.en.txt 2> /dev/null)
$M consent-text add news contrib/sample/consent-news.de.txt --locale de > /dev/null 2>&1
echo "consent text id (en): $en"

say "importing contrib/sample/contacts.csv (customer_tier kept as a custom attribute)"
$M contact import contrib/sample/contacts.csv --attributes customer_tier

say "a plain import created no consent; imported proof did:"
$M contact show info@müller-pumpen.example | sed -n '1,3p;/^topics/,$p'

say "double opt-in over HTTP: mailout serve on the configured listen address"
$M serve > .local/serve.log 2>&1 &
pid=$!
trap 'kill $pid 2> /dev/null; wait $pid 2> /dev/null || true' EXIT
base=$(awk -F' = ' '$1 == "base_url" {print $2}' mailout.conf)
for _ in $(seq 50); do curl -s "$base/healthz" > /dev/null && break; sleep 0.1; done
touch .local/demo.mark
curl -s -o /dev/null -w "POST /subscribe -> %{http_code}\n" \
    --data "email=anna.schmidt@example.com&topic=news&consent_text=$en&age_confirmed=yes" "$base/subscribe"
# serve answers first and sends the confirmation mail right after, from its queue
# (a receipt mail left queued by an earlier demo may come out first: skip it)
confirm_link() { # prints "FILE LINK" of the newest new mail with a confirm link
    python3 -c 'import email,email.policy,os,re,sys
for f in sorted((os.path.join("outbox/new", n) for n in os.listdir("outbox/new")), key=os.path.getmtime, reverse=True):
    if os.path.getmtime(f) < os.path.getmtime(".local/demo.mark"): break
    m = email.message_from_binary_file(open(f, "rb"), policy=email.policy.default)
    b = m.get_body(("plain",))
    l = re.search(r"https?://\S+/confirm/\S+", b.get_content()) if b else None
    if l: print(f, l.group(0)); break' 2> /dev/null || true
}
found=
for _ in $(seq 100); do
    found=$(confirm_link)
    [ -n "$found" ] && break
    sleep 0.1
done
if [ -z "$found" ]; then
    # confirm_mail_limit (3 per address a day) stops a fourth demo run today
    echo "no confirmation mail: $(grep -o 'confirmation mail limit reached' .local/serve.log | tail -n 1 ||
        echo 'none arrived') (see .local/serve.log)"
else
    mail=${found%% *}
    link=${found#* }
    echo "confirmation mail: $mail"
    echo "confirm link:      $link"
    curl -s -o /dev/null -w "GET  confirm link -> %{http_code} (a page with a button; nothing changes)\n" "$link"
    $M contact show anna.schmidt@example.com | sed -n '/^topics/,$p'
    curl -s -o /dev/null -w "POST confirm link -> %{http_code} (confirmed)\n" -A "demo-browser/1.0" -X POST "$link"
    curl -s -o /dev/null -w "POST again        -> %{http_code} (used tokens answer 410)\n" -X POST "$link"
fi
$M contact show anna.schmidt@example.com | sed -n '/^topics/,$p'

say "the legal-basis engine: a catalogue, orders, a segment and a campaign promoting pumps"
$M product import contrib/sample/products.csv
$M product relate P-100 S-10 > /dev/null # the pressure switch goes with the booster pump
$M order import contrib/sample/orders.csv
$M segment create everyone --where true 2> /dev/null || echo "segment 'everyone' exists"
$M template add spring --subject "New booster pumps" --text contrib/sample/spring.txt 2> /dev/null ||
    echo "template 'spring' exists"
$M campaign create spring --topic news --template spring --segment everyone --promotes P-100 \
    --category pumps 2> /dev/null || echo "campaign 'spring' exists"

say "who may get it, and why not (nothing is written)"
$M campaign explain spring
say "one customer's decision, rule by rule"
$M campaign explain spring --contact liam.oconnor@example.ie

say "sending it: campaign send builds the run, dispatch re-checks each basis, renders and sends"
$M campaign send spring || echo "(the last run of 'spring' is not done yet: dispatch goes on with it)"
$M dispatch --once
$M campaign status spring
say "one message as it left (headers; maildir transport)"
msg=$(grep -l '^List-Unsubscribe:' outbox/new/* 2> /dev/null | tail -n 1 || true)
[ -n "$msg" ] && sed -n '/^From:/p;/^To:/p;/^Subject:/p;/^List-Unsubscribe/p;/^List-Id:/p;/^$/q' "$msg"

say "scheduling: the first Monday of each month, 09:00 Berlin time (libical; mailout run starts each run once)"
first=$(python3 -c 'import datetime as d; t=d.date.today(); m=d.date(t.year+(t.month==12), t.month%12+1, 1); print((m+d.timedelta((7-m.weekday())%7)).isoformat())')
$M campaign schedule spring --at "${first}T09:00" --tz Europe/Berlin --rrule "FREQ=MONTHLY;BYDAY=1MO"
$M campaign schedule spring --list --count 3
say "a send window: recipients get it on weekdays 09:00-17:00 in their own time zone"
$M campaign window spring --days mon-fri --hours 09:00-17:00
$M campaign window spring --clear > /dev/null # so that another demo run sends at any hour

say "accountability: why did Anna get it? (consent proof, the send and its basis, revocations)"
$M audit contact anna.schmidt@example.com
say "the campaign per run: recipients per basis and per exclusion, outcomes, unsubscribes"
$M audit campaign spring
say "the history is hash-chained; verify recomputes every chain (exit 65 names the first broken entry)"
$M audit verify
say "records of processing (GDPR Art. 30(1)(a)-(g)): controller, purposes, data, recipients, transfers, retention, security"
$M audit ropa
echo "More: ./mailout export EMAIL (all data on one person, JSON), ./mailout erase EMAIL, ./mailout audit log"
echo
echo "Run it all as a service (scheduler, dispatch, HTTP): ./mailout run   (SIGTERM stops, SIGHUP reloads)"
echo "Try it in a browser: run ./mailout serve and open $base/subscribe (privacy information: $base/privacy-info)"
