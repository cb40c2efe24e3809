/*
 * migrate.h - numbered, transactional schema migrations from sql/.
 *
 * Files are sql/NNNN_name.sql, applied in number order, each inside one
 * transaction together with its row in mailout_migrations (version, name,
 * SHA-256 checksum).  An applied file whose content changed is refused.
 */
#ifndef MAILOUT_MIGRATE_H
#define MAILOUT_MIGRATE_H

#include <stddef.h>

#include "db.h"
#include "err.h"

struct migration {
    int version;
    char *name;       /* file name, e.g. 0001_roles.sql */
    char *checksum;   /* hex SHA-256 of the file, NULL if the file is missing */
    char *applied_at; /* NULL when pending */
};

struct migration_list {
    struct migration *items;
    size_t n;
};

/* Reads the directory and the table; caller frees with migration_list_release(). */
int migrate_status(struct db *db, const char *sqldir, struct migration_list *out,
                   struct mo_err *err);
/*
 * Applies every pending migration in order.  *applied receives how many were
 * applied.  On failure the failing file leaves no trace and err names the
 * file and line.  progress, when non-NULL, is called after each file.
 */
int migrate_apply(struct db *db, const char *sqldir, int *applied,
                  void (*progress)(const char *name, void *arg), void *arg, struct mo_err *err);
void migration_list_release(struct migration_list *l);

/*
 * Splits SQL text into statements at top-level semicolons, aware of quotes,
 * dollar quotes and comments.  Calls fn(stmt, len, line) for each non-empty
 * statement, line being the 1-based line its first token is on; stops and
 * returns fn's non-zero value.  Exposed for tests.
 */
int migrate_split_sql(const char *sql, int (*fn)(const char *stmt, size_t len, int line, void *arg),
                      void *arg);

#endif
