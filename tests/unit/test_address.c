/* test_address.c - address validation and normalization: tables of good and bad inputs. */
#include "address.h"

#include <stdlib.h>
#include <string.h>

#include "check_tap.h"

struct good_case {
    const char *in;
    const char *norm;
};

static const struct good_case good_cases[] = {
    {"alice@example.com", "alice@example.com"},
    {"  Alice@Example.COM ", "alice@example.com"},
    {"\tBob@EXAMPLE.org\t", "bob@example.org"},
    {"a.b+tag@sub.example.co.uk", "a.b+tag@sub.example.co.uk"},
    {"info@bücher.example", "info@xn--bcher-kva.example"},
    {"info@Bücher.Example", "info@xn--bcher-kva.example"},
    {"hans@müller.de", "hans@xn--mller-kva.de"},
    {"hans@MÜLLER.DE", "hans@xn--mller-kva.de"},
    {"info@xn--bcher-kva.example", "info@xn--bcher-kva.example"},
    {"info@XN--BCHER-KVA.example", "info@xn--bcher-kva.example"},
    {"x@例え.テスト", "x@xn--r8jz45g.xn--zckzah"},
    {"!#$%&'*+-/=?^_`{|}~@example.com", "!#$%&'*+-/=?^_`{|}~@example.com"},
    {"o'brien@example.ie", "o'brien@example.ie"},
    {"a@b.co", "a@b.co"},
    {"a@a-b.example", "a@a-b.example"},
    {"a@ab--cd.example", "a@ab--cd.example"},
    {"a@123.example", "a@123.example"},
    {"a@example.com1", "a@example.com1"},
    /* 64-byte local part: the maximum */
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com"},
    /* 63-character label: the maximum */
    {"a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example",
     "a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example"},
};

START_TEST(valid_inputs)
{
    const struct good_case *t = &good_cases[_i];
    struct mo_err err;
    char *norm = NULL;

    mo_err_init(&err);
    ck_assert_msg(address_normalize(t->in, &norm, &err) == 0, "'%s' refused: %s", t->in, err.msg);
    ck_assert_int_eq(err.code, MO_E_OK);
    ck_assert_str_eq(norm, t->norm);
    ck_assert_int_eq(address_valid(t->in), 1);
    /* normalizing is idempotent */
    {
        char *again = NULL;
        ck_assert_int_eq(address_normalize(norm, &again, &err), 0);
        ck_assert_str_eq(again, norm);
        free(again);
    }
    free(norm);
}
END_TEST

struct bad_case {
    const char *in;
    const char *reason; /* substring of the message */
};

static const struct bad_case bad_cases[] = {
    {"", "invalid email '': empty"},
    {"   \t ", "empty"},
    {"alice.example.com", "missing '@'"},
    {"a@b@example.com", "more than one '@'"},
    {"x@", "invalid email 'x@': missing domain"},
    {"@example.com", "missing local part"},
    {".alice@example.com", "local part starts with a dot"},
    {"alice.@example.com", "local part ends with a dot"},
    {"al..ice@example.com", "local part has consecutive dots"},
    {"al ice@example.com", "invalid character ' ' in local part"},
    {"alice@exa mple.com", "invalid character ' ' in domain"},
    {"a(b)@example.com", "invalid character '(' in local part"},
    {"a,b@example.com", "invalid character ',' in local part"},
    {"a;b@example.com", "invalid character ';' in local part"},
    {"a\\b@example.com", "invalid character '\\' in local part"},
    {"a@localhost", "domain needs at least two labels"},
    {"a@-bad.example", "domain label starts with a hyphen"},
    {"a@bad-.example", "domain label ends with a hyphen"},
    {"a@.example.com", "domain starts with a dot"},
    {"a@example.com.", "domain ends with a dot"},
    {"a@example..com", "domain has consecutive dots"},
    {"a@under_score.example", "invalid character '_' in domain"},
    {"a@bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example",
     "domain label longer than 63 characters"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@example.com",
     "local part longer than 64 bytes"},
    {"\"john doe\"@example.com", "quoted local parts are not supported"},
    {"\"a@b\"@example.com", "quoted local parts are not supported"},
    {"jörg@bücher.example", "non-ASCII local part needs SMTPUTF8, not supported"},
    {"jörg@example.com", "non-ASCII local part needs SMTPUTF8"},
    {"a@[1.2.3.4]", "address literals are not supported"},
    {"a@[IPv6:2001:db8::1]", "address literals are not supported"},
    {"a@1.2.3.4", "top-level domain is all digits"},
    {"a@example.123", "top-level domain is all digits"},
    {"a@b.example\r\nBcc: x@y.example", "control character in address"},
    {"a@b.example\r\nBcc: x@y.example", "'a@b.example\\r\\nBcc: x@y.example'"},
    {"a\n@b.example", "control character"},
    {"a@b.exam\x7fple", "control character"},
    {"Alice <alice@example.com>", "angle brackets and display names are not supported"},
    {"<alice@example.com>", "angle brackets"},
    {"a@xn--garbage.example", "invalid international domain name"},
    {"a@b\xfc.example", "domain is not valid UTF-8"},
    {"a@\xe2\x80\x8b.example", "domain has an empty label"},
    {"a@exam\xef\xbc\xbfple.com", "invalid character '_' in domain"},
};

START_TEST(invalid_inputs)
{
    const struct bad_case *t = &bad_cases[_i];
    struct mo_err err;
    char *norm = (char *)"untouched";

    mo_err_init(&err);
    ck_assert_int_eq(address_normalize(t->in, &norm, &err), -1);
    ck_assert_ptr_null(norm);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_msg(strncmp(err.msg, "invalid email '", 15) == 0, "message '%s'", err.msg);
    ck_assert_msg(strstr(err.msg, t->reason) != NULL, "input '%s': message '%s' lacks '%s'", t->in,
                  err.msg, t->reason);
    ck_assert_int_eq(address_valid(t->in), 0);
}
END_TEST

/* Length limits that only show after building long inputs. */
START_TEST(length_limits)
{
    struct mo_err err;
    char in[600];
    char *norm = NULL;
    size_t n = 0;

    /* 64 + 1 + 4 labels of 47 + ".com": 64 + 1 + 4 * 48 + 3 = 260 > 254, domain 195 <= 253 */
    memset(in, 'l', 64);
    n = 64;
    in[n++] = '@';
    for (int k = 0; k < 4; k++) {
        memset(in + n, 'd', 47);
        n += 47;
        in[n++] = '.';
    }
    memcpy(in + n, "com", 4);
    mo_err_init(&err);
    ck_assert_int_eq(address_normalize(in, &norm, &err), -1);
    ck_assert_ptr_null(norm);
    ck_assert_msg(strstr(err.msg, "address longer than 254 characters") != NULL, "%s", err.msg);
    /* long values are shortened in the message */
    ck_assert_ptr_nonnull(strstr(err.msg, "...'"));

    /* domain of 5 labels of 50 + ".com": 255 + 3 = 258 > 253 */
    n = 0;
    in[n++] = 'a';
    in[n++] = '@';
    for (int k = 0; k < 5; k++) {
        memset(in + n, 'd', 50);
        n += 50;
        in[n++] = '.';
    }
    memcpy(in + n, "com", 4);
    mo_err_init(&err);
    ck_assert_int_eq(address_normalize(in, &norm, &err), -1);
    ck_assert_msg(strstr(err.msg, "domain longer than 253 characters") != NULL, "%s", err.msg);

    /* exactly 254 is fine: 64 + 1 + 3 labels of 61 with their dots + "com" */
    n = 0;
    memset(in, 'l', 64);
    n = 64;
    in[n++] = '@';
    for (int k = 0; k < 3; k++) {
        memset(in + n, 'd', 61);
        n += 61;
        in[n++] = '.';
    }
    memcpy(in + n, "com", 4);
    n += 3;
    ck_assert_uint_eq(n, 254);
    mo_err_init(&err);
    ck_assert_msg(address_normalize(in, &norm, &err) == 0, "%s", err.msg);
    ck_assert_uint_eq(strlen(norm), 254);
    free(norm);

    /* huge input is refused before any IDNA work */
    {
        char big[4096];
        memset(big, 'a', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        big[10] = '@';
        mo_err_init(&err);
        ck_assert_int_eq(address_normalize(big, &norm, &err), -1);
        ck_assert_msg(strstr(err.msg, "address longer than 254 characters") != NULL, "%s", err.msg);
    }
}
END_TEST

START_TEST(null_input)
{
    struct mo_err err;
    char *norm = NULL;

    mo_err_init(&err);
    ck_assert_int_eq(address_normalize(NULL, &norm, &err), -1);
    ck_assert_str_eq(err.msg, "invalid email '': empty");
    ck_assert_int_eq(address_valid(NULL), 0);
}
END_TEST

/* The first cause is kept: a caller's earlier error is not overwritten. */
/* The form stored and mailed: trimmed, local part as given, domain as lower-case A-labels. */
START_TEST(mailbox_form)
{
    static const struct {
        const char *in, *mailbox, *norm;
    } cases[] = {
        {"idn@bücher.example", "idn@xn--bcher-kva.example", "idn@xn--bcher-kva.example"},
        {" space@example.com", "space@example.com", "space@example.com"},
        {"\tInfo@Bücher.Example  ", "Info@xn--bcher-kva.example", "info@xn--bcher-kva.example"},
        {"A.B@EXAMPLE.COM", "A.B@example.com", "a.b@example.com"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *box = NULL, *norm = NULL;
        struct mo_err e;
        mo_err_init(&e);
        ck_assert_int_eq(address_parse(cases[i].in, &box, &norm, &e), 0);
        ck_assert_str_eq(box, cases[i].mailbox);
        ck_assert_str_eq(norm, cases[i].norm);
        free(box);
        free(norm);
    }
    char *box = (char *)"x", *norm = NULL;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(address_parse("no-at-sign", &box, &norm, &e), -1);
    ck_assert_ptr_null(box);
    ck_assert_ptr_null(norm);
    ck_assert_int_eq(e.code, MO_E_INPUT);
}
END_TEST

START_TEST(first_error_wins)
{
    struct mo_err err;
    char *norm = NULL;

    mo_err_init(&err);
    mo_err_set(&err, MO_E_USAGE, "earlier");
    ck_assert_int_eq(address_normalize("x@", &norm, &err), -1);
    ck_assert_str_eq(err.msg, "earlier");
}
END_TEST

static Suite *address_suite(void)
{
    Suite *s = suite_create("address");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, valid_inputs, 0, (int)(sizeof(good_cases) / sizeof(good_cases[0])));
    tcase_add_loop_test(tc, invalid_inputs, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
    tcase_add_test(tc, length_limits);
    tcase_add_test(tc, null_input);
    tcase_add_test(tc, first_error_wins);
    tcase_add_test(tc, mailbox_form);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(address_suite)
