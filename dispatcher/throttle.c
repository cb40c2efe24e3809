/*
 * throttle.c - the shared send rate: a token bucket in PostgreSQL
 * (sql/0014_throttle.sql, table send_rate), refilled by elapsed time and
 * taken from per batch in one UPDATE ... RETURNING.
 *
 * Owns: how many messages a worker may send now.  Does not own: waiting
 * (the caller sleeps wait_ms), domain concurrency, or what is sent.  The
 * statement holds the bucket's row lock only while it runs, never across
 * an SMTP session; the bucket holds at most one second's worth of rate
 * (at least one token), so every worker together sends at most
 * rate * elapsed + capacity messages.
 */
#include "throttle.h"

#include <stdio.h>

int throttle_take(struct db *db, long long rate, long want, long *granted, long *wait_ms,
                  struct mo_err *err)
{
    char rs[24], ws[24];
    PGresult *r;

    *granted = 0;
    *wait_ms = 0;
    if (want <= 0)
        return 0;
    if (rate <= 0) {
        *granted = want;
        return 0;
    }
    snprintf(rs, sizeof(rs), "%lld", rate);
    snprintf(ws, sizeof(ws), "%ld", want);
    {
        const char *p[] = {rs, ws};
        if ((r = db_exec(db, Q_THROTTLE_TAKE, p, 2, err)) == NULL)
            return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        return mo_err_set(err, MO_E_INTERNAL,
                          "the send rate bucket is missing (table send_rate): run db migrate");
    }
    *granted = (long)db_int(r, 0, "granted");
    *wait_ms = (long)db_int(r, 0, "wait_ms");
    PQclear(r);
    return 0;
}
