/*
 * transport_smtp.c - SMTP submission through libESMTP.
 *
 * One transport_send() is one SMTP session: connect, EHLO, optional
 * STARTTLS and AUTH, one MAIL/RCPT/DATA per message, QUIT.  libESMTP gives a
 * status per message and recipient; we copy them out before the session is
 * destroyed.  No MX lookup: the configured host is a relay.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <auth-client.h>
#include <libesmtp.h>
#include <openssl/x509.h>

#include "buf.h"
#include "fileio.h"
#include "log.h"
#include "nodelay.h"
#include "transport_impl.h"
#include "xalloc.h"

/* how long tls_settle() waits for the relay, as the SMTP timeouts below */
#define SMTP_SETTLE_TIMEOUT_MS 30000

struct smtp_transport {
    struct transport base;
    char problem[256]; /* why the last session's TLS setup failed, "" if it did not */
    int settled;       /* tls_settle() ran in this session */
    int in_auth;       /* monitor(): inside an AUTH exchange, our lines are secret */
    int auth_code;     /* the relay's final reply to AUTH in this session, 0 when none */
    char auth_reply[128];
    char **relays; /* host:port, in the configured order */
    size_t nrelays;
    size_t current;     /* the relay that worked last: tried first */
    const char *server; /* the relay of the session running (one of relays) */
    char *helo;
    enum config_starttls starttls;
    char *user;
    char *password;
    SSL_CTX *tls; /* with smtp_ca_file: trusts that file and the system store */
};

/* libESMTP message source: the whole message in one chunk. */
static const char *msg_cb(void **ctx, int *len, void *arg)
{
    struct transport_msg *m = arg;
    int *done;

    if (*ctx == NULL)
        *ctx = xcalloc(1, sizeof(int)); /* libESMTP free()s it */
    done = *ctx;
    if (len == NULL) {
        *done = 0;
        return NULL;
    }
    if (*done) {
        *len = 0;
        return NULL;
    }
    *done = 1;
    m->data_sent = 1; /* libESMTP asks for the content only once DATA was accepted */
    *len = (int)m->len;
    return m->data;
}

static int auth_interact(auth_client_request_t req, char **result, int fields, void *arg)
{
    struct smtp_transport *st = arg;

    for (int i = 0; i < fields; i++) {
        if (req[i].flags & AUTH_USER)
            result[i] = st->user;
        else if (req[i].flags & AUTH_PASS)
            result[i] = st->password;
        else
            return 0;
    }
    return 1;
}

/*
 * One debug line per protocol line (a pipelined write holds several), at
 * most 200 bytes each, with every word holding an '@' shown as "(address)":
 * the log names contacts by id, never by address.
 */
static void trace(const char *buf, int len, int writing)
{
    while (len > 0) {
        const char *eol = memchr(buf, '\n', (size_t)len);
        int n = eol ? (int)(eol - buf) : len, shown = 0;
        char line[256];
        for (int i = 0; i < n && i < 200 && shown < (int)sizeof(line) - 10;) {
            int j = i;
            while (j < n && buf[j] != ' ' && buf[j] != ':' && buf[j] != '\r')
                j++;
            if (j == i) {
                if (buf[i] != '\r')
                    line[shown++] = buf[i];
                i++;
                continue;
            }
            if (memchr(buf + i, '@', (size_t)(j - i))) {
                memcpy(line + shown, "(address)", 9);
                shown += 9;
            } else {
                int k =
                    j - i < (int)sizeof(line) - 10 - shown ? j - i : (int)sizeof(line) - 10 - shown;
                memcpy(line + shown, buf + i, (size_t)k);
                shown += k;
            }
            i = j;
        }
        line[shown] = '\0';
        if (shown > 0)
            mo_log(MO_LOG_DEBUG, "smtp %s %s", writing ? ">" : "<", line);
        if (eol == NULL)
            break;
        len -= n + 1;
        buf = eol + 1;
    }
}

/* log_level = debug: the SMTP dialogue, without message content or credentials.
 * AUTH shows only its verb; what we answer to the server's 334 challenges
 * (base64 user name and password with AUTH LOGIN) shows as "(credentials)".
 * With smtp_user it also runs at other levels, to catch the relay's final
 * reply to AUTH: libESMTP goes on unauthenticated after a refused login. */
static void monitor(const char *buf, int len, int writing, void *arg)
{
    struct smtp_transport *st = arg;

    if (writing == SMTP_CB_HEADERS)
        return;
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
        len--;
    if (writing && len >= 4 && strncasecmp(buf, "AUTH", 4) == 0) {
        st->in_auth = 1;
        len = 4;
    } else if (writing && st->in_auth) {
        buf = "(credentials)";
        len = (int)strlen(buf);
    } else if (!writing) {
        int challenge = len >= 3 && strncmp(buf, "334", 3) == 0;
        if (st->in_auth && !challenge && len >= 3 && buf[0] >= '1' && buf[0] <= '5' &&
            (len == 3 || buf[3] == ' ')) {
            st->auth_code = (buf[0] - '0') * 100 + (buf[1] - '0') * 10 + (buf[2] - '0');
            snprintf(st->auth_reply, sizeof(st->auth_reply), "%.*s", len > 120 ? 120 : len, buf);
        }
        st->in_auth = st->in_auth && challenge;
    }
    if (mo_log_level_current >= MO_LOG_DEBUG)
        trace(buf, len, writing);
}

/* After SSL_read()/SSL_write() returned ret: waits until the socket can make
 * progress; 0 on an error, end of stream or SMTP_SETTLE_TIMEOUT_MS of silence. */
static int tls_wait(SSL *ssl, int ret)
{
    struct pollfd p = {.fd = SSL_get_fd(ssl), .events = 0, .revents = 0};
    int n;

    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        p.events = POLLIN;
        break;
    case SSL_ERROR_WANT_WRITE:
        p.events = POLLOUT;
        break;
    default:
        return 0;
    }
    while ((n = poll(&p, 1, SMTP_SETTLE_TIMEOUT_MS)) < 0)
        if (errno != EINTR)
            return 0;
    return n > 0;
}

/*
 * Called once per session as soon as the TLS handshake is done, before
 * libESMTP sends its next command (EHLO, or QUIT after a refused certificate).
 *
 * libESMTP 1.1 (protocol.c, siobuf.c) puts that command in its buffer and then
 * polls the socket for reading and writing at once; when both are ready it
 * reads the reply first and flushes the command after.  A TLS 1.3 server sends
 * NewSessionTicket messages just after the handshake, so the socket can be
 * readable with no SMTP reply in it: SSL_read() consumes the tickets, wants
 * more, and libESMTP waits its whole timeout for the reply to a command it has
 * not sent, then gives up ("SMTP server dropped connection").  Whether the
 * tickets arrive before that poll is a race a slow or busy client loses (seen
 * 1 run in 8 against a local relay, under ASan every other run).  The client
 * cannot refuse TLS 1.3 tickets (SSL_OP_NO_TICKET only concerns TLS 1.2).
 *
 * So we send NOOP ourselves and read its reply one byte at a time.  The
 * server sends its tickets before it reads NOOP and records arrive in order,
 * so the tickets are consumed with the reply, and the socket stays quiet
 * until libESMTP's command has been sent.  RFC 5321 4.1.4 allows NOOP before
 * EHLO; any reply will do.  Without a reply the socket is shut down, so the
 * session ends at once and a late reply cannot be taken for EHLO's.
 */
static void tls_settle(struct smtp_transport *st, SSL *ssl)
{
    static const char noop[] = "NOOP\r\n";
    char line[128];
    size_t len = 0, total = 0;
    int n;

    if (st->settled)
        return;
    st->settled = 1;
    mo_log(MO_LOG_DEBUG, "smtp > NOOP");
    while ((n = SSL_write(ssl, noop, (int)sizeof(noop) - 1)) <= 0)
        if (!tls_wait(ssl, n))
            goto fail;
    for (;;) {
        char c;
        while ((n = SSL_read(ssl, &c, 1)) <= 0)
            if (!tls_wait(ssl, n))
                goto fail;
        if (++total > 65536)
            goto fail;
        if (c != '\n') {
            if (len < sizeof(line) - 1)
                line[len++] = c;
            continue;
        }
        while (len > 0 && line[len - 1] == '\r')
            len--;
        line[len] = '\0';
        mo_log(MO_LOG_DEBUG, "smtp < %s", line);
        if (len < 4 || line[3] != '-')
            return; /* the last line of the reply */
        len = 0;
    }
fail:
    if (!st->problem[0])
        snprintf(st->problem, sizeof(st->problem),
                 "no reply from the relay to NOOP after the TLS handshake");
    shutdown(SSL_get_fd(ssl), SHUT_RDWR);
}

/* TLS events: record why a session was refused, so the error can say so; once
 * the handshake is done, settle the connection (tls_settle()). */
static void on_event(smtp_session_t s, int ev, void *arg, ...)
{
    struct smtp_transport *st = arg;
    SSL *ssl = NULL;
    va_list ap;
    (void)s;
    va_start(ap, arg);
    switch (ev) {
    case SMTP_EV_INVALID_PEER_CERTIFICATE: {
        long result = va_arg(ap, long);
        (void)va_arg(ap, int *);
        ssl = va_arg(ap, SSL *);
        snprintf(st->problem, sizeof(st->problem), "the relay's certificate is not trusted: %s",
                 X509_verify_cert_error_string(result));
        break;
    }
    case SMTP_EV_NO_PEER_CERTIFICATE:
        snprintf(st->problem, sizeof(st->problem), "the relay sent no certificate");
        break;
    case SMTP_EV_WRONG_PEER_CERTIFICATE: {
        (void)va_arg(ap, int *);
        const char *name = va_arg(ap, const char *);
        ssl = va_arg(ap, SSL *);
        snprintf(st->problem, sizeof(st->problem),
                 "the relay's certificate names '%s', not the configured host", name ? name : "");
        break;
    }
    case SMTP_EV_STARTTLS_OK:
        ssl = va_arg(ap, SSL *);
        break;
    case SMTP_EV_NO_CLIENT_CERTIFICATE: {
        int *ok = va_arg(ap, int *);
        *ok = 1; /* a client certificate is optional */
        break;
    }
    case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
    case SMTP_EV_UNUSABLE_CA_LIST:
        snprintf(st->problem, sizeof(st->problem),
                 "~/.authenticate must be 0700 and its files 0600, owned by this user");
        break;
    case SMTP_EV_WEAK_CIPHER:
        snprintf(st->problem, sizeof(st->problem), "the relay offered only a weak cipher");
        break;
    case SMTP_EV_EXTNA_STARTTLS:
        snprintf(st->problem, sizeof(st->problem), "the relay does not offer STARTTLS");
        break;
    default:
        break;
    }
    va_end(ap);
    if (st->problem[0])
        mo_log(MO_LOG_DEBUG, "smtp: %s", st->problem);
    if (ssl != NULL)
        tls_settle(st, ssl);
}

static void copy_status(struct transport_msg *m, const smtp_status_t *s)
{
    if (s == NULL)
        return;
    m->code = s->code;
    snprintf(m->reply, sizeof(m->reply), "%s", s->text ? s->text : "");
    size_t n = strlen(m->reply);
    while (n && (m->reply[n - 1] == '\n' || m->reply[n - 1] == '\r'))
        m->reply[--n] = '\0';
    m->enhanced[0] = '\0';
    /* libESMTP parses the RFC 3463 code when the relay announces ENHANCEDSTATUSCODES */
    if (s->enh_class >= 2 && s->enh_class <= 5 && s->enh_subject >= 0 && s->enh_subject <= 999 &&
        s->enh_detail >= 0 && s->enh_detail <= 999)
        snprintf(m->enhanced, sizeof(m->enhanced), "%d.%d.%d", s->enh_class, s->enh_subject,
                 s->enh_detail);
    else
        transport_enhanced_from_text(m->reply, m->enhanced, sizeof(m->enhanced));
}

static void reset_outcomes(struct transport_msg *msgs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        msgs[i].delivered = 0;
        msgs[i].code = 0;
        msgs[i].reply[0] = '\0';
        msgs[i].enhanced[0] = '\0';
        msgs[i].data_sent = 0;
    }
}

/*
 * One SMTP session with st->server.  0 when the session ran (messages may
 * still be refused); -1 with err when it failed, and then *replied says
 * whether any message got a reply (0: nothing was handed over, another relay
 * may take the batch).
 */
static int smtp_session(struct smtp_transport *st, struct transport_msg *msgs, size_t n,
                        int *replied, struct mo_err *err)
{
    smtp_session_t s = smtp_create_session();
    auth_context_t a = NULL;
    smtp_message_t *ms = NULL;
    smtp_recipient_t *rs = NULL;
    int rc = -1;

    *replied = 0;
    if (s == NULL)
        return mo_err_set(err, MO_E_INTERNAL, "smtp: cannot create session");
    if (!smtp_set_server(s, st->server) || !smtp_set_hostname(s, st->helo)) {
        mo_err_set(err, MO_E_INTERNAL, "smtp: %s", smtp_strerror(smtp_errno(), NULL, 0));
        goto out;
    }
    st->problem[0] = '\0';
    st->settled = 0;
    st->in_auth = 0;
    st->auth_code = 0;
    st->auth_reply[0] = '\0';
    smtp_set_eventcb(s, on_event, st);
    if (st->tls)
        smtp_starttls_set_ctx(s, st->tls);
    if (mo_log_level_current >= MO_LOG_DEBUG || st->user)
        smtp_set_monitorcb(s, monitor, st, 0);
    smtp_starttls_enable(s, st->starttls == STARTTLS_REQUIRED   ? Starttls_REQUIRED
                            : st->starttls == STARTTLS_OPTIONAL ? Starttls_ENABLED
                                                                : Starttls_DISABLED);
    smtp_set_timeout(s, Timeout_GREETING | Timeout_OVERRIDE_RFC2822_MINIMUM, 30000);
    smtp_set_timeout(s, Timeout_ENVELOPE | Timeout_OVERRIDE_RFC2822_MINIMUM, 30000);
    smtp_set_timeout(s, Timeout_DATA | Timeout_OVERRIDE_RFC2822_MINIMUM, 30000);
    smtp_set_timeout(s, Timeout_TRANSFER | Timeout_OVERRIDE_RFC2822_MINIMUM, 60000);
    smtp_set_timeout(s, Timeout_DATA2 | Timeout_OVERRIDE_RFC2822_MINIMUM, 60000);
    if (st->user) {
        a = auth_create_context();
        auth_set_mechanism_flags(a, AUTH_PLUGIN_PLAIN, 0);
        auth_set_interact_cb(a, auth_interact, st);
        smtp_auth_set_context(s, a);
    }
    ms = xcalloc(n, sizeof(*ms));
    rs = xcalloc(n, sizeof(*rs));
    for (size_t i = 0; i < n; i++) {
        ms[i] = smtp_add_message(s);
        if (ms[i] == NULL || !smtp_set_reverse_path(ms[i], msgs[i].envelope_from) ||
            (rs[i] = smtp_add_recipient(ms[i], msgs[i].rcpt)) == NULL ||
            !smtp_set_messagecb(ms[i], msg_cb, &msgs[i])) {
            mo_err_set(err, MO_E_INTERNAL, "smtp: %s", smtp_strerror(smtp_errno(), NULL, 0));
            goto out;
        }
    }
    int started = smtp_start_session(s);
    int session_errno = started ? 0 : smtp_errno();
    size_t delivered = 0;
    for (size_t i = 0; i < n; i++) {
        const smtp_status_t *ts = smtp_message_transfer_status(ms[i]);
        const smtp_status_t *rst = smtp_recipient_status(rs[i]);
        if (rst && rst->code && (rst->code < 200 || rst->code > 299))
            copy_status(&msgs[i], rst);
        else
            copy_status(&msgs[i], ts);
        msgs[i].delivered =
            ts && ts->code >= 200 && ts->code <= 299 && rst && rst->code >= 200 && rst->code <= 299;
        delivered += (size_t)msgs[i].delivered;
    }
    int attempted = 0; /* a reply, or content handed over: never to another relay */
    for (size_t i = 0; i < n; i++)
        attempted |= msgs[i].code != 0 || msgs[i].data_sent;
    if (st->user && st->auth_code >= 400 && delivered == 0) {
        /* the replies to MAIL (530 and the like) say nothing about the
         * recipients: the batch was not handed over */
        reset_outcomes(msgs, n);
        mo_err_set(err, MO_E_UNAVAILABLE,
                   "smtp %s: the relay refused the login for smtp_user '%s' (check smtp_user and "
                   "smtp_password_file): %s",
                   st->server, st->user, st->auth_reply);
        goto out;
    }
    if (!started || !attempted) {
        char buf[256];
        if (started)
            session_errno = smtp_errno();
        *replied = attempted;
        mo_err_set(err, MO_E_UNAVAILABLE, "smtp %s: %s", st->server,
                   st->problem[0]  ? st->problem
                   : session_errno ? smtp_strerror(session_errno, buf, sizeof(buf))
                                   : "session ended before any message was sent");
        goto out;
    }
    rc = 0;
out:
    smtp_destroy_session(s);
    if (a)
        auth_destroy_context(a);
    free(ms);
    free(rs);
    return rc;
}

/*
 * Several relays: the one that worked last first, then the others in the
 * configured order.  A session that failed before any message got a reply
 * (connection refused, no greeting, TLS required but not offered or not
 * trusted, login refused) hands the same batch to the next relay: nothing
 * was handed over, so nobody can get a message twice.  A session that failed
 * after some replies ends the batch (its messages without a reply stay not
 * attempted).
 */
static int smtp_send(struct transport *t, struct transport_msg *msgs, size_t n, struct mo_err *err)
{
    struct smtp_transport *st = (struct smtp_transport *)t;
    struct buf why;
    int rc = -1;

    buf_init(&why, 0);
    for (size_t k = 0; k < st->nrelays; k++) {
        size_t r = k == 0 ? st->current : k - 1 + (k - 1 >= st->current);
        struct mo_err e;
        int replied;

        mo_err_init(&e);
        st->server = st->relays[r];
        reset_outcomes(msgs, n);
        if (smtp_session(st, msgs, n, &replied, &e) == 0) {
            if (r != st->current) {
                mo_log(MO_LOG_WARN, "smtp: switching from relay %s to %s", st->relays[st->current],
                       st->relays[r]);
                st->current = r;
                snprintf(st->base.describe, sizeof(st->base.describe), "smtp %s", st->relays[r]);
            }
            rc = 0;
            goto out;
        }
        if (replied || e.code != MO_E_UNAVAILABLE || st->nrelays == 1) {
            mo_err_set(err, e.code, "%s", e.msg);
            goto out;
        }
        mo_log(MO_LOG_WARN, "%s", e.msg);
        buf_printf(&why, "%s%s", why.len ? "; " : "", e.msg);
    }
    mo_err_set(err, MO_E_UNAVAILABLE, "smtp: no relay took the messages: %s", why.s);
out:
    buf_release(&why);
    return rc;
}

static void smtp_free(struct transport *t)
{
    struct smtp_transport *st = (struct smtp_transport *)t;
    if (st->tls)
        SSL_CTX_free(st->tls);
    for (size_t i = 0; i < st->nrelays; i++)
        free(st->relays[i]);
    free(st->relays);
    free(st->helo);
    free(st->user);
    if (st->password) {
        memset(st->password, 0, strlen(st->password));
        free(st->password);
    }
    free(st);
}

static const struct transport_ops smtp_ops = {smtp_send, smtp_free};

static char *read_secret(const char *path, struct mo_err *err)
{
    char line[1024];
    if (fileio_read_secret(path, "smtp_password_file", line, sizeof(line), err) < 0)
        return NULL;
    char *s = xstrdup(line);
    OPENSSL_cleanse(line, sizeof(line));
    return s;
}

struct transport *transport_smtp_new(const struct config *cfg, struct mo_err *err)
{
    static int auth_ready;
    struct smtp_transport *st;

    /* config_load() refuses this already; the transport does not rely on it */
    if (*cfg->smtp_user && cfg->smtp_starttls != STARTTLS_REQUIRED && !config_smtp_loopback(cfg)) {
        mo_err_set(err, MO_E_INPUT,
                   "smtp_user needs smtp_starttls = required for the relay '%s': AUTH is never "
                   "sent without TLS except to loopback (key smtp_starttls)",
                   cfg->transport_target);
        return NULL;
    }
    if (!nodelay_enabled())
        mo_log(MO_LOG_INFO, "smtp: TCP_NODELAY off (MAILOUT_NO_NODELAY)");
    if (!auth_ready) {
        auth_client_init();
        auth_ready = 1;
    }
    st = xcalloc(1, sizeof(*st));
    st->base.ops = &smtp_ops;
    st->nrelays = cfg->nrelays;
    st->relays = xcalloc(cfg->nrelays ? cfg->nrelays : 1, sizeof(*st->relays));
    for (size_t i = 0; i < cfg->nrelays; i++)
        st->relays[i] = xstrdup(cfg->relays[i]);
    st->helo = xstrdup(*cfg->smtp_helo ? cfg->smtp_helo : "localhost");
    st->starttls = cfg->smtp_starttls;
    if (*cfg->smtp_user) {
        st->user = xstrdup(cfg->smtp_user);
        st->password =
            *cfg->smtp_password_file ? read_secret(cfg->smtp_password_file, err) : xstrdup("");
        if (st->password == NULL) {
            smtp_free(&st->base);
            return NULL;
        }
    }
    if (*cfg->smtp_ca_file) {
        st->tls = SSL_CTX_new(TLS_client_method());
        if (st->tls == NULL || SSL_CTX_set_min_proto_version(st->tls, TLS1_2_VERSION) != 1 ||
            SSL_CTX_load_verify_locations(st->tls, cfg->smtp_ca_file, NULL) != 1 ||
            SSL_CTX_set_default_verify_paths(st->tls) != 1) {
            mo_err_set(err, MO_E_INPUT, "cannot load CA certificates from '%s' (key smtp_ca_file)",
                       cfg->smtp_ca_file);
            smtp_free(&st->base);
            return NULL;
        }
    }
    if (st->nrelays == 0) {
        mo_err_set(err, MO_E_INTERNAL, "smtp transport without a relay");
        smtp_free(&st->base);
        return NULL;
    }
    snprintf(st->base.describe, sizeof(st->base.describe), "smtp %s", st->relays[0]);
    return &st->base;
}
