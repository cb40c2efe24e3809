/*
 * scheduler.h - turns due schedule occurrences into campaign runs.
 *
 * scheduler_tick() handles every occurrence that is due: each in one
 * transaction that locks its schedule row (FOR UPDATE SKIP LOCKED, so
 * several `mailout run` processes on one database never take the same one),
 * records it in schedule_occurrences (unique on schedule and occurrence),
 * builds its run with a fresh segment and legal-basis evaluation (the same
 * code as `campaign send`), or records why it was skipped (due longer ago
 * than schedule_grace: every service was down), and moves next_at on.
 *
 * The scheduler thread of `mailout run` calls it about once a second.
 *
 * Issue 11 (h-sched) implements scheduler_tick.
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
 * record (host:pid).  0, or -1 with err (a database failure; the
 * occurrences not yet handled stay due).
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
