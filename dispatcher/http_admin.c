/*
 * http_admin.c - the read-only admin view under /admin (issue 12): login
 * with the token of admin_token_file, sessions, and the pages (campaign
 * list, one campaign with its chart, contact lookup).
 *
 * Owns: the token check (constant time, over SHA-256 digests so that the
 * length of a guess tells nothing), the session store (in memory, per
 * process: a random 256-bit id in the cookie, only its SHA-256 kept here,
 * with an expiry; expired ones purged on every look-up), the throttle of
 * failed logins, the admin headers (a CSP without any script or inline
 * style) and the page frame.  Does not own: the data (queries.c,
 * report.c, campaign.c) or the HTML pieces (admin_view.c).  Nothing here
 * writes to the database: every GET is read-only, and the only POSTs
 * (login, logout) change the session alone; SameSite=Strict keeps them
 * from other sites.
 */
#include "http.h"
#include "http_impl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin_view.h"
#include "campaign.h"
#include "crypto.h"
#include "fileio.h"
#include "ipnet.h"
#include "log.h"
#include "monotime.h"
#include "report.h"
#include "utf8.h"
#include "xalloc.h"

#define ADMIN_TOKEN_MIN      32   /* characters of the token, at least */
#define ADMIN_TOKEN_MAX      1024 /* and at most */
#define ADMIN_SESSIONS_MAX   64   /* the oldest is ended to make room */
#define ADMIN_FAIL_WINDOW_MS (60 * 1000)
#define ADMIN_FAIL_MAX       10  /* failed logins per window and client (IPv6: per /64) */
#define ADMIN_FAIL_CLIENTS   256 /* clients tracked; the oldest window makes room */
#define ADMIN_PAGE_MAX       (2 * 1024 * 1024)
#define ADMIN_COOKIE         "mo_admin"
#define ADMIN_EMAIL_MAX      320
#define ADMIN_NAME_MAX       200
#define ADMIN_EXPLAIN_MAX    20 /* campaigns explained on a contact page */

#define ADMIN_CSP                                                                                  \
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "                   \
    "frame-ancestors 'none'; base-uri 'none'"

struct admin_session {
    char hash[CRYPTO_SHA256_HEX_LEN + 1]; /* of the cookie's value; "" = free slot */
    long long expires_ms;                 /* monotonic */
};

/* Failed logins of one client in its current window. */
struct admin_failures {
    char key[IPNET_KEY_MAX]; /* ipnet_limit_key(); "" = free */
    long long since_ms;      /* monotonic start of the window */
    unsigned n;
};

struct http_admin {
    char token_hash[CRYPTO_SHA256_HEX_LEN + 1];
    long long ttl_s;
    pthread_mutex_t lock;
    struct admin_session sessions[ADMIN_SESSIONS_MAX];
    struct admin_failures fails[ADMIN_FAIL_CLIENTS];
};

int http_admin_token_read(const char *path, char hash[CRYPTO_SHA256_HEX_LEN + 1],
                          struct mo_err *err)
{
    char token[ADMIN_TOKEN_MAX + 2];
    size_t len;

    if (fileio_read_secret(path, "admin_token_file", token, sizeof(token), err) < 0)
        return -1;
    len = strlen(token);
    while (len && (token[len - 1] == ' ' || token[len - 1] == '\t' || token[len - 1] == '\r'))
        token[--len] = '\0';
    if (len < ADMIN_TOKEN_MIN) {
        explicit_bzero(token, sizeof(token));
        return mo_err_set(err, MO_E_INPUT,
                          "the token in '%s' is shorter than %d characters (key admin_token_file)",
                          path, ADMIN_TOKEN_MIN);
    }
    crypto_sha256_hex(token, len, hash);
    explicit_bzero(token, sizeof(token));
    return 0;
}

struct http_admin *http_admin_new(const struct config *cfg, struct mo_err *err)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1];
    struct http_admin *a;

    if (cfg->admin_session_ttl < 1) {
        mo_err_set(err, MO_E_INPUT,
                   "admin_session_ttl must be at least 1s (key admin_session_ttl)");
        return NULL;
    }
    if (http_admin_token_read(cfg->admin_token_file, hash, err) < 0)
        return NULL;
    a = xcalloc(1, sizeof(*a));
    memcpy(a->token_hash, hash, sizeof(hash));
    a->ttl_s = cfg->admin_session_ttl;
    pthread_mutex_init(&a->lock, NULL);
    return a;
}

void http_admin_free(struct http_admin *a)
{
    if (a == NULL)
        return;
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* --- sessions -------------------------------------------------------------------- */

/* Frees the slots of expired sessions; a->lock held. */
static void purge_locked(struct http_admin *a, long long now)
{
    for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++)
        if (a->sessions[i].hash[0] && a->sessions[i].expires_ms <= now)
            memset(&a->sessions[i], 0, sizeof(a->sessions[i]));
}

/* What the cookie walk looks for: the slot of a live session, or -1. */
struct cookie_find {
    struct http_admin *a;
    int found;
};

/* One cookie of the request: a mo_admin one naming a live session sets the slot. */
static enum MHD_Result cookie_match(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *v)
{
    struct cookie_find *cf = cls;
    char hash[CRYPTO_SHA256_HEX_LEN + 1];

    (void)kind;
    if (key == NULL || strcmp(key, ADMIN_COOKIE) != 0 || v == NULL || !crypto_token_wellformed(v))
        return MHD_YES;
    crypto_sha256_hex(v, strlen(v), hash);
    /* every slot is compared, so the time taken tells nothing about the others */
    for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++)
        if (cf->a->sessions[i].hash[0] &&
            crypto_equal(cf->a->sessions[i].hash, hash, CRYPTO_SHA256_HEX_LEN))
            cf->found = (int)i;
    return MHD_YES;
}

/*
 * The slot of the request's session cookie, or -1; a->lock held.  Every
 * mo_admin cookie is tried: a browser sends a stale or foreign one (another
 * path, a sibling host's Domain cookie) first as readily as ours, and
 * MHD_lookup_connection_value() sees only the first.
 */
static int find_locked(struct http_admin *a, struct http_call *call)
{
    struct cookie_find cf = {a, -1};

    MHD_get_connection_values(call->c, MHD_COOKIE_KIND, cookie_match, &cf);
    return cf.found;
}

/* 1 when the request carries a live session. */
static int session_valid(struct http_call *call)
{
    struct http_admin *a = call->s->admin;
    int slot;

    pthread_mutex_lock(&a->lock);
    purge_locked(a, monotime_ms());
    slot = find_locked(a, call);
    pthread_mutex_unlock(&a->lock);
    return slot >= 0;
}

/* Starts a session: its cookie value into out; -1 when no random bytes. */
static int session_start(struct http_admin *a, char out[CRYPTO_TOKEN_LEN + 1])
{
    struct mo_err err;
    long long now = monotime_ms();
    size_t slot = 0;

    mo_err_init(&err);
    if (crypto_random_token(out, &err) < 0) {
        mo_log(MO_LOG_ERROR, "admin login: %s", err.msg);
        return -1;
    }
    pthread_mutex_lock(&a->lock);
    purge_locked(a, now);
    /* a free slot, else the session closest to its end */
    for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++) {
        if (a->sessions[i].hash[0] == '\0') {
            slot = i;
            break;
        }
        if (a->sessions[i].expires_ms < a->sessions[slot].expires_ms)
            slot = i;
    }
    crypto_sha256_hex(out, strlen(out), a->sessions[slot].hash);
    a->sessions[slot].expires_ms = now + a->ttl_s * 1000;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

/* --- responses ------------------------------------------------------------------- */

/* Queues a page with the admin headers and extra ones (name, value, ..., NULL). */
static enum MHD_Result admin_respond(struct http_call *call, unsigned code, const char *type,
                                     struct buf *body, const char *h1, const char *v1,
                                     const char *h2, const char *v2)
{
    const char *headers[] = {"Content-Security-Policy", ADMIN_CSP, h1, v1, h2, v2, NULL};

    return http_respond(call, code, type, body, headers);
}

static void page_open(struct buf *b, const char *title, int logged_in)
{
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta name=\"referrer\" content=\"no-referrer\">\n<title>");
    admin_esc(b, title);
    buf_puts(b, " - mailout admin</title>\n"
                "<link rel=\"stylesheet\" href=\"/admin/style.css\">\n</head><body>\n<header>"
                "<a class=\"brand\" href=\"/admin\">mailout admin</a>");
    if (logged_in)
        buf_puts(b, "<nav><a href=\"/admin\">Campaigns</a>"
                    "<form class=\"lookup\" method=\"get\" action=\"/admin/contact\">"
                    "<input type=\"email\" name=\"email\" placeholder=\"contact address\" "
                    "aria-label=\"contact address\" required>"
                    "<button type=\"submit\">Look up</button></form>"
                    "<form method=\"post\" action=\"/admin/logout\">"
                    "<button type=\"submit\" id=\"logout\">Log out</button></form></nav>");
    buf_puts(b, "</header>\n<main>\n<h1>");
    admin_esc(b, title);
    buf_puts(b, "</h1>\n");
}

static void page_close(struct buf *b)
{
    buf_puts(b, "</main>\n<footer>Read-only view. Nothing here changes data.</footer>\n"
                "</body></html>\n");
}

/* The page in b (taken) as HTML. */
static enum MHD_Result send_html(struct http_call *call, unsigned code, struct buf *b,
                                 const char *h1, const char *v1, const char *h2, const char *v2)
{
    page_close(b);
    return admin_respond(call, code, "text/html; charset=utf-8", b, h1, v1, h2, v2);
}

/* The login form, with a message (plain text) or none. */
static enum MHD_Result login_form(struct http_call *call, unsigned code, const char *message)
{
    struct buf b;

    buf_init(&b, ADMIN_PAGE_MAX);
    page_open(&b, "Log in", 0);
    if (message) {
        buf_puts(&b, "<p class=\"error\" id=\"login-error\">");
        admin_esc(&b, message);
        buf_puts(&b, "</p>\n");
    }
    buf_puts(&b, "<form id=\"login\" method=\"post\" action=\"/admin/login\">\n"
                 "<label for=\"token\">Admin token</label>\n"
                 "<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"off\" "
                 "required>\n<button type=\"submit\">Log in</button>\n</form>\n");
    return send_html(call, code, &b, NULL, NULL, NULL, NULL);
}

static enum MHD_Result admin_notfound(struct http_call *call)
{
    struct buf b;

    buf_init(&b, ADMIN_PAGE_MAX);
    page_open(&b, "Not found", 0);
    buf_puts(&b, "<p>There is no page at this address.</p>\n");
    return send_html(call, MHD_HTTP_NOT_FOUND, &b, NULL, NULL, NULL, NULL);
}

static enum MHD_Result admin_unavailable(struct http_call *call, const char *what, const char *msg)
{
    struct buf b;

    mo_log(MO_LOG_ERROR, "admin %s: %s", what, msg);
    buf_init(&b, ADMIN_PAGE_MAX);
    page_open(&b, "Service unavailable", 1);
    buf_puts(&b, "<p>The database could not be read. Please try again later.</p>\n");
    return send_html(call, MHD_HTTP_SERVICE_UNAVAILABLE, &b, NULL, NULL, NULL, NULL);
}

/* A query argument, or NULL when missing, empty, longer than max, not UTF-8 or not one line. */
static const char *query_arg(struct http_call *call, const char *name, size_t max)
{
    const char *v = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, name);

    if (v == NULL || *v == '\0' || strlen(v) > max || !utf8_valid(v, strlen(v)) ||
        strpbrk(v, "\r\n") != NULL)
        return NULL;
    return v;
}

/* A JSON object's text member as a "k: n, k: n" list; escaped. */
static void counts_cell(struct buf *b, const char *json_text)
{
    json_t *o = json_loads(json_text, 0, NULL);
    const char *k;
    json_t *v;
    int first = 1;

    if (!json_is_object(o) || json_object_size(o) == 0) {
        buf_puts(b, "&ndash;");
        json_decref(o);
        return;
    }
    json_object_foreach(o, k, v)
    {
        char num[32];
        if (!first)
            buf_puts(b, ", ");
        first = 0;
        admin_esc(b, k);
        snprintf(num, sizeof(num), ": %" JSON_INTEGER_FORMAT, json_integer_value(v));
        buf_puts(b, num);
    }
    json_decref(o);
}

/* The runs table for one campaign (name) or all (NULL); -1 with err. */
static int runs_table(struct db *db, struct buf *b, const char *name, struct mo_err *err)
{
    const char *p[] = {name};
    PGresult *r = db_exec(db, Q_ADMIN_RUNS, p, 1, err);
    int n;

    if (r == NULL)
        return -1;
    n = PQntuples(r);
    if (n == 0) {
        buf_puts(b, "<p class=\"empty\">No campaigns yet.</p>\n");
        PQclear(r);
        return 0;
    }
    buf_puts(b, "<table class=\"list\" id=\"runs\">\n<tr>");
    if (name == NULL)
        buf_puts(b, "<th scope=\"col\">Campaign</th>");
    buf_puts(b, "<th scope=\"col\">Run</th><th scope=\"col\">Built (UTC)</th>"
                "<th scope=\"col\">State</th><th scope=\"col\">Recipients per basis</th>"
                "<th scope=\"col\">Excluded per reason</th><th scope=\"col\">Sent</th>"
                "<th scope=\"col\">Failed</th></tr>\n");
    for (int i = 0; i < n; i++) {
        const char *campaign = db_val(r, i, "campaign");
        int norun = db_isnull(r, i, "run_id");
        buf_puts(b, "<tr>");
        if (name == NULL) {
            buf_puts(b, "<td><a class=\"campaign\" href=\"/admin/campaign?name=");
            /* the name as a query value: percent-encode everything but unreserved bytes */
            for (const unsigned char *c = (const unsigned char *)campaign; *c; c++) {
                if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.' || *c == '~')
                    buf_putc(b, (char)*c);
                else
                    buf_printf(b, "%%%02X", *c);
            }
            buf_puts(b, "\">");
            admin_esc(b, campaign);
            buf_puts(b, "</a></td>");
        }
        if (norun) {
            buf_puts(b, "<td colspan=\"7\" class=\"empty\">no run yet</td></tr>\n");
            continue;
        }
        buf_puts(b, "<td>");
        admin_esc(b, db_val(r, i, "run_id"));
        buf_puts(b, "</td><td>");
        admin_esc(b, db_val(r, i, "created_at"));
        buf_puts(b, "</td><td>");
        admin_esc(b, db_val(r, i, "state"));
        buf_puts(b, "</td><td class=\"basis\">");
        counts_cell(b, db_val(r, i, "by_basis"));
        buf_puts(b, "</td><td class=\"excluded\">");
        counts_cell(b, db_val(r, i, "excluded"));
        buf_puts(b, "</td><td class=\"num\">");
        admin_esc(b, db_val(r, i, "sent"));
        buf_puts(b, "</td><td class=\"num\">");
        admin_esc(b, db_val(r, i, "failed"));
        buf_puts(b, "</td></tr>\n");
    }
    buf_puts(b, "</table>\n");
    PQclear(r);
    return 0;
}

/* A report's JSON, or its error as a clear message. */
static void report_block(struct buf *b, json_t *j, const struct mo_err *err, const char *what)
{
    if (j == NULL) {
        buf_puts(b, "<p class=\"error report-error\">");
        admin_esc(b, what);
        buf_puts(b, " is not available: ");
        admin_esc(b, err->msg);
        buf_puts(b, "</p>\n");
        return;
    }
    buf_puts(b, "<div class=\"report\">\n");
    admin_json_html(j, b);
    buf_puts(b, "</div>\n");
}

/* --- pages ------------------------------------------------------------------------- */

static enum MHD_Result page_campaigns(struct http_call *call)
{
    struct mo_err err;
    struct db *db;
    struct buf b;

    mo_err_init(&err);
    if ((db = http_db(call, &err)) == NULL)
        return admin_unavailable(call, "campaigns", err.msg);
    buf_init(&b, ADMIN_PAGE_MAX);
    page_open(&b, "Campaigns", 1);
    if (runs_table(db, &b, NULL, &err) < 0) {
        buf_release(&b);
        return admin_unavailable(call, "campaigns", err.msg);
    }
    return send_html(call, MHD_HTTP_OK, &b, NULL, NULL, NULL, NULL);
}

static enum MHD_Result page_campaign(struct http_call *call)
{
    const char *name = query_arg(call, "name", ADMIN_NAME_MAX);
    struct admin_point *pts = NULL;
    char unit[8] = "hour";
    struct mo_err err;
    struct db *db;
    struct buf b;
    PGresult *r;
    json_t *rep;
    size_t n = 0;

    mo_err_init(&err);
    if (name == NULL)
        return admin_notfound(call);
    if ((db = http_db(call, &err)) == NULL)
        return admin_unavailable(call, "campaign", err.msg);
    const char *p[] = {name};
    if ((r = db_exec(db, Q_ADMIN_RUNS, p, 1, &err)) == NULL)
        return admin_unavailable(call, "campaign", err.msg);
    if (PQntuples(r) == 0) {
        PQclear(r);
        return admin_notfound(call);
    }
    PQclear(r);
    if ((r = db_exec(db, Q_ADMIN_SERIES, p, 1, &err)) == NULL)
        return admin_unavailable(call, "campaign chart", err.msg);
    n = (size_t)PQntuples(r);
    if (n > ADMIN_POINTS_MAX)
        n = ADMIN_POINTS_MAX;
    pts = xcalloc(n ? n : 1, sizeof(*pts));
    for (size_t i = 0; i < n; i++) {
        snprintf(pts[i].label, sizeof(pts[i].label), "%s", db_val(r, (int)i, "bucket"));
        for (int s = 0; s < ADMIN_SERIES; s++)
            pts[i].v[s] = strtoll(db_val(r, (int)i, admin_series_name[s]), NULL, 10);
        snprintf(unit, sizeof(unit), "%s", db_val(r, (int)i, "unit"));
    }
    PQclear(r);
    buf_init(&b, ADMIN_PAGE_MAX);
    page_open(&b, name, 1);
    buf_puts(&b, "<h2>Sends, failures and unsubscribes over time</h2>\n<figure>\n");
    admin_svg_chart(pts, n, unit, &b);
    buf_puts(&b, "</figure>\n");
    free(pts);
    buf_puts(&b, "<h2>Runs</h2>\n");
    if (runs_table(db, &b, name, &err) < 0) {
        buf_release(&b);
        return admin_unavailable(call, "campaign", err.msg);
    }
    buf_puts(&b, "<h2>Report</h2>\n");
    mo_err_init(&err);
    rep = report_campaign(db, name, &err);
    db_rollback(db); /* a report that failed halfway leaves nothing open */
    report_block(&b, rep, &err, "The campaign report");
    json_decref(rep);
    return send_html(call, MHD_HTTP_OK, &b, NULL, NULL, NULL, NULL);
}

/* One campaign's explain path for email. */
static void explain_block(struct http_call *call, struct db *db, struct buf *b, const char *name,
                          const char *email)
{
    struct mo_err err;
    json_t *j;

    mo_err_init(&err);
    j = campaign_explain_contact(db, call->s->cfg, name, email, time(NULL), &err);
    db_rollback(db);
    buf_puts(b, "<section class=\"explain\">\n<h3>");
    admin_esc(b, name);
    buf_puts(b, "</h3>\n");
    if (j == NULL) {
        buf_puts(b, "<p class=\"error\">");
        admin_esc(b, err.msg);
        buf_puts(b, "</p>\n</section>\n");
        return;
    }
    admin_json_html(j, b);
    json_decref(j);
    buf_puts(b, "</section>\n");
}

static enum MHD_Result page_contact(struct http_call *call)
{
    const char *email = query_arg(call, "email", ADMIN_EMAIL_MAX);
    const char *only = query_arg(call, "campaign", ADMIN_NAME_MAX);
    struct mo_err err;
    struct db *db;
    struct buf b;
    json_t *rep;

    mo_err_init(&err);
    buf_init(&b, ADMIN_PAGE_MAX);
    if (email == NULL) {
        page_open(&b, "Contact lookup", 1);
        buf_puts(&b, "<p>Enter an address in the field above.</p>\n");
        return send_html(call, MHD_HTTP_OK, &b, NULL, NULL, NULL, NULL);
    }
    if ((db = http_db(call, &err)) == NULL) {
        buf_release(&b);
        return admin_unavailable(call, "contact", err.msg);
    }
    page_open(&b, email, 1);
    buf_puts(&b, "<h2>Audit history</h2>\n");
    rep = report_contact(db, email, &err);
    db_rollback(db);
    report_block(&b, rep, &err, "The audit history");
    json_decref(rep);
    buf_puts(&b, "<h2>Why this contact would or would not get each campaign</h2>\n");
    if (only) {
        explain_block(call, db, &b, only, email);
    } else {
        PGresult *r = db_exec(db, Q_ADMIN_CAMPAIGN_NAMES, NULL, 0, &err);
        if (r == NULL) {
            buf_release(&b);
            return admin_unavailable(call, "contact", err.msg);
        }
        if (PQntuples(r) == 0)
            buf_puts(&b, "<p class=\"empty\">No campaigns yet.</p>\n");
        for (int i = 0; i < PQntuples(r) && i < ADMIN_EXPLAIN_MAX; i++)
            explain_block(call, db, &b, db_val(r, i, "name"), email);
        PQclear(r);
    }
    return send_html(call, MHD_HTTP_OK, &b, NULL, NULL, NULL, NULL);
}

static const char stylesheet[] =
    "body{font-family:system-ui,sans-serif;margin:0;color:#1a202c;background:#f7fafc}\n"
    "header{display:flex;gap:1.5em;align-items:center;padding:.6em 1.2em;background:#2d3748}\n"
    "header a,header .brand{color:#fff;text-decoration:none;font-weight:600}\n"
    "nav{display:flex;gap:1em;align-items:center}\nnav form{display:inline;margin:0}\n"
    "main{padding:1em 1.5em;max-width:80em}\nh1{font-size:1.5em}\nh2{font-size:1.2em;"
    "margin-top:1.6em}\n"
    "table{border-collapse:collapse;margin:.5em 0;background:#fff}\n"
    "th,td{border:1px solid #cbd5e0;padding:.3em .6em;text-align:left;vertical-align:top;"
    "font-size:.9em}\nth{background:#edf2f7}\ntd.num{text-align:right}\n"
    ".error{color:#c53030;font-weight:600}\n.empty,.note{color:#718096}\n"
    ".report,.explain{overflow-x:auto}\n"
    "figure{margin:0;background:#fff;display:inline-block;border:1px solid #cbd5e0}\n"
    "footer{padding:1em 1.5em;color:#718096;font-size:.8em}\n"
    "#login{display:flex;flex-direction:column;gap:.5em;max-width:24em}\n";

static enum MHD_Result send_stylesheet(struct http_call *call)
{
    struct buf b;

    buf_init(&b, sizeof(stylesheet) + 1);
    buf_puts(&b, stylesheet);
    return admin_respond(call, MHD_HTTP_OK, "text/css; charset=utf-8", &b, NULL, NULL, NULL, NULL);
}

/* --- routes ------------------------------------------------------------------------ */

enum MHD_Result http_admin_home(struct http_call *call)
{
    if (!session_valid(call))
        return login_form(call, MHD_HTTP_OK, NULL);
    return page_campaigns(call);
}

enum MHD_Result http_admin_get(struct http_call *call)
{
    const char *rest = call->rest;

    if (strcmp(rest, "style.css") == 0)
        return send_stylesheet(call);
    if (strcmp(rest, "") != 0 && strcmp(rest, "campaign") != 0 && strcmp(rest, "contact") != 0)
        return admin_notfound(call);
    if (!session_valid(call))
        return login_form(call, MHD_HTTP_UNAUTHORIZED, "Please log in.");
    if (strcmp(rest, "campaign") == 0)
        return page_campaign(call);
    if (strcmp(rest, "contact") == 0)
        return page_contact(call);
    return page_campaigns(call);
}

/*
 * The failure counter of key (a client), its window restarted when over;
 * a->lock held.  A new client takes a free slot or the oldest window.
 */
static struct admin_failures *failures_locked(struct http_admin *a, const char *key, long long now)
{
    struct admin_failures *f = NULL, *oldest = &a->fails[0];

    for (size_t i = 0; i < ADMIN_FAIL_CLIENTS; i++) {
        struct admin_failures *c = &a->fails[i];
        if (c->key[0] && now - c->since_ms >= ADMIN_FAIL_WINDOW_MS)
            memset(c, 0, sizeof(*c));
        if (f == NULL && c->key[0] && strcmp(c->key, key) == 0)
            f = c;
        if (c->key[0] == '\0' || (oldest->key[0] && c->since_ms < oldest->since_ms))
            oldest = c;
    }
    if (f == NULL) {
        f = oldest;
        memset(f, 0, sizeof(*f));
        snprintf(f->key, sizeof(f->key), "%s", key);
        f->since_ms = now;
    }
    return f;
}

/* 1 when the client (key) may try another login now, else 0. */
static int login_allowed(struct http_admin *a, const char *key)
{
    int ok;

    pthread_mutex_lock(&a->lock);
    ok = failures_locked(a, key, monotime_ms())->n < ADMIN_FAIL_MAX;
    pthread_mutex_unlock(&a->lock);
    return ok;
}

static void login_failed(struct http_admin *a, const char *key)
{
    pthread_mutex_lock(&a->lock);
    failures_locked(a, key, monotime_ms())->n++;
    pthread_mutex_unlock(&a->lock);
}

enum MHD_Result http_admin_login(struct http_call *call)
{
    struct http_admin *a = call->s->admin;
    char hash[CRYPTO_SHA256_HEX_LEN + 1], id[CRYPTO_TOKEN_LEN + 1], cookie[160];
    const char *token;
    char ip[IPNET_ADDR_MAX], key[IPNET_KEY_MAX];

    http_client_ip(call, ip, sizeof(ip));
    if (ipnet_limit_key(ip, key, sizeof(key)) < 0)
        snprintf(key, sizeof(key), "unknown");
    if (!login_allowed(a, key)) {
        mo_log(MO_LOG_WARN, "admin login refused: too many failed logins (from %s)", ip);
        return login_form(call, MHD_HTTP_TOO_MANY_REQUESTS,
                          "Too many failed logins. Please try again in a minute.");
    }
    token = call->form_ok ? http_form_get(&call->form, "token") : NULL;
    if (token == NULL)
        return login_form(call, MHD_HTTP_BAD_REQUEST, "The form could not be read.");
    crypto_sha256_hex(token, strlen(token), hash);
    if (!crypto_equal(hash, a->token_hash, CRYPTO_SHA256_HEX_LEN)) {
        login_failed(a, key);
        mo_log(MO_LOG_WARN, "admin login failed: wrong token (from %s)", ip);
        return login_form(call, MHD_HTTP_FORBIDDEN, "Wrong token.");
    }
    if (session_start(a, id) < 0)
        return admin_unavailable(call, "login", "no random bytes");
    snprintf(cookie, sizeof(cookie),
             ADMIN_COOKIE "=%s; Path=/admin; HttpOnly; Secure; SameSite=Strict; Max-Age=%lld", id,
             a->ttl_s);
    mo_log(MO_LOG_INFO, "admin login");
    struct buf b;
    buf_init(&b, 16);
    return admin_respond(call, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", &b, "Set-Cookie",
                         cookie, "Location", "/admin");
}

enum MHD_Result http_admin_logout(struct http_call *call)
{
    struct http_admin *a = call->s->admin;
    struct buf b;
    int slot;

    pthread_mutex_lock(&a->lock);
    slot = find_locked(a, call);
    if (slot >= 0)
        memset(&a->sessions[slot], 0, sizeof(a->sessions[slot]));
    pthread_mutex_unlock(&a->lock);
    buf_init(&b, 16);
    return admin_respond(call, MHD_HTTP_SEE_OTHER, "text/plain; charset=utf-8", &b, "Set-Cookie",
                         ADMIN_COOKIE "=; Path=/admin; HttpOnly; Secure; SameSite=Strict; "
                                      "Max-Age=0",
                         "Location", "/admin");
}
