/*
 * http.c - the HTTP server of `mailout serve` on libmicrohttpd: the daemon
 * and its limits, connections and their deadlines, request framing, reading
 * bodies, and dispatch through the route table (http_impl.h).
 *
 * Owns: connection limits (total, per client address), the slow-request
 * deadlines (with http_watch.c), refusing ambiguous framing (two
 * Content-Length fields, Content-Length with Transfer-Encoding), body size
 * limits, 404/405/413/415 as derived from the table, metrics_allow, the
 * headers every response carries, and each worker thread's database
 * connection.  Does not own: what an endpoint does (http_routes.c), form
 * syntax (http_form.c), pages (page.c) or metric names (metrics.c).
 */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "db.h"
#include "http_impl.h"
#include "http_watch.h"
#include "ipnet.h"
#include "log.h"
#include "page.h"
#include "tmplfile.h"
#include "utf8.h"
#include "xalloc.h"

/*
 * 16, not 4: with PostgreSQL's durable commit each request that writes waits
 * for its WAL flush, so a thread serves at most 1/(flush time) of them.  This
 * machine's disk flushes in about 2.8 ms (pg_test_fsync: fdatasync 362/s), so
 * 4 threads could never pass ~1,400 one-click unsubscribes a second however
 * fast the rest is; 16 threads (one database connection each) leave the
 * limit to the CPU.  Measured with wrk, 16 connections, 2 cores under load:
 * 494/s with 4 threads, 1,046/s with 16 (issue 10, h-web).
 */
#define HTTP_THREADS            16
#define HTTP_CONNECTIONS        512   /* in total */
#define HTTP_CONNECTIONS_PER_IP 16    /* one address cannot hold more than this */
#define HTTP_IDLE_TIMEOUT_S     15    /* libmicrohttpd: no byte for this long closes */
#define HTTP_HEADER_DEADLINE_S  10    /* request headers complete within this, however sent */
#define HTTP_BODY_DEADLINE_S    20    /* and the body within this after the headers */
#define HTTP_CONNECTION_MEMORY  65536 /* per connection, bounds the headers too */

/* --- responses ------------------------------------------------------------ */

/*
 * Queues body (taken) with the headers every answer carries and extra ones
 * (name, value, ..., NULL; may be NULL); close: "Connection: close".
 */
static enum MHD_Result respond_with(struct http_call *call, unsigned code, const char *type,
                                    struct buf *body, const char *allow, int close,
                                    const char *const *extra)
{
    size_t len = body->len;
    char *data = buf_detach(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ret;

    if (r == NULL) {
        free(data);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    int own_csp = 0;
    for (size_t i = 0; extra && extra[i] && extra[i + 1]; i += 2) {
        MHD_add_response_header(r, extra[i], extra[i + 1]);
        own_csp |= strcasecmp(extra[i], "Content-Security-Policy") == 0;
    }
    if (!own_csp)
        MHD_add_response_header(r, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; form-action "
                                "'self'; frame-ancestors 'none'; base-uri 'none'");
    if (allow)
        MHD_add_response_header(r, "Allow", allow);
    if (close)
        MHD_add_response_header(r, "Connection", "close");
    if (code >= 400 && code < 500)
        metrics_inc(call->s->metrics, METRIC_HTTP_RESPONSES_4XX);
    if (code >= 500)
        metrics_inc(call->s->metrics, METRIC_HTTP_RESPONSES_5XX);
    ret = MHD_queue_response(call->c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond(struct http_call *call, unsigned code, const char *type,
                               struct buf *body, const char *allow, int close)
{
    return respond_with(call, code, type, body, allow, close, NULL);
}

enum MHD_Result http_respond(struct http_call *call, unsigned code, const char *type,
                             struct buf *body, const char *const *headers)
{
    return respond_with(call, code, type, body, NULL, 0, headers);
}

enum MHD_Result http_page(struct http_call *call, unsigned code, const char *lang, const char *name,
                          struct tmpl_vars *v)
{
    struct buf out;

    buf_init(&out, PAGE_MAX);
    page_render(call->s->data_dir, lang, name, v, &out);
    tmpl_vars_free(v);
    return respond(call, code, "text/html; charset=utf-8", &out, NULL, 0);
}

/* An error page; allow and close as for respond(). */
static enum MHD_Result error_page(struct http_call *call, unsigned code, const char *title,
                                  const char *message, const char *allow, int close)
{
    struct buf out;

    buf_init(&out, PAGE_MAX);
    page_render_error(call->s->data_dir, call->lang, code, title, message, &out);
    return respond(call, code, "text/html; charset=utf-8", &out, allow, close);
}

enum MHD_Result http_error(struct http_call *call, unsigned code, const char *title,
                           const char *message)
{
    return error_page(call, code, title, message, NULL, 0);
}

enum MHD_Result http_unavailable(struct http_call *call, const char *what, const char *msg)
{
    mo_log(MO_LOG_ERROR, "%s: %s", what, msg);
    return http_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "Service unavailable",
                      "Please try again later.");
}

enum MHD_Result http_text(struct http_call *call, unsigned code, const char *type, struct buf *body)
{
    return respond(call, code, type, body, NULL, 0);
}

/* --- what routes need -------------------------------------------------------- */

static void db_destructor(void *p)
{
    db_free(p);
}

struct db *http_db(struct http_call *call, struct mo_err *err)
{
    struct http_server *s = call->s;
    struct db *db = pthread_getspecific(s->db_key);

    if (db && PQstatus(db_conn(db)) != CONNECTION_OK) {
        db_free(db);
        db = NULL;
        pthread_setspecific(s->db_key, NULL);
    }
    if (db == NULL) {
        db = db_connect(s->cfg, err);
        if (db)
            pthread_setspecific(s->db_key, db);
    }
    return db;
}

const struct sockaddr *http_client_addr(struct http_call *call)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(call->c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    return ci ? ci->client_addr : NULL;
}

void http_client_ip(struct http_call *call, char *out, size_t n)
{
    ipnet_addr_text(http_client_addr(call), out, n);
}

void http_user_agent(struct http_call *call, char *out, size_t n)
{
    const char *v = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "User-Agent");
    int valid = v && utf8_valid(v, strlen(v));
    size_t i = 0;

    for (; v && v[i] && i + 1 < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        out[i] = (ch < 0x20 || ch == 0x7f || (!valid && ch >= 0x80)) ? '?' : (char)ch;
    }
    out[i] = '\0';
    /* do not leave a cut UTF-8 sequence at the end */
    while (i && !utf8_valid(out, i))
        out[--i] = '\0';
}

void http_count(struct http_call *call, enum metric_id id)
{
    metrics_inc(call->s->metrics, id);
}

/* --- requests ---------------------------------------------------------------- */

/* Picks en or de from ?lang= or Accept-Language. */
static void request_lang(struct MHD_Connection *c, char out[8])
{
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    const char *al = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language");

    tmplfile_lang(q ? q : al ? al : "en", out);
    if (strcmp(out, "en") != 0 && strcmp(out, "de") != 0)
        memcpy(out, "en", 3);
}

/* The connection's watch handle, stored by notify_connection(). */
static struct http_watch_conn *watch_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

    return ci ? ci->socket_context : NULL;
}

struct framing {
    unsigned content_length;
    unsigned transfer_encoding;
    const char *te; /* the last Transfer-Encoding value */
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    struct framing *f = cls;

    (void)kind;
    if (strcasecmp(key, "Content-Length") == 0)
        f->content_length++;
    if (strcasecmp(key, "Transfer-Encoding") == 0) {
        f->transfer_encoding++;
        f->te = value;
    }
    return MHD_YES;
}

/*
 * Refuses a request whose body length is ambiguous (RFC 9112 6.3): a
 * second Content-Length, or Content-Length with Transfer-Encoding, which a
 * proxy in front may read differently, so that bytes it sends as one
 * request's body run here as another request.  libmicrohttpd 0.9.75 reads
 * only the first Content-Length and lets Transfer-Encoding win; it would
 * then read the rest as the next request.  The answer is queued before the
 * body is read, and the connection closed after it, so nothing in the
 * body is ever parsed.  MHD_lookup_connection_value() sees only the first
 * of repeated fields, hence the count over all of them.
 * Returns MHD_YES/MHD_NO from the queued answer, or -1 when framing is fine.
 */
static int refuse_framing(struct http_call *call)
{
    struct framing f = {0, 0, NULL};

    MHD_get_connection_values(call->c, MHD_HEADER_KIND, count_framing, &f);
    if (f.content_length > 1 || (f.content_length && f.transfer_encoding) ||
        f.transfer_encoding > 1) {
        metrics_inc(call->s->metrics, METRIC_HTTP_FRAMING_REFUSED);
        return error_page(call, MHD_HTTP_BAD_REQUEST, "Bad request",
                          "The request's length is ambiguous.", NULL, 1);
    }
    if (f.transfer_encoding && strcasecmp(f.te, "chunked") != 0) {
        metrics_inc(call->s->metrics, METRIC_HTTP_FRAMING_REFUSED);
        return error_page(call, MHD_HTTP_NOT_IMPLEMENTED, "Not implemented",
                          "Only the chunked transfer coding is understood.", NULL, 1);
    }
    return -1;
}

static int route_allows(const struct http_route *r, const char *method)
{
    if (strcmp(r->method, method) == 0)
        return 1;
    return strcmp(r->method, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

static int route_matches(const struct http_route *r, const char *url)
{
    if (r->match == HTTP_ROUTE_EXACT)
        return strcmp(url, r->path) == 0;
    return strncmp(url, r->path, strlen(r->path)) == 0;
}

/*
 * The route for method and url, or NULL.  When NULL, *allow is NULL for a
 * path no route has (404), else the methods its routes take (405).  Rows
 * for metrics_allow clients do not exist for anyone else.
 */
static const struct http_route *find_route(struct http_call *call, const char *url,
                                           const char *method, const char **allow)
{
    int get = 0, post = 0;

    for (size_t i = 0; i < http_nroutes; i++) {
        const struct http_route *r = &http_routes[i];
        if (!route_matches(r, url))
            continue;
        if ((r->flags & HTTP_ROUTE_METRICS) &&
            !ipnet_list_match(call->s->metrics_allow, http_client_addr(call)))
            continue;
        if ((r->flags & HTTP_ROUTE_ADMIN) && call->s->admin == NULL)
            continue;
        if (route_allows(r, method))
            return r;
        get |= strcmp(r->method, "GET") == 0;
        post |= strcmp(r->method, "POST") == 0;
    }
    *allow = get && post ? "GET, HEAD, POST" : get ? "GET, HEAD" : post ? "POST" : NULL;
    return NULL;
}

/* First call, headers complete: framing, route, limits.  -1: go on reading the request. */
static int start_request(struct http_call *call, const char *url, const char *method)
{
    const char *allow;
    char msg[96];
    int rc;

    if ((rc = refuse_framing(call)) >= 0)
        return rc;
    call->route = find_route(call, url, method, &allow);
    if (call->route == NULL && allow == NULL)
        return http_error(call, MHD_HTTP_NOT_FOUND, "Not found",
                          "There is no page at this address.");
    if (call->route == NULL) {
        if (snprintf(msg, sizeof(msg), "This address accepts %s only.", allow) >= (int)sizeof(msg))
            msg[0] = '\0';
        return error_page(call, MHD_HTTP_METHOD_NOT_ALLOWED, "Method not allowed", msg, allow, 0);
    }
    call->rest = call->route->match == HTTP_ROUTE_PREFIX ? url + strlen(call->route->path) : "";

    const char *cl = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Content-Length");
    const char *ct = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Content-Type");
    if (cl && strtoull(cl, NULL, 10) > HTTP_FORM_BODY_MAX) {
        if (call->route->flags & HTTP_ROUTE_BODY) {
            /* the handler decides (a bad token comes first), before the body is read */
            call->body_too_large = 1;
            return call->route->handle(call);
        }
        return http_error(call, MHD_HTTP_CONTENT_TOO_LARGE, "Request too large",
                          "The form is larger than allowed.");
    }
    if ((call->route->flags & HTTP_ROUTE_FORM) && strcmp(method, "POST") == 0) {
        if (ct ? http_form_kind(ct) == HTTP_FORM_UNSUPPORTED : cl == NULL || strcmp(cl, "0") != 0)
            return http_error(call, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Unsupported form encoding",
                              "Send the form as application/x-www-form-urlencoded or "
                              "multipart/form-data.");
    }
    return -1;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct http_call *call = *con_cls;
    int rc;

    (void)version;
    if (call == NULL) {
        metrics_inc(s->metrics, METRIC_HTTP_REQUESTS);
        http_watch_headers_done(s->watch, watch_of(c));
        call = xcalloc(1, sizeof(*call));
        call->s = s;
        call->c = c;
        call->rest = "";
        buf_init(&call->body, HTTP_FORM_BODY_MAX);
        http_form_init(&call->form);
        *con_cls = call;
        request_lang(c, call->lang);
        rc = start_request(call, url, method);
        return rc >= 0 ? (enum MHD_Result)rc : MHD_YES;
    }
    if (*upload_data_size && call->route) {
        call->body_seen += *upload_data_size;
        if (call->body_seen <= HTTP_FORM_BODY_MAX &&
            (call->route->flags & (HTTP_ROUTE_FORM | HTTP_ROUTE_BODY)))
            buf_add(&call->body, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (call->route == NULL)
        return MHD_NO; /* not reached: a request without a route was answered at once */
    http_watch_request_read(s->watch, watch_of(c));
    if (call->body_seen > HTTP_FORM_BODY_MAX) {
        if (!(call->route->flags & HTTP_ROUTE_BODY))
            return http_error(call, MHD_HTTP_CONTENT_TOO_LARGE, "Request too large",
                              "The form is larger than allowed.");
        call->body_too_large = 1;
        buf_reset(&call->body);
    }
    if ((call->route->flags & HTTP_ROUTE_FORM) && strcmp(method, "POST") == 0) {
        struct mo_err err;
        mo_err_init(&err);
        call->form_ok =
            http_form_parse(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type"),
                            call->body.s, call->body.len, &call->form, &err) == 0;
        if (!call->form_ok &&
            snprintf(call->form_error, sizeof(call->form_error), "%s", err.msg) < 0)
            call->form_error[0] = '\0';
    }
    return call->route->handle(call);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct http_call *call = *con_cls;

    (void)toe;
    http_watch_request_done(s->watch, watch_of(c));
    if (call) {
        buf_release(&call->body);
        http_form_release(&call->form);
        free(call);
    }
    *con_cls = NULL;
}

/*
 * Registers each connection with the watchdog when it opens and removes it
 * when it closes; libmicrohttpd 0.9.75 reports the close before it closes
 * the socket, so a watched descriptor is never a reused one.
 */
static void notify_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *s = cls;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? http_watch_add(s->watch, ci->connect_fd) : NULL;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        http_watch_remove(s->watch, *socket_context);
        *socket_context = NULL;
    }
}

static void count_slow(void *arg)
{
    metrics_inc(arg, METRIC_HTTP_SLOW_CLOSED);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];

    (void)cls;
    if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
        return;
    msg[strcspn(msg, "\n")] = '\0';
    mo_log(MO_LOG_DEBUG, "http: %s", msg);
}

/* --- the server ---------------------------------------------------------------- */

static void server_free(struct http_server *s)
{
    http_watch_stop(s->watch);
    http_admin_free(s->admin);
    ipnet_list_free(s->metrics_allow);
    metrics_free(s->metrics);
    pthread_key_delete(s->db_key);
    free(s->data_dir);
    free(s);
}

struct http_server *http_start(const struct config *cfg, const char *data_dir, struct mo_err *err)
{
    struct sockaddr_in sa4;
    struct sockaddr_in6 sa6;
    struct sockaddr *sa;
    struct http_server *s;
    struct ipnet_list *allow;
    /* poll, not epoll: with a thread pool, libmicrohttpd 0.9.75's epoll mode left
     * connections their clients had closed in CLOSE-WAIT until the timeout, which let
     * junk connections exhaust the per-IP limit (tests/integration/http_robust.sh) */
    unsigned flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG | MHD_USE_ITC;

    memset(&sa4, 0, sizeof(sa4));
    memset(&sa6, 0, sizeof(sa6));
    if (inet_pton(AF_INET, cfg->listen_host, &sa4.sin_addr) == 1) {
        sa4.sin_family = AF_INET;
        sa4.sin_port = htons((uint16_t)cfg->listen_port);
        sa = (struct sockaddr *)&sa4;
    } else {
        char host[128];
        size_t n = strlen(cfg->listen_host);
        int w;
        if (n >= 2 && cfg->listen_host[0] == '[' && cfg->listen_host[n - 1] == ']')
            w = snprintf(host, sizeof(host), "%.*s", (int)(n - 2), cfg->listen_host + 1);
        else
            w = snprintf(host, sizeof(host), "%s",
                         strcmp(cfg->listen_host, "localhost") == 0 ? "::1" : cfg->listen_host);
        if (w < 0 || (size_t)w >= sizeof(host) || inet_pton(AF_INET6, host, &sa6.sin6_addr) != 1) {
            mo_err_set(err, MO_E_INPUT,
                       "invalid listen address '%s' (key listen): use an IP address",
                       cfg->listen_host);
            return NULL;
        }
        sa6.sin6_family = AF_INET6;
        sa6.sin6_port = htons((uint16_t)cfg->listen_port);
        sa = (struct sockaddr *)&sa6;
        flags |= MHD_USE_IPv6;
    }
    allow = ipnet_list_parse(cfg->metrics_allow, "metrics_allow", err);
    if (allow == NULL)
        return NULL;
    s = xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->data_dir = xstrdup(data_dir);
    s->metrics = metrics_new();
    s->metrics_allow = allow;
    pthread_key_create(&s->db_key, db_destructor);
    if (*cfg->admin_token_file && (s->admin = http_admin_new(cfg, err)) == NULL) {
        server_free(s);
        return NULL;
    }
    s->watch = http_watch_start(HTTP_HEADER_DEADLINE_S * 1000, HTTP_BODY_DEADLINE_S * 1000,
                                count_slow, s->metrics, err);
    if (s->watch == NULL) {
        server_free(s);
        return NULL;
    }
    s->d = MHD_start_daemon(
        /* the logger first: MHD reports problems with the options after it through it */
        flags, (uint16_t)cfg->listen_port, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, s, MHD_OPTION_SOCK_ADDR, sa, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)HTTP_THREADS, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)HTTP_CONNECTIONS_PER_IP,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)HTTP_IDLE_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
        MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_NOTIFY_CONNECTION, notify_connection,
        s, MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_END);
    if (s->d == NULL) {
        mo_err_set(err, MO_E_UNAVAILABLE, "cannot listen on %s (key listen)", cfg->listen);
        server_free(s);
        return NULL;
    }
    return s;
}

void http_stop(struct http_server *s)
{
    if (s == NULL)
        return;
    /* after quiescing, the listening socket is ours to close (MHD_stop_daemon leaves
     * it open): without this the port stays bound and `run` could not listen again
     * on a reload */
    MHD_socket fd = MHD_quiesce_daemon(s->d);
    MHD_stop_daemon(s->d);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    server_free(s);
}
