/*
 * segment_exec.c - runs a query-table statement with a compiled segment in
 * it.  Part of the segment module (segment.h): the only other place that
 * puts SQL text together, and only from the compiler's output.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "segment.h"
#include "xalloc.h"

#define MARKER "{segment}"

PGresult *segment_exec(struct db *db, enum query_id q, const struct segment_sql *seg,
                       const char *const *params, int n, struct mo_err *err)
{
    const struct query *qd = query_get(q);
    const char *at = strstr(qd->sql, MARKER);
    const char **all;
    struct buf sql;
    PGresult *r = NULL;

    if (at == NULL || n != qd->nparams) {
        mo_err_set(err, MO_E_INTERNAL, "query %s is not a segment statement with %d parameters",
                   qd->name, n);
        return NULL;
    }
    buf_init(&sql, 0);
    if (buf_add(&sql, qd->sql, (size_t)(at - qd->sql)) < 0 || buf_putc(&sql, '(') < 0 ||
        buf_puts(&sql, seg->where) < 0 || buf_putc(&sql, ')') < 0 ||
        buf_puts(&sql, at + strlen(MARKER)) < 0) {
        buf_release(&sql);
        mo_err_set(err, MO_E_INPUT, "segment too large");
        return NULL;
    }
    all = xcalloc((size_t)(n + seg->nparams) + 1, sizeof(*all));
    for (int i = 0; i < n; i++)
        all[i] = params[i];
    for (int i = 0; i < seg->nparams; i++)
        all[n + i] = seg->params[i];
    r = db_exec_text(db, qd->name, sql.s, all, n + seg->nparams, err);
    free(all);
    buf_release(&sql);
    return r;
}
