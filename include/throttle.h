/*
 * throttle.h - the `rate` key: messages per second across every worker
 * that shares the database, coordinated through PostgreSQL (a token bucket
 * taken per batch).
 */
#ifndef MAILOUT_THROTTLE_H
#define MAILOUT_THROTTLE_H

#include "db.h"
#include "err.h"

/*
 * Takes up to want tokens from the shared bucket of rate tokens per second
 * (rate 0: unlimited, *granted = want at once).  *granted gets the number
 * taken now (0..want); when it is 0, *wait_ms says how long to wait before
 * asking again.  Called outside a transaction.  -1 with err on a database
 * failure.
 */
int throttle_take(struct db *db, long long rate, long want, long *granted, long *wait_ms,
                  struct mo_err *err);

#endif
