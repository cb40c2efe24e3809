/*
 * http.c - libmicrohttpd handlers for /subscribe, /confirm/TOKEN,
 * /healthz and /metrics.  Owns request parsing limits, per-thread database
 * connections, page rendering and metrics; the consent logic is doi.c's.
 */
#include "http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "buf.h"
#include "db.h"
#include "doi.h"
#include "log.h"
#include "mime.h"
#include "tmpl.h"
#include "tmplfile.h"
#include "utf8.h"
#include "xalloc.h"

#define BODY_MAX   (16 * 1024)
#define FIELD_MAX  1024
#define TOPICS_MAX DOI_MAX_TOPICS

enum metric {
    M_REQUESTS,
    M_SUBSCRIBE_OK,
    M_SUBSCRIBE_LIMITED_IP,
    M_SUBSCRIBE_LIMITED_ADDR,
    M_SUBSCRIBE_NO_TOPIC,
    M_SUBSCRIBE_BAD,
    M_CONFIRM_OK,
    M_CONFIRM_GONE,
    M_CONFIRM_UNKNOWN,
    M_ERRORS,
    M_4XX,
    M_5XX,
    M__COUNT
};

static const char *const metric_names[M__COUNT] = {
    "mailout_http_requests_total",           "mailout_subscribe_accepted_total",
    "mailout_subscribe_ip_limited_total",    "mailout_subscribe_address_limited_total",
    "mailout_subscribe_without_topic_total", "mailout_subscribe_invalid_total",
    "mailout_confirm_success_total",         "mailout_confirm_gone_total",
    "mailout_confirm_unknown_total",         "mailout_http_internal_errors_total",
    "mailout_http_responses_4xx_total",      "mailout_http_responses_5xx_total",
};

struct http_server {
    struct MHD_Daemon *d;
    const struct config *cfg;
    char *data_dir;
    pthread_key_t db_key;
    atomic_ulong m[M__COUNT];
};

struct req {
    struct MHD_PostProcessor *pp;
    size_t body;
    int too_big;
    int bad_field;
    struct buf email;
    struct buf locale;
    char *topics[TOPICS_MAX];
    size_t ntopics;
    char *texts[TOPICS_MAX]; /* consent_text, positional */
    size_t ntexts;
    char *named_keys[TOPICS_MAX]; /* consent_text.TOPIC */
    char *named_vals[TOPICS_MAX];
    size_t nnamed;
    int age_confirmed;
    int field_count;
    char tail[2];       /* last bytes of the previous body chunk, to see "%00" across chunks */
    struct buf cur_key; /* the key being accumulated */
    struct buf cur_val;
};

static void req_free(struct req *r)
{
    if (r == NULL)
        return;
    if (r->pp)
        MHD_destroy_post_processor(r->pp);
    buf_release(&r->email);
    buf_release(&r->locale);
    buf_release(&r->cur_key);
    buf_release(&r->cur_val);
    for (size_t i = 0; i < r->ntopics; i++)
        free(r->topics[i]);
    for (size_t i = 0; i < r->ntexts; i++)
        free(r->texts[i]);
    for (size_t i = 0; i < r->nnamed; i++) {
        free(r->named_keys[i]);
        free(r->named_vals[i]);
    }
    free(r);
}

static void db_destructor(void *p)
{
    db_free(p);
}

static struct db *thread_db(struct http_server *s, struct mo_err *err)
{
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

/* --- responses --- */

static enum MHD_Result respond(struct http_server *s, struct MHD_Connection *c, unsigned code,
                               const char *type, struct buf *body)
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
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                            "frame-ancestors 'none'; base-uri 'none'");
    if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, "Allow", "GET, HEAD, POST");
    if (code >= 400 && code < 500)
        atomic_fetch_add(&s->m[M_4XX], 1);
    if (code >= 500)
        atomic_fetch_add(&s->m[M_5XX], 1);
    ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static const char fallback_page[] = "<h1>{{title}}</h1><p>{{message}}</p>\n";

/*
 * Renders a page: templates/LANG/NAME starts with a "Title:" line, then the
 * body; both are rendered with v (values HTML-escaped) and placed into
 * templates/LANG/layout.html as {{title}} and {{{body}}}.
 */
static enum MHD_Result page(struct http_server *s, struct MHD_Connection *c, unsigned code,
                            const char *lang, const char *name, struct tmpl_vars *v)
{
    struct mo_err err;
    struct buf title, body, out;
    char *t = NULL, *layout = NULL, *title_t, *body_t;

    mo_err_init(&err);
    buf_init(&title, 4096);
    buf_init(&body, 512 * 1024);
    buf_init(&out, 600 * 1024);
    tmpl_vars_set(v, "lang", lang);
    t = tmplfile_load(s->data_dir, lang, name, 0, &err);
    layout = t ? tmplfile_load(s->data_dir, lang, "layout.html", 0, &err) : NULL;
    if (layout == NULL || tmplfile_split_header(t, "Title", name, &title_t, &body_t, &err) < 0 ||
        tmpl_render(title_t, v, TMPL_RAW, &title, &err) < 0 ||
        tmpl_render(body_t, v, TMPL_HTML, &body, &err) < 0) {
        mo_log(MO_LOG_ERROR, "page %s: %s", name, err.msg);
        buf_reset(&body);
        buf_reset(&title);
        buf_puts(&title, "Error");
        mo_err_init(&err);
        if (tmpl_render(fallback_page, v, TMPL_HTML, &body, &err) < 0)
            buf_puts(&body, "<p>error</p>");
    }
    tmpl_vars_set(v, "title", title.s);
    tmpl_vars_set(v, "body", body.s);
    mo_err_init(&err);
    if (layout == NULL || tmpl_render(layout, v, TMPL_HTML, &out, &err) < 0) {
        buf_reset(&out);
        buf_puts(&out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
        tmpl_html_escape(title.s, &out);
        buf_printf(&out, "</title></head><body>%s</body></html>\n", body.s);
    }
    free(t);
    free(layout);
    buf_release(&title);
    buf_release(&body);
    tmpl_vars_free(v);
    return respond(s, c, code, "text/html; charset=utf-8", &out);
}

static enum MHD_Result error_page(struct http_server *s, struct MHD_Connection *c, unsigned code,
                                  const char *lang, const char *title, const char *message)
{
    struct tmpl_vars *v = tmpl_vars_new();
    char codes[8];
    snprintf(codes, sizeof(codes), "%u", code);
    tmpl_vars_set(v, "code", codes);
    tmpl_vars_set(v, "title", title);
    tmpl_vars_set(v, "message", message);
    return page(s, c, code, lang, "page_error.html", v);
}

static enum MHD_Result text(struct http_server *s, struct MHD_Connection *c, unsigned code,
                            const char *type, const char *body)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, body);
    return respond(s, c, code, type, &b);
}

/* --- request helpers --- */

static void client_ip(struct MHD_Connection *c, char *out, size_t n)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(out, n, "0.0.0.0");
    if (ci == NULL || ci->client_addr == NULL)
        return;
    const struct sockaddr *sa = ci->client_addr;
    if (sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)n);
    else if (sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)n);
}

/* Picks en or de from ?lang= or Accept-Language. */
static void request_lang(struct MHD_Connection *c, char out[8])
{
    const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    const char *al = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Language");
    tmplfile_lang(q ? q : al ? al : "en", out);
    if (strcmp(out, "en") != 0 && strcmp(out, "de") != 0)
        snprintf(out, 8, "en");
}

/* Copies a header value for the ledger: at most n-1 bytes, non-UTF-8 and control bytes as '?'. */
static void clean_header(const char *v, char *out, size_t n)
{
    size_t i = 0;
    int valid = v && utf8_valid(v, strlen(v));
    for (; v && v[i] && i + 1 < n; i++) {
        unsigned char ch = (unsigned char)v[i];
        out[i] = (ch < 0x20 || ch == 0x7f || (!valid && ch >= 0x80)) ? '?' : (char)ch;
    }
    out[i] = '\0';
    /* do not leave a cut UTF-8 sequence at the end */
    while (i && !utf8_valid(out, i))
        out[--i] = '\0';
}

static int store_field(char **arr, size_t *n, const char *v)
{
    if (*n >= TOPICS_MAX)
        return -1;
    arr[(*n)++] = xstrdup(v);
    return 0;
}

/* A complete key/value pair from the form. */
static void field_done(struct req *r)
{
    const char *k = r->cur_key.s, *v = r->cur_val.s;

    if (++r->field_count > 64 || strlen(v) != r->cur_val.len || !utf8_valid(k, r->cur_key.len) ||
        !utf8_valid(v, r->cur_val.len)) {
        r->bad_field = 1;
        return;
    }
    if (strcmp(k, "email") == 0) {
        buf_reset(&r->email);
        if (buf_puts(&r->email, v) < 0)
            r->bad_field = 1;
    } else if (strcmp(k, "locale") == 0) {
        buf_reset(&r->locale);
        if (buf_puts(&r->locale, v) < 0)
            r->bad_field = 1;
    } else if (strcmp(k, "topic") == 0) {
        if (*v && store_field(r->topics, &r->ntopics, v) < 0)
            r->bad_field = 1;
    } else if (strcmp(k, "consent_text") == 0) {
        if (store_field(r->texts, &r->ntexts, v) < 0)
            r->bad_field = 1;
    } else if (strncmp(k, "consent_text.", 13) == 0) {
        if (r->nnamed >= TOPICS_MAX)
            r->bad_field = 1;
        else {
            r->named_keys[r->nnamed] = xstrdup(k + 13);
            r->named_vals[r->nnamed++] = xstrdup(v);
        }
    } else if (strcmp(k, "age_confirmed") == 0) {
        r->age_confirmed = strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "1") == 0;
    }
}

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *filename, const char *content_type,
                                 const char *transfer_encoding, const char *data, uint64_t off,
                                 size_t size)
{
    struct req *r = cls;
    (void)kind;
    (void)filename;
    (void)content_type;
    (void)transfer_encoding;
    if (off == 0) {
        if (r->cur_key.len || r->cur_val.len)
            field_done(r);
        buf_reset(&r->cur_key);
        buf_reset(&r->cur_val);
        if (buf_puts(&r->cur_key, key ? key : "") < 0) {
            r->bad_field = 1;
            return MHD_NO;
        }
    }
    if (size && (memchr(data, '\0', size) || buf_add(&r->cur_val, data, size) < 0)) {
        r->bad_field = 1;
        return MHD_NO;
    }
    return MHD_YES;
}

/* A raw NUL byte, or "%00" (also split across chunks), anywhere in the body. */
static int has_nul(struct req *r, const char *d, size_t n)
{
    char win[4];
    if (memchr(d, '\0', n))
        return 1;
    for (size_t i = 0; i < n; i++) {
        win[0] = r->tail[0];
        win[1] = r->tail[1];
        win[2] = d[i];
        r->tail[0] = r->tail[1];
        r->tail[1] = d[i];
        if (win[0] == '%' && win[1] == '0' && win[2] == '0')
            return 1;
    }
    return 0;
}

static void finish_fields(struct req *r)
{
    if (r->cur_key.len || r->cur_val.len)
        field_done(r);
    buf_reset(&r->cur_key);
    buf_reset(&r->cur_val);
}

/* --- routes --- */

static enum MHD_Result do_subscribe(struct http_server *s, struct MHD_Connection *c, struct req *r,
                                    const char *lang)
{
    struct doi_topic_req topics[TOPICS_MAX];
    struct mo_err err;
    enum doi_outcome outcome;
    char ip[INET6_ADDRSTRLEN + 1];
    struct db *db;

    mo_err_init(&err);
    if (r->bad_field || r->field_count == 0)
        return error_page(s, c, MHD_HTTP_BAD_REQUEST, lang, "Bad request",
                          "The form could not be read.");
    client_ip(c, ip, sizeof(ip));
    db = thread_db(s, &err);
    if (db == NULL) {
        mo_log(MO_LOG_ERROR, "subscribe: %s", err.msg);
        return error_page(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, lang, "Service unavailable",
                          "Please try again later.");
    }
    int allowed = doi_ip_allowed(db, s->cfg, ip, &err);
    if (allowed < 0) {
        mo_log(MO_LOG_ERROR, "subscribe: %s", err.msg);
        return error_page(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, lang, "Service unavailable",
                          "Please try again later.");
    }
    if (!allowed) {
        atomic_fetch_add(&s->m[M_SUBSCRIBE_LIMITED_IP], 1);
        return error_page(s, c, MHD_HTTP_TOO_MANY_REQUESTS, lang, "Too many requests",
                          "Please try again later.");
    }
    if (r->ntopics == 0) {
        /* no explicit consent: nothing is recorded, and the answer looks the same (R-GDPR-1) */
        atomic_fetch_add(&s->m[M_SUBSCRIBE_NO_TOPIC], 1);
        return page(s, c, MHD_HTTP_OK, lang, "page_subscribed.html", tmpl_vars_new());
    }
    if (!r->age_confirmed) {
        atomic_fetch_add(&s->m[M_SUBSCRIBE_BAD], 1);
        return error_page(s, c, MHD_HTTP_BAD_REQUEST, lang, "Age confirmation needed",
                          "Please confirm that you are old enough to subscribe.");
    }
    for (size_t i = 0; i < r->ntopics; i++) {
        const char *text = NULL;
        for (size_t k = 0; k < r->nnamed; k++)
            if (strcmp(r->named_keys[k], r->topics[i]) == 0)
                text = r->named_vals[k];
        if (text == NULL && i < r->ntexts)
            text = r->texts[i];
        char *end = NULL;
        long long id = text ? strtoll(text, &end, 10) : 0;
        if (text == NULL || *text == '\0' || *end || id <= 0) {
            atomic_fetch_add(&s->m[M_SUBSCRIBE_BAD], 1);
            return error_page(s, c, MHD_HTTP_BAD_REQUEST, lang, "Bad request",
                              "Each topic needs the consent text that was shown.");
        }
        topics[i].topic = r->topics[i];
        topics[i].consent_text_id = id;
    }
    char ua_cut[512];
    clean_header(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent"), ua_cut,
                 sizeof(ua_cut));
    struct doi_subscribe_in in = {
        .email = r->email.s,
        .topics = topics,
        .ntopics = r->ntopics,
        .ip = ip,
        .user_agent = ua_cut,
        .source = "web form",
        .channel = "web",
        .actor = "web",
        .locale = r->locale.len ? r->locale.s : lang,
        .age_attested = 1,
    };
    if (doi_subscribe(db, s->cfg, s->data_dir, &in, &outcome, &err) < 0) {
        if (err.code == MO_E_INPUT || err.code == MO_E_NOTFOUND || err.code == MO_E_USAGE) {
            atomic_fetch_add(&s->m[M_SUBSCRIBE_BAD], 1);
            return error_page(s, c, MHD_HTTP_BAD_REQUEST, lang, "Please check your entry", err.msg);
        }
        mo_log(MO_LOG_ERROR, "subscribe failed: %s", err.msg);
        atomic_fetch_add(&s->m[M_ERRORS], 1);
        return error_page(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, lang, "Service unavailable",
                          "Please try again later.");
    }
    atomic_fetch_add(&s->m[outcome == DOI_LIMITED ? M_SUBSCRIBE_LIMITED_ADDR : M_SUBSCRIBE_OK], 1);
    return page(s, c, MHD_HTTP_OK, lang, "page_subscribed.html", tmpl_vars_new());
}

static enum MHD_Result token_error(struct http_server *s, struct MHD_Connection *c,
                                   enum doi_token_state st, const char *lang)
{
    struct tmpl_vars *v = tmpl_vars_new();
    if (st == DOI_TOKEN_GONE) {
        atomic_fetch_add(&s->m[M_CONFIRM_GONE], 1);
        return page(s, c, MHD_HTTP_GONE, lang, "page_gone.html", v);
    }
    atomic_fetch_add(&s->m[M_CONFIRM_UNKNOWN], 1);
    return page(s, c, MHD_HTTP_NOT_FOUND, lang, "page_notfound.html", v);
}

static enum MHD_Result do_confirm(struct http_server *s, struct MHD_Connection *c,
                                  const char *token, int post, const char *lang)
{
    struct mo_err err;
    enum doi_token_state st;
    struct doi_view view;
    struct db *db;
    char ip[INET6_ADDRSTRLEN + 1], action[128], plang[8];
    int rc;

    mo_err_init(&err);
    db = thread_db(s, &err);
    if (db == NULL) {
        mo_log(MO_LOG_ERROR, "confirm: %s", err.msg);
        return error_page(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, lang, "Service unavailable",
                          "Please try again later.");
    }
    if (post) {
        char ua_cut[512];
        clean_header(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent"), ua_cut,
                     sizeof(ua_cut));
        client_ip(c, ip, sizeof(ip));
        rc = doi_confirm(db, s->cfg, token, ip, ua_cut, &st, &view, &err);
    } else
        rc = doi_lookup(db, token, &st, &view, &err);
    if (rc < 0) {
        mo_log(MO_LOG_ERROR, "confirm: %s", err.msg);
        atomic_fetch_add(&s->m[M_ERRORS], 1);
        return error_page(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, lang, "Service unavailable",
                          "Please try again later.");
    }
    if (st != DOI_TOKEN_OK)
        return token_error(s, c, st, lang);
    tmplfile_lang(view.locale, plang);
    struct tmpl_vars *v = tmpl_vars_new();
    tmpl_vars_set(v, "email", view.email);
    tmpl_vars_set(v, "topics", view.topics);
    tmpl_vars_set(v, "expires", view.expires_at);
    tmpl_vars_set(v, "privacy_url", s->cfg->privacy_url);
    tmpl_vars_set(v, "imprint_url", s->cfg->imprint_url);
    tmpl_vars_set(v, "legal_entity", s->cfg->legal_entity);
    if (post) {
        atomic_fetch_add(&s->m[M_CONFIRM_OK], 1);
        return page(s, c, MHD_HTTP_OK, plang, "page_confirmed.html", v);
    }
    snprintf(action, sizeof(action), "/confirm/%s", token);
    tmpl_vars_set(v, "action", action);
    return page(s, c, MHD_HTTP_OK, plang, "page_confirm.html", v);
}

static enum MHD_Result do_metrics(struct http_server *s, struct MHD_Connection *c)
{
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < M__COUNT; i++)
        buf_printf(&b, "# TYPE %s counter\n%s %lu\n", metric_names[i], metric_names[i],
                   atomic_load(&s->m[i]));
    buf_puts(&b, "# TYPE mailout_up gauge\nmailout_up 1\n");
    return respond(s, c, MHD_HTTP_OK, "text/plain; version=0.0.4", &b);
}

static enum MHD_Result do_subscribe_form(struct http_server *s, struct MHD_Connection *c,
                                         const char *lang)
{
    struct mo_err err;
    struct db *db;
    struct buf rows;
    PGresult *r;

    mo_err_init(&err);
    db = thread_db(s, &err);
    if (db == NULL)
        return error_page(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, lang, "Service unavailable",
                          "Please try again later.");
    const char *p[] = {lang};
    r = db_exec(db, Q_SUBSCRIBE_FORM_TOPICS, p, 1, &err);
    if (r == NULL) {
        mo_log(MO_LOG_ERROR, "subscribe form: %s", err.msg);
        return error_page(s, c, MHD_HTTP_SERVICE_UNAVAILABLE, lang, "Service unavailable",
                          "Please try again later.");
    }
    /* one unticked box per topic, each with its own consent text (GDPR Art. 7(2)) */
    buf_init(&rows, 256 * 1024);
    for (int i = 0; i < PQntuples(r); i++) {
        const char *name = PQgetvalue(r, i, 0), *title = PQgetvalue(r, i, 1);
        const char *tid = PQgetvalue(r, i, 2), *body = PQgetvalue(r, i, 3);
        buf_puts(&rows, "<fieldset><legend>");
        tmpl_html_escape(title, &rows);
        buf_puts(&rows, "</legend><p class=\"consent\">");
        tmpl_html_escape(body, &rows);
        buf_puts(&rows, "</p><label><input type=\"checkbox\" name=\"topic\" value=\"");
        tmpl_html_escape(name, &rows);
        buf_printf(&rows, "\" id=\"topic-%d\"> ", i);
        tmpl_html_escape(title, &rows);
        buf_puts(&rows, "</label><input type=\"hidden\" name=\"consent_text.");
        tmpl_html_escape(name, &rows);
        buf_puts(&rows, "\" value=\"");
        tmpl_html_escape(tid, &rows);
        buf_puts(&rows, "\"></fieldset>\n");
    }
    PQclear(r);
    struct tmpl_vars *v = tmpl_vars_new();
    tmpl_vars_set(v, "topic_fields", rows.s);
    tmpl_vars_set(v, "privacy_url", s->cfg->privacy_url);
    tmpl_vars_set(v, "legal_entity", s->cfg->legal_entity);
    buf_release(&rows);
    return page(s, c, MHD_HTTP_OK, lang, "page_subscribe.html", v);
}

static int is_post_route(const char *url)
{
    return strcmp(url, "/subscribe") == 0 || strncmp(url, "/confirm/", 9) == 0;
}

static int known_route(const char *url)
{
    return is_post_route(url) || strcmp(url, "/healthz") == 0 || strcmp(url, "/metrics") == 0;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct req *r = *con_cls;
    char lang[8];
    int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    int post = strcmp(method, "POST") == 0;
    (void)version;

    if (r == NULL) {
        atomic_fetch_add(&s->m[M_REQUESTS], 1);
        r = xcalloc(1, sizeof(*r));
        buf_init(&r->email, 320);
        buf_init(&r->locale, 32);
        buf_init(&r->cur_key, 128);
        buf_init(&r->cur_val, FIELD_MAX);
        *con_cls = r;
        request_lang(c, lang);
        if (!known_route(url))
            return error_page(s, c, MHD_HTTP_NOT_FOUND, lang, "Not found",
                              "There is no page at this address.");
        if (!get && !post)
            return error_page(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, lang, "Method not allowed",
                              "This address accepts GET and POST only.");
        if (post && !is_post_route(url))
            return error_page(s, c, MHD_HTTP_METHOD_NOT_ALLOWED, lang, "Method not allowed",
                              "This address accepts GET only.");
        if (post) {
            const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
            const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
            if (cl && strtoull(cl, NULL, 10) > BODY_MAX)
                return error_page(s, c, MHD_HTTP_CONTENT_TOO_LARGE, lang, "Request too large",
                                  "The form is larger than allowed.");
            if (ct) {
                r->pp = MHD_create_post_processor(c, 1024, post_iter, r);
                if (r->pp == NULL)
                    return error_page(s, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, lang,
                                      "Unsupported form encoding",
                                      "Send the form as application/x-www-form-urlencoded or "
                                      "multipart/form-data.");
            } else if (strcmp(url, "/subscribe") == 0 && (cl == NULL || strcmp(cl, "0") != 0))
                return error_page(s, c, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, lang,
                                  "Unsupported form encoding", "The form has no content type.");
        }
        return MHD_YES;
    }
    request_lang(c, lang);
    if (*upload_data_size) {
        r->body += *upload_data_size;
        if (r->body > BODY_MAX)
            r->too_big = 1;
        else if (has_nul(r, upload_data, *upload_data_size))
            r->bad_field = 1; /* a NUL would silently cut a key or value short */
        else if (r->pp && !r->bad_field &&
                 MHD_post_process(r->pp, upload_data, *upload_data_size) != MHD_YES)
            r->bad_field = 1;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_big)
        return error_page(s, c, MHD_HTTP_CONTENT_TOO_LARGE, lang, "Request too large",
                          "The form is larger than allowed.");
    if (r->pp) {
        finish_fields(r);
        /* MHD_NO: the body ended in the middle of a field or a multipart part */
        if (MHD_destroy_post_processor(r->pp) != MHD_YES)
            r->bad_field = 1;
        r->pp = NULL;
    }
    if (strcmp(url, "/healthz") == 0)
        return post ? MHD_NO : text(s, c, MHD_HTTP_OK, "text/plain; charset=utf-8", "ok\n");
    if (strcmp(url, "/metrics") == 0)
        return do_metrics(s, c);
    if (strcmp(url, "/subscribe") == 0)
        return post ? do_subscribe(s, c, r, lang) : do_subscribe_form(s, c, lang);
    if (strncmp(url, "/confirm/", 9) == 0)
        return do_confirm(s, c, url + 9, post, lang);
    return error_page(s, c, MHD_HTTP_NOT_FOUND, lang, "Not found", "There is no page here.");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    req_free(*con_cls);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    mo_log(MO_LOG_DEBUG, "http: %s", msg);
}

struct http_server *http_start(const struct config *cfg, const char *data_dir, struct mo_err *err)
{
    struct sockaddr_in sa4;
    struct sockaddr_in6 sa6;
    struct sockaddr *sa;
    struct http_server *s;
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
        if (n >= 2 && cfg->listen_host[0] == '[' && cfg->listen_host[n - 1] == ']')
            snprintf(host, sizeof(host), "%.*s", (int)(n - 2), cfg->listen_host + 1);
        else
            snprintf(host, sizeof(host), "%s",
                     strcmp(cfg->listen_host, "localhost") == 0 ? "::1" : cfg->listen_host);
        if (inet_pton(AF_INET6, host, &sa6.sin6_addr) != 1) {
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
    s = xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    s->data_dir = xstrdup(data_dir);
    pthread_key_create(&s->db_key, db_destructor);
    s->d = MHD_start_daemon(
        flags, (uint16_t)cfg->listen_port, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR, sa,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)4, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)512, MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)64,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)15, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)65536, MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, s, MHD_OPTION_STRICT_FOR_CLIENT, (int)1, MHD_OPTION_END);
    if (s->d == NULL) {
        mo_err_set(err, MO_E_UNAVAILABLE, "cannot listen on %s (key listen)", cfg->listen);
        pthread_key_delete(s->db_key);
        free(s->data_dir);
        free(s);
        return NULL;
    }
    return s;
}

void http_stop(struct http_server *s)
{
    if (s == NULL)
        return;
    MHD_quiesce_daemon(s->d);
    MHD_stop_daemon(s->d);
    pthread_key_delete(s->db_key);
    free(s->data_dir);
    free(s);
}
