/*
 * log.h - one line per event on stderr: message, then key=value pairs.
 *
 * Never log tokens, passwords or message bodies; log contact ids, not
 * addresses.  mo_log() skips formatting below the current level.
 */
#ifndef MAILOUT_LOG_H
#define MAILOUT_LOG_H

enum mo_log_level {
    MO_LOG_ERROR = 0,
    MO_LOG_WARN,
    MO_LOG_INFO,
    MO_LOG_DEBUG,
};

extern enum mo_log_level mo_log_level_current;

void mo_log_set_level(enum mo_log_level level);
void mo_log_write(enum mo_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define mo_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= mo_log_level_current)                                                       \
            mo_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#endif
