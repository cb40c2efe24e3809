/*
 * dispatch.h - the campaign dispatch workers.
 *
 * One dispatch runs several worker threads, each with its own database
 * connection and transport.  A worker is alive while its database session
 * holds the advisory lock (1835100524, worker_key) (sql/0013_dispatch.sql).
 * Each loop: recover the rows of dead workers (claimed -> queued, sending ->
 * uncertain), take rate tokens (throttle.h), claim a batch (FOR UPDATE SKIP
 * LOCKED, committed), re-run the legal-basis engine for it (no basis:
 * excluded with the reason), render and sign each message, hand the batch
 * over to SMTP in one transaction (sending, Message-IDs, unsubscribe
 * tokens), send it over one session and record every outcome in one
 * transaction (send_queue, send_records, hard bounces suppressed, the run
 * done when nothing is left).
 *
 * Nobody gets a message twice: a row is sent only by the worker whose
 * handover returned it, and a row caught inside a session of a dead worker
 * becomes uncertain, never queued (dispatch_resend_uncertain() on request).
 */
#ifndef MAILOUT_DISPATCH_H
#define MAILOUT_DISPATCH_H

#include "config.h"
#include "db.h"
#include "err.h"

/* Rows one claim takes and one SMTP session carries. */
#define DISPATCH_BATCH 100
/* Most worker threads of one process. */
#define DISPATCH_SESSIONS_MAX 16
/* A deferred (4xx) row is given up as failed at this many attempts. */
#define DISPATCH_MAX_ATTEMPTS 8

struct dispatch_opts {
    int sessions;         /* worker threads, 1..DISPATCH_SESSIONS_MAX */
    int once;             /* 1: each worker stops when nothing due is claimable */
    long batch;           /* rows per claim, 1..DISPATCH_BATCH (0: DISPATCH_BATCH) */
    const char *data_dir; /* where templates/ is read from (the standard footers) */
};

/* What this process did so far. */
struct dispatch_stats {
    long sent;
    long failed;
    long deferred;
    long excluded;
    long uncertain; /* recorded uncertain by this process (a session dropped mid-way) */
    long cancelled; /* not sent: the run was cancelled */
};

struct dispatch;

/*
 * Starts the workers.  cfg is borrowed and must outlive the dispatch.  NULL
 * with err when DKIM cannot be loaded or a thread cannot start.
 */
struct dispatch *dispatch_start(const struct config *cfg, const struct dispatch_opts *o,
                                struct mo_err *err);
/* Asks every worker to stop after its current session; returns at once. */
void dispatch_request_stop(struct dispatch *d);
/* 1 when every worker has ended (--once: nothing left that is due). */
int dispatch_finished(struct dispatch *d);
/* Copies the counters (thread-safe). */
void dispatch_get_stats(struct dispatch *d, struct dispatch_stats *st);
/*
 * Stops the workers and waits up to wait_ms.  Returns 0 when they ended
 * (everything freed; err gets the first error that ended a worker, if any),
 * or 1 when one is still inside an SMTP session: the caller must then end
 * the process promptly without freeing cfg (the rows of that session become
 * uncertain, its claims queued, once its session is gone).
 */
int dispatch_stop(struct dispatch *d, int wait_ms, struct mo_err *err);

/*
 * Turns the uncertain rows of workers that are gone into queued ones and
 * records that in the audit log (one entry), so they are sent again.
 * *n gets the number of rows.  0 or -1 with err.
 */
int dispatch_resend_uncertain(struct db *db, long *n, struct mo_err *err);

/* Rows still to send (queued, claimed, sending of open runs) and uncertain rows. */
int dispatch_counts(struct db *db, long *left, long *uncertain, struct mo_err *err);

#endif
