#!/usr/bin/python3
"""Reads messages captured by the test SMTP sink (a Maildir).

  mailtool.py link FILE            first http(s)://.../confirm/TOKEN URL in the decoded body
  mailtool.py header FILE NAME     the decoded header value(s), one per line
  mailtool.py body FILE            the decoded text/plain body
  mailtool.py to DIR ADDR          files in DIR/new addressed to ADDR (envelope), oldest first
"""
import email
import email.header
import email.policy
import os
import re
import sys


def load(path):
    with open(path, 'rb') as f:
        return email.message_from_binary_file(f, policy=email.policy.default)


def text_body(msg):
    part = msg.get_body(preferencelist=('plain',))
    return part.get_content() if part else ''


def main(argv):
    cmd = argv[1]
    if cmd == 'link':
        m = re.search(r'https?://\S+/confirm/[A-Za-z0-9_-]+', text_body(load(argv[2])))
        if not m:
            return 1
        print(m.group(0))
    elif cmd == 'header':
        for v in load(argv[2]).get_all(argv[3]) or []:
            print(str(v))
    elif cmd == 'body':
        sys.stdout.write(text_body(load(argv[2])))
    elif cmd == 'to':
        d = os.path.join(argv[2], 'new')
        files = sorted((os.path.join(d, f) for f in os.listdir(d)) if os.path.isdir(d) else [],
                       key=os.path.getmtime)
        for f in files:
            with open(f, 'rb') as fh:
                head = fh.read(4096).decode('ascii', 'replace')
            if re.search(r'^X-Sink-Rcpt: .*\b%s\b' % re.escape(argv[3]), head, re.M | re.I):
                print(f)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
