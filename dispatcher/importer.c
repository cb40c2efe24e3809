/*
 * importer.c - the scaffolding every CSV import shares: messages naming
 * FILE:LINE, the header map, trimmed fields, and COPY into a temporary table
 * inside one transaction.  What a row means, how it is checked and merged
 * belongs to the import (contact.c, catalogue.c, activity.c).
 */
#include "importer.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xalloc.h"

/* COPY data is sent in pieces of about this size */
#define COPY_CHUNK (256 * 1024)

void importer_init(struct importer *im, struct db *db, const char *path,
                   void (*report)(const char *msg, void *arg), void *arg)
{
    memset(im, 0, sizeof(*im));
    im->db = db;
    im->file = path;
    im->base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    im->report = report;
    im->arg = arg;
    buf_init(&im->copy, 0);
    buf_init(&im->fields, 0);
    buf_init(&im->shown, 0);
}

static int copy_finish(struct importer *im, const char *abort_msg, struct mo_err *err)
{
    PGconn *c = db_conn(im->db);
    PGresult *r;
    int rc = 0;

    im->in_copy = 0;
    if (PQputCopyEnd(c, abort_msg) != 1)
        rc = mo_err_set(err, MO_E_UNAVAILABLE, "copy: %s", PQerrorMessage(c));
    while ((r = PQgetResult(c)) != NULL) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == 0 && abort_msg == NULL)
            rc = db_result_error(im->db, r, "copy", err);
        PQclear(r);
    }
    return rc;
}

void importer_release(struct importer *im)
{
    if (im->in_copy) {
        struct mo_err e;
        mo_err_init(&e);
        copy_finish(im, "import aborted", &e);
    }
    if (im->in_tx)
        db_rollback(im->db);
    im->in_tx = 0;
    for (int i = 0; i < im->ncols; i++)
        free(im->colname[i]);
    im->ncols = 0;
    buf_release(&im->copy);
    buf_release(&im->fields);
    buf_release(&im->shown);
}

void importer_reportf(struct importer *im, unsigned long line, const char *fmt, ...)
{
    struct buf msg;
    va_list ap;

    if (im->report == NULL)
        return;
    /* built whole: a path may be as long as PATH_MAX, a quoted value 64 KiB */
    buf_init(&msg, 0);
    if (line)
        buf_printf(&msg, "%s:%lu: ", im->file, line);
    else
        buf_printf(&msg, "%s: ", im->file);
    va_start(ap, fmt);
    buf_vprintf(&msg, fmt, ap);
    va_end(ap);
    im->report(msg.s, im->arg);
    buf_release(&msg);
}

int importer_header(struct importer *im, const struct csvin_row *row, const char *const *known,
                    int nknown, unsigned required, struct mo_err *err)
{
    unsigned seen = 0;

    if (row->error[0])
        return mo_err_set(err, MO_E_INPUT, "%s:%lu: header: %s", im->file, row->line, row->error);
    if (row->n > CSVIN_FIELDS_MAX)
        return mo_err_set(err, MO_E_INPUT, "%s:%lu: more than %d columns", im->file, row->line,
                          CSVIN_FIELDS_MAX);
    for (size_t i = 0; i < row->n; i++) {
        char *name = xstrdup(row->fields[i]);
        char *s = name;
        while (*s == ' ' || *s == '\t')
            s++;
        memmove(name, s, strlen(s) + 1);
        for (size_t k = strlen(name); k && (name[k - 1] == ' ' || name[k - 1] == '\t');)
            name[--k] = '\0';
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        im->colname[i] = name;
        im->ncols = (int)i + 1;
        im->map[i] = IMPORTER_UNUSED;
        for (int k = 0; k < nknown; k++)
            if (strcmp(name, known[k]) == 0) {
                im->map[i] = k;
                seen |= 1u << k;
            }
        for (size_t j = 0; j < i; j++)
            if (strcmp(im->colname[j], name) == 0) {
                struct buf shown;
                buf_init(&shown, 0);
                buf_put_shown(&shown, name, strlen(name), 64);
                mo_err_set(err, MO_E_INPUT, "%s:%lu: column '%s' appears twice", im->file,
                           row->line, shown.s);
                buf_release(&shown);
                return -1;
            }
        if (im->map[i] == IMPORTER_UNUSED) {
            struct buf shown;
            buf_init(&shown, 0);
            buf_put_shown(&shown, name, strlen(name), 64);
            im->dropped_columns++;
            importer_reportf(im, row->line, "column '%s' is not used: dropped", shown.s);
            buf_release(&shown);
        }
    }
    for (int k = 0; k < nknown; k++)
        if ((required & (1u << k)) && !(seen & (1u << k)))
            return mo_err_set(err, MO_E_INPUT, "%s:%lu: missing required column '%s'", im->file,
                              row->line, known[k]);
    return 0;
}

int importer_fields(struct importer *im, const struct csvin_row *row, const char **v, int nknown)
{
    size_t off[CSVIN_FIELDS_MAX];
    int have[CSVIN_FIELDS_MAX];

    if (row->error[0]) {
        importer_reportf(im, row->line, "%s", row->error);
        return -1;
    }
    if ((int)row->n != im->ncols) {
        importer_reportf(im, row->line, "expected %d fields, found %zu", im->ncols, row->n);
        return -1;
    }
    buf_reset(&im->fields);
    for (int k = 0; k < nknown; k++) {
        v[k] = NULL;
        have[k] = 0;
    }
    for (int i = 0; i < im->ncols; i++) {
        int k = im->map[i];
        if (k == IMPORTER_UNUSED)
            continue;
        const char *f = row->fields[i];
        size_t n = row->lens[i];
        while (n && (*f == ' ' || *f == '\t'))
            f++, n--;
        while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
            n--;
        off[k] = im->fields.len;
        have[k] = 1;
        if (buf_add(&im->fields, f, n) < 0 || buf_putc(&im->fields, '\0') < 0) {
            importer_reportf(im, row->line, "row too long");
            return -1;
        }
    }
    for (int k = 0; k < nknown; k++)
        if (have[k])
            v[k] = im->fields.s + off[k];
    return 0;
}

int importer_has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

int importer_begin(struct importer *im, const char *create_sql, const char *copy_sql,
                   struct mo_err *err)
{
    PGresult *r;

    if (db_begin(im->db, err) < 0)
        return -1;
    im->in_tx = 1;
    /* one big merge: JIT compilation costs more than it saves here (contrib/bench) */
    if ((r = db_exec_sql(im->db, "SET LOCAL jit = off", err)) == NULL)
        return -1;
    PQclear(r);
    if ((r = db_exec_sql(im->db, create_sql, err)) == NULL)
        return -1;
    PQclear(r);
    r = PQexec(db_conn(im->db), copy_sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        db_result_error(im->db, r, "copy", err);
        PQclear(r);
        return -1;
    }
    PQclear(r);
    im->in_copy = 1;
    return 0;
}

void importer_field(struct importer *im, const char *v, int last)
{
    struct buf *b = &im->copy;
    if (v && *v) {
        buf_putc(b, '"');
        for (const char *p = v; *p; p++) {
            if (*p == '"')
                buf_putc(b, '"');
            buf_putc(b, *p);
        }
        buf_putc(b, '"');
    }
    buf_putc(b, last ? '\n' : ',');
}

void importer_field_line(struct importer *im, unsigned long line)
{
    buf_printf(&im->copy, "%lu,", line);
}

static int send_copy(struct importer *im, struct mo_err *err)
{
    if (im->copy.len == 0)
        return 0;
    if (PQputCopyData(db_conn(im->db), im->copy.s, (int)im->copy.len) != 1)
        return mo_err_set(err, MO_E_UNAVAILABLE, "copy: %s", PQerrorMessage(db_conn(im->db)));
    buf_reset(&im->copy);
    return 0;
}

int importer_flush(struct importer *im, struct mo_err *err)
{
    return im->copy.len > COPY_CHUNK ? send_copy(im, err) : 0;
}

int importer_copy_end(struct importer *im, struct mo_err *err)
{
    if (send_copy(im, err) < 0)
        return -1;
    return copy_finish(im, NULL, err);
}

long importer_report_rows(struct importer *im, const PGresult *r)
{
    long n = PQntuples(r);
    for (long i = 0; i < n; i++)
        importer_reportf(im, (unsigned long)db_int(r, (int)i, "line"), "%s",
                         db_val(r, (int)i, "reason"));
    return n;
}

long importer_report_query(struct importer *im, enum query_id q, struct mo_err *err)
{
    PGresult *r = db_exec(im->db, q, NULL, 0, err);
    if (r == NULL)
        return -1;
    long n = importer_report_rows(im, r);
    PQclear(r);
    return n;
}

long importer_count_of(PGresult *r)
{
    long n = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return n;
}

long importer_run_count(struct importer *im, enum query_id q, struct mo_err *err)
{
    PGresult *r = db_exec(im->db, q, NULL, 0, err);
    return r ? importer_count_of(r) : -1;
}

int importer_commit(struct importer *im, struct mo_err *err)
{
    if (db_commit(im->db, err) < 0)
        return -1;
    im->in_tx = 0;
    return 0;
}

const char *importer_show(struct importer *im, const char *s)
{
    buf_reset(&im->shown);
    buf_put_shown(&im->shown, s, strlen(s), 100);
    return im->shown.s;
}

int importer_load(struct importer *im, const struct importer_table *t,
                  int (*check)(struct importer *im, const struct csvin_row *row, const char **v,
                               void *ctx),
                  void *ctx, struct import_stats *st, struct mo_err *err)
{
    const char *v[CSVIN_FIELDS_MAX];
    const struct csvin_row *row;
    struct csvin *in = NULL;
    int rc = -1, got;

    if (!utf8_valid(im->base, strlen(im->base)))
        return mo_err_set(err, MO_E_INPUT, "the file name is not valid UTF-8: rename the file");
    if ((in = csvin_open(im->file, err)) == NULL)
        return -1;
    got = csvin_next(in, &row, err);
    if (got < 0)
        goto out;
    if (got == 0) {
        mo_err_set(err, MO_E_INPUT, "%s: empty file: expected a header row", im->file);
        goto out;
    }
    if (importer_header(im, row, t->known, t->nknown, t->required, err) < 0)
        goto out;
    st->dropped_columns = im->dropped_columns;
    if (importer_begin(im, t->create_sql, t->copy_sql, err) < 0)
        goto out;
    while ((got = csvin_next(in, &row, err)) > 0) {
        st->rows++;
        if (importer_fields(im, row, v, t->nknown) < 0 || check(im, row, v, ctx) < 0)
            st->rejected++;
        if (importer_flush(im, err) < 0)
            goto out;
    }
    if (got < 0)
        goto out;
    if (importer_copy_end(im, err) < 0)
        goto out;
    rc = 0;
out:
    csvin_close(in);
    return rc;
}
