/*
 * chain.h - hash chains over the consent ledger and the send records
 * (issue 12), and the check of every chain (audit verify).
 *
 * Rows are appended on the hot paths without any global lock; a sealing
 * step (a background thread of serve/run, and the start of every verify
 * and erasure) links the pending rows into the chain in batches.  Personal
 * fields (address entered, IP, user agent, SMTP reply) enter a link only as
 * a keyed hash under a key derived from the suppression key, so erasure
 * leaves every chain valid.
 */
#ifndef MAILOUT_CHAIN_H
#define MAILOUT_CHAIN_H

#include "db.h"
#include "err.h"
#include "suppress.h"

/*
 * Seals every pending row of every chain (in batches, each its own
 * transaction).  Returns the number of rows sealed, or -1 with err.
 */
long chain_seal(struct db *db, const struct suppress_key *k, struct mo_err *err);

#endif
