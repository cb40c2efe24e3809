/*
 * throttle_take.c - drives throttle_take() for tests/integration/throttle.sh
 * (a test program, not a mailout command).
 *
 * usage: throttle_take RATE WANT SECONDS
 * Connects with $MAILOUT_DB, takes up to WANT tokens at a time for SECONDS
 * (sleeping the wait it is told, at most 50 ms), then prints
 * "granted N calls N" and exits 0; 1 on a database error.  SECONDS 0 takes
 * once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "db.h"
#include "err.h"
#include "throttle.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int arg(const char *s, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno || *end || end == s || *out < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct mo_err err;
    struct db *db;
    long long rate, want, secs, total = 0, calls = 0;
    double end;

    mo_err_init(&err);
    if (argc != 4 || arg(argv[1], &rate) < 0 || arg(argv[2], &want) < 0 ||
        arg(argv[3], &secs) < 0 || getenv("MAILOUT_DB") == NULL) {
        fprintf(stderr, "usage: MAILOUT_DB=CONNINFO throttle_take RATE WANT SECONDS\n");
        return 2;
    }
    if ((db = db_connect_owner(getenv("MAILOUT_DB"), &err)) == NULL) {
        fprintf(stderr, "throttle_take: %s\n", err.msg);
        return 1;
    }
    end = now_s() + (double)secs;
    do {
        long granted, wait_ms;
        if (throttle_take(db, rate, (long)want, &granted, &wait_ms, &err) < 0) {
            fprintf(stderr, "throttle_take: %s\n", err.msg);
            db_free(db);
            return 1;
        }
        total += granted;
        calls++;
        if (secs > 0 && granted == 0) {
            struct timespec ts = {0, (wait_ms > 50 ? 50 : wait_ms) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (secs == 0)
            printf("wait_ms %ld\n", wait_ms);
    } while (now_s() < end);
    printf("granted %lld calls %lld\n", total, calls);
    db_free(db);
    return 0;
}
