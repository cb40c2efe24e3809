/*
 * chain.h - hash chains over the consent ledger and the send records
 * (issue 12), and the check of every chain (audit verify).
 *
 * Rows are appended on the hot paths without any global lock (an AFTER
 * INSERT trigger queues each in chain_pending, sql/0025); a sealing step (a
 * background thread of serve/run, the start of every verify, and erasure)
 * links the pending rows into chain_links in batches.  Personal fields
 * enter a link only as a keyed hash (pii_mac) under a key derived from the
 * suppression key, so erasure leaves every chain valid.
 *
 * Each column of consent_events and send_records is classified once, in
 * chain.c (chain_column_class()):
 *   - personal: consent_events.email_entered, .ip, .user_agent and
 *     send_records.smtp_reply.  They enter only pii_mac; erasure sets exactly
 *     these to NULL (and only on rows whose contact gets erased_at);
 *   - digest: every other column.
 * A column neither list names (a later migration forgot chain.c) stops the
 * sealer and verify with an error naming it, so none escapes silently.
 *
 * Link of a row (all hex SHA-256, lower case):
 *   pii_mac = HMAC(chain key, ser(personal columns))
 *   digest  = SHA-256(ser(digest columns + ("pii_mac", pii_mac)))
 *   hash    = SHA-256(prev_hash "|" chain "|" seq "|" row_id "|" digest)
 * where chain key = HMAC-SHA-256(suppression key, "mailout chain v1") and
 * ser() concatenates, sorted by column name, LEN ":" NAME LEN ":" VALUE for
 * each non-NULL column (VALUE: to_jsonb's text of the value, times in UTC),
 * so a nullable column added later leaves older digests valid.
 */
#ifndef MAILOUT_CHAIN_H
#define MAILOUT_CHAIN_H

#include "db.h"
#include "err.h"
#include "suppress.h"

enum chain_col_class {
    CHAIN_COL_UNKNOWN = 0, /* not classified: an error for the sealer and verify */
    CHAIN_COL_DIGEST,      /* enters the digest as it is */
    CHAIN_COL_PERSONAL     /* enters only pii_mac; erasure nulls it */
};

/* The class of column col of table (consent_events or send_records). */
enum chain_col_class chain_column_class(const char *table, const char *col);

/*
 * The personal columns of table, NULL-terminated (static): what erasure
 * sets to NULL.  NULL for a table without a chain.
 */
const char *const *chain_personal_columns(const char *table);

/*
 * Seals every pending row of every chain (in batches of 1000 rows, each
 * its own transaction under an advisory lock only sealers take).  Call it
 * outside a transaction.  Returns the number of rows sealed, or -1 with err
 * (MO_E_INTERNAL naming an unclassified column; database errors as db.h).
 */
long chain_seal(struct db *db, const struct suppress_key *k, struct mo_err *err);

/* What chain_verify() found for one chain (audit_log, consent, send). */
struct chain_verify_result {
    const char *chain;
    long long entries; /* entries checked */
    char head[65];     /* hash of the last entry ("" when empty) */
};

#define CHAIN_VERIFY_CHAINS 3

/*
 * Seals first (chain_seal), then checks in one snapshot: the audit log
 * (each entry's hash recomputed with audit_log_hash, prev_hash linkage, seq
 * from 1 without gaps or duplicates), then the consent and send chains
 * (link hash linkage, seq continuity, each link's row present and its
 * digest recomputed, every history row linked or pending).  A row whose
 * personal columns are all NULL and whose contact has erased_at keeps its
 * stored pii_mac; every other row's pii_mac is recomputed.
 * res gets CHAIN_VERIFY_CHAINS entries.  0 when everything is intact;
 * -1 with err: MO_E_INPUT naming the first broken entry, e.g.
 * "consent_events id 42 (consent chain seq 17): edited (digest differs)",
 * or the database's error.
 */
int chain_verify(struct db *db, const struct suppress_key *k,
                 struct chain_verify_result res[CHAIN_VERIFY_CHAINS], struct mo_err *err);

/* The sealer thread of serve and run: chain_seal about once a second. */
struct chain_worker;
/* Starts it (its own database connection; loads the key itself).  cfg is borrowed. */
struct chain_worker *chain_worker_start(const struct config *cfg, struct mo_err *err);
/* Asks the thread to stop; returns at once.  NULL: no-op. */
void chain_worker_request_stop(struct chain_worker *w);
/* Stops and frees it, waiting up to wait_ms: 0 when it ended, 1 when not (leave the process). */
int chain_worker_stop(struct chain_worker *w, int wait_ms);

#endif
