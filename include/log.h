/*
 * log.h - one line per event on stderr: message, then key=value pairs.
 *
 * Never log tokens, passwords or message bodies; log contact ids, not
 * addresses.  mo_log() skips formatting below the current level.  A
 * message longer than MO_LOG_LINE_MAX bytes is cut.
 */
#ifndef MAILOUT_LOG_H
#define MAILOUT_LOG_H

#include <stddef.h>

/* Longest message of one log line (after the timestamp and level). */
#define MO_LOG_LINE_MAX 4096

enum mo_log_level {
    MO_LOG_ERROR = 0,
    MO_LOG_WARN,
    MO_LOG_INFO,
    MO_LOG_DEBUG,
};

extern enum mo_log_level mo_log_level_current;

void mo_log_set_level(enum mo_log_level level);
/*
 * Sets the level from a log_level value (error, warning, info, debug;
 * anything else: info).
 */
void mo_log_set_level_name(const char *name);
/*
 * Copies len bytes of in to out (n > 0 bytes, always NUL-terminated) as one
 * line: CR, LF and TAB become \r, \n, \t, other control bytes \xHH, a
 * backslash stays as is; what does not fit is cut and ends in "...".
 * mo_log_write() passes every message through it, so an event is one line
 * whatever a message holds (a relay's multi-line reply).  Returns out.
 */
char *mo_log_oneline(char *out, size_t n, const char *in, size_t len);
void mo_log_write(enum mo_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define mo_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= mo_log_level_current)                                                       \
            mo_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#endif
