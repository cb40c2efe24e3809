/*
 * webhook.c - the CRM webhook deliverer of webhook.h: the signed POST
 * (libcurl, OpenSSL HMAC through crypto.h), the claim, lease and outcome of
 * each outbox row, the background worker thread, and the outbox's totals,
 * dead letters and per-contact view.  It does not write outbox rows (the
 * consent changes do, in their own transactions) and does not decide what
 * a payload holds.
 */
#include "webhook.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "audit.h"
#include "autoconf.h"
#include "bgworker.h"
#include "crypto.h"
#include "fileio.h"
#include "log.h"
#include "monotime.h"
#include "processor.h"
#include "xalloc.h"

/* --- pure parts ------------------------------------------------------------ */

enum webhook_outcome webhook_classify(int curl_code, long status)
{
    if (curl_code == CURLE_ABORTED_BY_CALLBACK)
        return WEBHOOK_INTERRUPTED;
    if (curl_code != CURLE_OK)
        return WEBHOOK_RETRY; /* DNS, connect, TLS, send, receive, timeout */
    if (status >= 200 && status <= 299)
        return WEBHOOK_DELIVERED;
    if (status == 429 || (status >= 500 && status <= 599) || status == 0)
        return WEBHOOK_RETRY;
    return WEBHOOK_REJECTED; /* 1xx, 3xx (never followed), 4xx, nonsense */
}

long long webhook_backoff_ms(long long base_ms, long attempts, unsigned rnd)
{
    long long d = base_ms > 0 ? base_ms : 1;

    for (long i = 1; i < attempts && d < WEBHOOK_BACKOFF_MAX_MS; i++)
        d *= 2;
    if (d > WEBHOOK_BACKOFF_MAX_MS)
        d = WEBHOOK_BACKOFF_MAX_MS;
    /* minus up to half: deliverers that failed together do not retry together */
    long long half = d / 2;
    long long jitter =
        half > 0 ? (long long)((unsigned long long)rnd % (unsigned long long)(half + 1)) : 0;
    return d - jitter;
}

void webhook_sign(const char *secret, size_t secret_len, long long ts, const char *body,
                  size_t body_len, char out[WEBHOOK_SIGNATURE_LEN + 1])
{
    struct buf msg;
    char hex[CRYPTO_SHA256_HEX_LEN + 1];

    buf_init(&msg, 0);
    if (buf_printf(&msg, "%lld.", ts) < 0 || buf_add(&msg, body, body_len) < 0) {
        /* only past BUF_DEFAULT_MAX, which an outbox payload never reaches */
        buf_release(&msg);
        memcpy(out, "v1=", 4);
        return;
    }
    crypto_hmac_sha256_hex(secret, secret_len, msg.s, msg.len, hex);
    buf_release(&msg);
    memcpy(out, "v1=", 3);
    memcpy(out + 3, hex, CRYPTO_SHA256_HEX_LEN + 1);
}

int webhook_url_check(const char *url, char *why, size_t n)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *user = NULL, *pass = NULL;
    int rc = -1;

    if (u == NULL) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        snprintf(why, n, "not a valid URL: %s", curl_url_strerror(uc));
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || *host == '\0') {
        snprintf(why, n, "a URL needs a scheme and a host");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &pass, 0) == CURLUE_OK) {
        snprintf(why, n,
                 "a user name or password in the URL is not allowed (the signature "
                 "authenticates the requests)");
        goto out;
    }
    if (strcmp(scheme, "https") == 0)
        rc = 0;
    else if (strcmp(scheme, "http") == 0 && config_host_is_loopback(host))
        rc = 0;
    else
        snprintf(why, n, "expected an https:// URL (http:// only to a loopback host, for tests)");
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_free(pass);
    curl_url_cleanup(u);
    return rc;
}

/* --- the sender ------------------------------------------------------------ */

/* How often a POST in flight looks at the stop deadline. */
#define STOP_POLL_MS 100

struct webhook_sender {
    const struct config *cfg;
    CURL *h;
    CURLM *m; /* drives h, so that a stop is seen within STOP_POLL_MS */
    char secret[WEBHOOK_SECRET_MAX];
    size_t secret_len;
    char errbuf[CURL_ERROR_SIZE];
    struct buf resp;
    atomic_llong stop_at; /* monotime_ms deadline for a POST in flight, 0 = none */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct webhook_sender *s = arg;
    size_t n = size * nmemb;
    size_t room = WEBHOOK_RESPONSE_MAX - s->resp.len;

    /* keep the start, read and drop the rest: a long answer is no error */
    if (room > 0)
        buf_add(&s->resp, data, n < room ? n : room);
    return n;
}

void webhook_sender_free(struct webhook_sender *s)
{
    if (s == NULL)
        return;
    if (s->m)
        curl_multi_cleanup(s->m);
    if (s->h)
        curl_easy_cleanup(s->h);
    buf_release(&s->resp);
    OPENSSL_cleanse(s->secret, sizeof(s->secret));
    free(s);
}

void webhook_sender_stop_at(struct webhook_sender *s, long long deadline_ms)
{
    atomic_store(&s->stop_at, deadline_ms > 0 ? deadline_ms : 1);
}

/* The host of the configured URL is on loopback (http:// allowed, never a proxy). */
static int url_is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    int loop = 0;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        loop = config_host_is_loopback(host);
    curl_free(host);
    curl_url_cleanup(u);
    return loop;
}

struct webhook_sender *webhook_sender_new(const struct config *cfg, struct mo_err *err)
{
    struct webhook_sender *s;
    char why[256];

    if (!*cfg->webhook_url) {
        mo_err_set(err, MO_E_USAGE, "no webhook configured: set the key webhook_url");
        return NULL;
    }
    if (webhook_url_check(cfg->webhook_url, why, sizeof(why)) < 0) {
        mo_err_set(err, MO_E_INPUT, "invalid webhook_url: %s (key webhook_url)", why);
        return NULL;
    }
    if (!*cfg->webhook_secret_file) {
        mo_err_set(err, MO_E_USAGE,
                   "webhook_url needs webhook_secret_file: the secret that signs every request "
                   "(key webhook_secret_file)");
        return NULL;
    }
    s = xcalloc(1, sizeof(*s));
    s->cfg = cfg;
    buf_init(&s->resp, WEBHOOK_RESPONSE_MAX + 1);
    atomic_init(&s->stop_at, 0);
    if (fileio_read_secret(cfg->webhook_secret_file, "webhook_secret_file", s->secret,
                           sizeof(s->secret), err) < 0)
        goto fail;
    s->secret_len = strlen(s->secret);
    if (s->secret_len < WEBHOOK_SECRET_MIN) {
        mo_err_set(err, MO_E_INPUT,
                   "the secret in '%s' is shorter than %d bytes: write a long random line, e.g. "
                   "openssl rand -hex 32 (key webhook_secret_file)",
                   cfg->webhook_secret_file, WEBHOOK_SECRET_MIN);
        goto fail;
    }
    s->h = curl_easy_init();
    s->m = curl_multi_init();
    if (s->h == NULL || s->m == NULL) {
        mo_err_set(err, MO_E_INTERNAL, "cannot create a libcurl handle");
        goto fail;
    }
    int loop = url_is_loopback(cfg->webhook_url);
    long timeout_ms = (long)cfg->webhook_timeout * 1000;
    const char *protocols = loop ? "https,http" : "https";
    CURLcode rc = CURLE_OK;
/* the first failure is kept */
#define SET(opt, val) (rc = rc != CURLE_OK ? rc : curl_easy_setopt(s->h, opt, val))
    SET(CURLOPT_URL, cfg->webhook_url);
    SET(CURLOPT_PROTOCOLS_STR, protocols);
    SET(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 10000 ? timeout_ms : 10000L);
    SET(CURLOPT_TIMEOUT_MS, timeout_ms);
    SET(CURLOPT_POST, 1L);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, s);
    SET(CURLOPT_ERRORBUFFER, s->errbuf);
    SET(CURLOPT_USERAGENT, "mailout/" PACKAGE_VERSION);
    if (loop)
        SET(CURLOPT_NOPROXY, "*");
#undef SET
    if (rc != CURLE_OK) {
        mo_err_set(err, MO_E_INTERNAL, "cannot set up libcurl: %s", curl_easy_strerror(rc));
        goto fail;
    }
    return s;
fail:
    webhook_sender_free(s);
    return NULL;
}

/* One outbox row as claimed. */
struct claimed {
    long long id;
    long long contact_id;
    char event[32];
    long attempts; /* before this attempt */
    char *body;
};

static void set_error(struct webhook_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct webhook_result *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (vsnprintf(res->error, sizeof(res->error), fmt, ap) < 0)
        res->error[0] = '\0';
    va_end(ap);
}

/* 1 when the event name may go into a header as it is. */
static int header_token(const char *s)
{
    if (*s == '\0')
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
              *s == '.'))
            return 0;
    return 1;
}

/* Appends one header line to the list; 0, or -1 (the list is kept to be freed). */
static int add_header(struct curl_slist **list, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int add_header(struct curl_slist **list, const char *fmt, ...)
{
    char line[256];
    va_list ap;

    va_start(ap, fmt);
    int w = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= sizeof(line))
        return -1;
    struct curl_slist *l = curl_slist_append(*list, line);
    if (l == NULL)
        return -1;
    *list = l;
    return 0;
}

/*
 * Runs the transfer on h through the multi handle, looking at stop_at every
 * STOP_POLL_MS.  Returns libcurl's result, CURLE_ABORTED_BY_CALLBACK when the
 * stop cut it short.
 */
static CURLcode perform(struct webhook_sender *s)
{
    CURLcode rc = CURLE_OK;
    int running = 1;

    if (curl_multi_add_handle(s->m, s->h) != CURLM_OK)
        return CURLE_FAILED_INIT;
    while (running) {
        if (curl_multi_perform(s->m, &running) != CURLM_OK) {
            rc = CURLE_FAILED_INIT;
            break;
        }
        if (!running)
            break;
        long long at = atomic_load(&s->stop_at);
        if (at != 0 && monotime_ms() >= at) {
            rc = CURLE_ABORTED_BY_CALLBACK;
            break;
        }
        if (curl_multi_poll(s->m, NULL, 0, STOP_POLL_MS, NULL) != CURLM_OK) {
            rc = CURLE_FAILED_INIT;
            break;
        }
    }
    if (!running) {
        int left;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(s->m, &left)) != NULL)
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == s->h)
                rc = msg->data.result;
    }
    curl_multi_remove_handle(s->m, s->h);
    return rc;
}

/* POSTs one row; fills res (outcome, status, error). */
static void post(struct webhook_sender *s, const struct claimed *c, struct webhook_result *res)
{
    struct curl_slist *hdrs = NULL;
    char sig[WEBHOOK_SIGNATURE_LEN + 1];
    long long ts = (long long)time(NULL);
    size_t len = strlen(c->body);
    long status = 0;

    webhook_sign(s->secret, s->secret_len, ts, c->body, len, sig);
    if (add_header(&hdrs, "Content-Type: application/json") < 0 ||
        (header_token(c->event) && add_header(&hdrs, "X-Mailout-Event: %s", c->event) < 0) ||
        add_header(&hdrs, "X-Mailout-Event-Id: %lld", c->id) < 0 ||
        add_header(&hdrs, "X-Mailout-Timestamp: %lld", ts) < 0 ||
        add_header(&hdrs, "X-Mailout-Signature: %s", sig) < 0 || add_header(&hdrs, "Expect:") < 0) {
        curl_slist_free_all(hdrs);
        res->outcome = WEBHOOK_RETRY;
        set_error(res, "cannot build the request headers");
        return;
    }
    buf_reset(&s->resp);
    s->errbuf[0] = '\0';
    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    CURLcode rc = perform(s);
    curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
    /* the handle keeps no pointer into this request beyond the perform */
    curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, NULL);
    curl_slist_free_all(hdrs);
    OPENSSL_cleanse(sig, sizeof(sig));

    res->status = rc == CURLE_OK ? status : 0;
    res->outcome = webhook_classify((int)rc, res->status);
    if (rc != CURLE_OK) {
        set_error(res, "%s", s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc));
    } else if (res->outcome != WEBHOOK_DELIVERED) {
        struct buf shown;
        buf_init(&shown, 0);
        buf_put_shown(&shown, s->resp.s, s->resp.len, 160);
        set_error(res, "HTTP %ld%s%s", status, shown.len ? ": " : "", shown.s);
        buf_release(&shown);
    }
}

/* --- one row ---------------------------------------------------------------- */

int webhook_owner_id(char out[WEBHOOK_OWNER_MAX], struct mo_err *err)
{
    char host[64], rnd[CRYPTO_TOKEN_LEN + 1];

    if (crypto_random_token(rnd, err) < 0)
        return -1;
    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    int n = snprintf(out, WEBHOOK_OWNER_MAX, "%s:%ld:%.8s", host, (long)getpid(), rnd);
    if (n < 0 || n >= WEBHOOK_OWNER_MAX)
        return mo_err_set(err, MO_E_INTERNAL, "deliverer id too long");
    return 0;
}

static unsigned random_uint(void)
{
    unsigned v;

    if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
        v = (unsigned)monotime_ms();
    return v;
}

/* Claims one due row; 1 claimed, 0 none due, -1 with err. */
static int claim(struct db *db, const struct webhook_sender *s, const char *owner,
                 struct claimed *c, struct mo_err *err)
{
    char lease[48];
    long long lease_ms = s->cfg->webhook_timeout * 1000 + WEBHOOK_LEASE_MARGIN_MS;

    snprintf(lease, sizeof(lease), "%lld milliseconds", lease_ms); /* fits: 20 digits */
    const char *p[] = {"1", lease, owner};
    PGresult *r = db_exec(db, Q_WEBHOOK_CLAIM, p, 3, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    c->id = db_int(r, 0, "id");
    c->contact_id = db_int(r, 0, "contact_id");
    c->attempts = (long)db_int(r, 0, "attempts");
    snprintf(c->event, sizeof(c->event), "%s", db_val(r, 0, "event"));
    c->body = xstrdup(db_val(r, 0, "body"));
    PQclear(r);
    return 1;
}

/* Records res for row c; -1 with err when the database failed. */
static int record(struct db *db, const struct webhook_sender *s, const char *owner,
                  const struct claimed *c, struct webhook_result *res, struct mo_err *err)
{
    char id[24], status[24], delay[48], maxa[24];
    const char *statusp = NULL;
    PGresult *r;

    snprintf(id, sizeof(id), "%lld", c->id);
    if (res->status > 0) {
        snprintf(status, sizeof(status), "%ld", res->status);
        statusp = status;
    }
    switch (res->outcome) {
    case WEBHOOK_DELIVERED: {
        const char *p[] = {id, statusp};
        return db_run(db, Q_WEBHOOK_DELIVERED, p, 2, err);
    }
    case WEBHOOK_INTERRUPTED: {
        const char *p[] = {id, owner};
        return db_run(db, Q_WEBHOOK_RELEASE, p, 2, err);
    }
    case WEBHOOK_RETRY:
    case WEBHOOK_REJECTED:
        break;
    }
    long long wait =
        webhook_backoff_ms(s->cfg->webhook_backoff_base * 1000, c->attempts + 1, random_uint());
    snprintf(delay, sizeof(delay), "%lld milliseconds", wait);
    snprintf(maxa, sizeof(maxa), "%lld", s->cfg->webhook_max_attempts);
    const char *p[] = {id,    statusp, res->error,
                       delay, maxa,    res->outcome == WEBHOOK_REJECTED ? "true" : "false",
                       owner};
    if ((r = db_exec(db, Q_WEBHOOK_FAILED, p, 7, err)) == NULL)
        return -1;
    if (PQntuples(r) > 0) {
        res->attempts = (long)db_int(r, 0, "attempts");
        res->dead = db_bool(r, 0, "dead");
    }
    PQclear(r);
    if (res->dead)
        mo_log(MO_LOG_WARN,
               "webhook dead letter id=%lld event=%s contact=%lld status=%ld attempts=%ld: %s",
               c->id, c->event, c->contact_id, res->status, res->attempts,
               res->status ? "refused by the receiver" : res->error);
    else
        mo_log(MO_LOG_WARN,
               "webhook attempt failed id=%lld event=%s contact=%lld status=%ld attempts=%ld "
               "retry_in=%lldms%s%s",
               c->id, c->event, c->contact_id, res->status, res->attempts, wait,
               res->status ? "" : ": ", res->status ? "" : res->error);
    return 0;
}

int webhook_run_one(struct db *db, struct webhook_sender *s, const char *owner,
                    struct webhook_stats *st, struct mo_err *err)
{
    struct claimed c;
    struct webhook_result *res = &st->last;
    int rc;

    memset(st, 0, sizeof(*st));
    memset(&c, 0, sizeof(c));
    /* R-GDPR-13: the outbox waits while the webhook host is unregistered */
    if (processor_check_webhook(db, s->cfg, err) < 0)
        return -1;
    rc = claim(db, s, owner, &c, err);
    if (rc <= 0)
        return rc;
    st->claimed = 1;
    res->id = c.id;
    res->contact_id = c.contact_id;
    snprintf(res->event, sizeof(res->event), "%s", c.event);
    res->attempts = c.attempts + 1;
    post(s, &c, res);
    rc = record(db, s, owner, &c, res, err);
    if (rc < 0)
        mo_log(MO_LOG_ERROR,
               "webhook id=%lld: outcome not recorded (sent again after the lease): %s", c.id,
               err->msg);
    else
        switch (res->outcome) {
        case WEBHOOK_DELIVERED:
            st->delivered = 1;
            mo_log(MO_LOG_INFO,
                   "webhook delivered id=%lld event=%s contact=%lld status=%ld attempts=%ld", c.id,
                   c.event, c.contact_id, res->status, res->attempts);
            break;
        case WEBHOOK_INTERRUPTED:
            st->interrupted = 1;
            mo_log(MO_LOG_INFO, "webhook id=%lld: attempt cut short by the stop, due again", c.id);
            break;
        case WEBHOOK_RETRY:
        case WEBHOOK_REJECTED:
            st->failed = 1;
            st->dead = res->dead;
            break;
        }
    free(c.body);
    return rc;
}

/* --- totals, dead letters, retry, per contact -------------------------------- */

int webhook_totals_read(struct db *db, struct webhook_totals *t, struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_WEBHOOK_TOTALS, NULL, 0, err);

    memset(t, 0, sizeof(*t));
    if (r == NULL)
        return -1;
    t->pending = db_int(r, 0, "pending");
    t->in_flight = db_int(r, 0, "in_flight");
    t->delivered = db_int(r, 0, "delivered");
    t->dead = db_int(r, 0, "dead");
    t->failed_attempts = db_int(r, 0, "failed_attempts");
    t->oldest_pending = db_int(r, 0, "oldest_age");
    PQclear(r);
    return 0;
}

int webhook_metrics_render(const struct webhook_totals *t, struct buf *out)
{
    return buf_printf(out,
                      "# HELP mailout_webhook_delivered_total CRM webhook events delivered (2xx).\n"
                      "# TYPE mailout_webhook_delivered_total counter\n"
                      "mailout_webhook_delivered_total %lld\n"
                      "# HELP mailout_webhook_failed_attempts_total CRM webhook attempts that "
                      "failed.\n"
                      "# TYPE mailout_webhook_failed_attempts_total counter\n"
                      "mailout_webhook_failed_attempts_total %lld\n"
                      "# HELP mailout_webhook_pending CRM webhook events not yet delivered (dead "
                      "letters excluded).\n"
                      "# TYPE mailout_webhook_pending gauge\n"
                      "mailout_webhook_pending %lld\n"
                      "# HELP mailout_webhook_dead CRM webhook dead letters (webhook retry sends "
                      "them again).\n"
                      "# TYPE mailout_webhook_dead gauge\n"
                      "mailout_webhook_dead %lld\n"
                      "# HELP mailout_webhook_oldest_pending_seconds Age of the oldest pending CRM "
                      "webhook event (0 when none).\n"
                      "# TYPE mailout_webhook_oldest_pending_seconds gauge\n"
                      "mailout_webhook_oldest_pending_seconds %lld\n",
                      t->delivered, t->failed_attempts, t->pending, t->dead,
                      t->oldest_pending > 0 ? t->oldest_pending : 0) < 0
               ? -1
               : 0;
}

static json_t *str_or_null(const PGresult *r, int row, const char *col)
{
    return db_isnull(r, row, col) ? json_null() : json_string(db_val(r, row, col));
}

static json_t *int_or_null(const PGresult *r, int row, const char *col)
{
    return db_isnull(r, row, col) ? json_null() : json_integer(db_int(r, row, col));
}

json_t *webhook_dead_list(struct db *db, long max, struct mo_err *err)
{
    char lim[24];

    snprintf(lim, sizeof(lim), "%ld", max > 0 ? max : 1);
    const char *p[] = {lim};
    PGresult *r = db_exec(db, Q_WEBHOOK_DEAD_LIST, p, 1, err);
    if (r == NULL)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(
            a,
            json_pack("{s:I, s:s, s:o, s:I, s:o, s:s, s:s}", "id", (json_int_t)db_int(r, i, "id"),
                      "event", db_val(r, i, "event"), "contact_id", int_or_null(r, i, "contact_id"),
                      "attempts", (json_int_t)db_int(r, i, "attempts"), "last_status",
                      int_or_null(r, i, "last_status"), "last_error", db_val(r, i, "last_error"),
                      "dead_at", db_val(r, i, "dead_at")));
    PQclear(r);
    return a;
}

int webhook_retry(struct db *db, const char *actor, long long id, long long *n, struct mo_err *err)
{
    char idbuf[24];
    PGresult *r = NULL;

    *n = 0;
    if (id > 0)
        snprintf(idbuf, sizeof(idbuf), "%lld", id);
    const char *p[] = {id > 0 ? idbuf : NULL};
    if (db_begin(db, err) < 0)
        return -1;
    if ((r = db_exec(db, Q_WEBHOOK_RETRY, p, 1, err)) == NULL)
        goto fail;
    if (id > 0 && PQntuples(r) == 0) {
        mo_err_set(err, MO_E_NOTFOUND, "no dead letter with id %lld", id);
        goto fail;
    }
    json_t *ids = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(ids, json_integer(db_int(r, i, "id")));
    *n = PQntuples(r);
    PQclear(r);
    r = NULL;
    if (audit_append_json(db, actor, "webhook.retry", "webhook_outbox",
                          json_pack("{s:I, s:o}", "count", (json_int_t)*n, "ids", ids), err) < 0)
        goto fail;
    if (db_commit(db, err) < 0)
        goto fail;
    return 0;
fail:
    PQclear(r);
    db_rollback(db);
    *n = 0;
    return -1;
}

json_t *webhook_contact_deliveries(struct db *db, long long contact_id, struct mo_err *err)
{
    char idbuf[24];

    snprintf(idbuf, sizeof(idbuf), "%lld", contact_id);
    const char *p[] = {idbuf};
    PGresult *r = db_exec(db, Q_WEBHOOK_CONTACT, p, 1, err);
    if (r == NULL)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}", "id",
                                           (json_int_t)db_int(r, i, "id"), "event",
                                           db_val(r, i, "event"), "state", db_val(r, i, "state"),
                                           "attempts", (json_int_t)db_int(r, i, "attempts"),
                                           "last_status", int_or_null(r, i, "last_status"),
                                           "last_error", str_or_null(r, i, "last_error"),
                                           "created_at", str_or_null(r, i, "created_at"),
                                           "delivered_at", str_or_null(r, i, "delivered_at"),
                                           "dead_at", str_or_null(r, i, "dead_at")));
    PQclear(r);
    return a;
}

/* --- the background worker ----------------------------------------------------- */

struct webhook_worker {
    const struct config *cfg;
    struct webhook_sender *sender;
    char owner[WEBHOOK_OWNER_MAX];
    struct bgworker *bg;
};

static void worker_body(struct bgworker *bg, void *arg)
{
    struct webhook_worker *w = arg;
    struct db *db = NULL;

    while (!bgworker_stopping(bg)) {
        struct mo_err err;
        struct webhook_stats st;
        mo_err_init(&err);
        if (db == NULL && (db = db_connect(w->cfg, &err)) == NULL) {
            bgworker_log_once(bg, MO_LOG_WARN, err.msg);
            bgworker_wait(bg, -1, 5000);
            continue;
        }
        if (webhook_run_one(db, w->sender, w->owner, &st, &err) < 0) {
            bgworker_log_once(bg, MO_LOG_WARN, err.msg);
            if (PQstatus(db_conn(db)) != CONNECTION_OK) {
                db_free(db);
                db = NULL;
            }
            bgworker_wait(bg, -1, 1000);
            continue;
        }
        bgworker_log_clear(bg);
        /* nothing due, or the receiver failed: look again in a second */
        if (st.claimed == 0 || (st.failed && !st.dead))
            bgworker_wait(bg, -1, 1000);
    }
    db_free(db);
}

struct webhook_worker *webhook_worker_start(const struct config *cfg, struct mo_err *err)
{
    struct webhook_worker *w = xcalloc(1, sizeof(*w));

    w->cfg = cfg;
    if (webhook_owner_id(w->owner, err) < 0 || (w->sender = webhook_sender_new(cfg, err)) == NULL) {
        free(w);
        return NULL;
    }
    w->bg = bgworker_start("webhook deliverer", worker_body, w, err);
    if (w->bg == NULL) {
        webhook_sender_free(w->sender);
        free(w);
        return NULL;
    }
    mo_log(MO_LOG_INFO, "webhook deliverer started id=%s", w->owner);
    return w;
}

void webhook_worker_request_stop(struct webhook_worker *w, int grace_ms)
{
    if (w == NULL || bgworker_stopping(w->bg))
        return;
    /* the deadline first, so that a POST the stop finds in flight sees it */
    webhook_sender_stop_at(w->sender, monotime_ms() + (grace_ms > 0 ? grace_ms : 0));
    bgworker_request_stop(w->bg);
}

int webhook_worker_stop(struct webhook_worker *w, int wait_ms)
{
    if (w == NULL)
        return 0;
    webhook_worker_request_stop(w, wait_ms);
    if (bgworker_stop(w->bg, wait_ms) == 0) {
        webhook_sender_free(w->sender);
        free(w);
        return 0;
    }
    /* still inside a POST or the database: give its row back for the next deliverer */
    struct mo_err err;
    mo_err_init(&err);
    struct db *db = db_connect(w->cfg, &err);
    const char *p[] = {w->owner};
    if (db == NULL || db_run(db, Q_WEBHOOK_RELEASE_OWNER, p, 1, &err) < 0)
        mo_log(MO_LOG_WARN, "webhook deliverer: lease not released (it expires): %s", err.msg);
    else
        mo_log(MO_LOG_WARN, "webhook deliverer did not stop in time: its event is released and "
                            "will be sent again");
    db_free(db);
    return 1;
}
