/*
 * erase.h - erasure of one person (GDPR Art. 17, R-GDPR-9/10).
 *
 * The work is done by the database function erase_contact() (sql/0026),
 * SECURITY DEFINER and owned by mailout_eraser, the only role allowed to
 * null the personal columns of the history tables.  This module owns the
 * use case around it: it seals the hash chains first (their links take the
 * personal columns as a keyed hash, so erasure leaves them valid), finds
 * the contact by normalized address, and runs the function in one
 * transaction.  The address itself never enters the database or the log.
 */
#ifndef MAILOUT_ERASE_H
#define MAILOUT_ERASE_H

#include "config.h"
#include "db.h"
#include "dsr.h"
#include "err.h"
#include "queries.h"
#include "suppress.h"

struct erase_result {
    long long contact_id;     /* the contact erased, or the tombstone already there */
    int already;              /* 1: the address's keyed hash belongs to a tombstone: nothing done */
    char *counts;             /* JSON object of what was removed (as in the audit entry), or NULL;
                                 release with erase_result_release() */
    struct dsr_closed closed; /* the person's open erasure requests this erasure closed */
};

/*
 * Erases the contact with the address email (normalized as contact import
 * does): loads the suppression key, seals the chains, then in one
 * transaction calls erase_contact() (tombstone, deletions, nulled history
 * columns, suppression entry, 'erased' webhook, audit entry under actor)
 * and closes the person's open erasure requests (dsr_close_matching(),
 * closed_via erase, into res->closed).
 * An address whose keyed hash belongs to an erased tombstone sets
 * res->already and returns 0.  -1 with err: MO_E_INPUT for an invalid
 * address, MO_E_NOTFOUND for an unknown one, the key's and the database's
 * errors otherwise; nothing is written then.
 */
int erase_email(struct db *db, const struct config *cfg, const char *email, const char *actor,
                struct erase_result *res, struct mo_err *err);

/*
 * Erases the live contact id as erase_email() does, when the query guard
 * still selects it: in one transaction the contact's queue rows and row
 * are locked, then guard runs with the parameters (id, guard_arg) and must
 * return a row with the contact's email_norm (whose keyed hash under k
 * goes to the tombstone and the suppression list); a guard that returns
 * nothing (the contact is no longer due: a consent or an order came
 * meanwhile) or an erased or missing contact sets res->already and
 * returns 0 with nothing written.  The chains are sealed before each
 * attempt.  -1 with err (the database's errors).  The retention step of
 * maintenance (retention.h) uses it.
 */
int erase_contact_id(struct db *db, const struct suppress_key *k, long long id, enum query_id guard,
                     const char *guard_arg, const char *actor, struct erase_result *res,
                     struct mo_err *err);

/* Frees what res holds; the struct itself is the caller's. */
void erase_result_release(struct erase_result *res);

#endif
