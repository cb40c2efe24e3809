#!/usr/bin/python3
"""A real SMTP server for the tests: aiosmtpd on loopback, capturing every
accepted message into a Maildir.  Each stored message gains X-Sink-Session
(one value per TCP connection), X-Sink-Mail-From and X-Sink-Rcpt headers so a
test can tell which session carried it, with X-Sink-TLS (yes/no) and
X-Sink-Auth (the login, or -).  Addresses given with --refuse get '550 5.1.1'
at RCPT; --refuse-all refuses every recipient so; --tempfail-rcpt N answers
'451 4.7.1' to the first N RCPTs (counted over all sessions); --drop-after-data N
stores the first N messages and then closes the connection without answering
(the relay has the message, the client never hears so); --sleep-rcpt S
waits S seconds before answering each RCPT (a slow or hanging relay; other
sessions are served meanwhile); --sleep-data S waits S seconds before
answering each DATA (a slow relay, so that a test can stop a sender in the
middle of a run).  Every stored message also gains X-Sink-Time (seconds since
the epoch when its DATA ended).  Every RCPT answer is printed on stdout as
"RCPT <address> CODE".  --tls-cert/--tls-key offer STARTTLS and require it;
--auth USER:PASSWORD requires AUTH (after STARTTLS).  Run with Debian's
/usr/bin/python3 (python3-aiosmtpd).
"""
import argparse
import asyncio
import asyncio.sslproto as sslproto
import mailbox
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword, TLSSetupException


class RaceFreeSMTP(SMTP):
    """aiosmtpd 1.4's STARTTLS writes '220 Ready to start TLS' and awaits the
    drain before it hands the socket to the TLS layer; a client that answers
    fast has its ClientHello read by the plain-text protocol and lost, and
    both sides then wait until a timeout (seen here about 1 run in 10).
    This hands the socket to the TLS layer first, then writes the 220."""

    async def smtp_STARTTLS(self, arg):
        if arg:
            await self.push('501 Syntax: STARTTLS')
            return
        if not self.tls_context:
            await self.push('454 TLS not available')
            return
        waiter = self.loop.create_future()
        self._tls_protocol = sslproto.SSLProtocol(
            self.loop, self, self.tls_context, waiter, server_side=True)
        self._original_transport = self.transport
        self._original_transport.set_protocol(self._tls_protocol)
        self._original_transport.write(b'220 Ready to start TLS\r\n')
        self.transport = self._tls_protocol._app_transport
        self._tls_protocol.connection_made(self._original_transport)
        try:
            await waiter
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise TLSSetupException() from error


class SinkController(Controller):
    def factory(self):
        return RaceFreeSMTP(self.handler, **self.SMTP_kwargs)


class Sink:
    def __init__(self, maildir, refuse, refuse_all=False, tempfail=0, sleep=0.0, sleep_data=0.0,
                 drop=0):
        self.box = mailbox.Maildir(maildir, create=True)
        self.refuse = {a.lower() for a in refuse}
        self.refuse_all = refuse_all
        self.tempfail = tempfail
        self.sleep = sleep
        self.sleep_data = sleep_data
        self.drop = drop
        self.nsessions = 0
        self.lock = threading.Lock()

    def answer(self, address, reply):
        print('RCPT <%s> %s' % (address, reply.split(' ', 1)[0]), flush=True)
        return reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.sleep:
            await asyncio.sleep(self.sleep)
        if self.refuse_all or address.lower() in self.refuse:
            return self.answer(
                address, '550 5.1.1 <%s>: Recipient address rejected: test refusal' % address)
        with self.lock:
            temp = self.tempfail > 0
            if temp:
                self.tempfail -= 1
        if temp:
            return self.answer(address, '451 4.7.1 <%s>: try again later: test deferral' % address)
        envelope.rcpt_tos.append(address)
        return self.answer(address, '250 OK')

    async def handle_DATA(self, server, session, envelope):
        if self.sleep_data:
            await asyncio.sleep(self.sleep_data)
        with self.lock:
            # numbered on the session object: id() values are reused once a session is gone
            sid = getattr(session, 'sink_sid', None)
            if sid is None:
                self.nsessions += 1
                sid = session.sink_sid = self.nsessions
        login = '-'
        if getattr(session, 'authenticated', False) and isinstance(session.auth_data, LoginPassword):
            login = session.auth_data.login.decode('utf-8', 'replace')
        head = ('X-Sink-Session: %d\r\nX-Sink-Mail-From: %s\r\nX-Sink-Rcpt: %s\r\n'
                'X-Sink-TLS: %s\r\nX-Sink-Auth: %s\r\nX-Sink-Time: %.6f\r\n') % (
            sid, envelope.mail_from, ','.join(envelope.rcpt_tos),
            'yes' if session.ssl else 'no', login, time.time())
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode('utf-8', 'surrogateescape')
        with self.lock:
            self.box.add(head.encode('ascii') + data)
            drop = self.drop > 0
            if drop:
                self.drop -= 1
        if drop:
            server.transport.abort()  # stored, but the 250 never goes out
            return None
        return '250 2.0.0 Ok: queued as %d' % sid


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--maildir', required=True)
    ap.add_argument('--refuse', action='append', default=[])
    ap.add_argument('--refuse-all', action='store_true')
    ap.add_argument('--tempfail-rcpt', type=int, default=0, metavar='N')
    ap.add_argument('--sleep-rcpt', type=float, default=0.0, metavar='SECONDS')
    ap.add_argument('--sleep-data', type=float, default=0.0, metavar='SECONDS')
    ap.add_argument('--drop-after-data', type=int, default=0, metavar='N')
    ap.add_argument('--pidfile')
    ap.add_argument('--tls-cert')
    ap.add_argument('--tls-key')
    ap.add_argument('--auth', help='USER:PASSWORD')
    a = ap.parse_args()
    kw = {}
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        kw.update(tls_context=ctx, require_starttls=True)
    if a.auth:
        user, password = a.auth.split(':', 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
                  and auth_data.password == password.encode())
            # handled=False: aiosmtpd then answers a failure with 535 (its
            # default, handled=True, answers nothing and the client times out)
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
        kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=True)
    sink = Sink(a.maildir, a.refuse, a.refuse_all, a.tempfail_rcpt, a.sleep_rcpt, a.sleep_data,
                a.drop_after_data)
    ctl = SinkController(sink, hostname='127.0.0.1', port=a.port,
                     data_size_limit=10 * 1024 * 1024, **kw)
    ctl.start()
    if a.pidfile:
        with open(a.pidfile, 'w') as f:
            f.write('%d\n' % os.getpid())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    ctl.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
