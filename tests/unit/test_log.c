/* test_log.c - one line per event: mo_log_oneline() and the line mo_log_write() prints. */
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_tap.h"

struct oneline_case {
    const char *in;
    size_t n; /* out size */
    const char *out;
};

static const struct oneline_case oneline_cases[] = {
    {"plain text key=1", 64, "plain text key=1"},
    {"", 64, ""},
    {"550 5.1.1 no\r\n550 such user", 64, "550 5.1.1 no\\r\\n550 such user"},
    {"tab\there", 64, "tab\\there"},
    {"bell\a esc\x1b del\x7f", 64, "bell\\x07 esc\\x1b del\\x7f"},
    {"back\\slash", 64, "back\\slash"},
    {"caf\xc3\xa9 UTF-8 stays", 64, "caf\xc3\xa9 UTF-8 stays"},
    {"0123456789abcdef", 10, "012345..."}, /* cut: 9 bytes and the NUL */
    {"0123456789", 11, "0123456789"},      /* fits exactly */
    {"01234567\n9", 11, "0123456..."},     /* the escape does not fit */
    {"abcdef", 4, "..."},
    {"abcdef", 1, ""},
};

START_TEST(oneline_table)
{
    const struct oneline_case *c = &oneline_cases[_i];
    char out[64];

    memset(out, 'X', sizeof(out));
    ck_assert_ptr_eq(mo_log_oneline(out, c->n, c->in, strlen(c->in)), out);
    ck_assert_str_eq(out, c->out);
    ck_assert_uint_lt(strlen(out), c->n);
}
END_TEST

/* A NUL inside the bytes given is a control byte like any other. */
START_TEST(oneline_nul)
{
    char out[32];

    mo_log_oneline(out, sizeof(out), "a\0b", 3);
    ck_assert_str_eq(out, "a\\x00b");
}
END_TEST

/* What mo_log() prints for msg, read back from stderr. */
static void logged(enum mo_log_level level, const char *msg, char *out, size_t n)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    int saved = dup(2);
    fflush(stderr);
    dup2(fileno(f), 2);
    mo_log(level, "%s", msg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(f);
    size_t len = fread(out, 1, n - 1, f);
    out[len] = '\0';
    fclose(f);
}

START_TEST(write_one_line)
{
    static char out[2 * MO_LOG_LINE_MAX], big[2 * MO_LOG_LINE_MAX];

    mo_log_set_level(MO_LOG_INFO);
    logged(MO_LOG_WARN, "relay said: 451 try\r\nlater", out, sizeof(out));
    ck_assert_ptr_nonnull(strstr(out, " mailout warning: relay said: 451 try\\r\\nlater\n"));
    ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
    /* below the level: nothing */
    logged(MO_LOG_DEBUG, "debug x", out, sizeof(out));
    ck_assert_str_eq(out, "");
    mo_log_set_level_name("debug");
    logged(MO_LOG_DEBUG, "debug x", out, sizeof(out));
    ck_assert_ptr_nonnull(strstr(out, " mailout debug: debug x\n"));
    mo_log_set_level_name("bogus"); /* info */
    ck_assert_int_eq(mo_log_level_current, MO_LOG_INFO);
    /* a message longer than MO_LOG_LINE_MAX is cut, still one line */
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    logged(MO_LOG_INFO, big, out, sizeof(out));
    ck_assert_ptr_eq(strchr(out, '\n'), out + strlen(out) - 1);
    ck_assert_ptr_nonnull(strstr(out, "aaa...\n"));
    ck_assert_uint_lt(strlen(out), MO_LOG_LINE_MAX + 64);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, oneline_table, 0, NCASES(oneline_cases));
    tcase_add_test(tc, oneline_nul);
    tcase_add_test(tc, write_one_line);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(log_suite)
