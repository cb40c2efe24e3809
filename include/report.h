/*
 * report.h - what mailout holds and did about one person or one campaign
 * (issue 12): the data behind `audit contact`, `audit campaign`,
 * `audit log`, `export` and the admin view's pages.  Each returns a new
 * JSON object (the caller decrefs it) or NULL with err (MO_E_NOTFOUND for
 * an unknown address or campaign).  Only report_export() writes: its audit
 * entry.
 *
 * Shape (h-audit owns it; the admin view renders it; times are ISO 8601
 * UTC strings, absent values null):
 *   report_contact: {"contact": {"id", "email", "email_normalized", "name",
 *                      "country", "locale", "time_zone", "country_time_zone",
 *                      "birth_date", "attributes": {...}, "source",
 *                      "created_at", "topics": {TOPIC: {"state", "since",
 *                      "consent_event"}}, "objected_since", "pause",
 *                      "suppressed": null | {"reason", "since"}},
 *                    "consent_events": [{"id", "kind", "topic", "occurred_at",
 *                      "recorded_at", "email_entered", "ip", "user_agent",
 *                      "source", "channel", "actor", "consent_text_id",
 *                      "consent_text_version", "consent_text_locale",
 *                      "consent_text_sha256", "locale", "privacy_notice",
 *                      "controller", "request_id", "token_sha256",
 *                      "age_attested", "message_id", "note",
 *                      "receipt_sha256"}],
 *                    "sends": [{"id", "occurred_at", "run_id", "campaign",
 *                      "topic", "basis", "evidence": {...}, "status",
 *                      "smtp_code", "smtp_reply", "message_id"}],
 *                    "revocations": [{"id", "kind", "topic", "occurred_at",
 *                      "channel", "source", "actor", "message_id", "note",
 *                      "paused_until", "run_id", "campaign"}],
 *                    "webhook_deliveries": [{"id", "event", "state",
 *                      "attempts", "last_status", "last_error",
 *                      "created_at", "delivered_at", "dead_at"}]}
 *   report_campaign: {"campaign": {"id", "name", "topic", "template",
 *                      "segment", "legal_entity", "created_at"},
 *                    "runs": [{"run_id", "state", "started_at",
 *                      "finished_at", "considered", "recipients",
 *                      "by_basis": {"consent", "existing_customer",
 *                      "opt_out_regime", ...: N}, "excluded": {REASON: N},
 *                      "sent", "failed", "uncertain", "bounced",
 *                      "unsubscribes", "complaints", "unsubscribe_rate",
 *                      "complaint_rate", "bounce_rate"}]}
 *     (rates are fractions of "sent", null when nothing was sent)
 *   report_log: {"entries": [{"seq", "at", "actor", "user", "host",
 *                      "action", "object", "detail": {...}}]}
 */
#ifndef MAILOUT_REPORT_H
#define MAILOUT_REPORT_H

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "err.h"

json_t *report_contact(struct db *db, const char *email, struct mo_err *err);
json_t *report_campaign(struct db *db, const char *name, struct mo_err *err);

/*
 * The audit log from since on (an ISO 8601 UTC time the caller checked, or
 * NULL for all of it).
 */
json_t *report_log(struct db *db, const char *since, struct mo_err *err);

/*
 * The data-subject access document (GDPR Art. 15) of one address; its
 * fields are documented in mailout(1), EXPORT FORMAT.  Runs in its own
 * transaction with an audit entry (contact.export, object contact:ID) by
 * actor.  cfg is borrowed.
 */
json_t *report_export(struct db *db, const struct config *cfg, const char *email, const char *actor,
                      struct mo_err *err);

#endif
