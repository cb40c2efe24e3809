/*
 * test_schedule.c - schedule parsing and expansion (schedule.h): the errors
 * users see, DST edge cases as RFC 5545 3.3.5 reads them, the canonical
 * calendar reading back to the same occurrences, skipping ahead in long
 * rules, and concurrent callers.  The comparison with an independent
 * implementation (dateutil) is tests/integration/schedule.sh.
 */
#include "schedule.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "check_tap.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    return timegm(&tm);
}

#define NOW utc(2026, 12, 1, 0, 0)

/* ---- errors -------------------------------------------------------------- */

struct bad_at {
    const char *at, *tz, *rrule;
    const char *msg; /* prefix of the message */
};

static const struct bad_at bad_ats[] = {
    {"2027-13-01T09:00", NULL, NULL, "invalid time '2027-13-01T09:00' (--at)"},
    {"2027-02-30T09:00", NULL, NULL, "invalid time '2027-02-30T09:00' (--at)"},
    {"2027-03-01 9:00", NULL, NULL, "invalid time '2027-03-01 9:00' (--at)"},
    {"2027-03-01T24:00", NULL, NULL, "invalid time"},
    {"2027-03-01T09:00+1", NULL, NULL, "invalid time"},
    {"2027-03-01T09:00Zx", NULL, NULL, "invalid time"},
    {"tomorrow", NULL, NULL, "invalid time 'tomorrow' (--at)"},
    {"2027-03-01T09:00", "Mars/Olympus", NULL, "unknown time zone 'Mars/Olympus' (--tz)"},
    {"2027-03-01T09:00", "", NULL, "unknown time zone '' (--tz)"},
    {"2027-03-01T09:00", "Europe/Paris", "FREQ=WEEKLY;BYDAY=XX", "invalid RRULE part 'BYDAY=XX'"},
    {"2027-03-01T09:00", "Europe/Paris", "FREQ=FORTNIGHTLY",
     "invalid RRULE part 'FREQ=FORTNIGHTLY'"},
    {"2027-03-01T09:00", "Europe/Paris", "BYDAY=MO", "invalid RRULE 'BYDAY=MO': FREQ is missing"},
    {"2027-03-01T09:00", "Europe/Paris", "FREQ=WEEKLY;SOMETIMES=1",
     "invalid RRULE: unknown part 'SOMETIMES=1'"},
    {"2027-03-01T09:00", "Europe/Paris", "FREQ=MINUTELY",
     "RRULE 'FREQ=MINUTELY': FREQ=MINUTELY is not supported"},
    {"2027-03-01T09:00", "Europe/Paris", "FREQ=DAILY;COUNT=3;UNTIL=20270401T000000Z",
     "RRULE 'FREQ=DAILY;COUNT=3;UNTIL=20270401T000000Z': COUNT and UNTIL"},
    {"2027-03-01T09:00", "Europe/Paris", "FREQ=DAILY;COUNT=20000",
     "RRULE 'FREQ=DAILY;COUNT=20000': COUNT must be 1 to 10000"},
    {"2027-03-28T02:30", "Europe/Paris", NULL,
     "local time 2027-03-28T02:30 does not exist in Europe/Paris: on 2027-03-28 the clocks jump from 02:00 to 03:00"},
    {"2027-03-14T02:15", "America/New_York", "FREQ=WEEKLY",
     "local time 2027-03-14T02:15 does not exist in America/New_York: on 2027-03-14 the clocks jump from 02:00 to 03:00"},
    {"2026-11-30T09:00", "Europe/Paris", NULL,
     "time 2026-11-30T09:00:00 Europe/Paris (2026-11-30T08:00:00Z) is in the past"},
    {"2026-01-05T09:00", "Europe/Paris", "FREQ=WEEKLY;COUNT=3",
     "the schedule has no occurrence after now"},
    {"2027-03-01T09:00", "Europe/Paris", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
     "the schedule has no occurrence after now"},
};

START_TEST(test_bad_at)
{
    const struct bad_at *c = &bad_ats[_i];
    struct schedule_spec sp;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(schedule_parse_at(c->at, c->tz, c->rrule, NOW, &sp, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_msg(strncmp(err.msg, c->msg, strlen(c->msg)) == 0, "case %d: got '%s'", _i, err.msg);
    ck_assert_ptr_null(sp.ics);
}
END_TEST

struct bad_ics {
    const char *ics;
    const char *msg;
};

#define CAL(body)                                                                                  \
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n" body "END:VCALENDAR\r\n"
#define EV(body) "BEGIN:VEVENT\r\nUID:x@t\r\n" body "END:VEVENT\r\n"

static const struct bad_ics bad_icss[] = {
    {"hello", "not an iCalendar object"},
    {CAL(""), "the calendar must hold exactly one VEVENT (it holds 0)"},
    {CAL(EV("DTSTART:20270301T090000Z\r\n") EV("DTSTART:20270302T090000Z\r\n")),
     "the calendar must hold exactly one VEVENT (it holds 2)"},
    {CAL(EV("SUMMARY:x\r\n")), "the VEVENT has no DTSTART"},
    {CAL(EV("DTSTART;TZID=Mars/Olympus:20270301T090000\r\n")),
     "unknown time zone 'Mars/Olympus' (DTSTART TZID)"},
    {CAL(EV("DTSTART:20270301T090000\r\n")), "DTSTART is a floating time"},
    {CAL(EV("DTSTART;VALUE=DATE:20270301\r\n")), "DTSTART 2027-03-01 is a date without a time"},
    {CAL(EV("DTSTART;TZID=Europe/Paris:20270328T023000\r\n")),
     "local time 2027-03-28T02:30 does not exist in Europe/Paris"},
    {CAL(EV("DTSTART;TZID=Europe/Paris:20270301T090000\r\nRRULE:FREQ=SECONDLY\r\n")),
     "RRULE 'FREQ=SECONDLY': FREQ=SECONDLY is not supported"},
    {CAL(EV("DTSTART;TZID=Europe/Paris:20270301T090000\r\nRRULE:FREQ=WEEKLY;BYDAY=XX\r\n")),
     "invalid iCalendar"},
    {CAL(EV("DTSTART;TZID=Europe/Paris:20270301T090000\r\nEXDATE;TZID=Nowhere/Else:20270308T"
            "090000\r\n")),
     "unknown time zone 'Nowhere/Else' (EXDATE TZID)"},
    {CAL(EV("DTSTART;TZID=Europe/Paris:20250301T090000\r\n")),
     "time 2025-03-01T09:00:00 Europe/Paris"},
};

START_TEST(test_bad_ics)
{
    const struct bad_ics *c = &bad_icss[_i];
    struct schedule_spec sp;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(schedule_parse_ics(c->ics, NOW, &sp, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_msg(strncmp(err.msg, c->msg, strlen(c->msg)) == 0, "case %d: got '%s'", _i, err.msg);
}
END_TEST

/* ---- DST edges ----------------------------------------------------------- */

START_TEST(test_ambiguous_takes_first)
{
    struct schedule_spec sp;
    struct mo_err err;
    time_t next;

    mo_err_init(&err);
    ck_assert_int_eq(schedule_parse_at("2027-10-31T02:30", "Europe/Paris", NULL, NOW, &sp, &err),
                     0);
    /* the first 02:30 is still summer time, +02:00 */
    ck_assert_int_eq(sp.dtstart, utc(2027, 10, 31, 0, 30));
    ck_assert_msg(strstr(sp.note, "occurs twice in Europe/Paris") != NULL, "%s", sp.note);
    ck_assert_int_eq(schedule_next(sp.ics, NOW, &next, &err), 1);
    ck_assert_int_eq(next, utc(2027, 10, 31, 0, 30));
    schedule_spec_free(&sp);
}
END_TEST

START_TEST(test_offset_given)
{
    struct schedule_spec sp;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(
        schedule_parse_at("2027-03-01T09:00+05:30", "Europe/Paris", NULL, NOW, &sp, &err), 0);
    ck_assert_int_eq(sp.dtstart, utc(2027, 3, 1, 3, 30));
    ck_assert_str_eq(sp.tzid, "Europe/Paris");
    ck_assert_ptr_nonnull(strstr(sp.ics, "DTSTART;TZID=Europe/Paris:20270301T043000"));
    schedule_spec_free(&sp);
    ck_assert_int_eq(schedule_parse_at("2027-03-01T09:00Z", NULL, NULL, NOW, &sp, &err), 0);
    ck_assert_str_eq(sp.tzid, "UTC");
    ck_assert_ptr_nonnull(strstr(sp.ics, "DTSTART:20270301T090000Z"));
    schedule_spec_free(&sp);
}
END_TEST

/* A daily rule at 02:30 crosses the gap: that day's 02:30 is read with the offset before it. */
START_TEST(test_rule_through_gap)
{
    struct schedule_spec sp;
    struct mo_err err;
    time_t occ[3];

    mo_err_init(&err);
    ck_assert_int_eq(
        schedule_parse_at("2027-03-27T02:30", "Europe/Paris", "FREQ=DAILY;COUNT=3", NOW, &sp, &err),
        0);
    ck_assert_int_eq(schedule_upcoming(sp.ics, NOW, occ, 3, &err), 3);
    ck_assert_int_eq(occ[0], utc(2027, 3, 27, 1, 30));
    ck_assert_int_eq(occ[1], utc(2027, 3, 28, 1, 30)); /* 03:30 summer time */
    ck_assert_int_eq(occ[2], utc(2027, 3, 29, 0, 30));
    schedule_spec_free(&sp);
}
END_TEST

/* ---- canonical form and expansion ---------------------------------------- */

/* The canonical text reads back to the same occurrences as the input. */
START_TEST(test_canonical_roundtrip)
{
    static const char *in =
        CAL(EV("DTSTART;TZID=America/New_York:20270104T083000\r\n"
               "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270601T000000Z\r\n"
               "EXDATE;TZID=America/New_York:20270111T083000,20270114T083000\r\n"
               "EXDATE:20270118T133000Z\r\n"
               "RDATE;TZID=Europe/London:20270120T120000\r\n"));
    struct schedule_spec a, b;
    struct mo_err err;
    time_t x[100], y[100];
    int n, m;

    mo_err_init(&err);
    ck_assert_int_eq(schedule_parse_ics(in, NOW, &a, &err), 0);
    ck_assert_str_eq(a.kind, "ics");
    ck_assert_str_eq(a.tzid, "America/New_York");
    ck_assert_ptr_nonnull(strstr(a.ics, "PRODID:"));
    ck_assert_ptr_nonnull(strstr(a.ics, "DTSTAMP:"));
    ck_assert_ptr_nonnull(strstr(a.ics, "EXDATE;TZID=America/New_York:20270118T083000"));
    ck_assert_ptr_nonnull(strstr(a.ics, "RDATE;TZID=America/New_York:20270120T070000"));
    n = schedule_upcoming(in, NOW, x, 100, &err);
    ck_assert_int_eq(schedule_parse_ics(a.ics, NOW, &b, &err), 0);
    m = schedule_upcoming(b.ics, NOW, y, 100, &err);
    ck_assert_int_gt(n, 30);
    ck_assert_int_eq(n, m);
    ck_assert_mem_eq(x, y, (size_t)n * sizeof(time_t));
    /* EXDATEs gone, RDATE in, ascending */
    ck_assert_int_eq(x[0], utc(2027, 1, 4, 13, 30));
    ck_assert_int_eq(x[1], utc(2027, 1, 7, 13, 30));
    ck_assert_int_eq(x[2], utc(2027, 1, 20, 12, 0));
    ck_assert_int_eq(x[3], utc(2027, 1, 21, 13, 30));
    for (int i = 1; i < n; i++)
        ck_assert_int_lt(x[i - 1], x[i]);
    schedule_spec_free(&a);
    schedule_spec_free(&b);
}
END_TEST

/* Asking from far ahead (the iterator skips forward) gives the tail of the full list. */
static const char *const skip_rules[] = {
    "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",     "FREQ=MONTHLY;BYDAY=1MO",
    "FREQ=MONTHLY;BYMONTHDAY=31",          "FREQ=DAILY;INTERVAL=3;BYHOUR=9,15",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=WEEKLY;BYDAY=SU;UNTIL=20330101T000000Z",
};

START_TEST(test_skip_ahead)
{
    struct schedule_spec sp;
    struct mo_err err;
    static time_t all[2000], tail[10];
    time_t from = utc(2031, 6, 15, 12, 0);
    int n, k, i0;

    mo_err_init(&err);
    ck_assert_int_eq(
        schedule_parse_at("2027-01-31T09:00", "Europe/Paris", skip_rules[_i], NOW, &sp, &err), 0);
    n = schedule_upcoming(sp.ics, NOW, all, 2000, &err);
    ck_assert_int_gt(n, 0);
    for (i0 = 0; i0 < n && all[i0] <= from; i0++)
        ;
    k = schedule_upcoming(sp.ics, from, tail, 10, &err);
    /* occurrences are looked for 25 years ahead of the question: the later one sees further */
    ck_assert_int_ge(k, n - i0 < 10 ? n - i0 : 10);
    for (int i = 0; i < k && i0 + i < n; i++)
        ck_assert_int_eq(tail[i], all[i0 + i]);
    schedule_spec_free(&sp);
}
END_TEST

START_TEST(test_ended)
{
    struct schedule_spec sp;
    struct mo_err err;
    time_t next;

    mo_err_init(&err);
    ck_assert_int_eq(schedule_parse_at("2027-03-01T09:00", "Europe/Paris", "FREQ=WEEKLY;COUNT=2",
                                       NOW, &sp, &err),
                     0);
    ck_assert_int_eq(schedule_next(sp.ics, utc(2027, 3, 8, 8, 0), &next, &err), 0);
    ck_assert_int_eq(schedule_next(sp.ics, utc(2027, 3, 8, 7, 59), &next, &err), 1);
    ck_assert_int_eq(next, utc(2027, 3, 8, 8, 0));
    schedule_spec_free(&sp);
    ck_assert_int_eq(schedule_next("garbage", NOW, &next, &err), -1);
}
END_TEST

/* ---- threads ------------------------------------------------------------- */

struct thr {
    const char *ics;
    const char *zone;
    long sum;
};

static void *worker(void *arg)
{
    struct thr *t = arg;
    struct mo_err err;
    time_t occ[50];
    char loc[48];

    mo_err_init(&err);
    for (int i = 0; i < 40; i++) {
        int n = schedule_upcoming(t->ics, NOW + (time_t)i * 86400 * 30, occ, 50, &err);
        for (int j = 0; j < n; j++)
            t->sum += (long)(occ[j] % 100000);
        if (n > 0 && schedule_format_local(t->zone, occ[0], loc, sizeof(loc)) == 0)
            t->sum += (long)strlen(loc);
    }
    return NULL;
}

START_TEST(test_threads)
{
    static const char *zones[] = {"Europe/Paris", "America/New_York", "Australia/Sydney",
                                  "Asia/Tokyo"};
    struct schedule_spec sp[4];
    struct thr t[4], solo[4];
    pthread_t th[4];
    struct mo_err err;

    mo_err_init(&err);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(schedule_parse_at("2027-01-04T09:00", zones[i], "FREQ=WEEKLY;BYDAY=MO,FR",
                                           NOW, &sp[i], &err),
                         0);
        solo[i] = (struct thr){sp[i].ics, zones[i], 0};
        worker(&solo[i]);
        t[i] = (struct thr){sp[i].ics, zones[i], 0};
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &t[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(t[i].sum, solo[i].sum);
        schedule_spec_free(&sp[i]);
    }
}
END_TEST

static Suite *schedule_suite(void)
{
    Suite *s = suite_create("schedule");
    TCase *tc = tcase_create("schedule");

    tcase_set_timeout(tc, 20);
    tcase_add_loop_test(tc, test_bad_at, 0, (int)(sizeof(bad_ats) / sizeof(bad_ats[0])));
    tcase_add_loop_test(tc, test_bad_ics, 0, (int)(sizeof(bad_icss) / sizeof(bad_icss[0])));
    tcase_add_test(tc, test_ambiguous_takes_first);
    tcase_add_test(tc, test_offset_given);
    tcase_add_test(tc, test_rule_through_gap);
    tcase_add_test(tc, test_canonical_roundtrip);
    tcase_add_loop_test(tc, test_skip_ahead, 0, (int)(sizeof(skip_rules) / sizeof(skip_rules[0])));
    tcase_add_test(tc, test_ended);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(schedule_suite)
