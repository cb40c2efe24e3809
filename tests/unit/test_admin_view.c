/* test_admin_view.c - the admin view's HTML pieces: escaping, JSON as tables, the SVG chart. */
#include "admin_view.h"

#include <string.h>

#include "check_tap.h"

/* The number of times needle occurs in hay. */
static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

START_TEST(escape)
{
    struct buf b;

    buf_init(&b, 0);
    admin_esc(&b, "<a href=\"x\">'&'</a>");
    ck_assert_str_eq(b.s, "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    buf_reset(&b);
    admin_esc(&b, NULL);
    ck_assert_uint_eq(b.len, 0);
    buf_release(&b);
}
END_TEST

/* Every key and value from JSON is escaped; arrays of objects become tables with a column per key.
 */
START_TEST(json_tables)
{
    struct buf b;
    json_error_t je;
    json_t *j =
        json_loads("{\"contact\": {\"email\": \"<script>alert(1)</script>@x.example\","
                   " \"vip\": true},"
                   " \"sends\": [{\"run\": 1, \"status\": \"sent\"},"
                   "             {\"run\": 2, \"<th>\": \"x\", \"nested\": {\"a\": \"<b>\"}}],"
                   " \"revocations\": [], \"error\": null, \"n\": 2.5}",
                   0, &je);

    ck_assert_ptr_nonnull(j);
    buf_init(&b, 0);
    admin_json_html(j, &b);
    ck_assert_ptr_null(strstr(b.s, "<script"));
    ck_assert_ptr_null(strstr(b.s, "<b>"));
    ck_assert_ptr_nonnull(strstr(b.s, "&lt;script&gt;alert(1)&lt;/script&gt;@x.example"));
    ck_assert_ptr_nonnull(strstr(b.s,
                                 "<th scope=\"col\">run</th><th scope=\"col\">status</th>"
                                 "<th scope=\"col\">&lt;th&gt;</th><th scope=\"col\">nested</th>"));
    ck_assert_ptr_nonnull(strstr(b.s, "<td>1</td><td>sent</td><td></td><td></td>"));
    ck_assert_ptr_nonnull(strstr(b.s, "{&quot;a&quot;: &quot;&lt;b&gt;&quot;}")
                              ? strstr(b.s, "{&quot;a&quot;: &quot;&lt;b&gt;&quot;}")
                              : strstr(b.s, "{&quot;a&quot;:&quot;&lt;b&gt;&quot;}"));
    ck_assert_ptr_nonnull(strstr(b.s, "<h3>revocations</h3>\n<p class=\"empty\">none</p>"));
    ck_assert_ptr_nonnull(strstr(b.s, "<th scope=\"row\">n</th><td>2.5</td>"));
    ck_assert_int_eq(count(b.s, "<table"), count(b.s, "</table>"));
    json_decref(j);
    buf_release(&b);
}
END_TEST

START_TEST(chart)
{
    struct admin_point p[3] = {
        {"2026-12-01 10:00", {5, 0, 0}},
        {"2026-12-01 11:00", {0, 0, 0}},
        {"<x>&\"", {2, 1, 3}},
    };
    struct buf b;

    buf_init(&b, 0);
    admin_svg_chart(p, 3, "hour", &b);
    ck_assert_ptr_nonnull(strstr(b.s, "<svg "));
    ck_assert_int_eq(count(b.s, "<g class=\"series\""), ADMIN_SERIES);
    for (int s = 0; s < ADMIN_SERIES; s++) {
        char attr[64];
        snprintf(attr, sizeof(attr), "data-series=\"%s\"", admin_series_name[s]);
        ck_assert_int_eq(count(b.s, attr), 1);
    }
    /* a bar per non-zero value, three legend swatches */
    ck_assert_int_eq(count(b.s, "<rect "), 4 + 3);
    ck_assert_ptr_null(strstr(b.s, "<x>"));
    ck_assert_ptr_nonnull(strstr(b.s, "&lt;x&gt;&amp;&quot;: 3 unsubscribed"));
    ck_assert_ptr_nonnull(strstr(b.s, "messages per hour"));
    ck_assert_ptr_nonnull(strstr(b.s, "Unsubscribed</text>"));
    ck_assert_ptr_nonnull(strstr(b.s, "</svg>"));
    buf_reset(&b);
    admin_svg_chart(NULL, 0, "day", &b);
    ck_assert_ptr_nonnull(strstr(b.s, "nothing sent yet"));
    ck_assert_int_eq(count(b.s, "<g class=\"series\""), ADMIN_SERIES);
    buf_release(&b);
}
END_TEST

/* A page cap cuts the output; it never overflows. */
START_TEST(capped)
{
    static struct admin_point p[ADMIN_POINTS_MAX + 5];
    struct buf b;

    for (size_t i = 0; i < ADMIN_POINTS_MAX + 5; i++) {
        snprintf(p[i].label, sizeof(p[i].label), "b%zu", i);
        p[i].v[0] = (long long)i;
    }
    buf_init(&b, 4096);
    admin_svg_chart(p, ADMIN_POINTS_MAX + 5, "day", &b);
    ck_assert_uint_le(b.len, 4096);
    buf_release(&b);
}
END_TEST

static Suite *admin_view_suite(void)
{
    Suite *s = suite_create("admin_view");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, escape);
    tcase_add_test(tc, json_tables);
    tcase_add_test(tc, chart);
    tcase_add_test(tc, capped);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(admin_view_suite)
