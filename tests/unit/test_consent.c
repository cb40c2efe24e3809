/*
 * test_consent.c - the rules that need no database: consent texts must
 * tell people they can withdraw (R-GDPR-5), topic names and locales,
 * ISO 8601 parsing, and the confirmation template allow-list (R-DOI-2).
 */
#include <string.h>

#include "check_tap.h"
#include "doi.h"
#include "isotime.h"
#include "topic.h"

static const struct {
    const char *text;
    int ok;
} texts[] = {
    {"Send me the newsletter. I can withdraw my consent at any time.", 1},
    {"You may REVOKE this consent whenever you like.", 1},
    {"Every mail has a link to unsubscribe.", 1},
    {"You can opt out at any time.", 1},
    {"You can opt-out at any time.", 1},
    {"Sie können Ihre Einwilligung jederzeit mit Wirkung für die Zukunft widerrufen. Widerruf "
     "per Link.",
     1},
    {"Abmelden ist jederzeit möglich.", 1},
    {"Sie können den Newsletter jederzeit abbestellen.", 1},
    {"Send me the newsletter.", 0},
    {"Ich möchte den Newsletter erhalten.", 0},
    {"", 0},
};

START_TEST(consent_text_needs_withdrawal_sentence)
{
    struct mo_err e;
    mo_err_init(&e);
    int rc = consent_text_check(texts[_i].text, strlen(texts[_i].text), &e);
    ck_assert_int_eq(rc, texts[_i].ok ? 0 : -1);
    if (!texts[_i].ok)
        ck_assert_int_eq(e.code, MO_E_INPUT);
}
END_TEST

START_TEST(consent_text_must_be_utf8)
{
    struct mo_err e;
    mo_err_init(&e);
    const char bad[] = "withdraw \xff";
    ck_assert_int_eq(consent_text_check(bad, sizeof(bad) - 1, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "UTF-8"));
}
END_TEST

START_TEST(names_and_locales)
{
    ck_assert(topic_name_valid("news"));
    ck_assert(topic_name_valid("b2b.offers-2026_x"));
    ck_assert(!topic_name_valid(""));
    ck_assert(!topic_name_valid("News"));
    ck_assert(!topic_name_valid("-news"));
    ck_assert(!topic_name_valid("news letter"));
    ck_assert(topic_locale_valid("en"));
    ck_assert(topic_locale_valid("de-AT"));
    ck_assert(topic_locale_valid("pt_BR"));
    ck_assert(!topic_locale_valid("e"));
    ck_assert(!topic_locale_valid("EN"));
    ck_assert(!topic_locale_valid("de-"));
    ck_assert(!topic_locale_valid("de-<script>"));
}
END_TEST

START_TEST(iso_times)
{
    time_t t;
    int y, m, d;
    ck_assert_int_eq(isotime_parse("1970-01-01T00:00:00Z", &t), 0);
    ck_assert_int_eq((long long)t, 0);
    ck_assert_int_eq(isotime_parse("2026-11-24T10:00:00+01:00", &t), 0);
    ck_assert_int_eq((long long)t, 1795510800LL); /* 2026-11-24T09:00:00Z */
    ck_assert_int_eq(isotime_parse("2026-11-24", &t), 0);
    ck_assert_int_eq(isotime_parse("2026-11-24 09:00", &t), 0);
    ck_assert_int_eq(isotime_parse("2024-02-29T12:00:00.123Z", &t), 0);
    ck_assert_int_eq(isotime_parse("2023-02-29T12:00:00Z", &t), -1);
    ck_assert_int_eq(isotime_parse("2026-13-01", &t), -1);
    ck_assert_int_eq(isotime_parse("2026-11-24T25:00", &t), -1);
    ck_assert_int_eq(isotime_parse("yesterday", &t), -1);
    ck_assert_int_eq(isotime_parse("2026-11-24T10:00:00Zjunk", &t), -1);
    ck_assert_int_eq(isodate_parse("2011-06-01", &y, &m, &d), 0);
    ck_assert_int_eq(y * 10000 + m * 100 + d, 20110601);
    ck_assert_int_eq(isodate_parse("2011-6-1", &y, &m, &d), -1);
}
END_TEST

static const char good_text[] = "Please confirm {{topics}} for {{email}}:\n{{confirm_url}}\n"
                                "{{legal_entity}}\n{{#privacy_url}}Privacy: {{privacy_url}}"
                                "{{/privacy_url}}\n";

static const struct {
    const char *subject, *text, *html;
    const char *expect; /* NULL: accepted; else a substring of the error */
} tmpls[] = {
    {"Please confirm", good_text, NULL, NULL},
    {"Please confirm", good_text,
     "<p><a href=\"{{confirm_url}}\">Confirm</a> <a href=\"{{privacy_url}}\">Privacy</a></p>",
     NULL},
    {"Please confirm", "Visit https://shop.example/sale now! {{confirm_url}}", NULL,
     "contains '://'"},
    {"Please confirm", "Our shop: www.shop.example {{confirm_url}}", NULL, "contains 'www.'"},
    {"Please confirm", good_text, "<a href=\"{{confirm_url}}\">ok</a><img src=\"{{privacy_url}}\">",
     "contains '<img'"},
    {"Please confirm", good_text, "<a href=\"{{confirm_url}}\">ok</a><a href=\"/sale\">sale</a>",
     "has a link that is not"},
    {"Please confirm", good_text, "<a href='{{email}}'>x</a>{{confirm_url}}",
     "has a link that is not"},
    {"Please confirm", "{{campaign.coupon}} {{confirm_url}}", NULL,
     "may not use {{campaign.coupon}}"},
    {"{{unsubscribe_url}}", good_text, NULL, "may not use {{unsubscribe_url}}"},
    {"Please confirm", "No link here.", NULL, "lacks {{confirm_url}}"},
    {"Please confirm", "Write to mailto:sales@shop.example {{confirm_url}}", NULL,
     "contains 'mailto:'"},
    {"Please confirm", "{{#confirm_url}}", NULL, "template: 1:"},
};

START_TEST(confirmation_template_allow_list)
{
    struct mo_err e;
    mo_err_init(&e);
    int rc = doi_check_template(tmpls[_i].subject, tmpls[_i].text, tmpls[_i].html, &e);
    if (tmpls[_i].expect == NULL) {
        ck_assert_msg(rc == 0, "refused: %s", e.msg);
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(strstr(e.msg, tmpls[_i].expect) != NULL, "'%s' lacks '%s'", e.msg,
                      tmpls[_i].expect);
    }
}
END_TEST

static Suite *consent_suite(void)
{
    Suite *s = suite_create("consent");
    TCase *tc = tcase_create("rules");
    tcase_add_loop_test(tc, consent_text_needs_withdrawal_sentence, 0,
                        (int)(sizeof(texts) / sizeof(texts[0])));
    tcase_add_test(tc, consent_text_must_be_utf8);
    tcase_add_test(tc, names_and_locales);
    tcase_add_test(tc, iso_times);
    tcase_add_loop_test(tc, confirmation_template_allow_list, 0,
                        (int)(sizeof(tmpls) / sizeof(tmpls[0])));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(consent_suite)
