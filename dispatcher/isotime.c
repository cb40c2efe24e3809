/*
 * isotime.c - strict ISO 8601 parsing without locale or time-zone state.
 */
#include "isotime.h"

#include <ctype.h>
#include <string.h>

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

static int date_part(const char *s, int *y, int *m, int *d)
{
    if (strlen(s) < 10 || digits(s, 4, y) < 0 || s[4] != '-' || digits(s + 5, 2, m) < 0 ||
        s[7] != '-' || digits(s + 8, 2, d) < 0)
        return -1;
    if (*y < 1800 || *m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
        return -1;
    return 0;
}

int isodate_parse(const char *s, int *y, int *m, int *d)
{
    if (strlen(s) != 10)
        return -1;
    return date_part(s, y, m, d);
}

/* days since 1970-01-01 (proleptic Gregorian) */
static long long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int isotime_parse(const char *s, time_t *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
    const char *p = s + 10;

    if (date_part(s, &y, &mo, &d) < 0)
        return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(p, 2, &h) < 0 || p[2] != ':' || digits(p + 3, 2, &mi) < 0)
            return -1;
        p += 5;
        if (*p == ':') {
            if (digits(p + 1, 2, &sec) < 0)
                return -1;
            p += 3;
            if (*p == '.') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return -1;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om = 0;
            int sign = *p == '-' ? -1 : 1;
            if (digits(p + 1, 2, &oh) < 0)
                return -1;
            p += 3;
            if (*p == ':') {
                if (digits(p + 1, 2, &om) < 0)
                    return -1;
                p += 3;
            } else if (isdigit((unsigned char)*p)) {
                if (digits(p, 2, &om) < 0)
                    return -1;
                p += 2;
            }
            if (oh > 14 || om > 59)
                return -1;
            off = sign * (oh * 3600 + om * 60);
        }
    }
    if (*p != '\0')
        return -1;
    *out = (time_t)(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off);
    return 0;
}
