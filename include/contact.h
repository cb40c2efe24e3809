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
    const char *actor;      /* who imports, for the audit entry: "cli:USER", "admin:NAME" */
};

/*
 * What an import did; the summary line "loaded N, rejected N, suppressed N,
 * dropped N" reads loaded, rejected, suppressed and dropped.  Every data row
 * is exactly one of: rejected, suppressed, dropped, or stored (as one of the
 * loaded contacts, or merged into another row of the file with the same
 * address), so rows = rejected + suppressed + dropped + loaded + merged.
 * After a failure nothing is stored: loaded and merged are 0, the other
 * counts say what the rows read so far were.
 */
struct contact_import_stats {
    long rows;             /* data rows read */
    long loaded;           /* contacts stored (created or updated), each address once */
    long merged;           /* valid rows folded into a row of the file with the same address */
    long rejected;         /* invalid rows, each reported as FILE:LINE */
    long suppressed;       /* valid rows whose address is on the suppression list */
    long dropped;          /* valid rows not stored for another reason: none in a contact
                              import (kept so every import reports the same line) */
    long consents;         /* imported consent proofs recorded */
    long consents_refused; /* proofs not recorded: the person had opted out, or under age */
    long dropped_columns;  /* columns not mapped and not declared */
};

/*
 * Imports contacts from a CSV file in one transaction, with its audit entry
 * (contact.import, under o->actor).  Each problem is passed to report() as
 * "FILE:LINE: reason" (or "FILE: ..." for file-level notes), the message
 * built whole whatever the length of path.  Without skip_invalid any bad row
 * means nothing is loaded: -1 with MO_E_INPUT.  Addresses are stored
 * without surrounding spaces and tabs; email_norm holds the normalised form
 * (IDN domains as A-labels).  A plain import creates no consent; proof
 * columns create 'granted' events marked as imported (ledger_import_proofs).
 * *st is filled on success and on failure.
 */
int contact_import(struct db *db, const struct config *cfg, const char *path,
                   const struct contact_import_opts *o, struct contact_import_stats *st,
                   void (*report)(const char *msg, void *arg), void *arg, struct mo_err *err);

/*
 * Builds the whole record of one contact: attributes, consent state per
 * topic, objection, the latest pause of all marketing ("pause": running,
 * until, since, consent_event; null when never paused), the ledger with
 * its proof (a paused event with its paused_until), and its CRM webhook
 * deliveries ("webhooks": webhook_contact_deliveries()).  Caller frees with
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

/* Finds a contact by normalized address: 1 found (*id set), 0 unknown, -1 with err. */
int contact_find_id(struct db *db, const char *norm, long long *id, struct mo_err *err);

/*
 * Fills contacts.addr_hmac where it is NULL (contacts stored before the
 * column existed), in batches that each commit by themselves: call outside
 * a transaction.  *filled (may be NULL) gets the number of contacts filled.
 */
int contact_backfill_hmac(struct db *db, const struct suppress_key *k, long *filled,
                          struct mo_err *err);

#endif
