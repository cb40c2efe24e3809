/*
 * scheduler.h - turns due schedule occurrences into campaign runs.
 *
 * scheduler_tick() handles every schedule that is due, each in one
 * transaction that locks its row (FOR UPDATE SKIP LOCKED, so several `mailout
 * run` processes on one database never take the same one, and the row is
 * re-checked once locked), records each due occurrence in
 * schedule_occurrences (unique on schedule and occurrence: a run is made
 * once), and moves next_at on with schedule_next().  Of the occurrences due:
 *   - one seen more than schedule_grace after it was due is skipped as
 *     "missed" (every service was down);
 *   - one followed by a later occurrence also due is skipped as
 *     "superseded": after a downtime only the latest one runs;
 *   - the latest one within the grace gets its run, built with a fresh
 *     segment and legal-basis evaluation at that moment by the code of
 *     `campaign send` (campaign_build_run_in), scheduled_for set, audited as
 *     campaign.send by "scheduler" -- unless the campaign's previous run is
 *     still queued, sending or paused ("busy": a campaign has one run at a
 *     time) or the run cannot be built (e.g. its segment no longer
 *     compiles): then it is skipped with that reason, not retried.
 * At most 100 schedules per tick and 100 occurrences per schedule and
 * transaction; a longer backlog continues at the next tick.  One log line
 * per occurrence, written after the commit.
 *
 * The scheduler thread of `mailout run` calls it about once a second.
 */
#ifndef MAILOUT_SCHEDULER_H
#define MAILOUT_SCHEDULER_H

#include <time.h>

#include "config.h"
#include "db.h"
#include "err.h"

struct scheduler_stats {
    long runs;    /* runs built */
    long skipped; /* occurrences recorded as skipped */
};

/*
 * Handles every occurrence due at `now`.  owner names this process in the
 * record (host:pid).  0, or -1 with err (the first failure, naming its
 * campaign: a database failure, or a schedule whose ics cannot be read; that
 * schedule's transaction is rolled back and its occurrences stay due, the
 * other schedules are still handled unless the connection is lost).
 */
int scheduler_tick(struct db *db, const struct config *cfg, time_t now, const char *owner,
                   struct scheduler_stats *st, struct mo_err *err);

struct scheduler;

/* Starts the scheduler thread (its own database connection).  cfg is borrowed. */
struct scheduler *scheduler_start(const struct config *cfg, struct mo_err *err);
/* Asks the thread to stop; returns at once. */
void scheduler_request_stop(struct scheduler *s);
/* Stops and frees it, waiting up to wait_ms: 0 when it ended, 1 when not (leave the process). */
int scheduler_stop(struct scheduler *s, int wait_ms);

#endif
