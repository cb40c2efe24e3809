/*
 * db.h - PostgreSQL connections and statements.
 *
 * db.c owns connections: it connects with application_name=mailout, routes
 * NOTICEs to our log, optionally SET ROLE to the configured application role,
 * prepares the statements of queries.c once per connection, and maps
 * SQLSTATEs to mo_err codes (23505 conflict, 40001/40P01 retry, class 08
 * unavailable, class 22/23 bad input).
 */
#ifndef MAILOUT_DB_H
#define MAILOUT_DB_H

#include <libpq-fe.h>

#include "config.h"
#include "err.h"
#include "queries.h"

struct db;

/* Connects using cfg->db (libpq conninfo or URI); NULL with err (MO_E_UNAVAILABLE). */
struct db *db_connect(const struct config *cfg, struct mo_err *err);
/* Same with an explicit conninfo and no SET ROLE (migrations run as the owner). */
struct db *db_connect_owner(const char *conninfo, struct mo_err *err);
void db_free(struct db *db);
/* Borrowed; valid until db_free(). */
PGconn *db_conn(struct db *db);

/*
 * Runs prepared query q with n text parameters (NULL pointer = SQL NULL).
 * Returns a result the caller frees with PQclear(), or NULL with err set.
 */
PGresult *db_exec(struct db *db, enum query_id q, const char *const *params, int n,
                  struct mo_err *err);
/* Like db_exec for a fixed SQL string of our own (no parameters from outside). */
PGresult *db_exec_sql(struct db *db, const char *sql, struct mo_err *err);
/*
 * Runs SQL text with parameters, unprepared.  Only for statements whose text
 * segment.c assembled from a query-table template and a compiled segment
 * (segment_exec()); everything else uses db_exec().
 */
PGresult *db_exec_text(struct db *db, const char *what, const char *sql, const char *const *params,
                       int n, struct mo_err *err);
/* Runs q and discards the result; 0 or -1. */
int db_run(struct db *db, enum query_id q, const char *const *params, int n, struct mo_err *err);

int db_begin(struct db *db, struct mo_err *err);
int db_commit(struct db *db, struct mo_err *err);
/* Never fails visibly; safe to call when no transaction is open. */
void db_rollback(struct db *db);

/*
 * Result values by column name, never by position: the SQL names every
 * column (AS ...).  A column missing from the result, or a row out of range,
 * is our bug: it is logged and fails an assert; without asserts db_val gives
 * "", db_isnull 1, db_int 0 and db_bool 0.
 */
/* The text of row's column col; "" for NULL.  Borrowed, valid until PQclear(r). */
const char *db_val(const PGresult *r, int row, const char *col);
/* 1 when the value is SQL NULL, else 0. */
int db_isnull(const PGresult *r, int row, const char *col);
/* The value as a 64-bit integer (0 for NULL or text that is not one). */
long long db_int(const PGresult *r, int row, const char *col);
/* 1 for a boolean true ("t"), else 0. */
int db_bool(const PGresult *r, int row, const char *col);

/* Fills err from a failed result (SQLSTATE, message, detail); returns -1. */
int db_result_error(struct db *db, const PGresult *res, const char *what, struct mo_err *err);

#endif
