/*
 * contact.h - contacts: CSV import (all-or-nothing or skip-invalid, with
 * imported consent proof) and the full view of one contact.
 */
#ifndef MAILOUT_CONTACT_H
#define MAILOUT_CONTACT_H

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "suppress.h"

struct contact_import_opts {
    int skip_invalid;
    const char *attributes; /* comma-separated declared custom attribute columns, or NULL */
};

struct contact_import_stats {
    long rows;             /* data rows read */
    long loaded;           /* rows stored (new or merged into existing contacts) */
    long rejected;         /* invalid rows */
    long suppressed;       /* rows whose address is on the suppression list */
    long consents;         /* imported consent proofs recorded */
    long consents_refused; /* proofs not recorded: the person had opted out */
    long dropped_columns;  /* columns not mapped and not declared */
};

/*
 * Imports contacts from a CSV file.  Each problem is passed to report() as
 * "FILE:LINE: reason" (or "FILE: ..." for file-level notes).  Without
 * skip_invalid any bad row means nothing is loaded: -1 with MO_E_INPUT.
 * A plain import creates no consent; proof columns create 'granted' events
 * marked as imported.
 */
int contact_import(struct db *db, const struct config *cfg, const char *path,
                   const struct contact_import_opts *o, struct contact_import_stats *st,
                   void (*report)(const char *msg, void *arg), void *arg, struct mo_err *err);

/*
 * Builds the whole record of one contact: attributes, consent state per
 * topic, objection, and the ledger with its proof.  Caller frees with
 * json_decref().  MO_E_NOTFOUND when unknown.
 */
json_t *contact_show(struct db *db, const char *email, struct mo_err *err);

/*
 * Finds or creates a contact by address; *created tells which.  addr_hmac
 * is suppress_hash() of norm: stored on a new contact, and on an existing
 * one that predates the column.  -1 with err.
 */
int contact_ensure(struct db *db, const char *email, const char *norm, const char *addr_hmac,
                   const char *source, long long *id, int *created, struct mo_err *err);

/*
 * Fills contacts.addr_hmac where it is NULL (contacts stored before the
 * column existed), in batches that each commit by themselves: call outside
 * a transaction.  *filled (may be NULL) gets the number of contacts filled.
 */
int contact_backfill_hmac(struct db *db, const struct suppress_key *k, long *filled,
                          struct mo_err *err);

#endif
