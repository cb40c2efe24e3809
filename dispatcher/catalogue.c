/*
 * catalogue.c - product import, product and category relations, order
 * import.  Rows are checked here in C and merged in SQL (queries.c) inside
 * one transaction per command, through importer.c.  What a purchase allows
 * (the existing-customer exception) is the legal-basis engine's business,
 * not this module's.
 */
#include "catalogue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "address.h"
#include "audit.h"
#include "contact.h"
#include "isotime.h"
#include "suppress.h"
#include "utf8.h"

#define ORDER_ID_MAX 200
#define NAME_MAX_    200
#define ENTITY_MAX   200

int catalogue_path_valid(const char *s)
{
    size_t n = strlen(s);
    int start = 1;

    if (n == 0 || n > CATALOGUE_PATH_MAX)
        return 0;
    for (const char *p = s; *p; p++) {
        int alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
        if (start) {
            if (!alnum)
                return 0;
            start = 0;
        } else if (*p == '/') {
            start = 1;
        } else if (!alnum && *p != '_' && *p != '-') {
            return 0;
        }
    }
    return !start;
}

/* A required text field: non-empty, at most max bytes, no control characters. */
static int text_ok(struct importer *im, unsigned long line, const char *col, const char *v,
                   size_t max)
{
    if (v == NULL || *v == '\0') {
        importer_reportf(im, line, "%s is empty", col);
        return -1;
    }
    if (strlen(v) > max || importer_has_control(v)) {
        importer_reportf(im, line, "%s is longer than %zu bytes or has control characters", col,
                         max);
        return -1;
    }
    return 0;
}

/* --- product import --- */

enum { P_SKU, P_NAME, P_CATEGORY, P__N };
static const char *const product_cols[P__N] = {"sku", "name", "category"};

static int product_check(struct importer *im, const struct csvin_row *row, const char **v,
                         void *ctx)
{
    (void)ctx;
    if (text_ok(im, row->line, "sku", v[P_SKU], CATALOGUE_SKU_MAX) < 0)
        return -1;
    if (v[P_NAME] && (strlen(v[P_NAME]) > NAME_MAX_ || importer_has_control(v[P_NAME]))) {
        importer_reportf(im, row->line, "name is longer than %d bytes or has control characters",
                         NAME_MAX_);
        return -1;
    }
    if (v[P_CATEGORY] == NULL || *v[P_CATEGORY] == '\0') {
        importer_reportf(im, row->line, "category is empty");
        return -1;
    }
    if (!catalogue_path_valid(v[P_CATEGORY])) {
        importer_reportf(im, row->line,
                         "invalid category '%s': expected a path such as pumps/centrifugal "
                         "(lower-case a-z, 0-9, '_' and '-', segments joined by '/')",
                         importer_show(im, v[P_CATEGORY]));
        return -1;
    }
    importer_field_line(im, row->line);
    importer_field(im, v[P_SKU], 0);
    importer_field(im, v[P_NAME], 0);
    importer_field(im, v[P_CATEGORY], 1);
    return 0;
}

static int fail_bad_rows(const struct import_stats *st, const char *path, struct mo_err *err)
{
    return mo_err_set(err, MO_E_INPUT,
                      "nothing loaded: %ld invalid row%s in '%s' (--skip-invalid loads the rest)",
                      st->rejected, st->rejected == 1 ? "" : "s", path);
}

static void clear_stored(struct import_stats *st)
{
    st->loaded = st->created = st->updated = 0;
    st->contacts_created = st->entities_created = st->categories_created = 0;
}

int catalogue_product_import(struct db *db, const char *path, const struct importer_opts *o,
                             struct import_stats *st, void (*report)(const char *msg, void *arg),
                             void *arg, struct mo_err *err)
{
    static const struct importer_table t = {
        product_cols, P__N, 1u << P_SKU | 1u << P_CATEGORY,
        "CREATE TEMP TABLE import_products (line bigint, sku text, name text, category text)"
        " ON COMMIT DROP",
        "COPY import_products FROM STDIN (FORMAT csv)"};
    struct importer im;
    PGresult *r;
    long n;
    int rc = -1;

    memset(st, 0, sizeof(*st));
    importer_init(&im, db, path, report, arg);
    if (importer_load(&im, &t, product_check, NULL, st, err) < 0)
        goto out;
    if ((n = importer_report_query(&im, Q_PRODUCT_IMPORT_CONFLICTS, err)) < 0)
        goto out;
    st->rejected += n;
    if (st->rejected && !o->skip_invalid) {
        fail_bad_rows(st, path, err);
        goto out;
    }
    if (db_run(db, Q_PRODUCT_IMPORT_DROP_CONFLICTS, NULL, 0, err) < 0)
        goto out;
    if ((st->categories_created = importer_run_count(&im, Q_PRODUCT_IMPORT_CATEGORIES, err)) < 0)
        goto out;
    if ((r = db_exec(db, Q_PRODUCT_IMPORT_MERGE, NULL, 0, err)) == NULL)
        goto out;
    st->loaded = (long)db_int(r, 0, "n");
    st->created = (long)db_int(r, 0, "created");
    st->updated = st->loaded - st->created;
    PQclear(r);
    if (audit_append_json(db, o->actor, "product.import", im.base,
                          json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "file", im.base, "loaded",
                                    (json_int_t)st->loaded, "created", (json_int_t)st->created,
                                    "updated", (json_int_t)st->updated, "rejected",
                                    (json_int_t)st->rejected, "categories_created",
                                    (json_int_t)st->categories_created),
                          err) < 0)
        goto out;
    if (importer_commit(&im, err) < 0)
        goto out;
    rc = 0;
out:
    importer_release(&im);
    if (rc < 0)
        clear_stored(st);
    return rc;
}

/* --- relations --- */

static int arg_ok(const char *what, const char *s, size_t max, struct mo_err *err)
{
    if (*s == '\0' || strlen(s) > max || !utf8_valid_str(s) || importer_has_control(s))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid %s: expected 1 to %zu bytes of UTF-8 without control "
                          "characters",
                          what, max);
    return 0;
}

static int relate_done(struct db *db, PGresult *r, const char *actor, const char *action,
                       json_t *detail, int *created, struct mo_err *err)
{
    *created = PQntuples(r) > 0;
    PQclear(r);
    if (!*created) {
        json_decref(detail);
        return db_commit(db, err);
    }
    if (audit_append_json(db, actor, action, NULL, detail, err) < 0)
        return -1;
    return db_commit(db, err);
}

int catalogue_relate_products(struct db *db, const char *a, const char *b, const char *actor,
                              int *created, struct mo_err *err)
{
    PGresult *r;
    const char *skus[2] = {a, b};

    *created = 0;
    if (arg_ok("sku", a, CATALOGUE_SKU_MAX, err) < 0 ||
        arg_ok("sku", b, CATALOGUE_SKU_MAX, err) < 0)
        return -1;
    if (strcmp(a, b) == 0)
        return mo_err_set(err, MO_E_INPUT, "cannot relate sku '%s' to itself", a);
    if (db_begin(db, err) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const char *p[] = {skus[i]};
        if ((r = db_exec(db, Q_PRODUCT_EXISTS, p, 1, err)) == NULL)
            goto fail;
        int found = PQntuples(r) > 0;
        PQclear(r);
        if (!found) {
            mo_err_set(err, MO_E_NOTFOUND, "unknown sku '%s'", skus[i]);
            goto fail;
        }
    }
    const char *p[] = {a, b};
    if ((r = db_exec(db, Q_PRODUCT_RELATE, p, 2, err)) == NULL)
        goto fail;
    if (relate_done(db, r, actor, "product.relate",
                    json_pack("{s:s, s:s}", "sku_a", strcmp(a, b) < 0 ? a : b, "sku_b",
                              strcmp(a, b) < 0 ? b : a),
                    created, err) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

int catalogue_relate_categories(struct db *db, const char *a, const char *b, const char *actor,
                                int *created, struct mo_err *err)
{
    PGresult *r;
    const char *paths[2] = {a, b};
    char ids[2][24];
    int made[2] = {0, 0};

    *created = 0;
    for (int i = 0; i < 2; i++)
        if (!catalogue_path_valid(paths[i])) {
            struct buf shown;
            buf_init(&shown, 0);
            buf_put_shown(&shown, paths[i], strlen(paths[i]), 100);
            mo_err_set(err, MO_E_INPUT,
                       "invalid category path '%s': expected e.g. pumps/centrifugal "
                       "(lower-case a-z, 0-9, '_' and '-', segments joined by '/')",
                       shown.s);
            buf_release(&shown);
            return -1;
        }
    if (strcmp(a, b) == 0)
        return mo_err_set(err, MO_E_INPUT, "cannot relate category '%s' to itself", a);
    if (db_begin(db, err) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const char *p[] = {paths[i]};
        if ((r = db_exec(db, Q_CATEGORY_COVERS, p, 1, err)) == NULL)
            goto fail;
        int covers = db_bool(r, 0, "covers");
        PQclear(r);
        if (!covers) {
            mo_err_set(err, MO_E_NOTFOUND, "no product in category '%s' or below it", paths[i]);
            goto fail;
        }
    }
    for (int i = 0; i < 2; i++) {
        const char *p[] = {paths[i]};
        if ((r = db_exec(db, Q_CATEGORY_ENSURE, p, 1, err)) == NULL)
            goto fail;
        /* bigint ids: at most 20 characters */
        snprintf(ids[i], sizeof(ids[i]), "%lld", db_int(r, 0, "id"));
        made[i] = db_bool(r, 0, "created");
        PQclear(r);
    }
    const char *p[] = {ids[0], ids[1]};
    if ((r = db_exec(db, Q_CATEGORY_RELATE, p, 2, err)) == NULL)
        goto fail;
    int less = strcmp(a, b) < 0;
    if (relate_done(db, r, actor, "product.relate_category",
                    json_pack("{s:s, s:s, s:b, s:b}", "category_a", less ? a : b, "category_b",
                              less ? b : a, "created_a", less ? made[0] : made[1], "created_b",
                              less ? made[1] : made[0]),
                    created, err) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

/* --- order import --- */

enum { O_ORDER_ID, O_EMAIL, O_SKU, O_ORDERED_AT, O_ENTITY, O_COLLECTED, O_OPT_OUT, O__N };
static const char *const order_cols[O__N] = {"order_id",       "email",        "sku",
                                             "ordered_at",     "legal_entity", "collected_in_sale",
                                             "opt_out_offered"};

struct order_ctx {
    const struct config *cfg;
    struct suppress_key key;
};

/* true/false (any case), or the default when empty; -1 after reporting. */
static int bool_field(struct importer *im, unsigned long line, const char *col, const char *v,
                      const char *dflt, const char **out)
{
    if (v == NULL || *v == '\0')
        *out = dflt;
    else if (strcasecmp(v, "true") == 0)
        *out = "true";
    else if (strcasecmp(v, "false") == 0)
        *out = "false";
    else {
        importer_reportf(im, line, "invalid %s '%s': expected true or false", col,
                         importer_show(im, v));
        return -1;
    }
    return 0;
}

static int order_check(struct importer *im, const struct csvin_row *row, const char **v, void *ctx)
{
    struct order_ctx *oc = ctx;
    const char *entity, *collected, *opt_out;
    char *norm = NULL;
    char hmac[65], at[32];
    struct mo_err e;
    struct tm tm;
    time_t t;

    if (text_ok(im, row->line, "order_id", v[O_ORDER_ID], ORDER_ID_MAX) < 0)
        return -1;
    mo_err_init(&e);
    if (v[O_EMAIL] == NULL || *v[O_EMAIL] == '\0') {
        importer_reportf(im, row->line, "email is empty");
        return -1;
    }
    if (address_normalize(v[O_EMAIL], &norm, &e) < 0) {
        importer_reportf(im, row->line, "%s (column email)", e.msg);
        return -1;
    }
    if (text_ok(im, row->line, "sku", v[O_SKU], CATALOGUE_SKU_MAX) < 0)
        goto bad;
    if (v[O_ORDERED_AT] == NULL || isotime_parse(v[O_ORDERED_AT], &t) < 0 || t > time(NULL) + 300) {
        importer_reportf(im, row->line,
                         "invalid ordered_at '%s': expected a past ISO 8601 time such as "
                         "2026-03-01T10:00:00Z",
                         importer_show(im, v[O_ORDERED_AT] ? v[O_ORDERED_AT] : ""));
        goto bad;
    }
    entity = v[O_ENTITY] && *v[O_ENTITY] ? v[O_ENTITY] : oc->cfg->legal_entity;
    if (entity == NULL || *entity == '\0') {
        importer_reportf(im, row->line,
                         "no legal_entity: the column is empty and the key legal_entity is not "
                         "set");
        goto bad;
    }
    if (strlen(entity) > ENTITY_MAX || importer_has_control(entity)) {
        importer_reportf(im, row->line,
                         "legal_entity is longer than %d bytes or has control characters",
                         ENTITY_MAX);
        goto bad;
    }
    if (bool_field(im, row->line, "collected_in_sale", v[O_COLLECTED], "true", &collected) < 0 ||
        bool_field(im, row->line, "opt_out_offered", v[O_OPT_OUT], "false", &opt_out) < 0)
        goto bad;
    /* the instant in UTC: a time without zone was read as UTC, whatever the session says */
    gmtime_r(&t, &tm);
    if (strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        importer_reportf(im, row->line, "ordered_at '%s' is out of range",
                         importer_show(im, v[O_ORDERED_AT]));
        goto bad;
    }
    suppress_hash(&oc->key, norm, hmac);
    importer_field_line(im, row->line);
    importer_field(im, v[O_ORDER_ID], 0);
    importer_field(im, v[O_EMAIL], 0);
    importer_field(im, norm, 0);
    importer_field(im, hmac, 0);
    importer_field(im, v[O_SKU], 0);
    importer_field(im, at, 0);
    importer_field(im, entity, 0);
    importer_field(im, collected, 0);
    importer_field(im, opt_out, 1);
    free(norm);
    return 0;
bad:
    free(norm);
    return -1;
}

int catalogue_order_import(struct db *db, const struct config *cfg, const char *path,
                           const struct importer_opts *o, struct import_stats *st,
                           void (*report)(const char *msg, void *arg), void *arg,
                           struct mo_err *err)
{
    static const struct importer_table t = {
        order_cols, O__N, 1u << O_ORDER_ID | 1u << O_EMAIL | 1u << O_SKU | 1u << O_ORDERED_AT,
        "CREATE TEMP TABLE import_orders (line bigint, order_id text, email text,"
        " email_norm text, addr_hmac text, sku text, ordered_at timestamptz, legal_entity text,"
        " collected_in_sale boolean, opt_out_offered boolean) ON COMMIT DROP",
        "COPY import_orders FROM STDIN (FORMAT csv)"};
    struct importer im;
    struct order_ctx oc;
    PGresult *r;
    long n;
    int rc = -1;

    memset(st, 0, sizeof(*st));
    memset(&oc, 0, sizeof(oc));
    oc.cfg = cfg;
    importer_init(&im, db, path, report, arg);
    if (suppress_key_load(db, cfg, &oc.key, err) < 0 ||
        contact_backfill_hmac(db, &oc.key, NULL, err) < 0)
        goto out;
    if (importer_load(&im, &t, order_check, &oc, st, err) < 0)
        goto out;
    /* checks that need the database */
    if ((n = importer_report_query(&im, Q_ORDER_IMPORT_UNKNOWN_SKU, err)) < 0)
        goto out;
    st->rejected += n;
    if (db_run(db, Q_ORDER_IMPORT_DROP_UNKNOWN_SKU, NULL, 0, err) < 0)
        goto out;
    if ((n = importer_report_query(&im, Q_ORDER_IMPORT_CONFLICTS, err)) < 0)
        goto out;
    st->rejected += n;
    if (db_run(db, Q_ORDER_IMPORT_DROP_CONFLICTS, NULL, 0, err) < 0)
        goto out;
    /* what is left is valid; suppressed rows are counted even when the file then fails */
    if ((n = importer_run_count(&im, Q_ORDER_IMPORT_DROP_SUPPRESSED, err)) < 0)
        goto out;
    st->suppressed = n;
    if (st->rejected && !o->skip_invalid) {
        fail_bad_rows(st, path, err);
        goto out;
    }
    if ((st->entities_created = importer_run_count(&im, Q_ORDER_IMPORT_ENTITIES, err)) < 0)
        goto out;
    {
        const char *p[] = {im.base};
        if ((r = db_exec(db, Q_ORDER_IMPORT_CONTACTS, p, 1, err)) == NULL)
            goto out;
        st->contacts_created = importer_count_of(r);
    }
    if ((r = db_exec(db, Q_ORDER_IMPORT_COUNT, NULL, 0, err)) == NULL)
        goto out;
    st->loaded = (long)db_int(r, 0, "n");
    PQclear(r);
    if ((r = db_exec(db, Q_ORDER_IMPORT_MERGE, NULL, 0, err)) == NULL)
        goto out;
    st->created = (long)db_int(r, 0, "created");
    st->updated = (long)db_int(r, 0, "updated");
    PQclear(r);
    /* counts only: a suppressed row leaves no trace, not even here */
    if (audit_append_json(db, o->actor, "order.import", im.base,
                          json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "file", im.base,
                                    "loaded", (json_int_t)st->loaded, "created",
                                    (json_int_t)st->created, "updated", (json_int_t)st->updated,
                                    "rejected", (json_int_t)st->rejected, "suppressed",
                                    (json_int_t)st->suppressed, "contacts_created",
                                    (json_int_t)st->contacts_created, "legal_entities_created",
                                    (json_int_t)st->entities_created),
                          err) < 0)
        goto out;
    if (importer_commit(&im, err) < 0)
        goto out;
    rc = 0;
out:
    importer_release(&im);
    explicit_bzero(&oc.key, sizeof(oc.key));
    if (rc < 0)
        clear_stored(st);
    return rc;
}
