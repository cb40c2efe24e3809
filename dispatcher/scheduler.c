/*
 * scheduler.c - due schedule occurrences become campaign runs (scheduler.h),
 * and the thread of `mailout run` that looks for them once a second.
 *
 * It owns the rule for each occurrence: run it (the latest one due, within
 * schedule_grace) or record why not (missed, superseded, busy, cannot be
 * built), exactly once, in the schedule's own transaction.  It does no
 * calendar arithmetic (schedule_next() in schedule.c), decides no legal
 * basis (campaign_build_run_in() in campaign.c, the code of `campaign
 * send`) and sends nothing (the dispatch workers take the run's queue).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "campaign.h"
#include "db.h"
#include "doi_mail.h"
#include "log.h"
#include "monotime.h"
#include "schedule.h"
#include "scheduler.h"
#include "xalloc.h"

/* How often the thread looks for due occurrences. */
#define SCHEDULER_PERIOD_MS 1000

/* Schedules handled per tick, and occurrences of one schedule per transaction. */
#define SCHEDULER_DUE_MAX 100
#define SCHEDULER_OCC_MAX 100
#define REASON_MAX        200 /* schedule_occurrences.reason, in characters */
#define SCHEDULER_ACTOR   "scheduler"

static void iso_utc(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

/* What happened to one occurrence, logged once the transaction committed. */
struct occ_note {
    time_t at;
    int run; /* 1 run built, 0 skipped, -1 found recorded already */
    struct campaign_run_stats st;
    char reason[640]; /* cut to REASON_MAX characters before it is stored */
};

/* Cuts s to at most REASON_MAX bytes (so at most as many characters) on a UTF-8 boundary. */
static void reason_cut(char *s)
{
    size_t n = strlen(s);
    if (n <= REASON_MAX)
        return;
    n = REASON_MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    s[n] = '\0';
}

struct sched_row {
    long long id, campaign_id;
    char *campaign, *ics;
    time_t next_at;
};

static void sched_row_free(struct sched_row *r)
{
    free(r->campaign);
    free(r->ics);
    memset(r, 0, sizeof(*r));
}

static int savepoint(struct db *db, const char *sql, struct mo_err *err)
{
    PGresult *r = db_exec_sql(db, sql, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

/*
 * Builds the run of one occurrence inside the schedule's transaction.  1
 * with n->st when built; 0 with n->reason when it cannot be (the campaign's
 * last run is not finished, or its segment no longer compiles): the
 * occurrence is then recorded as skipped, not retried; -1 with err for a
 * database failure (the caller rolls everything back and retries).
 */
static int occ_build(struct db *db, const struct config *cfg, const struct sched_row *row,
                     struct occ_note *n, struct mo_err *err)
{
    struct mo_err berr;

    if (savepoint(db, "SAVEPOINT scheduler_run", err) < 0)
        return -1;
    mo_err_init(&berr);
    if (campaign_build_run_in(db, cfg, row->campaign, n->at, SCHEDULER_ACTOR, &n->st, &berr) == 0)
        return 1;
    if (berr.sqlstate[0] || berr.code == MO_E_UNAVAILABLE || berr.code == MO_E_TEMPFAIL) {
        *err = berr;
        return -1;
    }
    if (savepoint(db, "ROLLBACK TO SAVEPOINT scheduler_run", err) < 0)
        return -1;
    if (berr.code == MO_E_CONFLICT && n->st.open_run)
        snprintf(n->reason, sizeof(n->reason),
                 "busy: the campaign's previous run %lld is not finished (%s); a campaign has one "
                 "run at a time",
                 n->st.open_run, n->st.open_state);
    else
        snprintf(n->reason, sizeof(n->reason), "cannot build the run: %s", berr.msg);
    reason_cut(n->reason);
    memset(&n->st, 0, sizeof(n->st));
    return 0;
}

static int occ_record(struct db *db, const struct sched_row *row, const struct occ_note *n,
                      const char *owner, struct mo_err *err)
{
    char sid[24], cid[24], at[32], run[24];

    snprintf(sid, sizeof(sid), "%lld", row->id);
    snprintf(cid, sizeof(cid), "%lld", row->campaign_id);
    snprintf(run, sizeof(run), "%lld", n->st.run_id);
    iso_utc(n->at, at);
    const char *p[] = {
        sid,  cid, at, n->run ? "run" : "skipped", n->run ? NULL : n->reason, n->run ? run : NULL,
        owner};
    /* a unique violation (someone recorded it after all) rolls the run back with it */
    return db_run(db, Q_SCHED_OCC_INSERT, p, 7, err);
}

/* 1 when the occurrence is recorded already (nothing to do for it), 0 not, -1 error. */
static int occ_recorded(struct db *db, const struct sched_row *row, time_t at, struct mo_err *err)
{
    char sid[24], ats[32];
    PGresult *r;
    int found;

    snprintf(sid, sizeof(sid), "%lld", row->id);
    iso_utc(at, ats);
    const char *p[] = {sid, ats};
    if ((r = db_exec(db, Q_SCHED_OCC_FIND, p, 2, err)) == NULL)
        return -1;
    found = PQntuples(r) > 0;
    PQclear(r);
    return found;
}

static void occ_log(const struct sched_row *row, const struct occ_note *n)
{
    char at[32];

    iso_utc(n->at, at);
    if (n->run > 0)
        mo_log(MO_LOG_INFO,
               "schedule occurrence: run built campaign=%s occurs_at=%s run=%lld considered=%lld "
               "queued=%lld excluded=%lld window_wait=%ld",
               row->campaign, at, n->st.run_id, n->st.considered, n->st.queued, n->st.excluded,
               n->st.window_wait);
    else if (n->run == 0)
        mo_log(MO_LOG_WARN, "schedule occurrence: skipped campaign=%s occurs_at=%s reason=\"%s\"",
               row->campaign, at, n->reason);
    else
        mo_log(MO_LOG_INFO, "schedule occurrence: recorded already campaign=%s occurs_at=%s",
               row->campaign, at);
}

/*
 * One schedule in one transaction: every due occurrence (at most
 * SCHEDULER_OCC_MAX; the next tick goes on) is recorded, the latest one
 * within the grace runs, and next_at moves past them.  0 (also when another
 * process holds or has handled the schedule), -1 with err (rolled back).
 */
static int tick_one(struct db *db, const struct config *cfg, long long id, time_t now,
                    const char *owner, struct scheduler_stats *st, struct mo_err *err)
{
    struct sched_row row = {0};
    struct occ_note *notes = NULL;
    PGresult *r = NULL;
    char sid[24], nows[32], next[32];
    int n = 0, rc = -1, in_tx = 0, ended = 0;
    time_t occ, after = 0;

    snprintf(sid, sizeof(sid), "%lld", id);
    iso_utc(now, nows);
    if (db_begin(db, err) < 0)
        return -1;
    in_tx = 1;
    {
        const char *p[] = {sid, nows};
        if ((r = db_exec(db, Q_SCHED_LOCK, p, 2, err)) == NULL)
            goto out;
    }
    if (PQntuples(r) == 0) { /* another process has it, or has moved it on */
        rc = 0;
        goto out;
    }
    row.id = db_int(r, 0, "id");
    row.campaign_id = db_int(r, 0, "campaign_id");
    row.campaign = xstrdup(db_val(r, 0, "campaign"));
    row.ics = xstrdup(db_val(r, 0, "ics"));
    row.next_at = (time_t)db_int(r, 0, "next_at");
    PQclear(r);
    r = NULL;

    notes = xcalloc(SCHEDULER_OCC_MAX, sizeof(*notes));
    occ = row.next_at;
    for (;;) {
        struct occ_note *note = &notes[n];
        int more = schedule_next(row.ics, occ, &after, err);
        int got;

        if (more < 0)
            goto out;
        if (more && after <= occ) {
            mo_err_set(err, MO_E_INTERNAL, "the schedule's next occurrence does not move on");
            goto out;
        }
        note->at = occ;
        if ((got = occ_recorded(db, &row, occ, err)) < 0)
            goto out;
        if (got) {
            note->run = -1;
        } else if (now - occ > cfg->schedule_grace) {
            snprintf(note->reason, sizeof(note->reason),
                     "missed: %lld s late, more than schedule_grace (%lld s): no mailout run "
                     "could start it in time",
                     (long long)(now - occ), cfg->schedule_grace);
        } else if (more && after <= now) {
            char later[32];
            iso_utc(after, later);
            snprintf(note->reason, sizeof(note->reason),
                     "superseded: the later occurrence %s is due too, and only the latest one "
                     "runs",
                     later);
        } else if ((note->run = occ_build(db, cfg, &row, note, err)) < 0) {
            goto out;
        }
        if (note->run >= 0 && occ_record(db, &row, note, owner, err) < 0)
            goto out;
        n++;
        if (!more) {
            ended = 1;
            break;
        }
        occ = after;
        if (occ > now || n == SCHEDULER_OCC_MAX)
            break;
    }
    iso_utc(occ, next);
    {
        const char *p[] = {sid, ended ? NULL : next};
        if (db_run(db, Q_SCHED_ADVANCE, p, 2, err) < 0)
            goto out;
    }
    if (db_commit(db, err) < 0)
        goto out;
    in_tx = 0;
    for (int i = 0; i < n; i++) {
        occ_log(&row, &notes[i]);
        if (notes[i].run > 0)
            st->runs++;
        else if (notes[i].run == 0)
            st->skipped++;
    }
    rc = 0;
out:
    if (in_tx)
        db_rollback(db);
    if (rc < 0 && row.campaign) { /* the first cause, with where it happened */
        struct mo_err cause = *err;
        mo_err_init(err);
        mo_err_set(err, cause.code, "schedule of campaign '%s': %s", row.campaign, cause.msg);
        memcpy(err->detail, cause.detail, sizeof(err->detail));
        memcpy(err->sqlstate, cause.sqlstate, sizeof(err->sqlstate));
    }
    PQclear(r);
    free(notes);
    sched_row_free(&row);
    return rc;
}

int scheduler_tick(struct db *db, const struct config *cfg, time_t now, const char *owner,
                   struct scheduler_stats *st, struct mo_err *err)
{
    char nows[32], lim[16];
    long long ids[SCHEDULER_DUE_MAX];
    int n, rc = 0;
    PGresult *r;

    memset(st, 0, sizeof(*st));
    iso_utc(now, nows);
    snprintf(lim, sizeof(lim), "%d", SCHEDULER_DUE_MAX);
    {
        const char *p[] = {nows, lim};
        if ((r = db_exec(db, Q_SCHED_DUE, p, 2, err)) == NULL)
            return -1;
    }
    n = PQntuples(r);
    for (int i = 0; i < n; i++)
        ids[i] = db_int(r, i, "id");
    PQclear(r);
    if (n == 0)
        return 0;
    /* outside the transactions: every contact's keyed hash, as campaign send does */
    if (campaign_run_prepare(db, cfg, err) < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        struct mo_err one;
        mo_err_init(&one);
        if (tick_one(db, cfg, ids[i], now, owner, st, &one) == 0)
            continue;
        if (rc == 0)
            *err = one; /* the first cause; the other schedules still get their turn */
        rc = -1;
        if (PQstatus(db_conn(db)) != CONNECTION_OK)
            break;
    }
    return rc;
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
