/*
 * report.h - what mailout holds and did about one person or one campaign
 * (issue 12): the data behind `audit contact`, `audit campaign`, `export`
 * and the admin view's pages.  Read-only; each returns a new JSON object
 * (the caller decrefs it) or NULL with err (MO_E_NOTFOUND for an unknown
 * address or campaign).
 *
 * Shape (h-audit owns it; the admin view renders it):
 *   report_contact: {"contact": {...}, "consent_events": [...],
 *                    "sends": [...], "revocations": [...],
 *                    "webhook_deliveries": [...]}
 *   report_campaign: {"campaign": {...}, "runs": [{"run_id", "started_at",
 *                    "by_basis": {...}, "excluded": {...}, "sent",
 *                    "failed", "uncertain", "bounced", "unsubscribes",
 *                    "complaints", "unsubscribe_rate", "complaint_rate"}]}
 */
#ifndef MAILOUT_REPORT_H
#define MAILOUT_REPORT_H

#include <jansson.h>

#include "db.h"
#include "err.h"

json_t *report_contact(struct db *db, const char *email, struct mo_err *err);
json_t *report_campaign(struct db *db, const char *name, struct mo_err *err);

#endif
