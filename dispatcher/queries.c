/*
 * queries.c - the SQL text of every statement, in one table.
 */
#include "queries.h"

#include <assert.h>
#include <stddef.h>

static const struct query queries[Q__COUNT] = {
    [Q_MIGRATION_LIST] =
        {Q_MIGRATION_LIST, "migration_list",
         "SELECT version, name, checksum,"
         " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
         " FROM mailout_migrations ORDER BY version",
         0},
    [Q_MIGRATION_APPLIED] = {Q_MIGRATION_APPLIED, "migration_applied",
                             "SELECT 1 FROM mailout_migrations WHERE version = $1::integer", 1},
    [Q_MIGRATION_INSERT] = {Q_MIGRATION_INSERT, "migration_insert",
                            "INSERT INTO mailout_migrations (version, name, checksum)"
                            " VALUES ($1::integer, $2, $3)",
                            3},
};

const struct query *query_get(enum query_id id)
{
    assert(id < Q__COUNT && queries[id].sql != NULL);
    return &queries[id];
}
