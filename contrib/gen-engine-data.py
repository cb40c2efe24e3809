#!/usr/bin/python3
"""gen-engine-data.py - deterministic sample data for the legal-basis engine benchmark.

Usage:
  /usr/bin/python3 contrib/gen-engine-data.py --contacts N --orders N --activity N \\
      --seed S --out DIR [--end YYYY-MM-DD]

Writes, standard library only, streaming (memory does not grow with N):
  DIR/products.csv   sku,name,category: a catalogue of about 3,000 products in
                     nested categories (pumps/booster/high-pressure); products
                     sit at every level, so ancestors also hold some
  DIR/relations.txt  one relation a line: "sku SKU SKU" (product relate) or
                     "category PATH PATH" (product relate-category)
  DIR/contacts.csv   email,name,country,locale,birth_date: countries DE FR AT GB
                     US CA IT ES or empty (unknown); birth dates for about 40 %,
                     minors among them; addresses are lower-case ASCII and unique
  DIR/orders.csv     order_id,email,sku,ordered_at,legal_entity,collected_in_sale,
                     opt_out_offered: N order lines (1-3 per order) over the 4
                     years before --end; mostly "ACME Pumps GmbH", some "ACME
                     Pumps UK Ltd" (the same group); about 1 % by guests not in
                     contacts.csv (order import creates them)
  DIR/activity.csv   email,kind,item,at: views (item a sku) and downloads (a
                     document id) over the last 2 years; about 80 % by contacts
                     with a tracking consent in ledger.sql, the rest are dropped
                     by activity import
  DIR/ledger.sql     consent ledger events straight into consent_events (run as
                     the schema owner after the contacts are loaded and the
                     topics newsletter and tracking have a consent text):
                     newsletter granted, then for some withdrawn, expired or an
                     objection to all marketing; tracking granted for about 40 %,
                     withdrawn again for some

The same arguments always give byte-identical files.  CSV files are RFC 4180
(CRLF line ends, header row, UTF-8).
"""

import argparse
import csv
import datetime
import os
import random
import sys
import unicodedata

FIRST = ["Jörg", "Anna", "Lena", "Lukas", "Björn", "Sophie", "Felix", "Zoë", "Hélène",
         "François", "Amélie", "Chloé", "Oliver", "Amelia", "Harry", "Isla", "George",
         "Emily", "Jack", "Olivia", "James", "Liam", "Emma", "Noah", "Giulia", "Marco",
         "Lucía", "Javier", "Siobhán", "Dakota", "Mia", "Paul"]
LAST = ["Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Meyer", "Wagner", "Becker",
        "Lefèvre", "Dubois", "Moreau", "Laurent", "Smith", "Jones", "Williams", "Brown",
        "Taylor", "O'Brien", "MacDonald", "Tremblay", "Côté", "Rossi", "Bianchi", "García",
        "Fernández", "López", "Anderson", "Thomas", "Koch", "Bauer", "Groß", "Krüger",
        "Neumann"]
FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e",
                      "ç": "c", "í": "i", "á": "a", "ô": "o", "ë": "e", "'": ""})


def ascii_fold(s):
    """jörg -> joerg, lópez -> lopez: lower-case ASCII for local parts."""
    s = unicodedata.normalize("NFKD", s.lower().translate(FOLD))
    s = "".join(c for c in s if not unicodedata.combining(c))
    assert s.isascii() and s.replace("-", "").isalnum(), s
    return s


FIRST_A = [ascii_fold(f) for f in FIRST]
LAST_A = [ascii_fold(l) for l in LAST]
DOMAINS = ["example.com", "example.net", "example.org", "mail.example", "post.example",
           "web.example", "inbox.example", "acme-pumps.example", "freemail.example",
           "orange.example", "libero.example", "t-online.example"]
# country, weight, locales ("" = unknown country)
COUNTRIES = [("DE", 28, ["de"]), ("FR", 12, ["fr"]), ("AT", 6, ["de-AT"]),
             ("GB", 12, ["en-GB"]), ("US", 18, ["en-US"]), ("CA", 7, ["en-CA", "fr-CA"]),
             ("IT", 7, ["it"]), ("ES", 5, ["es"]), ("", 5, ["", "en"])]

# The category tree: top level, second level, third level.
TREE = {
    "pumps": {"booster": ["high-pressure", "low-pressure", "twin"],
              "centrifugal": ["single-stage", "multi-stage"],
              "submersible": ["well", "drainage", "sewage"],
              "dosing": ["diaphragm", "peristaltic"],
              "circulation": []},
    "valves": {"check": ["swing", "ball"], "ball": ["two-way", "three-way"],
               "gate": [], "pressure-relief": ["spring", "pilot"]},
    "pipes": {"steel": ["galvanized", "stainless"], "plastic": ["pvc", "pe", "pp"],
              "copper": []},
    "fittings": {"threaded": [], "press": ["copper", "steel"], "flanges": []},
    "filters": {"sediment": [], "carbon": [], "uv": ["inline", "point-of-use"]},
    "controls": {"pressure-switches": [], "frequency-converters": ["single-phase", "three-phase"],
                 "level-sensors": ["float", "ultrasonic"]},
    "tanks": {"pressure": ["membrane", "bladder"], "storage": []},
    "heating": {"heat-pumps": ["air-water", "brine-water"], "boilers": [], "radiators": []},
    "spare-parts": {"seals": [], "impellers": [], "motors": ["ac", "dc"]},
    "tools": {"pipe-cutters": [], "press-tools": [], "meters": []},
}
NOUNS = {"pumps": "Pump", "valves": "Valve", "pipes": "Pipe", "fittings": "Fitting",
         "filters": "Filter", "controls": "Controller", "tanks": "Tank", "heating": "Unit",
         "spare-parts": "Part", "tools": "Tool"}
ENTITY_MAIN = "ACME Pumps GmbH"
ENTITY_OTHER = "ACME Pumps UK Ltd"


def categories():
    """Every category path, parents before children, in a fixed order."""
    out = []
    for top in TREE:
        out.append(top)
        for sub, leaves in TREE[top].items():
            out.append(f"{top}/{sub}")
            out.extend(f"{top}/{sub}/{leaf}" for leaf in leaves)
    return out


def mix(j, salt):
    """A cheap deterministic hash of (j, salt) in [0, 2**32)."""
    x = (j * 0x9E3779B1 + salt * 0x85EBCA77) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    x = (x * 0x297A2D39) & 0xFFFFFFFF
    x ^= x >> 15
    return x


# "first.last." for every pair, and "@domain": email_of() only picks and joins
PREFIXES = [f"{f}.{l}." for f in FIRST_A for l in LAST_A]
AT_DOMAINS = ["@" + d for d in DOMAINS]


def email_of(j):
    """The address of contact j (1-based): a function of j alone, unique by j."""
    h = (j * 0x9E3779B1) & 0xFFFFFFFF
    return PREFIXES[(h >> 7) % len(PREFIXES)] + str(j) + AT_DOMAINS[(h >> 19) % len(AT_DOMAINS)]


def name_of(j):
    h = (j * 0x9E3779B1) & 0xFFFFFFFF
    p = (h >> 7) % len(PREFIXES)
    first, last = FIRST[p // len(LAST)], LAST[p % len(LAST)]
    style = mix(j, 1) % 50
    if style == 0:
        return f"{last}, {first}"          # needs quoting: a comma
    if style == 1:
        return f'{first} "{first[:3]}" {last}'  # needs quoting: doubled quotes
    return f"{first} {last}"


def tracking_state(j, seed):
    """The tracking consent of contact j: 'granted', 'withdrawn' or None."""
    h = mix(j, seed * 7 + 3) % 100
    if h < 36:
        return "granted"
    if h < 40:
        return "withdrawn"
    return None


class Clock:
    """Timestamps as ISO 8601 UTC text, fast: precomputed day strings."""

    def __init__(self, end, days):
        self.days = [(end - datetime.timedelta(days=days - d)).isoformat() for d in range(days)]
        self.n = days

    def at(self, day, sec):
        return f"{self.days[day]}T{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}Z"

    def random(self, rnd, lo_day=0, hi_day=None):
        # int(random() * n) rather than randrange(n): several times faster
        hi = self.n if hi_day is None else hi_day
        sec = int(rnd.random() * 86400)
        return f"{self.days[lo_day + int(rnd.random() * (hi - lo_day))]}T{sec // 3600:02d}:" \
               f"{sec // 60 % 60:02d}:{sec % 60:02d}Z"


def writer(path):
    f = open(path, "w", encoding="utf-8", newline="")
    return f, csv.writer(f)


def gen_products(out, rnd):
    """products.csv and relations.txt; returns the skus and the category paths."""
    cats = categories()
    skus = []
    f, w = writer(os.path.join(out, "products.csv"))
    w.writerow(["sku", "name", "category"])
    n = 0
    for path in cats:
        depth = path.count("/")
        count = [8, 25, 55][depth] + rnd.randrange(10)  # most at the leaves
        noun = NOUNS[path.split("/")[0]]
        label = path.split("/")[-1].replace("-", " ").title()
        for _ in range(count):
            n += 1
            sku = f"P-{n:05d}"
            skus.append(sku)
            w.writerow([sku, f"{label} {noun} {rnd.choice(['S', 'M', 'L', 'XL', 'Pro', 'Eco'])}"
                             f"-{rnd.randrange(10, 999)}", path])
    f.close()
    with open(os.path.join(out, "relations.txt"), "w", encoding="utf-8", newline="\n") as r:
        seen = set()
        while len(seen) < 600:
            a, b = rnd.sample(skus, 2)
            pair = (min(a, b), max(a, b))
            if pair not in seen:
                seen.add(pair)
                r.write(f"sku {pair[0]} {pair[1]}\n")
        seen = set()
        while len(seen) < 30:
            a, b = rnd.sample(cats, 2)
            if a.startswith(b + "/") or b.startswith(a + "/"):
                continue  # an ancestor already covers its descendants
            pair = (min(a, b), max(a, b))
            if pair not in seen:
                seen.add(pair)
                r.write(f"category {pair[0]} {pair[1]}\n")
    return skus, cats


def gen_contacts(out, n, rnd, end):
    f, w = writer(os.path.join(out, "contacts.csv"))
    w.writerow(["email", "name", "country", "locale", "birth_date"])
    weights = [c[1] for c in COUNTRIES]
    for j in range(1, n + 1):
        country, _, locales = rnd.choices(COUNTRIES, weights)[0]
        locale = locales[rnd.randrange(len(locales))]
        b = rnd.random()
        if b < 0.03:    # minors: 12 to 17 years old at --end
            birth = f"{end.year - 12 - rnd.randrange(6)}-{rnd.randrange(1, 13):02d}-" \
                    f"{rnd.randrange(1, 29):02d}"
        elif b < 0.40:
            birth = f"{rnd.randrange(1940, end.year - 18)}-{rnd.randrange(1, 13):02d}-" \
                    f"{rnd.randrange(1, 29):02d}"
        else:
            birth = ""
        w.writerow([email_of(j), name_of(j), country, locale, birth])
    f.close()


def gen_orders(out, n, contacts, skus, rnd, clock):
    f, w = writer(os.path.join(out, "orders.csv"))
    w.writerow(["order_id", "email", "sku", "ordered_at", "legal_entity", "collected_in_sale",
                "opt_out_offered"])
    rows = 0
    order = 0
    nsku = len(skus)
    while rows < n:
        order += 1
        if rnd.random() < 0.01 or contacts == 0:
            email = f"guest{order}@guest.example"
        else:
            email = email_of(1 + int(rnd.random() * contacts))
        at = clock.random(rnd)
        entity = ENTITY_MAIN if rnd.random() < 0.9 else ENTITY_OTHER
        collected = "true" if rnd.random() < 0.93 else "false"
        offered = "true" if rnd.random() < 0.88 else "false"
        lines = min(1 + (rnd.random() < 0.3) + (rnd.random() < 0.1), n - rows)
        first = int(rnd.random() * nsku)
        for k in range(lines):  # distinct skus within one order
            w.writerow([f"O-{order:08d}", email, skus[(first + k * 37) % nsku], at, entity,
                        collected, offered])
        rows += lines
    f.close()


def gen_activity(out, n, contacts, skus, rnd, clock, seed):
    f, w = writer(os.path.join(out, "activity.csv"))
    w.writerow(["email", "kind", "item", "at"])
    nsku = len(skus)
    recent = clock.n - 730
    # one byte per contact (not a list of objects): 1 when tracking is granted
    tracked = bytearray(contacts + 1)
    for j in range(1, contacts + 1):
        tracked[j] = tracking_state(j, seed) == "granted"
    rand = rnd.random
    row = w.writerow
    for _ in range(n):
        j = 1 + int(rand() * contacts)
        if rand() < 0.8:  # mostly people who agreed to tracking
            for _ in range(20):
                if tracked[j]:
                    break
                j = 1 + int(rand() * contacts)
        sku = skus[int(rand() * nsku)]
        if rand() < 0.85:
            row((email_of(j), "view", sku, clock.random(rnd, recent)))
        else:
            row((email_of(j), "download", f"DOC-{sku}-datasheet", clock.random(rnd, recent)))
    f.close()


LEDGER_HEAD = """\
-- ledger.sql - generated by contrib/gen-engine-data.py (seed %(seed)d): consent
-- events straight into consent_events for the engine benchmark.  Run as the
-- schema owner with psql -f after the contacts are loaded and the topics
-- newsletter and tracking each have a consent text.  Contacts not in the
-- database are skipped.
\\set ON_ERROR_STOP 1
BEGIN;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM consent_texts ct JOIN topics t ON t.id = ct.topic_id
                    WHERE t.name = 'newsletter')
       OR NOT EXISTS (SELECT 1 FROM consent_texts ct JOIN topics t ON t.id = ct.topic_id
                       WHERE t.name = 'tracking') THEN
        RAISE EXCEPTION 'ledger.sql: topics newsletter and tracking need a consent text first';
    END IF;
END
$$;
CREATE TEMP TABLE gen_consent (seq bigint, email text, topic text, kind text,
                               occurred_at timestamptz) ON COMMIT DROP;
COPY gen_consent FROM stdin WITH (FORMAT csv);
"""

LEDGER_TAIL = """\\.
INSERT INTO consent_events (contact_id, topic_id, kind, occurred_at, recorded_at, source,
                            channel, actor, consent_text_id, consent_text_sha256, locale, note)
SELECT c.id, t.id, g.kind::consent_event_kind, g.occurred_at, g.occurred_at, 'bench',
       'import', 'bench:gen-engine-data',
       CASE WHEN g.kind = 'granted' THEN ct.id END,
       CASE WHEN g.kind = 'granted' THEN ct.sha256 END,
       CASE WHEN g.kind = 'granted' THEN ct.locale END,
       CASE WHEN g.kind = 'granted' THEN 'generated consent with proof (benchmark)' END
  FROM gen_consent g
  JOIN contacts c ON c.email_norm = g.email
  LEFT JOIN topics t ON t.name = g.topic
  LEFT JOIN LATERAL (SELECT id, sha256, locale FROM consent_texts
                      WHERE topic_id = t.id ORDER BY version DESC, id DESC LIMIT 1) ct ON true
 ORDER BY g.seq;
COMMIT;
ANALYZE consent_events;
"""


def gen_ledger(out, contacts, rnd, clock, seed):
    """Per contact: newsletter consent in some state, tracking for some.

    Events are in time order per contact; the INSERT keeps the file's order,
    so ids grow with time as the ledger expects.
    """
    with open(os.path.join(out, "ledger.sql"), "w", encoding="utf-8", newline="\n") as f:
        f.write(LEDGER_HEAD % {"seed": seed})
        w = csv.writer(f, lineterminator="\n")
        seq = 0
        days = clock.n
        for j in range(1, contacts + 1):
            email = email_of(j)
            events = []
            r = rnd.random()
            if r < 0.70:  # newsletter granted (some long ago: lapse candidates)
                g = rnd.randrange(days - 30)
                events.append(("newsletter", "granted", g))
                if r < 0.08:
                    events.append(("newsletter", "withdrawn", rnd.randrange(g + 1, days)))
                elif r < 0.12:
                    events.append((None, "objected", rnd.randrange(g + 1, days)))
                elif r < 0.15:
                    events.append(("newsletter", "expired", rnd.randrange(g + 1, days)))
            elif r < 0.72:  # an objection without any consent
                events.append((None, "objected", rnd.randrange(days)))
            t = tracking_state(j, seed)
            if t is not None:
                g = rnd.randrange(days - 30)
                events.append(("tracking", "granted", g))
                if t == "withdrawn":
                    events.append(("tracking", "withdrawn", rnd.randrange(g + 1, days)))
            events.sort(key=lambda e: e[2])
            for topic, kind, day in events:
                seq += 1
                w.writerow([seq, email, topic or "", kind, clock.at(day, rnd.randrange(86400))])
        f.write(LEDGER_TAIL)


def main(argv):
    p = argparse.ArgumentParser(description="deterministic sample data for the engine benchmark")
    p.add_argument("--contacts", type=int, required=True)
    p.add_argument("--orders", type=int, required=True)
    p.add_argument("--activity", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--end", default="2026-11-01",
                   help="the day the data ends (exclusive), YYYY-MM-DD (default 2026-11-01)")
    a = p.parse_args(argv)
    if min(a.contacts, a.orders, a.activity) < 0 or a.contacts == 0 and a.activity > 0:
        p.error("counts must be >= 0, and activity needs contacts")
    end = datetime.date.fromisoformat(a.end)
    os.makedirs(a.out, exist_ok=True)
    clock = Clock(end, 4 * 365 + 1)
    # one generator per file, so each file depends only on the seed and its own counts
    skus, _ = gen_products(a.out, random.Random(a.seed * 16 + 1))
    gen_contacts(a.out, a.contacts, random.Random(a.seed * 16 + 2), end)
    gen_orders(a.out, a.orders, a.contacts, skus, random.Random(a.seed * 16 + 3), clock)
    gen_activity(a.out, a.activity, a.contacts, skus, random.Random(a.seed * 16 + 4), clock,
                 a.seed)
    gen_ledger(a.out, a.contacts, random.Random(a.seed * 16 + 5), clock, a.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
