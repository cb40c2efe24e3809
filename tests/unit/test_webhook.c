/*
 * test_webhook.c - the pure parts of the CRM webhook deliverer: the
 * signature (a known answer computed with Python's hmac), which answers are
 * retried and which are dead letters, the backoff with its jitter, the
 * webhook_url rule, and the configuration keys with their errors.
 */
#include "webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "check_tap.h"
#include "config.h"

START_TEST(signature_known_answer)
{
    /* python3: hmac.new(b"whsec-0123456789abcdef", b'1700000000.{"id": 7, "event":
       "withdrawn"}', hashlib.sha256).hexdigest() */
    const char *body = "{\"id\": 7, \"event\": \"withdrawn\"}";
    char sig[WEBHOOK_SIGNATURE_LEN + 1];
    webhook_sign("whsec-0123456789abcdef", 22, 1700000000LL, body, strlen(body), sig);
    ck_assert_str_eq(sig, "v1=3b4551dc1ff8884d4f5a2afccb33c30e8b989c33be54ae17d603a37742ddad81");
    /* another timestamp, another signature: a replay cannot move the timestamp */
    webhook_sign("whsec-0123456789abcdef", 22, 1700000001LL, body, strlen(body), sig);
    ck_assert_str_ne(sig, "v1=3b4551dc1ff8884d4f5a2afccb33c30e8b989c33be54ae17d603a37742ddad81");
}
END_TEST

static const struct {
    int curl_code;
    long status;
    enum webhook_outcome want;
} classify_cases[] = {
    {CURLE_OK, 200, WEBHOOK_DELIVERED},
    {CURLE_OK, 204, WEBHOOK_DELIVERED},
    {CURLE_OK, 299, WEBHOOK_DELIVERED},
    {CURLE_OK, 429, WEBHOOK_RETRY},
    {CURLE_OK, 500, WEBHOOK_RETRY},
    {CURLE_OK, 503, WEBHOOK_RETRY},
    {CURLE_OK, 599, WEBHOOK_RETRY},
    {CURLE_OK, 400, WEBHOOK_REJECTED},
    {CURLE_OK, 401, WEBHOOK_REJECTED},
    {CURLE_OK, 404, WEBHOOK_REJECTED},
    {CURLE_OK, 410, WEBHOOK_REJECTED},
    {CURLE_OK, 301, WEBHOOK_REJECTED}, /* redirects are never followed */
    {CURLE_OK, 302, WEBHOOK_REJECTED},
    {CURLE_OK, 100, WEBHOOK_REJECTED},
    {CURLE_OK, 600, WEBHOOK_REJECTED},
    {CURLE_COULDNT_CONNECT, 0, WEBHOOK_RETRY},
    {CURLE_COULDNT_RESOLVE_HOST, 0, WEBHOOK_RETRY},
    {CURLE_OPERATION_TIMEDOUT, 0, WEBHOOK_RETRY},
    {CURLE_GOT_NOTHING, 0, WEBHOOK_RETRY},
    {CURLE_RECV_ERROR, 0, WEBHOOK_RETRY},
    {CURLE_SSL_CONNECT_ERROR, 0, WEBHOOK_RETRY},
    {CURLE_PEER_FAILED_VERIFICATION, 0, WEBHOOK_RETRY},
    {CURLE_ABORTED_BY_CALLBACK, 0, WEBHOOK_INTERRUPTED},
};

START_TEST(classify)
{
    ck_assert_int_eq(webhook_classify(classify_cases[_i].curl_code, classify_cases[_i].status),
                     classify_cases[_i].want);
}
END_TEST

START_TEST(backoff_doubles_with_jitter_and_a_cap)
{
    /* rnd 0: no jitter */
    ck_assert_int_eq(webhook_backoff_ms(10000, 1, 0), 10000);
    ck_assert_int_eq(webhook_backoff_ms(10000, 2, 0), 20000);
    ck_assert_int_eq(webhook_backoff_ms(10000, 3, 0), 40000);
    ck_assert_int_eq(webhook_backoff_ms(10000, 9, 0), 2560000);
    ck_assert_int_eq(webhook_backoff_ms(10000, 10, 0), 3600000); /* an hour at most */
    ck_assert_int_eq(webhook_backoff_ms(10000, 1000000, 0), 3600000);
    /* the jitter takes at most half */
    for (unsigned rnd = 0; rnd < 100000; rnd += 7) {
        long long d = webhook_backoff_ms(1000, 3, rnd * 2654435761u);
        ck_assert(d >= 2000 && d <= 4000);
    }
    ck_assert_int_eq(webhook_backoff_ms(1000, 1, 500), 500);
    ck_assert_int_eq(webhook_backoff_ms(1000, 1, 501), 1000);
}
END_TEST

static const struct {
    const char *url;
    int ok;
    const char *why; /* substring, for the refused */
} url_cases[] = {
    {"https://crm.example.com/hooks/mailout", 1, NULL},
    {"https://crm.example.com:8443/h?x=1", 1, NULL},
    {"http://127.0.0.1:9000/hook", 1, NULL},
    {"http://localhost:9000/hook", 1, NULL},
    {"http://[::1]:9000/hook", 1, NULL},
    {"HTTPS://CRM.EXAMPLE.COM/", 1, NULL},
    {"http://crm.example.com/hook", 0, "expected an https:// URL"},
    {"http://10.0.0.1/hook", 0, "expected an https:// URL"},
    /* the host is what follows the '@': not loopback */
    {"http://127.0.0.1@crm.example.com/hook", 0, "user name or password"},
    {"https://user:pw@crm.example.com/hook", 0, "user name or password"},
    {"ftp://crm.example.com/", 0, "expected an https:// URL"},
    {"https://", 0, "not a valid URL"},
};

START_TEST(url_rule)
{
    char why[256] = "";
    int rc = webhook_url_check(url_cases[_i].url, why, sizeof(why));
    ck_assert_msg(rc == (url_cases[_i].ok ? 0 : -1), "%s: %s", url_cases[_i].url, why);
    if (!url_cases[_i].ok)
        ck_assert_msg(strstr(why, url_cases[_i].why) != NULL, "%s: %s", url_cases[_i].url, why);
}
END_TEST

START_TEST(config_defaults)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(config_load_string(&c, "t.conf", "", &e), 0);
    ck_assert_int_eq(c.webhook_timeout, 10);
    ck_assert_int_eq(c.webhook_max_attempts, 12);
    ck_assert_int_eq(c.webhook_backoff_base, 10);
    config_release(&c);
    ck_assert_int_eq(config_load_string(&c, "t.conf",
                                        "webhook_url = https://crm.example.com/h\n"
                                        "webhook_secret_file = hook.secret\n"
                                        "webhook_timeout = 30s\n"
                                        "webhook_max_attempts = 3\n"
                                        "webhook_backoff_base = 1s\n",
                                        &e),
                     0);
    ck_assert_int_eq(c.webhook_timeout, 30);
    ck_assert_int_eq(c.webhook_max_attempts, 3);
    ck_assert_int_eq(c.webhook_backoff_base, 1);
    config_release(&c);
}
END_TEST

static const struct {
    const char *text;
    const char *msg; /* the whole message */
} bad_config[] = {
    {"webhook_url = http://crm.example.com/hook\nwebhook_secret_file = s\n",
     "invalid value 'http://crm.example.com/hook' for key webhook_url: expected an https:// URL "
     "(http:// only to a loopback host, for tests) (t.conf:1)"},
    {"db = x\nwebhook_url = https://crm.example.com/hook\n",
     "webhook_url needs webhook_secret_file, the file whose first line signs every request "
     "(t.conf:2, key webhook_secret_file)"},
    {"webhook_url = https://u:secret@crm.example.com/\nwebhook_secret_file = s\n",
     "invalid value for key webhook_url: a user name or password in the URL is not allowed (the "
     "signature authenticates the requests) (t.conf:1)"},
    {"webhook_max_attempts = 0\n",
     "invalid value '0' for key webhook_max_attempts: expected 1 to 100 (t.conf:1)"},
    {"\nwebhook_max_attempts = 101\n",
     "invalid value '101' for key webhook_max_attempts: expected 1 to 100 (t.conf:2)"},
    {"webhook_timeout = 0\n",
     "invalid value '0' for key webhook_timeout: expected a duration such as 7d, 12h, 30m or 45s "
     "(t.conf:1)"},
    {"webhook_timeout = 1h\n",
     "invalid value '3600s' for key webhook_timeout: expected at most 10m (t.conf:1)"},
    {"webhook_backoff_base = soon\n",
     "invalid value 'soon' for key webhook_backoff_base: expected a duration such as 7d, 12h, 30m "
     "or 45s (t.conf:1)"},
};

START_TEST(config_errors)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(config_load_string(&c, "t.conf", bad_config[_i].text, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);
    ck_assert_str_eq(e.msg, bad_config[_i].msg);
    config_release(&c);
}
END_TEST

START_TEST(sender_needs_secret_file)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(config_load_string(&c, "/nonexistent/t.conf",
                                        "webhook_url = https://crm.example.com/h\n"
                                        "webhook_secret_file = hook.secret\n",
                                        &e),
                     0);
    ck_assert_ptr_null(webhook_sender_new(&c, &e));
    ck_assert_int_eq(e.code, MO_E_NOINPUT);
    ck_assert_msg(strstr(e.msg, "webhook_secret_file") != NULL, "%s", e.msg);
    config_release(&c);
}
END_TEST

static Suite *webhook_suite(void)
{
    Suite *s = suite_create("webhook");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, signature_known_answer);
    tcase_add_loop_test(tc, classify, 0, (int)(sizeof(classify_cases) / sizeof(classify_cases[0])));
    tcase_add_test(tc, backoff_doubles_with_jitter_and_a_cap);
    tcase_add_loop_test(tc, url_rule, 0, (int)(sizeof(url_cases) / sizeof(url_cases[0])));
    tcase_add_test(tc, config_defaults);
    tcase_add_loop_test(tc, config_errors, 0, (int)(sizeof(bad_config) / sizeof(bad_config[0])));
    tcase_add_test(tc, sender_needs_secret_file);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(webhook_suite)
