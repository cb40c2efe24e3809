/*
 * migrate.c - applies sql/NNNN_name.sql files in order, each in its own
 * transaction, and records them with a checksum.  Statements are sent one
 * at a time so that an error can be traced to the file's line.  It does not
 * know what the migrations contain.
 */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "fileio.h"
#include "xalloc.h"

#define MIGRATE_LOCK_KEY    "7233110511"
#define MIGRATION_MAX_BYTES (8u * 1024 * 1024)

static const char create_table_sql[] = "CREATE TABLE IF NOT EXISTS mailout_migrations ("
                                       " version integer PRIMARY KEY,"
                                       " name text NOT NULL,"
                                       " checksum text NOT NULL,"
                                       " applied_at timestamptz NOT NULL DEFAULT now())";

static int valid_name(const char *n, int *version)
{
    size_t digits = 0;
    size_t len = strlen(n);

    while (isdigit((unsigned char)n[digits]))
        digits++;
    if (digits < 3 || digits > 6 || n[digits] != '_' || len < digits + 6 ||
        strcmp(n + len - 4, ".sql") != 0)
        return 0;
    for (size_t i = digits + 1; i < len - 4; i++)
        if (!(islower((unsigned char)n[i]) || isdigit((unsigned char)n[i]) || n[i] == '_'))
            return 0;
    *version = (int)strtol(n, NULL, 10);
    return 1;
}

static int cmp_migration(const void *a, const void *b)
{
    const struct migration *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

/* Lists the files of sqldir with their checksums, sorted by version. */
static int scan_dir(const char *sqldir, struct migration_list *l, struct mo_err *err)
{
    DIR *d = opendir(sqldir);
    struct dirent *e;
    size_t cap = 0;

    l->items = NULL;
    l->n = 0;
    if (d == NULL)
        return mo_err_set(err, MO_E_NOINPUT, "cannot open migrations directory '%s': %s", sqldir,
                          strerror(errno));
    while ((e = readdir(d)) != NULL) {
        int v;
        char path[4096];
        struct buf text;
        if (!valid_name(e->d_name, &v))
            continue;
        for (size_t i = 0; i < l->n; i++)
            if (l->items[i].version == v) {
                closedir(d);
                return mo_err_set(err, MO_E_INPUT, "two migrations with number %d: '%s' and '%s'",
                                  v, l->items[i].name, e->d_name);
            }
        if (snprintf(path, sizeof(path), "%s/%s", sqldir, e->d_name) >= (int)sizeof(path)) {
            closedir(d);
            return mo_err_set(err, MO_E_INPUT, "path too long: '%s'", sqldir);
        }
        if (fileio_read(path, MIGRATION_MAX_BYTES, "migration", &text, err) < 0) {
            closedir(d);
            return -1;
        }
        if (l->n == cap) {
            cap = cap ? cap * 2 : 16;
            l->items = xrealloc(l->items, cap * sizeof(*l->items));
        }
        struct migration *m = &l->items[l->n++];
        memset(m, 0, sizeof(*m));
        m->version = v;
        m->name = xstrdup(e->d_name);
        m->checksum = xmalloc(CRYPTO_SHA256_HEX_LEN + 1);
        crypto_sha256_hex(text.s, text.len, m->checksum);
        buf_release(&text);
    }
    closedir(d);
    if (l->n)
        qsort(l->items, l->n, sizeof(*l->items), cmp_migration);
    return 0;
}

void migration_list_release(struct migration_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->items[i].name);
        free(l->items[i].checksum);
        free(l->items[i].applied_at);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int ensure_table(struct db *db, struct mo_err *err)
{
    PGresult *r = db_exec_sql(db, create_table_sql, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

/*
 * Merges the table into the directory listing: marks applied ones and checks
 * their checksums.  An applied migration whose file is gone is added with
 * checksum NULL.
 */
static int merge_applied(struct db *db, struct migration_list *l, struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_MIGRATION_LIST, NULL, 0, err);
    int rc = 0;

    if (r == NULL)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        int v = (int)db_int(r, i, "version");
        const char *name = db_val(r, i, "name");
        const char *sum = db_val(r, i, "checksum");
        struct migration *m = NULL;
        for (size_t j = 0; j < l->n; j++)
            if (l->items[j].version == v)
                m = &l->items[j];
        if (m == NULL) {
            l->items = xrealloc(l->items, (l->n + 1) * sizeof(*l->items));
            m = &l->items[l->n++];
            memset(m, 0, sizeof(*m));
            m->version = v;
            m->name = xstrdup(name);
        } else if (strcmp(m->name, name) != 0 || strcmp(m->checksum, sum) != 0) {
            if (rc == 0)
                rc = mo_err_set(err, MO_E_INPUT,
                                "migration '%s' was changed after it was applied as '%s' "
                                "(checksum %.12s, now %.12s); add a new migration instead",
                                m->name, name, sum, m->checksum);
        }
        m->applied_at = xstrdup(db_val(r, i, "applied_at"));
    }
    PQclear(r);
    qsort(l->items, l->n, sizeof(*l->items), cmp_migration);
    return rc;
}

int migrate_status(struct db *db, const char *sqldir, struct migration_list *out,
                   struct mo_err *err)
{
    if (ensure_table(db, err) < 0)
        return -1;
    if (scan_dir(sqldir, out, err) < 0)
        return -1;
    if (merge_applied(db, out, err) < 0)
        return -1;
    return 0;
}

/* --- splitting --- */

int migrate_split_sql(const char *sql, int (*fn)(const char *stmt, size_t len, int line, void *arg),
                      void *arg)
{
    const char *p = sql;
    const char *start = NULL;
    int line = 1, start_line = 1;

    while (*p) {
        char c = *p;
        if (c == '\n') {
            line++;
            p++;
            continue;
        }
        if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
            continue;
        }
        if (c == '/' && p[1] == '*') {
            int depth = 1;
            p += 2;
            while (*p && depth) {
                if (*p == '\n')
                    line++;
                if (*p == '/' && p[1] == '*') {
                    depth++;
                    p += 2;
                } else if (*p == '*' && p[1] == '/') {
                    depth--;
                    p += 2;
                } else
                    p++;
            }
            continue;
        }
        if (start == NULL && !isspace((unsigned char)c) && c != ';') {
            start = p;
            start_line = line;
        }
        if (c == '\'' || c == '"') {
            int backslash = c == '\'' && p > sql && (p[-1] == 'E' || p[-1] == 'e');
            p++;
            while (*p) {
                if (*p == '\n')
                    line++;
                if (backslash && *p == '\\' && p[1]) {
                    if (p[1] == '\n')
                        line++;
                    p += 2;
                    continue;
                }
                if (*p == c) {
                    if (p[1] == c) {
                        p += 2;
                        continue;
                    }
                    break;
                }
                p++;
            }
            if (*p)
                p++;
            continue;
        }
        if (c == '$') {
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '_')
                q++;
            if (*q == '$' && !(p > sql && (isalnum((unsigned char)p[-1]) || p[-1] == '_'))) {
                size_t taglen = (size_t)(q - p) + 1;
                const char *body = q + 1;
                const char *end = body;
                while (*end && strncmp(end, p, taglen) != 0) {
                    if (*end == '\n')
                        line++;
                    end++;
                }
                p = *end ? end + taglen : end;
                continue;
            }
        }
        if (c == ';') {
            if (start) {
                int rc = fn(start, (size_t)(p - start), start_line, arg);
                if (rc)
                    return rc;
                start = NULL;
            }
            p++;
            continue;
        }
        p++;
    }
    if (start) {
        size_t n = strlen(start);
        while (n && isspace((unsigned char)start[n - 1]))
            n--;
        if (n)
            return fn(start, n, start_line, arg);
    }
    return 0;
}

struct apply_ctx {
    struct db *db;
    const char *name;
    struct mo_err *err;
};

/* Line within stmt of the 1-based character position pos (UTF-8 aware). */
static int line_of_position(const char *stmt, size_t len, long pos)
{
    int line = 0;
    long chars = 0;

    for (size_t i = 0; i < len && chars < pos - 1; i++) {
        unsigned char ch = (unsigned char)stmt[i];
        if ((ch & 0xC0) != 0x80)
            chars++;
        if (ch == '\n')
            line++;
    }
    return line;
}

static int apply_stmt(const char *stmt, size_t len, int line, void *arg)
{
    struct apply_ctx *ctx = arg;
    char *sql = xstrndup(stmt, len);
    PGresult *r = PQexec(db_conn(ctx->db), sql);
    ExecStatusType st = PQresultStatus(r);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        const char *pos = PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION);
        const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        const char *sqlstate = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        int at = line;
        if (pos)
            at += line_of_position(sql, len, strtol(pos, NULL, 10));
        if (msg == NULL)
            msg = PQerrorMessage(db_conn(ctx->db));
        mo_err_set(ctx->err,
                   sqlstate && strncmp(sqlstate, "08", 2) == 0 ? MO_E_UNAVAILABLE : MO_E_INPUT,
                   "migration failed: %.*s (%s:%d)", (int)strcspn(msg, "\n"), msg, ctx->name, at);
        if (sqlstate)
            snprintf(ctx->err->sqlstate, sizeof(ctx->err->sqlstate), "%s", sqlstate);
        PQclear(r);
        free(sql);
        return -1;
    }
    PQclear(r);
    free(sql);
    return 0;
}

static int apply_one(struct db *db, const char *sqldir, const struct migration *m,
                     struct mo_err *err)
{
    char path[4096];
    struct buf text;
    struct apply_ctx ctx = {db, m->name, err};
    char vbuf[16];
    PGresult *r;

    if (snprintf(path, sizeof(path), "%s/%s", sqldir, m->name) >= (int)sizeof(path))
        return mo_err_set(err, MO_E_INPUT, "path too long: '%s'", sqldir);
    if (fileio_read(path, MIGRATION_MAX_BYTES, "migration", &text, err) < 0)
        return -1;
    if (memchr(text.s, '\0', text.len)) {
        buf_release(&text);
        return mo_err_set(err, MO_E_INPUT, "migration '%s' contains a NUL byte", m->name);
    }
    char sum[CRYPTO_SHA256_HEX_LEN + 1];
    crypto_sha256_hex(text.s, text.len, sum);
    if (strcmp(sum, m->checksum) != 0) {
        buf_release(&text);
        return mo_err_set(err, MO_E_TEMPFAIL, "migration '%s' changed while migrating", m->name);
    }
    if (db_begin(db, err) < 0)
        goto fail;
    r = db_exec_sql(db, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")", err);
    if (r == NULL)
        goto fail;
    PQclear(r);
    snprintf(vbuf, sizeof(vbuf), "%d", m->version);
    {
        const char *p[] = {vbuf};
        r = db_exec(db, Q_MIGRATION_APPLIED, p, 1, err);
        if (r == NULL)
            goto fail;
        int already = PQntuples(r) > 0;
        PQclear(r);
        if (already) {
            db_rollback(db);
            buf_release(&text);
            return 0; /* another migrate applied it meanwhile */
        }
    }
    if (migrate_split_sql(text.s, apply_stmt, &ctx) != 0)
        goto fail;
    {
        const char *p[] = {vbuf, m->name, m->checksum};
        if (db_run(db, Q_MIGRATION_INSERT, p, 3, err) < 0)
            goto fail;
    }
    if (db_commit(db, err) < 0)
        goto fail;
    buf_release(&text);
    return 1;
fail:
    db_rollback(db);
    buf_release(&text);
    return -1;
}

int migrate_apply(struct db *db, const char *sqldir, int *applied,
                  void (*progress)(const char *name, void *arg), void *arg, struct mo_err *err)
{
    struct migration_list l;
    int rc = 0;

    *applied = 0;
    if (migrate_status(db, sqldir, &l, err) < 0) {
        migration_list_release(&l);
        return -1;
    }
    for (size_t i = 0; i < l.n; i++) {
        if (l.items[i].applied_at)
            continue;
        if (l.items[i].checksum == NULL)
            continue;
        int one = apply_one(db, sqldir, &l.items[i], err);
        if (one < 0) {
            rc = -1;
            break;
        }
        if (one > 0) {
            (*applied)++;
            if (progress)
                progress(l.items[i].name, arg);
        }
    }
    migration_list_release(&l);
    return rc;
}
