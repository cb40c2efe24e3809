/*
 * err.c - struct mo_err helpers and the map to sysexits(3) codes.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

void mo_err_init(struct mo_err *err)
{
    memset(err, 0, sizeof(*err));
}

int mo_err_set(struct mo_err *err, enum mo_err_code code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err->code != MO_E_OK)
        return -1;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return -1;
}

int mo_err_detail(struct mo_err *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err->detail[0])
        return -1;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof(err->detail), fmt, ap);
    va_end(ap);
    return -1;
}

int mo_err_exit_code(enum mo_err_code code)
{
    switch (code) {
    case MO_E_OK:
        return 0;
    case MO_E_USAGE:
        return EX_USAGE;
    case MO_E_INPUT:
    case MO_E_CONFLICT:
        return EX_DATAERR;
    case MO_E_NOINPUT:
    case MO_E_NOTFOUND:
        return EX_NOINPUT;
    case MO_E_UNAVAILABLE:
        return EX_UNAVAILABLE;
    case MO_E_TEMPFAIL:
        return EX_TEMPFAIL;
    case MO_E_INTERNAL:
        break;
    }
    return EX_SOFTWARE;
}
