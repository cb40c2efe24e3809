/*
 * campaign.c - campaigns and the use cases of the legal-basis engine.
 *
 * The decisions come from the SQL functions of sql/0012_legal_basis.sql,
 * called over the campaign's segment (segment_exec() puts the compiled
 * segment into the query-table statement).  Nothing here decides a basis:
 * this file only chooses whom to ask, records runs and shapes the answers.
 */
#include "campaign.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "audit.h"
#include "buf.h"
#include "contact.h"
#include "ledger.h"
#include "segment.h"
#include "send_window.h"
#include "sensitive.h"
#include "suppress.h"
#include "topic.h"
#include "utf8.h"
#include "xalloc.h"

#define LIST_MAX 100 /* skus or categories a campaign may promote */
#define SKU_MAX  128

struct list {
    char *item[LIST_MAX];
    int n;
};

static void list_free(struct list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->item[i]);
    l->n = 0;
}

static int path_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int start = i == 0 || s[i - 1] == '/';
        unsigned char ch = (unsigned char)s[i];
        if (start && !(islower(ch) || isdigit(ch)))
            return 0;
        if (!(islower(ch) || isdigit(ch) || ch == '_' || ch == '-' || ch == '/'))
            return 0;
    }
    return s[n - 1] != '/';
}

static int sku_valid(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > SKU_MAX || !utf8_valid(s, n))
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f || s[i] == ',')
            return 0;
    return 1;
}

/* Splits a comma-separated option into trimmed, checked, distinct items. */
static int list_parse(const char *opt, const char *what, int (*valid)(const char *), struct list *l,
                      struct mo_err *err)
{
    const char *p = opt;

    l->n = 0;
    if (opt == NULL)
        return 0;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *item;
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        item = xstrndup(p, len);
        if (!valid(item)) {
            struct buf b;
            buf_init(&b, 0);
            buf_put_shown(&b, item, strlen(item), 80);
            mo_err_set(err, MO_E_INPUT, "invalid %s '%s'", what, b.s);
            buf_release(&b);
            free(item);
            list_free(l);
            return -1;
        }
        int dup = 0;
        for (int i = 0; i < l->n; i++)
            dup |= strcmp(l->item[i], item) == 0;
        if (dup) {
            free(item);
        } else if (l->n == LIST_MAX) {
            free(item);
            list_free(l);
            return mo_err_set(err, MO_E_INPUT, "too many %ss: at most %d", what, LIST_MAX);
        } else {
            l->item[l->n++] = item;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

/* A PostgreSQL text[] literal of the items (each double-quoted and escaped). */
static void list_literal(const struct list *l, struct buf *b)
{
    buf_putc(b, '{');
    for (int i = 0; i < l->n; i++) {
        if (i)
            buf_putc(b, ',');
        buf_putc(b, '"');
        for (const char *s = l->item[i]; *s; s++) {
            if (*s == '"' || *s == '\\')
                buf_putc(b, '\\');
            buf_putc(b, *s);
        }
        buf_putc(b, '"');
    }
    buf_putc(b, '}');
}

static json_t *list_json(const struct list *l)
{
    json_t *a = json_array();
    for (int i = 0; i < l->n; i++)
        json_array_append_new(a, json_string(l->item[i]));
    return a;
}

/* Looks up one id by name; MO_E_NOTFOUND "unknown WHAT 'NAME'". */
static int find_id(struct db *db, enum query_id q, const char *what, const char *name,
                   long long *id, struct mo_err *err)
{
    const char *p[] = {name};
    PGresult *r = db_exec(db, q, p, 1, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return mo_err_set(err, MO_E_NOTFOUND, "unknown %s '%s'", what, name);
    }
    *id = db_int(r, 0, "id");
    PQclear(r);
    return 0;
}

/* The first item of l the check query returns (unknown sku, empty category). */
static int list_check(struct db *db, enum query_id q, const struct list *l, const char *col,
                      struct mo_err *err)
{
    struct buf lit;
    PGresult *r;
    int rc = 0;

    if (l->n == 0)
        return 0;
    buf_init(&lit, 0);
    list_literal(l, &lit);
    {
        const char *p[] = {lit.s};
        r = db_exec(db, q, p, 1, err);
    }
    buf_release(&lit);
    if (r == NULL)
        return -1;
    if (PQntuples(r) > 0)
        rc = q == Q_CAMPAIGN_UNKNOWN_SKU
                 ? mo_err_set(err, MO_E_NOTFOUND, "unknown sku '%s'", db_val(r, 0, col))
                 : mo_err_set(err, MO_E_NOTFOUND, "no product in category '%s' or below it",
                              db_val(r, 0, col));
    PQclear(r);
    return rc;
}

int campaign_create(struct db *db, const struct config *cfg, const struct campaign_new *c,
                    long long *id_out, struct mo_err *err)
{
    struct list skus = {{0}, 0}, cats = {{0}, 0};
    struct buf sl, cl;
    long long topic_id, template_id, segment_id, entity_id, id;
    const char *entity = c->legal_entity ? c->legal_entity : cfg->legal_entity;
    char ts[24], tp[24], sg[24], en[24];
    PGresult *r;
    int rc = -1, in_tx = 0;

    buf_init(&sl, 0);
    buf_init(&cl, 0);
    if (!topic_name_valid(c->name)) {
        mo_err_set(err, MO_E_INPUT,
                   "invalid campaign name '%s': use 1-63 lower-case letters, digits, '_', '.' or "
                   "'-', starting with a letter or digit",
                   c->name);
        goto out;
    }
    if (entity == NULL || *entity == '\0') {
        mo_err_set(err, MO_E_INPUT,
                   "a campaign needs the sender's legal entity: set legal_entity in the "
                   "configuration or pass --legal-entity NAME");
        goto out;
    }
    if (strlen(entity) > 200 || !utf8_valid_str(entity) || strpbrk(entity, "\r\n\t") != NULL) {
        mo_err_set(err, MO_E_INPUT,
                   "invalid legal entity name: at most 200 characters of UTF-8 "
                   "on one line");
        goto out;
    }
    if (list_parse(c->promotes, "sku", sku_valid, &skus, err) < 0 ||
        list_parse(c->categories, "category path", path_valid, &cats, err) < 0)
        goto out;
    list_literal(&skus, &sl);
    list_literal(&cats, &cl);

    if (db_begin(db, err) < 0)
        goto out;
    in_tx = 1;
    if (find_id(db, Q_TOPIC_FIND, "topic", c->topic, &topic_id, err) < 0 ||
        find_id(db, Q_CAMPAIGN_TEMPLATE_ID, "template", c->template_name, &template_id, err) < 0 ||
        find_id(db, Q_SEGMENT_LOAD, "segment", c->segment, &segment_id, err) < 0 ||
        list_check(db, Q_CAMPAIGN_UNKNOWN_SKU, &skus, "sku", err) < 0 ||
        list_check(db, Q_CAMPAIGN_EMPTY_CATEGORY, &cats, "path", err) < 0)
        goto out;
    {
        const char *p[] = {entity};
        if ((r = db_exec(db, Q_LEGAL_ENTITY_ENSURE, p, 1, err)) == NULL)
            goto out;
        entity_id = db_int(r, 0, "id");
        PQclear(r);
    }
    snprintf(ts, sizeof(ts), "%lld", topic_id);
    snprintf(tp, sizeof(tp), "%lld", template_id);
    snprintf(sg, sizeof(sg), "%lld", segment_id);
    snprintf(en, sizeof(en), "%lld", entity_id);
    {
        const char *p[] = {c->name, ts, tp, sg, en, sl.s, cl.s};
        r = db_exec(db, Q_CAMPAIGN_INSERT, p, 7, err);
        if (r == NULL) {
            if (err->code == MO_E_CONFLICT) {
                err->code = MO_E_OK;
                mo_err_set(err, MO_E_CONFLICT, "campaign '%s' exists", c->name);
            }
            goto out;
        }
        id = db_int(r, 0, "id");
        PQclear(r);
    }
    if (audit_append_json(db, c->actor, "campaign.create", c->name,
                          json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:o}", "campaign",
                                    (json_int_t)id, "topic", c->topic, "template", c->template_name,
                                    "segment", c->segment, "legal_entity", entity, "promotes",
                                    list_json(&skus), "categories", list_json(&cats)),
                          err) < 0)
        goto out;
    if (db_commit(db, err) < 0)
        goto out;
    in_tx = 0;
    if (id_out)
        *id_out = id;
    rc = 0;
out:
    if (in_tx)
        db_rollback(db);
    list_free(&skus);
    list_free(&cats);
    buf_release(&sl);
    buf_release(&cl);
    return rc;
}

/* --- explain --- */

struct campaign_row {
    long long id;
    long long topic_id;
    char *name, *topic, *segment, *legal_entity;
};

static void campaign_row_free(struct campaign_row *c)
{
    free(c->name);
    free(c->topic);
    free(c->segment);
    free(c->legal_entity);
    memset(c, 0, sizeof(*c));
}

static int campaign_get(struct db *db, enum query_id q, const char *name, struct campaign_row *c,
                        struct mo_err *err)
{
    const char *p[] = {name};
    PGresult *r = db_exec(db, q, p, 1, err);

    memset(c, 0, sizeof(*c));
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return mo_err_set(err, MO_E_NOTFOUND, "unknown campaign '%s'", name);
    }
    c->id = db_int(r, 0, "id");
    c->topic_id = db_int(r, 0, "topic_id");
    c->name = xstrdup(db_val(r, 0, "name"));
    c->topic = xstrdup(db_val(r, 0, "topic"));
    c->segment = xstrdup(db_val(r, 0, "segment"));
    c->legal_entity = xstrdup(db_val(r, 0, "legal_entity"));
    PQclear(r);
    return 0;
}

/*
 * issue 13 (h-sensitive): loads the campaign's segment compiled for its
 * topic (sensitive predicates hold only under explicit consent) and checks
 * the sensitive attributes its segment and template use (sensitive.h);
 * *sens gets the check's array, *refused the attributes without an
 * explicit consent text.
 */
static int load_checked(struct db *db, const struct config *cfg, const struct campaign_row *c,
                        int at_param, int first_param, struct segment_sql *seg, json_t **sens,
                        int *refused, struct mo_err *err)
{
    char tid[24];

    *sens = NULL;
    snprintf(tid, sizeof(tid), "%lld", c->topic_id);
    if (segment_load_for(db, c->segment, cfg->contact_attributes, tid, at_param, first_param, seg,
                         err) < 0)
        return -1;
    *sens = sensitive_campaign_check(db, cfg->contact_attributes, c->id, c->topic_id, c->topic,
                                     seg->sensitive, seg->nsensitive, refused, err);
    return *sens ? 0 : -1;
}

static void iso(time_t t, char out[32])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0';
}

json_t *campaign_explain(struct db *db, const struct config *cfg, const char *name, time_t at,
                         struct mo_err *err)
{
    struct campaign_row c;
    struct segment_sql seg = {0};
    json_t *out = NULL, *basis, *excluded;
    PGresult *r = NULL;
    char id[24], ats[32];
    long long total = 0;
    json_t *sens = NULL;
    int refused = 0;

    if (campaign_get(db, Q_CAMPAIGN_GET, name, &c, err) < 0)
        return NULL;
    if (load_checked(db, cfg, &c, 2, 3, &seg, &sens, &refused, err) < 0)
        goto out;
    snprintf(id, sizeof(id), "%lld", c.id);
    iso(at, ats);
    {
        const char *p[] = {id, ats};
        r = segment_exec(db, Q_CAMPAIGN_EXPLAIN, &seg, p, 2, err);
    }
    if (r == NULL)
        goto out;
    basis = json_object();
    excluded = json_object();
    for (int i = 0; i < PQntuples(r); i++) {
        long long n = db_int(r, i, "n");
        json_object_set_new(strcmp(db_val(r, i, "kind"), "basis") == 0 ? basis : excluded,
                            db_val(r, i, "key"), json_integer(n));
        total += n;
    }
    out = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "campaign", c.name, "segment", c.segment,
                    "at", ats, "total", (json_int_t)total, "basis", basis, "excluded", excluded,
                    "sensitive", sens);
    sens = NULL;
out:
    json_decref(sens);
    PQclear(r);
    segment_sql_free(&seg);
    campaign_row_free(&c);
    return out;
}

static json_t *str_or_null(const PGresult *r, int row, const char *col)
{
    return db_isnull(r, row, col) ? json_null() : json_string(db_val(r, row, col));
}

static json_t *path_step(const char *rule, const char *result, const char *detail)
{
    return json_pack("{s:s, s:s, s:s}", "rule", rule, "result", result, "detail", detail);
}

json_t *campaign_explain_contact(struct db *db, const struct config *cfg, const char *name,
                                 const char *email, time_t at, struct mo_err *err)
{
    struct campaign_row c;
    struct segment_sql seg = {0};
    json_t *out = NULL, *path = NULL;
    PGresult *r = NULL;
    char *norm = NULL, id[24], cid[24], ats[32], detail[512];
    long long contact;
    int member, refused = 0;
    json_t *sens = NULL;

    if (campaign_get(db, Q_CAMPAIGN_GET, name, &c, err) < 0)
        return NULL;
    if (address_normalize(email, &norm, err) < 0)
        goto out;
    {
        const char *p[] = {norm};
        if ((r = db_exec(db, Q_CONTACT_FIND, p, 1, err)) == NULL)
            goto out;
        if (PQntuples(r) == 0) {
            mo_err_set(err, MO_E_NOTFOUND, "no contact with the address %s", norm);
            goto out;
        }
        contact = db_int(r, 0, "id");
        PQclear(r);
        r = NULL;
    }
    if (load_checked(db, cfg, &c, 2, 3, &seg, &sens, &refused, err) < 0)
        goto out;
    snprintf(id, sizeof(id), "%lld", c.id);
    snprintf(cid, sizeof(cid), "%lld", contact);
    iso(at, ats);
    {
        const char *p[] = {cid, ats};
        if ((r = segment_exec(db, Q_CAMPAIGN_IN_SEGMENT, &seg, p, 2, err)) == NULL)
            goto out;
        member = db_bool(r, 0, "member");
        PQclear(r);
        r = NULL;
    }
    path = json_array();
    if (!member && seg.nsensitive > 0) /* issue 13: say why a sensitive predicate may not hold */
        snprintf(detail, sizeof(detail),
                 "not in segment %s (its sensitive attribute '%s' counts only for contacts who "
                 "consented to topic '%s' under a text explicit for it)",
                 c.segment, seg.sensitive[0], c.topic);
    else
        snprintf(detail, sizeof(detail), "%s segment %s", member ? "in" : "not in", c.segment);
    json_array_append_new(path, path_step("segment", member ? "pass" : "fail", detail));
    if (!member) {
        out = json_pack("{s:s, s:s, s:s, s:s, s:n, s:s, s:o, s:{s:n, s:n, s:n}}", "campaign",
                        c.name, "at", ats, "email", norm, "decision", "excluded", "basis", "reason",
                        "not_in_segment", "path", path, "evidence", "consent_event", "order_id",
                        "relation");
        path = NULL;
        if (out)
            json_object_set(out, "sensitive", sens);
        goto out;
    }
    {
        const char *p[] = {id, cid, ats};
        if ((r = db_exec(db, Q_CAMPAIGN_PATH, p, 3, err)) == NULL)
            goto out;
        for (int i = 0; i < PQntuples(r); i++)
            json_array_append_new(path, path_step(db_val(r, i, "rule"), db_val(r, i, "result"),
                                                  db_val(r, i, "detail")));
        PQclear(r);
        if ((r = db_exec(db, Q_CAMPAIGN_DECIDE_ONE, p, 3, err)) == NULL)
            goto out;
    }
    {
        int has = !db_isnull(r, 0, "basis");
        json_t *ce = db_isnull(r, 0, "consent_event_id")
                         ? json_null()
                         : json_integer(db_int(r, 0, "consent_event_id"));
        out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:{s:o, s:o, s:o}}", "campaign",
                        c.name, "at", ats, "email", norm, "decision", has ? "basis" : "excluded",
                        "basis", str_or_null(r, 0, "basis"), "reason", str_or_null(r, 0, "reason"),
                        "path", path, "evidence", "consent_event", ce, "order_id",
                        str_or_null(r, 0, "order_id"), "relation", str_or_null(r, 0, "relation"));
        path = NULL;
        if (out)
            json_object_set(out, "sensitive", sens);
    }
out:
    json_decref(sens);
    json_decref(path);
    PQclear(r);
    free(norm);
    segment_sql_free(&seg);
    campaign_row_free(&c);
    return out;
}

json_t *campaign_explain_since(struct db *db, const struct config *cfg, const char *name, time_t at,
                               long limit, struct mo_err *err)
{
    struct campaign_row c;
    struct segment_sql seg = {0};
    json_t *out = NULL, *list;
    PGresult *r = NULL;
    char id[24], run[24], ats[32], lim[24], *run_at = NULL;
    json_t *sens = NULL;
    int refused = 0;

    if (campaign_get(db, Q_CAMPAIGN_GET, name, &c, err) < 0)
        return NULL;
    snprintf(id, sizeof(id), "%lld", c.id);
    {
        const char *p[] = {id};
        if ((r = db_exec(db, Q_CAMPAIGN_LAST_RUN, p, 1, err)) == NULL)
            goto out;
        if (PQntuples(r) == 0) {
            mo_err_set(err, MO_E_NOTFOUND,
                       "campaign '%s' has no run yet: nothing to compare with (campaign send, "
                       "or a scheduled occurrence, builds one)",
                       name);
            goto out;
        }
        snprintf(run, sizeof(run), "%s", db_val(r, 0, "id"));
        run_at = xstrdup(db_val(r, 0, "created_at"));
        PQclear(r);
        r = NULL;
    }
    if (load_checked(db, cfg, &c, 2, 5, &seg, &sens, &refused, err) < 0)
        goto out;
    iso(at, ats);
    snprintf(lim, sizeof(lim), "%ld", limit);
    {
        const char *p[] = {id, ats, run, lim};
        if ((r = segment_exec(db, Q_CAMPAIGN_SINCE, &seg, p, 4, err)) == NULL)
            goto out;
    }
    list = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        if (db_isnull(r, i, "email"))
            continue;
        json_array_append_new(list,
                              json_pack("{s:s, s:s, s:s}", "email", db_val(r, i, "email"), "was",
                                        db_val(r, i, "was"), "now", db_val(r, i, "now")));
    }
    out = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:o}", "campaign", c.name, "at", ats,
                    "last_run", (json_int_t)strtoll(run, NULL, 10), "last_run_at", run_at, "gained",
                    (json_int_t)db_int(r, 0, "gained"), "lost", (json_int_t)db_int(r, 0, "lost"),
                    "changed", (json_int_t)db_int(r, 0, "changed"), "contacts", list);
    if (out)
        json_object_set(out, "sensitive", sens);
out:
    json_decref(sens);
    PQclear(r);
    free(run_at);
    segment_sql_free(&seg);
    campaign_row_free(&c);
    return out;
}

/* --- building a run --- */

int campaign_run_prepare(struct db *db, const struct config *cfg, struct mo_err *err)
{
    struct suppress_key key;
    int rc;

    /* every contact needs its keyed hash before suppression can be a join */
    if (suppress_key_load(db, cfg, &key, err) < 0)
        return -1;
    rc = contact_backfill_hmac(db, &key, NULL, err);
    explicit_bzero(&key, sizeof(key));
    return rc;
}

int campaign_build_run_in(struct db *db, const struct config *cfg, const char *name,
                          time_t scheduled_for, const char *actor, struct campaign_run_stats *st,
                          struct mo_err *err)
{
    struct campaign_row c;
    struct segment_sql seg = {0};
    PGresult *r = NULL;
    json_t *detail;
    char id[24], run[24], ats[32], sched[32], source[64];
    int rc = -1, refused = 0;
    json_t *sens = NULL;

    memset(st, 0, sizeof(*st));
    memset(&c, 0, sizeof(c));
    r = db_exec_sql(db, "SET LOCAL jit = off", err);
    if (r == NULL)
        goto out;
    PQclear(r);
    r = NULL;
    if (campaign_get(db, Q_CAMPAIGN_GET_FOR_UPDATE, name, &c, err) < 0)
        goto out;
    /* a sensitive attribute without explicit consent (Art. 9(2)(a)): no run at all */
    if (load_checked(db, cfg, &c, 2, 4, &seg, &sens, &refused, err) < 0)
        goto out;
    if (refused) {
        for (size_t i = 0; i < json_array_size(sens); i++) {
            json_t *o = json_array_get(sens, i);
            if (!json_is_true(json_object_get(o, "allowed"))) {
                mo_err_set(err, MO_E_INPUT, "campaign '%s': %s", c.name,
                           json_string_value(json_object_get(o, "message")));
                break;
            }
        }
        goto out;
    }
    snprintf(id, sizeof(id), "%lld", c.id);
    if (scheduled_for)
        iso(scheduled_for, sched);
    {
        const char *p[] = {id, scheduled_for ? sched : NULL};
        if ((r = db_exec(db, Q_CAMPAIGN_OPEN_RUN, p, 1, err)) == NULL)
            goto out;
        if (PQntuples(r) > 0) {
            st->open_run = db_int(r, 0, "id");
            snprintf(st->open_state, sizeof(st->open_state), "%s", db_val(r, 0, "state"));
            mo_err_set(err, MO_E_CONFLICT,
                       "campaign '%s' has a run that is not finished (run %s, %s): wait for it, "
                       "or cancel it",
                       name, db_val(r, 0, "id"), db_val(r, 0, "state"));
            goto out;
        }
        PQclear(r);
        if ((r = db_exec(db, Q_CAMPAIGN_RUN_INSERT, p, 2, err)) == NULL)
            goto out;
        st->run_id = db_int(r, 0, "id");
        PQclear(r);
        r = NULL;
    }
    snprintf(run, sizeof(run), "%lld", st->run_id);
    iso(time(NULL), ats);
    {
        const char *p[] = {id, ats, run};
        if ((r = segment_exec(db, Q_CAMPAIGN_RUN_DECIDE, &seg, p, 3, err)) == NULL)
            goto out;
        PQclear(r);
    }
    {
        const char *p[] = {run};
        if ((r = db_exec(db, Q_CAMPAIGN_RUN_QUEUE, p, 1, err)) == NULL)
            goto out;
        PQclear(r);
        r = NULL;
        /* issue 11 (h-window): recipients outside the send window wait for its opening */
        if (send_window_defer_run(db, st->run_id, &st->window_wait, err) < 0)
            goto out;
        if ((r = db_exec(db, Q_CAMPAIGN_RUN_COUNTS, p, 1, err)) == NULL)
            goto out;
        st->considered = db_int(r, 0, "considered");
        st->queued = db_int(r, 0, "queued");
        st->excluded = st->considered - st->queued;
        PQclear(r);
        r = NULL;
        if (st->queued == 0 && db_run(db, Q_CAMPAIGN_RUN_DONE, p, 1, err) < 0)
            goto out;
    }
    snprintf(source, sizeof(source), "campaign run %lld", st->run_id);
    if (ledger_expire_run(db, st->run_id, source, &st->expired, err) < 0)
        goto out;
    detail = json_pack("{s:I, s:I, s:I, s:I, s:I}", "run", (json_int_t)st->run_id, "considered",
                       (json_int_t)st->considered, "queued", (json_int_t)st->queued, "excluded",
                       (json_int_t)st->excluded, "consents_expired", (json_int_t)st->expired);
    if (scheduled_for)
        json_object_set_new(detail, "scheduled_for", json_string(sched));
    if (audit_append_json(db, actor, "campaign.send", c.name, detail, err) < 0)
        goto out;
    rc = 0;
out:
    json_decref(sens);
    PQclear(r);
    segment_sql_free(&seg);
    campaign_row_free(&c);
    if (rc < 0)
        st->run_id = 0;
    return rc;
}

int campaign_build_run(struct db *db, const struct config *cfg, const char *name, const char *actor,
                       struct campaign_run_stats *st, struct mo_err *err)
{
    memset(st, 0, sizeof(*st));
    if (campaign_run_prepare(db, cfg, err) < 0)
        return -1;
    if (db_begin(db, err) < 0)
        return -1;
    if (campaign_build_run_in(db, cfg, name, 0, actor, st, err) < 0 || db_commit(db, err) < 0) {
        db_rollback(db);
        st->run_id = 0;
        return -1;
    }
    return 0;
}
