/*
 * monotime.h - the monotonic clock: elapsed milliseconds, deadlines for
 * pthread_cond_timedwait(), and condition variables that wait on it (a
 * wall-clock jump neither cuts a wait short nor stretches it).
 */
#ifndef MAILOUT_MONOTIME_H
#define MAILOUT_MONOTIME_H

#include <pthread.h>
#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC (an arbitrary origin: only differences mean anything). */
long long monotime_ms(void);
/* The CLOCK_MONOTONIC time ms milliseconds from now, for pthread_cond_timedwait(). */
void monotime_deadline(struct timespec *ts, long long ms);
/* Initialises cv to measure timed waits on CLOCK_MONOTONIC. */
void monotime_cond_init(pthread_cond_t *cv);

#endif
