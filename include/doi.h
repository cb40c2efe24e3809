/*
 * doi.h - double opt-in: pending requests, their tokens, confirming, and
 * the purge of expired requests.
 *
 * A request stores only the SHA-256 of its token; the token is derived from
 * a key outside the database (doi_mail.h), so the confirmation mail can be
 * sent after the request was answered.  Each topic gets its own 'requested'
 * event with its own consent text; confirming appends 'confirmed' events
 * with time, IP and user agent.  A withdrawal of one of the request's
 * topics, or an objection, recorded after the request voids it (410).
 * Looking at a token never changes anything; only doi_confirm() does.
 */
#ifndef MAILOUT_DOI_H
#define MAILOUT_DOI_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "err.h"

#define DOI_MAX_TOPICS 20

struct doi_topic_req {
    const char *topic;
    long long consent_text_id; /* 0: the latest text of the topic in the locale (else en) */
};

struct doi_subscribe_in {
    const char *email; /* as entered; stored and mailed trimmed, domain as A-labels */
    const struct doi_topic_req *topics;
    size_t ntopics;
    const char *ip;
    const char *user_agent;
    const char *source;
    const char *channel; /* web or cli: how the request arrived */
    const char *actor;   /* who records it, for the ledger and the audit log: web, cli:USER */
    const char *locale;  /* NULL: en */
    int age_attested;
    /*
     * NULL: the mail is queued for any sender (serve, dispatch).  A sender
     * id (doi_mail_owner_id): the mail is queued leased to that sender, which
     * sends it at once with doi_mail_run(only_owned) - the CLI.
     */
    const char *send_as;
};

enum doi_outcome {
    DOI_QUEUED = 0, /* request stored, confirmation mail queued */
    DOI_LIMITED,    /* the address had its confirmation mails for 24 hours: nothing done */
    DOI_MINOR,      /* known to be under the consent age: nothing done */
    DOI_SUPPRESSED, /* suppressed by an admin (unsubscribe --suppress): nothing done */
};

/*
 * Starts double opt-in as one use case: validates everything first (the
 * address, the topics and their consent texts, the confirmation mail built
 * once with a placeholder token), then in one transaction stores the
 * contact, the request, a 'requested' event per topic, the queued mail and
 * an audit entry (object contact:ID).  Sends nothing itself.  Bad input is
 * MO_E_INPUT / MO_E_NOTFOUND / MO_E_USAGE with nothing written.  An address
 * an admin suppressed gets DOI_SUPPRESSED and nothing at all: other
 * suppressions (erasure, bounce, complaint) let the person's own new double
 * opt-in lift them (R-DOI-6).
 */
int doi_subscribe(struct db *db, const struct config *cfg, const char *data_dir,
                  const struct doi_subscribe_in *in, enum doi_outcome *outcome, struct mo_err *err);

enum doi_token_state {
    DOI_TOKEN_OK = 0,
    DOI_TOKEN_UNKNOWN, /* malformed or no such token: 404 */
    DOI_TOKEN_GONE,    /* expired, already used, or voided by a later opt-out: 410 */
};

struct doi_view {
    long long request_id;
    char locale[16];
    char email[256];
    char topics[1024]; /* titles, comma-separated */
    char expires_at[32];
};

/* Reads what a token stands for; changes nothing. */
int doi_lookup(struct db *db, const char *token, enum doi_token_state *state, struct doi_view *view,
               struct mo_err *err);
/*
 * Confirms: appends 'confirmed' events with ip and user agent; single use.
 * In the same transaction it builds the consent receipt (receipt.h), stores
 * the token hash of its preference link per topic, queues the receipt mail
 * and writes the receipt's SHA-256 into every 'confirmed' event.  receipt
 * (may be NULL) gets the receipt's exact text when confirmed (caller frees),
 * else NULL.
 */
int doi_confirm(struct db *db, const struct config *cfg, const char *token, const char *ip,
                const char *user_agent, enum doi_token_state *state, struct doi_view *view,
                char **receipt, struct mo_err *err);

/* Deletes requests expired longer than pending_retention ago; *deleted gets the count. */
int doi_purge(struct db *db, const struct config *cfg, const char *actor, long *deleted,
              struct mo_err *err);

/*
 * Per-client abuse limit for the subscribe endpoint: 1 allowed (and counted),
 * 0 over the limit.  ip is the client's limit key (ipnet_limit_key(): an IPv4
 * address, or an IPv6 client's /64), stored only as a hash.
 */
int doi_ip_allowed(struct db *db, const struct config *cfg, const char *ip, struct mo_err *err);

/*
 * Checks a confirmation mail template (R-DOI-2): only allowed variables,
 * no links but {{confirm_url}}, {{privacy_url}} and {{imprint_url}}, no
 * images, and the confirm link present.  html may be NULL.
 */
int doi_check_template(const char *subject, const char *text, const char *html, struct mo_err *err);

#endif
