/*
 * isotime.h - strict ISO 8601 dates and times as they appear in CSV files
 * and on the command line.
 */
#ifndef MAILOUT_ISOTIME_H
#define MAILOUT_ISOTIME_H

#include <time.h>

/* YYYY-MM-DD with a real calendar day; 0 ok (fills y/m/d), -1 otherwise. */
int isodate_parse(const char *s, int *y, int *m, int *d);
/*
 * YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)HH[:MM]]; a time without zone is
 * read as UTC.  0 ok (*out = seconds since the epoch), -1 otherwise.
 */
int isotime_parse(const char *s, time_t *out);

#endif
