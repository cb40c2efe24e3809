/*
 * activity.c - web activity import and its retention purge.  Rows are
 * checked in C and merged in SQL (queries.c) through importer.c; the
 * tracking-consent test is consent_is_current() in the database, so the
 * import and the segment compiler read one definition.  Rows that may not
 * be kept only ever reach the temporary table, which is dropped at commit.
 */
#include "activity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "audit.h"
#include "isotime.h"

enum { A_EMAIL, A_KIND, A_ITEM, A_AT, A__N };
static const char *const activity_cols[A__N] = {"email", "kind", "item", "at"};

static int activity_check(struct importer *im, const struct csvin_row *row, const char **v,
                          void *ctx)
{
    char *norm = NULL;
    char at[32];
    struct mo_err e;
    struct tm tm;
    time_t t;

    (void)ctx;
    mo_err_init(&e);
    if (v[A_EMAIL] == NULL || *v[A_EMAIL] == '\0') {
        importer_reportf(im, row->line, "email is empty");
        return -1;
    }
    if (address_normalize(v[A_EMAIL], &norm, &e) < 0) {
        importer_reportf(im, row->line, "%s (column email)", e.msg);
        return -1;
    }
    if (v[A_KIND] == NULL || (strcmp(v[A_KIND], "view") != 0 && strcmp(v[A_KIND], "download"))) {
        importer_reportf(im, row->line, "invalid kind '%s': expected view or download",
                         importer_show(im, v[A_KIND] ? v[A_KIND] : ""));
        goto bad;
    }
    if (v[A_ITEM] == NULL || *v[A_ITEM] == '\0' || strlen(v[A_ITEM]) > ACTIVITY_ITEM_MAX ||
        importer_has_control(v[A_ITEM])) {
        importer_reportf(im, row->line,
                         "invalid item: expected a sku or document id of 1 to %d bytes without "
                         "control characters",
                         ACTIVITY_ITEM_MAX);
        goto bad;
    }
    if (v[A_AT] == NULL || isotime_parse(v[A_AT], &t) < 0 || t > time(NULL) + 300) {
        importer_reportf(im, row->line,
                         "invalid at '%s': expected a past ISO 8601 time such as "
                         "2026-03-01T10:00:00Z",
                         importer_show(im, v[A_AT] ? v[A_AT] : ""));
        goto bad;
    }
    /* the instant in UTC: a time without zone was read as UTC, whatever the session says */
    gmtime_r(&t, &tm);
    if (strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        importer_reportf(im, row->line, "at '%s' is out of range", importer_show(im, v[A_AT]));
        goto bad;
    }
    importer_field_line(im, row->line);
    importer_field(im, norm, 0);
    importer_field(im, v[A_KIND], 0);
    importer_field(im, v[A_ITEM], 0);
    importer_field(im, at, 1);
    free(norm);
    return 0;
bad:
    free(norm);
    return -1;
}

int activity_import(struct db *db, const char *path, const struct importer_opts *o,
                    struct import_stats *st, void (*report)(const char *msg, void *arg), void *arg,
                    struct mo_err *err)
{
    static const struct importer_table t = {
        activity_cols, A__N, 1u << A_EMAIL | 1u << A_KIND | 1u << A_ITEM | 1u << A_AT,
        "CREATE TEMP TABLE import_activity (line bigint, email_norm text, kind text, item text,"
        " at timestamptz) ON COMMIT DROP",
        "COPY import_activity FROM STDIN (FORMAT csv)"};
    struct importer im;
    PGresult *r;
    long valid;
    int rc = -1;

    memset(st, 0, sizeof(*st));
    importer_init(&im, db, path, report, arg);
    if (importer_load(&im, &t, activity_check, NULL, st, err) < 0)
        goto out;
    /* rows that may not be kept leave the temporary table first, counted even if the file fails */
    if ((r = db_exec(db, Q_ACTIVITY_IMPORT_DROP, NULL, 0, err)) == NULL)
        goto out;
    st->dropped = (long)db_int(r, 0, "dropped");
    st->unknown_contacts = (long)db_int(r, 0, "unknown");
    PQclear(r);
    if (st->rejected && !o->skip_invalid) {
        mo_err_set(err, MO_E_INPUT,
                   "nothing loaded: %ld invalid row%s in '%s' (--skip-invalid loads the rest)",
                   st->rejected, st->rejected == 1 ? "" : "s", path);
        goto out;
    }
    if ((r = db_exec(db, Q_ACTIVITY_IMPORT_COUNT, NULL, 0, err)) == NULL)
        goto out;
    valid = (long)db_int(r, 0, "n");
    PQclear(r);
    if ((st->loaded = importer_run_count(&im, Q_ACTIVITY_IMPORT_MERGE, err)) < 0) {
        st->loaded = 0;
        goto out;
    }
    st->created = st->loaded;
    st->repeated = valid - st->loaded;
    if (audit_append_json(db, o->actor, "activity.import", im.base,
                          json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "file", im.base, "loaded",
                                    (json_int_t)st->loaded, "rejected", (json_int_t)st->rejected,
                                    "dropped", (json_int_t)st->dropped, "unknown_contacts",
                                    (json_int_t)st->unknown_contacts, "repeated",
                                    (json_int_t)st->repeated),
                          err) < 0)
        goto out;
    if (importer_commit(&im, err) < 0)
        goto out;
    rc = 0;
out:
    importer_release(&im);
    if (rc < 0)
        st->loaded = st->created = 0;
    return rc;
}

int activity_purge(struct db *db, const struct config *cfg, const char *actor, long *deleted,
                   struct mo_err *err)
{
    char ret[32];
    PGresult *r;

    *deleted = 0;
    snprintf(ret, sizeof(ret), "%lld seconds", cfg->activity_retention); /* fits: 20 digits */
    if (db_begin(db, err) < 0)
        return -1;
    const char *p[] = {ret};
    if ((r = db_exec(db, Q_ACTIVITY_PURGE, p, 1, err)) == NULL)
        goto fail;
    *deleted = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if (audit_append_json(db, actor, "maintenance.purge_activity", "web_activity",
                          json_pack("{s:I, s:I}", "deleted", (json_int_t)*deleted,
                                    "retention_seconds", (json_int_t)cfg->activity_retention),
                          err) < 0)
        goto fail;
    return db_commit(db, err);
fail:
    db_rollback(db);
    *deleted = 0;
    return -1;
}
