/*
 * dispatch.c - the campaign dispatch workers: claim, re-check, render, sign,
 * hand over, send, record (see dispatch.h), with the crash rules of
 * sql/0013_dispatch.sql.  Owns the worker threads, their liveness lock, the
 * per-domain connection counter and the outcome rules (backoff, give-up,
 * uncertain).  It does not build messages (campaign_mail.c), sign them
 * (dkim.c), speak SMTP (transport.c) or decide the rate (throttle.c).
 *
 * Every database step is one statement over arrays (unnest), never one
 * round trip per row.
 */
#include "dispatch.h"
#include "monotime.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>

#include "address.h"
#include "audit.h"
#include "buf.h"
#include "campaign_mail.h"
#include "compose.h"
#include "crypto.h"
#include "dkim.h"
#include "log.h"
#include "processor.h"
#include "send_window.h"
#include "throttle.h"
#include "transport.h"
#include "xalloc.h"

/* Recovery of dead workers' rows, at most this often per worker. */
#define RECOVER_EVERY_MS 5000
/* Idle poll when nothing is due. */
#define IDLE_MS 1000
/* Relay down: 1 s, doubling, at most 30 s. */
#define RELAY_BACKOFF_MAX_MS 30000
/* Database gone: reconnect every 0.5 s, growing to 5 s; --once gives up after a minute. */
#define DB_BACKOFF_MAX_MS  5000
#define DB_ONCE_GIVE_UP_MS 60000
/* Deferral (4xx): 60 s * 2^attempts, at most 6 hours. */
#define DEFER_FIRST_S 60
#define DEFER_MAX_S   (6 * 3600)
/* Campaign messages kept loaded per worker. */
#define CM_CACHE 8
/* The array parameters of one batch. */
#define ARRAY_MAX (4u * 1024 * 1024)

/* --- the process-wide connection count per recipient domain --- */

struct domain_count {
    char *domain;
    long n;
};

struct domains {
    pthread_mutex_t mu;
    long long limit; /* 0: unlimited */
    struct domain_count *v;
    size_t len, cap;
};

/* 1 when a connection for domain may open (and it is counted), else 0. */
static int domains_take(struct domains *ds, const char *domain)
{
    int ok = 0;

    if (ds->limit <= 0)
        return 1;
    pthread_mutex_lock(&ds->mu);
    size_t i;
    for (i = 0; i < ds->len; i++)
        if (strcmp(ds->v[i].domain, domain) == 0)
            break;
    if (i == ds->len) {
        if (ds->len == ds->cap) {
            ds->cap = ds->cap ? ds->cap * 2 : 16;
            ds->v = xrealloc(ds->v, ds->cap * sizeof(*ds->v));
        }
        ds->v[ds->len].domain = xstrdup(domain);
        ds->v[ds->len].n = 0;
        ds->len++;
    }
    if (ds->v[i].n < ds->limit) {
        ds->v[i].n++;
        ok = 1;
    }
    pthread_mutex_unlock(&ds->mu);
    return ok;
}

static void domains_give(struct domains *ds, const char *domain)
{
    if (ds->limit <= 0)
        return;
    pthread_mutex_lock(&ds->mu);
    for (size_t i = 0; i < ds->len; i++)
        if (strcmp(ds->v[i].domain, domain) == 0) {
            if (ds->v[i].n > 0)
                ds->v[i].n--;
            /* forget idle domains: the table stays as small as the domains in flight */
            if (ds->v[i].n == 0) {
                free(ds->v[i].domain);
                ds->v[i] = ds->v[--ds->len];
            }
            break;
        }
    pthread_mutex_unlock(&ds->mu);
}

/* --- the dispatch and its workers --- */

struct worker;

struct dispatch {
    const struct config *cfg;
    struct dispatch_opts o;
    struct dkim *dkim; /* NULL: no DKIM configured */
    struct domains domains;
    struct worker *w;
    int nw;
    atomic_llong keys[DISPATCH_SESSIONS_MAX]; /* the workers' lock keys (recovery skips them) */
    atomic_int stop;
    atomic_long sent, failed, deferred, excluded, uncertain, cancelled;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* stop requested, or a worker ended */
    int ndone;
    struct mo_err err; /* the first error that ended a worker */
};

struct cm_entry {
    long long campaign_id;
    struct campaign_mail *cm;
};

struct worker {
    struct dispatch *d;
    int index;
    pthread_t thread;
    int started;
    long long key;
    struct db *db;
    struct transport *t;
    struct cm_entry cache[CM_CACHE];
    int ncache;
    char last_err[256]; /* the last logged problem (logged once until it changes) */
};

enum fate {
    FATE_SEND = 0,
    FATE_EXCLUDED, /* no basis at claim */
    FATE_FAILED,   /* cannot be rendered or signed */
    FATE_GIVEBACK, /* domain limit or campaign not loadable: back to queued */
};

struct item {
    long long id, run_id, campaign_id, contact_id;
    long attempts;
    char *email; /* RCPT: the mailbox as address_parse() writes it */
    char *name, *country, *locale, *attrs, *explicit_attrs;
    const char *domain; /* inside email */
    enum fate fate;
    char basis[24];
    char *consent_event, *order_id, *relation; /* evidence from the engine, NULL when none */
    char *why;                                 /* reason: excluded or failed */
    char token_hash[CRYPTO_SHA256_HEX_LEN + 1];
    struct compose_msg msg;
    int in_session;
    /* the outcome */
    const char *state; /* sent, failed, queued, uncertain */
    const char *rec;   /* send record status, NULL for none */
    int code, att, delay, bounce;
    char reply[300];
};

struct batch {
    struct item *it;
    int n;
    int waiting; /* claimed, then moved to their send window's next opening */
    char **held; /* domains counted for this session */
    int nheld;
    struct transport_msg *tms;
    struct item **sess;
    size_t ns;
};

enum batch_rc {
    BATCH_WORKED = 0,
    BATCH_IDLE,       /* nothing due */
    BATCH_BUSY,       /* everything given back (domain limit): try again shortly */
    BATCH_THROTTLED,  /* no rate tokens now */
    BATCH_DB_LOST,    /* the database connection is gone */
    BATCH_RELAY_DOWN, /* the session failed before any reply */
    BATCH_FATAL,      /* an error a retry will not fix (configuration, our bug) */
};

static int stopping(const struct dispatch *d)
{
    return atomic_load(&d->stop);
}

/* Sleeps ms, or less when a stop is requested. */
static void dsleep(struct dispatch *d, long ms)
{
    struct timespec until;

    monotime_deadline(&until, ms);
    pthread_mutex_lock(&d->mu);
    while (!stopping(d))
        if (pthread_cond_timedwait(&d->cv, &d->mu, &until) != 0)
            break;
    pthread_mutex_unlock(&d->mu);
}

static void set_error(struct dispatch *d, const struct mo_err *e)
{
    pthread_mutex_lock(&d->mu);
    if (!d->err.code)
        d->err = *e;
    pthread_mutex_unlock(&d->mu);
}

static void log_problem(struct worker *w, enum mo_log_level level, const char *msg)
{
    if (strcmp(w->last_err, msg) == 0)
        return;
    snprintf(w->last_err, sizeof(w->last_err), "%s", msg);
    mo_log(level, "dispatch worker=%lld: %s", w->key, msg);
}

static long long random_key(void)
{
    unsigned int v = 0;

    if (getrandom(&v, sizeof(v), 0) != (ssize_t)sizeof(v))
        v = (unsigned int)monotime_ms() ^ ((unsigned int)(size_t)&v << 7);
    v &= 0x7fffffffu;
    return v ? (long long)v : 1;
}

static int lost(struct worker *w)
{
    return w->db == NULL || PQstatus(db_conn(w->db)) != CONNECTION_OK;
}

/* --- array parameters ({1,2}, {"a","b"}) --- */

static void arr_sep(struct buf *b)
{
    if (b->len == 0)
        buf_putc(b, '{');
    else
        buf_putc(b, ',');
}

static void arr_int(struct buf *b, long long v)
{
    arr_sep(b);
    buf_printf(b, "%lld", v);
}

static void arr_text(struct buf *b, const char *s)
{
    arr_sep(b);
    if (s == NULL) {
        buf_puts(b, "NULL");
        return;
    }
    buf_putc(b, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            buf_putc(b, '\\');
        buf_putc(b, *s);
    }
    buf_putc(b, '"');
}

/* Closes an array; an empty one is "{}".  -1 when it grew past its maximum. */
static int arr_end(struct buf *b, const char *what, struct mo_err *err)
{
    if (b->len == 0)
        buf_putc(b, '{');
    if (buf_putc(b, '}') < 0)
        return mo_err_set(err, MO_E_INTERNAL, "dispatch: %s array too long", what);
    return 0;
}

/* An SMTP reply as printable ASCII (it is stored as text). */
static void clean_reply(char *out, size_t n, const char *in)
{
    size_t i = 0;
    for (; in && in[i] && i + 1 < n; i++)
        out[i] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
    out[i] = '\0';
}

/* --- connection and liveness --- */

/* Connects and takes the worker's lock (a new key when same_key is 0 and the key is taken). */
static int worker_connect(struct worker *w, int same_key, struct mo_err *err)
{
    struct dispatch *d = w->d;
    char k[24];

    db_free(w->db);
    w->db = db_connect(d->cfg, err);
    if (w->db == NULL)
        return -1;
    for (int tries = 0; tries < 20; tries++) {
        snprintf(k, sizeof(k), "%lld", w->key);
        const char *p[] = {k};
        PGresult *r = db_exec(w->db, Q_DISPATCH_LOCK, p, 1, err);
        if (r == NULL)
            return -1;
        int ok = db_bool(r, 0, "ok");
        PQclear(r);
        if (ok) {
            atomic_store(&d->keys[w->index], w->key);
            return 0;
        }
        if (same_key) /* our old session is still known to the server: wait for it */
            return mo_err_set(err, MO_E_TEMPFAIL, "worker key %lld still held", w->key);
        w->key = random_key();
    }
    return mo_err_set(err, MO_E_INTERNAL, "no free worker key");
}

/*
 * Reconnects after a lost session with the same key, waiting with backoff.
 * must: keep trying even when a stop is requested (an SMTP session's
 * outcome is waiting to be recorded).  Claimed rows of ours are given back.
 */
static int worker_reconnect(struct worker *w, int must)
{
    struct dispatch *d = w->d;
    long wait = 500;
    long long since = monotime_ms();

    for (;;) {
        struct mo_err err;
        mo_err_init(&err);
        if (worker_connect(w, 1, &err) == 0) {
            char k[24];
            snprintf(k, sizeof(k), "%lld", w->key);
            const char *p[] = {k};
            if (db_run(w->db, Q_DISPATCH_RELEASE, p, 1, &err) == 0) {
                mo_log(MO_LOG_INFO, "dispatch worker=%lld: database connection restored", w->key);
                w->last_err[0] = '\0';
                return 0;
            }
        }
        log_problem(w, MO_LOG_WARN, err.msg);
        if (stopping(d) && !must)
            return -1;
        if ((d->o.once || stopping(d)) && monotime_ms() - since > DB_ONCE_GIVE_UP_MS) {
            set_error(d, &err);
            return -1;
        }
        if (stopping(d)) /* dsleep returns at once when stopping */
            nanosleep(&(struct timespec){wait / 1000, (wait % 1000) * 1000000L}, NULL);
        else
            dsleep(d, wait);
        wait = wait * 2 > DB_BACKOFF_MAX_MS ? DB_BACKOFF_MAX_MS : wait * 2;
    }
}

/* The keys of this process's workers: their rows are theirs even while they reconnect. */
static void own_keys(struct dispatch *d, struct buf *b)
{
    buf_reset(b);
    for (int i = 0; i < d->nw; i++)
        arr_int(b, atomic_load(&d->keys[i]));
    if (b->len == 0)
        buf_putc(b, '{');
    buf_putc(b, '}');
}

static int recover(struct worker *w, struct mo_err *err)
{
    struct buf keys;
    int rc = -1;

    buf_init(&keys, 4096);
    own_keys(w->d, &keys);
    const char *p[] = {keys.s};
    PGresult *r = db_exec(w->db, Q_DISPATCH_RECOVER, p, 1, err);
    if (r != NULL) {
        long released = (long)db_int(r, 0, "released"), unc = (long)db_int(r, 0, "uncertain");
        if (released || unc)
            mo_log(MO_LOG_WARN,
                   "dispatch: rows of stopped workers recovered queued=%ld uncertain=%ld", released,
                   unc);
        PQclear(r);
        r = db_exec(w->db, Q_DISPATCH_RUNS_DONE, NULL, 0, err);
    }
    if (r != NULL) {
        for (int i = 0; i < PQntuples(r); i++)
            mo_log(MO_LOG_INFO, "campaign run done run=%s", db_val(r, i, "id"));
        PQclear(r);
        rc = 0;
    }
    buf_release(&keys);
    return rc;
}

/* --- one batch --- */

static void batch_free(struct dispatch *d, struct batch *b)
{
    for (int i = 0; i < b->n; i++) {
        struct item *it = &b->it[i];
        free(it->email);
        free(it->name);
        free(it->country);
        free(it->locale);
        free(it->attrs);
        free(it->explicit_attrs);
        free(it->consent_event);
        free(it->order_id);
        free(it->relation);
        free(it->why);
        compose_msg_release(&it->msg);
    }
    for (int i = 0; i < b->nheld; i++) {
        domains_give(&d->domains, b->held[i]);
        free(b->held[i]);
    }
    free(b->held);
    free(b->it);
    free(b->tms);
    free(b->sess);
    memset(b, 0, sizeof(*b));
}

static char *dup_or_null(const PGresult *r, int row, const char *col)
{
    return db_isnull(r, row, col) ? NULL : xstrdup(db_val(r, row, col));
}

/* Sets the item's fate and its reason: prefix and text. */
static void set_why(struct item *it, enum fate f, const char *prefix, const char *text)
{
    struct buf s;

    buf_init(&s, 1024);
    buf_printf(&s, "%s%s", prefix, text);
    free(it->why);
    it->why = buf_detach(&s);
    it->fate = f;
}

static int claim(struct worker *w, long want, struct batch *b, struct mo_err *err)
{
    char lim[24], k[24];

    snprintf(lim, sizeof(lim), "%ld", want);
    snprintf(k, sizeof(k), "%lld", w->key);
    const char *p[] = {lim, k};
    PGresult *r = db_exec(w->db, Q_DISPATCH_CLAIM, p, 2, err);
    if (r == NULL)
        return -1;
    /* issue 11 (h-window): recipients outside their send window go back, due at its opening */
    long long *waiting = NULL;
    int nwait = 0;
    if (PQntuples(r) > 0 && send_window_defer_claimed(w->db, w->key, &waiting, &nwait, err) < 0) {
        PQclear(r);
        return -1;
    }
    b->waiting = nwait;
    b->n = 0;
    b->it = xcalloc((size_t)(PQntuples(r) ? PQntuples(r) : 1), sizeof(*b->it));
    for (int i = 0; i < PQntuples(r); i++) {
        long long id = db_int(r, i, "id");
        int skip = 0;
        for (int j = 0; j < nwait && !skip; j++)
            skip = waiting[j] == id;
        if (skip)
            continue;
        struct item *it = &b->it[b->n++];
        compose_msg_init(&it->msg);
        it->id = id;
        it->run_id = db_int(r, i, "run_id");
        it->campaign_id = db_int(r, i, "campaign_id");
        it->contact_id = db_int(r, i, "contact_id");
        it->attempts = (long)db_int(r, i, "attempts");
        char *box = NULL, *norm = NULL;
        if (address_parse(db_val(r, i, "email"), &box, &norm, NULL) == 0)
            it->email = box;
        else
            it->email = xstrdup(db_val(r, i, "email"));
        free(norm);
        const char *at = strrchr(it->email, '@');
        it->domain = at ? at + 1 : it->email;
        it->name = dup_or_null(r, i, "name");
        it->country = dup_or_null(r, i, "country");
        it->locale = dup_or_null(r, i, "locale");
        it->attrs = dup_or_null(r, i, "attrs");
        it->explicit_attrs = dup_or_null(r, i, "explicit");
        it->fate = FATE_EXCLUDED; /* until the engine finds a basis */
    }
    PQclear(r);
    if (nwait > 0)
        mo_log(MO_LOG_DEBUG, "dispatch worker=%lld: %d claimed rows wait for their send window",
               w->key, nwait);
    free(waiting);
    return 0;
}

/* Re-runs the engine for the claimed contacts, one query per campaign. */
static int recheck(struct worker *w, struct batch *b, struct mo_err *err)
{
    struct buf ids;
    char cid[24];
    int rc = 0;

    buf_init(&ids, ARRAY_MAX);
    for (int a = 0; a < b->n && rc == 0;) {
        int e = a;
        while (e < b->n && b->it[e].campaign_id == b->it[a].campaign_id)
            e++;
        buf_reset(&ids);
        for (int i = a; i < e; i++) {
            int seen = 0;
            for (int j = a; j < i && !seen; j++)
                seen = b->it[j].contact_id == b->it[i].contact_id;
            if (!seen)
                arr_int(&ids, b->it[i].contact_id);
        }
        if (arr_end(&ids, "contact", err) < 0) {
            rc = -1;
            break;
        }
        snprintf(cid, sizeof(cid), "%lld", b->it[a].campaign_id);
        const char *p[] = {cid, ids.s};
        PGresult *r = db_exec(w->db, Q_DISPATCH_ENGINE, p, 2, err);
        if (r == NULL) {
            rc = -1;
            break;
        }
        for (int i = a; i < e; i++)
            set_why(&b->it[i], FATE_EXCLUDED, "", "no_basis");
        for (int row = 0; row < PQntuples(r); row++) {
            long long contact = db_int(r, row, "contact_id");
            for (int i = a; i < e; i++) {
                struct item *it = &b->it[i];
                if (it->contact_id != contact)
                    continue;
                if (db_isnull(r, row, "basis")) {
                    set_why(it, FATE_EXCLUDED, "", db_val(r, row, "reason"));
                    continue;
                }
                it->fate = FATE_SEND;
                free(it->why);
                it->why = NULL;
                snprintf(it->basis, sizeof(it->basis), "%s", db_val(r, row, "basis"));
                it->consent_event = dup_or_null(r, row, "consent_event_id");
                it->order_id = dup_or_null(r, row, "order_id");
                it->relation = dup_or_null(r, row, "relation");
            }
        }
        PQclear(r);
        a = e;
    }
    buf_release(&ids);
    return rc;
}

/* Counts one connection per recipient domain of the batch; rows over the limit go back. */
static int limit_domains(struct dispatch *d, struct batch *b)
{
    int given = 0;

    if (d->domains.limit <= 0)
        return 0;
    b->held = xcalloc((size_t)b->n + 1, sizeof(*b->held));
    const char **refused = xcalloc((size_t)b->n + 1, sizeof(*refused));
    int nref = 0;
    for (int i = 0; i < b->n; i++) {
        struct item *it = &b->it[i];
        if (it->fate != FATE_SEND)
            continue;
        int held = 0, ref = 0;
        for (int j = 0; j < b->nheld && !held; j++)
            held = strcmp(b->held[j], it->domain) == 0;
        for (int j = 0; j < nref && !ref && !held; j++)
            ref = strcmp(refused[j], it->domain) == 0;
        if (!held && !ref) {
            if (domains_take(&d->domains, it->domain)) {
                b->held[b->nheld++] = xstrdup(it->domain);
                held = 1;
            } else
                refused[nref++] = it->domain;
        }
        if (!held) {
            it->fate = FATE_GIVEBACK;
            given++;
        }
    }
    free((void *)refused);
    return given;
}

static struct campaign_mail *campaign_of(struct worker *w, long long campaign_id,
                                         struct mo_err *err)
{
    for (int i = 0; i < w->ncache; i++)
        if (w->cache[i].campaign_id == campaign_id)
            return w->cache[i].cm;
    if (w->ncache == CM_CACHE) {
        for (int i = 0; i < w->ncache; i++)
            campaign_mail_free(w->cache[i].cm);
        w->ncache = 0;
    }
    struct campaign_mail *cm = NULL;
    if (campaign_mail_load(w->db, w->d->cfg, w->d->o.data_dir, campaign_id, &cm, err) < 0)
        return NULL;
    w->cache[w->ncache].campaign_id = campaign_id;
    w->cache[w->ncache++].cm = cm;
    return cm;
}

/* Renders and signs every message to send; a recipient whose data cannot go in fails alone. */
static int render(struct worker *w, struct batch *b, struct mo_err *err)
{
    struct dispatch *d = w->d;
    char token[CRYPTO_TOKEN_LEN + 1];

    for (int i = 0; i < b->n; i++) {
        struct item *it = &b->it[i];
        struct mo_err e;
        if (it->fate != FATE_SEND)
            continue;
        mo_err_init(&e);
        struct campaign_mail *cm = campaign_of(w, it->campaign_id, &e);
        if (cm == NULL) {
            /* the whole batch goes back: a configuration or database problem */
            for (int j = 0; j < b->n; j++)
                if (b->it[j].fate == FATE_SEND)
                    b->it[j].fate = FATE_GIVEBACK;
            *err = e;
            return -1;
        }
        if (crypto_random_token(token, err) < 0)
            return -1;
        crypto_sha256_hex(token, strlen(token), it->token_hash);
        const struct campaign_mail_rcpt rc = {
            .email = it->email,
            .name = it->name,
            .country = it->country,
            .locale = it->locale,
            .attrs_json = it->attrs,
            .explicit_attrs = it->explicit_attrs,
            .basis = it->basis,
            .token = token,
        };
        if (campaign_mail_render(cm, &rc, &it->msg, &e) < 0)
            set_why(it, FATE_FAILED, "cannot build the message: ", e.msg);
        else if (d->dkim && dkim_sign(d->dkim, &it->msg.data, &e) < 0)
            set_why(it, FATE_FAILED, "cannot sign the message: ", e.msg);
        explicit_bzero(token, sizeof(token));
        if (it->fate == FATE_FAILED) {
            compose_msg_release(&it->msg);
            compose_msg_init(&it->msg);
            mo_log(MO_LOG_WARN, "campaign mail not built run=%lld contact=%lld queue=%lld",
                   it->run_id, it->contact_id, it->id);
        }
    }
    return 0;
}

/* Excluded, failed and given-back rows; -1 with err. */
static int settle(struct worker *w, struct batch *b, struct mo_err *err)
{
    struct buf a[7];
    char k[24];
    int n = 0, rc = -1;
    static const char *const state[] = {"sending", "excluded", "failed", "queued"};

    for (int i = 0; i < 7; i++)
        buf_init(&a[i], ARRAY_MAX);
    for (int i = 0; i < b->n; i++) {
        struct item *it = &b->it[i];
        if (it->fate == FATE_SEND)
            continue;
        n++;
        int failed = it->fate == FATE_FAILED;
        arr_int(&a[0], it->id);
        arr_text(&a[1], state[it->fate]);
        arr_text(&a[2], it->fate == FATE_GIVEBACK ? NULL : it->why);
        arr_text(&a[3], failed ? it->basis : NULL);
        arr_text(&a[4], failed ? it->consent_event : NULL);
        arr_text(&a[5], failed ? it->order_id : NULL);
        arr_text(&a[6], failed ? it->relation : NULL);
    }
    if (n == 0) {
        rc = 0;
        goto out;
    }
    for (int i = 0; i < 7; i++)
        if (arr_end(&a[i], "settle", err) < 0)
            goto out;
    snprintf(k, sizeof(k), "%lld", w->key);
    const char *p[] = {a[0].s, a[1].s, a[2].s, a[3].s, a[4].s, a[5].s, a[6].s, k};
    rc = db_run(w->db, Q_DISPATCH_SETTLE, p, 8, err);
out:
    for (int i = 0; i < 7; i++)
        buf_release(&a[i]);
    return rc;
}

static struct item *find(struct batch *b, long long id)
{
    for (int i = 0; i < b->n; i++)
        if (b->it[i].id == id)
            return &b->it[i];
    return NULL;
}

/* claimed -> sending; fills b->sess with what this worker may send now. */
static int handover(struct worker *w, struct batch *b, long *cancelled, struct mo_err *err)
{
    struct buf a[7];
    char k[24];
    int n = 0, rc = -1;

    for (int i = 0; i < 7; i++)
        buf_init(&a[i], ARRAY_MAX);
    for (int i = 0; i < b->n; i++) {
        struct item *it = &b->it[i];
        if (it->fate != FATE_SEND)
            continue;
        n++;
        arr_int(&a[0], it->id);
        arr_text(&a[1], it->msg.message_id);
        arr_text(&a[2], it->token_hash);
        arr_text(&a[3], it->basis);
        arr_text(&a[4], it->consent_event);
        arr_text(&a[5], it->order_id);
        arr_text(&a[6], it->relation);
    }
    if (n == 0) {
        rc = 0;
        goto out;
    }
    for (int i = 0; i < 7; i++)
        if (arr_end(&a[i], "handover", err) < 0)
            goto out;
    snprintf(k, sizeof(k), "%lld", w->key);
    const char *p[] = {a[0].s, a[1].s, a[2].s, a[3].s, a[4].s, a[5].s, a[6].s, k};
    PGresult *r = db_exec(w->db, Q_DISPATCH_HANDOVER, p, 8, err);
    if (r == NULL)
        goto out;
    for (int row = 0; row < PQntuples(r); row++) {
        struct item *it = find(b, db_int(r, row, "id"));
        const char *st = db_val(r, row, "state");
        if (it == NULL)
            continue;
        if (strcmp(st, "sending") == 0)
            it->in_session = 1;
        else if (strcmp(st, "cancelled") == 0)
            (*cancelled)++;
    }
    PQclear(r);
    rc = 0;
out:
    for (int i = 0; i < 7; i++)
        buf_release(&a[i]);
    return rc;
}

/* After a lost connection during the handover: which of our rows did it commit? */
static int handover_committed(struct worker *w, struct batch *b, struct mo_err *err)
{
    struct buf ids;
    char k[24];
    int rc = -1;

    buf_init(&ids, ARRAY_MAX);
    for (int i = 0; i < b->n; i++)
        if (b->it[i].fate == FATE_SEND)
            arr_int(&ids, b->it[i].id);
    if (arr_end(&ids, "handover", err) < 0)
        goto out;
    snprintf(k, sizeof(k), "%lld", w->key);
    const char *p[] = {k, ids.s};
    PGresult *r = db_exec(w->db, Q_DISPATCH_SENDING_MINE, p, 2, err);
    if (r == NULL)
        goto out;
    for (int row = 0; row < PQntuples(r); row++) {
        struct item *it = find(b, db_int(r, row, "id"));
        if (it)
            it->in_session = 1;
    }
    PQclear(r);
    rc = 0;
out:
    buf_release(&ids);
    return rc;
}

static int defer_seconds(long attempts)
{
    long long s = DEFER_FIRST_S;
    for (long i = 0; i < attempts && s < DEFER_MAX_S; i++)
        s *= 2;
    return (int)(s < DEFER_MAX_S ? s : DEFER_MAX_S);
}

/*
 * Reads the session's outcomes into the items.  Returns 1 when the session
 * failed before any reply (every row back to the queue, not an attempt).
 */
static int outcomes(struct batch *b, const struct mo_err *terr)
{
    int replied = 0, first_zero = 1;

    for (size_t i = 0; i < b->ns; i++)
        replied |= b->tms[i].code != 0 || b->tms[i].delivered || b->tms[i].data_sent;
    for (size_t i = 0; i < b->ns; i++) {
        struct item *it = b->sess[i];
        const struct transport_msg *m = &b->tms[i];
        enum transport_result res = transport_classify(m);
        char reply[sizeof(it->reply)];
        clean_reply(reply, sizeof(reply), m->reply);
        it->code = m->code;
        it->att = 1;
        it->delay = 0;
        switch (res) {
        case TRANSPORT_SENT:
            it->state = "sent";
            it->rec = "sent";
            snprintf(it->reply, sizeof(it->reply), "%s", reply);
            break;
        case TRANSPORT_FAILED:
            it->state = "failed";
            it->rec = "failed";
            it->bounce = transport_hard_bounce(m);
            snprintf(it->reply, sizeof(it->reply), "%s", reply);
            break;
        case TRANSPORT_DEFERRED:
            if (it->attempts + 1 >= DISPATCH_MAX_ATTEMPTS) {
                it->state = "failed";
                it->rec = "failed";
                snprintf(it->reply, sizeof(it->reply), "given up after %d attempts: %.200s",
                         DISPATCH_MAX_ATTEMPTS, reply);
            } else {
                it->state = "queued";
                it->rec = "deferred";
                it->delay = defer_seconds(it->attempts);
                snprintf(it->reply, sizeof(it->reply), "%s", reply);
            }
            break;
        case TRANSPORT_NOT_ATTEMPTED:
            if (m->data_sent || (replied && first_zero)) {
                /* the session ended after its content went out (or after earlier
                   replies): the relay may have accepted it */
                first_zero = 0;
                it->state = "uncertain";
                it->rec = "uncertain";
                snprintf(it->reply, sizeof(it->reply),
                         "the session ended before the reply to this message: it may have "
                         "been delivered");
            } else {
                it->state = "queued";
                it->rec = NULL;
                it->att = 0;
                clean_reply(it->reply, sizeof(it->reply),
                            terr->msg[0] ? terr->msg : "not attempted");
            }
            break;
        }
    }
    return !replied;
}

static int record_once(struct worker *w, struct batch *b, struct mo_err *err)
{
    struct buf a[8];
    char k[24];
    int rc = -1;
    json_t *bounced = NULL;
    PGresult *r = NULL;

    for (int i = 0; i < 8; i++)
        buf_init(&a[i], ARRAY_MAX);
    for (size_t i = 0; i < b->ns; i++) {
        struct item *it = b->sess[i];
        arr_int(&a[0], it->id);
        arr_text(&a[1], it->state);
        arr_int(&a[2], it->code);
        arr_text(&a[3], it->reply);
        arr_int(&a[4], it->delay);
        arr_text(&a[5], it->rec);
        arr_int(&a[6], it->att);
        arr_text(&a[7], it->bounce ? "t" : "f");
    }
    for (int i = 0; i < 8; i++)
        if (arr_end(&a[i], "record", err) < 0)
            goto out;
    snprintf(k, sizeof(k), "%lld", w->key);
    if (db_begin(w->db, err) < 0)
        goto out;
    const char *p[] = {a[0].s, a[1].s, a[2].s, a[3].s, a[4].s, a[5].s, a[6].s, a[7].s, k};
    r = db_exec(w->db, Q_DISPATCH_RECORD, p, 9, err);
    if (r == NULL)
        goto fail;
    for (int row = 0; row < PQntuples(r); row++) {
        if (!db_bool(r, row, "bounce"))
            continue;
        if (bounced == NULL)
            bounced = json_array();
        json_array_append_new(bounced, json_integer(db_int(r, row, "contact_id")));
        mo_log(MO_LOG_INFO, "hard bounce: address suppressed run=%s contact=%s",
               db_val(r, row, "run_id"), db_val(r, row, "contact_id"));
    }
    if (bounced) {
        json_t *detail = json_pack("{s:O, s:s}", "contacts", bounced, "reason", "hard_bounce");
        if (audit_append_json(w->db, "system", "dispatch.hard_bounce", "suppression", detail, err) <
            0)
            goto fail;
    }
    PQclear(r);
    r = db_exec(w->db, Q_DISPATCH_RUNS_DONE, NULL, 0, err);
    if (r == NULL)
        goto fail;
    for (int i = 0; i < PQntuples(r); i++)
        mo_log(MO_LOG_INFO, "campaign run done run=%s", db_val(r, i, "id"));
    if (db_commit(w->db, err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    db_rollback(w->db);
out:
    PQclear(r);
    json_decref(bounced);
    for (int i = 0; i < 8; i++)
        buf_release(&a[i]);
    return rc;
}

/* Records the outcomes; after a lost connection, reconnects and records them anyway. */
static int record(struct worker *w, struct batch *b, struct mo_err *err)
{
    for (int tries = 0;; tries++) {
        mo_err_init(err);
        if (record_once(w, b, err) == 0)
            return 0;
        if (!lost(w) && tries >= 2)
            return -1;
        if (lost(w) && worker_reconnect(w, 1) < 0)
            return -1;
    }
}

static void count_outcomes(struct dispatch *d, struct batch *b)
{
    for (size_t i = 0; i < b->ns; i++) {
        struct item *it = b->sess[i];
        if (strcmp(it->state, "sent") == 0)
            atomic_fetch_add(&d->sent, 1);
        else if (strcmp(it->state, "failed") == 0)
            atomic_fetch_add(&d->failed, 1);
        else if (strcmp(it->state, "uncertain") == 0)
            atomic_fetch_add(&d->uncertain, 1);
        else if (it->rec != NULL)
            atomic_fetch_add(&d->deferred, 1);
        if (it->rec && strcmp(it->state, "sent") != 0)
            mo_log(MO_LOG_WARN, "campaign mail %s run=%lld contact=%lld queue=%lld code=%d",
                   it->rec, it->run_id, it->contact_id, it->id, it->code);
    }
}

static enum batch_rc give_back(struct worker *w, enum batch_rc rc)
{
    struct mo_err err;
    char k[24];

    mo_err_init(&err);
    if (lost(w))
        return BATCH_DB_LOST;
    snprintf(k, sizeof(k), "%lld", w->key);
    const char *p[] = {k};
    if (db_run(w->db, Q_DISPATCH_RELEASE, p, 1, &err) < 0)
        return lost(w) ? BATCH_DB_LOST : BATCH_FATAL;
    return rc;
}

static enum batch_rc db_failed(struct worker *w, const struct mo_err *e)
{
    if (lost(w))
        return BATCH_DB_LOST;
    log_problem(w, MO_LOG_ERROR, e->msg);
    return give_back(w, e->code == MO_E_TEMPFAIL ? BATCH_BUSY : BATCH_FATAL);
}

static enum batch_rc run_batch(struct worker *w, struct mo_err *err)
{
    struct dispatch *d = w->d;
    struct batch b;
    long granted = 0, wait_ms = 0, cancelled = 0;
    enum batch_rc rc;
    struct mo_err terr;

    memset(&b, 0, sizeof(b));
    mo_err_init(&terr);
    long want = d->o.batch;
    /* R-GDPR-13: nothing is claimed for a relay no registered processor operates */
    if (processor_check_relays(w->db, d->cfg, err) < 0)
        return lost(w) ? BATCH_DB_LOST : BATCH_RELAY_DOWN;
    if (throttle_take(w->db, d->cfg->rate, want, &granted, &wait_ms, err) < 0)
        return lost(w) ? BATCH_DB_LOST : BATCH_FATAL;
    if (granted <= 0) {
        dsleep(d, wait_ms > 0 ? wait_ms : 100);
        return BATCH_THROTTLED;
    }
    if (claim(w, granted, &b, err) < 0) {
        rc = db_failed(w, err);
        goto out;
    }
    if (b.n == 0) {
        rc = b.waiting ? BATCH_WORKED : BATCH_IDLE;
        goto out;
    }
    if (recheck(w, &b, err) < 0) {
        rc = db_failed(w, err);
        goto out;
    }
    int given = limit_domains(d, &b);
    if (render(w, &b, err) < 0) {
        log_problem(w, MO_LOG_ERROR, err->msg);
        rc = lost(w) ? BATCH_DB_LOST : give_back(w, BATCH_FATAL);
        goto out;
    }
    if (stopping(d)) { /* claims not yet handed over go back */
        rc = give_back(w, BATCH_WORKED);
        goto out;
    }
    if (db_begin(w->db, err) < 0 || settle(w, &b, err) < 0 ||
        handover(w, &b, &cancelled, err) < 0 || db_commit(w->db, err) < 0) {
        if (!lost(w)) {
            db_rollback(w->db);
            rc = db_failed(w, err);
            goto out;
        }
        /* did the handover commit?  Our rows in 'sending' say so; the rest go back */
        if (worker_reconnect(w, 0) < 0 || handover_committed(w, &b, err) < 0) {
            rc = BATCH_DB_LOST;
            goto out;
        }
    }
    atomic_fetch_add(&d->cancelled, cancelled);
    for (int i = 0; i < b.n; i++) {
        if (b.it[i].fate == FATE_EXCLUDED) {
            atomic_fetch_add(&d->excluded, 1);
            mo_log(MO_LOG_INFO, "campaign mail excluded run=%lld contact=%lld reason=%s",
                   b.it[i].run_id, b.it[i].contact_id, b.it[i].why);
        } else if (b.it[i].fate == FATE_FAILED)
            atomic_fetch_add(&d->failed, 1);
    }
    b.tms = xcalloc((size_t)b.n, sizeof(*b.tms));
    b.sess = xcalloc((size_t)b.n, sizeof(*b.sess));
    for (int i = 0; i < b.n; i++) {
        struct item *it = &b.it[i];
        if (!it->in_session)
            continue;
        struct transport_msg *m = &b.tms[b.ns];
        m->envelope_from = d->cfg->from_addr;
        m->rcpt = it->email;
        m->data = it->msg.data.s;
        m->len = it->msg.data.len;
        b.sess[b.ns++] = it;
    }
    if (b.ns == 0) {
        rc = given == b.n ? BATCH_BUSY : BATCH_WORKED;
        goto out;
    }
    transport_send(w->t, b.tms, b.ns, &terr);
    int down = outcomes(&b, &terr);
    /* the session is over: other threads may connect for these domains */
    for (int i = 0; i < b.nheld; i++) {
        domains_give(&d->domains, b.held[i]);
        free(b.held[i]);
    }
    b.nheld = 0;
    if (record(w, &b, err) < 0) {
        log_problem(w, MO_LOG_ERROR, err->msg);
        mo_log(MO_LOG_ERROR,
               "dispatch worker=%lld: outcomes of %zu messages not recorded: they stay "
               "'sending' and become uncertain when this worker ends",
               w->key, b.ns);
        rc = lost(w) ? BATCH_DB_LOST : BATCH_FATAL;
        goto out;
    }
    if (down) {
        *err = terr;
        rc = BATCH_RELAY_DOWN;
    } else {
        count_outcomes(d, &b);
        mo_log(MO_LOG_DEBUG, "dispatch worker=%lld: session of %zu messages recorded", w->key,
               b.ns);
        rc = BATCH_WORKED;
    }
out:
    batch_free(d, &b);
    return rc;
}

static void worker_end(struct worker *w)
{
    struct dispatch *d = w->d;
    struct mo_err err;

    mo_err_init(&err);
    if (!lost(w)) {
        char k[24];
        snprintf(k, sizeof(k), "%lld", w->key);
        const char *p[] = {k};
        if (db_run(w->db, Q_DISPATCH_RELEASE, p, 1, &err) == 0)
            recover(w, &err);
    }
    for (int i = 0; i < w->ncache; i++)
        campaign_mail_free(w->cache[i].cm);
    w->ncache = 0;
    db_free(w->db);
    w->db = NULL;
    transport_free(w->t);
    w->t = NULL;
    pthread_mutex_lock(&d->mu);
    d->ndone++;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct dispatch *d = w->d;
    struct mo_err err;
    long long last_recover = 0;
    long relay_wait = 1000;

    mo_err_init(&err);
    w->t = transport_new(d->cfg, &err);
    if (w->t == NULL || worker_connect(w, 0, &err) < 0) {
        set_error(d, &err);
        mo_log(MO_LOG_ERROR, "dispatch worker %d not started: %s", w->index, err.msg);
        worker_end(w);
        return NULL;
    }
    while (!stopping(d)) {
        mo_err_init(&err);
        if (monotime_ms() - last_recover >= RECOVER_EVERY_MS) {
            if (recover(w, &err) < 0) {
                if (lost(w) && worker_reconnect(w, 0) == 0)
                    continue;
                if (lost(w))
                    break;
                log_problem(w, MO_LOG_ERROR, err.msg);
            }
            last_recover = monotime_ms();
        }
        enum batch_rc rc = run_batch(w, &err);
        switch (rc) {
        case BATCH_WORKED:
            relay_wait = 1000;
            w->last_err[0] = '\0';
            break;
        case BATCH_THROTTLED:
            break;
        case BATCH_IDLE:
            if (d->o.once)
                goto end;
            dsleep(d, IDLE_MS);
            break;
        case BATCH_BUSY:
            dsleep(d, 200);
            break;
        case BATCH_DB_LOST:
            if (worker_reconnect(w, 0) < 0)
                goto end;
            break;
        case BATCH_RELAY_DOWN:
            log_problem(w, MO_LOG_WARN, err.msg);
            if (d->o.once) {
                set_error(d, &err);
                goto end;
            }
            dsleep(d, relay_wait);
            relay_wait =
                relay_wait * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : relay_wait * 2;
            break;
        case BATCH_FATAL:
            if (d->o.once) {
                set_error(d, &err);
                goto end;
            }
            dsleep(d, RELAY_BACKOFF_MAX_MS);
            break;
        }
    }
end:
    worker_end(w);
    return NULL;
}

struct dispatch *dispatch_start(const struct config *cfg, const struct dispatch_opts *o,
                                struct mo_err *err)
{
    struct dispatch *d = xcalloc(1, sizeof(*d));

    d->cfg = cfg;
    d->o = *o;
    if (d->o.sessions < 1)
        d->o.sessions = 1;
    if (d->o.sessions > DISPATCH_SESSIONS_MAX)
        d->o.sessions = DISPATCH_SESSIONS_MAX;
    if (d->o.batch < 1 || d->o.batch > DISPATCH_BATCH)
        d->o.batch = DISPATCH_BATCH;
    if (dkim_open(cfg, &d->dkim, err) < 0) {
        free(d);
        return NULL;
    }
    pthread_mutex_init(&d->domains.mu, NULL);
    d->domains.limit = cfg->domain_concurrency;
    pthread_mutex_init(&d->mu, NULL);
    monotime_cond_init(&d->cv);
    mo_err_init(&d->err);
    d->nw = d->o.sessions;
    d->w = xcalloc((size_t)d->nw, sizeof(*d->w));
    for (int i = 0; i < d->nw; i++) {
        d->w[i].d = d;
        d->w[i].index = i;
        d->w[i].key = random_key();
        atomic_init(&d->keys[i], d->w[i].key);
    }
    for (int i = 0; i < d->nw; i++) {
        int e = pthread_create(&d->w[i].thread, NULL, worker_main, &d->w[i]);
        if (e != 0) {
            mo_err_set(err, MO_E_INTERNAL, "cannot start a dispatch worker: %s", strerror(e));
            /* the others end; count this one as ended */
            pthread_mutex_lock(&d->mu);
            d->nw = i;
            pthread_mutex_unlock(&d->mu);
            dispatch_stop(d, 60000, NULL);
            return NULL;
        }
        d->w[i].started = 1;
    }
    mo_log(MO_LOG_INFO, "campaign dispatch started sessions=%d batch=%ld dkim=%s", d->nw,
           d->o.batch, d->dkim ? "yes" : "no");
    return d;
}

void dispatch_request_stop(struct dispatch *d)
{
    if (d == NULL)
        return;
    pthread_mutex_lock(&d->mu);
    atomic_store(&d->stop, 1);
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->mu);
}

int dispatch_finished(struct dispatch *d)
{
    pthread_mutex_lock(&d->mu);
    int done = d->ndone >= d->nw;
    pthread_mutex_unlock(&d->mu);
    return done;
}

void dispatch_get_stats(struct dispatch *d, struct dispatch_stats *st)
{
    st->sent = atomic_load(&d->sent);
    st->failed = atomic_load(&d->failed);
    st->deferred = atomic_load(&d->deferred);
    st->excluded = atomic_load(&d->excluded);
    st->uncertain = atomic_load(&d->uncertain);
    st->cancelled = atomic_load(&d->cancelled);
}

int dispatch_stop(struct dispatch *d, int wait_ms, struct mo_err *err)
{
    struct timespec until;
    int done;

    if (d == NULL)
        return 0;
    dispatch_request_stop(d);
    monotime_deadline(&until, wait_ms);
    pthread_mutex_lock(&d->mu);
    while (d->ndone < d->nw)
        if (pthread_cond_timedwait(&d->cv, &d->mu, &until) != 0)
            break;
    done = d->ndone >= d->nw;
    pthread_mutex_unlock(&d->mu);
    if (!done)
        return 1;
    for (int i = 0; i < d->nw; i++)
        if (d->w[i].started)
            pthread_join(d->w[i].thread, NULL);
    if (err && d->err.code && !err->code)
        *err = d->err;
    for (size_t i = 0; i < d->domains.len; i++)
        free(d->domains.v[i].domain);
    free(d->domains.v);
    pthread_mutex_destroy(&d->domains.mu);
    pthread_mutex_destroy(&d->mu);
    pthread_cond_destroy(&d->cv);
    dkim_free(d->dkim);
    free(d->w);
    free(d);
    return 0;
}

int dispatch_resend_uncertain(struct db *db, long *n, struct mo_err *err)
{
    PGresult *r = NULL;
    json_t *runs = json_object();

    *n = 0;
    if (db_begin(db, err) < 0)
        goto fail;
    r = db_exec(db, Q_DISPATCH_RESEND_UNCERTAIN, NULL, 0, err);
    if (r == NULL)
        goto fail;
    for (int i = 0; i < PQntuples(r); i++) {
        *n += (long)db_int(r, i, "n");
        json_object_set_new(runs, db_val(r, i, "run_id"), json_integer(db_int(r, i, "n")));
    }
    PQclear(r);
    r = NULL;
    if (*n > 0) {
        json_t *detail = json_pack("{s:O, s:I}", "runs", runs, "rows", (json_int_t)*n);
        if (audit_append_json(db, audit_cli_actor(), "dispatch.resend_uncertain", "send_queue",
                              detail, err) < 0)
            goto fail;
    }
    if (db_commit(db, err) < 0)
        goto fail;
    json_decref(runs);
    if (*n > 0)
        mo_log(MO_LOG_WARN, "uncertain rows queued again on request rows=%ld", *n);
    return 0;
fail:
    db_rollback(db);
    PQclear(r);
    json_decref(runs);
    return -1;
}

int dispatch_counts(struct db *db, long *left, long *uncertain, struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_DISPATCH_COUNTS, NULL, 0, err);
    if (r == NULL)
        return -1;
    *left = (long)db_int(r, 0, "left_rows");
    *uncertain = (long)db_int(r, 0, "uncertain");
    PQclear(r);
    return 0;
}
