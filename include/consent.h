/*
 * consent.h - consent use cases shared by every front end: an opt-out
 * received by an admin (CLI), and next the unsubscribe page, the one-click
 * POST, a mailto unsubscribe or a complaint.
 *
 * Each function validates its input before touching the database, then runs
 * one transaction of its own (call it outside one) that holds the ledger
 * event, the CRM webhook entry and the audit entry, under the actor its
 * caller names.  It prints nothing and never decides who its caller is.
 */
#ifndef MAILOUT_CONSENT_H
#define MAILOUT_CONSENT_H

#include "config.h"
#include "db.h"
#include "err.h"

struct consent_optout {
    const char *email;      /* as received; surrounding spaces and tabs are trimmed */
    const char *topic;      /* topic name: withdraw that topic; NULL: object to all marketing */
    const char *channel;    /* ledger channel: "admin", "page", "one-click", "mailto", ... */
    const char *source;     /* source of the event (and of a contact created here) */
    const char *actor;      /* "cli:USER", "web", "inbound", "admin:NAME" */
    const char *reason;     /* note kept with the ledger event, or NULL */
    const char *message_id; /* Message-ID of the mail the opt-out answers, or NULL */
};

/*
 * Records an opt-out: finds the contact by normalised address (creating it
 * when unknown, so the opt-out is on record), appends 'withdrawn' for the
 * topic or 'objected' to all marketing through ledger_revoke(), and writes
 * the audit entry consent.withdraw or consent.object (object "contact:ID",
 * detail topic, channel and changed; no address, no reason).  A repeat
 * changes nothing in the ledger (*changed 0) but is still audited.
 * *contact_id (may be NULL) gets the contact's id.
 * The suppression key is loaded (and checked) from cfg to store the
 * contact's keyed hash.
 * Errors: MO_E_INPUT for an invalid address, MO_E_NOTFOUND for an unknown
 * topic, MO_E_UNAVAILABLE for a missing or different key; then nothing is
 * written.
 */
int consent_unsubscribe(struct db *db, const struct config *cfg, const struct consent_optout *o,
                        long long *contact_id, int *changed, struct mo_err *err);

#endif
