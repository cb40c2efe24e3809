/*
 * webhook.h - delivers the CRM webhook outbox (table webhook_outbox).
 *
 * Every consent change (confirmed, withdrawn, objected, suppressed, and
 * those later issues add) inserts one outbox row in its own transaction;
 * this module POSTs the rows to webhook_url with libcurl and records the
 * outcome.  It never writes a row's event or payload.
 *
 * The request: the row's payload (a JSON object) with "id" (the outbox id,
 * the event id to deduplicate by) added, as PostgreSQL's jsonb text, the
 * same byte for byte on every attempt; headers Content-Type:
 * application/json, X-Mailout-Event: EVENT, X-Mailout-Event-Id: ID,
 * X-Mailout-Timestamp: UNIX (seconds, taken at each attempt) and
 * X-Mailout-Signature: v1=HEX with HEX the lower-case hex
 * HMAC-SHA-256(secret, TIMESTAMP "." BODY) under the first line of
 * webhook_secret_file.  A receiver recomputes it, compares in constant time,
 * and rejects a timestamp more than 5 minutes from its clock: a captured
 * request can then not be replayed later, and a replay within the window
 * repeats an id the receiver has already seen.
 *
 * Outcome: a 2xx delivers the row.  A transport error (DNS, connect, TLS,
 * send or receive, timeout), a 429 or a 5xx is retried after a backoff of
 * webhook_backoff_base * 2^(attempts-1), at most an hour, with jitter (a
 * random part of up to half), until webhook_max_attempts attempts have
 * failed: then the row is a dead letter.  Any other answer (3xx: redirects
 * are never followed; 4xx) is a dead letter at once.  `webhook retry` gives
 * dead letters a fresh round of attempts.
 *
 * Order per contact: a row is never sent while an older row of the same
 * contact is neither delivered nor dead.  A dead letter does not hold back
 * the contact's later events; when it is retried it may reach the receiver
 * after them, so receivers apply an event only when its id is higher than
 * the last id they applied for that contact (ids grow in the order of the
 * changes).
 *
 * At least once: a deliverer claims one due row at a time with a lease
 * (FOR UPDATE SKIP LOCKED, locked_until/locked_by, committed), POSTs outside
 * any transaction and then records the outcome.  A deliverer that dies
 * between the POST and the record leaves the lease to expire (webhook_timeout
 * + 5 s after the claim); the row is then sent again with the same id and
 * body.  Receivers deduplicate by id.
 */
#ifndef MAILOUT_WEBHOOK_H
#define MAILOUT_WEBHOOK_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "err.h"

/* Longest deliverer (lease owner) id. */
#define WEBHOOK_OWNER_MAX 128
/* Longest secret line read from webhook_secret_file, and the shortest accepted. */
#define WEBHOOK_SECRET_MAX 1024
#define WEBHOOK_SECRET_MIN 16
/* Most response body bytes kept (the rest is read and dropped). */
#define WEBHOOK_RESPONSE_MAX 4096
/* The lease beyond webhook_timeout, for recording the outcome. */
#define WEBHOOK_LEASE_MARGIN_MS 5000
/* Longest backoff. */
#define WEBHOOK_BACKOFF_MAX_MS 3600000LL

/* What one attempt came to. */
enum webhook_outcome {
    WEBHOOK_DELIVERED = 0, /* 2xx */
    WEBHOOK_RETRY,         /* transport error, timeout, 429 or 5xx: try again later */
    WEBHOOK_REJECTED,      /* any other status: a dead letter at once */
    WEBHOOK_INTERRUPTED,   /* cut short by a stop: not counted, due again at once */
};

/*
 * Classifies an attempt from libcurl's result code (CURLcode as int; a POST
 * cut short by webhook_sender_stop_at is CURLE_ABORTED_BY_CALLBACK) and the
 * HTTP status (0 when none).  Pure.
 */
enum webhook_outcome webhook_classify(int curl_code, long status);

/*
 * The pause before the next attempt after `attempts` attempts (>= 1) have
 * failed: base_ms * 2^(attempts-1), at most WEBHOOK_BACKOFF_MAX_MS, minus a
 * jitter of up to half of it taken from rnd (uniform over its range).  Pure.
 */
long long webhook_backoff_ms(long long base_ms, long attempts, unsigned rnd);

/*
 * Writes "v1=" and the lower-case hex HMAC-SHA-256(secret, "TS.BODY") into
 * out (3 + 64 + 1 bytes).
 */
#define WEBHOOK_SIGNATURE_LEN (3 + 64)
void webhook_sign(const char *secret, size_t secret_len, long long ts, const char *body,
                  size_t body_len, char out[WEBHOOK_SIGNATURE_LEN + 1]);

/*
 * Checks webhook_url as config.c does at load time: an https:// URL, or
 * http:// to a loopback host (127.0.0.0/8, ::1, localhost); no user name or
 * password in it.  0, or -1 with why (n bytes) set.
 */
int webhook_url_check(const char *url, char *why, size_t n);

/* One deliverer's libcurl handle, secret and settings (one thread at a time). */
struct webhook_sender;

/*
 * Reads the secret (fileio_read_secret: not group- or world-readable, at
 * least WEBHOOK_SECRET_MIN bytes) and prepares a libcurl handle for
 * cfg->webhook_url.  cfg is borrowed and must outlive the sender.  NULL with
 * err: MO_E_USAGE when webhook_url or webhook_secret_file is unset,
 * MO_E_NOINPUT/MO_E_INPUT for the secret file (naming the key).
 */
struct webhook_sender *webhook_sender_new(const struct config *cfg, struct mo_err *err);
/* NULL is a no-op.  Wipes the secret. */
void webhook_sender_free(struct webhook_sender *s);
/*
 * Once the monotonic clock (monotime_ms) passes deadline_ms, a POST in
 * flight is cut short (checked every 100 ms).  Safe to call from any thread.
 */
void webhook_sender_stop_at(struct webhook_sender *s, long long deadline_ms);

/* The outcome of one row. */
struct webhook_result {
    long long id;
    long long contact_id; /* 0 when none */
    char event[32];
    long attempts; /* after this attempt */
    long status;   /* HTTP status, 0 when none */
    enum webhook_outcome outcome;
    int dead;        /* now a dead letter */
    char error[256]; /* why it failed ("" when delivered) */
};

struct webhook_stats {
    long claimed;
    long delivered;
    long failed; /* attempts that failed (retried or dead) */
    long dead;
    long interrupted;
    struct webhook_result last;
};

/*
 * Delivers one due row, if any: claims it with a lease (committed), POSTs it
 * outside any transaction, records the outcome.  st is reset first;
 * st->claimed is 0 when nothing was due.  owner is this deliverer's id
 * (webhook_owner_id).  0, or -1 with err when the database failed (a failed
 * POST is recorded, not returned).
 */
int webhook_run_one(struct db *db, struct webhook_sender *s, const char *owner,
                    struct webhook_stats *st, struct mo_err *err);

/* Writes a fresh deliverer id ("host:pid:random") into out. */
int webhook_owner_id(char out[WEBHOOK_OWNER_MAX], struct mo_err *err);

/* The outbox at a glance (webhook status, /metrics). */
struct webhook_totals {
    long long pending;         /* neither delivered nor dead */
    long long in_flight;       /* of those, leased to a deliverer now */
    long long delivered;       /* ever */
    long long dead;            /* dead letters now */
    long long failed_attempts; /* ever */
    long long oldest_pending;  /* age in seconds of the oldest pending row, -1 when none */
};

/* Reads the totals; -1 with err. */
int webhook_totals_read(struct db *db, struct webhook_totals *t, struct mo_err *err);

/*
 * Appends the webhook metrics to a /metrics text: the counters
 * mailout_webhook_delivered_total and mailout_webhook_failed_attempts_total,
 * the gauges mailout_webhook_pending, mailout_webhook_dead and
 * mailout_webhook_oldest_pending_seconds.  0, or -1 when out's max would be
 * exceeded.
 */
int webhook_metrics_render(const struct webhook_totals *t, struct buf *out);

/*
 * The dead letters, oldest first, at most max: a JSON array of objects
 * {id, event, contact_id, attempts, last_status, last_error, dead_at}.
 * Caller frees with json_decref(); NULL with err.
 */
json_t *webhook_dead_list(struct db *db, long max, struct mo_err *err);

/*
 * Gives dead letters a fresh round of attempts (attempts 0, due now): every
 * one, or only the one with id (> 0).  One transaction with its audit entry
 * (webhook.retry, under actor, with the ids).  *n gets the number queued.
 * An id that is no dead letter: MO_E_NOTFOUND, nothing changed.
 */
int webhook_retry(struct db *db, const char *actor, long long id, long long *n, struct mo_err *err);

/*
 * A contact's webhook deliveries, oldest first: a JSON array of objects
 * {id, event, state (pending|sending|delivered|dead), attempts, last_status,
 * last_error, created_at, delivered_at, dead_at}.  Caller frees; NULL with err.
 */
json_t *webhook_contact_deliveries(struct db *db, long long contact_id, struct mo_err *err);

/*
 * A background deliverer: one thread with its own database connection and
 * libcurl handle that delivers due rows, polling every second while nothing
 * is due (and waiting a second after a failed attempt, so a receiver that
 * is down gets at most one attempt a second).  cfg is borrowed and must
 * outlive it.  The secret is read here: NULL with err as
 * webhook_sender_new().  Needs curl_global_init() before.
 */
struct webhook_worker;

struct webhook_worker *webhook_worker_start(const struct config *cfg, struct mo_err *err);
/*
 * Asks the worker to stop; returns at once.  A POST in flight may finish
 * within grace_ms, then it is cut short (the row is due again at once).
 */
void webhook_worker_request_stop(struct webhook_worker *w, int grace_ms);
/*
 * Stops the worker (request_stop with wait_ms as the grace if not asked yet)
 * and waits up to wait_ms.  0 when it stopped (everything freed), 1 when it
 * is still running (its leases are released; the caller must end the
 * process promptly without freeing cfg).  NULL: 0.
 */
int webhook_worker_stop(struct webhook_worker *w, int wait_ms);

#endif
