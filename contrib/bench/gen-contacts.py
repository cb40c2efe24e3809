#!/usr/bin/python3
"""gen-contacts.py - a deterministic, realistic contacts CSV for the import benchmark.

Usage: /usr/bin/python3 contrib/bench/gen-contacts.py [N] > contacts.csv

Writes a header `email,name,country,locale,birth_date,vip` and N data rows
(default 100000), RFC 4180 with CRLF line ends, UTF-8.  The same N always gives
the same bytes (fixed seed, standard library only).  Every row is valid for
`mailout contact import --attributes vip`, and every address is unique after
normalization (lower-cased, IDN domain as A-label), so N rows load as N
contacts.  The mix:
  - names from German, French, English and North American lists, many with
    UTF-8 letters (Jörg Müller, Zoë Lefèvre); about 8 % written "Last, First",
    which the CSV writer quotes because of the comma; a few carry a doubled
    quote (Tom "Tommy" Baker);
  - countries DE, AT, FR, GB, US, CA (about 3 % empty) with a matching locale
    (de, de-AT, fr, en-GB, en-US, en-CA or fr-CA; about 3 % empty);
  - about 10 % of the addresses on IDN domains such as müller-shop.example;
    some local parts in mixed case;
  - birth dates from 1940 to 2007, about 35 % empty;
  - vip: empty for most rows, else gold, silver or bronze.
"""

import csv
import random
import sys

SEED = 20261124

FIRST = {
    "de": ["Jörg", "Jürgen", "Anna", "Lena", "Lukas", "Björn", "Sören", "Günther",
           "Käthe", "Maximilian", "Sophie", "Felix", "Jonas", "Ursula", "Hans-Peter",
           "Özlem", "Małgorzata", "Mia", "Paul", "Grete"],
    "fr": ["Zoë", "Hélène", "François", "Amélie", "Jérôme", "Chloé", "Loïc", "Gaëlle",
           "Benoît", "Inès", "Léa", "Théo", "Céline", "Noël", "Élodie", "Mathis"],
    "en": ["Oliver", "Amelia", "Harry", "Isla", "George", "Emily", "Jack", "Olivia",
           "James", "Charlotte", "Liam", "Emma", "Noah", "Ava", "Siobhán", "Seán",
           "Chloe", "Ethan", "Madison", "Dakota"],
}
LAST = {
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weiß", "Meyer", "Wagner",
           "Becker", "Schäfer", "Koch", "Bauer", "Groß", "Köhler", "Krüger", "Hoffmann",
           "Schröder", "Jäger", "Lößer", "Neumann", "Zimmermann"],
    "fr": ["Lefèvre", "Dubois", "Moreau", "Laurent", "Girard", "Bonnet", "Dupré",
           "Mercier", "Rousseau", "Fournier", "Gauthier", "Chevalier", "Leclerc",
           "Bérenger", "Pâris", "Lemaître"],
    "en": ["Smith", "Jones", "Williams", "Brown", "Taylor", "Davies", "Wilson",
           "Evans", "Johnson", "Miller", "O'Brien", "MacDonald", "Tremblay", "Roy",
           "Gagnon", "Côté", "Anderson", "Thomas"],
}
# country, weight, name pool, locales
COUNTRIES = [
    ("DE", 30, "de", ["de", "de", "de", "de-DE"]),
    ("AT", 8, "de", ["de-AT", "de"]),
    ("FR", 14, "fr", ["fr", "fr-FR"]),
    ("GB", 14, "en", ["en-GB", "en"]),
    ("US", 24, "en", ["en-US", "en"]),
    ("CA", 10, "en", ["en-CA", "en-CA", "fr-CA"]),
]
ASCII_DOMAINS = ["example.com", "example.net", "example.org", "mail.example", "post.example",
                 "web.example", "inbox.example", "shop.example", "acme-pumps.example",
                 "freemail.example", "t-online.example", "orange.example"]
IDN_DOMAINS = ["müller-shop.example", "bücher.example", "café-paris.example",
               "köln-versand.example", "grüße.example", "zürich-mail.example",
               "straße.example", "élan.example", "fußball-fan.example", "crème.example"]
FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe",
                      "Ü": "Ue", "é": "e", "è": "e", "ê": "e", "ë": "e", "à": "a",
                      "â": "a", "ç": "c", "î": "i", "ï": "i", "ô": "o", "û": "u",
                      "ù": "u", "É": "E", "Ł": "L", "ł": "l", "ó": "o", "á": "a",
                      "Ô": "O", "'": "", " ": "", "-": ""})


def local_part(first, last, i, rnd):
    f = first.translate(FOLD)
    l = last.translate(FOLD)
    style = rnd.randrange(4)
    if style == 0:
        s = f"{f}.{l}"
    elif style == 1:
        s = f"{f[0]}{l}"
    elif style == 2:
        s = f"{l}.{f}"
    else:
        s = f"{f}_{l}"
    if rnd.random() >= 0.15:  # most addresses are lower case; some as people type them
        s = s.lower()
    return f"{s}.{i}"  # the row number keeps every address unique


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    if n < 0:
        sys.exit("N must be >= 0")
    rnd = random.Random(SEED)
    weights = [c[1] for c in COUNTRIES]
    out = csv.writer(sys.stdout, lineterminator="\r\n")
    out.writerow(["email", "name", "country", "locale", "birth_date", "vip"])
    for i in range(1, n + 1):
        country, _, pool, locales = rnd.choices(COUNTRIES, weights)[0]
        if country == "CA" and rnd.random() < 0.25:
            pool = "fr"
        first = rnd.choice(FIRST[pool])
        last = rnd.choice(LAST[pool])
        r = rnd.random()
        if r < 0.08:
            name = f"{last}, {first}"
        elif r < 0.09:
            name = f'{first} "{first[:3]}" {last}'
        elif r < 0.11:
            name = ""
        else:
            name = f"{first} {last}"
        domain = rnd.choice(IDN_DOMAINS) if rnd.random() < 0.10 else rnd.choice(ASCII_DOMAINS)
        email = f"{local_part(first, last, i, rnd)}@{domain}"
        locale = rnd.choice(locales)
        if country == "CA" and pool == "fr":
            locale = "fr-CA"
        if rnd.random() < 0.03:
            country = ""
        if rnd.random() < 0.03:
            locale = ""
        if rnd.random() < 0.35:
            birth = ""
        else:
            birth = f"{rnd.randint(1940, 2007):04d}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        v = rnd.random()
        vip = "gold" if v < 0.02 else "silver" if v < 0.07 else "bronze" if v < 0.15 else ""
        out.writerow([email, name, country, locale, birth, vip])


if __name__ == "__main__":
    main()
