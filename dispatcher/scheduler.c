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

struct scheduler {
    const struct config *cfg;
    char owner[DOI_MAIL_OWNER_MAX];
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    int done;
};

/* Waits up to ms for a stop request; 1 when one came. */
static int wait_stop(struct scheduler *s, int ms)
{
    struct timespec until;
    int stop;

    monotime_deadline(&until, ms);
    pthread_mutex_lock(&s->mu);
    while (!s->stop)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
            break;
    stop = s->stop;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    struct db *db = NULL;
    char last[sizeof(((struct mo_err *)0)->msg)] = "";

    do {
        struct mo_err err;
        struct scheduler_stats st;
        mo_err_init(&err);
        if (db == NULL && (db = db_connect(s->cfg, &err)) == NULL) {
            if (strcmp(last, err.msg) != 0)
                mo_log(MO_LOG_WARN, "scheduler: %s", err.msg);
            snprintf(last, sizeof(last), "%s", err.msg);
            continue;
        }
        if (scheduler_tick(db, s->cfg, time(NULL), s->owner, &st, &err) < 0) {
            if (strcmp(last, err.msg) != 0)
                mo_log(MO_LOG_ERROR, "scheduler: %s", err.msg);
            snprintf(last, sizeof(last), "%s", err.msg);
            if (PQstatus(db_conn(db)) != CONNECTION_OK) {
                db_free(db);
                db = NULL;
            }
            continue;
        }
        last[0] = '\0';
    } while (!wait_stop(s, SCHEDULER_PERIOD_MS));
    db_free(db);
    pthread_mutex_lock(&s->mu);
    s->done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct scheduler *scheduler_start(const struct config *cfg, struct mo_err *err)
{
    struct scheduler *s = xcalloc(1, sizeof(*s));

    s->cfg = cfg;
    if (doi_mail_owner_id(s->owner, err) < 0) {
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    monotime_cond_init(&s->cv);
    int e = pthread_create(&s->thread, NULL, scheduler_main, s);
    if (e != 0) {
        mo_err_set(err, MO_E_INTERNAL, "cannot start the scheduler: %s", strerror(e));
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        free(s);
        return NULL;
    }
    mo_log(MO_LOG_INFO, "scheduler started id=%s", s->owner);
    return s;
}

void scheduler_request_stop(struct scheduler *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

int scheduler_stop(struct scheduler *s, int wait_ms)
{
    struct timespec until;
    int done;

    if (s == NULL)
        return 0;
    scheduler_request_stop(s);
    monotime_deadline(&until, wait_ms);
    pthread_mutex_lock(&s->mu);
    while (!s->done)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
            break;
    done = s->done;
    pthread_mutex_unlock(&s->mu);
    if (!done)
        return 1; /* inside a transaction that hangs: the process leaves without it */
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
    return 0;
}
