#!/usr/bin/python3
"""bounce_corpus.py - runs the real bounces of Debian's python3-flufl.bounce
through `mailout inbound` and compares what it finds with that package's
expectations.

  bounce_corpus.py addresses           every address the expectations name (CSV rows)
  bounce_corpus.py dsn MAILOUT         each RFC 3464 sample (detector "dsn")
  bounce_corpus.py text MAILOUT        every other sample (plain-text formats)

The expectations are the package's own table of (detector, file, addresses
[, temporary]): flufl/bounce/testing/helpers.py (DATA) in Debian 12's 4.0,
test_detectors.py in other versions; it is read as data (ast), not run.  A
"temporary" entry lists the addresses of delayed deliveries, the others
permanent failures.  Addresses are compared as mailout matches them: the
whole address lower-cased (address.h normalises the local part so too).

`dsn` prints one line per sample, "ok FILE ..." or "not ok FILE ...", then
"dsn: N of M samples match"; mailout runs with --json against the
configured database (contacts for every expected address exist), and each
recipient must also have been recorded: suppressed for a permanent failure,
counted for a delay.  `text` prints per sample "match", "none" (not
recognised) or "WRONG" (an address the package does not expect), then
"text: N of M samples match, W wrong; formats: a, b, ...".
"""
import ast
import glob
import json
import os
import subprocess
import sys

PKG = '/usr/lib/python3/dist-packages/flufl/bounce'
DATA_DIR = PKG + '/tests/data'


def expectations():
    """[(detector, file, set of addresses, temporary)] from the package."""
    for path in (PKG + '/tests/test_detectors.py', PKG + '/testing/helpers.py'):
        if not os.path.exists(path):
            continue
        tree = ast.parse(open(path, encoding='utf-8').read())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and getattr(node.targets[0], 'id', None) == 'DATA'):
                rows = ast.literal_eval(node.value)
                out = []
                for row in rows:
                    det, fname, addrs = row[0], row[1], row[2]
                    temp = bool(row[3]) if len(row) > 3 else False
                    out.append((det, fname, {a.decode().lower() for a in addrs}, temp))
                return out
    sys.exit('bounce_corpus: no DATA table in ' + PKG)


def run(mailout, fname):
    with open(os.path.join(DATA_DIR, fname), 'rb') as fh:
        p = subprocess.run([mailout, 'inbound', '--json'], stdin=fh, capture_output=True)
    doc = None
    if p.stdout.strip():
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            pass
    return p.returncode, doc, p.stderr.decode(errors='replace').strip()


def found(doc):
    """{address: permanent} of a bounce report, lower-cased."""
    if not doc or doc.get('kind') != 'bounce':
        return {}, []
    rs = doc.get('recipients', [])
    return {r['address'].lower(): r['permanent'] for r in rs}, rs


def cmd_addresses():
    seen = set()
    print('email')
    for _, _, addrs, _ in expectations():
        for a in sorted(addrs - seen):
            seen.add(a)
            print(a)


def cmd_dsn(mailout):
    rows = [r for r in expectations() if r[0] == 'dsn']
    good = 0
    for _, fname, want, temp in rows:
        rc, doc, err = run(mailout, fname)
        got, rs = found(doc)
        problems = []
        if rc != 0:
            problems.append('exit %d: %s' % (rc, err))
        if set(got) != want:
            problems.append('addresses %s, expected %s' % (sorted(got), sorted(want)))
        for a, perm in got.items():
            if perm == temp:
                problems.append('%s %s, expected %s' % (
                    a, 'permanent' if perm else 'temporary',
                    'temporary' if temp else 'permanent'))
        for r in rs:
            ok = ('suppressed', 'repeat') if r['permanent'] else ('counted', 'suppressed_soft', 'repeat')
            if r.get('outcome') not in ok:
                problems.append('%s recorded as %s' % (r['address'], r.get('outcome')))
        kind = 'temporary' if temp else 'permanent'
        if problems:
            print('not ok %s (%s): %s' % (fname, kind, '; '.join(problems)))
        else:
            good += 1
            print('ok %s (%s): %s' % (fname, kind, ', '.join(sorted(got))))
    print('dsn: %d of %d samples match' % (good, len(rows)))


def cmd_text(mailout):
    table = expectations()
    dsn_files = {r[1] for r in table if r[0] == 'dsn'}
    want = {}
    for det, fname, addrs, temp in table:
        if fname in dsn_files:
            continue
        w = want.setdefault(fname, {})
        for a in addrs:
            w[a] = temp
    files = sorted(f for f in (os.path.basename(p) for p in glob.glob(DATA_DIR + '/*.txt'))
                   if f not in dsn_files)
    match = wrong = 0
    formats = set()
    for fname in files:
        expected = want.get(fname, {})
        rc, doc, err = run(mailout, fname)
        got, _ = found(doc)
        extra = sorted(set(got) - set(expected))
        if extra:
            wrong += 1
            print('WRONG %s: %s, expected %s (exit %d)' % (fname, extra, sorted(expected), rc))
        elif got and set(got) == set(expected) and all(got[a] != expected[a] for a in got):
            match += 1
            formats.add(doc['format'])
            print('match %s (%s): %s' % (fname, doc['format'], ', '.join(sorted(got))))
        elif not got and not expected and rc == 0:
            match += 1
            print('match %s: nothing, as expected (%s)' % (fname, doc['format'] if doc else err))
        else:
            print('none %s: got %s, expected %s (exit %d%s)' % (
                fname, sorted(got), sorted(expected), rc, ', ' + err if err else ''))
    print('text: %d of %d samples match, %d wrong; formats: %s' % (
        match, len(files), wrong, ', '.join(sorted(formats))))


def main():
    if len(sys.argv) == 2 and sys.argv[1] == 'addresses':
        cmd_addresses()
    elif len(sys.argv) == 3 and sys.argv[1] == 'dsn':
        cmd_dsn(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == 'text':
        cmd_text(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
