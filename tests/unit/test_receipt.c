/* test_receipt.c - the consent receipt: its exact bytes, the draft that
 * never holds a token and rebuilds the same bytes, and the receipt mail. */
#include "receipt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_tap.h"
#include "crypto.h"

#define TOKEN_A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define TOKEN_B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

static const struct receipt_topic topics[] = {
    {"news", "Monthly newsletter", "Send me the newsletter. I can withdraw at any time.\n",
     "1111111111111111111111111111111111111111111111111111111111111111", 2, "en"},
    {"tips", "Tips & <Tricks> \"quoted\"", "Tipps \xc3\xa4\\/ & \"x\"",
     "2222222222222222222222222222222222222222222222222222222222222222", 1, "de"},
};

static const struct receipt_in input = {
    .receipt_id = "0b0c0d0e-0000-4000-8000-000000000001",
    .language = "en",
    .jurisdiction = NULL,
    .legal_entity = "ACME GmbH",
    .postal_address = "",
    .privacy_url = "https://shop.example/privacy",
    .unsubscribe_mailto = "unsubscribe@shop.example",
    .base_url = "https://m.example",
    .email = "alice@example.com",
    .requested_at = "2026-11-24T10:00:00Z",
    .confirmed_at = "2026-11-24T10:05:00Z",
    .ip = "192.0.2.7",
    .topics = topics,
    .ntopics = 2,
};

/* The whole receipt of input with TOKEN_A and TOKEN_B: sorted keys, two-space indent. */
static const char golden[] =
    "{\n"
    "  \"consents\": [\n"
    "    {\n"
    "      \"consent_text\": \"Send me the newsletter. I can withdraw at any time.\\n\",\n"
    "      \"consent_text_locale\": \"en\",\n"
    "      \"consent_text_sha256\": "
    "\"1111111111111111111111111111111111111111111111111111111111111111\",\n"
    "      \"consent_text_version\": 2,\n"
    "      \"consented_at\": \"2026-11-24T10:05:00Z\",\n"
    "      \"ip\": \"192.0.2.7\",\n"
    "      \"method\": {\n"
    "        \"requested_at\": \"2026-11-24T10:00:00Z\",\n"
    "        \"type\": \"double opt-in\"\n"
    "      },\n"
    "      \"title\": \"Monthly newsletter\",\n"
    "      \"topic\": \"news\",\n"
    "      \"withdraw\": {\n"
    "        \"mailto\": \"mailto:unsubscribe@shop.example\",\n"
    "        \"preference_url\": \"https://m.example/u/" TOKEN_A "\"\n"
    "      }\n"
    "    },\n"
    "    {\n"
    "      \"consent_text\": \"Tipps \xc3\xa4\\\\/ & \\\"x\\\"\",\n"
    "      \"consent_text_locale\": \"de\",\n"
    "      \"consent_text_sha256\": "
    "\"2222222222222222222222222222222222222222222222222222222222222222\",\n"
    "      \"consent_text_version\": 1,\n"
    "      \"consented_at\": \"2026-11-24T10:05:00Z\",\n"
    "      \"ip\": \"192.0.2.7\",\n"
    "      \"method\": {\n"
    "        \"requested_at\": \"2026-11-24T10:00:00Z\",\n"
    "        \"type\": \"double opt-in\"\n"
    "      },\n"
    "      \"title\": \"Tips & <Tricks> \\\"quoted\\\"\",\n"
    "      \"topic\": \"tips\",\n"
    "      \"withdraw\": {\n"
    "        \"mailto\": \"mailto:unsubscribe@shop.example\",\n"
    "        \"preference_url\": \"https://m.example/u/" TOKEN_B "\"\n"
    "      }\n"
    "    }\n"
    "  ],\n"
    "  \"controller\": {\n"
    "    \"legal_entity\": \"ACME GmbH\",\n"
    "    \"postal_address\": null,\n"
    "    \"privacy_url\": \"https://shop.example/privacy\"\n"
    "  },\n"
    "  \"issued_at\": \"2026-11-24T10:05:00Z\",\n"
    "  \"jurisdiction\": null,\n"
    "  \"language\": \"en\",\n"
    "  \"receipt_id\": \"0b0c0d0e-0000-4000-8000-000000000001\",\n"
    "  \"subject\": {\n"
    "    \"email\": \"alice@example.com\"\n"
    "  },\n"
    "  \"version\": \"mailout-consent-receipt-1\"\n"
    "}";

static json_t *with_links(json_t *r)
{
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(receipt_set_link(r, 0, TOKEN_A, &e), 0);
    ck_assert_int_eq(receipt_set_link(r, 1, TOKEN_B, &e), 0);
    return r;
}

START_TEST(exact_bytes)
{
    struct mo_err e;
    mo_err_init(&e);
    json_t *r = receipt_new(&input, &e);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(receipt_ntopics(r), 2);
    ck_assert_str_eq(receipt_topic(r, 1), "tips");
    ck_assert_ptr_null(receipt_topic(r, 2));
    char *text = receipt_text(with_links(r), &e);
    ck_assert_str_eq(text, golden);
    free(text);
    json_decref(r);
}
END_TEST

START_TEST(draft_holds_no_token_and_rebuilds_the_same_bytes)
{
    struct mo_err e;
    mo_err_init(&e);
    json_t *r = receipt_new(&input, &e);
    char *before = receipt_draft(r);
    char *text = receipt_text(with_links(r), &e);
    char *after = receipt_draft(r); /* made after the links: still no token */
    ck_assert_str_eq(before, after);
    ck_assert_ptr_null(strstr(after, TOKEN_A));
    ck_assert_ptr_null(strstr(after, TOKEN_B));
    ck_assert_ptr_nonnull(strstr(after, "\"preference_url\":\"https://m.example/u/\""));
    json_t *back = receipt_from_draft(after, &e);
    ck_assert_ptr_nonnull(back);
    char *again = receipt_text(with_links(back), &e);
    ck_assert_str_eq(again, text);
    free(before);
    free(after);
    free(text);
    free(again);
    json_decref(r);
    json_decref(back);
}
END_TEST

START_TEST(bad_drafts_refused)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[]",
        "{\"version\": \"other\"}",
        "{\"version\": \"mailout-consent-receipt-1\", \"consents\": [{\"topic\": \"x\"}]}",
        "{\"version\": \"mailout-consent-receipt-1\", \"consents\": [{\"withdraw\": "
        "{\"preference_url\": \"u/\"}}]}",
        "{\"version\": \"mailout-consent-receipt-1\", \"version\": \"mailout-consent-receipt-1\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mo_err e;
        mo_err_init(&e);
        ck_assert_msg(receipt_from_draft(bad[i], &e) == NULL, "accepted: %s", bad[i]);
        ck_assert_int_eq(e.code, MO_E_INPUT);
    }
}
END_TEST

START_TEST(invalid_utf8_refused)
{
    struct receipt_in in = input;
    struct mo_err e;
    mo_err_init(&e);
    in.email = "a\xc0\xafz@example.com";
    ck_assert_ptr_null(receipt_new(&in, &e));
    ck_assert_int_eq(e.code, MO_E_INPUT);
}
END_TEST

START_TEST(data_uri)
{
    struct buf b;
    buf_init(&b, 0);
    ck_assert_int_eq(receipt_data_uri("{\"a\": \"\xc3\xa4\"}", &b), 0);
    ck_assert_str_eq(b.s, "data:application/json;base64,eyJhIjogIsOkIn0=");
    buf_release(&b);
}
END_TEST

/* --- the mail ------------------------------------------------------------ */

static void load_config(struct config *cfg, const char *data_dir)
{
    struct mo_err e;
    char text[1024];
    mo_err_init(&e);
    ck_assert_int_lt(snprintf(text, sizeof(text),
                              "from = news@shop.example\nlegal_entity = ACME GmbH\n"
                              "imprint_url = https://shop.example/imprint\ndata_dir = %s\n",
                              data_dir),
                     (int)sizeof(text));
    ck_assert_msg(config_load_string(cfg, "test", text, &e) == 0, "%s", e.msg);
}

static int build(const char *data_dir, struct compose_msg *m, char **text, struct mo_err *e)
{
    struct config cfg;
    load_config(&cfg, data_dir);
    json_t *r = with_links(receipt_new(&input, e));
    *text = receipt_text(r, e);
    int rc = receipt_mail_build(&cfg, data_dir, r, *text, "alice@example.com", m, e);
    json_decref(r);
    config_release(&cfg);
    return rc;
}

START_TEST(mail_from_the_shipped_template)
{
    const char *src = getenv("top_srcdir");
    struct compose_msg m;
    struct mo_err e;
    struct buf b64;
    char *text;
    mo_err_init(&e);
    compose_msg_init(&m);
    buf_init(&b64, 0);
    ck_assert_msg(build(src ? src : ".", &m, &text, &e) == 0, "%s", e.msg);
    const char *head_end = strstr(m.data.s, "\r\n\r\n");
    ck_assert_ptr_nonnull(head_end);
    ck_assert_ptr_nonnull(strstr(m.data.s, "Subject: Your consent receipt\r\n"));
    ck_assert_ptr_nonnull(strstr(m.data.s, "Auto-Submitted: auto-generated\r\n"));
    ck_assert_ptr_nonnull(strstr(m.data.s, "\r\nTo: alice@example.com\r\n"));
    ck_assert_ptr_null(strstr(m.data.s, "List-Unsubscribe"));
    ck_assert_ptr_nonnull(strstr(m.data.s, "Content-Type: multipart/mixed"));
    ck_assert_ptr_nonnull(strstr(m.data.s, "filename=\"consent-receipt.json\""));
    mime_base64(text, strlen(text), 1, &b64);
    ck_assert_ptr_nonnull(strstr(m.data.s, b64.s));
    ck_assert_ptr_nonnull(strstr(m.data.s, "https://m.example/u/" TOKEN_A));
    free(text);
    buf_release(&b64);
    compose_msg_release(&m);
}
END_TEST

/* A data dir whose templates/en/receipt_mail.txt is body; returns its path (static). */
static const char *dir_with_template(const char *body)
{
    static char dir[64];
    char path[128];
    snprintf(dir, sizeof(dir), "/tmp/test_receipt.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/templates", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/templates/en", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/templates/en/receipt_mail.txt", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(body, f);
    fclose(f);
    return dir;
}

static void remove_dir(const char *dir)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/templates/en/receipt_mail.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/templates/en", dir);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/templates", dir);
    rmdir(path);
    rmdir(dir);
}

START_TEST(template_that_advertises_refused)
{
    static const struct {
        const char *tmpl, *msg;
    } cases[] = {
        {"Subject: Receipt\n\n{{campaign}}\n",
         "receipt mail template may not use {{campaign}}: a receipt carries no advertising"},
        {"Subject: Receipt\n\nSee our sale: https://shop.example/sale\n",
         "receipt mail template: contains a link 'https://shop.example/sale': only the "
         "preference, privacy and imprint links are allowed"},
        {"Subject: Sale at www.shop.example\n\n{{#consents}}{{preference_url}}{{/consents}}\n",
         "receipt mail template: contains a link 'www.shop.example': only the preference, "
         "privacy and imprint links are allowed"},
        {"no subject line\n", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *dir = dir_with_template(cases[i].tmpl);
        struct compose_msg m;
        struct mo_err e;
        char *text = NULL;
        mo_err_init(&e);
        compose_msg_init(&m);
        ck_assert_int_eq(build(dir, &m, &text, &e), -1);
        ck_assert_int_eq(e.code, MO_E_INPUT);
        if (cases[i].msg)
            ck_assert_str_eq(e.msg, cases[i].msg);
        ck_assert_uint_eq(m.data.len, 0);
        free(text);
        compose_msg_release(&m);
        remove_dir(dir);
    }
}
END_TEST

static Suite *receipt_suite(void)
{
    Suite *s = suite_create("receipt");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, exact_bytes);
    tcase_add_test(tc, draft_holds_no_token_and_rebuilds_the_same_bytes);
    tcase_add_test(tc, bad_drafts_refused);
    tcase_add_test(tc, invalid_utf8_refused);
    tcase_add_test(tc, data_uri);
    tcase_add_test(tc, mail_from_the_shipped_template);
    tcase_add_test(tc, template_that_advertises_refused);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(receipt_suite)
