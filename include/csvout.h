/*
 * csvout.h - writes CSV fields for reports (RFC 4180): a field is quoted
 * when it holds a comma, a quote, CR or LF, and quotes inside are doubled.
 * A field a spreadsheet would read as a formula (leading =, +, -, @, tab
 * or CR) is quoted and gets a leading apostrophe (OWASP "CSV injection").
 * Reading CSV is csvin.h.
 */
#ifndef MAILOUT_CSVOUT_H
#define MAILOUT_CSVOUT_H

#include "buf.h"

/* Appends s as one field to b; 0, or -1 when b's maximum is reached (b unchanged). */
int csvout_field(struct buf *b, const char *s);

#endif
