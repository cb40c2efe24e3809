/*
 * test_consent.c - the rules that need no database: consent texts must
 * tell people they can withdraw (R-GDPR-5), topic names and locales,
 * ISO 8601 parsing, and the confirmation template allow-list (R-DOI-2).
 */
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "check_tap.h"
#include "doi.h"
#include "fileio.h"
#include "isotime.h"
#include "tmplfile.h"
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
     "confirmation template (text): contains a link 'https://shop.example/sale': only the "
     "confirm, privacy and imprint links are allowed (R-DOI-2)"},
    {"Please confirm", "Our shop: www.shop.example {{confirm_url}}", NULL,
     "contains a link 'www.shop.example'"},
    {"Please confirm", good_text, "<a href=\"{{confirm_url}}\">ok</a><img src=\"{{privacy_url}}\">",
     "confirmation template (html): element <img> is not allowed (R-DOI-2)"},
    {"Please confirm", good_text, "<a href=\"{{confirm_url}}\">ok</a><a href=\"/sale\">sale</a>",
     "confirmation template (html): link '/sale' on <a> is not one of the allowed URLs"},
    {"Please confirm", good_text, "<a href='{{email}}'>x</a>{{confirm_url}}",
     "link '{{email}}' on <a> is not one of the allowed URLs"},
    {"Please confirm", "{{campaign.coupon}} {{confirm_url}}", NULL,
     "may not use {{campaign.coupon}}"},
    {"{{unsubscribe_url}}", good_text, NULL, "may not use {{unsubscribe_url}}"},
    {"Please confirm", "No link here.", NULL, "lacks {{confirm_url}}"},
    {"Please confirm", "Write to mailto:sales@shop.example {{confirm_url}}", NULL,
     "contains a link 'mailto:sales@shop.example'"},
    {"Please confirm", "{{#confirm_url}}", NULL, "template: 1:"},
    /* the subject holds no link, not even an allowed one */
    {"Confirm at {{confirm_url}}", good_text, NULL,
     "confirmation template (subject): contains a link '{{confirm_url}}': a subject holds no "
     "link (R-DOI-2)"},
    {"Sale at www.shop.example", good_text, NULL, "(subject): contains a link 'www.shop.example'"},
    /* an allowed URL with more after it is another URL (defect 8) */
    {"Please confirm", "{{confirm_url}}\nPrivacy: {{privacy_url}}.evil.example\n", NULL,
     "(text): URL '{{privacy_url}}' is followed by '.evil.example'"},
    {"Please confirm", good_text, "<a href=\"{{privacy_url}}.evil.example\">{{confirm_url}}</a>",
     "(html): link '{{privacy_url}}.evil.example' on <a> is not one of the allowed URLs"},
    {"Please confirm", good_text, "<a href=\"{{confirm_url}}#x\">ok</a>",
     "(html): link '{{confirm_url}}#x' on <a>"},
    {"Please confirm", good_text, "<a href=\"{{confirm_url}}{{topics}}\">ok</a>",
     "(html): link '{{confirm_url}}{{topics}}' on <a>"},
    {"Please confirm", good_text,
     "<p>{{privacy_url}}.evil.example</p><a href={{confirm_url}}>x</a>",
     "(html): URL '{{privacy_url}}' in text is followed by '.evil.example'"},
    /* the bypasses of the substring check (defect 8) */
    {"Please confirm", good_text, "<a href = \"https://evil.example\">{{confirm_url}}</a>",
     "(html): link 'https://evil.example' on <a>"},
    {"Please confirm", good_text, "<a href={{confirm_url}}>ok</a><img srcset=\"x.png 1x\">",
     "(html): element <img> is not allowed"},
    {"Please confirm", good_text,
     "<a href=\"{{confirm_url}}\">ok</a><p style=\"background:url(x.png)\">x</p>",
     "(html): attribute 'style' on <p> is not allowed"},
    {"Please confirm", good_text,
     "<a href=\"{{confirm_url}}\">ok</a><p>&#104;ttps://shop.example/sale</p>",
     "(html): text contains a link 'https://shop.example/sale'"},
    {"Please confirm", good_text,
     "<a href=\"{{confirm_url}}\">ok</a><a href=\"//shop.example/sale\">sale</a>",
     "(html): link '//shop.example/sale' on <a>"},
    /* what only a set or only an empty variable shows is checked too */
    {"Please confirm", "{{confirm_url}}\n{{#privacy_url}}https://shop.example{{/privacy_url}}",
     NULL, "(text): contains a link 'https://shop.example'"},
    {"Please confirm", "{{confirm_url}}\n{{^topics}}www.shop.example{{/topics}}", NULL,
     "(text): contains a link 'www.shop.example'"},
    {"Please confirm", "{{confirm_url}}\nwww{{postal_address}}.shop.example", NULL,
     "(text): contains a link 'www.shop.example'"},
    {"Please confirm", good_text,
     "<a href=\"{{confirm_url}}\">ok</a>{{^legal_entity}}<img src=x>{{/legal_entity}}",
     "(html): element <img> is not allowed"},
    /* a whole HTML document as a designer would write it */
    {"Please confirm", good_text,
     "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
     "<title>Please confirm</title></head>\n<body>\n<h1>Please confirm</h1>\n"
     "<p>Someone asked to subscribe {{email}} to {{topics}}.</p>\n"
     "<p><a href=\"{{confirm_url}}\"><strong>Confirm</strong></a></p>\n"
     "<p>Or open this link: {{confirm_url}}</p>\n<p><small>{{legal_entity}}, "
     "{{postal_address}}{{#privacy_url}} &middot; <a href=\"{{privacy_url}}\">Privacy</a>"
     "{{/privacy_url}}{{#imprint_url}} &middot; <a href=\"{{imprint_url}}\">Imprint</a>"
     "{{/imprint_url}}</small></p>\n</body></html>\n",
     NULL},
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

/* The shipped confirmation templates, text and (where there is one) HTML, pass the check. */
START_TEST(shipped_confirmation_templates_pass)
{
    static const char *const langs[] = {"en", "de"};
    char pattern[4096];
    glob_t g;

    for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++) {
        struct mo_err e;
        char *subject, *body, *html;
        char path[4096];

        mo_err_init(&e);
        ck_assert_int_lt(
            snprintf(path, sizeof(path), "%s/templates/%s/confirm_mail.txt", MO_SRCDIR, langs[i]),
            (int)sizeof(path));
        ck_assert_msg(fileio_exists(path), "%s missing", path);
        char *raw = tmplfile_load(MO_SRCDIR, langs[i], "confirm_mail.txt", 0, &e);
        ck_assert_msg(raw != NULL, "%s: %s", langs[i], e.msg);
        ck_assert_int_eq(tmplfile_split_header(raw, "Subject", "t", &subject, &body, &e), 0);
        html = tmplfile_load(MO_SRCDIR, langs[i], "confirm_mail.html", 1, &e);
        ck_assert_msg(e.code == MO_E_OK, "%s: %s", langs[i], e.msg);
        ck_assert_msg(doi_check_template(subject, body, html, &e) == 0, "%s: %s", langs[i], e.msg);
        free(html);
        free(raw);
    }
    ck_assert_int_lt(
        snprintf(pattern, sizeof(pattern), "%s/templates/*/confirm_mail.html", MO_SRCDIR),
        (int)sizeof(pattern));
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            struct mo_err e;
            struct buf b;
            mo_err_init(&e);
            ck_assert_int_eq(fileio_read(g.gl_pathv[i], TMPLFILE_MAX, "template", &b, &e), 0);
            ck_assert_msg(doi_check_template("Confirm", "{{confirm_url}}", b.s, &e) == 0, "%s: %s",
                          g.gl_pathv[i], e.msg);
            buf_release(&b);
        }
        globfree(&g);
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
    tcase_add_test(tc, shipped_confirmation_templates_pass);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(consent_suite)
