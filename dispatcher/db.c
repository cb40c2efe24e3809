/*
 * db.c - connections, prepared statements, transactions and the map from
 * SQLSTATE to mo_err.  It does not hold SQL text: that is queries.c.
 */
#include "db.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

struct db {
    PGconn *conn;
    unsigned char prepared[Q__COUNT];
};

static void db_notice(void *arg, const char *msg)
{
    size_t n = strlen(msg);

    (void)arg;
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        n--;
    mo_log(MO_LOG_DEBUG, "postgres: %.*s", (int)n, msg);
}

static struct db *connect_common(const char *conninfo, const char *role, struct mo_err *err)
{
    const char *kw[] = {"dbname", "application_name", "connect_timeout", "client_encoding", NULL};
    const char *vals[] = {conninfo, "mailout", "10", "UTF8", NULL};
    struct db *db = xcalloc(1, sizeof(*db));

    db->conn = PQconnectdbParams(kw, vals, 1);
    if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
        const char *m = db->conn ? PQerrorMessage(db->conn) : "out of memory";
        size_t n = strcspn(m, "\n");
        mo_err_set(err, MO_E_UNAVAILABLE, "cannot connect to the database: %.*s", (int)n, m);
        db_free(db);
        return NULL;
    }
    PQsetNoticeProcessor(db->conn, db_notice, NULL);
    PGresult *r = PQexec(db->conn, "SET TIME ZONE 'UTC'");
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        db_result_error(db, r, "set time zone", err);
        PQclear(r);
        db_free(db);
        return NULL;
    }
    PQclear(r);
    if (role && *role) {
        char *ident = PQescapeIdentifier(db->conn, role, strlen(role));
        char sql[300];
        int ok = ident && snprintf(sql, sizeof(sql), "SET ROLE %s", ident) < (int)sizeof(sql);
        PQfreemem(ident);
        if (!ok) {
            mo_err_set(err, MO_E_INPUT, "invalid db_role '%s'", role);
            db_free(db);
            return NULL;
        }
        r = PQexec(db->conn, sql);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            db_result_error(db, r, "set role (key db_role)", err);
            PQclear(r);
            db_free(db);
            return NULL;
        }
        PQclear(r);
    }
    return db;
}

struct db *db_connect(const struct config *cfg, struct mo_err *err)
{
    return connect_common(cfg->db, cfg->db_role, err);
}

struct db *db_connect_owner(const char *conninfo, struct mo_err *err)
{
    return connect_common(conninfo, NULL, err);
}

void db_free(struct db *db)
{
    if (db == NULL)
        return;
    if (db->conn)
        PQfinish(db->conn);
    free(db);
}

PGconn *db_conn(struct db *db)
{
    return db->conn;
}

static enum mo_err_code code_for_sqlstate(const char *st)
{
    if (st == NULL)
        return MO_E_UNAVAILABLE;
    if (strcmp(st, "23505") == 0)
        return MO_E_CONFLICT;
    if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 || strcmp(st, "55P03") == 0)
        return MO_E_TEMPFAIL;
    if (strncmp(st, "08", 2) == 0 || strcmp(st, "57P01") == 0 || strcmp(st, "53300") == 0)
        return MO_E_UNAVAILABLE;
    if (strncmp(st, "22", 2) == 0 || strncmp(st, "23", 2) == 0)
        return MO_E_INPUT;
    return MO_E_INTERNAL;
}

int db_result_error(struct db *db, const PGresult *res, const char *what, struct mo_err *err)
{
    const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;

    if (msg == NULL) {
        msg = db && db->conn ? PQerrorMessage(db->conn) : "no result";
    }
    size_t n = strcspn(msg, "\n");
    if (st == NULL && db && db->conn && PQstatus(db->conn) == CONNECTION_OK)
        st = "XX000";
    mo_err_set(err, code_for_sqlstate(st), "%s: %.*s", what, (int)n, msg);
    if (err && st && !err->sqlstate[0])
        snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", st);
    if (detail)
        mo_err_detail(err, "%s", detail);
    return -1;
}

static int ok_status(const PGresult *r)
{
    ExecStatusType s = PQresultStatus(r);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

PGresult *db_exec(struct db *db, enum query_id q, const char *const *params, int n,
                  struct mo_err *err)
{
    const struct query *qd = query_get(q);
    PGresult *r;

    if (!db->prepared[q]) {
        r = PQprepare(db->conn, qd->name, qd->sql, qd->nparams, NULL);
        if (!ok_status(r)) {
            db_result_error(db, r, qd->name, err);
            PQclear(r);
            return NULL;
        }
        PQclear(r);
        db->prepared[q] = 1;
    }
    if (n != qd->nparams) {
        mo_err_set(err, MO_E_INTERNAL, "query %s takes %d parameters, got %d", qd->name,
                   qd->nparams, n);
        return NULL;
    }
    r = PQexecPrepared(db->conn, qd->name, n, params, NULL, NULL, 0);
    if (!ok_status(r)) {
        db_result_error(db, r, qd->name, err);
        PQclear(r);
        return NULL;
    }
    return r;
}

PGresult *db_exec_text(struct db *db, const char *what, const char *sql, const char *const *params,
                       int n, struct mo_err *err)
{
    PGresult *r = PQexecParams(db->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (!ok_status(r)) {
        db_result_error(db, r, what, err);
        PQclear(r);
        return NULL;
    }
    return r;
}

int db_run(struct db *db, enum query_id q, const char *const *params, int n, struct mo_err *err)
{
    PGresult *r = db_exec(db, q, params, n, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

PGresult *db_exec_sql(struct db *db, const char *sql, struct mo_err *err)
{
    PGresult *r = PQexec(db->conn, sql);
    if (!ok_status(r)) {
        db_result_error(db, r, "query", err);
        PQclear(r);
        return NULL;
    }
    return r;
}

static int simple(struct db *db, const char *sql, struct mo_err *err)
{
    PGresult *r = db_exec_sql(db, sql, err);
    if (r == NULL)
        return -1;
    PQclear(r);
    return 0;
}

int db_begin(struct db *db, struct mo_err *err)
{
    return simple(db, "BEGIN", err);
}

int db_commit(struct db *db, struct mo_err *err)
{
    return simple(db, "COMMIT", err);
}

void db_rollback(struct db *db)
{
    PGresult *r = PQexec(db->conn, "ROLLBACK");
    PQclear(r);
}

/* The column number of col in r, or -1 (logged: a query and its reader disagree). */
static int column(const PGresult *r, int row, const char *col)
{
    int f = PQfnumber(r, col);
    if (f < 0 || row < 0 || row >= PQntuples(r)) {
        mo_log(MO_LOG_ERROR, "internal error: no column '%s' in row %d of a %d-row result", col,
               row, PQntuples(r));
        assert(!"column or row missing from a query result");
        return -1;
    }
    return f;
}

const char *db_val(const PGresult *r, int row, const char *col)
{
    int f = column(r, row, col);
    return f < 0 ? "" : PQgetvalue(r, row, f);
}

int db_isnull(const PGresult *r, int row, const char *col)
{
    int f = column(r, row, col);
    return f < 0 ? 1 : PQgetisnull(r, row, f);
}

long long db_int(const PGresult *r, int row, const char *col)
{
    const char *v = db_val(r, row, col);
    char *end;
    long long n;

    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || end == v || *end)
        return 0;
    return n;
}

int db_bool(const PGresult *r, int row, const char *col)
{
    return strcmp(db_val(r, row, col), "t") == 0;
}
