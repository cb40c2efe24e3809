/*
 * fuzz_isotime.c - ISO 8601 dates and times.
 *
 * fuzz-options: -max_len=64
 *
 * Properties: a parsed date prints back as the input; a parsed time, printed
 * by gmtime_r() as YYYY-MM-DDTHH:MM:SSZ, parses back to the same instant;
 * a date alone is that day's midnight UTC as timegm() computes it; the date
 * of a parsed time is a valid date.
 */
#define _GNU_SOURCE
#include "isotime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char back[64];
    int y, m, d;
    time_t t, t2;
    struct tm tm;

    if (isodate_parse(s, &y, &m, &d) == 0) {
        int n = snprintf(back, sizeof(back), "%04d-%02d-%02d", y, m, d);
        FUZZ_CHECK(n == 10 && strcmp(back, s) == 0);
    }
    if (isotime_parse(s, &t) == 0) {
        char date[11];
        memcpy(date, s, 10);
        date[10] = '\0';
        FUZZ_CHECK(isodate_parse(date, &y, &m, &d) == 0);
        if (strlen(s) == 10) {
            memset(&tm, 0, sizeof(tm));
            tm.tm_year = y - 1900;
            tm.tm_mon = m - 1;
            tm.tm_mday = d;
            FUZZ_CHECK(timegm(&tm) == t);
        }
        FUZZ_CHECK(gmtime_r(&t, &tm) != NULL);
        if (tm.tm_year + 1900 >= 1800 && tm.tm_year + 1900 <= 9999) {
            int n =
                snprintf(back, sizeof(back), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
            FUZZ_CHECK(n == 20);
            FUZZ_CHECK(isotime_parse(back, &t2) == 0 && t2 == t);
        }
    }
    free(s);
    return 0;
}
