/*
 * ledger.c - appends consent events.  The database refuses UPDATE and
 * DELETE on the ledger; this is the only writer of consent_events, imported
 * proof included.  Deciding whether an event is allowed, and the audit
 * entry of an admin action, belong to the callers.
 */
#include "ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *num(char *buf, size_t n, long long v)
{
    if (v <= 0)
        return NULL;
    snprintf(buf, n, "%lld", v);
    return buf;
}

int ledger_append(struct db *db, const struct ledger_event *ev, long long *id, struct mo_err *err)
{
    char cid[24], tid[24], ctid[24], rid[24];
    const char *p[] = {
        num(cid, sizeof(cid), ev->contact_id),
        num(tid, sizeof(tid), ev->topic_id),
        ev->kind,
        ev->occurred_at,
        ev->email_entered,
        ev->ip,
        ev->user_agent,
        ev->source ? ev->source : "unknown",
        ev->channel ? ev->channel : "cli",
        ev->actor ? ev->actor : "system",
        num(ctid, sizeof(ctid), ev->consent_text_id),
        ev->locale,
        ev->privacy_notice,
        ev->controller,
        num(rid, sizeof(rid), ev->request_id),
        ev->token_sha256,
        ev->age_attested < 0 ? NULL
        : ev->age_attested   ? "true"
                             : "false",
        ev->message_id,
        ev->note,
        ev->receipt_sha256,
    };
    PGresult *r = db_exec(db, Q_LEDGER_APPEND, p, 20, err);
    if (r == NULL)
        return -1;
    if (id)
        *id = db_int(r, 0, "id");
    PQclear(r);
    return 0;
}

int ledger_revoke(struct db *db, const struct ledger_revocation *rv, int *changed,
                  struct mo_err *err)
{
    char cid[24], tid[24];
    PGresult *r;

    *changed = 0;
    snprintf(cid, sizeof(cid), "%lld", rv->contact_id);
    /* one round trip: the SQL function ledger_revoke() (sql/0022) */
    const char *p[] = {cid,
                       num(tid, sizeof(tid), rv->topic_id),
                       rv->channel,
                       rv->source,
                       rv->actor,
                       rv->note,
                       rv->message_id,
                       rv->ip,
                       rv->user_agent,
                       rv->skip_if_same ? "true" : "false"};
    if ((r = db_exec(db, Q_LEDGER_REVOKE, p, 10, err)) == NULL)
        return -1;
    *changed = db_bool(r, 0, "changed");
    PQclear(r);
    return 0;
}

int ledger_pause(struct db *db, const struct ledger_revocation *rv, int months, int *changed,
                 struct mo_err *err)
{
    char cid[24], mon[12];
    PGresult *r;

    *changed = 0;
    if (months < 0 || months > LEDGER_PAUSE_MONTHS_MAX)
        return mo_err_set(err, MO_E_INPUT, "invalid pause of %d months (1 to %d, or 0 to resume)",
                          months, LEDGER_PAUSE_MONTHS_MAX);
    if (rv->contact_id <= 0)
        return mo_err_set(err, MO_E_INTERNAL, "pause: no contact");
    if (snprintf(cid, sizeof(cid), "%lld", rv->contact_id) >= (int)sizeof(cid) ||
        snprintf(mon, sizeof(mon), "%d", months) >= (int)sizeof(mon))
        return mo_err_set(err, MO_E_INTERNAL, "pause: number does not fit");
    if (rv->skip_if_same) {
        const char *p[] = {cid, mon};
        if ((r = db_exec(db, Q_PAUSE_SAME, p, 2, err)) == NULL)
            return -1;
        int same = db_bool(r, 0, "same");
        PQclear(r);
        if (same)
            return 0;
    }
    const char *p[] = {cid,
                       mon,
                       rv->ip,
                       rv->user_agent,
                       rv->source ? rv->source : "unknown",
                       rv->channel ? rv->channel : "cli",
                       rv->actor ? rv->actor : "system",
                       rv->message_id,
                       rv->note};
    if ((r = db_exec(db, Q_LEDGER_PAUSE, p, 9, err)) == NULL)
        return -1;
    PQclear(r);
    *changed = 1;
    return 0;
}

int ledger_import_proofs(struct db *db, const char *file_label, long *n, struct mo_err *err)
{
    const char *p[] = {file_label};
    PGresult *r = db_exec(db, Q_LEDGER_IMPORT_PROOF, p, 1, err);

    *n = 0;
    if (r == NULL)
        return -1;
    *n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

int ledger_expire_run(struct db *db, long long run_id, const char *source, long long *n,
                      struct mo_err *err)
{
    char id[24];
    const char *p[] = {id, source};
    PGresult *r;

    *n = 0;
    snprintf(id, sizeof(id), "%lld", run_id);
    r = db_exec(db, Q_LEDGER_EXPIRE_RUN, p, 2, err);
    if (r == NULL)
        return -1;
    *n = strtoll(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}
