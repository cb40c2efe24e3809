/* test_bgworker.c - the background thread: its body runs, a stop ends it, a stuck body is left. */
#include "bgworker.h"

#include <stdatomic.h>
#include <unistd.h>

#include "check_tap.h"
#include "monotime.h"

struct counter {
    atomic_int loops;
    atomic_int ended;
    int hang_ms; /* > 0: ignore the stop for that long */
};

static void body(struct bgworker *w, void *arg)
{
    struct counter *c = arg;

    while (!bgworker_stopping(w)) {
        atomic_fetch_add(&c->loops, 1);
        bgworker_wait(w, -1, 10000); /* only a stop request wakes it early */
    }
    if (c->hang_ms > 0)
        usleep((useconds_t)c->hang_ms * 1000);
    atomic_store(&c->ended, 1);
}

START_TEST(stop_wakes_the_wait)
{
    struct counter c = {0, 0, 0};
    struct mo_err err;

    mo_err_init(&err);
    struct bgworker *w = bgworker_start("test worker", body, &c, &err);
    ck_assert_ptr_nonnull(w);
    while (atomic_load(&c.loops) == 0)
        usleep(1000);
    long long t0 = monotime_ms();
    ck_assert_int_eq(bgworker_stop(w, 3000), 0); /* the 10 s wait is cut short */
    ck_assert_int_lt(monotime_ms() - t0, 3000);
    ck_assert_int_eq(atomic_load(&c.ended), 1);
    ck_assert_int_eq(atomic_load(&c.loops), 1);
}
END_TEST

START_TEST(request_stop_once)
{
    struct counter c = {0, 0, 0};
    struct mo_err err;

    mo_err_init(&err);
    struct bgworker *w = bgworker_start("test worker", body, &c, &err);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(bgworker_request_stop(w), 0);
    ck_assert_int_eq(bgworker_request_stop(w), 1);
    ck_assert_int_eq(bgworker_stopping(w), 1);
    ck_assert_int_eq(bgworker_stop(w, 3000), 0);
    ck_assert_int_eq(bgworker_stop(NULL, 0), 0);
    ck_assert_int_eq(bgworker_request_stop(NULL), 1);
}
END_TEST

START_TEST(stuck_body_is_left)
{
    static struct counter c = {0, 0, 1500}; /* outlives the test's stack: the thread reads it */
    struct mo_err err;

    mo_err_init(&err);
    struct bgworker *w = bgworker_start("test worker", body, &c, &err);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(bgworker_stop(w, 100), 1); /* still in its body */
    ck_assert_int_eq(atomic_load(&c.ended), 0);
    /* it ends by itself; a second stop then joins and frees it */
    ck_assert_int_eq(bgworker_stop(w, 3000), 0);
    ck_assert_int_eq(atomic_load(&c.ended), 1);
}
END_TEST

static Suite *bgworker_suite(void)
{
    Suite *s = suite_create("bgworker");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, stop_wakes_the_wait);
    tcase_add_test(tc, request_stop_once);
    tcase_add_test(tc, stuck_body_is_left);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(bgworker_suite)
