/*
 * log.c - stderr logging with a level filter and a timestamp, one line per
 * event: control characters in a message are escaped (mo_log_oneline).
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum mo_log_level mo_log_level_current = MO_LOG_INFO;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void mo_log_set_level(enum mo_log_level level)
{
    mo_log_level_current = level;
}

void mo_log_set_level_name(const char *name)
{
    if (strcmp(name, "debug") == 0)
        mo_log_set_level(MO_LOG_DEBUG);
    else if (strcmp(name, "warning") == 0)
        mo_log_set_level(MO_LOG_WARN);
    else if (strcmp(name, "error") == 0)
        mo_log_set_level(MO_LOG_ERROR);
    else
        mo_log_set_level(MO_LOG_INFO);
}

char *mo_log_oneline(char *out, size_t n, const char *in, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        char e[5];
        size_t el = 0;
        if (c == '\r' || c == '\n' || c == '\t') {
            e[el++] = '\\';
            e[el++] = c == '\r' ? 'r' : c == '\n' ? 'n' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            e[el++] = '\\';
            e[el++] = 'x';
            e[el++] = hex[c >> 4];
            e[el++] = hex[c & 15];
        } else
            e[el++] = (char)c;
        if (o + el >= n) {
            /* cut: make room for "..." */
            o = n > 4 ? (o < n - 4 ? o : n - 4) : 0;
            for (size_t k = 0; k < 3 && o + 1 < n; k++)
                out[o++] = '.';
            break;
        }
        memcpy(out + o, e, el);
        o += el;
    }
    out[o] = '\0';
    return out;
}

void mo_log_write(enum mo_log_level level, const char *fmt, ...)
{
    va_list ap;
    char ts[32], msg[MO_LOG_LINE_MAX], line[MO_LOG_LINE_MAX];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    va_start(ap, fmt);
    int w = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (w < 0)
        snprintf(msg, sizeof(msg), "(message not formatted)");
    size_t len = strlen(msg);
    mo_log_oneline(line, sizeof(line), msg, len);
    if (w >= 0 && (size_t)w >= sizeof(msg) && len >= 3)
        memcpy(line + strlen(line) - 3, "...", 3); /* the message itself was cut */
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "%s mailout %s: %s\n", ts, level_names[level], line);
    pthread_mutex_unlock(&log_lock);
}
