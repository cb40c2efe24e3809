#!/usr/bin/python3
"""A tiny authoritative DNS server for the tests (UDP on loopback):
dns_stub.py --port N [--txt NAME=TEXT] [--a NAME=IPV4] [--mx NAME=HOST]
[--servfail NAME].  Names not given answer NXDOMAIN, a name with records of
another type answers NODATA; --servfail answers SERVFAIL.  Every query is
printed on stdout as "QUERY NAME TYPE".  Run with Debian's /usr/bin/python3.
"""
import argparse
import socket
import struct
import sys

TYPES = {1: 'A', 15: 'MX', 16: 'TXT', 28: 'AAAA'}


def encode_name(name):
    out = b''
    for label in name.rstrip('.').split('.'):
        out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def rdata(rtype, value):
    if rtype == 16:
        raw = value.encode()
        return b''.join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255]
                        for i in range(0, max(len(raw), 1), 255))
    if rtype == 1:
        return socket.inet_aton(value)
    if rtype == 15:
        return struct.pack('>H', 10) + encode_name(value)
    return b''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--txt', action='append', default=[])
    ap.add_argument('--a', action='append', default=[])
    ap.add_argument('--mx', action='append', default=[])
    ap.add_argument('--servfail', action='append', default=[])
    a = ap.parse_args()
    records = {}
    for rtype, items in ((16, a.txt), (1, a.a), (15, a.mx)):
        for item in items:
            name, value = item.split('=', 1)
            records.setdefault(name.lower().rstrip('.'), []).append((rtype, value))
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', a.port))
    print('READY', flush=True)
    while True:
        data, peer = sock.recvfrom(4096)
        if len(data) < 12:
            continue
        qid, flags = struct.unpack('>HH', data[:4])
        i, labels = 12, []
        while i < len(data) and data[i]:
            labels.append(data[i + 1:i + 1 + data[i]].decode('ascii', 'replace'))
            i += 1 + data[i]
        qtype, qclass = struct.unpack('>HH', data[i + 1:i + 5])
        question = data[12:i + 5]
        name = '.'.join(labels).lower()
        print('QUERY %s %s' % (name, TYPES.get(qtype, qtype)), flush=True)
        rcode, answers = 0, []
        if name in a.servfail:
            rcode = 2
        elif name not in records:
            rcode = 3
        else:
            answers = [v for t, v in records[name] if t == qtype]
        body = b''
        for value in answers:
            rd = rdata(qtype, value)
            body += struct.pack('>HHHIH', 0xC00C, qtype, 1, 60, len(rd)) + rd
        head = struct.pack('>HHHHHH', qid, 0x8580 | rcode, 1, len(answers), 0, 0)
        sock.sendto(head + question + body, peer)


main()
