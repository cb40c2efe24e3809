/* test_compose.c - messages built by compose.c, read back header by header;
 * the Message-ID rule; the one classification of SMTP outcomes. */
#include "compose.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check_tap.h"
#include "transport.h"
#include "xalloc.h"

/*
 * The unfolded value of header name in message msg (the header block up to
 * the first empty line), or NULL.  The n-th occurrence (0-based).  Caller frees.
 */
static char *header_n(const char *msg, const char *name, int nth)
{
    const char *end = strstr(msg, "\r\n\r\n");
    size_t nl = strlen(name);
    const char *p = msg;

    ck_assert_ptr_nonnull(end);
    while (p < end) {
        const char *eol = strstr(p, "\r\n");
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':' && nth-- == 0) {
            const char *v = p + nl + 1;
            char *out = xcalloc((size_t)(end - v) + 1, 1);
            size_t o = 0;
            while (*v == ' ')
                v++;
            /* copy up to the next line that does not start with white space */
            for (;;) {
                while (v < eol)
                    out[o++] = *v++;
                if (eol >= end || (eol[2] != ' ' && eol[2] != '\t'))
                    break;
                v = eol + 2;
                eol = strstr(v, "\r\n");
            }
            return out;
        }
        p = eol + 2;
    }
    return NULL;
}

static char *header(const char *msg, const char *name)
{
    return header_n(msg, name, 0);
}

static void assert_header(const char *msg, const char *name, const char *want)
{
    char *v = header(msg, name);
    ck_assert_msg(v != NULL, "no %s header", name);
    ck_assert_str_eq(v, want);
    free(v);
}

static int matches(const char *s, const char *re)
{
    regex_t rx;
    ck_assert_int_eq(regcomp(&rx, re, REG_EXTENDED | REG_NOSUB), 0);
    int ok = regexec(&rx, s, 0, NULL, 0) == 0;
    regfree(&rx);
    return ok;
}

START_TEST(confirmation_like_message_reads_back)
{
    struct tmpl_vars *v = tmpl_vars_new();
    struct compose_msg m;
    struct mo_err e;
    static const struct compose_header extra[] = {{"Auto-Submitted", "auto-generated"}};

    mo_err_init(&e);
    tmpl_vars_set(v, "topics", "Monthly newsletter");
    tmpl_vars_set(v, "confirm_url", "https://mail.example/confirm/T");
    compose_msg_init(&m);
    struct compose_in in = {
        .from_name = "Acme Pumps",
        .from_addr = "news@Acme.Example",
        .reply_to_addr = "help@acme.example",
        .to_addr = "idn@xn--bcher-kva.example",
        .subject = "Please confirm: {{topics}}",
        .text = "Open {{confirm_url}}\n",
        .vars = v,
        .headers = extra,
        .nheaders = 1,
    };
    ck_assert_int_eq(compose_message(&in, &m, &e), 0);
    const char *msg = m.data.s;
    assert_header(msg, "From", "\"Acme Pumps\" <news@Acme.Example>");
    assert_header(msg, "Reply-To", "help@acme.example");
    assert_header(msg, "To", "idn@xn--bcher-kva.example");
    assert_header(msg, "Subject", "Please confirm: Monthly newsletter");
    assert_header(msg, "Auto-Submitted", "auto-generated");
    assert_header(msg, "MIME-Version", "1.0");
    assert_header(msg, "Content-Type", "text/plain; charset=utf-8");
    char *date = header(msg, "Date");
    ck_assert(matches(date, "^[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} "
                            "[0-9]{2}:[0-9]{2}:[0-9]{2} \\+0000$"));
    free(date);
    /* one Message-ID, the one reported, at the sender's domain */
    char *id = header(msg, "Message-ID");
    ck_assert(matches(m.message_id, "^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}@acme\\.example$"));
    char want[COMPOSE_ID_MAX + 3];
    snprintf(want, sizeof(want), "<%s>", m.message_id);
    ck_assert_str_eq(id, want);
    free(id);
    ck_assert_ptr_null(header_n(msg, "Message-ID", 1));
    ck_assert_ptr_null(header(msg, "List-Unsubscribe"));
    ck_assert_ptr_nonnull(strstr(msg, "\r\n\r\nOpen https://mail.example/confirm/T\r\n"));
    /* 7-bit, CRLF only */
    for (const char *p = msg; *p; p++) {
        ck_assert((unsigned char)*p < 0x80);
        if (*p == '\n')
            ck_assert(p > msg && p[-1] == '\r');
    }
    compose_msg_release(&m);
    tmpl_vars_free(v);
}
END_TEST

START_TEST(utf8_names_and_html_part)
{
    struct tmpl_vars *v = tmpl_vars_new();
    struct compose_msg m;
    struct mo_err e;

    mo_err_init(&e);
    tmpl_vars_set(v, "name", "Jürgen <b>");
    compose_msg_init(&m);
    struct compose_in in = {
        .from_name = "Bücher GmbH",
        .from_addr = "news@example.com",
        .to_name = "Jürgen",
        .to_addr = "j@example.com",
        .subject = "Grüße, {{name}}",
        .text = "Hallo {{name}}\n",
        .html = "<p>Hallo {{name}}</p>",
        .vars = v,
    };
    ck_assert_int_eq(compose_message(&in, &m, &e), 0);
    assert_header(m.data.s, "From", "=?UTF-8?B?QsO8Y2hlciBHbWJI?= <news@example.com>");
    assert_header(m.data.s, "To", "=?UTF-8?B?SsO8cmdlbg==?= <j@example.com>");
    assert_header(m.data.s, "Subject", "=?UTF-8?B?R3LDvMOfZSwgSsO8cmdlbiA8Yj4=?=");
    char *ct = header(m.data.s, "Content-Type");
    ck_assert(matches(ct, "^multipart/alternative; boundary=\"=_mo_[0-9a-f-]{36}\"$"));
    free(ct);
    /* the HTML part escapes the value, the text part does not */
    ck_assert_ptr_nonnull(strstr(m.data.s, "Hallo J=C3=BCrgen <b>\r\n"));
    ck_assert_ptr_nonnull(strstr(m.data.s, "<p>Hallo J=C3=BCrgen &lt;b&gt;</p>"));
    compose_msg_release(&m);
    tmpl_vars_free(v);
}
END_TEST

/* Prerendered parts are taken as they are; List-Id goes after Message-ID. */
START_TEST(prerendered_and_list_id)
{
    struct compose_msg m;
    struct mo_err e;

    mo_err_init(&e);
    compose_msg_init(&m);
    struct compose_in in = {
        .from_addr = "news@example.com",
        .to_addr = "j@example.com",
        .subject = "Hi {{name}}",
        .text = "Text {{#x}}\n",
        .list_id = "news.example.com",
        .list_id_phrase = "News",
        .prerendered = 1,
    };
    ck_assert_int_eq(compose_message(&in, &m, &e), 0);
    assert_header(m.data.s, "Subject", "Hi {{name}}");
    assert_header(m.data.s, "List-Id", "\"News\" <news.example.com>");
    ck_assert_ptr_nonnull(strstr(m.data.s, "Message-ID: <"));
    ck_assert(strstr(m.data.s, "List-Id:") > strstr(m.data.s, "Message-ID:"));
    ck_assert_ptr_nonnull(strstr(m.data.s, "\r\n\r\nText {{#x}}\r\n"));
    /* a prerendered subject with a line break is still refused */
    in.subject = "Hi\r\nBcc: x@example.com";
    ck_assert_int_eq(compose_message(&in, &m, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);
    ck_assert_uint_eq(m.data.len, 0);
    compose_msg_release(&m);
}
END_TEST

/* Bad values in headers are refused and leave no message behind. */
START_TEST(bad_headers_refused)
{
    struct tmpl_vars *v = tmpl_vars_new();
    struct compose_msg m;
    struct mo_err e;
    static const struct compose_header crlf[] = {{"X-Test", "a\r\nBcc: victim@example.com"}};
    static const struct compose_header own[] = {{"message-id", "<x@y>"}};

    tmpl_vars_set(v, "topics", "News\r\nBcc: victim@example.com");
    compose_msg_init(&m);
    struct compose_in in = {.from_addr = "news@example.com",
                            .to_addr = "a@example.com",
                            .subject = "Confirm {{topics}}",
                            .text = "x\n",
                            .vars = v};
    mo_err_init(&e);
    ck_assert_int_eq(compose_message(&in, &m, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);
    ck_assert_str_eq(e.msg, "header Subject may not contain a line break");
    ck_assert_uint_eq(m.data.len, 0);
    ck_assert_str_eq(m.message_id, "");

    in.subject = "Confirm";
    in.to_addr = "idn@bücher.example";
    mo_err_init(&e);
    ck_assert_int_eq(compose_message(&in, &m, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);

    in.to_addr = "a@example.com";
    in.headers = crlf;
    in.nheaders = 1;
    mo_err_init(&e);
    ck_assert_int_eq(compose_message(&in, &m, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);

    in.headers = own;
    mo_err_init(&e);
    ck_assert_int_eq(compose_message(&in, &m, &e), -1);
    ck_assert_str_eq(e.msg, "header message-id is set by mailout itself");

    in.headers = NULL;
    in.nheaders = 0;
    in.text = "{{#open}} never closed\n";
    mo_err_init(&e);
    ck_assert_int_eq(compose_message(&in, &m, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);
    ck_assert_str_eq(e.detail, "in the text template");
    ck_assert_uint_eq(m.data.len, 0);
    compose_msg_release(&m);
    tmpl_vars_free(v);
}
END_TEST

START_TEST(message_id_rule)
{
    static const struct {
        const char *from;
        const char *domain;
    } cases[] = {
        {"news@shop.example", "shop.example"},
        {"News@Shop.EXAMPLE", "shop.example"},
        {"a@b@xn--bcher-kva.example", "xn--bcher-kva.example"},
        {"no-at-sign", "mailout.invalid"},
        {"x@", "mailout.invalid"},
        {"x@bad domain", "mailout.invalid"},
        {"x@evil>\r\nBcc: y", "mailout.invalid"},
        {NULL, "mailout.invalid"},
    };
    char a[COMPOSE_ID_MAX + 1], b[COMPOSE_ID_MAX + 1];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        compose_message_id(cases[i].from, a);
        compose_message_id(cases[i].from, b);
        ck_assert_str_ne(a, b);
        const char *at = strchr(a, '@');
        ck_assert_ptr_nonnull(at);
        ck_assert_uint_eq((size_t)(at - a), 36);
        ck_assert_msg(strcmp(at + 1, cases[i].domain) == 0, "case %zu: got %s", i, a);
    }
}
END_TEST

/* A long domain is never cut: it is kept whole, or (past 253 characters) replaced. */
START_TEST(message_id_never_cut)
{
    char from[400], id[COMPOSE_ID_MAX + 1];
    static const size_t lens[] = {110, 253, 254, 300};

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t n = lens[i];
        memcpy(from, "x@", 2);
        for (size_t k = 0; k < n; k++)
            from[2 + k] = (k % 10 == 9) ? '.' : 'a';
        from[2 + n - 1] = 'e'; /* no trailing dot */
        from[2 + n] = '\0';
        compose_message_id(from, id);
        const char *at = strchr(id, '@');
        ck_assert_ptr_nonnull(at);
        ck_assert_str_eq(at + 1, n <= 253 ? from + 2 : "mailout.invalid");
    }
}
END_TEST

START_TEST(classify_table)
{
    static const struct {
        int delivered;
        int code;
        enum transport_result want;
    } cases[] = {
        {1, 250, TRANSPORT_SENT},     {0, 0, TRANSPORT_NOT_ATTEMPTED}, {0, 421, TRANSPORT_DEFERRED},
        {0, 450, TRANSPORT_DEFERRED}, {0, 451, TRANSPORT_DEFERRED},    {0, 452, TRANSPORT_DEFERRED},
        {0, 500, TRANSPORT_FAILED},   {0, 550, TRANSPORT_FAILED},      {0, 553, TRANSPORT_FAILED},
        {0, 554, TRANSPORT_FAILED},   {0, 599, TRANSPORT_FAILED},      {0, 250, TRANSPORT_DEFERRED},
        {0, 354, TRANSPORT_DEFERRED}, {0, 600, TRANSPORT_DEFERRED},    {0, 199, TRANSPORT_DEFERRED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct transport_msg m;
        memset(&m, 0, sizeof(m));
        m.delivered = cases[i].delivered;
        m.code = cases[i].code;
        ck_assert_msg(transport_classify(&m) == cases[i].want, "case %zu (%d %d)", i,
                      cases[i].delivered, cases[i].code);
    }
    ck_assert_str_eq(transport_result_name(TRANSPORT_SENT), "sent");
    ck_assert_str_eq(transport_result_name(TRANSPORT_DEFERRED), "deferred");
    ck_assert_str_eq(transport_result_name(TRANSPORT_FAILED), "failed");
    ck_assert_str_eq(transport_result_name(TRANSPORT_NOT_ATTEMPTED), "not attempted");
}
END_TEST

static Suite *compose_suite(void)
{
    Suite *s = suite_create("compose");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, confirmation_like_message_reads_back);
    tcase_add_test(tc, utf8_names_and_html_part);
    tcase_add_test(tc, prerendered_and_list_id);
    tcase_add_test(tc, bad_headers_refused);
    tcase_add_test(tc, message_id_rule);
    tcase_add_test(tc, message_id_never_cut);
    tcase_add_test(tc, classify_table);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(compose_suite)
