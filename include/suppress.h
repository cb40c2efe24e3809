/*
 * suppress.h - the keyed hashes of the do-not-contact list.
 *
 * The key lives in suppression_key_file, outside the database: created with
 * mode 0600 on first use, refused when group- or world-readable.  Only
 * HMAC-SHA-256 values of normalized addresses reach the database.
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

/* Loads (or creates) the key named by the configuration; -1 with err naming the file. */
int suppress_key_load(const struct config *cfg, struct suppress_key *k, struct mo_err *err);
/* Writes the hex HMAC of a normalized address into out (65 bytes). */
void suppress_hash(const struct suppress_key *k, const char *norm, char out[65]);
/* 1 when the normalized address is suppressed, 0 when not, -1 with err. */
int suppress_check(struct db *db, const struct suppress_key *k, const char *norm,
                   struct mo_err *err);

#endif
