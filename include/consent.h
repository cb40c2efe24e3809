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
#include "dsr.h"
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
    struct dsr_closed *closed; /* issue 13: NULL, or gets the objection requests closed */
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
 * An objection (no topic) of a known contact closes the person's open
 * objection requests (dsr_close_matching(), closed_via objection, into
 * o->closed when set), also on a repeat.
 * *contact_id (may be NULL) gets the contact's id, 0 for an unknown address.
 * The suppression key is loaded (and checked) from cfg.
 * Errors: MO_E_INPUT for an invalid address, MO_E_NOTFOUND for an unknown
 * topic or (without o->suppress) address, MO_E_UNAVAILABLE for a missing or
 * different key; then nothing is written.
 */
int consent_unsubscribe(struct db *db, const struct config *cfg, const struct consent_optout *o,
                        long long *contact_id, int *changed, struct mo_err *err);

/* --- pause of all marketing (issue 10: h-pause) ------------------------- */

#define CONSENT_TIME_MAX 32 /* an ISO 8601 UTC time as iso_utc() prints it, with room */

/* One pause (or resume) of all marketing received by an admin. */
struct consent_pause_req {
    const char *email;   /* as received; surrounding spaces and tabs are trimmed */
    int months;          /* 1..24: pause until now + months; 0: end a running pause */
    const char *channel; /* ledger channel, e.g. "admin" */
    const char *source;  /* source of the event, e.g. "pause command" */
    const char *actor;   /* "cli:USER", "admin:NAME" */
    const char *reason;  /* note kept with the ledger event, or NULL */
};

/* The pause after consent_pause(). */
struct consent_pause_state {
    long long contact_id;
    int changed;                  /* an event was written */
    int running;                  /* a pause is in force now */
    char until[CONSENT_TIME_MAX]; /* its end (or the last pause's end); "" when never paused */
};

/*
 * Pauses all marketing to a known contact for o->months, or resumes it
 * (months 0), through ledger_pause() with skip_if_same, and writes the audit
 * entry consent.pause or consent.resume (object "contact:ID", detail months,
 * paused_until, channel and changed; no address, no reason), in one
 * transaction of its own.  A repeat that changes nothing is still audited.
 * Errors: MO_E_INPUT for months outside 0..24 or an invalid address,
 * MO_E_NOTFOUND for an address no contact has (a pause is never the first
 * record of a person); then nothing is written.
 */
int consent_pause(struct db *db, const struct consent_pause_req *o, struct consent_pause_state *st,
                  struct mo_err *err);

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

/* --- the unsubscribe page, one-click and preferences (issue 10: h-web) ---- */

#define CONSENT_TITLE_MAX 256
#define CONSENT_STATE_MAX 16

enum consent_token_action {
    CONSENT_ONE_CLICK,  /* RFC 8058 POST: the token's topic (one_click_scope all: all marketing) */
    CONSENT_PAGE_TOPIC, /* the page's topic button: the token's topic */
    CONSENT_PAGE_ALL,   /* the page's "all marketing" button: an objection (GDPR Art. 21) */
    CONSENT_PAGE_PAUSE, /* the page's pause: all marketing for months */
};

struct consent_token_request {
    const char *token;
    enum consent_token_action action;
    int months;             /* CONSENT_PAGE_PAUSE: 1 to 24 */
    const char *ip;         /* NULL when none */
    const char *user_agent; /* NULL when none */
};

struct consent_token_outcome {
    struct consent_token_info info;
    char topic_title[CONSENT_TITLE_MAX];
    int all;     /* 1: recorded as an objection to all marketing */
    int changed; /* 0: it was so already (a repeat wrote nothing) */
};

/*
 * The subject's own change through a token, for the token's recipient only,
 * in one transaction: locks the contact (concurrent repeats cannot both
 * write), reads the one_click_scope of the contact's country (else '*'),
 * and records through ledger_revoke() or ledger_pause() with time, IP, user
 * agent, the token's message and channel one_click (CONSENT_ONE_CLICK) or
 * page.  Idempotent: a repeat writes nothing (out->changed 0).  No audit
 * entry: the ledger event is the record, and this path stays free of the
 * audit chain's global lock.
 * 1 done (*out filled), 0 unknown token (nothing written), -1 with err
 * (MO_E_INPUT for months out of range, else from the database or the ledger).
 */
int consent_token_apply(struct db *db, const struct consent_token_request *rq,
                        struct consent_token_outcome *out, struct mo_err *err);

/* One topic of the preference page. */
struct consent_pref_topic {
    long long id;
    char name[CONSENT_TOPIC_MAX];
    char title[CONSENT_TITLE_MAX];
    char state[CONSENT_STATE_MAX]; /* confirmed, pending, withdrawn, objected, expired; "": never */
    long long consent_text_id;     /* the newest text in the page's language; 0: none */
    char *consent_text;            /* its body; NULL when none */
    int message_topic;             /* the token's own topic */
};

/* What a token's preference page shows; release with consent_preferences_release(). */
struct consent_preferences {
    long long contact_id;
    struct consent_pref_topic *topics;
    size_t n;
};

/* 1 when the person receives the topic or awaits its confirmation (switch on). */
int consent_pref_on(const struct consent_pref_topic *t);

/*
 * Reads a token's preference page in one statement, changing nothing: the
 * topics with a consent text, those the contact has an event for and the
 * token's own, each with the contact's state and the newest consent text in
 * lang (else English, else any).  1 filled, 0 unknown token (p empty), -1
 * with err (p empty).
 */
int consent_preferences_read(struct db *db, const char *token, const char *lang,
                             struct consent_preferences *p, struct mo_err *err);
/* Frees what consent_preferences_read() filled; safe on an empty or released one. */
void consent_preferences_release(struct consent_preferences *p);

/* The preference form as the person sent it (strings borrowed). */
struct consent_pref_choice {
    const char *token;
    const char *const *on; /* the topics switched on, by name */
    size_t non;
    const char *const *text_topic; /* consent_text.TOPIC: the text shown beside a switch */
    const long long *text_id;
    size_t ntext;
    int age_attested; /* the "I am at least N" box */
    const char *lang;
    const char *ip;
    const char *user_agent;
};

/*
 * Saves the switches.  Every topic switched on that the person neither
 * receives nor awaits starts double opt-in through doi_subscribe() (its own
 * transaction, audit entry and confirmation mail, to the contact's address,
 * with the consent text shown); that runs first, so bad input (a topic not
 * on the page, no consent text, no age attestation: MO_E_INPUT, MO_E_NOTFOUND
 * or MO_E_USAGE) writes nothing.  Then every topic on whose switch is off is
 * withdrawn (channel page) in one transaction as consent_token_apply().
 * *withdrawn and *requested (may be NULL) get the counts.
 * 1 done, 0 unknown token (nothing written), -1 with err.
 */
int consent_preferences_apply(struct db *db, const struct config *cfg, const char *data_dir,
                              const struct consent_pref_choice *in, size_t *withdrawn,
                              size_t *requested, struct mo_err *err);

#endif
