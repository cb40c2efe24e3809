#!/usr/bin/python3
"""A CRM webhook receiver on loopback for tests/integration/webhook.sh.

Every POST is checked the way a real receiver should: the signature
X-Mailout-Signature: v1=HEX against HMAC-SHA-256(secret, TIMESTAMP "." BODY),
compared in constant time, and a timestamp at most 5 minutes from now; the
body is JSON whose "id" equals X-Mailout-Event-Id.  Each POST becomes one
JSON line in --log (written before the answer): seq, id, contact_id, event,
sig_ok, ts_ok, id_ok, ctype_ok, body (the raw text), answer (the status
given, or "hang"/"recv-hang" while it waits).

The answer: the first --fail-first POSTs get 500; after them, the first line
of --mode-file decides: "ok" (200), a status code such as "410" or "500",
"hang S" (sleep S seconds, then 200: a receiver slower than the timeout),
"recv-hang S" (same, logged as recv-hang: used to kill the sender while it
waits).  Requests are served in threads, so a hanging one blocks no other.
Run with Debian's /usr/bin/python3.
"""
import argparse
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"seq": 0, "fail_left": 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--mode-file", required=True)
    ap.add_argument("--fail-first", type=int, default=0)
    args = ap.parse_args()
    with open(args.secret_file, "rb") as f:
        secret = f.readline().rstrip(b"\r\n")
    STATE["fail_left"] = args.fail_first
    log = open(args.log, "a", encoding="utf-8")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def do_GET(self):
            self.answer(405)

        def answer(self, code):
            body = b'{"ok": true}\n' if code < 300 else b'{"error": "test receiver says no"}\n'
            try:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the sender is gone (killed or timed out)

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(n)
            ts = self.headers.get("X-Mailout-Timestamp", "")
            sig = self.headers.get("X-Mailout-Signature", "")
            want = "v1=" + hmac.new(secret, ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
            sig_ok = hmac.compare_digest(sig.encode(), want.encode())
            try:
                ts_ok = abs(time.time() - int(ts)) <= 300
            except ValueError:
                ts_ok = False
            try:
                doc = json.loads(raw)
            except ValueError:
                doc = {}
            id_ok = str(doc.get("id")) == self.headers.get("X-Mailout-Event-Id", "") and \
                doc.get("event") == self.headers.get("X-Mailout-Event", "")
            ctype_ok = self.headers.get("Content-Type", "") == "application/json"
            with LOCK:
                STATE["seq"] += 1
                seq = STATE["seq"]
                if STATE["fail_left"] > 0:
                    STATE["fail_left"] -= 1
                    mode = "500"
                else:
                    try:
                        with open(args.mode_file, encoding="utf-8") as f:
                            mode = f.readline().strip() or "ok"
                    except OSError:
                        mode = "ok"
                words = mode.split()
                if words[0] in ("hang", "recv-hang"):
                    answer, sleep, code = words[0], float(words[1]), 200
                elif words[0] == "ok":
                    answer, sleep, code = 200, 0, 200
                else:
                    answer, sleep, code = int(words[0]), 0, int(words[0])
                log.write(json.dumps({
                    "seq": seq, "id": doc.get("id"), "contact_id": doc.get("contact_id"),
                    "event": doc.get("event"), "sig_ok": sig_ok, "ts_ok": ts_ok, "id_ok": id_ok,
                    "ctype_ok": ctype_ok, "body": raw.decode("utf-8", "replace"),
                    "answer": answer}) + "\n")
                log.flush()
            if sleep:
                time.sleep(sleep)
            self.answer(code)

    srv = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    srv.daemon_threads = True
    srv.serve_forever()


if __name__ == "__main__":
    main()
