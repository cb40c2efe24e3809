#!/usr/bin/python3
"""Verifies the DKIM signatures of messages with Debian's python3-dkim and a
stubbed DNS: dkim_verify.py --txt SELECTOR._domainkey.DOMAIN=PEMFILE ... FILE...
(the PEM is a private or public key; its public half is published, with
k=rsa or k=ed25519).  For every file prints one line per signature:
"FILE SELECTOR pass|fail h=NAMES" and exits 1 when any signature fails or a
file has none.  --count N: the number of signatures every file must carry.
--mutate append-list-unsubscribe|body|subject alters each message first.
"""
import argparse
import base64
import subprocess
import sys

import dkim


def txt_record(pem):
    text = open(pem, 'rb').read()
    der = subprocess.run(['openssl', 'pkey', '-pubout', '-outform', 'DER'], input=text,
                         capture_output=True, check=True).stdout
    if b'ED25519' in subprocess.run(['openssl', 'pkey', '-noout', '-text'], input=text,
                                     capture_output=True).stdout.upper():
        return b'v=DKIM1; k=ed25519; p=' + base64.b64encode(der[-32:])
    return b'v=DKIM1; k=rsa; p=' + base64.b64encode(der)


def mutate(msg, how):
    head, sep, body = msg.partition(b'\r\n\r\n')
    if how == 'append-list-unsubscribe':
        return head + b'\r\nList-Unsubscribe: <https://evil.example/u>' + sep + body
    if how == 'body':
        return head + sep + body.replace(b'e', b'E', 1)
    if how == 'subject':
        return head.replace(b'\nSubject: ', b'\nSubject: X', 1) + sep + body
    return msg


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--txt', action='append', default=[])
    ap.add_argument('--count', type=int, default=0)
    ap.add_argument('--mutate', default='')
    ap.add_argument('files', nargs='+')
    a = ap.parse_args()
    records = {}
    for t in a.txt:
        name, pem = t.split('=', 1)
        records[name.encode() + b'.'] = txt_record(pem)
        records[name.encode()] = records[name.encode() + b'.']

    def dnsfunc(name, timeout=5):
        return records.get(name)

    bad = 0
    for f in a.files:
        raw = open(f, 'rb').read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
        # the sink's and maildir's own headers come before the signatures
        msg = mutate(raw, a.mutate)
        d = dkim.DKIM(msg)
        n = len([h for h in d.headers if h[0].lower() == b'dkim-signature'])
        if n == 0 or (a.count and n != a.count):
            print('%s: %d signatures' % (f, n))
            bad += 1
            continue
        for i in range(n):
            d = dkim.DKIM(msg)
            try:
                ok = d.verify(idx=i, dnsfunc=dnsfunc)
            except dkim.ValidationError:
                ok = False
            sig = d.signature_fields if hasattr(d, 'signature_fields') else {}
            h = sig.get(b'h', b'').replace(b' ', b'').replace(b'\r\n', b'').replace(b'\t', b'')
            s = sig.get(b's', b'?')
            print('%s %s %s h=%s' % (f, s.decode(), 'pass' if ok else 'fail', h.decode()))
            bad += not ok
    sys.exit(1 if bad else 0)


main()
