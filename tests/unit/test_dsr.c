/* test_dsr.c - the Art. 12(3) month arithmetic (Regulation 1182/71 Art. 3(2)(c)) and the
 * input checks of the data-subject request log. */
#include "dsr.h"

#include <string.h>

#include "check_tap.h"

/* received, months, due */
static const struct {
    const char *from;
    int months;
    const char *to;
} months_cases[] = {
    {"2026-01-31", 1, "2026-02-28"}, /* no 31 February: the month's last day */
    {"2026-01-30", 1, "2026-02-28"},
    {"2026-01-29", 1, "2026-02-28"},
    {"2026-01-28", 1, "2026-02-28"},
    {"2026-02-28", 1, "2026-03-28"}, /* the same day number, not the month's end */
    {"2028-01-31", 1, "2028-02-29"}, /* leap year */
    {"2028-01-29", 1, "2028-02-29"},
    {"2100-01-31", 1, "2100-02-28"}, /* no leap year (century) */
    {"2000-01-31", 1, "2000-02-29"}, /* leap year (400) */
    {"2026-03-31", 1, "2026-04-30"},
    {"2026-12-31", 1, "2027-01-31"}, /* year change */
    {"2026-12-15", 1, "2027-01-15"},
    {"2026-01-15", 1, "2026-02-15"},
    {"2026-05-31", 1, "2026-06-30"},
    {"2026-01-31", 3, "2026-04-30"}, /* extension: received + 3 months */
    {"2026-01-30", 3, "2026-04-30"},
    {"2026-02-28", 3, "2026-05-28"},
    {"2026-11-30", 3, "2027-02-28"},
    {"2027-11-30", 3, "2028-02-29"},
    {"2026-10-31", 3, "2027-01-31"},
    {"2026-12-31", 3, "2027-03-31"},
    {"2026-06-01", 0, "2026-06-01"},
};

START_TEST(add_months)
{
    struct dsr_date d, to;
    char out[DSR_DATE_LEN];
    struct mo_err e;

    mo_err_init(&e);
    ck_assert_int_eq(dsr_date_parse(months_cases[_i].from, "--received", &d, &e), 0);
    to = dsr_add_months(d, months_cases[_i].months);
    dsr_date_format(to, out);
    ck_assert_str_eq(out, months_cases[_i].to);
}
END_TEST

static const struct {
    const char *in;
    const char *msg;
} bad_dates[] = {
    {"2026-02-30", "invalid --received '2026-02-30': not a real date YYYY-MM-DD"},
    {"2026-02-29", "invalid --received '2026-02-29': not a real date YYYY-MM-DD"},
    {"2026-13-01", "invalid --received '2026-13-01': not a real date YYYY-MM-DD"},
    {"2026-1-01", "invalid --received '2026-1-01': not a real date YYYY-MM-DD"},
    {"2026-01-01T00:00", "invalid --received '2026-01-01T00:00': not a real date YYYY-MM-DD"},
    {"", "invalid --received '': not a real date YYYY-MM-DD"},
    {"yesterday", "invalid --received 'yesterday': not a real date YYYY-MM-DD"},
    {"1999-12-31", "invalid --received '1999-12-31': before 2000"},
};

START_TEST(bad_date)
{
    struct dsr_date d;
    struct mo_err e;

    mo_err_init(&e);
    ck_assert_int_eq(dsr_date_parse(bad_dates[_i].in, "--received", &d, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);
    ck_assert_str_eq(e.msg, bad_dates[_i].msg);
}
END_TEST

START_TEST(month_days)
{
    ck_assert_int_eq(dsr_month_days(2026, 2), 28);
    ck_assert_int_eq(dsr_month_days(2028, 2), 29);
    ck_assert_int_eq(dsr_month_days(1900, 2), 28);
    ck_assert_int_eq(dsr_month_days(2000, 2), 29);
    ck_assert_int_eq(dsr_month_days(2026, 4), 30);
    ck_assert_int_eq(dsr_month_days(2026, 12), 31);
}
END_TEST

static const struct {
    const char *in;
    int ok;
} reasons[] = {
    {"complex request: several systems to search", 1},
    {"Umfang der Anfrage (\xc3\xa4)", 1},
    {"", 0},
    {"line\r\ninjected", 0},
    {"tab\there", 0},
    {"del\x7f", 0},
    {"mail me at a@example.com", 0},
    {"bad \xff utf-8", 0},
};

START_TEST(reason)
{
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(dsr_reason_check(reasons[_i].in, &e), reasons[_i].ok ? 0 : -1);
}
END_TEST

START_TEST(reason_length)
{
    char big[DSR_REASON_MAX + 2];
    struct mo_err e;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    mo_err_init(&e);
    ck_assert_int_eq(dsr_reason_check(big, &e), -1);
    big[DSR_REASON_MAX] = '\0';
    mo_err_init(&e);
    ck_assert_int_eq(dsr_reason_check(big, &e), 0);
    mo_err_init(&e);
    ck_assert_int_eq(dsr_reason_check(NULL, &e), -1);
}
END_TEST

START_TEST(kinds)
{
    ck_assert(dsr_kind_valid("access"));
    ck_assert(dsr_kind_valid("erasure"));
    ck_assert(dsr_kind_valid("objection"));
    ck_assert(dsr_kind_valid("rectification"));
    ck_assert(!dsr_kind_valid("Access"));
    ck_assert(!dsr_kind_valid(""));
    ck_assert(!dsr_kind_valid(NULL));
    ck_assert(dsr_channel_valid("post"));
    ck_assert(!dsr_channel_valid("fax"));
}
END_TEST

static Suite *dsr_suite(void)
{
    Suite *s = suite_create("dsr");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, add_months, 0, (int)(sizeof(months_cases) / sizeof(months_cases[0])));
    tcase_add_loop_test(tc, bad_date, 0, (int)(sizeof(bad_dates) / sizeof(bad_dates[0])));
    tcase_add_test(tc, month_days);
    tcase_add_loop_test(tc, reason, 0, (int)(sizeof(reasons) / sizeof(reasons[0])));
    tcase_add_test(tc, reason_length);
    tcase_add_test(tc, kinds);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(dsr_suite)
