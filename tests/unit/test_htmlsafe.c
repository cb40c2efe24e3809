/* test_htmlsafe.c - the HTML and text allow-lists: every known bypass, as tables. */
#include "htmlsafe.h"

#include <stdlib.h>
#include <string.h>

#include "check_tap.h"

#define C "https://confirm.example/c/TOKEN"
#define P "https://example.com" /* a privacy URL without a path: host tricks matter */
#define I "https://example.com/imprint"

static const char *const allowed[] = {C, P, I};

struct html_case {
    const char *html;
    const char *expect; /* NULL: accepted; else a substring of the error */
};

static const struct html_case html_cases[] = {
    /* accepted */
    {"", NULL},
    {"<p><a href=\"" C "\">Confirm</a></p>", NULL},
    {"<!DOCTYPE html><html lang=\"en\" dir=\"ltr\"><head><meta charset=\"utf-8\">"
     "<title>Confirm</title></head><body><h1>Hello</h1><h2>x</h2><h3>y</h3>"
     "<p>Terms &amp; more<br>line</p><ul><li><strong>a</strong> <em>b</em></li></ul>"
     "<ol><li><b>c</b> <i>d</i> <u>e</u> <small>f</small></li></ol><hr>"
     "<blockquote>q</blockquote><div align=\"center\"><span title=\"t\">s</span></div>"
     "<p><a href=\"" C "\">Confirm</a> &middot; <a href=\"" P "\" title=\"Privacy\">Privacy</a>"
     " &middot; <a href='" I "'>Imprint</a></p></body></html>",
     NULL},
    {"<table width=\"100%\" border=\"0\" cellpadding=\"4\" cellspacing=\"0\"><thead><tr>"
     "<th width=\"50%\">h</th></tr></thead><tbody><tr><td colspan=\"2\" rowspan=\"1\" "
     "valign=\"top\" align=\"center\">x</td></tr></tbody></table>",
     NULL},
    {"<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" "
     "\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\"><p>x</p>",
     NULL},
    {"<p>Or open " C ". Privacy: (" P ") [" I "]</p>", NULL},
    {"<p>Imprint: <" I "></p>", "malformed HTML"}, /* a tag to HTML5 too: write &lt; */
    {"<p>" C "</p>", NULL},
    {"<a href=" C ">unquoted</a>", NULL},
    {"<A HREF=\"" C "\">upper case</A>", NULL},
    {"<a href = \"" C "\">spaces</a>", NULL},
    {"<a href=\"&#104;ttps://confirm.example/c/TOKEN\">decodes to the allowed URL</a>", NULL},
    {"<p>Terms & Conditions, AT&T, &copy 2024 Example GmbH</p>", NULL},
    {"<p>Write to info@example.com, Tel: +49 30 1234, metadata: none, a/b // c</p>", NULL},
    {"<!-- footer --><p>x</p>", NULL},
    {"<p>a < b and 3<4</p>", NULL},
    {"</p><p>stray end tags</div>", NULL},

    /* href that is not exactly an allowed URL, however it is written */
    {"<a href=\"https://evil.example\">x</a>",
     "link 'https://evil.example' on <a> is not one of the allowed URLs"},
    {"<a href = \"https://evil.example\">x</a>", "link 'https://evil.example' on <a>"},
    {"<a href\t=\n'https://evil.example'>x</a>", "link 'https://evil.example' on <a>"},
    {"<a href=https://evil.example>x</a>", "link 'https://evil.example' on <a>"},
    {"<A HREF=\"https://evil.example\">x</A>", "link 'https://evil.example' on <a>"},
    {"<a href=\"&#104;ttps://evil.example\">x</a>", "link 'https://evil.example' on <a>"},
    {"<a href=\"&#x68;&#x74;tps&#58;//evil.example\">x</a>", "link 'https://evil.example' on <a>"},
    {"<a href=\"" P ".evil.example\">x</a>", "link 'https://example.com.evil.example' on <a>"},
    {"<a href=\"" C "#x\">x</a>", "link 'https://confirm.example/c/TOKEN#x' on <a>"},
    {"<a href=\"" C "?x=1\">x</a>", "link 'https://confirm.example/c/TOKEN?x=1' on <a>"},
    {"<a href=\" " C "\">x</a>", "link ' https://confirm.example/c/TOKEN' on <a>"},
    {"<a href=\"//evil.example/x\">x</a>", "link '//evil.example/x' on <a>"},
    {"<a href=\"javascript:alert(1)\">x</a>", "link 'javascript:alert(1)' on <a>"},
    {"<a href=\"mailto:sales@shop.example\">x</a>", "link 'mailto:sales@shop.example' on <a>"},
    {"<a href=\"data:text/html,hi\">x</a>", "link 'data:text/html,hi' on <a>"},
    {"<a href=\"/sale\">x</a>", "link '/sale' on <a>"},
    {"<a href>x</a>", "link '' on <a>"},
    {"<a href=\"" C "\" href=\"https://evil.example\">x</a>", "malformed HTML: Attribute href"},
    {"<a href=\"https://evil.example\" href=\"" C "\">x</a>", "malformed HTML: Attribute href"},
    {"<a href=x href=y>x</a>", "malformed HTML: Attribute href redefined"},
    {"<a href=\"" C "\" target=\"_blank\">x</a>", "attribute 'target' on <a> is not allowed"},

    /* URL-bearing attributes and elements */
    {"<img src=\"https://evil.example/p.png\">", "element <img> is not allowed"},
    {"<img srcset=\"https://evil.example/p.png 1x\">", "element <img> is not allowed"},
    {"<p srcset=\"x.png 1x\">x</p>", "attribute 'srcset' on <p> is not allowed"},
    {"<p src=\"x\">x</p>", "attribute 'src' on <p> is not allowed"},
    {"<body background=\"https://evil.example/bg.png\"><p>x</p></body>",
     "attribute 'background' on <body> is not allowed"},
    {"<table background=\"bg.png\"><tr><td>x</td></tr></table>",
     "attribute 'background' on <table> is not allowed"},
    {"<blockquote cite=\"https://evil.example\">q</blockquote>",
     "attribute 'cite' on <blockquote> is not allowed"},
    {"<p><a xlink:href=\"https://evil.example\">x</a></p>",
     "attribute 'xlink:href' on <a> is not allowed"},
    {"<svg><a xlink:href=\"https://evil.example\">x</a></svg>", "element <svg> is not allowed"},
    {"<math href=\"https://evil.example\">x</math>", "element <math> is not allowed"},
    {"<base href=\"https://evil.example/\"><a href=\"" C "\">x</a>",
     "element <base> is not allowed"},
    {"<link rel=\"stylesheet\" href=\"https://evil.example/s.css\">",
     "element <link> is not allowed"},
    {"<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
     "attribute 'http-equiv' on <meta> is not allowed"},
    {"<meta name=\"x\" content=\"y\">", "attribute 'name' on <meta> is not allowed"},
    {"<meta charset=\"iso-8859-1\">", "<meta> may only declare charset=\"utf-8\""},
    {"<meta lang=\"en\">", "attribute 'lang' on <meta> is not allowed"},
    {"<iframe src=\"https://evil.example\"></iframe>", "element <iframe> is not allowed"},
    {"<form action=\"https://evil.example\"><p>x</p></form>", "element <form> is not allowed"},
    {"<object data=\"https://evil.example/x\"></object>", "element <object> is not allowed"},
    {"<embed src=\"https://evil.example/x\">", "element <embed> is not allowed"},
    {"<script>location='https://evil.example'</script>", "element <script> is not allowed"},
    {"<video poster=\"p.png\"></video>", "element <video> is not allowed"},
    {"<td onclick=\"x()\">x</td>", "attribute 'onclick' on <td> is not allowed"},
    {"<p><font color=red>x</font></p>", "element <font> is not allowed"},

    /* CSS */
    {"<p style=\"background:url(https://evil.example/x.png)\">x</p>",
     "attribute 'style' on <p> is not allowed"},
    {"<P STYLE=\"color:red\">x</P>", "attribute 'style' on <p> is not allowed"},
    {"<style>p{background:url(https://evil.example/x.png)}</style>",
     "element <style> is not allowed"},
    {"<p title=\"url(x.png)\">x</p>", "attribute 'title' on <p> contains CSS 'url('"},
    {"<p>@import 'x.css';</p>", "text contains CSS '@import'"},
    {"<p>width: expression(alert(1))</p>", "text contains CSS 'expression('"},
    {"<!-- url(x) -->", "comment contains CSS 'url('"},

    /* links in literal text, comments and other attributes */
    {"<p>Our sale: https://shop.example/sale</p>",
     "text contains a link 'https://shop.example/sale'"},
    {"<p>WWW.SHOP.EXAMPLE</p>", "text contains a link 'WWW.SHOP.EXAMPLE'"},
    {"<p>see //evil.example/x</p>", "text contains a link '//evil.example/x'"},
    {"<p>javascript:alert(1)</p>", "text contains a link 'javascript:alert(1)'"},
    {"<p>mailto:sales@shop.example</p>", "text contains a link 'mailto:sales@shop.example'"},
    {"<p>data:text/html;base64,PHA+</p>", "text contains a link 'data:text/html;base64,PHA+'"},
    {"<p>&#104;ttps&#58;//evil.example</p>", "text contains a link 'https://evil.example'"},
    {"<p>" P ".evil.example</p>",
     "URL 'https://example.com' in text is followed by '.evil.example'"},
    {"<p>" C "#x</p>", "URL 'https://confirm.example/c/TOKEN' in text is followed by '#x'"},
    {"<p>" C C "</p>", "in text is followed by 'https://confirm.example/c/TOKEN'"},
    {"<p>x" C "</p>", "text contains a link 'xhttps://confirm.example/c/TOKEN'"},
    {"<title>https://evil.example</title>", "text contains a link 'https://evil.example'"},
    {"<p title=\"https://evil.example\">x</p>",
     "attribute 'title' on <p> contains a link 'https://evil.example'"},
    {"<p title=\"" C "\">x</p>", "attribute 'title' on <p> contains a link"},
    {"<!-- https://evil.example -->", "comment contains a link 'https://evil.example'"},
    {"<p>x<!-- www.shop.example --></p>", "comment contains a link 'www.shop.example'"},
    {"<!-- " C " -->", "comment contains a link"},

    /* markup that a mail client may read but the parser did not */
    {"<noscript><a href=\"https://evil.example\">x</a></noscript>",
     "element <noscript> is not allowed"},
    {"<template><p>https://evil.example</p></template>", "element <template> is not allowed"},
    {"<!--[if mso]><p>x</p><![endif]-->", "comment contains markup '><p>x</p><![endif]'"},
    {"<!--><img src=\"https://evil.example/p.png\">-->", "comment contains markup"},
    {"<!-- a --!><p style=color:red>x</p><!-- -->", "malformed HTML: Comment incorrectly closed"},
    {"<p /style=\"color:red\">x</p>", "malformed HTML: error parsing attribute name"},
    {"<p \"style=color:red\">x</p>", "malformed HTML"},
    {"<p title=\"x>y</p>", "malformed HTML"},
    {"<p>x</p style=\"color:red\">", "malformed HTML: End tag : expected '>'"},
    {"<p>&lt;img src=x&gt;</p>", "text contains markup '<img'"},
    {"<![CDATA[><img src=x>]]>", "<img>"},
    {"<!DOCTYPE html PUBLIC \"><img src=x>\"><p>x</p>", "malformed HTML"},
    {"<p>x</p><html lang=\"de\">", "malformed HTML: htmlParseStartTag: misplaced <html> tag"},
    {"<p>\x01</p>", "malformed HTML"},
    {"<p>\xff</p>", "HTML is not valid UTF-8"},
    {"<xmp><a href=\"https://evil.example\">x</a></xmp>", "element <xmp> is not allowed"},
    {"<plaintext><a href=x>", "element <plaintext> is not allowed"},
    {"<textarea>https://evil.example</textarea>", "element <textarea> is not allowed"},
};

START_TEST(html_table)
{
    const struct html_case *c = &html_cases[_i];
    struct mo_err e;

    mo_err_init(&e);
    int rc = htmlsafe_check(c->html, strlen(c->html), allowed, 3, &e);
    if (c->expect == NULL) {
        ck_assert_msg(rc == 0, "case %d refused: %s", _i, e.msg);
        ck_assert_int_eq(e.code, MO_E_OK);
    } else {
        ck_assert_msg(rc == -1, "case %d accepted: %s", _i, c->html);
        ck_assert_int_eq(e.code, MO_E_INPUT);
        ck_assert_msg(strstr(e.msg, c->expect) != NULL, "case %d: '%s' lacks '%s'", _i, e.msg,
                      c->expect);
        ck_assert_msg(strchr(e.msg, '\n') == NULL, "case %d: two lines: %s", _i, e.msg);
    }
}
END_TEST

START_TEST(html_no_allowed_urls)
{
    struct mo_err e;
    const char *html = "<p><a href=\"" C "\">x</a></p>";

    mo_err_init(&e);
    ck_assert_int_eq(htmlsafe_check(html, strlen(html), NULL, 0, &e), -1);
    ck_assert_str_eq(e.msg, "link '" C "' on <a> is not one of the allowed URLs");
    mo_err_init(&e);
    ck_assert_int_eq(htmlsafe_check("<p>x</p>", 8, NULL, 0, &e), 0);
}
END_TEST

START_TEST(html_nul_and_size)
{
    struct mo_err e;
    static const char nul[] = "<p>a\0<img src=x></p>";
    size_t big = HTMLSAFE_MAX_LEN + 1;
    char *s = malloc(big);

    mo_err_init(&e);
    ck_assert_int_eq(htmlsafe_check(nul, sizeof(nul) - 1, allowed, 3, &e), -1);
    ck_assert_str_eq(e.msg, "HTML contains a NUL byte");
    ck_assert_ptr_nonnull(s);
    memset(s, 'a', big);
    mo_err_init(&e);
    ck_assert_int_eq(htmlsafe_check(s, big, allowed, 3, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "too large"));
    mo_err_init(&e);
    ck_assert_int_eq(htmlsafe_check(s, big - 1, allowed, 3, &e), 0);
    free(s);
}
END_TEST

/* Deep nesting neither crashes nor passes unchecked: the walk does not recurse. */
START_TEST(html_deep_nesting)
{
    struct mo_err e;
    size_t depth = 20000;
    char *s = malloc(depth * 5 + 64);
    size_t n = 0;

    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < depth; i++) {
        memcpy(s + n, "<div>", 5);
        n += 5;
    }
    memcpy(s + n, "<img src=x>", 11);
    n += 11;
    mo_err_init(&e);
    ck_assert_int_eq(htmlsafe_check(s, n, allowed, 3, &e), -1);
    free(s);
}
END_TEST

struct text_case {
    const char *text;
    const char *expect;
};

static const struct text_case text_cases[] = {
    {"", NULL},
    {"Confirm: " C "\n", NULL},
    {"Confirm: " C ".\nPrivacy (" P "), imprint <" I ">!", NULL},
    {"Write to info@example.com, Tel: +49 30 1234, metadata: none, a/b // c", NULL},
    {"Visit https://shop.example/sale now!", "contains a link 'https://shop.example/sale'"},
    {"Our shop: www.shop.example", "contains a link 'www.shop.example'"},
    {"Write to mailto:sales@shop.example", "contains a link 'mailto:sales@shop.example'"},
    {"see //evil.example", "contains a link '//evil.example'"},
    {"javascript:alert(1)", "contains a link 'javascript:alert(1)'"},
    {P ".evil.example", "URL 'https://example.com' is followed by '.evil.example'"},
    {"Confirm: " C "?utm=1", "URL 'https://confirm.example/c/TOKEN' is followed by '?utm=1'"},
    {"go=" C, "contains a link 'go=https://confirm.example/c/TOKEN'"},
    {"bad\x1b[31m https://evil.example", "contains a link 'https://evil.example'"},
};

START_TEST(text_table)
{
    const struct text_case *c = &text_cases[_i];
    struct mo_err e;

    mo_err_init(&e);
    int rc = htmlsafe_text_check(c->text, strlen(c->text), allowed, 3, &e);
    if (c->expect == NULL) {
        ck_assert_msg(rc == 0, "case %d refused: %s", _i, e.msg);
    } else {
        ck_assert_msg(rc == -1, "case %d accepted: %s", _i, c->text);
        ck_assert_msg(strstr(e.msg, c->expect) != NULL, "case %d: '%s' lacks '%s'", _i, e.msg,
                      c->expect);
    }
}
END_TEST

START_TEST(text_long_word_is_cut)
{
    struct mo_err e;
    char s[300];

    memcpy(s, "https://", 8);
    memset(s + 8, 'x', sizeof(s) - 9);
    s[sizeof(s) - 1] = '\0';
    mo_err_init(&e);
    ck_assert_int_eq(htmlsafe_text_check(s, strlen(s), NULL, 0, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "xxx...'"));
    ck_assert_uint_lt(strlen(e.msg), 120);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *htmlsafe_suite(void)
{
    Suite *s = suite_create("htmlsafe");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, html_table, 0, NCASES(html_cases));
    tcase_add_test(tc, html_no_allowed_urls);
    tcase_add_test(tc, html_nul_and_size);
    tcase_add_test(tc, html_deep_nesting);
    tcase_add_loop_test(tc, text_table, 0, NCASES(text_cases));
    tcase_add_test(tc, text_long_word_is_cut);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(htmlsafe_suite)
