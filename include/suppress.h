/*
 * suppress.h - the keyed hashes of the do-not-contact list.
 *
 * The key lives in suppression_key_file, outside the database; it is
 * refused when group- or world-readable.  The database keeps only the key's
 * fingerprint (table suppression_key) and HMAC-SHA-256 values of normalized
 * addresses (suppression, contacts.addr_hmac).  Once a fingerprint is
 * stored, a missing or different key is an error, never a new key: a lost
 * key must not quietly let an erased address back in.
 */
#ifndef MAILOUT_SUPPRESS_H
#define MAILOUT_SUPPRESS_H

#include <stddef.h>

#include "config.h"
#include "db.h"
#include "err.h"

#define SUPPRESS_KEY_BYTES 32

struct suppress_key {
    unsigned char key[SUPPRESS_KEY_BYTES];
};

/*
 * Loads the key named by suppression_key_file and checks it against the
 * fingerprint stored in the database.  Only while no fingerprint is stored
 * may a missing file be created (mode 0600, 32 random bytes as hex); the
 * fingerprint of the key loaded is then recorded.  -1 with err naming the
 * file and the key: MO_E_UNAVAILABLE when the file is missing or holds
 * another key than the one already used, MO_E_INPUT when it is readable by
 * others or malformed.  Best called outside a transaction, so that the
 * fingerprint is recorded at once.  Wipe k with explicit_bzero() after use.
 */
int suppress_key_load(struct db *db, const struct config *cfg, struct suppress_key *k,
                      struct mo_err *err);
/* Writes the hex HMAC of a normalized address into out (65 bytes). */
void suppress_hash(const struct suppress_key *k, const char *norm, char out[65]);
/* Writes the key's fingerprint (hex HMAC of a fixed label under the key) into out. */
void suppress_fingerprint(const struct suppress_key *k, char out[65]);
/* 1 when the normalized address is suppressed, 0 when not, -1 with err. */
int suppress_check(struct db *db, const struct suppress_key *k, const char *norm,
                   struct mo_err *err);

/*
 * Puts a keyed hash on the do-not-contact list inside the caller's
 * transaction, with reason (admin, hard_bounce, soft_bounces, complaint,
 * erased); a hash already listed keeps its first reason.  When contact_id
 * > 0 and the hash was not listed yet, the CRM webhook outbox gains a
 * 'suppressed' event for that contact.  *added (may be NULL): 1 when the
 * hash is new on the list.  -1 with err.
 */
int suppress_add(struct db *db, const char *addr_hmac, long long contact_id, const char *reason,
                 int *added, struct mo_err *err);

#endif
