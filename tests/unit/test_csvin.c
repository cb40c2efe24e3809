/* test_csvin.c - the CSV reader: RFC 4180 quoting, line numbers, BOM, limits, errors. */
#include "csvin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check_tap.h"

/*
 * Good inputs.  expect describes the rows: "LINE:f1|f2|...;" per row, so a
 * field containing '|' or ';' cannot be expressed (none of these need it).
 * An embedded CR is written as "\\r" and LF as "\\n" in expect.
 */
struct good_case {
    const char *name;
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *expect;
};

static const struct good_case good_cases[] = {
    {"simple", "a,b,c\nd,e,f\n", 0, "1:a|b|c;2:d|e|f;"},
    {"no final newline", "a,b\nc,d", 0, "1:a|b;2:c|d;"},
    {"quoted comma", "\"Smith, Jo\",jo@example.com\n", 0, "1:Smith, Jo|jo@example.com;"},
    {"doubled quotes", "\"say \"\"hi\"\"\",x\n", 0, "1:say \"hi\"|x;"},
    {"only doubled quotes", "\"\"\"\"\n", 0, "1:\";"},
    {"empty fields", ",,\n\"\",x\n", 0, "1:||;2:|x;"},
    {"spaces are data", " a , b \n", 0, "1: a | b ;"},
    {"embedded LF", "\"one\ntwo\",x\nnext,row\n", 0, "1:one\\ntwo|x;3:next|row;"},
    {"embedded CRLF", "\"one\r\ntwo\r\nthree\",x\r\nnext,row\r\n", 0,
     "1:one\\r\\ntwo\\r\\nthree|x;4:next|row;"},
    {"CRLF records", "a,b\r\nc,d\r\ne,f", 0, "1:a|b;2:c|d;3:e|f;"},
    {"BOM stripped",
     "\xEF\xBB\xBF"
     "email,name\nx@example.com,X\n",
     0, "1:email|name;2:x@example.com|X;"},
    {"BOM only", "\xEF\xBB\xBF", 0, ""},
    {"BOM not at start kept",
     "a,\xEF\xBB\xBF"
     "b\n",
     0,
     "1:a|\xEF\xBB\xBF"
     "b;"},
    {"empty lines skipped", "\n\na\n\n\r\n\nb\n\n", 0, "3:a;7:b;"},
    {"empty input", "", 0, ""},
    {"only newlines", "\n\r\n\n", 0, ""},
    {"UTF-8 fields", "m\xC3\xBCller,\xE2\x82\xAC\n", 0, "1:m\xC3\xBCller|\xE2\x82\xAC;"},
    {"quoted then empty lines", "\"a\n\nb\"\n\nc\n", 0, "1:a\\n\\nb;5:c;"},
};

/* Renders the rows of a whole input in the good_case expect notation. */
static void render_rows(struct csvin *c, struct buf *out)
{
    const struct csvin_row *row;
    struct mo_err err;
    int rc;

    mo_err_init(&err);
    while ((rc = csvin_next(c, &row, &err)) == 1) {
        ck_assert_msg(row->error[0] == '\0', "unexpected row error: %s", row->error);
        buf_printf(out, "%lu:", row->line);
        for (size_t i = 0; i < row->n; i++) {
            ck_assert_uint_eq(strlen(row->fields[i]), row->lens[i]);
            if (i)
                buf_putc(out, '|');
            for (size_t k = 0; k < row->lens[i]; k++) {
                char ch = row->fields[i][k];
                if (ch == '\n')
                    buf_puts(out, "\\n");
                else if (ch == '\r')
                    buf_puts(out, "\\r");
                else
                    buf_putc(out, ch);
            }
        }
        buf_putc(out, ';');
    }
    ck_assert_msg(rc == 0, "csvin_next returned %d: %s", rc, err.msg);
    ck_assert_int_eq(err.code, MO_E_OK);
    /* the end is sticky */
    ck_assert_int_eq(csvin_next(c, &row, &err), 0);
}

START_TEST(good_inputs)
{
    const struct good_case *t = &good_cases[_i];
    size_t len = t->len ? t->len : strlen(t->in);
    struct mo_err err;
    struct buf out;
    struct csvin *c;

    mo_err_init(&err);
    buf_init(&out, 0);
    c = csvin_open_string("t.csv", t->in, len, &err);
    ck_assert_ptr_nonnull(c);
    render_rows(c, &out);
    ck_assert_msg(strcmp(out.s, t->expect) == 0, "%s: got '%s', want '%s'", t->name, out.s,
                  t->expect);
    csvin_close(c);
    buf_release(&out);
}
END_TEST

/* Inputs that stop the file: the rows before the error, then the message. */
struct bad_case {
    const char *in;
    int rows_before;
    const char *msg;
};

static const struct bad_case bad_cases[] = {
    {"a,b\n\"open,c\nd\n", 1, "t.csv:2: unterminated quoted field"},
    {"a\n\"x\ny\"\n\"\n\n", 2, "t.csv:4: unterminated quoted field"},
    {"\"", 0, "t.csv:1: unterminated quoted field"},
    {"a,b\nab\"c,d\n", 1, "t.csv:2: quote inside an unquoted field"},
    {"\"x\ny\",1\n\"ab\"c,d\n", 1, "t.csv:3: unexpected 'c' after a closing quote"},
    {"\"ab\" ,d\n", 0, "t.csv:1: unexpected ' ' after a closing quote"},
    {"ok\r\n\"multi\r\nline\" x\r\n", 1, "t.csv:3: unexpected ' ' after a closing quote"},
};

START_TEST(bad_inputs)
{
    const struct bad_case *t = &bad_cases[_i];
    const struct csvin_row *row;
    struct mo_err err;
    struct csvin *c;
    int rc, rows = 0;

    mo_err_init(&err);
    c = csvin_open_string("t.csv", t->in, strlen(t->in), &err);
    while ((rc = csvin_next(c, &row, &err)) == 1)
        rows++;
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_null(row);
    ck_assert_int_eq(rows, t->rows_before);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_str_eq(err.msg, t->msg);
    /* the failure is sticky */
    mo_err_init(&err);
    ck_assert_int_eq(csvin_next(c, &row, &err), -1);
    ck_assert_str_eq(err.msg, t->msg);
    csvin_close(c);
}
END_TEST

/* Row errors: the row comes back with error set and its line; reading goes on. */
START_TEST(invalid_utf8_is_row_error)
{
    static const char in[] = "a,b,c\nx,y,\xC3(\n\"p\nq\",\xFF\nok,ok,ok\n";
    const struct csvin_row *row;
    struct mo_err err;
    struct csvin *c;

    mo_err_init(&err);
    c = csvin_open_string("t.csv", in, sizeof(in) - 1, &err);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_str_eq(row->error, "");
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 2);
    ck_assert_str_eq(row->error, "invalid UTF-8 in field 3");
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 3);
    ck_assert_str_eq(row->error, "invalid UTF-8 in field 2");
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 5);
    ck_assert_str_eq(row->error, "");
    ck_assert_uint_eq(row->n, 3);
    ck_assert_int_eq(csvin_next(c, &row, &err), 0);
    ck_assert_int_eq(err.code, MO_E_OK);
    csvin_close(c);
}
END_TEST

START_TEST(nul_byte_is_row_error)
{
    static const char in[] = "a,b\nx,y\0z\nc,d\n";
    const struct csvin_row *row;
    struct mo_err err;
    struct csvin *c;

    mo_err_init(&err);
    c = csvin_open_string("t.csv", in, sizeof(in) - 1, &err);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 2);
    ck_assert_str_eq(row->error, "NUL byte in field 2");
    ck_assert_uint_eq(row->lens[1], 3);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 3);
    ck_assert_str_eq(row->error, "");
    ck_assert_int_eq(csvin_next(c, &row, &err), 0);
    csvin_close(c);
}
END_TEST

/* A field of exactly the maximum is fine; one byte more is a row error. */
START_TEST(long_field_is_row_error)
{
    const struct csvin_row *row;
    struct mo_err err;
    struct buf in;
    struct csvin *c;

    mo_err_init(&err);
    buf_init(&in, 0);
    buf_puts(&in, "head\nx,\"");
    for (int i = 0; i < CSVIN_FIELD_MAX; i++)
        buf_putc(&in, i % 100 == 99 ? '\n' : 'a');
    buf_puts(&in, "\"\ny,");
    for (int i = 0; i < CSVIN_FIELD_MAX + 1; i++)
        buf_putc(&in, 'b');
    buf_puts(&in, ",z\nlast\n");

    c = csvin_open_string("t.csv", in.s, in.len, &err);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 2);
    ck_assert_str_eq(row->error, "");
    ck_assert_uint_eq(row->lens[1], CSVIN_FIELD_MAX);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 2 + CSVIN_FIELD_MAX / 100 + 1);
    ck_assert_str_eq(row->error, "field 2 longer than 65536 bytes");
    ck_assert_uint_eq(row->n, 3);
    ck_assert_str_eq(row->fields[2], "z");
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_str_eq(row->fields[0], "last");
    ck_assert_int_eq(csvin_next(c, &row, &err), 0);
    csvin_close(c);
    buf_release(&in);
}
END_TEST

/* An unterminated quote must not make the reader buffer the rest of the file. */
START_TEST(runaway_field_stops_file)
{
    const struct csvin_row *row;
    struct mo_err err;
    struct buf in;
    struct csvin *c;

    mo_err_init(&err);
    buf_init(&in, 0);
    buf_puts(&in, "a\nb\n\"runaway\n");
    while (in.len < CSVIN_BUFFER_MAX + 100)
        buf_puts(&in, "name,x@example.com\n");

    c = csvin_open_string("t.csv", in.s, in.len, &err);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_int_eq(csvin_next(c, &row, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_str_eq(err.msg, "t.csv:3: field longer than 1048576 bytes");
    csvin_close(c);
    buf_release(&in);
}
END_TEST

START_TEST(field_count_limit)
{
    const struct csvin_row *row;
    struct mo_err err;
    struct buf in;
    struct csvin *c;

    mo_err_init(&err);
    buf_init(&in, 0);
    for (int i = 0; i < CSVIN_FIELDS_MAX; i++)
        buf_puts(&in, i ? ",f" : "f");
    buf_putc(&in, '\n');
    for (int i = 0; i < CSVIN_FIELDS_MAX + 1; i++)
        buf_puts(&in, i ? ",g" : "g");
    buf_puts(&in, "\nend\n");

    c = csvin_open_string("t.csv", in.s, in.len, &err);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_str_eq(row->error, "");
    ck_assert_uint_eq(row->n, CSVIN_FIELDS_MAX);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 2);
    ck_assert_str_eq(row->error, "more than 256 fields");
    ck_assert_uint_eq(row->n, CSVIN_FIELDS_MAX);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_uint_eq(row->line, 3);
    ck_assert_str_eq(row->fields[0], "end");
    ck_assert_int_eq(csvin_next(c, &row, &err), 0);
    csvin_close(c);
    buf_release(&in);
}
END_TEST

/*
 * 10,000 generated rows, every tenth with a two-line quoted field, so the
 * input crosses many 64 KiB chunk boundaries when read from a file and line
 * numbers drift from row numbers.
 */
static void gen_rows(struct buf *b, int nrows, unsigned long *last_line)
{
    unsigned long line = 1;

    for (int i = 0; i < nrows; i++) {
        *last_line = line;
        if (i % 10 == 0) {
            buf_printf(b, "%d,\"two\r\nlines, \"\"quoted\"\"\",user%d@example.com\r\n", i, i);
            line += 2;
        } else {
            buf_printf(b, "%d,plain,user%d@example.com\n", i, i);
            line += 1;
        }
    }
}

static void check_many(struct csvin *c, int nrows, unsigned long last_line)
{
    const struct csvin_row *row;
    struct mo_err err;
    int i = 0;
    int rc;
    unsigned long prev = 0;

    mo_err_init(&err);
    while ((rc = csvin_next(c, &row, &err)) == 1) {
        char want[32];
        snprintf(want, sizeof(want), "%d", i);
        ck_assert_str_eq(row->error, "");
        ck_assert_uint_eq(row->n, 3);
        ck_assert_str_eq(row->fields[0], want);
        if (i % 10 == 0)
            ck_assert_str_eq(row->fields[1], "two\r\nlines, \"quoted\"");
        ck_assert_uint_gt(row->line, prev);
        prev = row->line;
        i++;
    }
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_int_eq(i, nrows);
    ck_assert_uint_eq(prev, last_line);
}

START_TEST(many_rows_from_string)
{
    struct buf in;
    struct mo_err err;
    unsigned long last_line = 0;
    struct csvin *c;

    mo_err_init(&err);
    buf_init(&in, 0);
    gen_rows(&in, 10000, &last_line);
    ck_assert_uint_eq(last_line, 11000);
    c = csvin_open_string("t.csv", in.s, in.len, &err);
    check_many(c, 10000, last_line);
    csvin_close(c);
    buf_release(&in);
}
END_TEST

/* Writes data to a fresh temporary file; returns its path (caller unlinks and frees). */
static char *write_temp(const char *data, size_t len)
{
    char *path = strdup("/tmp/test_csvin.XXXXXX");
    int fd;

    ck_assert_ptr_nonnull(path);
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, data + off, len - off);
        ck_assert_int_gt(n, 0);
        off += (size_t)n;
    }
    ck_assert_int_eq(close(fd), 0);
    return path;
}

START_TEST(many_rows_from_file)
{
    struct buf in;
    struct mo_err err;
    unsigned long last_line = 0;
    struct csvin *c;
    char *path;

    mo_err_init(&err);
    buf_init(&in, 0);
    buf_puts(&in, "\xEF\xBB\xBF");
    gen_rows(&in, 10000, &last_line);
    ck_assert_uint_gt(in.len, 4 * 64 * 1024);
    path = write_temp(in.s, in.len);
    c = csvin_open(path, &err);
    ck_assert_msg(c != NULL, "%s", err.msg);
    ck_assert_str_eq(csvin_name(c), path);
    check_many(c, 10000, last_line);
    csvin_close(c);
    unlink(path);
    free(path);
    buf_release(&in);
}
END_TEST

START_TEST(file_error_names_file)
{
    static const char in[] = "email\r\na@example.com\r\n\"b@example.com\r\n";
    const struct csvin_row *row;
    struct mo_err err;
    struct buf want;
    struct csvin *c;
    char *path;

    mo_err_init(&err);
    buf_init(&want, 0);
    path = write_temp(in, sizeof(in) - 1);
    c = csvin_open(path, &err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_str_eq(row->fields[0], "a@example.com");
    ck_assert_uint_eq(row->line, 2);
    ck_assert_int_eq(csvin_next(c, &row, &err), -1);
    buf_printf(&want, "%s:3: unterminated quoted field", path);
    ck_assert_str_eq(err.msg, want.s);
    csvin_close(c);
    unlink(path);
    free(path);
    buf_release(&want);
}
END_TEST

START_TEST(missing_file)
{
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_ptr_null(csvin_open("/nonexistent/contacts.csv", &err));
    ck_assert_int_eq(err.code, MO_E_NOINPUT);
    ck_assert_str_eq(err.msg, "cannot read '/nonexistent/contacts.csv': No such file or directory");
}
END_TEST

START_TEST(directory_is_not_input)
{
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_ptr_null(csvin_open("/tmp", &err));
    ck_assert_int_eq(err.code, MO_E_NOINPUT);
    ck_assert_str_eq(err.msg, "cannot read '/tmp': Is a directory");
}
END_TEST

START_TEST(close_null_and_midway)
{
    const struct csvin_row *row;
    struct mo_err err;
    struct csvin *c;

    csvin_close(NULL);
    mo_err_init(&err);
    c = csvin_open_string("t.csv", "a,b\n\"c\nd\",e\n", 12, &err);
    ck_assert_int_eq(csvin_next(c, &row, &err), 1);
    ck_assert_str_eq(csvin_name(c), "t.csv");
    csvin_close(c); /* with the parser mid-record: nothing may leak */
}
END_TEST

static Suite *csvin_suite(void)
{
    Suite *s = suite_create("csvin");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, good_inputs, 0, (int)(sizeof(good_cases) / sizeof(good_cases[0])));
    tcase_add_loop_test(tc, bad_inputs, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, invalid_utf8_is_row_error);
    tcase_add_test(tc, nul_byte_is_row_error);
    tcase_add_test(tc, long_field_is_row_error);
    tcase_add_test(tc, runaway_field_stops_file);
    tcase_add_test(tc, field_count_limit);
    tcase_add_test(tc, many_rows_from_string);
    tcase_add_test(tc, many_rows_from_file);
    tcase_add_test(tc, file_error_names_file);
    tcase_add_test(tc, missing_file);
    tcase_add_test(tc, directory_is_not_input);
    tcase_add_test(tc, close_null_and_midway);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(csvin_suite)
