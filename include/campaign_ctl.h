/*
 * campaign_ctl.h - controlling a campaign's last run while dispatch works
 * it (pause, resume, cancel, retry) and reporting every run's progress
 * (status); the sending counts /metrics shows.
 *
 * Each control verb is one use case: it owns its transaction, locks the
 * campaign (shared: `campaign send` waits) and its last run, changes the
 * run and its queue rows set-based, and appends one audit entry naming
 * the actor.  Workers see the change at their next claim or handover:
 * they claim nothing from a paused or cancelled run; rows already claimed
 * go back to queued (paused) or become cancelled (cancelled) there.
 *
 * Outcomes, the same for every verb: an unknown campaign is MO_E_NOTFOUND;
 * a campaign without runs, or whose last run cannot make the transition,
 * is MO_E_CONFLICT naming the run and its state; a run already in the
 * asked-for state is no error (res->changed 0, nothing written).
 */
#ifndef MAILOUT_CAMPAIGN_CTL_H
#define MAILOUT_CAMPAIGN_CTL_H

#include <jansson.h>

#include "db.h"
#include "err.h"

/* What a control verb did. */
struct campaign_ctl_result {
    long long run_id;
    char from[16];  /* the run's state before: queued, sending, paused, done, cancelled */
    char to[16];    /* and after (equal to from when nothing changed) */
    int changed;    /* 1 when the run or any row was changed (and audited) */
    long long rows; /* cancel: queued rows cancelled; retry: failed rows queued again */
};

/* queued or sending -> paused.  Already paused: no change.  done, cancelled: MO_E_CONFLICT. */
int campaign_pause(struct db *db, const char *name, const char *actor,
                   struct campaign_ctl_result *res, struct mo_err *err);

/*
 * paused -> sending when any row of the run was ever claimed or attempted,
 * else queued.  Already queued or sending: no change.  done, cancelled:
 * MO_E_CONFLICT.
 */
int campaign_resume(struct db *db, const char *name, const char *actor,
                    struct campaign_ctl_result *res, struct mo_err *err);

/*
 * queued, sending or paused -> cancelled (finished_at now); the run's
 * queued rows become cancelled in the same transaction, claimed and
 * sending rows are left to their worker.  Already cancelled: no change.
 * done: MO_E_CONFLICT.
 */
int campaign_cancel(struct db *db, const char *name, const char *actor,
                    struct campaign_ctl_result *res, struct mo_err *err);

/*
 * The failed rows of the last run -> queued, due now, reason cleared,
 * attempts kept (dispatch checks their basis again at claim); a done run
 * -> queued (finished_at cleared), other states stay.  No failed rows: no
 * change, no error.  A cancelled run: MO_E_CONFLICT.
 */
int campaign_retry(struct db *db, const char *name, const char *actor,
                   struct campaign_ctl_result *res, struct mo_err *err);

/*
 * Every run of the campaign, newest first, as
 *   {"campaign": NAME, "runs": [{"run": ID, "state": S, "recipients": N,
 *    "queued": N, "sent": N, "failed": N, "uncertain": N, "excluded": N,
 *    "cancelled": N, "deferred": N, "in_flight": N, "created_at": T,
 *    "finished_at": T|null}]}
 * where queued counts every row not yet settled (queued, claimed, sending),
 * deferred the queued rows already attempted (a 4xx, retried later) and
 * in_flight the claimed and sending ones.  Read-only; one statement.
 * NULL with err (MO_E_NOTFOUND for an unknown campaign).  Caller frees.
 */
json_t *campaign_status(struct db *db, const char *name, struct mo_err *err);

/* Campaign mail as /metrics shows it, across every run. */
struct campaign_totals {
    unsigned long long sent, failed, deferred; /* attempts recorded in send_records */
    unsigned long long bounced, complained, uncertain;
    unsigned long long queued, claimed, sending, held_uncertain; /* send_queue rows now */
};

/* Fills t in one cheap statement (index-only).  -1 with err. */
int campaign_totals_read(struct db *db, struct campaign_totals *t, struct mo_err *err);

#endif
