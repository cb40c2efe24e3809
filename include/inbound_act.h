/*
 * inbound_act.h - acting on one classified inbound message (inbound.h):
 * the database half of `mailout inbound`.
 *
 *  - mailto: a token the database knows withdraws that token's topic for
 *    its own recipient (consent_token_unsubscribe, channel mailto);
 *    otherwise the From address, when it is a known contact, objects to
 *    all marketing (consent_unsubscribe, channel mailto).  Nothing else
 *    identifies the sender: MO_E_INPUT ("cannot attribute"), nothing written.
 *  - complaint: the contact named by the returned message's token, else by
 *    its Message-ID (a message we sent), else by the reported recipient,
 *    objects to all marketing (channel complaint) and the address is
 *    suppressed (reason complaint), in one transaction.  A recipient we do
 *    not know: nothing written (res->via "unknown").  No way to tell who
 *    complained: MO_E_INPUT.
 *  - bounce: each recipient is matched on its normalised address (domain
 *    case-insensitive, local part as address.h normalises it), the DSN's
 *    Original-Recipient first, then its Final-Recipient.  A known contact
 *    gets a row in bounces naming the report (its Message-ID, format,
 *    Status, Diagnostic-Code, the returned message); a permanent failure
 *    suppresses the address (reason hard_bounce), a delay counts, and
 *    cfg->bounce_soft_limit delays within 30 days suppress it (reason
 *    soft_bounces).  Unknown addresses are left alone.  One transaction.
 *  - ignored: nothing.
 * Complaints and bounces are audited (inbound.complaint, inbound.bounce)
 * with contact ids, never addresses.  Call outside a transaction.
 */
#ifndef MAILOUT_INBOUND_ACT_H
#define MAILOUT_INBOUND_ACT_H

#include "config.h"
#include "consent.h"
#include "db.h"
#include "err.h"
#include "inbound.h"

/* What became of one bounce recipient. */
enum inbound_rcpt_outcome {
    INBOUND_RCPT_UNKNOWN,    /* no contact has the address */
    INBOUND_RCPT_SUPPRESSED, /* permanent: the address is suppressed (hard_bounce) */
    INBOUND_RCPT_COUNTED,    /* delayed: counted */
    INBOUND_RCPT_SOFT_LIMIT, /* delayed, and the limit reached: suppressed (soft_bounces) */
    INBOUND_RCPT_REPEAT,     /* this report was recorded for the contact before */
};

struct inbound_result {
    long long contact_id; /* mailto, complaint: the contact acted for; 0 none */
    int changed;          /* mailto, complaint: the ledger gained an event */
    int suppressed;       /* complaint: the address was newly suppressed */
    /*
     * How the contact was found (static): "token", "message-id", "address",
     * "from"; "unknown" for a complaint about an address we do not know;
     * "" when nothing was looked up.
     */
    const char *via;
    char topic[CONSENT_TOPIC_MAX]; /* mailto by token: the topic withdrawn */
    struct {
        enum inbound_rcpt_outcome outcome;
        long long contact_id;
        const char *addr;     /* m->rcpt[i].addr or .alt, whichever matched (borrowed from m) */
    } rcpt[INBOUND_RCPT_MAX]; /* bounce: one per m->rcpt[i] */
};

/*
 * Acts on m as above.  0 done (also for an ignored message, an unknown
 * bounce recipient or complainant); -1 with err: MO_E_INPUT when the
 * message cannot be attributed to anyone, else the database's error
 * (MO_E_UNAVAILABLE when it cannot be reached, with nothing committed).
 */
int inbound_apply(struct db *db, const struct config *cfg, const struct inbound_msg *m,
                  struct inbound_result *res, struct mo_err *err);

/* "unknown", "suppressed", "counted", "suppressed_soft", "repeat". */
const char *inbound_rcpt_outcome_name(enum inbound_rcpt_outcome o);

#endif
