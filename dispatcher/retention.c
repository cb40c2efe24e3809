/*
 * retention.c - the retention steps of maintenance and the daily thread of
 * `run` (retention.h).  Idle contacts are erased through erase.h; the SMTP
 * replies are nulled by redact_old_replies() (sql/0030).  No address enters
 * the log or the audit log: contacts appear by id.
 */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity.h"
#include "audit.h"
#include "bgworker.h"
#include "doi.h"
#include "erase.h"
#include "log.h"
#include "queries.h"
#include "suppress.h"
#include "xalloc.h"

#define REDACT_BATCH   "1000"
#define REDACT_BATCH_N 1000
/* run: the first maintenance this long after the start (the services settle first) */
#define MAINT_START_DELAY_MS 5000
/* bgworker_wait() takes an int: long intervals are waited in slices */
#define MAINT_WAIT_SLICE_MS (3600 * 1000)

static void months_str(long long months, char out[24])
{
    snprintf(out, 24, "%lld", months);
}

/* the idle contacts: ids into *ids (and, when emails, their addresses); count in *n */
static int list_idle(struct db *db, const struct config *cfg, struct retention_contact **out,
                     size_t *n, int emails, struct mo_err *err)
{
    char months[24];
    months_str(cfg->contact_retention_months, months);
    const char *p[] = {NULL, months};
    PGresult *r = db_exec(db, Q_RETENTION_CONTACTS, p, 2, err);

    *out = NULL;
    *n = 0;
    if (r == NULL)
        return -1;
    int rows = PQntuples(r);
    if (rows > 0) {
        *out = xcalloc((size_t)rows, sizeof(**out));
        for (int i = 0; i < rows; i++) {
            (*out)[i].id = db_int(r, i, "id");
            if (emails)
                (*out)[i].email = xstrdup(db_val(r, i, "email"));
        }
    }
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}

static void contacts_free(struct retention_contact *c, size_t n)
{
    for (size_t i = 0; c != NULL && i < n; i++)
        free(c[i].email);
    free(c);
}

static int summary_entry(struct db *db, const struct config *cfg, const char *actor, long erased,
                         long skipped, struct mo_err *err)
{
    if (db_begin(db, err) < 0)
        return -1;
    if (audit_append_json(db, actor, "maintenance.erase_idle_contacts", "contacts",
                          json_pack("{s:I, s:I, s:I}", "erased", (json_int_t)erased, "skipped",
                                    (json_int_t)skipped, "retention_months",
                                    (json_int_t)cfg->contact_retention_months),
                          err) < 0) {
        db_rollback(db);
        return -1;
    }
    return db_commit(db, err);
}

int retention_erase_contacts(struct db *db, const struct config *cfg, const char *actor,
                             long *erased, long *skipped, struct mo_err *err)
{
    struct retention_contact *due = NULL;
    struct suppress_key k;
    size_t n = 0;
    char months[24];
    int rc = -1;

    *erased = *skipped = 0;
    months_str(cfg->contact_retention_months, months);
    if (list_idle(db, cfg, &due, &n, 0, err) < 0)
        return -1;
    if (n > 0 && suppress_key_load(db, cfg, &k, err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct erase_result res;
        if (erase_contact_id(db, &k, due[i].id, Q_RETENTION_CONTACTS, months, actor, &res, err) < 0)
            goto out;
        if (res.already)
            (*skipped)++;
        else
            (*erased)++;
        erase_result_release(&res);
    }
    rc = 0;
out:
    if (n > 0)
        explicit_bzero(&k, sizeof(k));
    contacts_free(due, n);
    if (rc < 0) {
        /* the erasures done are recorded each; the summary says how many (best effort) */
        struct mo_err e2;
        mo_err_init(&e2);
        if (*erased > 0 && summary_entry(db, cfg, actor, *erased, *skipped, &e2) < 0)
            mo_log(MO_LOG_WARN, "maintenance: %s", e2.msg);
        return -1;
    }
    return summary_entry(db, cfg, actor, *erased, *skipped, err);
}

int retention_clear_replies(struct db *db, const struct config *cfg, const char *actor,
                            long *cleared, char cutoff[40], struct mo_err *err)
{
    char months[24], *cut = NULL;
    PGresult *r;

    *cleared = 0;
    cutoff[0] = '\0';
    months_str(cfg->reply_retention_months, months);
    if (db_begin(db, err) < 0)
        return -1;
    /* now() is the transaction's start: one cutoff for every batch */
    const char *pc[] = {months};
    if ((r = db_exec(db, Q_RETENTION_REPLY_CUTOFF, pc, 1, err)) == NULL)
        goto fail;
    cut = xstrdup(db_val(r, 0, "cutoff"));
    snprintf(cutoff, 40, "%s", db_val(r, 0, "cutoff_utc"));
    PQclear(r);
    for (;;) {
        const char *p[] = {cut, REDACT_BATCH};
        if ((r = db_exec(db, Q_RETENTION_REDACT, p, 2, err)) == NULL)
            goto fail;
        long long got = db_int(r, 0, "n");
        PQclear(r);
        *cleared += (long)got;
        if (got < REDACT_BATCH_N)
            break;
    }
    if (audit_append_json(db, actor, "maintenance.purge_replies", "send_records",
                          json_pack("{s:I, s:I, s:s}", "cleared", (json_int_t)*cleared,
                                    "retention_months", (json_int_t)cfg->reply_retention_months,
                                    "cutoff", cutoff),
                          err) < 0)
        goto fail;
    free(cut);
    return db_commit(db, err);
fail:
    db_rollback(db);
    free(cut);
    *cleared = 0;
    return -1;
}

int maintenance_run(struct db *db, const struct config *cfg, const char *actor,
                    struct maintenance_result *res, struct mo_err *err)
{
    memset(res, 0, sizeof(*res));
    if (doi_purge(db, cfg, actor, &res->pending_deleted, err) < 0 ||
        activity_purge(db, cfg, actor, &res->activity_deleted, err) < 0 ||
        retention_erase_contacts(db, cfg, actor, &res->contacts_erased, &res->contacts_skipped,
                                 err) < 0 ||
        retention_clear_replies(db, cfg, actor, &res->replies_cleared, res->reply_cutoff, err) < 0)
        return -1;
    return 0;
}

static int count_of(struct db *db, enum query_id q, const char *arg, long *n, struct mo_err *err)
{
    const char *p[] = {arg};
    PGresult *r = db_exec(db, q, p, 1, err);
    if (r == NULL)
        return -1;
    *n = (long)db_int(r, 0, "n");
    PQclear(r);
    return 0;
}

int maintenance_plan(struct db *db, const struct config *cfg, struct maintenance_result *res,
                     struct mo_err *err)
{
    char pending[32], activity[32], months[24];
    PGresult *r;

    memset(res, 0, sizeof(*res));
    snprintf(pending, sizeof(pending), "%lld seconds", cfg->pending_retention);
    snprintf(activity, sizeof(activity), "%lld seconds", cfg->activity_retention);
    months_str(cfg->reply_retention_months, months);
    const char *pc[] = {months};
    if (count_of(db, Q_RETENTION_DOI_COUNT, pending, &res->pending_deleted, err) < 0 ||
        count_of(db, Q_RETENTION_ACTIVITY_COUNT, activity, &res->activity_deleted, err) < 0 ||
        count_of(db, Q_RETENTION_REPLY_COUNT, months, &res->replies_cleared, err) < 0 ||
        (r = db_exec(db, Q_RETENTION_REPLY_CUTOFF, pc, 1, err)) == NULL)
        goto fail;
    snprintf(res->reply_cutoff, sizeof(res->reply_cutoff), "%s", db_val(r, 0, "cutoff_utc"));
    PQclear(r);
    if (list_idle(db, cfg, &res->contacts, &res->ncontacts, 1, err) < 0)
        goto fail;
    res->contacts_erased = (long)res->ncontacts;
    return 0;
fail:
    maintenance_result_release(res);
    return -1;
}

void maintenance_result_release(struct maintenance_result *res)
{
    if (res == NULL)
        return;
    contacts_free(res->contacts, res->ncontacts);
    res->contacts = NULL;
    res->ncontacts = 0;
}

/* --- the daily thread of run --- */

struct maintenance_worker {
    const struct config *cfg;
    struct bgworker *bg;
};

/* waits ms in slices; returns 1 once a stop was requested */
static int wait_long(struct bgworker *bg, long long ms)
{
    while (ms > 0) {
        int slice = ms > MAINT_WAIT_SLICE_MS ? MAINT_WAIT_SLICE_MS : (int)ms;
        if (bgworker_wait(bg, -1, slice))
            return 1;
        ms -= slice;
    }
    return bgworker_stopping(bg);
}

static void maintenance_body(struct bgworker *bg, void *arg)
{
    struct maintenance_worker *w = arg;

    if (bgworker_wait(bg, -1, MAINT_START_DELAY_MS))
        return;
    do {
        struct mo_err err;
        struct maintenance_result res;
        mo_err_init(&err);
        struct db *db = db_connect(w->cfg, &err);
        if (db == NULL) {
            bgworker_log_once(bg, MO_LOG_WARN, err.msg);
            continue;
        }
        int rc = maintenance_run(db, w->cfg, "maintenance", &res, &err);
        db_free(db);
        if (rc < 0) {
            bgworker_log_once(bg, MO_LOG_ERROR, err.msg);
            continue;
        }
        bgworker_log_clear(bg);
        mo_log(MO_LOG_INFO,
               "maintenance: pending=%ld activity=%ld contacts_erased=%ld replies_cleared=%ld",
               res.pending_deleted, res.activity_deleted, res.contacts_erased, res.replies_cleared);
    } while (!wait_long(bg, w->cfg->maintenance_interval * 1000LL));
}

struct maintenance_worker *maintenance_worker_start(const struct config *cfg, struct mo_err *err)
{
    struct maintenance_worker *w = xcalloc(1, sizeof(*w));

    w->cfg = cfg;
    if ((w->bg = bgworker_start("maintenance", maintenance_body, w, err)) == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

void maintenance_worker_request_stop(struct maintenance_worker *w)
{
    if (w != NULL)
        bgworker_request_stop(w->bg);
}

int maintenance_worker_stop(struct maintenance_worker *w, int wait_ms)
{
    if (w == NULL)
        return 0;
    if (bgworker_stop(w->bg, wait_ms) != 0)
        return 1;
    free(w);
    return 0;
}
