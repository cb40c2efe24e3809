/*
 * chain.c - hash chains over the consent ledger and the send records: the
 * classification of their columns, the sealer (chain_seal and its thread)
 * and the check of every chain (chain_verify, for `audit verify`).
 *
 * The database only queues new rows (chain_pending, sql/0025) and stores
 * links; digests and keyed hashes are computed here, because the key is
 * derived from the suppression key, which never enters the database.  This
 * file does not erase anything (the erasure function does) and prints
 * nothing (cli_chain.c does).
 */
#include "chain.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgworker.h"
#include "buf.h"
#include "crypto.h"
#include "log.h"
#include "xalloc.h"

/* Rows per sealing transaction, links per verify batch. */
#define CHAIN_BATCH 1000
/* Columns of one history row (there are about 25). */
#define CHAIN_MAX_COLS 128
/* Bound of the serialization of one row. */
#define CHAIN_SER_MAX (16u * 1024 * 1024)
/* How often the sealer thread runs. */
#define CHAIN_PERIOD_MS 1000
/* Label of the chain key, HMAC-SHA-256(suppression key, label). */
#define CHAIN_KEY_LABEL "mailout chain v1"

static const char zero_hash[] = "0000000000000000000000000000000000000000000000000000000000000000";

/*
 * The classification of every column, defined here once.  Personal columns
 * carry an address as entered, an IP, a user agent or SMTP text (which may
 * quote the recipient's address); erasure sets exactly these to NULL.
 */
static const char *const consent_personal[] = {"email_entered", "ip", "user_agent", NULL};
static const char *const consent_digest[] = {"id",
                                             "contact_id",
                                             "topic_id",
                                             "kind",
                                             "occurred_at",
                                             "recorded_at",
                                             "source",
                                             "channel",
                                             "actor",
                                             "consent_text_id",
                                             "consent_text_sha256",
                                             "locale",
                                             "privacy_notice",
                                             "controller",
                                             "request_id",
                                             "token_sha256",
                                             "age_attested",
                                             "message_id",
                                             "note",
                                             "paused_until",
                                             "receipt_sha256",
                                             NULL};
static const char *const send_personal[] = {"smtp_reply", NULL};
static const char *const send_digest[] = {"id",         "queue_id",    "run_id",   "contact_id",
                                          "message_id", "basis",       "evidence", "status",
                                          "smtp_code",  "occurred_at", NULL};

struct chain_def {
    const char *chain;
    const char *table;
    enum query_id pending_q, links_q, unlinked_q;
    const char *const *personal;
    const char *const *digest;
};

static const struct chain_def chains[] = {
    {"consent", "consent_events", Q_CHAIN_PENDING_CONSENT, Q_CHAIN_LINKS_CONSENT,
     Q_CHAIN_UNLINKED_CONSENT, consent_personal, consent_digest},
    {"send", "send_records", Q_CHAIN_PENDING_SEND, Q_CHAIN_LINKS_SEND, Q_CHAIN_UNLINKED_SEND,
     send_personal, send_digest},
};
#define NCHAINS (sizeof(chains) / sizeof(chains[0]))

static const struct chain_def *chain_of_table(const char *table)
{
    for (size_t i = 0; i < NCHAINS; i++)
        if (strcmp(chains[i].table, table) == 0)
            return &chains[i];
    return NULL;
}

static int listed(const char *const *list, const char *col)
{
    for (; *list; list++)
        if (strcmp(*list, col) == 0)
            return 1;
    return 0;
}

enum chain_col_class chain_column_class(const char *table, const char *col)
{
    const struct chain_def *d = chain_of_table(table);
    if (d == NULL)
        return CHAIN_COL_UNKNOWN;
    if (listed(d->personal, col))
        return CHAIN_COL_PERSONAL;
    if (listed(d->digest, col))
        return CHAIN_COL_DIGEST;
    return CHAIN_COL_UNKNOWN;
}

const char *const *chain_personal_columns(const char *table)
{
    const struct chain_def *d = chain_of_table(table);
    return d ? d->personal : NULL;
}

static void chain_key(const struct suppress_key *k, unsigned char out[CRYPTO_TOKEN_BYTES])
{
    crypto_hmac_sha256(k->key, sizeof(k->key), CHAIN_KEY_LABEL, strlen(CHAIN_KEY_LABEL), out);
}

/* --- one row: its columns, pii_mac, digest --- */

struct rowcol {
    const char *name;
    const char *val; /* NULL for SQL NULL */
    enum chain_col_class cls;
};

/* The columns of one history row as the queries return them (borrowed from the result). */
struct rowvals {
    int n;
    struct rowcol c[CHAIN_MAX_COLS + 1]; /* + pii_mac */
};

/* Adds result row i's column (col, val) to rv; a missing row has no col. */
static int row_add(struct rowvals *rv, const PGresult *r, int i, const struct chain_def *d,
                   struct mo_err *err)
{
    if (db_isnull(r, i, "col"))
        return 0;
    const char *col = db_val(r, i, "col");
    enum chain_col_class cls = chain_column_class(d->table, col);
    if (cls == CHAIN_COL_UNKNOWN)
        return mo_err_set(err, MO_E_INTERNAL,
                          "%s column '%s' is not classified for the hash chain (chain.c)", d->table,
                          col);
    if (rv->n >= CHAIN_MAX_COLS)
        return mo_err_set(err, MO_E_INTERNAL, "%s has more than %d columns", d->table,
                          CHAIN_MAX_COLS);
    rv->c[rv->n].name = col;
    rv->c[rv->n].val = db_isnull(r, i, "val") ? NULL : db_val(r, i, "val");
    rv->c[rv->n].cls = cls;
    rv->n++;
    return 0;
}

static int rowcol_cmp(const void *a, const void *b)
{
    return strcmp(((const struct rowcol *)a)->name, ((const struct rowcol *)b)->name);
}

/*
 * Serializes the non-NULL columns of class cls, sorted by name (sorts rv):
 * LEN ":" NAME LEN ":" VALUE each.  -1 when it passes CHAIN_SER_MAX.
 */
static int serialize(struct rowvals *rv, enum chain_col_class cls, struct buf *out)
{
    qsort(rv->c, (size_t)rv->n, sizeof(rv->c[0]), rowcol_cmp);
    for (int i = 0; i < rv->n; i++) {
        if (rv->c[i].cls != cls || rv->c[i].val == NULL)
            continue;
        if (buf_printf(out, "%zu:%s%zu:", strlen(rv->c[i].name), rv->c[i].name,
                       strlen(rv->c[i].val)) < 0 ||
            buf_puts(out, rv->c[i].val) < 0)
            return -1;
    }
    return 0;
}

static int personal_all_null(const struct rowvals *rv)
{
    for (int i = 0; i < rv->n; i++)
        if (rv->c[i].cls == CHAIN_COL_PERSONAL && rv->c[i].val != NULL)
            return 0;
    return 1;
}

static int row_pii_mac(struct rowvals *rv, const unsigned char key[CRYPTO_TOKEN_BYTES],
                       const struct chain_def *d, char out[CRYPTO_SHA256_HEX_LEN + 1],
                       struct mo_err *err)
{
    struct buf b;
    buf_init(&b, CHAIN_SER_MAX);
    int rc = serialize(rv, CHAIN_COL_PERSONAL, &b);
    if (rc == 0)
        crypto_hmac_sha256_hex(key, CRYPTO_TOKEN_BYTES, b.s, b.len, out);
    else
        mo_err_set(err, MO_E_INTERNAL, "a %s row is too large to seal", d->table);
    buf_release(&b);
    return rc;
}

/* The digest over the digest columns and pii_mac (a pseudo column while it runs). */
static int row_digest(struct rowvals *rv, const char *pii_mac, const struct chain_def *d,
                      char out[CRYPTO_SHA256_HEX_LEN + 1], struct mo_err *err)
{
    struct buf b;
    int n = rv->n;

    rv->c[n] = (struct rowcol){"pii_mac", pii_mac, CHAIN_COL_DIGEST};
    rv->n = n + 1;
    buf_init(&b, CHAIN_SER_MAX);
    int rc = serialize(rv, CHAIN_COL_DIGEST, &b);
    if (rc == 0)
        crypto_sha256_hex(b.s, b.len, out);
    else
        mo_err_set(err, MO_E_INTERNAL, "a %s row is too large to seal", d->table);
    buf_release(&b);
    /* drop the pseudo column again (serialize sorted it somewhere) */
    for (int i = 0; i < rv->n; i++)
        if (rv->c[i].val == pii_mac && strcmp(rv->c[i].name, "pii_mac") == 0) {
            rv->c[i] = rv->c[rv->n - 1];
            break;
        }
    rv->n = n;
    return rc;
}

static void link_hash(const char *prev, const char *chain, long long seq, long long row_id,
                      const char *digest, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    struct buf b;
    buf_init(&b, 0);
    if (buf_printf(&b, "%s|%s|%lld|%lld|%s", prev, chain, seq, row_id, digest) < 0)
        abort(); /* a few hundred bytes under a 64 MiB bound */
    crypto_sha256_hex(b.s, b.len, out);
    buf_release(&b);
}

/* --- sealing --- */

/* Array literals {a,b,...} of integers or hex strings (no quoting needed). */
static int arr_add(struct buf *b, const char *s)
{
    return buf_putc(b, b->len == 0 ? '{' : ',') < 0 || buf_puts(b, s) < 0 ? -1 : 0;
}

static int arr_close(struct buf *b)
{
    if (b->len == 0)
        return buf_putc(b, '{') < 0 || buf_putc(b, '}') < 0 ? -1 : 0;
    return buf_putc(b, '}');
}

enum { A_SEQ, A_ROW, A_MAC, A_DIGEST, A_PREV, A_HASH, A_N };

/*
 * Seals up to CHAIN_BATCH pending rows of chain d in one transaction.
 * *done: pending rows handled (sealed, or dropped when their history row
 * is gone).  0 or -1 with err (rolled back).
 */
static int seal_batch(struct db *db, const unsigned char key[CRYPTO_TOKEN_BYTES],
                      const struct chain_def *d, long *done, long *sealed, struct mo_err *err)
{
    PGresult *r = NULL;
    struct buf a[A_N], del;
    struct rowvals rv;
    char prev[CRYPTO_SHA256_HEX_LEN + 1], num[32];
    long long seq = 0;
    int rc = -1, linked = 0;

    *done = 0;
    for (int i = 0; i < A_N; i++)
        buf_init(&a[i], 0);
    buf_init(&del, 0);
    if (db_begin(db, err) < 0)
        goto out;
    const char *p1[] = {d->chain};
    if (db_run(db, Q_CHAIN_UTC, NULL, 0, err) < 0 || db_run(db, Q_CHAIN_LOCK, p1, 1, err) < 0)
        goto out;
    if ((r = db_exec(db, Q_CHAIN_HEAD, p1, 1, err)) == NULL)
        goto out;
    snprintf(prev, sizeof(prev), "%s", PQntuples(r) ? db_val(r, 0, "hash") : zero_hash);
    seq = PQntuples(r) ? db_int(r, 0, "seq") : 0;
    PQclear(r);
    if ((r = db_exec(db, Q_CHAIN_PENDING_STALE, p1, 1, err)) == NULL)
        goto out;
    for (int i = 0; i < PQntuples(r); i++)
        mo_log(MO_LOG_WARN, "chain: pending entry for a row already sealed dropped chain=%s id=%s",
               d->chain, db_val(r, i, "row_id"));
    PQclear(r);
    snprintf(num, sizeof(num), "%d", CHAIN_BATCH);
    const char *p2[] = {d->chain, num};
    if ((r = db_exec(db, d->pending_q, p2, 2, err)) == NULL)
        goto out;
    int nr = PQntuples(r);
    for (int i = 0; i < nr;) {
        long long row_id = db_int(r, i, "row_id");
        int missing = db_bool(r, i, "missing");
        rv.n = 0;
        for (; i < nr && db_int(r, i, "row_id") == row_id; i++)
            if (row_add(&rv, r, i, d, err) < 0)
                goto out;
        snprintf(num, sizeof(num), "%lld", row_id);
        if (arr_add(&del, num) < 0)
            goto toolong;
        (*done)++;
        if (missing) {
            mo_log(MO_LOG_WARN, "chain: pending %s row gone before sealing chain=%s id=%lld",
                   d->table, d->chain, row_id);
            continue;
        }
        char mac[CRYPTO_SHA256_HEX_LEN + 1], dig[CRYPTO_SHA256_HEX_LEN + 1];
        char hash[CRYPTO_SHA256_HEX_LEN + 1], seqs[32];
        if (row_pii_mac(&rv, key, d, mac, err) < 0 || row_digest(&rv, mac, d, dig, err) < 0)
            goto out;
        seq++;
        link_hash(prev, d->chain, seq, row_id, dig, hash);
        snprintf(seqs, sizeof(seqs), "%lld", seq);
        if (arr_add(&a[A_SEQ], seqs) < 0 || arr_add(&a[A_ROW], num) < 0 ||
            arr_add(&a[A_MAC], mac) < 0 || arr_add(&a[A_DIGEST], dig) < 0 ||
            arr_add(&a[A_PREV], prev) < 0 || arr_add(&a[A_HASH], hash) < 0)
            goto toolong;
        memcpy(prev, hash, sizeof(prev));
        linked++;
    }
    PQclear(r);
    r = NULL;
    if (*done == 0) {
        db_rollback(db);
        rc = 0;
        goto out;
    }
    for (int i = 0; i < A_N; i++)
        if (arr_close(&a[i]) < 0)
            goto toolong;
    if (arr_close(&del) < 0)
        goto toolong;
    if (linked) {
        const char *pi[] = {d->chain,      a[A_SEQ].s,  a[A_ROW].s, a[A_MAC].s,
                            a[A_DIGEST].s, a[A_PREV].s, a[A_HASH].s};
        if (db_run(db, Q_CHAIN_LINK_INSERT, pi, 7, err) < 0)
            goto out;
    }
    const char *pd[] = {d->chain, del.s};
    if (db_run(db, Q_CHAIN_PENDING_DELETE, pd, 2, err) < 0 || db_commit(db, err) < 0)
        goto out;
    *sealed += linked;
    rc = 0;
    goto out;
toolong:
    mo_err_set(err, MO_E_INTERNAL, "chain %s: a sealing batch is too large", d->chain);
out:
    if (rc < 0)
        db_rollback(db);
    PQclear(r);
    for (int i = 0; i < A_N; i++)
        buf_release(&a[i]);
    buf_release(&del);
    return rc;
}

long chain_seal(struct db *db, const struct suppress_key *k, struct mo_err *err)
{
    unsigned char key[CRYPTO_TOKEN_BYTES];
    long sealed = 0, done;
    long rc = 0;

    chain_key(k, key);
    for (size_t c = 0; c < NCHAINS && rc == 0; c++) {
        do {
            if (seal_batch(db, key, &chains[c], &done, &sealed, err) < 0) {
                rc = -1;
                break;
            }
        } while (done == CHAIN_BATCH);
    }
    explicit_bzero(key, sizeof(key));
    return rc < 0 ? -1 : sealed;
}

/* --- verify --- */

static int broken(struct mo_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int broken(struct mo_err *err, const char *fmt, ...)
{
    char msg[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return mo_err_set(err, MO_E_INPUT, "%s", msg);
}

/* Every column of the history tables must be classified. */
static int verify_columns(struct db *db, struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_CHAIN_COLUMNS, NULL, 0, err);
    if (r == NULL)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++)
        if (chain_column_class(db_val(r, i, "tbl"), db_val(r, i, "col")) == CHAIN_COL_UNKNOWN)
            rc = mo_err_set(err, MO_E_INTERNAL,
                            "%s column '%s' is not classified for the hash chain (chain.c)",
                            db_val(r, i, "tbl"), db_val(r, i, "col"));
    PQclear(r);
    return rc;
}

static int verify_audit(struct db *db, struct chain_verify_result *res, struct mo_err *err)
{
    char prev[CRYPTO_SHA256_HEX_LEN + 1], after[32], lim[32];
    long long last = 0;

    memcpy(prev, zero_hash, sizeof(prev));
    snprintf(lim, sizeof(lim), "%d", CHAIN_BATCH);
    for (;;) {
        snprintf(after, sizeof(after), "%lld", last);
        const char *p[] = {after, lim};
        PGresult *r = db_exec(db, Q_CHAIN_AUDIT_BATCH, p, 2, err);
        if (r == NULL)
            return -1;
        int n = PQntuples(r), rc = 0;
        for (int i = 0; i < n && rc == 0; i++) {
            long long seq = db_int(r, i, "seq"), id = db_int(r, i, "id");
            const char *hash = db_val(r, i, "hash");
            if (seq <= last)
                rc = broken(err, "audit_log seq %lld (id %lld): duplicate seq", seq, id);
            else if (seq != last + 1)
                rc = broken(err, "audit_log seq %lld: missing (entry deleted)", last + 1);
            else if (strcmp(db_val(r, i, "prev_hash"), prev) != 0)
                rc = broken(err,
                            "audit_log seq %lld (id %lld): does not follow seq %lld "
                            "(prev_hash differs)",
                            seq, id, last);
            else if (strcmp(db_val(r, i, "recomputed"), hash) != 0)
                rc = broken(err, "audit_log seq %lld (id %lld): edited (hash differs)", seq, id);
            else {
                snprintf(prev, sizeof(prev), "%s", hash);
                last = seq;
                res->entries++;
            }
        }
        PQclear(r);
        if (rc < 0)
            return -1;
        if (n < CHAIN_BATCH)
            break;
    }
    snprintf(res->head, sizeof(res->head), "%s", last ? prev : "");
    return 0;
}

/* Checks one link (result rows [i, end) of r). */
static int verify_link(const PGresult *r, int i, int end, const unsigned char *key,
                       const struct chain_def *d, long long expect_seq, const char *prev,
                       struct mo_err *err)
{
    struct rowvals rv;
    long long seq = db_int(r, i, "seq"), row_id = db_int(r, i, "row_id");
    const char *stored_mac = db_val(r, i, "pii_mac"), *stored_digest = db_val(r, i, "digest");
    const char *hash = db_val(r, i, "hash");
    char mac[CRYPTO_SHA256_HEX_LEN + 1], dig[CRYPTO_SHA256_HEX_LEN + 1];
    char want[CRYPTO_SHA256_HEX_LEN + 1];

    if (seq < expect_seq)
        return broken(err, "%s id %lld (%s chain seq %lld): duplicate seq", d->table, row_id,
                      d->chain, seq);
    if (seq != expect_seq)
        return broken(err, "%s chain seq %lld: missing (link deleted)", d->chain, expect_seq);
    if (strcmp(db_val(r, i, "prev_hash"), prev) != 0)
        return broken(err,
                      "%s id %lld (%s chain seq %lld): link does not follow seq %lld "
                      "(prev_hash differs)",
                      d->table, row_id, d->chain, seq, seq - 1);
    link_hash(prev, d->chain, seq, row_id, stored_digest, want);
    if (strcmp(want, hash) != 0)
        return broken(err, "%s id %lld (%s chain seq %lld): link edited (hash differs)", d->table,
                      row_id, d->chain, seq);
    if (db_bool(r, i, "missing"))
        return broken(err, "%s id %lld (%s chain seq %lld): deleted", d->table, row_id, d->chain,
                      seq);
    rv.n = 0;
    for (int j = i; j < end; j++)
        if (row_add(&rv, r, j, d, err) < 0)
            return -1;
    if (personal_all_null(&rv) && db_bool(r, i, "erased"))
        snprintf(mac, sizeof(mac), "%s", stored_mac); /* erased: the keyed hash stays */
    else if (row_pii_mac(&rv, key, d, mac, err) < 0)
        return -1;
    if (row_digest(&rv, mac, d, dig, err) < 0)
        return -1;
    if (strcmp(dig, stored_digest) != 0) {
        if (strcmp(mac, stored_mac) != 0)
            return broken(err, "%s id %lld (%s chain seq %lld): edited (personal fields differ)",
                          d->table, row_id, d->chain, seq);
        return broken(err, "%s id %lld (%s chain seq %lld): edited (digest differs)", d->table,
                      row_id, d->chain, seq);
    }
    return 0;
}

static int verify_chain(struct db *db, const unsigned char *key, const struct chain_def *d,
                        struct chain_verify_result *res, struct mo_err *err)
{
    char prev[CRYPTO_SHA256_HEX_LEN + 1], after[32], lim[32];
    long long last = 0;

    memcpy(prev, zero_hash, sizeof(prev));
    snprintf(lim, sizeof(lim), "%d", CHAIN_BATCH);
    for (;;) {
        snprintf(after, sizeof(after), "%lld", last);
        const char *p[] = {d->chain, after, lim};
        PGresult *r = db_exec(db, d->links_q, p, 3, err);
        if (r == NULL)
            return -1;
        int n = PQntuples(r), rc = 0, links = 0;
        for (int i = 0; i < n && rc == 0;) {
            long long seq = db_int(r, i, "seq"), row_id = db_int(r, i, "row_id");
            int end = i;
            while (end < n && db_int(r, end, "seq") == seq && db_int(r, end, "row_id") == row_id)
                end++;
            rc = verify_link(r, i, end, key, d, last + 1, prev, err);
            if (rc == 0) {
                snprintf(prev, sizeof(prev), "%s", db_val(r, i, "hash"));
                last = seq;
                res->entries++;
                links++;
            }
            i = end;
        }
        PQclear(r);
        if (rc < 0)
            return -1;
        if (links < CHAIN_BATCH)
            break;
    }
    snprintf(res->head, sizeof(res->head), "%s", last ? prev : "");
    /* every history row has a link or is pending */
    const char *p[] = {d->chain};
    PGresult *r = db_exec(db, d->unlinked_q, p, 1, err);
    if (r == NULL)
        return -1;
    int rc = 0;
    if (PQntuples(r) > 0)
        rc = broken(err, "%s id %lld: inserted outside mailout (no chain link)", d->table,
                    db_int(r, 0, "id"));
    PQclear(r);
    return rc;
}

int chain_verify(struct db *db, const struct suppress_key *k,
                 struct chain_verify_result res[CHAIN_VERIFY_CHAINS], struct mo_err *err)
{
    unsigned char key[CRYPTO_TOKEN_BYTES];
    int rc = -1;

    memset(res, 0, sizeof(res[0]) * CHAIN_VERIFY_CHAINS);
    res[0].chain = "audit_log";
    for (size_t c = 0; c < NCHAINS; c++)
        res[c + 1].chain = chains[c].chain;
    if (chain_seal(db, k, err) < 0)
        return -1;
    chain_key(k, key);
    /* one snapshot: rows appended meanwhile are either pending in it or not in it */
    if (db_begin(db, err) < 0)
        goto out;
    PGresult *r =
        db_exec_sql(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", err);
    if (r == NULL)
        goto out;
    PQclear(r);
    if (db_run(db, Q_CHAIN_UTC, NULL, 0, err) < 0 || verify_columns(db, err) < 0 ||
        verify_audit(db, &res[0], err) < 0)
        goto out;
    for (size_t c = 0; c < NCHAINS; c++)
        if (verify_chain(db, key, &chains[c], &res[c + 1], err) < 0)
            goto out;
    rc = 0;
out:
    db_rollback(db);
    explicit_bzero(key, sizeof(key));
    return rc;
}

/* --- the sealer thread --- */

struct chain_worker {
    const struct config *cfg;
    struct bgworker *bg;
};

static void chain_body(struct bgworker *bg, void *arg)
{
    struct chain_worker *w = arg;
    struct db *db = NULL;
    struct suppress_key k;

    do {
        struct mo_err err;
        mo_err_init(&err);
        if (db == NULL) {
            if ((db = db_connect(w->cfg, &err)) == NULL) {
                bgworker_log_once(bg, MO_LOG_WARN, err.msg);
                continue;
            }
            if (suppress_key_load(db, w->cfg, &k, &err) < 0) {
                bgworker_log_once(bg, MO_LOG_ERROR, err.msg);
                db_free(db);
                db = NULL;
                continue;
            }
        }
        long n = chain_seal(db, &k, &err);
        if (n < 0) {
            bgworker_log_once(bg, MO_LOG_ERROR, err.msg);
            if (PQstatus(db_conn(db)) != CONNECTION_OK) {
                db_free(db);
                db = NULL;
            }
            continue;
        }
        if (n > 0)
            mo_log(MO_LOG_DEBUG, "chain: sealed rows=%ld", n);
        bgworker_log_clear(bg);
    } while (!bgworker_wait(bg, -1, CHAIN_PERIOD_MS));
    explicit_bzero(&k, sizeof(k));
    db_free(db);
}

struct chain_worker *chain_worker_start(const struct config *cfg, struct mo_err *err)
{
    struct chain_worker *w = xcalloc(1, sizeof(*w));

    w->cfg = cfg;
    if ((w->bg = bgworker_start("chain sealer", chain_body, w, err)) == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

void chain_worker_request_stop(struct chain_worker *w)
{
    if (w != NULL)
        bgworker_request_stop(w->bg);
}

int chain_worker_stop(struct chain_worker *w, int wait_ms)
{
    if (w == NULL)
        return 0;
    if (bgworker_stop(w->bg, wait_ms) != 0)
        return 1;
    free(w);
    return 0;
}
