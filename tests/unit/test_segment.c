/*
 * test_segment.c - segment expressions: expression -> exact SQL and
 * parameters (every construct, precedence), errors -> exact
 * "LINE:COL: message", and the limits (length, depth, values).
 */
#include "segment.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check_tap.h"

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define ATTRS     "vip, tier,score"

/* the reference time is $1, the values start at $2 */
#define TRACKING                                                                                   \
    " AND NOT contact_is_minor(c.birth_date, c.country, $1::timestamptz)"                          \
    " AND consent_is_current(c.id, (SELECT t.id FROM topics t WHERE t.name = 'tracking')))"
#define CAT_JOIN " JOIN products p ON p.sku = %s JOIN categories k ON k.id = p.category_id"
#define NUM_ATTR                                                                                   \
    "(CASE WHEN (c.attrs ->> $2) ~ '^-?[0-9]+(\\.[0-9]+)?$' THEN (c.attrs ->> $2)::numeric END)"
#define WINDOW(col, n) " AND " col " >= $1::timestamptz - make_interval(days => $" #n "::int)"

struct sql_case {
    const char *expr;
    const char *sql;
    const char *params[8]; /* NULL-terminated */
};

static const struct sql_case sql_cases[] = {
    {"true", "true", {NULL}},
    {"  TRUE\n", "true", {NULL}},
    {"country = 'DE'", "c.country = $2", {"DE", NULL}},
    {"name = 'O''Brien'", "c.name = $2", {"O'Brien", NULL}},
    {"name = 'x'' OR 1=1 --'", "c.name = $2", {"x' OR 1=1 --", NULL}},
    {"email = 'A@B.example'", "lower(c.email) = lower($2)", {"A@B.example", NULL}},
    {"Email like '%@x.example'", "lower(c.email) LIKE lower($2)", {"%@x.example", NULL}},
    {"name > 'a' AND name >= 'b' AND name <= 'c' AND name < 'd' AND name != 'e'",
     "(c.name > $2 AND c.name >= $3 AND c.name <= $4 AND c.name < $5 AND c.name <> $6)",
     {"a", "b", "c", "d", "e", NULL}},
    {"locale = 7", "c.locale = $2", {"7", NULL}},
    {"country IN ('DE','AT')", "c.country IN ($2, $3)", {"DE", "AT", NULL}},
    {"country not in ('DE')", "c.country NOT IN ($2)", {"DE", NULL}},
    {"name IS NULL OR locale is not null", "(c.name IS NULL OR c.locale IS NOT NULL)", {NULL}},
    {"birth_date < '2008-02-29'", "c.birth_date < $2::date", {"2008-02-29", NULL}},
    {"birth_date IN ('2000-01-01', '1999-12-31')",
     "c.birth_date IN ($2::date, $3::date)",
     {"2000-01-01", "1999-12-31", NULL}},
    {"attr.vip = 'yes'", "(c.attrs ->> $2) = $3", {"vip", "yes", NULL}},
    {"attr.Score >= -2.5", NUM_ATTR " >= $3::numeric", {"score", "-2.5", NULL}},
    {"attr.score IN (1, 2)", NUM_ATTR " IN ($3::numeric, $4::numeric)", {"score", "1", "2", NULL}},
    {"attr.tier NOT IN (1, 'gold')",
     "(c.attrs ->> $2) NOT IN ($3, $4)",
     {"tier", "1", "gold", NULL}},
    {"attr.tier IS NULL", "(c.attrs ->> $2) IS NULL", {"tier", NULL}},
    /* NOT binds tighter than AND, AND tighter than OR */
    {"NOT name = 'a' AND country = 'DE' OR locale = 'de'",
     "((NOT COALESCE(c.name = $2, false) AND c.country = $3) OR c.locale = $4)",
     {"a", "DE", "de", NULL}},
    {"name = 'a' OR country = 'DE' AND NOT locale = 'de'",
     "(c.name = $2 OR (c.country = $3 AND NOT COALESCE(c.locale = $4, false)))",
     {"a", "DE", "de", NULL}},
    {"NOT (name = 'a' OR name = 'b')",
     "NOT COALESCE((c.name = $2 OR c.name = $3), false)",
     {"a", "b", NULL}},
    {"not not true", "NOT COALESCE(NOT COALESCE(true, false), false)", {NULL}},
    {"((country = 'DE'))", "c.country = $2", {"DE", NULL}},
    {"bought(sku 'P-1')",
     "EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = c.id AND o.sku = $2)",
     {"P-1", NULL}},
    {"BOUGHT(SKU 'P-1', 30)",
     "EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = c.id AND o.sku = $2" WINDOW(
         "o.ordered_at", 3) ")",
     {"P-1", "30", NULL}},
    {"bought(category 'pumps', 0)",
     "EXISTS (SELECT 1 FROM orders o JOIN products p ON p.sku = o.sku JOIN categories k ON k.id = "
     "p.category_id WHERE o.contact_id = c.id AND (k.path = $2 OR starts_with(k.path, $2 || "
     "'/'))" WINDOW("o.ordered_at", 3) ")",
     {"pumps", "0", NULL}},
    {"viewed(sku 'P-100', 90)",
     "(EXISTS (SELECT 1 FROM web_activity w WHERE w.contact_id = c.id AND w.kind = 'view' AND "
     "w.item = $2" WINDOW("w.at", 3) ")" TRACKING,
     {"P-100", "90", NULL}},
    {"viewed(category 'pumps/booster')",
     "(EXISTS (SELECT 1 FROM web_activity w JOIN products p ON p.sku = w.item JOIN categories k ON "
     "k.id = p.category_id WHERE w.contact_id = c.id AND w.kind = 'view' AND (k.path = $2 OR "
     "starts_with(k.path, $2 || '/')))" TRACKING,
     {"pumps/booster", NULL}},
    {"downloaded(sku 'manual-7', 36500)",
     "(EXISTS (SELECT 1 FROM web_activity w WHERE w.contact_id = c.id AND w.kind = 'download' AND "
     "w.item = $2" WINDOW("w.at", 3) ")" TRACKING,
     {"manual-7", "36500", NULL}},
    {"subscribed('news')",
     "consent_is_current(c.id, (SELECT t.id FROM topics t WHERE t.name = $2))",
     {"news", NULL}},
    {"country IN ('DE','AT') AND (bought(category 'pumps', 730) OR viewed(sku 'P-100', 90))",
     "(c.country IN ($2, $3) AND (EXISTS (SELECT 1 FROM orders o JOIN products p ON p.sku = o.sku "
     "JOIN categories k ON k.id = p.category_id WHERE o.contact_id = c.id AND (k.path = $4 OR "
     "starts_with(k.path, $4 || '/'))" WINDOW("o.ordered_at", 5) ") OR (EXISTS (SELECT 1 FROM "
                                                                 "web_activity w WHERE "
                                                                 "w.contact_id = c.id AND w.kind "
                                                                 "= 'view' AND w.item = "
                                                                 "$6" WINDOW("w.at", 7) ")" TRACKING
                                                                                        "))",
     {"DE", "AT", "pumps", "730", "P-100", "90", NULL}},
    {"name = '\xc3\xa9t\xc3\xa9'", "c.name = $2", {"\xc3\xa9t\xc3\xa9", NULL}},
};

START_TEST(sql_table)
{
    const struct sql_case *tc = &sql_cases[_i];
    struct segment_sql s;
    struct mo_err err;
    int n = 0;

    mo_err_init(&err);
    ck_assert_msg(segment_compile(tc->expr, ATTRS, 1, 2, &s, &err) == 0, "%s: %s", tc->expr,
                  err.msg);
    ck_assert_str_eq(s.where, tc->sql);
    while (tc->params[n])
        n++;
    ck_assert_int_eq(s.nparams, n);
    for (int i = 0; i < n; i++)
        ck_assert_str_eq(s.params[i], tc->params[i]);
    ck_assert_int_eq(s.uses_at, strstr(tc->sql, "$1::") != NULL);
    segment_sql_free(&s);
}
END_TEST

struct err_case {
    const char *expr;
    const char *msg;
};

static const struct err_case err_cases[] = {
    {"", "1:1: empty expression"},
    {"   ", "1:4: empty expression"},
    {"(country = 'DE'", "1:16: expected ')'"},
    {"country IN ('DE','AT'", "1:22: expected ',' or ')'"},
    {"true; DROP TABLE contacts", "1:5: unexpected ';' after a complete expression"},
    {"name = 'x' name", "1:12: unexpected 'name' after a complete expression"},
    {"name = 1 )", "1:10: unexpected ')' after a complete expression"},
    {"attr.a'b = 1", "1:1: undeclared attribute 'a' (declare it in contact_attributes)"},
    {"attr.nope = 1", "1:1: undeclared attribute 'nope' (declare it in contact_attributes)"},
    {"attr. = 1", "1:1: expected an attribute name of 1 to 64 characters after 'attr.'"},
    {"x = 1", "1:1: unknown field 'x'"},
    {"name = '\xc3\xa9' AND foo = 1", "1:16: unknown field 'foo'"},
    {"name = '\xc3\xa9' ; x", "1:12: unexpected ';' after a complete expression"},
    {"name =", "1:7: expected a value: 'text' or a number"},
    {"name IN ()", "1:10: expected a value: 'text' or a number"},
    {"name", "1:5: expected an operator (= != < <= > >= LIKE), IN, NOT IN or IS"},
    {"name NOT LIKE 'a'", "1:10: expected IN after NOT"},
    {"name IS nul", "1:9: expected NULL"},
    {"NOT", "1:4: expected a field, a function, NOT or '('"},
    {"name = 'open", "1:8: unterminated text: a closing ' is missing"},
    {"name = 12abc", "1:8: invalid number"},
    {"name = 'a\nb'", "1:10: control character 0x0a is not allowed in text"},
    {"name = 'a' \x01", "1:12: control character 0x01 is not allowed"},
    {"true\nAND\n  name = 'x' )", "3:14: unexpected ')' after a complete expression"},
    {"name = '\xff'", "1:9: invalid UTF-8"},
    {"birth_date < '2007-02-29'",
     "1:14: invalid date '2007-02-29': birth_date compares with 'YYYY-MM-DD'"},
    {"birth_date = 5", "1:14: invalid date '5': birth_date compares with 'YYYY-MM-DD'"},
    {"birth_date LIKE '2000%'", "1:12: birth_date cannot be compared with LIKE"},
    {"bought sku", "1:8: expected '('"},
    {"bought(thing 'x')", "1:8: expected sku or category"},
    {"bought(sku x)", "1:12: expected an 'SKU'"},
    {"bought(sku '')", "1:12: invalid sku: 1 to 128 bytes"},
    {"bought(sku 'x', 36501)", "1:17: expected a number of days from 0 to 36500"},
    {"bought(sku 'x', -1)", "1:17: expected a number of days from 0 to 36500"},
    {"bought(sku 'x', 1.5)", "1:17: expected a number of days from 0 to 36500"},
    {"bought(sku 'x', 1", "1:18: expected ')'"},
    {"viewed(category 'Pumps')",
     "1:17: invalid category path 'Pumps': lower-case letters, digits, '_' and '-', separated by "
     "'/'"},
    {"viewed(category 'pumps/')",
     "1:17: invalid category path 'pumps/': lower-case letters, digits, '_' and '-', separated by "
     "'/'"},
    {"subscribed('A B')", "1:12: invalid topic name 'A B'"},
    {"subscribed(news)", "1:12: expected a 'topic'"},
    {"subscribed('news'", "1:18: expected ')'"},
};

START_TEST(error_table)
{
    const struct err_case *tc = &err_cases[_i];
    struct segment_sql s;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(segment_compile(tc->expr, ATTRS, 1, 2, &s, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_str_eq(err.msg, tc->msg);
    ck_assert_ptr_null(s.where);
    ck_assert_int_eq(s.nparams, 0);
    segment_sql_free(&s);
}
END_TEST

/* An expression made of n copies of unit between head and tail. */
static char *repeat(const char *head, const char *unit, const char *tail, size_t n)
{
    struct buf b;
    buf_init(&b, 0);
    buf_puts(&b, head);
    for (size_t i = 0; i < n; i++)
        buf_puts(&b, unit);
    buf_puts(&b, tail);
    return buf_detach(&b);
}

static void expect_error(const char *expr, const char *msg)
{
    struct segment_sql s;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(segment_compile(expr, NULL, 1, 2, &s, &err), -1);
    ck_assert_str_eq(err.msg, msg);
}

START_TEST(depth_limit)
{
    struct segment_sql s;
    struct mo_err err;
    char *ok = repeat("", "(", "true", 100), *e;

    /* 100 levels are fine, 101 are not, 16000 NOTs are an error too (no stack overflow) */
    e = repeat(ok, ")", "", 100);
    mo_err_init(&err);
    ck_assert_int_eq(segment_compile(e, NULL, 1, 2, &s, &err), 0);
    segment_sql_free(&s);
    free(e);
    free(ok);
    e = repeat("", "(", "true", 101);
    expect_error(e, "1:101: nested deeper than 100 levels");
    free(e);
    e = repeat("", "NOT ", "true", 16000);
    expect_error(e, "1:401: nested deeper than 100 levels");
    free(e);
}
END_TEST

START_TEST(length_limit)
{
    char *e = repeat("true", " ", "", SEGMENT_EXPR_MAX);
    expect_error(e, "1:1: expression longer than 65536 bytes");
    free(e);
}
END_TEST

START_TEST(value_limit)
{
    struct segment_sql s;
    struct mo_err err;
    char *e = repeat("name IN (1", ",1", ")", 9999);

    mo_err_init(&err);
    ck_assert_int_eq(segment_compile(e, NULL, 1, 2, &s, &err), 0);
    ck_assert_int_eq(s.nparams, 10000);
    segment_sql_free(&s);
    free(e);
    e = repeat("name IN (1", ",1", ")", 10000);
    expect_error(e, "1:20010: too many values (at most 10000)");
    free(e);
}
END_TEST

/* A long chain of OR compiles without deep recursion and keeps the numbering. */
START_TEST(long_chain)
{
    struct segment_sql s;
    struct mo_err err;
    char *e = repeat("name = 'a'", " OR name = 'a'", "", 3000);

    mo_err_init(&err);
    ck_assert_int_eq(segment_compile(e, NULL, 7, 10, &s, &err), 0);
    ck_assert_int_eq(s.nparams, 3001);
    ck_assert_ptr_nonnull(strstr(s.where, "c.name = $10 OR c.name = $11 OR"));
    ck_assert_ptr_nonnull(strstr(s.where, "c.name = $3010)"));
    ck_assert_int_eq(s.uses_at, 0);
    segment_sql_free(&s);
    free(e);
}
END_TEST

START_TEST(topics_collected)
{
    struct segment_sql s;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(segment_compile("subscribed('a') OR NOT subscribed('b') AND subscribed('a')",
                                     NULL, 1, 2, &s, &err),
                     0);
    ck_assert_int_eq(s.ntopics, 2);
    ck_assert_str_eq(s.topics[0], "a");
    ck_assert_str_eq(s.topics[1], "b");
    segment_sql_free(&s);
    segment_sql_free(&s); /* a freed struct is empty: freeing again is harmless */
}
END_TEST

/* a sensitive attribute holds only with explicit consent (sensitive_allowed) */
START_TEST(sensitive_attr)
{
    struct segment_sql s;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(segment_compile_for("attr.vip = 'y' AND attr.Health = 'x'",
                                         "vip, health:sensitive", "7", 1, 2, &s, &err),
                     0);
    ck_assert_str_eq(s.where, "((c.attrs ->> $2) = $3 AND ((c.attrs ->> $4) = $5 AND "
                              "sensitive_allowed(c.id, $7::bigint, $6)))");
    ck_assert_int_eq(s.nparams, 6);
    ck_assert_str_eq(s.params[4], "health");
    ck_assert_str_eq(s.params[5], "7");
    ck_assert_int_eq(s.nsensitive, 1);
    ck_assert_str_eq(s.sensitive[0], "health");
    segment_sql_free(&s);
    /* outside a campaign: consent under any topic */
    ck_assert_int_eq(segment_compile("attr.health IS NULL", "health:sensitive", 1, 2, &s, &err), 0);
    ck_assert_str_eq(s.where, "((c.attrs ->> $2) IS NULL AND sensitive_allowed(c.id, NULL, $3))");
    ck_assert_int_eq(s.nparams, 2);
    segment_sql_free(&s);
    /* a bad list is an error naming the item */
    ck_assert_int_eq(segment_compile("attr.vip = 1", "vip:secret", 1, 2, &s, &err), -1);
    ck_assert_str_eq(err.msg, "contact_attributes: item 1 'vip:secret': unknown flag after ':' "
                              "(the only flag is ':sensitive')");
}
END_TEST

START_TEST(names)
{
    ck_assert(segment_name_valid("de-customers_2026.q1"));
    ck_assert(!segment_name_valid(""));
    ck_assert(!segment_name_valid("Big"));
    ck_assert(!segment_name_valid("-x"));
    ck_assert(!segment_name_valid("a'b"));
}
END_TEST

static Suite *segment_suite(void)
{
    Suite *s = suite_create("segment");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, sql_table, 0, NCASES(sql_cases));
    tcase_add_loop_test(tc, error_table, 0, NCASES(err_cases));
    tcase_add_test(tc, depth_limit);
    tcase_add_test(tc, length_limit);
    tcase_add_test(tc, value_limit);
    tcase_add_test(tc, long_chain);
    tcase_add_test(tc, topics_collected);
    tcase_add_test(tc, names);
    tcase_add_test(tc, sensitive_attr);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(segment_suite)
