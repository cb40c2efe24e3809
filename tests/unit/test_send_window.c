/* test_send_window.c - --days, --hours, their canonical text, and the zone name shape. */
#include "send_window.h"

#include <string.h>

#include "check_tap.h"

/* ---- send_window_parse_days and send_window_days_text ---------------------- */

struct days_case {
    const char *in;
    const char *text; /* canonical text; NULL: refused */
};

static const struct days_case days_cases[] = {
    {"mon-fri", "mon-fri"},
    {"MON-Fri", "mon-fri"},
    {"mon", "mon"},
    {"sun", "sun"},
    {"mon,wed,fri", "mon,wed,fri"},
    {"fri,wed,mon", "mon,wed,fri"},
    {"sat-sun", "sat-sun"},
    {"mon-sun", "mon-sun"},
    {"sun-sat", "mon-sun"},         /* wraps: every day */
    {"fri-mon", "mon,fri-sun"},     /* wraps over the week end */
    {"mon-wed,tue-thu", "mon-thu"}, /* overlaps merge */
    {"mon,mon", "mon"},
    {"mon-mon", "mon"},
    {" mon , tue ", "mon-tue"},
    {"mon-fri,sun", "mon-fri,sun"},
    {"", NULL},
    {",", NULL},
    {"mon,", NULL},
    {",mon", NULL},
    {"mon,,tue", NULL},
    {"monday", NULL},
    {"mo", NULL},
    {"mon-", NULL},
    {"-fri", NULL},
    {"mon-fri-sat", NULL},
    {"1-5", NULL},
    {"weekdays", NULL},
    {"mon fri", NULL},
    {"mon;fri", NULL},
};

START_TEST(days_table)
{
    const struct days_case *c = &days_cases[_i];
    struct mo_err err;
    unsigned days = 99;
    char text[SEND_WINDOW_DAYS_TEXT];

    mo_err_init(&err);
    if (c->text) {
        ck_assert_msg(send_window_parse_days(c->in, &days, &err) == 0, "'%s': %s", c->in, err.msg);
        send_window_days_text(days, text, sizeof(text));
        ck_assert_str_eq(text, c->text);
        ck_assert_uint_eq(days & ~0xfeu, 0);
    } else {
        ck_assert_msg(send_window_parse_days(c->in, &days, &err) == -1, "'%s' accepted", c->in);
        ck_assert_int_eq(err.code, MO_E_INPUT);
        ck_assert_uint_eq(days, 0);
        ck_assert_msg(strncmp(err.msg, "invalid --days '", 16) == 0, "%s", err.msg);
    }
}
END_TEST

START_TEST(days_messages)
{
    struct mo_err err;
    unsigned days;
    char long_spec[200];

    mo_err_init(&err);
    ck_assert_int_eq(send_window_parse_days("mon-frx", &days, &err), -1);
    ck_assert_str_eq(err.msg, "invalid --days 'mon-frx': expected weekdays mon, tue, wed, thu, "
                              "fri, sat, sun, ranges and lists such as mon-fri or mon,wed,sat-sun");
    memset(long_spec, 'a', sizeof(long_spec) - 1);
    long_spec[sizeof(long_spec) - 1] = '\0';
    mo_err_init(&err);
    ck_assert_int_eq(send_window_parse_days(long_spec, &days, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_uint_lt(strlen(err.msg), 150);
    /* a control character is shown escaped, never raw */
    mo_err_init(&err);
    ck_assert_int_eq(send_window_parse_days("mon\nfri", &days, &err), -1);
    ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

/* ---- send_window_parse_hours and send_window_hours_text -------------------- */

struct hours_case {
    const char *in;
    int start, end;  /* -1: refused */
    const char *why; /* the end of the message when refused */
};

static const char *const hours_expected =
    "expected local start and end HH:MM-HH:MM such as 09:00-17:00 (00:00 to 24:00)";
static const char *const hours_midnight = "the end must be after the start: a window cannot "
                                          "cross midnight (24:00 is the end of the day)";

static const struct hours_case hours_cases[] = {
    {"09:00-17:00", 540, 1020, NULL},
    {"00:00-24:00", 0, 1440, NULL},
    {"23:59-24:00", 1439, 1440, NULL},
    {"00:00-00:01", 0, 1, NULL},
    {"08:30-12:45", 510, 765, NULL},
    {"17:00-09:00", -1, -1, "midnight"},
    {"22:00-06:00", -1, -1, "midnight"},
    {"09:00-09:00", -1, -1, "midnight"},
    {"24:00-24:00", -1, -1, "a window cannot open at 24:00"},
    {"9:00-17:00", -1, -1, "expected"},
    {"09:00-17:0", -1, -1, "expected"},
    {"09:00 - 17:00", -1, -1, "expected"},
    {"09:00-25:00", -1, -1, "expected"},
    {"09:60-17:00", -1, -1, "expected"},
    {"09:00-24:01", -1, -1, "expected"},
    {"09.00-17.00", -1, -1, "expected"},
    {"09:00", -1, -1, "expected"},
    {"", -1, -1, "expected"},
    {"-9:00-17:00", -1, -1, "expected"},
    {"09:00+17:00", -1, -1, "expected"},
    {"09:00-17:00x", -1, -1, "expected"},
};

START_TEST(hours_table)
{
    const struct hours_case *c = &hours_cases[_i];
    struct mo_err err;
    int a = 7, b = 7;

    mo_err_init(&err);
    if (c->start >= 0) {
        ck_assert_msg(send_window_parse_hours(c->in, &a, &b, &err) == 0, "'%s': %s", c->in,
                      err.msg);
        ck_assert_int_eq(a, c->start);
        ck_assert_int_eq(b, c->end);
        struct send_window w = {0xfe, a, b};
        char text[16];
        send_window_hours_text(&w, text, sizeof(text));
        ck_assert_str_eq(text, c->in);
        return;
    }
    ck_assert_msg(send_window_parse_hours(c->in, &a, &b, &err) == -1, "'%s' accepted", c->in);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_int_eq(a, 0);
    ck_assert_int_eq(b, 0);
    const char *why = strcmp(c->why, "expected") == 0   ? hours_expected
                      : strcmp(c->why, "midnight") == 0 ? hours_midnight
                                                        : c->why;
    char want[300];
    snprintf(want, sizeof(want), "invalid --hours '%s': %s", c->in, why);
    ck_assert_str_eq(err.msg, want);
}
END_TEST

/* ---- send_window_zone_shape ----------------------------------------------- */

struct zone_case {
    const char *in;
    int ok;
};

static const struct zone_case zone_cases[] = {
    {"Europe/Berlin", 1},
    {"UTC", 1},
    {"America/Argentina/Buenos_Aires", 1},
    {"Etc/GMT+3", 1},
    {"Etc/GMT-14", 1},
    {"America/Port-au-Prince", 1},
    {"EST5EDT", 1},
    {"Mars/Olympus_Mons", 1}, /* the shape is fine; the zone database says no */
    {"", 0},
    {"/Europe/Berlin", 0},
    {"Europe/Berlin/", 0},
    {"Europe//Berlin", 0},
    {"Europe/../etc", 0},
    {"../etc/passwd", 0},
    {"Europe/Berlin ", 0},
    {" Europe/Berlin", 0},
    {"Europe/Berlin;DROP", 0},
    {"1Europe/Berlin", 0},
    {"+01:00", 0},
    {"UTC+3:30", 0},
    {"posix/Europe/Berlin", 0},
    {"right/UTC", 0},
    {"localtime", 0},
    {"posixrules", 0},
    {"Factory", 0},
    {"Europe/Zürich", 0},
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1},  /* 64 */
    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0}, /* 65 */
};

START_TEST(zone_table)
{
    const struct zone_case *c = &zone_cases[_i];
    ck_assert_msg(send_window_zone_shape(c->in) == c->ok, "'%s'", c->in);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *send_window_suite(void)
{
    Suite *s = suite_create("send_window");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, days_table, 0, NCASES(days_cases));
    tcase_add_test(tc, days_messages);
    tcase_add_loop_test(tc, hours_table, 0, NCASES(hours_cases));
    tcase_add_loop_test(tc, zone_table, 0, NCASES(zone_cases));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(send_window_suite)
