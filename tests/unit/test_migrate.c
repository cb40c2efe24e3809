/* test_migrate.c - splitting migration files into statements with their lines. */
#include "migrate.h"

#include <stdio.h>
#include <string.h>

#include "check_tap.h"

struct seen {
    int n;
    char stmt[8][200];
    int line[8];
};

static int collect(const char *stmt, size_t len, int line, void *arg)
{
    struct seen *s = arg;
    if (s->n < 8) {
        snprintf(s->stmt[s->n], sizeof(s->stmt[0]), "%.*s", (int)len, stmt);
        s->line[s->n] = line;
    }
    s->n++;
    return 0;
}

START_TEST(splits_with_lines)
{
    struct seen s = {0};
    const char *sql = "-- header; not a statement\n"
                      "CREATE TABLE a (x text DEFAULT 'a;b');\n"
                      "\n"
                      "/* block; comment\n spanning */ INSERT INTO a VALUES ('it''s; ok');\n"
                      "DO $$ BEGIN PERFORM 1; END $$;\n"
                      "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $fn$ SELECT 1; $fn$;\n"
                      "SELECT E'\\';' AS x\n";
    ck_assert_int_eq(migrate_split_sql(sql, collect, &s), 0);
    ck_assert_int_eq(s.n, 5);
    ck_assert_str_eq(s.stmt[0], "CREATE TABLE a (x text DEFAULT 'a;b')");
    ck_assert_int_eq(s.line[0], 2);
    ck_assert_str_eq(s.stmt[1], "INSERT INTO a VALUES ('it''s; ok')");
    ck_assert_int_eq(s.line[1], 5);
    ck_assert_str_eq(s.stmt[2], "DO $$ BEGIN PERFORM 1; END $$");
    ck_assert_int_eq(s.line[2], 6);
    ck_assert_int_eq(s.line[3], 7);
    ck_assert_str_eq(s.stmt[4], "SELECT E'\\';' AS x");
    ck_assert_int_eq(s.line[4], 8);
}
END_TEST

START_TEST(empty_and_comment_only)
{
    struct seen s = {0};
    ck_assert_int_eq(migrate_split_sql("", collect, &s), 0);
    ck_assert_int_eq(migrate_split_sql("-- nothing\n;;\n/* x */\n", collect, &s), 0);
    ck_assert_int_eq(s.n, 0);
}
END_TEST

static Suite *migrate_suite(void)
{
    Suite *s = suite_create("migrate");
    TCase *tc = tcase_create("split");
    tcase_add_test(tc, splits_with_lines);
    tcase_add_test(tc, empty_and_comment_only);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(migrate_suite)
