/*
 * fuzz_dsr.c - the inputs of `mailout request`: --received and --reason.
 *
 * fuzz-options: -max_len=600
 *
 * Properties: a date dsr_date_parse() accepts prints back as the input;
 * one month later is a real date after it and within 31 days, on the same
 * day number or the month's last day; three months later is after that; an
 * accepted reason has no control character, no '@' and at most
 * DSR_REASON_MAX bytes.
 */
#include "dsr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "isotime.h"

static long days(struct dsr_date d)
{
    int y = d.y - (d.m <= 2);
    long era = y / 400;
    long yoe = y - era * 400;
    long doy = (153 * (d.m + (d.m > 2 ? -3 : 9)) + 2) / 5 + d.d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    char back[DSR_DATE_LEN];
    struct dsr_date d, one, three;
    struct mo_err e;
    int y, m, dd;

    mo_err_init(&e);
    if (dsr_date_parse(s, "--received", &d, &e) == 0) {
        dsr_date_format(d, back);
        FUZZ_CHECK(strcmp(back, s) == 0);
        one = dsr_add_months(d, 1);
        three = dsr_add_months(d, 3);
        dsr_date_format(one, back);
        FUZZ_CHECK(isodate_parse(back, &y, &m, &dd) == 0 || one.y > 9999);
        FUZZ_CHECK(days(one) > days(d) && days(one) - days(d) <= 31);
        FUZZ_CHECK(one.d == d.d || one.d == dsr_month_days(one.y, one.m));
        FUZZ_CHECK(days(three) > days(one));
    }
    mo_err_init(&e);
    if (dsr_reason_check(s, &e) == 0) {
        FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= DSR_REASON_MAX && strchr(s, '@') == NULL);
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
            FUZZ_CHECK(*p >= 0x20 && *p != 0x7f);
    }
    free(s);
    return 0;
}
