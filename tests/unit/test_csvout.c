/* test_csvout.c - CSV fields: RFC 4180 quoting and formula neutralisation. */
#include "csvout.h"

#include <stdlib.h>
#include <string.h>

#include "check_tap.h"

static const struct {
    const char *in, *out;
} cases[] = {
    {"", ""},
    {"plain", "plain"},
    {"a,b", "\"a,b\""},
    {"say \"hi\"", "\"say \"\"hi\"\"\""},
    {"two\nlines", "\"two\nlines\""},
    {"cr\rhere", "\"cr\rhere\""},
    {"=1+2", "\"'=1+2\""},
    {"+49 30 1234", "\"'+49 30 1234\""},
    {"-5", "\"'-5\""},
    {"@SUM(A1)", "\"'@SUM(A1)\""},
    {"\tx", "\"'\tx\""},
    {"=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""},
    {"a=b", "a=b"},
    {"caf\xc3\xa9", "caf\xc3\xa9"},
};

START_TEST(fields)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(csvout_field(&b, cases[_i].in), 0);
    ck_assert_str_eq(b.s, cases[_i].out);
    buf_release(&b);
}
END_TEST

START_TEST(past_max_leaves_buffer)
{
    struct buf b;
    buf_init(&b, 6);
    ck_assert_int_eq(buf_puts(&b, "x,"), 0);
    ck_assert_int_eq(csvout_field(&b, "a,b,c"), -1);
    ck_assert_str_eq(b.s, "x,");
    buf_release(&b);
}
END_TEST

static Suite *csvout_suite(void)
{
    Suite *s = suite_create("csvout");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, fields, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, past_max_leaves_buffer);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(csvout_suite)
