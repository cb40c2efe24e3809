/*
 * log.c - stderr logging with a level filter and a timestamp.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

enum mo_log_level mo_log_level_current = MO_LOG_INFO;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void mo_log_set_level(enum mo_log_level level)
{
    mo_log_level_current = level;
}

void mo_log_write(enum mo_log_level level, const char *fmt, ...)
{
    va_list ap;
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s mailout %s: ", ts, level_names[level]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    pthread_mutex_unlock(&log_lock);
}
