/* test_http_form.c - form bodies: content types, urlencoded, multipart, limits, bad bytes. */
#include "http_form.h"

#include <string.h>

#include "buf.h"
#include "check_tap.h"

#define URL "application/x-www-form-urlencoded"
#define MP  "multipart/form-data; boundary=XYZ"

/* "[name]=[value]|..." for every field, or "error: MESSAGE". */
static void parse_to_text(const char *ct, const char *body, size_t len, struct buf *out)
{
    struct http_form f;
    struct mo_err err;

    http_form_init(&f);
    mo_err_init(&err);
    buf_reset(out);
    if (http_form_parse(ct, body, len, &f, &err) < 0) {
        ck_assert_int_eq(err.code, MO_E_INPUT);
        ck_assert_uint_eq(f.n, 0);
        ck_assert_ptr_null(f.fields);
        buf_printf(out, "error: %s", err.msg);
        return;
    }
    for (size_t i = 0; i < f.n; i++)
        buf_printf(out, "%s[%s]=[%s]", i ? "|" : "", f.fields[i].name, f.fields[i].value);
    http_form_release(&f);
    ck_assert_uint_eq(f.n, 0);
}

/* ---- http_form_kind --------------------------------------------------------- */

struct kind_case {
    const char *ct;
    enum http_form_kind want;
};

static const struct kind_case kind_cases[] = {
    {NULL, HTTP_FORM_UNSUPPORTED},
    {"", HTTP_FORM_UNSUPPORTED},
    {URL, HTTP_FORM_URLENCODED},
    {"Application/X-WWW-Form-Urlencoded; charset=UTF-8", HTTP_FORM_URLENCODED},
    {" application/x-www-form-urlencoded ;charset=\"utf-8\"", HTTP_FORM_URLENCODED},
    {"application/x-www-form-urlencoded;", HTTP_FORM_URLENCODED},
    {"application/x-www-form-urlencodedx", HTTP_FORM_UNSUPPORTED},
    {"application/x-www-form-urlencoded; charset", HTTP_FORM_UNSUPPORTED},
    {"application/json", HTTP_FORM_UNSUPPORTED},
    {"text/plain", HTTP_FORM_UNSUPPORTED},
    {"multipart/form-data", HTTP_FORM_UNSUPPORTED},
    {"multipart/form-data;", HTTP_FORM_UNSUPPORTED},
    {"multipart/form-data; boundary=", HTTP_FORM_UNSUPPORTED},
    {"multipart/form-data; boundary=\"", HTTP_FORM_UNSUPPORTED},
    {"multipart/form-data; boundary=\"\"", HTTP_FORM_UNSUPPORTED},
    {"multipart/form-data; boundary=\"ab \"", HTTP_FORM_UNSUPPORTED}, /* space at the end */
    {"multipart/form-data; boundary=\"a\\b\"", HTTP_FORM_UNSUPPORTED},
    {"multipart/form-data; boundary=\"a<b\"", HTTP_FORM_UNSUPPORTED},
    {"multipart/form-data; boundary=a b", HTTP_FORM_UNSUPPORTED},
    {MP, HTTP_FORM_MULTIPART},
    {"Multipart/Form-Data; BOUNDARY=XYZ", HTTP_FORM_MULTIPART},
    {"multipart/form-data;boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", HTTP_FORM_MULTIPART},
    {"multipart/form-data; charset=utf-8; boundary=\"a'()+_,-./:=? b\"", HTTP_FORM_MULTIPART},
    {" multipart/form-data ; boundary=x ", HTTP_FORM_MULTIPART},
    {"multipart/form-data; boundary=1234567890123456789012345678901234567890123456789012345678901"
     "234567890",
     HTTP_FORM_MULTIPART}, /* 70 */
    {"multipart/form-data; boundary=1234567890123456789012345678901234567890123456789012345678901"
     "2345678901",
     HTTP_FORM_UNSUPPORTED}, /* 71 */
    {"multipart/mixed; boundary=x", HTTP_FORM_UNSUPPORTED},
};

START_TEST(kind_table)
{
    const struct kind_case *c = &kind_cases[_i];

    ck_assert_msg(http_form_kind(c->ct) == c->want, "'%s'", c->ct ? c->ct : "(null)");
}
END_TEST

/* ---- bodies ------------------------------------------------------------------ */

struct body_case {
    const char *ct;
    const char *body;
    const char *want;
};

static const struct body_case body_cases[] = {
    /* urlencoded */
    {URL, "", ""},
    {URL, "email=a%40b.example&topic=news&topic=offers",
     "[email]=[a@b.example]|[topic]=[news]|[topic]=[offers]"},
    {URL, "a=1&&b=2&", "[a]=[1]|[b]=[2]"},
    {URL, "&&&", ""},
    {URL, "flag&x=", "[flag]=[]|[x]=[]"},
    {URL, "=v", "[]=[v]"},
    {URL, "q=a+b%2Bc%20d", "[q]=[a b+c d]"},
    {URL, "%3d%3d=%3D", "[==]=[=]"},
    {URL, "k=a=b", "[k]=[a=b]"},
    {URL, "consent_text.news=12", "[consent_text.news]=[12]"},
    {URL, "n=%C3%A9\xc3\xa9", "[n]=[\xc3\xa9\xc3\xa9]"},
    {URL, "List-Unsubscribe=One-Click", "[List-Unsubscribe]=[One-Click]"},
    {URL, "a=%", "error: form: invalid percent escape"},
    {URL, "a=%4", "error: form: invalid percent escape"},
    {URL, "a=%zz", "error: form: invalid percent escape"},
    {URL, "%=1", "error: form: invalid percent escape"},
    {URL, "%3d%3d&&&&====&%&%%%&email", "error: form: invalid percent escape"},
    {URL, "email=a%00b", "error: form: NUL byte in a field"},
    {URL, "email%00x=a", "error: form: NUL byte in a field"},
    {URL, "email=%ff%fe", "error: form: field not valid UTF-8"},
    {URL, "topic=\xff", "error: form: field not valid UTF-8"},
    {URL, "e=%ED%A0%80", "error: form: field not valid UTF-8"}, /* a UTF-16 surrogate */
    {"application/json", "{}", "error: form: unsupported content type"},
    {NULL, "a=1", "error: form: unsupported content type"},
    /* multipart */
    {MP,
     "--XYZ\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.example\r\n"
     "--XYZ\r\nContent-Disposition: form-data; name=\"topic\"\r\n\r\nnews\r\n--XYZ--\r\n",
     "[email]=[a@b.example]|[topic]=[news]"},
    {MP, "preamble\r\n--XYZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XYZ--",
     "[a]=[1]"},
    {MP,
     "--XYZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n"
     "--XYZ--\r\n",
     "[List-Unsubscribe]=[One-Click]"},
    {MP,
     "--XYZ  \r\ncontent-disposition: FORM-DATA; filename=\"x.txt\"; NAME=\"f\"\r\n"
     "Content-Type: text/plain\r\n\r\nline 1\r\nline 2\r\n--XYZ--epilogue",
     "[f]=[line 1\r\nline 2]"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n\r\n--XYZ--", "[a]=[]"},
    {MP,
     "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n--XY\r\n--XYz\r\n-XYZ\r\n--XYZ--",
     "[a]=[--XY\r\n--XYz\r\n-XYZ]"},
    /* the delimiter inside a value ends it: what follows must be "--" or CRLF */
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XYZx\r\n--XYZ--",
     "error: form: malformed multipart delimiter"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n%00+%41\r\n--XYZ--",
     "[a]=[%00+%41]"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"a b;c\"\r\n\r\n1\r\n--XYZ--",
     "[a b;c]=[1]"},
    {MP, "--XYZ--", ""},
    {MP, "hello", "error: form: multipart body without its boundary"},
    {MP, "", "error: form: multipart body without its boundary"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1",
     "error: form: multipart body cut off"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--XYZ",
     "error: form: malformed multipart delimiter"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n",
     "error: form: multipart body cut off"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; na", "error: form: multipart body cut off"},
    {MP, "--XYZx\r\n", "error: form: malformed multipart delimiter"},
    {MP, "--XYZ\nContent-Disposition: form-data; name=a\n\n1\n--XYZ--",
     "error: form: malformed multipart delimiter"},
    {MP, "--XYZ\r\nContent-Disposition: form-data\r\n\r\n1\r\n--XYZ--",
     "error: form: multipart part without a form-data name"},
    {MP, "--XYZ\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--XYZ--",
     "error: form: multipart part without a form-data name"},
    {MP, "--XYZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XYZ--",
     "error: form: multipart part without a form-data name"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\n1\r\n--XYZ--",
     "error: form: multipart part without a form-data name"},
    {MP, "--XYZ\r\nno colon here\r\n\r\n1\r\n--XYZ--", "error: form: malformed multipart header"},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=a\r\n\r\n\xc3\r\n--XYZ--",
     "error: form: field not valid UTF-8"},
};

START_TEST(body_table)
{
    const struct body_case *c = &body_cases[_i];
    struct buf out;

    buf_init(&out, 0);
    parse_to_text(c->ct, c->body, strlen(c->body), &out);
    ck_assert_msg(strcmp(out.s, c->want) == 0, "case %d: got '%s' want '%s'", _i, out.s, c->want);
    buf_release(&out);
}
END_TEST

/* The body need not end in a NUL, and a NUL inside it is refused, counted by length. */
START_TEST(body_by_length)
{
    static const char body[] = "a=1&b=2XXXX";
    static const char nul[] = "a=1\0&b=2";
    struct buf out;

    buf_init(&out, 0);
    parse_to_text(URL, body, 7, &out);
    ck_assert_str_eq(out.s, "[a]=[1]|[b]=[2]");
    parse_to_text(URL, nul, sizeof(nul) - 1, &out);
    ck_assert_str_eq(out.s, "error: form: NUL byte in the body");
    parse_to_text(MP, "--XYZ--\0", 8, &out);
    ck_assert_str_eq(out.s, "error: form: NUL byte in the body");
    buf_release(&out);
}
END_TEST

/* ---- limits --------------------------------------------------------------------- */

START_TEST(limits)
{
    struct buf b, out;

    buf_init(&b, 0);
    buf_init(&out, 0);

    /* a value of exactly 1024 bytes, also when percent-encoded; one more is refused */
    buf_puts(&b, "v=");
    for (int i = 0; i < HTTP_FORM_VALUE_MAX; i++)
        buf_puts(&b, "%41");
    parse_to_text(URL, b.s, b.len, &out);
    ck_assert_uint_eq(out.len, strlen("[v]=[]") + HTTP_FORM_VALUE_MAX);
    buf_puts(&b, "A");
    parse_to_text(URL, b.s, b.len, &out);
    ck_assert_str_eq(out.s, "error: form: field value longer than 1024 bytes");

    /* names: 128 bytes, then 129 */
    buf_reset(&b);
    for (int i = 0; i < HTTP_FORM_NAME_MAX; i++)
        buf_putc(&b, 'n');
    buf_puts(&b, "=1");
    parse_to_text(URL, b.s, b.len, &out);
    ck_assert_int_eq(out.s[0], '[');
    buf_reset(&b);
    for (int i = 0; i <= HTTP_FORM_NAME_MAX; i++)
        buf_putc(&b, 'n');
    parse_to_text(URL, b.s, b.len, &out);
    ck_assert_str_eq(out.s, "error: form: field name longer than 128 bytes");

    /* 64 fields, then 65 */
    buf_reset(&b);
    for (int i = 0; i < HTTP_FORM_FIELDS_MAX; i++)
        buf_puts(&b, "topic=news&");
    parse_to_text(URL, b.s, b.len, &out);
    ck_assert_int_eq(out.s[0], '[');
    buf_puts(&b, "x=1");
    parse_to_text(URL, b.s, b.len, &out);
    ck_assert_str_eq(out.s, "error: form: more than 64 fields");

    /* the same in multipart */
    buf_reset(&b);
    for (int i = 0; i <= HTTP_FORM_FIELDS_MAX; i++)
        buf_puts(&b, "--XYZ\r\nContent-Disposition: form-data; name=t\r\n\r\nn\r\n");
    buf_puts(&b, "--XYZ--");
    parse_to_text(MP, b.s, b.len, &out);
    ck_assert_str_eq(out.s, "error: form: more than 64 fields");
    buf_reset(&b);
    buf_puts(&b, "--XYZ\r\nContent-Disposition: form-data; name=t\r\n\r\n");
    for (int i = 0; i <= HTTP_FORM_VALUE_MAX; i++)
        buf_putc(&b, 'v');
    buf_puts(&b, "\r\n--XYZ--");
    parse_to_text(MP, b.s, b.len, &out);
    ck_assert_str_eq(out.s, "error: form: field value longer than 1024 bytes");

    /* the body: 16 KiB, then one byte more */
    buf_reset(&b);
    buf_puts(&b, "pad=");
    while (b.len < HTTP_FORM_BODY_MAX)
        buf_puts(&b, "&");
    parse_to_text(URL, b.s, b.len, &out);
    ck_assert_str_eq(out.s, "[pad]=[]");
    buf_putc(&b, '&');
    parse_to_text(URL, b.s, b.len, &out);
    ck_assert_str_eq(out.s, "error: form: body larger than 16384 bytes");

    buf_release(&b);
    buf_release(&out);
}
END_TEST

START_TEST(get_first)
{
    struct http_form f;
    struct mo_err err;
    static const char body[] = "topic=a&email=x%40y&topic=b";

    http_form_init(&f);
    mo_err_init(&err);
    ck_assert_int_eq(http_form_parse(URL, body, strlen(body), &f, &err), 0);
    ck_assert_str_eq(http_form_get(&f, "topic"), "a");
    ck_assert_str_eq(http_form_get(&f, "email"), "x@y");
    ck_assert_ptr_null(http_form_get(&f, "nope"));
    http_form_release(&f);
    http_form_release(&f); /* twice is fine */
    ck_assert_ptr_null(http_form_get(&f, "topic"));
}
END_TEST

/* ---- RFC 8058 one-click, read leniently ------------------------------------ */

#define RFC_CT   "multipart/form-data; boundary=---FormBoundaryjWmhtjORrn"
#define RFC_PART "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n"
/* RFC 8058 section 8.3 exactly as printed: 124 bytes, its delimiter lacks the "--" */
#define RFC_BODY "---FormBoundaryjWmhtjORrn\r\n" RFC_PART "---FormBoundaryjWmhtjORrn--"
#define CURL_B   "------------------------d74496d66958873e"
#define LU_PART  "Content-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"

struct oneclick_case {
    const char *ct;
    const char *body;
    int want;
};

static const struct oneclick_case oneclick_cases[] = {
    /* urlencoded: Gmail's request, a trailing CRLF, case, escapes, no Content-Type */
    {URL, "List-Unsubscribe=One-Click", 1},
    {URL, "List-Unsubscribe=One-Click\r\n", 1},
    {URL, "  List-Unsubscribe=One-Click\n", 1},
    {"application/x-www-form-urlencoded; charset=UTF-8", "List-Unsubscribe=One-Click", 1},
    {URL, "list-unsubscribe=one-click", 1},
    {URL, "List-Unsubscribe=One%2dClick", 1},
    {URL, "List-Unsubscribe=One-Click&", 1},
    {NULL, "List-Unsubscribe=One-Click", 1},
    {"", "List-Unsubscribe=One-Click\r\n", 1},
    {URL, "List-Unsubscribe=One-Click&unsubscribe=all", 0},
    {URL, "List-Unsubscribe=One-Click\r\nx=1", 0},
    {URL, "List-Unsubscribe=One-Click%0D%0Ax=1", 0},
    {URL, "List-Unsubscribe=One-Click%00", 0},
    {URL, "List-Unsubscribe=One-Clicks", 0},
    {URL, "List-Unsubscribe", 0},
    {URL, "One-Click", 0},
    {URL, "unsubscribe=topic", 0},
    {URL, "", 0},
    {URL, "\r\n", 0},
    {URL, "List-Unsubscribe=One-Click%", 0},
    {"text/plain", "List-Unsubscribe=One-Click", 0},
    {"application/json", "List-Unsubscribe=One-Click", 0},
    /* multipart: RFC 8058 8.3 verbatim and with a final CRLF, curl -F, LF only */
    {RFC_CT, RFC_BODY, 1},
    {RFC_CT, RFC_BODY "\r\n", 1},
    {"multipart/form-data; boundary=" CURL_B,
     "--" CURL_B "\r\n" LU_PART "One-Click\r\n--" CURL_B "--\r\n", 1},
    {MP, "--XYZ\n" LU_PART "One-Click\n--XYZ--\n", 1},
    {MP, "--XYZ  \r\n" LU_PART "One-Click\r\n--XYZ--  \r\nepilogue", 1},
    {"multipart/form-data; boundary=\"XYZ\"", "--XYZ\r\n" LU_PART "One-Click\r\n--XYZ--", 1},
    {MP,
     "--XYZ\r\ncontent-disposition: FORM-DATA; NAME=list-unsubscribe\r\n\r\none-click\r\n--XYZ--",
     1},
    /* the closing delimiter missing, with or without the CRLF before it */
    {MP, "--XYZ\r\n" LU_PART "One-Click\r\n", 1},
    {MP, "--XYZ\r\n" LU_PART "One-Click", 1},
    {RFC_CT, "---FormBoundaryjWmhtjORrn\r\n" RFC_PART, 1},
    /* no usable boundary parameter: the first line names the delimiter */
    {"multipart/form-data", "--abc\r\n" LU_PART "One-Click\r\n--abc--", 1},
    /* a preamble: the strict reading takes it */
    {MP, "preamble\r\n--XYZ\r\n" LU_PART "One-Click\r\n--XYZ--", 1},
    {MP,
     "--XYZ\r\n" LU_PART "One-Click\r\n--XYZ\r\n"
     "Content-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--XYZ--",
     0},
    {MP,
     "--XYZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--XYZ\r\n" LU_PART
     "One-Click\r\n--XYZ--",
     0},
    {MP,
     "--XYZ\r\nContent-Disposition: form-data; name=\"unsubscribe\"\r\n\r\nOne-Click\r\n--XYZ--",
     0},
    {MP, "--XYZ\r\n" LU_PART "One-Click now\r\n--XYZ--", 0},
    {MP, "--XYZ\r\n" LU_PART "\r\n--XYZ--", 0},
    {MP, "--OTHER\r\n" LU_PART "One-Click\r\n--OTHER--", 0},
    {MP, "--XYZ\r\nContent-Type: text/plain\r\n\r\nOne-Click\r\n--XYZ--", 0},
    {MP,
     "--XYZ\r\nContent-Disposition: attachment; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XYZ--",
     0},
    {MP, "--XYZ\r\n" LU_PART, 0},
    {MP, "--XYZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n", 0},
    {MP, "", 0},
    {MP, "List-Unsubscribe=One-Click", 0},
    {"multipart/form-data", "-abc\r\n" LU_PART "One-Click\r\n-abc--", 0},
    {"multipart/mixed; boundary=XYZ", "--XYZ\r\n" LU_PART "One-Click\r\n--XYZ--", 0},
};

START_TEST(oneclick_table)
{
    const struct oneclick_case *c = &oneclick_cases[_i];

    ck_assert_msg(http_form_oneclick(c->ct, c->body, strlen(c->body)) == c->want, "case %d: '%s'",
                  _i, c->body);
}
END_TEST

/* Lengths, not NUL terminators, bound the body; a NUL or an oversized body is never one-click. */
START_TEST(oneclick_bytes)
{
    static const char rfc[] = RFC_BODY;
    static const char nul[] = "List-Unsubscribe=One-Click\0";
    struct buf b;

    ck_assert_uint_eq(sizeof(rfc) - 1, 124);
    ck_assert_int_eq(http_form_oneclick(URL, "List-Unsubscribe=One-ClickXX", 26), 1);
    ck_assert_int_eq(http_form_oneclick(URL, nul, sizeof(nul) - 1), 0);
    ck_assert_int_eq(http_form_oneclick(RFC_CT, rfc, 100), 0); /* cut inside the content */
    buf_init(&b, 0);
    buf_puts(&b, "List-Unsubscribe=One-Click");
    while (b.len <= HTTP_FORM_BODY_MAX)
        buf_putc(&b, '\n');
    ck_assert_int_eq(http_form_oneclick(URL, b.s, b.len), 0);
    buf_release(&b);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *http_form_suite(void)
{
    Suite *s = suite_create("http_form");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, kind_table, 0, NCASES(kind_cases));
    tcase_add_loop_test(tc, body_table, 0, NCASES(body_cases));
    tcase_add_test(tc, body_by_length);
    tcase_add_loop_test(tc, oneclick_table, 0, NCASES(oneclick_cases));
    tcase_add_test(tc, oneclick_bytes);
    tcase_add_test(tc, limits);
    tcase_add_test(tc, get_first);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(http_form_suite)
