/* test_mime.c - header encoding, quoted-printable, message assembly. */
#include "mime.h"

#include <stdio.h>
#include <string.h>

#include "check_tap.h"
#include "utf8.h"

START_TEST(ascii_subject_stays_plain)
{
    struct mime_msg m;
    struct mo_err e;
    mo_err_init(&e);
    mime_init(&m);
    ck_assert_int_eq(mime_header_text(&m, "Subject", "Please confirm", &e), 0);
    ck_assert_str_eq(m.head.s, "Subject: Please confirm\r\n");
    mime_release(&m);
}
END_TEST

START_TEST(utf8_subject_is_encoded_word)
{
    struct mime_msg m;
    struct mo_err e;
    mo_err_init(&e);
    mime_init(&m);
    ck_assert_int_eq(mime_header_text(&m, "Subject", "Bitte bestätigen", &e), 0);
    ck_assert_str_eq(m.head.s, "Subject: =?UTF-8?B?Qml0dGUgYmVzdMOkdGlnZW4=?=\r\n");
    mime_release(&m);
}
END_TEST

START_TEST(header_injection_refused)
{
    struct mime_msg m;
    struct mo_err e;
    mo_err_init(&e);
    mime_init(&m);
    ck_assert_int_eq(mime_header_text(&m, "Subject", "hi\r\nBcc: victim@example.com", &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);
    ck_assert_str_eq(m.head.s, "");
    mo_err_init(&e);
    ck_assert_int_eq(mime_header_addr(&m, "To", "x\ny", "a@example.com", &e), -1);
    ck_assert_str_eq(m.head.s, ""); /* nothing half-written */
    mo_err_init(&e);
    ck_assert_int_eq(mime_header_addr(&m, "To", NULL, "a@example.com>\r\nBcc: b@c", &e), -1);
    mo_err_init(&e);
    ck_assert_int_eq(mime_header_text(&m, "Subject", "\xff\xfe", &e), -1);
    mime_release(&m);
}
END_TEST

START_TEST(display_names_quoted_or_encoded)
{
    struct mime_msg m;
    struct mo_err e;
    mo_err_init(&e);
    mime_init(&m);
    ck_assert_int_eq(mime_header_addr(&m, "From", "ACME \"News\"", "news@example.com", &e), 0);
    ck_assert_int_eq(mime_header_addr(&m, "To", "Jürgen", "j@example.com", &e), 0);
    ck_assert_str_eq(m.head.s, "From: \"ACME \\\"News\\\"\" <news@example.com>\r\n"
                               "To: =?UTF-8?B?SsO8cmdlbg==?= <j@example.com>\r\n");
    mime_release(&m);
}
END_TEST

START_TEST(list_id_phrase)
{
    static const struct {
        const char *phrase, *id, *want; /* want NULL: refused */
    } cases[] = {
        {"Monthly \"news\"", "news.example.com",
         "List-Id: \"Monthly \\\"news\\\"\" <news.example.com>\r\n"},
        {"Grüße", "news.example.com", "List-Id: =?UTF-8?B?R3LDvMOfZQ==?= <news.example.com>\r\n"},
        {NULL, "news.example.com", "List-Id: <news.example.com>\r\n"},
        {"a\r\nBcc: x@y", "news.example.com", NULL},
        {"News", "news example", NULL},
        {"News", "<x>", NULL},
        {"News", "", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mime_msg m;
        struct mo_err e;
        mo_err_init(&e);
        mime_init(&m);
        int rc = mime_header_phrase(&m, "List-Id", cases[i].phrase, cases[i].id, &e);
        if (cases[i].want) {
            ck_assert_int_eq(rc, 0);
            ck_assert_str_eq(m.head.s, cases[i].want);
        } else {
            ck_assert_int_eq(rc, -1);
            ck_assert_int_eq(e.code, MO_E_INPUT);
            ck_assert_str_eq(m.head.s, "");
        }
        mime_release(&m);
    }
}
END_TEST

START_TEST(long_utf8_header_folds_at_characters)
{
    struct mime_msg m;
    struct mo_err e;
    char subj[400] = "";
    mo_err_init(&e);
    mime_init(&m);
    for (int i = 0; i < 40; i++)
        strcat(subj, "äö");
    ck_assert_int_eq(mime_header_text(&m, "Subject", subj, &e), 0);
    /* every physical line under 78 characters */
    const char *p = m.head.s;
    while (*p) {
        size_t n = strcspn(p, "\r");
        ck_assert_uint_le(n, 78);
        p += n;
        if (*p)
            p += 2;
    }
    ck_assert_ptr_nonnull(strstr(m.head.s, "?=\r\n =?UTF-8?B?"));
    mime_release(&m);
}
END_TEST

/* The longest physical line of s, CRLF not counted. */
static size_t longest_line(const char *s)
{
    size_t longest = 0;
    while (*s) {
        size_t n = strcspn(s, "\r");
        if (n > longest)
            longest = n;
        s += n;
        if (*s)
            s += 2;
    }
    return longest;
}

/* A word too long to fold at spaces must not make a line past 78 (RFC 5322's hard limit is 998). */
START_TEST(long_ascii_words_become_encoded_words)
{
    struct mime_msg m;
    struct mo_err e;
    char word[1201], display[301];

    memset(word, 'a', sizeof(word) - 1);
    word[sizeof(word) - 1] = '\0';
    for (size_t i = 0; i < sizeof(display) - 1; i++)
        display[i] = i % 10 == 9 ? ' ' : 'N';
    display[sizeof(display) - 1] = '\0';
    mo_err_init(&e);
    mime_init(&m);
    ck_assert_int_eq(mime_header_text(&m, "Subject", word, &e), 0);
    ck_assert_uint_le(longest_line(m.head.s), 78);
    ck_assert_ptr_nonnull(strstr(m.head.s, "Subject: =?UTF-8?B?YWFh"));
    buf_reset(&m.head);
    /* a long display name: encoded words, then the address */
    ck_assert_int_eq(mime_header_addr(&m, "From", display, "news@example.com", &e), 0);
    ck_assert_uint_le(longest_line(m.head.s), 78 + strlen(" <news@example.com>"));
    ck_assert_ptr_nonnull(strstr(m.head.s, "From: =?UTF-8?B?Tk5O"));
    ck_assert_ptr_nonnull(strstr(m.head.s, "?= <news@example.com>\r\n"));
    buf_reset(&m.head);
    /* words that fold at spaces stay plain */
    ck_assert_int_eq(mime_header_text(&m, "Subject", display, &e), 0);
    ck_assert_uint_le(longest_line(m.head.s), 78);
    ck_assert_ptr_nonnull(strstr(m.head.s, "Subject: NNNNNNNNN NNN"));
    mime_release(&m);
}
END_TEST

START_TEST(quoted_printable)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(mime_qp_encode("a=b äx \n.dot\n", &b), 0);
    ck_assert_str_eq(b.s, "a=3Db =C3=A4x=20\r\n=2Edot\r\n");
    buf_release(&b);
    buf_init(&b, 0);
    char line[200];
    memset(line, 'x', 199);
    line[199] = 0;
    mime_qp_encode(line, &b);
    ck_assert_ptr_nonnull(strstr(b.s, "=\r\n"));
    buf_release(&b);
}
END_TEST

/* A soft line break right before a '.' must not leave the dot at the start of a line. */
START_TEST(qp_dot_after_soft_break)
{
    struct buf b, want;
    char in[80];

    memset(in, 'x', 75);
    memcpy(in + 75, ".y", 3);
    buf_init(&b, 0);
    buf_init(&want, 0);
    ck_assert_int_eq(mime_qp_encode(in, &b), 0);
    buf_add(&want, in, 75);
    buf_puts(&want, "=\r\n=2Ey\r\n");
    ck_assert_str_eq(b.s, want.s);
    buf_release(&b);
    buf_release(&want);
}
END_TEST

START_TEST(multipart_alternative)
{
    struct mime_msg m;
    struct mo_err e;
    struct buf out;
    mo_err_init(&e);
    mime_init(&m);
    buf_init(&out, 0);
    mime_header_text(&m, "Subject", "x", &e);
    ck_assert_int_eq(mime_finish(&m, "text", "<p>html</p>", &out, &e), 0);
    ck_assert_ptr_nonnull(strstr(out.s, "Content-Type: multipart/alternative; boundary="));
    ck_assert_ptr_nonnull(strstr(out.s, "Content-Type: text/plain; charset=utf-8"));
    ck_assert_ptr_nonnull(strstr(out.s, "Content-Type: text/html; charset=utf-8"));
    for (size_t i = 0; i < out.len; i++)
        ck_assert_int_lt((unsigned char)out.s[i], 128);
    buf_release(&out);
    mime_release(&m);
}
END_TEST

/* RFC 4648 section 10 test vectors, one line and wrapped */
START_TEST(base64_vectors)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
        {"\xff\xfe\x3e", "//4+"},
    };
    struct buf b;
    buf_init(&b, 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        buf_reset(&b);
        ck_assert_int_eq(mime_base64(cases[i].in, strlen(cases[i].in), 0, &b), 0);
        ck_assert_str_eq(b.s, cases[i].out);
    }
    /* 57 bytes are one 76-character line; a 58th starts the next */
    char in[58];
    memset(in, 'a', sizeof(in));
    buf_reset(&b);
    ck_assert_int_eq(mime_base64(in, 57, 1, &b), 0);
    ck_assert_uint_eq(b.len, 78);
    ck_assert_str_eq(b.s + 76, "\r\n");
    buf_reset(&b);
    ck_assert_int_eq(mime_base64(in, 58, 1, &b), 0);
    ck_assert_str_eq(b.s + 78, "YQ==\r\n");
    buf_release(&b);
    /* past the buffer's max: -1 and the buffer as it was */
    buf_init(&b, 8);
    buf_puts(&b, "x");
    ck_assert_int_eq(mime_base64("foobarfoobar", 12, 0, &b), -1);
    ck_assert_str_eq(b.s, "x");
    buf_release(&b);
}
END_TEST

START_TEST(attachment_multipart_mixed)
{
    static const char json[] = "{\n  \"k\": \"\xc3\xa4 & <x>\"\n}";
    struct mime_attachment att = {"consent-receipt.json", "application/json", json,
                                  sizeof(json) - 1};
    struct mime_msg m;
    struct mo_err e;
    struct buf out, b64;
    mo_err_init(&e);
    mime_init(&m);
    buf_init(&out, 0);
    buf_init(&b64, 0);
    mime_header_text(&m, "Subject", "x", &e);
    ck_assert_int_eq(mime_finish_attach(&m, "text", NULL, &att, 1, &out, &e), 0);
    ck_assert_ptr_nonnull(strstr(out.s, "\r\nContent-Type: multipart/mixed; boundary="));
    ck_assert_ptr_nonnull(strstr(out.s, "Content-Type: text/plain; charset=utf-8"));
    ck_assert_ptr_nonnull(
        strstr(out.s, "Content-Type: application/json; name=\"consent-receipt.json\"\r\n"
                      "Content-Disposition: attachment; filename=\"consent-receipt.json\"\r\n"
                      "Content-Transfer-Encoding: base64\r\n\r\n"));
    mime_base64(json, sizeof(json) - 1, 1, &b64);
    ck_assert_ptr_nonnull(strstr(out.s, b64.s));
    for (size_t i = 0; i < out.len; i++)
        ck_assert_int_lt((unsigned char)out.s[i], 128);
    ck_assert_int_eq(out.s[out.len - 1], '\n');
    buf_release(&out);
    buf_release(&b64);
    mime_release(&m);
}
END_TEST

START_TEST(attachment_bad_name_or_type_refused)
{
    static const struct mime_attachment bad[] = {
        {"a\"b.json", "application/json", "x", 1},
        {"dir/b.json", "application/json", "x", 1},
        {"b\xc3\xa4.json", "application/json", "x", 1},
        {"", "application/json", "x", 1},
        {"b.json", "application/json; charset=x", "x", 1},
        {"b.json", "json", "x", 1},
        {"b.json", "text/\r\nBcc: x", "x", 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mime_msg m;
        struct mo_err e;
        struct buf out;
        mo_err_init(&e);
        mime_init(&m);
        buf_init(&out, 0);
        ck_assert_int_eq(mime_finish_attach(&m, "text", NULL, &bad[i], 1, &out, &e), -1);
        ck_assert_int_eq(e.code, MO_E_INPUT);
        ck_assert_uint_eq(out.len, 0);
        buf_release(&out);
        mime_release(&m);
    }
}
END_TEST

START_TEST(utf8_validation)
{
    ck_assert(utf8_valid("plain", 5));
    ck_assert(utf8_valid("\xc3\xa4", 2));
    ck_assert(!utf8_valid("\xc0\xaf", 2));         /* overlong */
    ck_assert(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    ck_assert(!utf8_valid("\xc3", 1));             /* truncated */
    ck_assert(!utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}
END_TEST

static Suite *mime_suite(void)
{
    Suite *s = suite_create("mime");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, ascii_subject_stays_plain);
    tcase_add_test(tc, utf8_subject_is_encoded_word);
    tcase_add_test(tc, header_injection_refused);
    tcase_add_test(tc, display_names_quoted_or_encoded);
    tcase_add_test(tc, list_id_phrase);
    tcase_add_test(tc, long_utf8_header_folds_at_characters);
    tcase_add_test(tc, long_ascii_words_become_encoded_words);
    tcase_add_test(tc, quoted_printable);
    tcase_add_test(tc, qp_dot_after_soft_break);
    tcase_add_test(tc, multipart_alternative);
    tcase_add_test(tc, base64_vectors);
    tcase_add_test(tc, attachment_multipart_mixed);
    tcase_add_test(tc, attachment_bad_name_or_type_refused);
    tcase_add_test(tc, utf8_validation);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(mime_suite)
