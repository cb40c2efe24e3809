/*
 * err.h - the error a failing function hands back to its caller.
 *
 * Functions return 0/-1 or a pointer/NULL and take `struct mo_err *err` last.
 * The first cause set wins: later mo_err_set() calls on an error that is
 * already set are ignored, so callers may add context without losing it.
 */
#ifndef MAILOUT_ERR_H
#define MAILOUT_ERR_H

enum mo_err_code {
    MO_E_OK = 0,
    MO_E_USAGE,       /* bad command line            -> 64 */
    MO_E_INPUT,       /* bad input data              -> 65 */
    MO_E_NOINPUT,     /* file missing                -> 66 */
    MO_E_NOTFOUND,    /* a named thing not found     -> 66 */
    MO_E_CONFLICT,    /* already exists / unique     -> 65 */
    MO_E_UNAVAILABLE, /* database, SMTP unavailable  -> 69 */
    MO_E_TEMPFAIL,    /* retry later                 -> 75 */
    MO_E_INTERNAL,    /* our bug or the unexpected   -> 70 */
};

struct mo_err {
    enum mo_err_code code;
    char msg[512];
    char detail[512];
    char sqlstate[6];
};

void mo_err_init(struct mo_err *err);
/* Sets code and message (printf format) unless already set; returns -1. */
int mo_err_set(struct mo_err *err, enum mo_err_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sets the detail line (only if none yet); returns -1. */
int mo_err_detail(struct mo_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* sysexits(3) code for an error code (0 for MO_E_OK). */
int mo_err_exit_code(enum mo_err_code code);

#endif
