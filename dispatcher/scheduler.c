/*
 * scheduler.c - due schedule occurrences become campaign runs (scheduler.h),
 * and the thread of `mailout run` that looks for them once a second.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "doi_mail.h"
#include "log.h"
#include "monotime.h"
#include "scheduler.h"
#include "xalloc.h"

/* How often the thread looks for due occurrences. */
#define SCHEDULER_PERIOD_MS 1000

int scheduler_tick(struct db *db, const struct config *cfg, time_t now, const char *owner,
                   struct scheduler_stats *st, struct mo_err *err)
{
    /* issue 11 (h-sched): placeholder until the scheduler lands */
    (void)db;
    (void)cfg;
    (void)now;
    (void)owner;
    (void)err;
    memset(st, 0, sizeof(*st));
    return 0;
}

/* --- the thread --- */

/* here rather than above, so that the scheduler's own part stays apart */
#include "bgworker.h"

struct scheduler {
    const struct config *cfg;
    char owner[DOI_MAIL_OWNER_MAX];
    struct bgworker *bg;
};

static void scheduler_body(struct bgworker *bg, void *arg)
{
    struct scheduler *s = arg;
    struct db *db = NULL;

    do {
        struct mo_err err;
        struct scheduler_stats st;
        mo_err_init(&err);
        if (db == NULL && (db = db_connect(s->cfg, &err)) == NULL) {
            bgworker_log_once(bg, MO_LOG_WARN, err.msg);
            continue;
        }
        if (scheduler_tick(db, s->cfg, time(NULL), s->owner, &st, &err) < 0) {
            bgworker_log_once(bg, MO_LOG_ERROR, err.msg);
            if (PQstatus(db_conn(db)) != CONNECTION_OK) {
                db_free(db);
                db = NULL;
            }
            continue;
        }
        bgworker_log_clear(bg);
    } while (!bgworker_wait(bg, -1, SCHEDULER_PERIOD_MS));
    db_free(db);
}

struct scheduler *scheduler_start(const struct config *cfg, struct mo_err *err)
{
    struct scheduler *s = xcalloc(1, sizeof(*s));

    s->cfg = cfg;
    if (doi_mail_owner_id(s->owner, err) < 0 ||
        (s->bg = bgworker_start("scheduler", scheduler_body, s, err)) == NULL) {
        free(s);
        return NULL;
    }
    mo_log(MO_LOG_INFO, "scheduler started id=%s", s->owner);
    return s;
}

void scheduler_request_stop(struct scheduler *s)
{
    if (s != NULL)
        bgworker_request_stop(s->bg);
}

int scheduler_stop(struct scheduler *s, int wait_ms)
{
    if (s == NULL)
        return 0;
    if (bgworker_stop(s->bg, wait_ms) != 0)
        return 1; /* inside a transaction that hangs: the process leaves without it */
    free(s);
    return 0;
}
