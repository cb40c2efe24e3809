/*
 * dsr.c - the data-subject request log of dsr.h: the Art. 12(3) month
 * arithmetic, and the use cases add, extend, done (each its own transaction
 * and audit entry), the closing of matching requests inside another use
 * case's transaction, the list, and the overdue figures for /metrics and
 * doctor.  It never stores, logs or audits an address: the keyed hash and
 * the contact id name the person.
 */
#include "dsr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "audit.h"
#include "buf.h"
#include "doctor.h"
#include "isotime.h"
#include "log.h"
#include "queries.h"
#include "suppress.h"
#include "utf8.h"

#define DSR_YEAR_MIN    2000
#define DSR_EXTEND_TO   3 /* months from receipt: one, and two further (Art. 12(3)) */
#define DSR_DUE_MONTHS  1
#define DSR_DOCTOR_LIST 10 /* overdue requests named in doctor's line */

int dsr_month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

struct dsr_date dsr_add_months(struct dsr_date from, int n)
{
    struct dsr_date to;
    int months = from.y * 12 + (from.m - 1) + n;
    int last;

    to.y = months / 12;
    to.m = months % 12 + 1;
    last = dsr_month_days(to.y, to.m);
    to.d = from.d > last ? last : from.d;
    return to;
}

void dsr_date_format(struct dsr_date d, char out[DSR_DATE_LEN])
{
    /* the year stays within 0..9999 + 1 for every date isodate_parse accepts */
    snprintf(out, DSR_DATE_LEN, "%04u-%02u-%02u", (unsigned)d.y % 10000u, (unsigned)d.m % 100u,
             (unsigned)d.d % 100u);
}

int dsr_date_parse(const char *s, const char *field, struct dsr_date *out, struct mo_err *err)
{
    if (isodate_parse(s, &out->y, &out->m, &out->d) < 0)
        return mo_err_set(err, MO_E_INPUT, "invalid %s '%s': not a real date YYYY-MM-DD", field, s);
    if (out->y < DSR_YEAR_MIN)
        return mo_err_set(err, MO_E_INPUT, "invalid %s '%s': before %d", field, s, DSR_YEAR_MIN);
    return 0;
}

static int in_list(const char *s, const char *const *list)
{
    for (; s && *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

int dsr_kind_valid(const char *kind)
{
    static const char *const kinds[] = {"access", "erasure", "objection", "rectification", NULL};
    return in_list(kind, kinds);
}

int dsr_channel_valid(const char *channel)
{
    static const char *const channels[] = {"email", "web", "post", "phone", "other", NULL};
    return in_list(channel, channels);
}

int dsr_reason_check(const char *reason, struct mo_err *err)
{
    size_t n = reason ? strlen(reason) : 0;

    if (n == 0)
        return mo_err_set(err, MO_E_INPUT, "invalid --reason: empty (an extension needs reasons)");
    if (n > DSR_REASON_MAX)
        return mo_err_set(err, MO_E_INPUT, "invalid --reason: longer than %d bytes",
                          DSR_REASON_MAX);
    if (!utf8_valid(reason, n))
        return mo_err_set(err, MO_E_INPUT, "invalid --reason: not UTF-8");
    for (const unsigned char *p = (const unsigned char *)reason; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid --reason: control character (CR, LF, TAB, ...) at byte %zu",
                              (size_t)(p - (const unsigned char *)reason) + 1);
    if (strchr(reason, '@') != NULL)
        return mo_err_set(err, MO_E_INPUT,
                          "invalid --reason: contains '@' (the request log keeps no address)");
    return 0;
}

/* today (UTC) from the database, the clock the due dates are checked against */
static int today(struct db *db, struct dsr_date *out, struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_DSR_TODAY, NULL, 0, err);
    int rc;

    if (r == NULL)
        return -1;
    rc = isodate_parse(db_val(r, 0, "today"), &out->y, &out->m, &out->d);
    PQclear(r);
    if (rc < 0)
        return mo_err_set(err, MO_E_INTERNAL, "request: the database's date is unreadable");
    return 0;
}

static int date_cmp(struct dsr_date a, struct dsr_date b)
{
    long long x = (long long)a.y * 10000 + a.m * 100 + a.d;
    long long y = (long long)b.y * 10000 + b.m * 100 + b.d;
    return x < y ? -1 : x > y;
}

static void copy_date(char dst[DSR_DATE_LEN], const char *src)
{
    snprintf(dst, DSR_DATE_LEN, "%s", src); /* the database prints 10 characters */
}

int dsr_add(struct db *db, const struct config *cfg, const struct dsr_new *req,
            struct dsr_info *out, struct mo_err *err)
{
    struct suppress_key key;
    struct dsr_date received, now, due;
    char *norm = NULL;
    char hmac[65], cid[24], rid[24], obj[40];
    const char *channel = req->channel ? req->channel : "email";
    PGresult *r = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    if (!dsr_kind_valid(req->kind))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid --kind '%s' (access, erasure, objection, rectification)",
                          req->kind ? req->kind : "");
    if (!dsr_channel_valid(channel))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid --channel '%s' (email, web, post, phone, other)", channel);
    if (req->received && dsr_date_parse(req->received, "--received", &received, err) < 0)
        return -1;
    if (address_normalize(req->email, &norm, err) < 0)
        return -1;
    if (suppress_key_load(db, cfg, &key, err) < 0)
        goto out;
    suppress_hash(&key, norm, hmac);
    explicit_bzero(&key, sizeof(key));

    if (db_begin(db, err) < 0)
        goto out;
    if (today(db, &now, err) < 0)
        goto fail;
    if (!req->received)
        received = now;
    else if (date_cmp(received, now) > 0) {
        char t[DSR_DATE_LEN];
        dsr_date_format(now, t);
        mo_err_set(err, MO_E_INPUT, "invalid --received '%s': in the future (today is %s UTC)",
                   req->received, t);
        goto fail;
    }
    due = dsr_add_months(received, DSR_DUE_MONTHS);
    dsr_date_format(received, out->received_on);
    dsr_date_format(due, out->due_on);
    {
        const char *p[] = {norm, hmac};
        if ((r = db_exec(db, Q_DSR_FIND_CONTACT, p, 2, err)) == NULL)
            goto fail;
        if (PQntuples(r) > 0)
            out->contact_id = db_int(r, 0, "id");
        PQclear(r);
    }
    snprintf(cid, sizeof(cid), "%lld", out->contact_id); /* at most 20 characters */
    {
        const char *p[] = {out->contact_id ? cid : NULL,
                           hmac,
                           req->kind,
                           channel,
                           out->received_on,
                           out->due_on,
                           req->actor};
        if ((r = db_exec(db, Q_DSR_INSERT, p, 7, err)) == NULL)
            goto fail;
        out->id = db_int(r, 0, "id");
        PQclear(r);
    }
    snprintf(rid, sizeof(rid), "%lld", out->id);
    snprintf(obj, sizeof(obj), "request:%lld", out->id); /* fits: at most 28 characters */
    json_t *detail = json_pack("{s:s, s:s, s:s, s:s}", "kind", req->kind, "channel", channel,
                               "received_on", out->received_on, "due_on", out->due_on);
    if (detail)
        json_object_set_new(detail, "contact_id",
                            out->contact_id ? json_integer(out->contact_id) : json_null());
    if (audit_append_json(db, req->actor, "request.add", obj, detail, err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    mo_log(MO_LOG_INFO, "request recorded id=%s kind=%s contact=%lld due=%s", rid, req->kind,
           out->contact_id, out->due_on);
    rc = 0;
    goto out;
fail:
    db_rollback(db);
out:
    explicit_bzero(hmac, sizeof(hmac));
    free(norm);
    return rc;
}

/* locks request id; r holds its row.  -1 with err (MO_E_NOTFOUND when absent) */
static PGresult *lock_request(struct db *db, long long id, struct mo_err *err)
{
    char idbuf[24];
    snprintf(idbuf, sizeof(idbuf), "%lld", id);
    const char *p[] = {idbuf};
    PGresult *r = db_exec(db, Q_DSR_LOCK, p, 1, err);
    if (r != NULL && PQntuples(r) == 0) {
        PQclear(r);
        mo_err_set(err, MO_E_NOTFOUND, "no request with id %lld", id);
        return NULL;
    }
    return r;
}

int dsr_extend(struct db *db, long long id, const char *reason, const char *actor,
               struct dsr_info *out, struct mo_err *err)
{
    struct dsr_date received, to;
    char idbuf[24], obj[40];
    PGresult *r;

    memset(out, 0, sizeof(*out));
    if (dsr_reason_check(reason, err) < 0)
        return -1;
    if (db_begin(db, err) < 0)
        return -1;
    if ((r = lock_request(db, id, err)) == NULL)
        goto fail;
    out->id = id;
    out->contact_id = db_int(r, 0, "contact_id");
    copy_date(out->received_on, db_val(r, 0, "received_on"));
    copy_date(out->due_on, db_val(r, 0, "due_on"));
    int refused = -1;
    if (strcmp(db_val(r, 0, "state"), "open") != 0) {
        refused = mo_err_set(err, MO_E_INPUT, "request %lld is closed: nothing to extend", id);
    } else if (db_bool(r, 0, "extended")) {
        refused =
            mo_err_set(err, MO_E_INPUT,
                       "request %lld is already extended (to %s): Art. 12(3) allows one extension "
                       "by two further months",
                       id, db_val(r, 0, "extended_to"));
    } else if (db_bool(r, 0, "past_due")) {
        refused =
            mo_err_set(err, MO_E_INPUT,
                       "request %lld cannot be extended: its due date %s has passed (today is %s "
                       "UTC); the person must be told of an extension within the first month",
                       id, db_val(r, 0, "due_on"), db_val(r, 0, "today"));
    } else if (isodate_parse(out->received_on, &received.y, &received.m, &received.d) < 0) {
        refused = mo_err_set(err, MO_E_INTERNAL, "request %lld: unreadable receipt date", id);
    } else {
        refused = 0;
    }
    PQclear(r);
    if (refused)
        goto fail;
    to = dsr_add_months(received, DSR_EXTEND_TO);
    dsr_date_format(to, out->extended_to);
    snprintf(idbuf, sizeof(idbuf), "%lld", id);
    {
        const char *p[] = {idbuf, out->extended_to, reason};
        if (db_run(db, Q_DSR_EXTEND, p, 3, err) < 0)
            goto fail;
    }
    snprintf(obj, sizeof(obj), "request:%lld", id);
    if (audit_append_json(db, actor, "request.extend", obj,
                          json_pack("{s:s, s:s, s:s}", "due_on", out->due_on, "extended_to",
                                    out->extended_to, "reason", reason),
                          err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    mo_log(MO_LOG_INFO, "request extended id=%lld to=%s", id, out->extended_to);
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int dsr_done(struct db *db, long long id, const char *actor, struct mo_err *err)
{
    char idbuf[24], obj[40];
    PGresult *r;
    int open;

    if (db_begin(db, err) < 0)
        return -1;
    if ((r = lock_request(db, id, err)) == NULL)
        goto fail;
    open = strcmp(db_val(r, 0, "state"), "open") == 0;
    json_t *detail = json_pack("{s:s}", "via", "manual");
    PQclear(r);
    if (!open) {
        json_decref(detail);
        mo_err_set(err, MO_E_INPUT, "request %lld is already closed", id);
        goto fail;
    }
    snprintf(idbuf, sizeof(idbuf), "%lld", id);
    snprintf(obj, sizeof(obj), "request:%lld", id);
    const char *p[] = {idbuf, actor};
    if (audit_append_json(db, actor, "request.done", obj, detail, err) < 0 ||
        db_run(db, Q_DSR_DONE, p, 2, err) < 0 || db_commit(db, err) < 0)
        goto fail;
    mo_log(MO_LOG_INFO, "request closed id=%lld via=manual", id);
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int dsr_close_matching(struct db *db, long long contact_id, const char *kind, const char *via,
                       const char *action, const char *actor, struct dsr_closed *closed,
                       struct mo_err *err)
{
    char cid[24], obj[40];
    PGresult *r;

    if (closed)
        memset(closed, 0, sizeof(*closed));
    if (actor == NULL)
        actor = "system";
    snprintf(cid, sizeof(cid), "%lld", contact_id);
    const char *p[] = {cid, kind, via, actor, action};
    if ((r = db_exec(db, Q_DSR_CLOSE_MATCHING, p, 5, err)) == NULL)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        long long id = db_int(r, i, "id");
        json_t *detail = json_pack("{s:s, s:s, s:s}", "kind", kind, "via", via, "by", action);
        if (detail && !db_isnull(r, i, "closed_audit_id"))
            json_object_set_new(detail, "audit_id", json_integer(db_int(r, i, "closed_audit_id")));
        snprintf(obj, sizeof(obj), "request:%lld", id);
        if (audit_append_json(db, actor, "request.close", obj, detail, err) < 0) {
            PQclear(r);
            return -1;
        }
        mo_log(MO_LOG_INFO, "request closed id=%lld via=%s contact=%lld", id, via, contact_id);
        if (closed == NULL)
            continue;
        if (closed->n < DSR_CLOSED_MAX)
            closed->ids[closed->n++] = id;
        else
            closed->more++;
    }
    PQclear(r);
    return 0;
}

json_t *dsr_closed_json(const struct dsr_closed *closed)
{
    json_t *a = json_array();
    for (size_t i = 0; closed && i < closed->n; i++)
        json_array_append_new(a, json_integer(closed->ids[i]));
    return a;
}

static json_t *col_str(const PGresult *r, int i, const char *col)
{
    return db_isnull(r, i, col) ? json_null() : json_string(db_val(r, i, col));
}

static json_t *col_int(const PGresult *r, int i, const char *col)
{
    return db_isnull(r, i, col) ? json_null() : json_integer(db_int(r, i, col));
}

json_t *dsr_list(struct db *db, int open_only, int overdue_only, struct mo_err *err)
{
    static const char *const strs[] = {
        "kind",      "channel",     "email",         "subject",     "hash_prefix",   "received_on",
        "due_on",    "extended_to", "extend_reason", "extended_at", "effective_due", "state",
        "closed_at", "closed_by",   "closed_via",    "created_at",  "created_by",    NULL};
    static const char *const ints[] = {"id", "contact_id", "days_left", "closed_audit_id", NULL};
    const char *p[] = {open_only || overdue_only ? "true" : "false",
                       overdue_only ? "true" : "false"};
    PGresult *r = db_exec(db, Q_DSR_LIST, p, 2, err);
    json_t *arr;

    if (r == NULL)
        return NULL;
    arr = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *o = json_object();
        for (const char *const *c = ints; *c; c++)
            json_object_set_new(o, *c, col_int(r, i, *c));
        for (const char *const *c = strs; *c; c++)
            json_object_set_new(o, *c, col_str(r, i, *c));
        json_object_set_new(o, "overdue", json_boolean(db_bool(r, i, "overdue")));
        json_array_append_new(arr, o);
    }
    PQclear(r);
    return arr;
}

int dsr_totals_read(struct db *db, struct dsr_totals *t, struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_DSR_TOTALS, NULL, 0, err);
    if (r == NULL)
        return -1;
    t->open = (unsigned long long)db_int(r, 0, "open");
    t->overdue = (unsigned long long)db_int(r, 0, "overdue");
    PQclear(r);
    return 0;
}

int dsr_metrics_render(const struct dsr_totals *t, struct buf *out)
{
    return buf_printf(out,
                      "# HELP mailout_dsr_open Data-subject requests not yet answered.\n"
                      "# TYPE mailout_dsr_open gauge\nmailout_dsr_open %llu\n"
                      "# HELP mailout_dsr_overdue Data-subject requests open past their due date "
                      "(GDPR Art. 12(3)).\n"
                      "# TYPE mailout_dsr_overdue gauge\nmailout_dsr_overdue %llu\n",
                      t->open, t->overdue) < 0
               ? -1
               : 0;
}

void dsr_doctor_check(struct db *db, struct doctor_report *rep)
{
    struct mo_err e;
    struct buf b;
    PGresult *r;
    int n;

    mo_err_init(&e);
    r = db_exec(db, Q_DSR_OVERDUE, NULL, 0, &e);
    if (r == NULL) {
        doctor_add(rep, DOCTOR_WARNING, "requests", "data-subject requests not read: %s", e.msg);
        return;
    }
    n = PQntuples(r);
    if (n == 0) {
        PQclear(r);
        doctor_add(rep, DOCTOR_OK, "requests", "no data-subject request overdue");
        return;
    }
    buf_init(&b, 4096);
    for (int i = 0; i < n && i < DSR_DOCTOR_LIST; i++)
        buf_printf(&b, "%s%s (%s, %lld day%s)", i ? ", " : "", db_val(r, i, "id"),
                   db_val(r, i, "kind"), db_int(r, i, "days"),
                   db_int(r, i, "days") == 1 ? "" : "s");
    if (n > DSR_DOCTOR_LIST)
        buf_printf(&b, ", ...");
    doctor_add(rep, DOCTOR_WARNING, "requests",
               "%s%d data-subject request%s overdue (GDPR Art. 12(3)): %s; answer them, then "
               "mailout request done ID",
               n == 50 ? "at least " : "", n, n == 1 ? "" : "s", b.s);
    buf_release(&b);
    PQclear(r);
}
