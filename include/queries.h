/*
 * queries.h - every SQL statement mailout runs, by id.
 *
 * The text lives in queries.c, one table; db.c prepares each statement once
 * per connection.  SQL is never assembled from strings: values are always
 * parameters, cast in the SQL text.
 */
#ifndef MAILOUT_QUERIES_H
#define MAILOUT_QUERIES_H

enum query_id { Q_MIGRATION_LIST = 0, Q_MIGRATION_APPLIED, Q_MIGRATION_INSERT, Q__COUNT };

struct query {
    enum query_id id;
    const char *name;
    const char *sql;
    int nparams;
};

/* Borrowed, static. */
const struct query *query_get(enum query_id id);

#endif
