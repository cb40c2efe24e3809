/* test_buf.c - struct buf: growth, the maximum, detach. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "check_tap.h"

START_TEST(empty_is_terminated)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_str_eq(b.s, "");
    ck_assert_uint_eq(b.len, 0);
    buf_release(&b);
}
END_TEST

START_TEST(appends_and_formats)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(buf_puts(&b, "abc"), 0);
    ck_assert_int_eq(buf_printf(&b, "-%d-%s", 42, "x"), 0);
    ck_assert_int_eq(buf_putc(&b, '!'), 0);
    ck_assert_str_eq(b.s, "abc-42-x!");
    ck_assert_uint_eq(b.len, 9);
    buf_truncate(&b, 3);
    ck_assert_str_eq(b.s, "abc");
    buf_release(&b);
}
END_TEST

START_TEST(refuses_past_max_and_stays_unchanged)
{
    struct buf b;
    buf_init(&b, 8);
    ck_assert_int_eq(buf_puts(&b, "12345678"), 0);
    ck_assert_int_eq(buf_putc(&b, '9'), -1);
    ck_assert_int_eq(buf_printf(&b, "%s", "x"), -1);
    ck_assert_str_eq(b.s, "12345678");
    ck_assert_uint_eq(b.len, 8);
    buf_release(&b);
}
END_TEST

START_TEST(grows_large)
{
    struct buf b;
    buf_init(&b, 0);
    for (int i = 0; i < 10000; i++)
        ck_assert_int_eq(buf_puts(&b, "0123456789"), 0);
    ck_assert_uint_eq(b.len, 100000);
    ck_assert_uint_eq(strlen(b.s), 100000);
    char *s = buf_detach(&b);
    ck_assert_str_eq(b.s, "");
    ck_assert_uint_eq(strlen(s), 100000);
    free(s);
    buf_release(&b);
}
END_TEST

START_TEST(detach_empty_gives_heap_string)
{
    struct buf b;
    buf_init(&b, 0);
    char *s = buf_detach(&b);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

static const struct {
    const char *in;
    size_t max;
    const char *out;
} shown_cases[] = {
    {"plain", 100, "plain"},
    {"a\r\nb\tc", 100, "a\\r\\nb\\tc"},
    {"nul\x01"
     "del\x7f",
     100, "nul\\x01del\\x7f"},
    {"caf\xc3\xa9", 100, "caf\xc3\xa9"}, /* valid UTF-8 kept */
    {"caf\xe9", 100, "caf\\xe9"},        /* Latin-1 byte escaped */
    {"abcdef", 3, "abc..."},             /* shortened */
    {"ab\xc3\xa9", 3, "ab..."},          /* never cut inside a character */
    {"", 10, ""},
};

START_TEST(shown_values)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(
        buf_put_shown(&b, shown_cases[_i].in, strlen(shown_cases[_i].in), shown_cases[_i].max), 0);
    ck_assert_str_eq(b.s, shown_cases[_i].out);
    buf_release(&b);
}
END_TEST

static Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, empty_is_terminated);
    tcase_add_test(tc, appends_and_formats);
    tcase_add_test(tc, refuses_past_max_and_stays_unchanged);
    tcase_add_test(tc, grows_large);
    tcase_add_test(tc, detach_empty_gives_heap_string);
    tcase_add_loop_test(tc, shown_values, 0, (int)(sizeof(shown_cases) / sizeof(shown_cases[0])));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(buf_suite)
