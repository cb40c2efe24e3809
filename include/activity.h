/*
 * activity.h - web activity (viewed products, downloaded documents): kept
 * only for contacts with a current consent to the reserved topic tracking
 * (ePrivacy Art. 5(3), RULES.md R-EP-6), and only for activity_retention.
 * Deleting a contact's activity when that consent ends is the database's
 * job (trigger consent_events_forget_activity, sql/0011).
 */
#ifndef MAILOUT_ACTIVITY_H
#define MAILOUT_ACTIVITY_H

#include "config.h"
#include "db.h"
#include "err.h"
#include "importer.h"

/* Longest item (sku or document id), in bytes. */
#define ACTIVITY_ITEM_MAX 200

/*
 * Imports activity rows (email, kind view|download, item, at) from a CSV
 * file in one transaction.  Rows of unknown contacts, of contacts without
 * a current tracking consent or of known minors (younger than the consent
 * age of their country today; issue 13, GDPR Art. 8) are counted in st->dropped (of them,
 * st->unknown_contacts had no contact at all) and stored nowhere, the audit
 * entry (activity.import, counts only) included; contacts are never
 * created.  A row already stored is not stored twice.  Bad rows and
 * all-or-nothing as in every import.  -1 with err; *st is filled on success
 * and on failure.
 */
int activity_import(struct db *db, const char *path, const struct importer_opts *o,
                    struct import_stats *st, void (*report)(const char *msg, void *arg), void *arg,
                    struct mo_err *err);

/*
 * Deletes activity that happened more than cfg->activity_retention ago, in
 * its own transaction with an audit entry (maintenance.purge_activity)
 * holding the count.  *deleted gets it.  -1 with err.
 */
int activity_purge(struct db *db, const struct config *cfg, const char *actor, long *deleted,
                   struct mo_err *err);

#endif
