/*
 * monotime.c - the monotonic clock helpers of monotime.h.
 */
#include "monotime.h"

long long monotime_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void monotime_deadline(struct timespec *ts, long long ms)
{
    long long ns;

    clock_gettime(CLOCK_MONOTONIC, ts);
    ns = (long long)ts->tv_nsec + (ms % 1000) * 1000000LL;
    ts->tv_sec += (time_t)(ms / 1000 + ns / 1000000000LL);
    ts->tv_nsec = (long)(ns % 1000000000LL);
}

void monotime_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t ca;

    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(cv, &ca);
    pthread_condattr_destroy(&ca);
}
