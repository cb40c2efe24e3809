/*
 * retention.h - storage limitation (GDPR Art. 5(1)(e), R-GDPR-16): the
 * steps of `mailout maintenance` and the daily run of them in `mailout run`.
 *
 * Steps, each its own use case with its own transaction(s) and one audit
 * entry holding its counts (never an address):
 *   1. expired pending double-opt-in requests (doi_purge, doi.h);
 *   2. web activity older than activity_retention (activity_purge, activity.h);
 *   3. idle contacts (retention_erase_contacts): live contacts stored,
 *      mailed, ordering, active and recorded in the consent ledger last
 *      longer than contact_retention_months ago (calendar months) and
 *      without a current consent to any topic.  They are erased through
 *      erase_contact() (erase.h): tombstone, suppression entry (the address
 *      is no longer needed and must not come back by a re-import), history
 *      kept without its personal columns.  A tombstone is never selected; a
 *      contact suppressed but not erased is (it still holds the address).
 *   4. SMTP replies of send records older than reply_retention_months
 *      (retention_clear_replies): set to NULL by redact_old_replies()
 *      (sql/0030), which lists each row in retention_redactions so that
 *      audit verify accepts the NULL.
 */
#ifndef MAILOUT_RETENTION_H
#define MAILOUT_RETENTION_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "err.h"

/* A contact due for erasure (dry run only). */
struct retention_contact {
    long long id;
    char *email; /* as stored */
};

/* What maintenance did, or (dry run) would do. */
struct maintenance_result {
    long pending_deleted;  /* expired pending requests */
    long activity_deleted; /* web activity rows */
    long contacts_erased;  /* idle contacts */
    long contacts_skipped; /* due when listed, no longer when erased (not in a dry run) */
    long replies_cleared;  /* SMTP replies nulled */
    char reply_cutoff[40]; /* ISO 8601 UTC: replies of sends before this go */
    struct retention_contact *contacts; /* dry run: the idle contacts, by id */
    size_t ncontacts;
};

/*
 * Erases the idle contacts (step 3 above).  Each erasure is its own
 * transaction with its own contact.erase entry (erase_contact_id(), which
 * checks again under lock that the contact is still due); then one entry
 * maintenance.erase_idle_contacts with {erased, skipped, retention_months}.
 * The suppression key is loaded only when a contact is due.  -1 with err;
 * the summary entry is still written for the erasures done before.
 */
int retention_erase_contacts(struct db *db, const struct config *cfg, const char *actor,
                             long *erased, long *skipped, struct mo_err *err);

/*
 * Nulls the SMTP replies of sends older than reply_retention_months, in
 * batches of 1000 in one transaction with one entry
 * maintenance.purge_replies {cleared, retention_months, cutoff}.
 * *cleared gets the count, cutoff (40 bytes) the cutoff in UTC.
 */
int retention_clear_replies(struct db *db, const struct config *cfg, const char *actor,
                            long *cleared, char cutoff[40], struct mo_err *err);

/* Runs every step in order; res (zeroed first) gets the counts.  -1 with err at the first failure.
 */
int maintenance_run(struct db *db, const struct config *cfg, const char *actor,
                    struct maintenance_result *res, struct mo_err *err);

/*
 * The dry run: what maintenance_run() would remove now, read only (not
 * even an audit entry is written).  res gets the counts and the idle
 * contacts.  -1 with err.
 */
int maintenance_plan(struct db *db, const struct config *cfg, struct maintenance_result *res,
                     struct mo_err *err);

/* Frees what res holds; the struct is the caller's. */
void maintenance_result_release(struct maintenance_result *res);

/*
 * The daily maintenance thread of `run`: maintenance_run() as actor
 * "maintenance" a few seconds after the start, then every
 * cfg->maintenance_interval (default 24h).  A failure is logged (once while
 * it repeats) and tried again at the next turn.  cfg is borrowed.
 */
struct maintenance_worker;
struct maintenance_worker *maintenance_worker_start(const struct config *cfg, struct mo_err *err);
void maintenance_worker_request_stop(struct maintenance_worker *w);
/* As bgworker_stop(): 0 stopped and freed, 1 still inside the database. NULL: 0. */
int maintenance_worker_stop(struct maintenance_worker *w, int wait_ms);

#endif
