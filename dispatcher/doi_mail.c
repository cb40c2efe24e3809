/*
 * doi_mail.c - the mails of double opt-in and their queue.  Owns the token
 * derivation, the confirmation message (template files, variables,
 * compose), the queue rows and the sender (one batch, or a background
 * worker thread), which also sends the consent receipts.  It does not
 * decide who may subscribe (doi.c), does not write the receipt (receipt.c)
 * and does not speak SMTP (transport.c).
 */
#include "doi_mail.h"
#include "monotime.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "address.h"
#include "bgworker.h"
#include "buf.h"
#include "compose.h"
#include "dkim.h"
#include "doi.h"
#include "log.h"
#include "processor.h"
#include "receipt.h"
#include "suppress.h"
#include "tmpl.h"
#include "tmplfile.h"
#include "xalloc.h"

/* How long a claim holds a mail: longer than any SMTP session of a batch. */
#define LEASE "10 minutes"
/* Backoff after a 4xx or a failed session: 30 s, doubling, at most an hour. */
#define BACKOFF_FIRST 30
#define BACKOFF_MAX   3600
/* Stands in for the token when a request is checked before it is stored. */
#define PLACEHOLDER_TOKEN "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

static const char key_label[] = "mailout doi token key v1";

void doi_mail_key_derive(const struct suppress_key *sk, struct doi_mail_key *key)
{
    crypto_hmac_sha256(sk->key, sizeof(sk->key), key_label, strlen(key_label), key->k);
}

int doi_mail_key_load(struct db *db, const struct config *cfg, struct doi_mail_key *key,
                      struct mo_err *err)
{
    struct suppress_key sk;

    if (suppress_key_load(db, cfg, &sk, err) < 0)
        return -1;
    doi_mail_key_derive(&sk, key);
    OPENSSL_cleanse(&sk, sizeof(sk));
    return 0;
}

void doi_mail_key_wipe(struct doi_mail_key *key)
{
    OPENSSL_cleanse(key, sizeof(*key));
}

void doi_mail_token(const struct doi_mail_key *key, long long request_id, const char *nonce,
                    char token[CRYPTO_TOKEN_LEN + 1])
{
    unsigned char raw[CRYPTO_TOKEN_BYTES];
    struct buf in;

    buf_init(&in, 256);
    buf_printf(&in, "doi:%lld:%s", request_id, nonce);
    crypto_hmac_sha256(key->k, sizeof(key->k), in.s, in.len, raw);
    crypto_token_encode(raw, token);
    OPENSSL_cleanse(raw, sizeof(raw));
    buf_release(&in);
}

void doi_mail_receipt_token(const struct doi_mail_key *key, long long request_id, const char *topic,
                            const char *nonce, char token[CRYPTO_TOKEN_LEN + 1])
{
    unsigned char raw[CRYPTO_TOKEN_BYTES];
    struct buf in;

    buf_init(&in, 256);
    buf_printf(&in, "receipt:%lld:%s:%s", request_id, topic, nonce); /* topic names are short */
    crypto_hmac_sha256(key->k, sizeof(key->k), in.s, in.len, raw);
    crypto_token_encode(raw, token);
    OPENSSL_cleanse(raw, sizeof(raw));
    buf_release(&in);
}

int doi_mail_owner_id(char out[DOI_MAIL_OWNER_MAX], struct mo_err *err)
{
    char host[64], rnd[CRYPTO_TOKEN_LEN + 1];

    if (crypto_random_token(rnd, err) < 0)
        return -1;
    if (gethostname(host, sizeof(host)) < 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    int n = snprintf(out, DOI_MAIL_OWNER_MAX, "%s:%ld:%.8s", host, (long)getpid(), rnd);
    if (n < 0 || n >= DOI_MAIL_OWNER_MAX)
        return mo_err_set(err, MO_E_INTERNAL, "sender id too long");
    return 0;
}

/* --- the message --- */

struct mail_text {
    char *raw; /* confirm_mail.txt, split in place into subject and body */
    char *subject;
    char *body;
    char *html; /* confirm_mail.html or NULL */
};

static void mail_text_release(struct mail_text *t)
{
    free(t->raw);
    free(t->html);
    memset(t, 0, sizeof(*t));
}

static int mail_text_load(const char *data_dir, const char *locale, struct mail_text *t,
                          struct mo_err *err)
{
    memset(t, 0, sizeof(*t));
    t->raw = tmplfile_load(data_dir, locale, "confirm_mail.txt", 0, err);
    if (t->raw == NULL)
        return -1;
    if (tmplfile_split_header(t->raw, "Subject", "confirmation mail template", &t->subject,
                              &t->body, err) < 0)
        goto fail;
    t->html = tmplfile_load(data_dir, locale, "confirm_mail.html", 1, err);
    if (err->code)
        goto fail;
    if (doi_check_template(t->subject, t->body, t->html, err) < 0)
        goto fail;
    return 0;
fail:
    mail_text_release(t);
    return -1;
}

static const char *from_addr(const struct config *cfg)
{
    if (*cfg->from_addr)
        return cfg->from_addr;
    return *cfg->from ? cfg->from : "mailout@localhost";
}

static const char *from_name(const struct config *cfg)
{
    return *cfg->from_name ? cfg->from_name : cfg->legal_entity;
}

/* Builds the confirmation mail of content c with token into m. */
static int build(const struct config *cfg, const char *data_dir, const struct doi_mail_content *c,
                 const char *token, struct compose_msg *m, struct mo_err *err)
{
    static const struct compose_header auto_submitted = {"Auto-Submitted", "auto-generated"};
    struct mail_text t;
    struct tmpl_vars *v = NULL;
    struct buf url, topics, list;
    char days[24];
    int rc = -1;

    buf_init(&url, 4096);
    buf_init(&topics, 64 * 1024);
    buf_init(&list, 64 * 1024);
    if (mail_text_load(data_dir, c->locale, &t, err) < 0)
        goto out;
    if (buf_printf(&url, "%s/confirm/%s", cfg->base_url, token) < 0) {
        mo_err_set(err, MO_E_INPUT, "base_url is too long");
        goto out;
    }
    for (size_t i = 0; i < c->ntitles; i++)
        if (buf_printf(&topics, "%s%s", i ? ", " : "", c->titles[i]) < 0 ||
            buf_printf(&list, "%s- %s", i ? "\n" : "", c->titles[i]) < 0) {
            mo_err_set(err, MO_E_INPUT, "topic titles are too long");
            goto out;
        }
    if (snprintf(days, sizeof(days), "%lld", c->days > 0 ? c->days : 1) >= (int)sizeof(days))
        goto out;
    v = tmpl_vars_new();
    tmpl_vars_set(v, "confirm_url", url.s);
    tmpl_vars_set(v, "privacy_url", cfg->privacy_url);
    tmpl_vars_set(v, "imprint_url", cfg->imprint_url);
    tmpl_vars_set(v, "topics", topics.s);
    tmpl_vars_set(v, "topic_list", list.s);
    tmpl_vars_set(v, "legal_entity", cfg->legal_entity);
    tmpl_vars_set(v, "postal_address", cfg->postal_address);
    tmpl_vars_set(v, "email", c->rcpt);
    tmpl_vars_set(v, "expires", c->expires);
    tmpl_vars_set(v, "days", days);
    tmpl_vars_set(v, "from_name", from_name(cfg));
    struct compose_in in = {
        .from_name = from_name(cfg),
        .from_addr = from_addr(cfg),
        .reply_to_name = cfg->reply_to_name,
        .reply_to_addr = *cfg->reply_to_addr ? cfg->reply_to_addr : cfg->reply_to,
        .to_addr = c->rcpt,
        .subject = t.subject,
        .text = t.body,
        .html = t.html,
        .vars = v,
        .headers = &auto_submitted,
        .nheaders = 1,
    };
    rc = compose_message(&in, m, err);
out:
    mail_text_release(&t);
    tmpl_vars_free(v);
    buf_release(&url);
    buf_release(&topics);
    buf_release(&list);
    return rc;
}

int doi_mail_check(const struct config *cfg, const char *data_dir, const struct doi_mail_content *c,
                   struct mo_err *err)
{
    struct compose_msg m;

    compose_msg_init(&m);
    int rc = build(cfg, data_dir, c, PLACEHOLDER_TOKEN, &m, err);
    compose_msg_release(&m);
    return rc;
}

/* --- the queue --- */

int doi_mail_enqueue(struct db *db, long long request_id, const char *nonce, const char *owner,
                     struct mo_err *err)
{
    char rid[24];

    snprintf(rid, sizeof(rid), "%lld", request_id);
    const char *p[] = {rid, nonce, owner, LEASE};
    if (db_run(db, Q_DOI_MAIL_QUEUE, p, 4, err) < 0)
        return -1;
    /* delivered at commit: wakes the senders that LISTEN */
    return owner ? 0 : db_run(db, Q_DOI_MAIL_NOTIFY, NULL, 0, err);
}

int doi_mail_enqueue_receipt(struct db *db, long long request_id, const char *nonce,
                             const char *draft, struct mo_err *err)
{
    char rid[24];

    snprintf(rid, sizeof(rid), "%lld", request_id);
    const char *p[] = {rid, nonce, draft};
    if (db_run(db, Q_RECEIPT_MAIL_QUEUE, p, 3, err) < 0)
        return -1;
    return db_run(db, Q_DOI_MAIL_NOTIFY, NULL, 0, err);
}

int doi_mail_release(struct db *db, const char *owner, struct mo_err *err)
{
    const char *p[] = {owner};
    return db_run(db, Q_DOI_MAIL_RELEASE, p, 1, err);
}

/* One claimed mail. */
struct claimed {
    long long request_id;
    int receipt; /* the receipt mail, not the confirmation mail */
    char *draft; /* receipt: the queued receipt without its links */
    long long contact_id;
    long attempts;
    char nonce[CRYPTO_TOKEN_LEN + 1];
    char locale[16];
    char expires[32];
    long long ttl_left;
    char *email;
    struct compose_msg msg;
    struct transport_msg tm;
    int ready; /* built: goes into the session */
    struct doi_mail_result res;
};

static long long backoff_seconds(long attempts)
{
    long long s = BACKOFF_FIRST;
    for (long i = 1; i < attempts && s < BACKOFF_MAX; i++)
        s *= 2;
    return s < BACKOFF_MAX ? s : BACKOFF_MAX;
}

/* Keeps a reply (cut to fit: a long reply is still worth its start). */
static void set_reply(struct doi_mail_result *r, const char *what, const char *text)
{
    if (snprintf(r->reply, sizeof(r->reply), "%s%s", what, text) < 0)
        r->reply[0] = '\0';
}

/* Signs a built message and hands it to the session; failure is recorded in c->res. */
static void ready(const struct config *cfg, const struct dkim *dkim, struct claimed *c)
{
    struct mo_err err;

    mo_err_init(&err);
    if (dkim && dkim_sign(dkim, &c->msg.data, &err) < 0) {
        /* not the message's fault: tried again later */
        c->res.result = TRANSPORT_NOT_ATTEMPTED;
        set_reply(&c->res, "cannot sign the message: ", err.msg);
        return;
    }
    c->ready = 1;
    c->tm.envelope_from = from_addr(cfg);
    c->tm.rcpt = c->email;
    c->tm.data = c->msg.data.s;
    c->tm.len = c->msg.data.len;
}

/*
 * Builds the receipt mail of one claimed row: the queued draft with its
 * links derived again, sent only when it hashes to the receipt on the
 * ledger.  Failure is recorded in c->res.
 */
static void prepare_receipt(struct db *db, const struct config *cfg, const char *data_dir,
                            const struct doi_mail_key *key, const struct dkim *dkim,
                            struct claimed *c)
{
    char rid[24], cid[24], token[CRYPTO_TOKEN_LEN + 1], sha[CRYPTO_SHA256_HEX_LEN + 1];
    char *text = NULL;
    json_t *r;
    struct mo_err err;
    PGresult *res = NULL;

    mo_err_init(&err);
    c->res.result = TRANSPORT_FAILED;
    if ((r = receipt_from_draft(c->draft, &err)) == NULL) {
        set_reply(&c->res, "cannot build the receipt: ", err.msg);
        return;
    }
    for (size_t i = 0; i < receipt_ntopics(r); i++) {
        doi_mail_receipt_token(key, c->request_id, receipt_topic(r, i), c->nonce, token);
        int rc = receipt_set_link(r, i, token, &err);
        OPENSSL_cleanse(token, sizeof(token));
        if (rc < 0) {
            set_reply(&c->res, "cannot build the receipt: ", err.msg);
            goto out;
        }
    }
    if ((text = receipt_text(r, &err)) == NULL) {
        set_reply(&c->res, "cannot build the receipt: ", err.msg);
        goto out;
    }
    crypto_sha256_hex(text, strlen(text), sha);
    snprintf(rid, sizeof(rid), "%lld", c->request_id);
    snprintf(cid, sizeof(cid), "%lld", c->contact_id);
    const char *p[] = {cid, rid};
    if ((res = db_exec(db, Q_RECEIPT_HASH, p, 2, &err)) == NULL) {
        c->res.result = TRANSPORT_NOT_ATTEMPTED;
        set_reply(&c->res, "database: ", err.msg);
        goto out;
    }
    if (PQntuples(res) != 1 || strcmp(db_val(res, 0, "receipt_sha256"), sha) != 0) {
        set_reply(&c->res, "", "the receipt does not hash to the receipt_sha256 on the ledger");
        goto out;
    }
    if (receipt_mail_build(cfg, data_dir, r, text, c->email, &c->msg, &err) < 0) {
        set_reply(&c->res, "cannot build the message: ", err.msg);
        goto out;
    }
    c->res.result = TRANSPORT_SENT; /* reset by the session's outcome */
    ready(cfg, dkim, c);
out:
    PQclear(res);
    if (text)
        OPENSSL_cleanse(text, strlen(text)); /* it holds the tokens */
    free(text);
    json_decref(r);
}

/* Builds the message of one claimed mail; failure is recorded in c->res. */
static void prepare(struct db *db, const struct config *cfg, const char *data_dir,
                    const struct doi_mail_key *key, const struct dkim *dkim, struct claimed *c)
{
    char rid[24], token[CRYPTO_TOKEN_LEN + 1];
    const char **titles = NULL;
    struct mo_err err;
    PGresult *r;

    if (c->receipt) {
        prepare_receipt(db, cfg, data_dir, key, dkim, c);
        return;
    }
    mo_err_init(&err);
    snprintf(rid, sizeof(rid), "%lld", c->request_id);
    const char *p[] = {rid};
    if ((r = db_exec(db, Q_DOI_REQUEST_TITLES, p, 1, &err)) == NULL) {
        c->res.result = TRANSPORT_NOT_ATTEMPTED;
        set_reply(&c->res, "database: ", err.msg);
        return;
    }
    int n = PQntuples(r);
    titles = xcalloc((size_t)n + 1, sizeof(*titles));
    for (int i = 0; i < n; i++)
        titles[i] = db_val(r, i, "title");
    struct doi_mail_content content = {
        .locale = c->locale,
        .rcpt = c->email,
        .titles = titles,
        .ntitles = (size_t)n,
        .expires = c->expires,
        .days = (c->ttl_left + 86399) / 86400,
    };
    doi_mail_token(key, c->request_id, c->nonce, token);
    if (build(cfg, data_dir, &content, token, &c->msg, &err) < 0) {
        c->res.result = TRANSPORT_FAILED;
        set_reply(&c->res, "cannot build the message: ", err.msg);
    } else {
        ready(cfg, dkim, c);
    }
    OPENSSL_cleanse(token, sizeof(token));
    free(titles);
    PQclear(r);
}

/* Records the outcome of one mail; -1 with err when the database failed. */
static int record(struct db *db, const char *owner, struct claimed *c, struct doi_mail_stats *st,
                  struct mo_err *err)
{
    char rid[24], code[16], delay[32];
    struct doi_mail_result *res = &c->res;
    const char *codep = NULL;
    const char *kind = c->receipt ? "receipt" : "confirm";
    const char *what = c->receipt ? "receipt mail" : "confirmation mail";

    snprintf(rid, sizeof(rid), "%lld", c->request_id);
    if (res->code > 0) {
        snprintf(code, sizeof(code), "%d", res->code);
        codep = code;
    }
    switch (res->result) {
    case TRANSPORT_SENT: {
        const char *p[] = {rid, codep, res->reply, c->msg.message_id, owner, kind};
        if (db_run(db, Q_DOI_MAIL_SENT, p, 6, err) < 0)
            return -1;
        st->sent++;
        mo_log(MO_LOG_INFO, "%s sent request=%lld contact=%lld code=%d message_id=%s", what,
               c->request_id, c->contact_id, res->code, c->msg.message_id);
        return 0;
    }
    case TRANSPORT_FAILED: {
        const char *p[] = {rid, codep, res->reply, owner, kind};
        if (db_run(db, Q_DOI_MAIL_FAILED, p, 5, err) < 0)
            return -1;
        st->failed++;
        if (res->code)
            mo_log(MO_LOG_WARN, "%s refused request=%lld contact=%lld code=%d", what, c->request_id,
                   c->contact_id, res->code);
        else /* the reason may quote the address: it is in confirm_mail_queue.last_reply */
            mo_log(MO_LOG_ERROR, "%s not built request=%lld contact=%lld", what, c->request_id,
                   c->contact_id);
        return 0;
    }
    case TRANSPORT_DEFERRED:
    case TRANSPORT_NOT_ATTEMPTED:
        break;
    }
    long long wait = backoff_seconds(c->attempts);
    snprintf(delay, sizeof(delay), "%lld seconds", wait);
    const char *p[] = {rid, codep, res->reply, delay, owner, kind};
    PGresult *r = db_exec(db, Q_DOI_MAIL_DEFER, p, 6, err);
    if (r == NULL)
        return -1;
    res->gave_up = PQntuples(r) > 0 && strcmp(db_val(r, 0, "state"), "failed") == 0;
    PQclear(r);
    if (res->gave_up) {
        st->failed++;
        mo_log(MO_LOG_WARN, "%s given up request=%lld contact=%lld code=%d attempts=%ld: %s", what,
               c->request_id, c->contact_id, res->code, c->attempts,
               c->receipt ? "retried for five days" : "the token expires before the next attempt");
    } else {
        st->deferred++;
        if (res->code)
            mo_log(MO_LOG_WARN, "%s deferred request=%lld contact=%lld code=%d retry_in=%llds",
                   what, c->request_id, c->contact_id, res->code, wait);
        else /* no reply: the text is the transport's error, which names no address */
            mo_log(MO_LOG_WARN, "%s deferred request=%lld contact=%lld retry_in=%llds: %s", what,
                   c->request_id, c->contact_id, wait, res->reply);
    }
    return 0;
}

static int copy_claimed(PGresult *r, struct claimed **out)
{
    int n = PQntuples(r);
    struct claimed *cs = xcalloc((size_t)(n ? n : 1), sizeof(*cs));

    for (int i = 0; i < n; i++) {
        struct claimed *c = &cs[i];
        c->request_id = db_int(r, i, "request_id");
        c->receipt = strcmp(db_val(r, i, "kind"), "receipt") == 0;
        c->draft =
            c->receipt && !db_isnull(r, i, "receipt") ? xstrdup(db_val(r, i, "receipt")) : NULL;
        c->contact_id = db_int(r, i, "contact_id");
        c->attempts = (long)db_int(r, i, "attempts");
        c->ttl_left = db_int(r, i, "ttl_left");
        snprintf(c->nonce, sizeof(c->nonce), "%s", db_val(r, i, "nonce"));
        snprintf(c->locale, sizeof(c->locale), "%s", db_val(r, i, "locale"));
        snprintf(c->expires, sizeof(c->expires), "%s", db_val(r, i, "expires_at"));
        /* sent in its normalised form, also for a contact stored before that rule */
        char *box = NULL, *norm = NULL;
        if (address_parse(db_val(r, i, "email"), &box, &norm, NULL) == 0)
            c->email = box;
        else
            c->email = xstrdup(db_val(r, i, "email"));
        free(norm);
        compose_msg_init(&c->msg);
        c->res.request_id = c->request_id;
        c->res.receipt = c->receipt;
        c->res.contact_id = c->contact_id;
    }
    *out = cs;
    return n;
}

/* doi_mail_run() with the DKIM signer dkim (NULL: load the configured key for this batch). */
static int run_batch(struct db *db, const struct config *cfg, const char *data_dir,
                     const struct doi_mail_opts *o, const struct dkim *dkim,
                     struct doi_mail_stats *st, struct mo_err *err)
{
    char lim[24];
    struct claimed *cs = NULL;
    struct transport_msg *tms = NULL;
    struct transport *t = NULL;
    struct doi_mail_key key;
    struct dkim *own_dkim = NULL;
    struct mo_err terr;
    int n = 0, rc = -1;
    PGresult *r;

    memset(st, 0, sizeof(*st));
    mo_err_init(&terr);
    /* before claiming: a missing key must not count as an attempt */
    if (doi_mail_key_load(db, cfg, &key, err) < 0)
        return -1;
    /* R-GDPR-13: the mail stays queued while the relay is unregistered */
    if (processor_check_relays(db, cfg, err) < 0) {
        doi_mail_key_wipe(&key);
        return -1;
    }
    if (dkim == NULL) {
        if (dkim_open(cfg, &own_dkim, err) < 0) {
            doi_mail_key_wipe(&key);
            return -1;
        }
        dkim = own_dkim;
    }
    {
        const char *p[] = {o->owner};
        if ((r = db_exec(db, Q_DOI_MAIL_CANCEL, p, 1, err)) == NULL)
            goto out;
        st->cancelled = PQntuples(r);
        for (int i = 0; i < PQntuples(r); i++)
            mo_log(MO_LOG_INFO, "%s not sent request=%s contact=%s: %s",
                   strcmp(db_val(r, i, "kind"), "receipt") == 0 ? "receipt mail"
                                                                : "confirmation mail",
                   db_val(r, i, "request_id"), db_val(r, i, "contact_id"),
                   strcmp(db_val(r, i, "kind"), "receipt") == 0 ? "address suppressed"
                                                                : "request closed");
        PQclear(r);
    }
    /* the claim is one statement, committed before any SMTP traffic */
    snprintf(lim, sizeof(lim), "%ld",
             o->max < 1                ? 1
             : o->max > DOI_MAIL_BATCH ? DOI_MAIL_BATCH
                                       : o->max);
    if (o->only_owned) {
        const char *p[] = {LEASE, o->owner};
        r = db_exec(db, Q_DOI_MAIL_CLAIM_OWNED, p, 2, err);
    } else {
        const char *p[] = {lim, LEASE, o->owner};
        r = db_exec(db, Q_DOI_MAIL_CLAIM, p, 3, err);
    }
    if (r == NULL)
        goto out;
    n = copy_claimed(r, &cs);
    PQclear(r);
    st->claimed = n;
    if (n == 0) {
        rc = 0;
        goto out;
    }
    tms = xcalloc((size_t)n, sizeof(*tms));
    size_t ntm = 0;
    for (int i = 0; i < n; i++) {
        prepare(db, cfg, data_dir, &key, dkim, &cs[i]);
        if (cs[i].ready)
            tms[ntm++] = cs[i].tm;
    }
    if (ntm) {
        t = transport_new(cfg, &terr);
        if (t)
            transport_send(t, tms, ntm, &terr);
        for (size_t k = 0, i = 0; i < (size_t)n; i++) {
            struct claimed *c = &cs[i];
            if (!c->ready)
                continue;
            c->tm = tms[k++];
            c->res.result = transport_classify(&c->tm);
            c->res.code = c->tm.code;
            if (c->res.result == TRANSPORT_NOT_ATTEMPTED)
                set_reply(&c->res, "", terr.msg[0] ? terr.msg : "not attempted");
            else
                set_reply(&c->res, "", c->tm.reply);
        }
    }
    rc = 0;
    for (int i = 0; i < n; i++) {
        if (record(db, o->owner, &cs[i], st, err) < 0) {
            mo_log(MO_LOG_ERROR, "%s request=%lld: outcome not recorded: %s",
                   cs[i].receipt ? "receipt mail" : "confirmation mail", cs[i].request_id,
                   err->msg);
            rc = -1;
        }
        st->last = cs[i].res;
    }
out:
    transport_free(t);
    dkim_free(own_dkim);
    doi_mail_key_wipe(&key);
    for (int i = 0; i < n; i++) {
        free(cs[i].email);
        free(cs[i].draft);
        compose_msg_release(&cs[i].msg);
    }
    free(cs);
    free(tms);
    return rc;
}

int doi_mail_run(struct db *db, const struct config *cfg, const char *data_dir,
                 const struct doi_mail_opts *o, struct doi_mail_stats *st, struct mo_err *err)
{
    return run_batch(db, cfg, data_dir, o, NULL, st, err);
}

/* --- the background worker --- */

struct doi_mail_worker {
    const struct config *cfg;
    const char *data_dir;
    char owner[DOI_MAIL_OWNER_MAX];
    struct dkim *dkim; /* loaded once at start */
    struct bgworker *bg;
};

/* Sleeps until a notification, a stop request or timeout_ms; drains the notifications. */
static void worker_wait(struct bgworker *bg, struct db *db, int timeout_ms)
{
    int fd = db ? PQsocket(db_conn(db)) : -1;

    bgworker_wait(bg, fd, timeout_ms);
    if (db && PQconsumeInput(db_conn(db))) {
        PGnotify *nt;
        while ((nt = PQnotifies(db_conn(db))) != NULL)
            PQfreemem(nt);
    }
}

static void worker_body(struct bgworker *bg, void *arg)
{
    struct doi_mail_worker *w = arg;
    struct db *db = NULL;

    while (!bgworker_stopping(bg)) {
        struct mo_err err;
        mo_err_init(&err);
        if (db == NULL) {
            db = db_connect(w->cfg, &err);
            if (db && db_run(db, Q_DOI_MAIL_LISTEN, NULL, 0, &err) < 0) {
                db_free(db);
                db = NULL;
            }
            if (db == NULL) {
                bgworker_log_once(bg, MO_LOG_WARN, err.msg);
                worker_wait(bg, NULL, 5000);
                continue;
            }
        }
        struct doi_mail_opts o = {DOI_MAIL_BATCH, w->owner, 0};
        struct doi_mail_stats st;
        int failed = 0;
        while (!bgworker_stopping(bg)) {
            mo_err_init(&err);
            if (run_batch(db, w->cfg, w->data_dir, &o, w->dkim, &st, &err) < 0) {
                bgworker_log_once(bg, MO_LOG_ERROR, err.msg);
                failed = 1;
                break;
            }
            bgworker_log_clear(bg);
            if (st.claimed < o.max)
                break;
        }
        if (failed && PQstatus(db_conn(db)) != CONNECTION_OK) {
            db_free(db);
            db = NULL;
            continue;
        }
        worker_wait(bg, db, 1000);
    }
    db_free(db);
}

struct doi_mail_worker *doi_mail_worker_start(const struct config *cfg, const char *data_dir,
                                              struct mo_err *err)
{
    struct doi_mail_worker *w = xcalloc(1, sizeof(*w));

    w->cfg = cfg;
    w->data_dir = data_dir;
    if (doi_mail_owner_id(w->owner, err) < 0 || dkim_open(cfg, &w->dkim, err) < 0) {
        free(w);
        return NULL;
    }
    w->bg = bgworker_start("confirmation sender", worker_body, w, err);
    if (w->bg == NULL) {
        dkim_free(w->dkim);
        free(w);
        return NULL;
    }
    mo_log(MO_LOG_INFO, "confirmation sender started id=%s", w->owner);
    return w;
}

void doi_mail_worker_request_stop(struct doi_mail_worker *w)
{
    if (w != NULL)
        bgworker_request_stop(w->bg);
}

int doi_mail_worker_stop(struct doi_mail_worker *w, int wait_ms)
{
    if (w == NULL)
        return 0;
    if (bgworker_stop(w->bg, wait_ms) == 0) {
        dkim_free(w->dkim);
        free(w);
        return 0;
    }
    /* still inside an SMTP session: give its mails back for the next sender */
    struct mo_err err;
    mo_err_init(&err);
    struct db *db = db_connect(w->cfg, &err);
    if (db == NULL || doi_mail_release(db, w->owner, &err) < 0)
        mo_log(MO_LOG_WARN, "confirmation sender: leases not released (they expire): %s", err.msg);
    else
        mo_log(MO_LOG_WARN, "confirmation sender still waiting for the relay: its mails are "
                            "released and will be sent again");
    db_free(db);
    return 1;
}
