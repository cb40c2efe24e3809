/*
 * campaign_ctl.c - pause, resume, cancel and retry a campaign's last run;
 * every run's progress; the totals of /metrics.
 *
 * Owns: the run transitions users ask for and what they do to queue rows
 * at once (cancel: queued rows; retry: failed rows).  Does not own: what a
 * worker does with the rows it holds when it sees the new state (dispatch),
 * building runs (campaign.c), printing (cli_campaign_ctl.c).
 */
#include "campaign_ctl.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "send_window.h"

enum ctl_verb { CTL_PAUSE, CTL_RESUME, CTL_CANCEL, CTL_RETRY };

static const char *const verb_name[] = {"pause", "resume", "cancel", "retry"};

static long long cmd_rows(const PGresult *r)
{
    const char *s = PQcmdTuples((PGresult *)r);
    return *s ? strtoll(s, NULL, 10) : 0;
}

static void set_state(char out[16], const char *s)
{
    snprintf(out, 16, "%s", s); /* run states are at most 9 characters */
}

/* Runs an UPDATE of the query table on run; *rows gets the rows it changed. */
static int update(struct db *db, enum query_id q, const char *const *p, int n, long long *rows,
                  struct mo_err *err)
{
    PGresult *r = db_exec(db, q, p, n, err);
    if (r == NULL)
        return -1;
    if (rows)
        *rows = cmd_rows(r);
    PQclear(r);
    return 0;
}

/* The transition of verb from the run's state st into res->to; 0, or -1 with err. */
static int transition(struct db *db, enum ctl_verb verb, const char *name, const char *run,
                      struct campaign_ctl_result *res, struct mo_err *err)
{
    const char *st = res->from;
    int active = strcmp(st, "queued") == 0 || strcmp(st, "sending") == 0;

    switch (verb) {
    case CTL_PAUSE:
        if (strcmp(st, "paused") == 0)
            return 0;
        if (!active)
            break;
        set_state(res->to, "paused");
        return 0;
    case CTL_RESUME:
        if (active)
            return 0;
        if (strcmp(st, "paused") != 0)
            break;
        {
            const char *p[] = {run};
            PGresult *r = db_exec(db, Q_CTL_RUN_EVER_CLAIMED, p, 1, err);
            if (r == NULL)
                return -1;
            set_state(res->to, db_bool(r, 0, "claimed") ? "sending" : "queued");
            PQclear(r);
        }
        return 0;
    case CTL_CANCEL:
        if (strcmp(st, "cancelled") == 0)
            return 0;
        if (strcmp(st, "done") == 0)
            break;
        set_state(res->to, "cancelled");
        return 0;
    case CTL_RETRY:
        if (strcmp(st, "cancelled") == 0)
            break;
        return 0; /* the rows decide; a done run reopens below */
    }
    return mo_err_set(err, MO_E_CONFLICT, "cannot %s campaign '%s': its last run (run %s) is %s",
                      verb_name[verb], name, run, st);
}

static int control(struct db *db, enum ctl_verb verb, const char *name, const char *actor,
                   struct campaign_ctl_result *res, struct mo_err *err)
{
    PGresult *r = NULL;
    char cid[24], run[24];
    int rc = -1;

    memset(res, 0, sizeof(*res));
    if (db_begin(db, err) < 0)
        return -1;
    {
        const char *p[] = {name};
        if ((r = db_exec(db, Q_CTL_CAMPAIGN_LOCK, p, 1, err)) == NULL)
            goto out;
        if (PQntuples(r) == 0) {
            mo_err_set(err, MO_E_NOTFOUND, "unknown campaign '%s'", name);
            goto out;
        }
        snprintf(cid, sizeof(cid), "%s", db_val(r, 0, "id"));
        PQclear(r);
    }
    {
        const char *p[] = {cid};
        if ((r = db_exec(db, Q_CTL_LAST_RUN_LOCK, p, 1, err)) == NULL)
            goto out;
        if (PQntuples(r) == 0) {
            mo_err_set(err, MO_E_CONFLICT,
                       "cannot %s campaign '%s': it has no run yet (campaign send builds one)",
                       verb_name[verb], name);
            goto out;
        }
        res->run_id = db_int(r, 0, "id");
        set_state(res->from, db_val(r, 0, "state"));
        set_state(res->to, res->from);
        PQclear(r);
        r = NULL;
    }
    snprintf(run, sizeof(run), "%lld", res->run_id);
    if (transition(db, verb, name, run, res, err) < 0)
        goto out;
    if (verb == CTL_CANCEL && strcmp(res->to, res->from) != 0) {
        const char *p[] = {run};
        if (update(db, Q_CTL_QUEUE_CANCEL, p, 1, &res->rows, err) < 0)
            goto out;
    }
    if (verb == CTL_RETRY) {
        const char *p[] = {run};
        if (update(db, Q_CTL_QUEUE_RETRY, p, 1, &res->rows, err) < 0)
            goto out;
        if (res->rows > 0 && strcmp(res->from, "done") == 0) {
            if (update(db, Q_CTL_RUN_REOPEN, p, 1, NULL, err) < 0)
                goto out;
            set_state(res->to, "queued");
        }
        res->changed = res->rows > 0;
    } else if (strcmp(res->to, res->from) != 0) {
        const char *p[] = {run, res->to};
        if (update(db, Q_CTL_RUN_SET_STATE, p, 2, NULL, err) < 0)
            goto out;
        res->changed = 1;
    }
    if (res->changed) {
        char action[32];
        snprintf(action, sizeof(action), "campaign.%s", verb_name[verb]);
        if (audit_append_json(db, actor, action, name,
                              json_pack("{s:I, s:s, s:s, s:I}", "run", (json_int_t)res->run_id,
                                        "from", res->from, "to", res->to, "rows",
                                        (json_int_t)res->rows),
                              err) < 0)
            goto out;
        if (db_commit(db, err) < 0)
            goto out;
    } else {
        db_rollback(db);
    }
    rc = 0;
out:
    PQclear(r);
    if (rc < 0)
        db_rollback(db);
    return rc;
}

int campaign_pause(struct db *db, const char *name, const char *actor,
                   struct campaign_ctl_result *res, struct mo_err *err)
{
    return control(db, CTL_PAUSE, name, actor, res, err);
}

int campaign_resume(struct db *db, const char *name, const char *actor,
                    struct campaign_ctl_result *res, struct mo_err *err)
{
    return control(db, CTL_RESUME, name, actor, res, err);
}

int campaign_cancel(struct db *db, const char *name, const char *actor,
                    struct campaign_ctl_result *res, struct mo_err *err)
{
    return control(db, CTL_CANCEL, name, actor, res, err);
}

int campaign_retry(struct db *db, const char *name, const char *actor,
                   struct campaign_ctl_result *res, struct mo_err *err)
{
    return control(db, CTL_RETRY, name, actor, res, err);
}

/* --- status --------------------------------------------------------------- */

/* The counters of one run, filled from its (state, n) rows. */
struct run_counts {
    long long queued, claimed, sending, sent, failed, uncertain, excluded, cancelled, total;
};

static void count_add(struct run_counts *c, const char *state, long long n)
{
    static const struct {
        const char *state;
        size_t off;
    } map[] = {
        {"queued", offsetof(struct run_counts, queued)},
        {"claimed", offsetof(struct run_counts, claimed)},
        {"sending", offsetof(struct run_counts, sending)},
        {"sent", offsetof(struct run_counts, sent)},
        {"failed", offsetof(struct run_counts, failed)},
        {"uncertain", offsetof(struct run_counts, uncertain)},
        {"excluded", offsetof(struct run_counts, excluded)},
        {"cancelled", offsetof(struct run_counts, cancelled)},
    };
    c->total += n;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].state, state) == 0)
            *(long long *)((char *)c + map[i].off) += n;
}

static json_t *run_json(const PGresult *r, int row, const struct run_counts *c)
{
    return json_pack(
        "{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:o}", "run",
        (json_int_t)db_int(r, row, "run"), "state", db_val(r, row, "run_state"), "recipients",
        (json_int_t)c->total, "queued", (json_int_t)(c->queued + c->claimed + c->sending), "sent",
        (json_int_t)c->sent, "failed", (json_int_t)c->failed, "uncertain", (json_int_t)c->uncertain,
        "excluded", (json_int_t)c->excluded, "cancelled", (json_int_t)c->cancelled, "deferred",
        (json_int_t)db_int(r, row, "deferred"), "in_flight", (json_int_t)(c->claimed + c->sending),
        "created_at", db_val(r, row, "created_at"), "finished_at",
        db_isnull(r, row, "finished_at") ? json_null()
                                         : json_string(db_val(r, row, "finished_at")));
}

json_t *campaign_status(struct db *db, const char *name, struct mo_err *err)
{
    PGresult *r;
    json_t *runs, *out;
    char cid[24];

    {
        const char *p[] = {name};
        if ((r = db_exec(db, Q_CTL_CAMPAIGN_ID, p, 1, err)) == NULL)
            return NULL;
        if (PQntuples(r) == 0) {
            PQclear(r);
            mo_err_set(err, MO_E_NOTFOUND, "unknown campaign '%s'", name);
            return NULL;
        }
        snprintf(cid, sizeof(cid), "%s", db_val(r, 0, "id"));
        PQclear(r);
    }
    {
        const char *p[] = {cid};
        if ((r = db_exec(db, Q_CTL_STATUS, p, 1, err)) == NULL)
            return NULL;
    }
    runs = json_array();
    for (int i = 0, n = PQntuples(r); i < n;) {
        struct run_counts c;
        long long run = db_int(r, i, "run");
        int first = i;

        memset(&c, 0, sizeof(c));
        for (; i < n && db_int(r, i, "run") == run; i++)
            if (!db_isnull(r, i, "state"))
                count_add(&c, db_val(r, i, "state"), db_int(r, i, "n"));
        json_array_append_new(runs, run_json(r, first, &c));
    }
    PQclear(r);
    out = json_pack("{s:s, s:o}", "campaign", name, "runs", runs);
    if (out == NULL)
        mo_err_set(err, MO_E_INTERNAL, "cannot build the status of campaign '%s'", name);
    /* issue 11 (h-window): the send window and the rows waiting for it */
    if (out != NULL && send_window_status(db, out, err) < 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

/* --- /metrics ------------------------------------------------------------- */

int campaign_totals_read(struct db *db, struct campaign_totals *t, struct mo_err *err)
{
    static const struct {
        const char *kind, *key;
        size_t off;
    } map[] = {
        {"record", "sent", offsetof(struct campaign_totals, sent)},
        {"record", "failed", offsetof(struct campaign_totals, failed)},
        {"record", "deferred", offsetof(struct campaign_totals, deferred)},
        {"record", "bounced", offsetof(struct campaign_totals, bounced)},
        {"record", "complained", offsetof(struct campaign_totals, complained)},
        {"record", "uncertain", offsetof(struct campaign_totals, uncertain)},
        {"queue", "queued", offsetof(struct campaign_totals, queued)},
        {"queue", "claimed", offsetof(struct campaign_totals, claimed)},
        {"queue", "sending", offsetof(struct campaign_totals, sending)},
        {"queue", "uncertain", offsetof(struct campaign_totals, held_uncertain)},
    };
    PGresult *r = db_exec(db, Q_CTL_METRICS, NULL, 0, err);

    memset(t, 0, sizeof(*t));
    if (r == NULL)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
            if (strcmp(map[k].kind, db_val(r, i, "kind")) == 0 &&
                strcmp(map[k].key, db_val(r, i, "key")) == 0)
                *(unsigned long long *)((char *)t + map[k].off) =
                    (unsigned long long)db_int(r, i, "n");
    PQclear(r);
    return 0;
}
