/*
 * erase.c - the erasure use case of erase.h: key, chain seal, lookup and
 * the one call of erase_contact() in its transaction.  What is erased is
 * decided in SQL (sql/0026_erasure.sql), where the privileges are; this
 * file does not touch any table itself and never logs the address.
 */
#include "erase.h"

#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "chain.h"
#include "log.h"
#include "queries.h"
#include "suppress.h"
#include "xalloc.h"

/* new history rows of the person between the seal and the erasure (erase_contact
   raises object_in_use), a concurrent erase that won, or a deadlock with a
   dispatcher: seal and try again */
#define ERASE_ATTEMPTS         3
#define SQLSTATE_OBJECT_IN_USE "55006"
#define SQLSTATE_DEADLOCK      "40P01"
#define SQLSTATE_SERIALIZATION "40001"

/* a refusal another attempt (after sealing again) may get past */
static int retryable(const struct mo_err *err)
{
    return strcmp(err->sqlstate, SQLSTATE_OBJECT_IN_USE) == 0 ||
           strcmp(err->sqlstate, SQLSTATE_DEADLOCK) == 0 ||
           strcmp(err->sqlstate, SQLSTATE_SERIALIZATION) == 0;
}

/* 1 found (*id set), 0 none, -1 with err */
static int find_one(struct db *db, enum query_id q, const char *param, long long *id,
                    struct mo_err *err)
{
    const char *p[] = {param};
    PGresult *r = db_exec(db, q, p, 1, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    if (found)
        *id = db_int(r, 0, "id");
    PQclear(r);
    return found;
}

/* one attempt in one transaction; 1 when done or already erased, 0 retry, -1 with err */
static int erase_once(struct db *db, const char *email, const char *norm, const char *hmac,
                      const char *actor, struct erase_result *res, struct mo_err *err)
{
    char idbuf[24];
    PGresult *r = NULL;
    int found;

    if (db_begin(db, err) < 0)
        return -1;
    found = find_one(db, Q_ERASE_FIND, norm, &res->contact_id, err);
    if (found < 0)
        goto fail;
    if (found == 0) {
        found = find_one(db, Q_ERASE_TOMBSTONE, hmac, &res->contact_id, err);
        db_rollback(db);
        if (found < 0)
            return -1;
        if (found == 0)
            return mo_err_set(err, MO_E_NOTFOUND, "erase: no contact with address '%s'", email);
        res->already = 1;
        return 1;
    }
    snprintf(idbuf, sizeof(idbuf), "%lld", res->contact_id); /* at most 20 characters */
    const char *p[] = {idbuf, hmac, actor};
    r = db_exec(db, Q_ERASE_RUN, p, 3, err);
    if (r == NULL) {
        db_rollback(db);
        return retryable(err) ? 0 : -1;
    }
    res->counts = xstrdup(db_val(r, 0, "counts"));
    PQclear(r);
    /* issue 13: h-dsr - the erasure answers the person's erasure requests */
    if (dsr_close_matching(db, res->contact_id, "erasure", "erase", "contact.erase", actor,
                           &res->closed, err) < 0 ||
        db_commit(db, err) < 0) {
        db_rollback(db);
        free(res->counts);
        res->counts = NULL;
        return -1;
    }
    return 1;
fail:
    db_rollback(db);
    return -1;
}

int erase_email(struct db *db, const struct config *cfg, const char *email, const char *actor,
                struct erase_result *res, struct mo_err *err)
{
    struct suppress_key k;
    char *norm = NULL;
    char hmac[65];
    int rc = -1, done = 0;

    memset(res, 0, sizeof(*res));
    if (address_normalize(email, &norm, err) < 0)
        return -1;
    if (suppress_key_load(db, cfg, &k, err) < 0)
        goto out;
    suppress_hash(&k, norm, hmac);
    for (int attempt = 0; attempt < ERASE_ATTEMPTS && !done; attempt++) {
        if (attempt > 0)
            mo_err_init(err);
        if (chain_seal(db, &k, err) < 0)
            goto out;
        done = erase_once(db, email, norm, hmac, actor, res, err);
        if (done < 0)
            goto out;
    }
    if (!done)
        goto out; /* err still says why the last attempt was refused */
    if (res->already)
        mo_log(MO_LOG_INFO, "erase: already erased contact=%lld", res->contact_id);
    else
        mo_log(MO_LOG_INFO, "erased contact=%lld", res->contact_id);
    rc = 0;
out:
    explicit_bzero(&k, sizeof(k));
    explicit_bzero(hmac, sizeof(hmac));
    free(norm);
    return rc;
}

/* one attempt of erase_contact_id(); 1 done or skipped, 0 retry, -1 with err */
static int erase_id_once(struct db *db, const struct suppress_key *k, long long id,
                         enum query_id guard, const char *guard_arg, const char *actor,
                         struct erase_result *res, struct mo_err *err)
{
    char idbuf[24], hmac[65];
    PGresult *r;

    snprintf(idbuf, sizeof(idbuf), "%lld", id); /* at most 20 characters */
    const char *p1[] = {idbuf};
    if (db_begin(db, err) < 0)
        return -1;
    /* the locks in erase_contact()'s order: queue rows, then the contact; a
       statement after them sees every history row committed before */
    if ((r = db_exec(db, Q_ERASE_LOCK_QUEUE, p1, 1, err)) == NULL)
        goto fail;
    PQclear(r);
    if ((r = db_exec(db, Q_ERASE_LOCK_CONTACT, p1, 1, err)) == NULL)
        goto fail;
    int live = PQntuples(r) > 0;
    PQclear(r);
    if (live) {
        const char *pg[] = {idbuf, guard_arg};
        if ((r = db_exec(db, guard, pg, 2, err)) == NULL)
            goto fail;
        live = PQntuples(r) > 0 && !db_isnull(r, 0, "email_norm");
        if (live)
            suppress_hash(k, db_val(r, 0, "email_norm"), hmac);
        PQclear(r);
    }
    if (!live) {
        db_rollback(db);
        res->already = 1;
        return 1;
    }
    const char *p[] = {idbuf, hmac, actor};
    r = db_exec(db, Q_ERASE_RUN, p, 3, err);
    explicit_bzero(hmac, sizeof(hmac));
    if (r == NULL) {
        db_rollback(db);
        return retryable(err) ? 0 : -1;
    }
    res->counts = xstrdup(db_val(r, 0, "counts"));
    PQclear(r);
    if (db_commit(db, err) < 0) {
        free(res->counts);
        res->counts = NULL;
        return -1;
    }
    return 1;
fail:
    db_rollback(db);
    return retryable(err) ? 0 : -1;
}

int erase_contact_id(struct db *db, const struct suppress_key *k, long long id, enum query_id guard,
                     const char *guard_arg, const char *actor, struct erase_result *res,
                     struct mo_err *err)
{
    int done = 0;

    memset(res, 0, sizeof(*res));
    res->contact_id = id;
    for (int attempt = 0; attempt < ERASE_ATTEMPTS && !done; attempt++) {
        if (attempt > 0)
            mo_err_init(err);
        if (chain_seal(db, k, err) < 0)
            return -1;
        done = erase_id_once(db, k, id, guard, guard_arg, actor, res, err);
        if (done < 0)
            return -1;
    }
    if (!done)
        return -1; /* err says why the last attempt was refused */
    if (!res->already)
        mo_log(MO_LOG_INFO, "erased contact=%lld", id);
    return 0;
}

void erase_result_release(struct erase_result *res)
{
    if (res == NULL)
        return;
    free(res->counts);
    res->counts = NULL;
}
