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
    const char *source;     /* source of the ledger event */
    const char *actor;      /* "cli:USER", "web", "inbound", "admin:NAME" */
    const char *reason;     /* note kept with the ledger event, or NULL */
    const char *message_id; /* Message-ID of the mail the opt-out answers, or NULL */
    int suppress;           /* also put the address on the do-not-contact list (reason 'admin') */
};

/*
 * Records an opt-out by address, in one transaction: finds the contact by
 * normalised address, appends 'withdrawn' for the topic or 'objected' to
 * all marketing through ledger_revoke(), and with o->suppress lists the
 * address's keyed hash (suppress_add(), reason 'admin', with the
 * 'suppressed' webhook event), so it is never mailed nor imported again.
 * An unknown address is no contact: without o->suppress it is
 * MO_E_NOTFOUND with nothing written; with it only the keyed hash is
 * stored (no contact, no event, the address nowhere).  The audit entry is
 * consent.withdraw or consent.object (object "contact:ID", detail topic,
 * channel, changed, and suppressed with o->suppress), or suppression.add
 * (object "suppression") for an unknown address; it holds no address and no
 * reason.  A repeat changes nothing (*changed 0) but is still audited.
 * *contact_id (may be NULL) gets the contact's id, 0 for an unknown address.
 * The suppression key is loaded (and checked) from cfg.
 * Errors: MO_E_INPUT for an invalid address, MO_E_NOTFOUND for an unknown
 * topic or (without o->suppress) address, MO_E_UNAVAILABLE for a missing or
 * different key; then nothing is written.
 */
int consent_unsubscribe(struct db *db, const struct config *cfg, const struct consent_optout *o,
                        long long *contact_id, int *changed, struct mo_err *err);

/* --- opt-outs by unsubscribe token (pages, one-click, mailto) ------------ */

#define CONSENT_TOPIC_MAX      64
#define CONSENT_MESSAGE_ID_MAX 256

/* What a valid unsubscribe token names. */
struct consent_token_info {
    long long contact_id;
    long long topic_id;
    long long run_id; /* 0: none (e.g. a consent receipt) */
    char topic[CONSENT_TOPIC_MAX];
    char message_id[CONSENT_MESSAGE_ID_MAX]; /* "" when none */
};

/*
 * Looks a token up by its SHA-256 (unsubscribe_tokens).  A string that is
 * not a well-formed token is unknown without a query.  1 found (*info
 * filled), 0 unknown, -1 with err (database).
 */
int consent_token_lookup(struct db *db, const char *token, struct consent_token_info *info,
                         struct mo_err *err);

/* One opt-out through a token. */
struct consent_token_optout {
    const char *token;
    int all;                /* 1: object to all marketing; 0: withdraw the token's topic */
    const char *channel;    /* one_click, page, mailto */
    const char *ip;         /* NULL when none */
    const char *user_agent; /* NULL when none */
    const char *note;       /* NULL when none */
};

/*
 * Records the opt-out a token grants, for the token's own recipient only,
 * in one transaction (ledger event with time, IP, user agent, channel and
 * the token's message; webhook outbox entry).  Idempotent: a repeat
 * writes nothing (*changed 0).  The subject's own act: the ledger event is
 * its record, no audit entry.  1 done (*info filled), 0 unknown token
 * (nothing written), -1 with err.
 */
int consent_token_unsubscribe(struct db *db, const struct consent_token_optout *o,
                              struct consent_token_info *info, int *changed, struct mo_err *err);

#endif
