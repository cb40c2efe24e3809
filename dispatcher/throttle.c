/*
 * throttle.c - the shared send rate.  (Placeholder: unlimited.)
 */
#include "throttle.h"

int throttle_take(struct db *db, long long rate, long want, long *granted, long *wait_ms,
                  struct mo_err *err)
{
    (void)db;
    (void)rate;
    (void)err;
    *granted = want;
    *wait_ms = 0;
    return 0;
}
