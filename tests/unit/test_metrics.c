/* test_metrics.c - the metric table: names, help, counting, Prometheus text. */
#include "metrics.h"

#include <string.h>

#include "check_tap.h"

/* Prometheus metric names: [a-zA-Z_:][a-zA-Z0-9_:]* (we use lower case and _). */
static int valid_name(const char *s)
{
    if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

START_TEST(every_row_is_filled_and_unique)
{
    for (int i = 0; i < METRIC__COUNT; i++) {
        const char *n = metrics_name((enum metric_id)i);
        ck_assert_msg(n != NULL && valid_name(n), "metric %d: '%s'", i, n ? n : "(null)");
        ck_assert_int_eq(strncmp(n, "mailout_", 8), 0);
        for (int k = 0; k < i; k++)
            ck_assert_str_ne(n, metrics_name((enum metric_id)k));
    }
}
END_TEST

/* The names dashboards already use stay as they are. */
START_TEST(names_are_kept)
{
    static const struct {
        enum metric_id id;
        const char *name;
    } kept[] = {
        {METRIC_HTTP_REQUESTS, "mailout_http_requests_total"},
        {METRIC_SUBSCRIBE_ACCEPTED, "mailout_subscribe_accepted_total"},
        {METRIC_SUBSCRIBE_IP_LIMITED, "mailout_subscribe_ip_limited_total"},
        {METRIC_SUBSCRIBE_ADDRESS_LIMITED, "mailout_subscribe_address_limited_total"},
        {METRIC_SUBSCRIBE_WITHOUT_TOPIC, "mailout_subscribe_without_topic_total"},
        {METRIC_SUBSCRIBE_INVALID, "mailout_subscribe_invalid_total"},
        {METRIC_CONFIRM_SUCCESS, "mailout_confirm_success_total"},
        {METRIC_CONFIRM_GONE, "mailout_confirm_gone_total"},
        {METRIC_CONFIRM_UNKNOWN, "mailout_confirm_unknown_total"},
        {METRIC_HTTP_INTERNAL_ERRORS, "mailout_http_internal_errors_total"},
        {METRIC_HTTP_RESPONSES_4XX, "mailout_http_responses_4xx_total"},
        {METRIC_HTTP_RESPONSES_5XX, "mailout_http_responses_5xx_total"},
        {METRIC_UP, "mailout_up"},
        {METRIC_UNSUBSCRIBE_SUCCESS, "mailout_unsubscribe_success_total"},
        {METRIC_UNSUBSCRIBE_UNKNOWN, "mailout_unsubscribe_unknown_total"},
        {METRIC_UNSUBSCRIBE_INVALID, "mailout_unsubscribe_invalid_total"},
        {METRIC_UNSUBSCRIBE_ERRORS, "mailout_unsubscribe_errors_total"},
    };

    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        ck_assert_str_eq(metrics_name(kept[i].id), kept[i].name);
}
END_TEST

START_TEST(count_and_render)
{
    struct metrics *m = metrics_new();
    struct buf out;

    ck_assert_uint_eq(metrics_get(m, METRIC_HTTP_REQUESTS), 0);
    ck_assert_uint_eq(metrics_get(m, METRIC_UP), 1);
    metrics_inc(m, METRIC_HTTP_REQUESTS);
    metrics_inc(m, METRIC_HTTP_REQUESTS);
    metrics_set(m, METRIC_CONFIRM_GONE, 41);
    metrics_inc(m, METRIC_CONFIRM_GONE);
    ck_assert_uint_eq(metrics_get(m, METRIC_HTTP_REQUESTS), 2);

    buf_init(&out, 0);
    ck_assert_int_eq(metrics_render(m, &out), 0);
    ck_assert_ptr_nonnull(strstr(out.s, "# HELP mailout_http_requests_total HTTP requests "
                                        "received.\n# TYPE mailout_http_requests_total counter\n"
                                        "mailout_http_requests_total 2\n"));
    ck_assert_ptr_nonnull(strstr(out.s, "\nmailout_confirm_gone_total 42\n"));
    ck_assert_ptr_nonnull(strstr(out.s, "# TYPE mailout_up gauge\nmailout_up 1\n"));
    /* every metric: HELP, TYPE, sample */
    int lines = 0;
    for (const char *p = out.s; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 3 * METRIC__COUNT);
    buf_release(&out);

    /* a full buffer keeps what fits, whole metrics only */
    buf_init(&out, 200);
    ck_assert_int_eq(metrics_render(m, &out), -1);
    ck_assert_uint_gt(out.len, 0);
    ck_assert_int_eq(out.s[out.len - 1], '\n');
    buf_release(&out);
    metrics_free(m);
    metrics_free(NULL);
}
END_TEST

static Suite *metrics_suite(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, every_row_is_filled_and_unique);
    tcase_add_test(tc, names_are_kept);
    tcase_add_test(tc, count_and_render);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(metrics_suite)
