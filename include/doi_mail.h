/*
 * doi_mail.h - the mails of double opt-in: the confirmation mail (its
 * token, its message) and, once confirmed, the consent receipt
 * (receipt.h); and the queue that sends both after the HTTP answer.
 *
 * doi_subscribe() queues one mail per request inside its transaction
 * (doi_mail_enqueue); a sender claims due mails with a lease, commits the
 * claim, builds each message through compose.h, sends the batch over one
 * transport session and reads each reply with transport_classify(): 2xx
 * sent; 4xx or a failed session deferred with exponential backoff until the
 * token expires; 5xx failed with its code and reply.  A request that was
 * confirmed, expired or voided (doi_request_voided()) is never mailed.
 *
 * Tokens are not stored.  token = base64url(HMAC-SHA-256(K, "doi:" ||
 * request_id || ":" || nonce)) with a random nonce kept in the queue row and
 * K = HMAC-SHA-256(suppression key, "mailout doi token key v1"): the key
 * file stays outside the database, so a copy of the database cannot
 * confirm anything.  The receipt's preference links use the same key:
 * token = base64url(HMAC-SHA-256(K, "receipt:" || request_id || ":" ||
 * topic || ":" || nonce)), one per topic, with the receipt row's nonce.
 *
 * A receipt mail is sent once its request is confirmed, unless the address
 * is suppressed by then; the sender rebuilds the receipt from the queued
 * draft and the derived links and sends it only when its SHA-256 is the one
 * on the ledger.  Deferred receipts are given up after five days.
 */
#ifndef MAILOUT_DOI_MAIL_H
#define MAILOUT_DOI_MAIL_H

#include <stddef.h>

#include "config.h"
#include "crypto.h"
#include "db.h"
#include "err.h"
#include "suppress.h"
#include "transport.h"

/* Most mails one doi_mail_run() claims and sends over one session. */
#define DOI_MAIL_BATCH 20
/* Longest sender (lease owner) id. */
#define DOI_MAIL_OWNER_MAX 128

/* The key tokens are derived with. */
struct doi_mail_key {
    unsigned char k[CRYPTO_TOKEN_BYTES];
};

/* Derives K from the suppression key. */
void doi_mail_key_derive(const struct suppress_key *sk, struct doi_mail_key *key);
/* Loads the suppression key (suppress_key_load) and derives K; -1 with err. */
int doi_mail_key_load(struct db *db, const struct config *cfg, struct doi_mail_key *key,
                      struct mo_err *err);
/* Wipes the key. */
void doi_mail_key_wipe(struct doi_mail_key *key);
/* Derives the token of a request from its nonce (see the top of this file). */
void doi_mail_token(const struct doi_mail_key *key, long long request_id, const char *nonce,
                    char token[CRYPTO_TOKEN_LEN + 1]);

/* Derives the token of a receipt's preference link for one topic (see the top of this file). */
void doi_mail_receipt_token(const struct doi_mail_key *key, long long request_id, const char *topic,
                            const char *nonce, char token[CRYPTO_TOKEN_LEN + 1]);

/* Writes a fresh sender id ("host:pid:random") for leases into out. */
int doi_mail_owner_id(char out[DOI_MAIL_OWNER_MAX], struct mo_err *err);

/*
 * What the confirmation mail says: the values a template may use that do
 * not come from the configuration.  All borrowed.
 */
struct doi_mail_content {
    const char *locale;        /* language of the template (en, de, ...) */
    const char *rcpt;          /* the address to send to (printable ASCII) */
    const char *const *titles; /* topic titles */
    size_t ntitles;
    const char *expires; /* ISO 8601 expiry of the token */
    long long days;      /* days the link works (at least 1) */
};

/*
 * Builds the confirmation mail once with a placeholder token: checks the
 * template (doi_check_template) and every header (addresses, subject) before
 * anything is stored.  0, or -1 with err (MO_E_INPUT for a bad template or
 * header value, MO_E_NOINPUT for a missing template file).
 */
int doi_mail_check(const struct config *cfg, const char *data_dir, const struct doi_mail_content *c,
                   struct mo_err *err);

/*
 * Queues the mail of a request inside the caller's transaction.  owner NULL:
 * free for any sender, which is woken by NOTIFY at commit.  owner set: the
 * row is leased to that sender, which sends it at once with
 * doi_mail_run(only_owned) - the CLI's `subscribe`.
 */
int doi_mail_enqueue(struct db *db, long long request_id, const char *nonce, const char *owner,
                     struct mo_err *err);

/*
 * Queues the receipt mail of a confirmed request inside the caller's
 * transaction (free for any sender, woken at commit): nonce is the one its
 * links were derived from, draft the receipt without links (receipt_draft).
 */
int doi_mail_enqueue_receipt(struct db *db, long long request_id, const char *nonce,
                             const char *draft, struct mo_err *err);

struct doi_mail_opts {
    long max;          /* mails to claim, 1..DOI_MAIL_BATCH */
    const char *owner; /* this sender's id (doi_mail_owner_id) */
    int only_owned;    /* 1: only mails already leased to owner (queued by this process) */
};

/* The outcome of one mail. */
struct doi_mail_result {
    long long request_id;
    int receipt; /* 1: the receipt mail; 0: the confirmation mail */
    long long contact_id;
    enum transport_result result;
    int code;        /* SMTP reply code; 0 when there was none */
    char reply[256]; /* reply text, or why the session or the message failed */
    int gave_up;     /* deferred, but the token expires before the next attempt: failed */
};

struct doi_mail_stats {
    long claimed;
    long sent;
    long deferred;
    long failed;
    long cancelled;              /* not mailed: request closed, or (receipt) address suppressed */
    struct doi_mail_result last; /* the last mail handled (for the CLI's report) */
};

/*
 * Sends one batch: cancels the mails of closed requests, claims up to
 * o->max due mails (FOR UPDATE SKIP LOCKED, a lease, committed before any
 * SMTP traffic), builds and sends them over one session and records each
 * outcome.  st is reset first.  Returns 0 when the batch ran (mails may still
 * be deferred or failed: see st), -1 with err when the database failed; a
 * transport failure is recorded on the mails, not returned.
 */
int doi_mail_run(struct db *db, const struct config *cfg, const char *data_dir,
                 const struct doi_mail_opts *o, struct doi_mail_stats *st, struct mo_err *err);

/* Gives up the leases an owner still holds (its mails are tried again at once). */
int doi_mail_release(struct db *db, const char *owner, struct mo_err *err);

/*
 * A background sender: one thread with its own database connection that
 * LISTENs for new mails (and polls every second), and works the queue until
 * stopped.  cfg and data_dir are borrowed and must outlive it.
 */
struct doi_mail_worker;

struct doi_mail_worker *doi_mail_worker_start(const struct config *cfg, const char *data_dir,
                                              struct mo_err *err);
/* Asks the worker to stop after its current batch; returns at once. */
void doi_mail_worker_request_stop(struct doi_mail_worker *w);
/*
 * Asks the worker to stop after its current batch and waits up to wait_ms.
 * Returns 0 when it stopped (everything freed), or 1 when it is still inside
 * an SMTP session (a hanging relay): its leases are then released so its
 * mails are tried again, and the worker is left running - the caller must
 * end the process promptly without freeing cfg.
 */
int doi_mail_worker_stop(struct doi_mail_worker *w, int wait_ms);

#endif
