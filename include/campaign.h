/*
 * campaign.h - campaigns and the legal-basis engine's use cases: create,
 * explain (counts, one contact's path, changes since the last run) and
 * building a run's send queue.
 *
 * The engine itself is SQL (sql/0012_legal_basis.sql: legal_basis_facts,
 * legal_basis, legal_basis_path); this module only picks the contacts (the
 * campaign's segment), calls it and shapes what it says.  Explain writes
 * nothing; building a run is one transaction with its audit entry.
 */
#ifndef MAILOUT_CAMPAIGN_H
#define MAILOUT_CAMPAIGN_H

#include <time.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "err.h"

struct campaign_new {
    const char *name;
    const char *topic;
    const char *template_name;
    const char *segment;
    const char *promotes;     /* comma-separated skus, or NULL */
    const char *categories;   /* comma-separated category paths, or NULL */
    const char *legal_entity; /* NULL: the configured legal_entity */
    const char *actor;
};

/*
 * Creates a campaign.  MO_E_NOTFOUND names an unknown topic, template,
 * segment or sku, or a category no product is in; MO_E_INPUT a bad name or
 * path, or no legal entity at all; MO_E_CONFLICT an existing name.  A new
 * legal entity is created.  Audited (campaign.create).  *id may be NULL.
 */
int campaign_create(struct db *db, const struct config *cfg, const struct campaign_new *c,
                    long long *id, struct mo_err *err);

/*
 * The counts of explain at time at:
 * {"campaign": NAME, "segment": S, "at": ISO, "total": N,
 *  "basis": {every basis: N}, "excluded": {every reason: N}}.
 */
json_t *campaign_explain(struct db *db, const struct config *cfg, const char *name, time_t at,
                         struct mo_err *err);

/*
 * One contact's decision (INTERFACE.md "campaign explain --json"), with
 * "not_in_segment" for a contact outside the segment.  MO_E_NOTFOUND for an
 * unknown campaign or address.
 */
json_t *campaign_explain_contact(struct db *db, const struct config *cfg, const char *name,
                                 const char *email, time_t at, struct mo_err *err);

/*
 * Who gained, lost or changed a basis since the last run was built:
 * {"campaign", "last_run", "last_run_at", "gained": N, "lost": N, "changed": N,
 *  "contacts": [{"email", "was", "now", "was_basis", "now_basis"} ...]} listing
 * at most limit contacts.  MO_E_NOTFOUND when the campaign has no run yet.
 */
json_t *campaign_explain_since(struct db *db, const struct config *cfg, const char *name, time_t at,
                               long limit, struct mo_err *err);

struct campaign_run_stats {
    long long run_id;
    long long considered; /* contacts in the segment */
    long long queued;     /* with a basis: one send_queue row each */
    long long excluded;
    long long expired;   /* consents that lapsed, recorded in the ledger now */
    long window_wait;    /* queued rows outside the send window: due at its next opening */
    long long open_run;  /* on MO_E_CONFLICT: the run not finished yet */
    char open_state[16]; /* and its state */
};

/*
 * Builds a run now: decides every contact of the segment, records every
 * decision, queues one send row per contact with a basis, records the
 * 'expired' ledger event of each lapsed consent once, and audits
 * campaign.send; all in one transaction.  A campaign whose last run is not
 * done or cancelled is MO_E_CONFLICT.  Sends nothing.
 */
int campaign_build_run(struct db *db, const struct config *cfg, const char *name, const char *actor,
                       struct campaign_run_stats *st, struct mo_err *err);

/*
 * What building a run needs before its transaction: every contact's keyed
 * address hash (so suppression is a join).  Commits as it goes; 0 or -1.
 */
int campaign_run_prepare(struct db *db, const struct config *cfg, struct mo_err *err);

/*
 * The body of campaign_build_run inside the caller's transaction (the
 * scheduler's, which records the occurrence in the same one): call
 * campaign_run_prepare first, outside it.  scheduled_for (0: none) is stored
 * in campaign_runs.scheduled_for and the audit detail.  The decisions are
 * made at the moment of the call.  MO_E_CONFLICT with st->open_run and
 * st->open_state when the last run is not done or cancelled (nothing
 * written).  On any error the caller rolls back (or to a savepoint it set).
 */
int campaign_build_run_in(struct db *db, const struct config *cfg, const char *name,
                          time_t scheduled_for, const char *actor, struct campaign_run_stats *st,
                          struct mo_err *err);

#endif
