/*
 * test_tmpl.c - templates: variables, escaping, sections, lists, standalone
 * lines, errors, names.
 */
#include "tmpl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check_tap.h"

/* The variables every table case renders with. */
static struct tmpl_vars *fixture(void)
{
    struct tmpl_vars *v = tmpl_vars_new();

    tmpl_vars_set(v, "name", "Ada");
    tmpl_vars_set(v, "html", "<script>alert(\"x\")</script>");
    tmpl_vars_set(v, "five", "Tom & Jerry's \"<b>\"");
    tmpl_vars_set(v, "attr.vip", "yes");
    tmpl_vars_set(v, "zero", "0");
    tmpl_vars_set(v, "no", "false");
    tmpl_vars_set(v, "empty", "");
    tmpl_vars_set(v, "unsubscribe_url", "https://x.example/u/T?a=1&b=2");
    tmpl_vars_set(v, "crlf", "a\r\nBcc: evil@example.com");
    tmpl_vars_set(v, "x-y_z.1", "dash");
    return v;
}

/* ---- rendering ---------------------------------------------------------- */

struct render_case {
    const char *tmpl;
    enum tmpl_escape esc;
    const char *want;
};

static const struct render_case render_cases[] = {
    /* plain variables, whitespace inside tags, missing ones */
    {"Hello {{name}}!", TMPL_RAW, "Hello Ada!"},
    {"Hello {{ name }}!", TMPL_HTML, "Hello Ada!"},
    {"{{\tname\t}}{{#  name }}+{{/ name}}", TMPL_RAW, "Ada+"},
    {"[{{nope}}]", TMPL_HTML, "[]"},
    {"[{{{nope}}}{{&nope}}]", TMPL_HTML, "[]"},
    {"{{x-y_z.1}}", TMPL_RAW, "dash"},
    {"", TMPL_RAW, ""},
    {"no tags at all\n", TMPL_HTML, "no tags at all\n"},
    {"single { braces } stay", TMPL_HTML, "single { braces } stay"},
    {"Gr\xc3\xbc\xc3\x9f"
     "e {{name}} \xe2\x9c\x93",
     TMPL_HTML,
     "Gr\xc3\xbc\xc3\x9f"
     "e Ada \xe2\x9c\x93"},
    /* escaping */
    {"{{five}}", TMPL_HTML, "Tom &amp; Jerry&#39;s &quot;&lt;b&gt;&quot;"},
    {"{{html}}", TMPL_HTML, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"},
    {"<a href=\"{{unsubscribe_url}}\">", TMPL_HTML,
     "<a href=\"https://x.example/u/T?a=1&amp;b=2\">"},
    {"{{html}}", TMPL_RAW, "<script>alert(\"x\")</script>"},
    {"{{five}}", TMPL_RAW, "Tom & Jerry's \"<b>\""},
    {"{{{html}}}", TMPL_HTML, "<script>alert(\"x\")</script>"},
    {"{{{ html }}}", TMPL_HTML, "<script>alert(\"x\")</script>"},
    {"{{&html}}", TMPL_HTML, "<script>alert(\"x\")</script>"},
    {"{{& html}}", TMPL_HTML, "<script>alert(\"x\")</script>"},
    {"{{{five}}}", TMPL_RAW, "Tom & Jerry's \"<b>\""},
    {"<{{{name}}}}>", TMPL_RAW, "<Ada}>"},
    /* values go in verbatim, CR and LF too */
    {"{{crlf}}", TMPL_RAW, "a\r\nBcc: evil@example.com"},
    {"{{crlf}}", TMPL_HTML, "a\r\nBcc: evil@example.com"},
    /* sections */
    {"[{{#attr.vip}}VIP{{/attr.vip}}]", TMPL_RAW, "[VIP]"},
    {"[{{#zero}}x{{/zero}}]", TMPL_RAW, "[]"},
    {"[{{#no}}x{{/no}}]", TMPL_RAW, "[]"},
    {"[{{#empty}}x{{/empty}}]", TMPL_RAW, "[]"},
    {"[{{#nope}}x{{/nope}}]", TMPL_RAW, "[]"},
    {"[{{#name}}{{name}}{{/name}}]", TMPL_HTML, "[Ada]"},
    {"[{{#html}}{{html}}{{/html}}]", TMPL_HTML,
     "[&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;]"},
    /* inverted sections */
    {"[{{^attr.vip}}x{{/attr.vip}}]", TMPL_RAW, "[]"},
    {"[{{^zero}}x{{/zero}}]", TMPL_RAW, "[x]"},
    {"[{{^no}}x{{/no}}]", TMPL_RAW, "[x]"},
    {"[{{^empty}}x{{/empty}}]", TMPL_RAW, "[x]"},
    {"[{{^nope}}x{{/nope}}]", TMPL_RAW, "[x]"},
    /* nesting */
    {"{{#attr.vip}}a{{#zero}}b{{/zero}}{{^zero}}c{{/zero}}d{{/attr.vip}}", TMPL_RAW, "acd"},
    {"[{{#zero}}{{#attr.vip}}x{{name}}{{/attr.vip}}{{/zero}}]", TMPL_RAW, "[]"},
    {"[{{^attr.vip}}{{^zero}}x{{/zero}}{{/attr.vip}}]", TMPL_RAW, "[]"},
    {"[{{#name}}{{#name}}{{name}}{{/name}}{{/name}}]", TMPL_RAW, "[Ada]"},
    {"{{#name}}{{^nope}}{{#attr.vip}}{{^zero}}deep{{/zero}}{{/attr.vip}}{{/nope}}{{/name}}",
     TMPL_RAW, "deep"},
    /* comments */
    {"a{{! hi }}b", TMPL_RAW, "ab"},
    {"a{{!}}b", TMPL_RAW, "ab"},
    {"a{{! two\nlines }}b", TMPL_RAW, "ab"},
    {"a{{! {{name}} }}b", TMPL_RAW, "a }}b"}, /* a comment ends at the first "}}" */
    {"a{{!{ #x ^y /z & < }}b", TMPL_HTML, "ab"},
    /* standalone lines disappear */
    {"Hi\n{{#attr.vip}}\nVIP\n{{/attr.vip}}\nBye\n", TMPL_RAW, "Hi\nVIP\nBye\n"},
    {"Hi\n{{#zero}}\nVIP\n{{/zero}}\nBye\n", TMPL_RAW, "Hi\nBye\n"},
    {"Hi\n{{^zero}}\nnot\n{{/zero}}\nBye\n", TMPL_RAW, "Hi\nnot\nBye\n"},
    {"Hi\n  \t{{#attr.vip}} \t\n  VIP\n\t{{/attr.vip}}  \nBye", TMPL_RAW, "Hi\n  VIP\nBye"},
    {"a\r\n{{#attr.vip}}\r\nb\r\n{{/attr.vip}}\r\nc", TMPL_RAW, "a\r\nb\r\nc"},
    {"a\n  {{! note }}\nb", TMPL_RAW, "a\nb"},
    {"a\n{{! two\nlines }}\nb", TMPL_RAW, "a\nb"},
    {"{{#attr.vip}}\nfirst line{{/attr.vip}}", TMPL_RAW, "first line"},
    {"a\n{{#attr.vip}}\nb\n{{/attr.vip}}", TMPL_RAW, "a\nb\n"},
    {"{{#a}}\n{{/a}}\n", TMPL_RAW, ""},
    {"{{#attr.vip}}\n{{#name}}\nx\n{{/name}}\n{{/attr.vip}}\n", TMPL_RAW, "x\n"},
    /* ... but not when something else shares the line */
    {"a {{#attr.vip}}\nb{{/attr.vip}} c", TMPL_RAW, "a \nb c"},
    {"{{#attr.vip}}{{/attr.vip}}\nx", TMPL_RAW, "\nx"},
    {"{{#attr.vip}}x\n{{/attr.vip}}y", TMPL_RAW, "x\ny"},
    {"a\n{{name}}\nb", TMPL_RAW, "a\nAda\nb"},
    {"a\n{{{nope}}}\nb", TMPL_RAW, "a\n\nb"},
    {"a\n{{#attr.vip}}\r\rb{{/attr.vip}}", TMPL_RAW, "a\n\r\rb"},
};

/* Renders case i of a table with v (freed here) and compares the output. */
static void check_render(const struct render_case *c, int i, struct tmpl_vars *v)
{
    struct mo_err err;
    struct buf out;

    mo_err_init(&err);
    buf_init(&out, 0);
    ck_assert_msg(tmpl_render(c->tmpl, v, c->esc, &out, &err) == 0, "case %d: %s", i, err.msg);
    ck_assert_msg(strcmp(out.s, c->want) == 0, "case %d: got '%s' want '%s'", i, out.s, c->want);
    ck_assert_uint_eq(out.len, strlen(c->want));
    ck_assert_int_eq(err.code, MO_E_OK);
    ck_assert_int_eq(tmpl_check(c->tmpl, &err), 0);
    buf_release(&out);
    tmpl_vars_free(v);
}

START_TEST(render_table)
{
    check_render(&render_cases[_i], _i, fixture());
}
END_TEST

START_TEST(render_appends_and_without_vars)
{
    struct mo_err err;
    struct buf out;

    mo_err_init(&err);
    buf_init(&out, 0);
    buf_puts(&out, "pre:");
    ck_assert_int_eq(tmpl_render("[{{a}}{{#a}}x{{/a}}{{^a}}y{{/a}}]", NULL, TMPL_HTML, &out, &err),
                     0);
    ck_assert_str_eq(out.s, "pre:[y]");
    buf_release(&out);
}
END_TEST

START_TEST(section_depth_limit)
{
    struct buf t, out;
    struct mo_err err;

    buf_init(&t, 0);
    buf_init(&out, 0);
    for (int i = 0; i < TMPL_MAX_DEPTH; i++)
        buf_puts(&t, "{{#a}}");
    buf_puts(&t, "x");
    for (int i = 0; i < TMPL_MAX_DEPTH; i++)
        buf_puts(&t, "{{/a}}");
    mo_err_init(&err);
    struct tmpl_vars *v = tmpl_vars_new();
    tmpl_vars_set(v, "a", "1");
    ck_assert_int_eq(tmpl_render(t.s, v, TMPL_RAW, &out, &err), 0);
    ck_assert_str_eq(out.s, "x");

    /* one more level: the 17th open tag, at column 6 * 16 + 1 */
    buf_reset(&t);
    for (int i = 0; i <= TMPL_MAX_DEPTH; i++)
        buf_puts(&t, "{{#a}}");
    for (int i = 0; i <= TMPL_MAX_DEPTH; i++)
        buf_puts(&t, "{{/a}}");
    ck_assert_int_eq(tmpl_check(t.s, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_str_eq(err.msg, "template: 1:97: sections nested deeper than 16");

    /* the limit is on nesting, not on the number of sections */
    buf_reset(&t);
    for (int i = 0; i < 1000; i++)
        buf_puts(&t, "{{#a}}.{{/a}}");
    mo_err_init(&err);
    buf_reset(&out);
    ck_assert_int_eq(tmpl_render(t.s, v, TMPL_RAW, &out, &err), 0);
    ck_assert_uint_eq(out.len, 1000);

    tmpl_vars_free(v);
    buf_release(&out);
    buf_release(&t);
}
END_TEST

/* ---- lists ---------------------------------------------------------------- */

/* fixture() plus lists: one (1 item), topics (3 items, the last with a nested list) and clashes. */
static struct tmpl_vars *list_fixture(void)
{
    struct tmpl_vars *v = fixture();
    struct tmpl_vars *it;
    static const char *const topics[][3] = {
        {"news", "News & more", "0"},
        {"offers", "<Offers>", "1"},
        {"tips", "Tom's \"tips\"", "2"},
    };

    it = tmpl_vars_list_add(v, "one");
    tmpl_vars_set(it, "title", "First");
    for (size_t i = 0; i < 3; i++) {
        it = tmpl_vars_list_add(v, "topics");
        tmpl_vars_set(it, "name", topics[i][0]); /* shadows the outer name (Ada) */
        tmpl_vars_set(it, "title", topics[i][1]);
        tmpl_vars_set(it, "index", topics[i][2]);
    }
    tmpl_vars_set(it, "vip", "yes"); /* only the last item */
    tmpl_vars_set(tmpl_vars_list_add(it, "tags"), "tag", "a&b");
    tmpl_vars_set(tmpl_vars_list_add(it, "tags"), "tag", "c");
    /* a value replaced by a list, and a list replaced by a value */
    tmpl_vars_set(v, "was_value", "plain");
    tmpl_vars_set(tmpl_vars_list_add(v, "was_value"), "x", "1");
    tmpl_vars_set(tmpl_vars_list_add(v, "was_list"), "x", "2");
    tmpl_vars_set(v, "was_list", "now a value");
    return v;
}

static const struct render_case list_cases[] = {
    /* no list of that name: nothing, and the inverted section shows */
    {"[{{#none}}x{{name}}{{/none}}]", TMPL_HTML, "[]"},
    {"[{{^none}}no topics{{/none}}]", TMPL_HTML, "[no topics]"},
    /* one item */
    {"[{{#one}}<{{title}}>{{/one}}]", TMPL_RAW, "[<First>]"},
    {"[{{^one}}x{{/one}}]", TMPL_RAW, "[]"},
    /* three items, in order, each escaped */
    {"{{#topics}}{{index}}:{{title}};{{/topics}}", TMPL_HTML,
     "0:News &amp; more;1:&lt;Offers&gt;;2:Tom&#39;s &quot;tips&quot;;"},
    {"{{#topics}}{{{title}}}|{{/topics}}", TMPL_HTML, "News & more|<Offers>|Tom's \"tips\"|"},
    {"{{#topics}}{{title}}|{{/topics}}", TMPL_RAW, "News & more|<Offers>|Tom's \"tips\"|"},
    {"<input value=\"{{#topics}}{{name}} {{/topics}}\">", TMPL_HTML,
     "<input value=\"news offers tips \">"},
    /* outer variables stay visible; an item's own name wins, and only inside */
    {"{{#one}}{{title}} by {{name}} {{five}}{{/one}}", TMPL_HTML,
     "First by Ada Tom &amp; Jerry&#39;s &quot;&lt;b&gt;&quot;"},
    {"{{#topics}}{{name}},{{/topics}}{{name}}", TMPL_RAW, "news,offers,tips,Ada"},
    {"{{#topics}}{{#attr.vip}}[{{title}}]{{/attr.vip}}{{/topics}}", TMPL_RAW,
     "[News & more][<Offers>][Tom's \"tips\"]"},
    /* sections on item values */
    {"{{#topics}}{{#vip}}*{{/vip}}{{^vip}}-{{/vip}}{{name}} {{/topics}}", TMPL_RAW,
     "-news -offers *tips "},
    {"[{{#vip}}x{{/vip}}]", TMPL_RAW, "[]"}, /* no item outside the list */
    /* nesting: the inner item, then the outer item, then the map */
    {"{{#topics}}[{{#tags}}{{tag}}{{/tags}}]{{/topics}}", TMPL_HTML, "[][][a&amp;bc]"},
    {"{{#topics}}{{#tags}}{{name}}.{{tag}}.{{index}}.{{attr.vip}} {{/tags}}{{/topics}}", TMPL_RAW,
     "tips.a&b.2.yes tips.c.2.yes "},
    {"{{#topics}}{{^tags}}-{{/tags}}{{/topics}}", TMPL_RAW, "--"},
    {"{{#one}}{{#topics}}{{#one}}{{title}}{{/one}}{{/topics}}{{/one}}", TMPL_RAW,
     "FirstFirstFirst"},
    {"{{#tags}}x{{/tags}}", TMPL_RAW, ""}, /* an item's list is not visible outside it */
    /* a list as a variable renders nothing */
    {"[{{topics}}{{{topics}}}{{&one}}]", TMPL_HTML, "[]"},
    /* a value and a list of the same name: the later one replaced the earlier */
    {"[{{was_value}}|{{#was_value}}{{x}}{{/was_value}}]", TMPL_RAW, "[|1]"},
    {"[{{was_list}}|{{#was_list}}+{{x}}{{/was_list}}]", TMPL_RAW, "[now a value|+]"},
    /* standalone section lines disappear on every repetition */
    {"<ul>\n{{#topics}}\n  <li>{{name}}</li>\n{{/topics}}\n{{^topics}}\n  none\n{{/topics}}\n"
     "</ul>\n",
     TMPL_HTML, "<ul>\n  <li>news</li>\n  <li>offers</li>\n  <li>tips</li>\n</ul>\n"},
    {"a\n{{#topics}}\n{{name}}\n{{/topics}}", TMPL_RAW, "a\nnews\noffers\ntips\n"},
    {"{{#topics}}{{name}}\n{{/topics}}", TMPL_RAW, "news\noffers\ntips\n"},
    {"{{#topics}}\n{{/topics}}\nend", TMPL_RAW, "end"},
    {"{{#topics}}{{! one comment per item }}.{{/topics}}", TMPL_RAW, "..."},
};

START_TEST(list_table)
{
    check_render(&list_cases[_i], _i, list_fixture());
}
END_TEST

START_TEST(list_vars_api)
{
    struct tmpl_vars *v = tmpl_vars_new();
    struct tmpl_vars *first, *it;
    struct buf n;

    ck_assert_uint_eq(tmpl_vars_list_len(v, "l"), 0);
    ck_assert_uint_eq(tmpl_vars_list_len(NULL, "l"), 0);
    first = tmpl_vars_list_add(v, "l");
    ck_assert_ptr_nonnull(first);
    tmpl_vars_set(first, "k", "first");
    /* many items: earlier item maps stay where they are */
    buf_init(&n, 0);
    for (int i = 1; i < 100; i++) {
        it = tmpl_vars_list_add(v, "l");
        buf_reset(&n);
        buf_printf(&n, "%d", i);
        tmpl_vars_set(it, "k", n.s);
    }
    buf_release(&n);
    ck_assert_uint_eq(tmpl_vars_list_len(v, "l"), 100);
    ck_assert_str_eq(tmpl_vars_get(first, "k"), "first");
    ck_assert_ptr_null(tmpl_vars_get(v, "l")); /* a list has no value */
    tmpl_vars_set(v, "s", "x");
    ck_assert_uint_eq(tmpl_vars_list_len(v, "s"), 0); /* a value is no list */

    struct mo_err err;
    struct buf out;
    mo_err_init(&err);
    buf_init(&out, 0);
    ck_assert_int_eq(tmpl_render("{{#l}}{{k}},{{/l}}", v, TMPL_RAW, &out, &err), 0);
    ck_assert_uint_eq(out.len, 6 + 9 * 2 + 90 * 3);
    ck_assert_int_eq(strncmp(out.s, "first,1,2,", 10), 0);
    buf_release(&out);

    /* a value replaces the list, NULL removes it; both free every item (LeakSanitizer) */
    tmpl_vars_set(v, "l", tmpl_vars_get(first, "k")); /* aliasing an item's value */
    ck_assert_str_eq(tmpl_vars_get(v, "l"), "first");
    ck_assert_uint_eq(tmpl_vars_list_len(v, "l"), 0);
    tmpl_vars_set(tmpl_vars_list_add(v, "m"), "k", "1");
    tmpl_vars_set(v, "m", NULL);
    ck_assert_uint_eq(tmpl_vars_list_len(v, "m"), 0);
    tmpl_vars_free(v);
}
END_TEST

START_TEST(list_output_max)
{
    struct tmpl_vars *v = list_fixture();
    struct mo_err err;
    struct buf out;

    buf_init(&out, 20);
    buf_puts(&out, "ab");
    mo_err_init(&err);
    /* 3 items of "[news]"-like text pass 20 bytes in the third item */
    ck_assert_int_eq(tmpl_render("{{#topics}}[{{name}}]{{/topics}}", v, TMPL_RAW, &out, &err), -1);
    ck_assert_str_eq(err.msg, "template output too large");
    ck_assert_str_eq(out.s, "ab");
    buf_release(&out);
    tmpl_vars_free(v);
}
END_TEST

/* A syntax error inside a repeated list is the error tmpl_check reports, once. */
START_TEST(list_errors_like_check)
{
    static const char *const bad[] = {
        "{{#topics}}{{name}}{{/one}}{{/topics}}", "{{#topics}}{{name}}",
        "{{#topics}}{{#tags}}{{tag}}{{/topics}}", "{{#topics}}{{name}}{{/topics}}{{/topics}}",
        "{{#topics}}{{bad name}}{{/topics}}",
    };
    struct tmpl_vars *v = list_fixture();

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mo_err err, cerr;
        struct buf out;
        buf_init(&out, 0);
        mo_err_init(&err);
        mo_err_init(&cerr);
        ck_assert_int_eq(tmpl_render(bad[i], v, TMPL_HTML, &out, &err), -1);
        ck_assert_int_eq(tmpl_check(bad[i], &cerr), -1);
        ck_assert_str_eq(err.msg, cerr.msg);
        ck_assert_uint_eq(out.len, 0);
        buf_release(&out);
    }
    tmpl_vars_free(v);
}
END_TEST

/* ---- syntax errors ------------------------------------------------------ */

struct error_case {
    const char *tmpl;
    const char *msg;
};

static const struct error_case error_cases[] = {
    {"Hi\nthere\nHello, world {{#attr.vip}}VIP", "template: 3:14: unclosed section 'attr.vip'"},
    {"{{#a}}{{#b}}{{/b}}", "template: 1:1: unclosed section 'a'"},
    {"{{#a}}{{^b}}", "template: 1:7: unclosed section 'b'"},
    {"{{#a}}{{/b}}", "template: 1:7: closing tag 'b' does not match open section 'a'"},
    {"{{#a}}\n  {{#b}}{{/a}}{{/b}}",
     "template: 2:9: closing tag 'a' does not match open section 'b'"},
    {"x{{/a}}", "template: 1:2: closing tag 'a' without open section"},
    {"{{#a}}\n{{/a}}\n{{/a}}", "template: 3:1: closing tag 'a' without open section"},
    {"ab {{name", "template: 1:4: unterminated tag"},
    {"ab {{name}", "template: 1:4: unterminated tag"},
    {"{{", "template: 1:1: unterminated tag"},
    {"x\n\n  {{{name}}", "template: 3:3: unterminated tag"},
    {"{{!oops", "template: 1:1: unterminated tag"},
    {"{{#a", "template: 1:1: unterminated tag"},
    {"{{}}", "template: 1:1: empty tag name"},
    {"a {{ }}", "template: 1:3: empty tag name"},
    {"{{#}}", "template: 1:1: empty tag name"},
    {"{{{}}}", "template: 1:1: empty tag name"},
    {"{{& }}", "template: 1:1: empty tag name"},
    {"{{na me}}", "template: 1:6: invalid character 'm' in tag"},
    {"{{a*}}", "template: 1:4: invalid character '*' in tag"},
    {"{{ #a }}", "template: 1:4: invalid character '#' in tag"},
    {"{{{#a}}}", "template: 1:4: invalid character '#' in tag"},
    {"{{a}b}}", "template: 1:4: invalid character '}' in tag"},
    {"{{{a}} b {{c}}}", "template: 1:5: invalid character '}' in tag"},
    {"{{\xc3\xa9}}", "template: 1:3: invalid character '\xc3\xa9' in tag"},
    {"\xc3\xbc\xc3\xbc {{#x}}", "template: 1:4: unclosed section 'x'"},
    {"x\n\t{{a\x01}}", "template: 2:5: invalid byte 0x01 in tag"},
    {"{{a\xff}}", "template: 1:4: invalid byte 0xff in tag"},
    {"{{a\xc3}}", "template: 1:4: invalid byte 0xc3 in tag"},
    {"{{0123456789012345678901234567890123456789012345678901234567890123x}}",
     "template: 1:3: tag name longer than 64 characters"},
    {"{{# 0123456789012345678901234567890123456789012345678901234567890123x}}",
     "template: 1:5: tag name longer than 64 characters"},
    {"{{>partial}}", "template: 1:1: partials are not supported"},
    {"{{=<% %>=}}", "template: 1:1: delimiter changes are not supported"},
    /* the first error in the text wins */
    {"{{/a}}{{", "template: 1:1: closing tag 'a' without open section"},
    {"{{#a}}{{b c}}", "template: 1:11: invalid character 'c' in tag"},
    /* standalone removal does not move positions */
    {"a\n  {{/attr.vip}}  ", "template: 2:3: closing tag 'attr.vip' without open section"},
};

START_TEST(error_table)
{
    const struct error_case *c = &error_cases[_i];
    struct tmpl_vars *v = fixture();
    struct mo_err err;
    struct buf out;

    buf_init(&out, 0);
    buf_puts(&out, "keep");
    for (int esc = TMPL_RAW; esc <= TMPL_HTML; esc++) {
        mo_err_init(&err);
        ck_assert_int_eq(tmpl_render(c->tmpl, v, (enum tmpl_escape)esc, &out, &err), -1);
        ck_assert_int_eq(err.code, MO_E_INPUT);
        ck_assert_msg(strcmp(err.msg, c->msg) == 0, "case %d: got '%s' want '%s'", _i, err.msg,
                      c->msg);
        ck_assert_str_eq(out.s, "keep"); /* out as on entry */
    }
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_check(c->tmpl, &err), -1);
    ck_assert_str_eq(err.msg, c->msg);
    buf_release(&out);
    tmpl_vars_free(v);
}
END_TEST

START_TEST(name_of_64_is_fine)
{
    struct mo_err err;
    const char *t = "{{0123456789012345678901234567890123456789012345678901234567890123}}";

    mo_err_init(&err);
    ck_assert_int_eq(tmpl_check(t, &err), 0);
}
END_TEST

/* ---- output maximum ----------------------------------------------------- */

START_TEST(output_max)
{
    struct tmpl_vars *v = fixture();
    struct mo_err err;
    struct buf out;

    buf_init(&out, 16);
    mo_err_init(&err);
    ck_assert_int_eq(
        tmpl_render("{{name}} {{name}} {{name}} {{name}} {{name}}", v, TMPL_RAW, &out, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_str_eq(err.msg, "template output too large");
    ck_assert_str_eq(out.s, "");
    ck_assert_uint_eq(out.len, 0);

    /* escaping can push past the maximum too; out keeps what it had */
    buf_puts(&out, "abc");
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_render("{{five}}", v, TMPL_HTML, &out, &err), -1);
    ck_assert_str_eq(err.msg, "template output too large");
    ck_assert_str_eq(out.s, "abc");

    /* literal text alone */
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_render("0123456789abcdef", v, TMPL_RAW, &out, &err), -1);
    ck_assert_str_eq(out.s, "abc");

    /* one byte over fails; exactly up to the maximum is fine */
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_render("{{name}}{{name}}{{name}}{{&no}}", v, TMPL_RAW, &out, &err), -1);
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_render("{{name}}{{name}}{{name}}{{&zero}}", v, TMPL_RAW, &out, &err), 0);
    ck_assert_str_eq(out.s, "abcAdaAdaAda0");
    ck_assert_int_eq(tmpl_render("{{name}}", v, TMPL_RAW, &out, &err), 0);
    ck_assert_uint_eq(out.len, 16);

    buf_release(&out);
    tmpl_vars_free(v);
}
END_TEST

/* ---- tmpl_html_escape --------------------------------------------------- */

struct escape_case {
    const char *in;
    const char *want;
};

static const struct escape_case escape_cases[] = {
    {"", ""},
    {"plain", "plain"},
    {"&", "&amp;"},
    {"<", "&lt;"},
    {">", "&gt;"},
    {"\"", "&quot;"},
    {"'", "&#39;"},
    {"&&<<>>\"\"''", "&amp;&amp;&lt;&lt;&gt;&gt;&quot;&quot;&#39;&#39;"},
    {"a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e&#39;f"},
    {"<script>alert(\"x\")</script>", "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"},
    {"&amp;", "&amp;amp;"},
    {"\xc3\xa9\r\n\t{}", "\xc3\xa9\r\n\t{}"},
};

START_TEST(html_escape_table)
{
    const struct escape_case *c = &escape_cases[_i];
    struct buf out;

    buf_init(&out, 0);
    buf_puts(&out, ">");
    ck_assert_int_eq(tmpl_html_escape(c->in, &out), 0);
    ck_assert_str_eq(out.s + 1, c->want);
    buf_release(&out);
}
END_TEST

START_TEST(html_escape_max)
{
    struct buf out;

    buf_init(&out, 8);
    buf_puts(&out, "ab");
    ck_assert_int_eq(tmpl_html_escape("x<y<", &out), -1); /* 2 + 10 bytes > 8 */
    ck_assert_str_eq(out.s, "ab");
    ck_assert_int_eq(tmpl_html_escape("x<", &out), 0);
    ck_assert_str_eq(out.s, "abx&lt;");
    buf_release(&out);
}
END_TEST

/* ---- tmpl_vars ---------------------------------------------------------- */

START_TEST(vars_set_get_replace_unset)
{
    struct tmpl_vars *v = tmpl_vars_new();

    ck_assert_ptr_null(tmpl_vars_get(v, "a"));
    ck_assert_ptr_null(tmpl_vars_get(NULL, "a"));
    tmpl_vars_set(v, "a", "1");
    ck_assert_str_eq(tmpl_vars_get(v, "a"), "1");
    tmpl_vars_set(v, "a", "2");
    ck_assert_str_eq(tmpl_vars_get(v, "a"), "2");
    tmpl_vars_set(v, "a", tmpl_vars_get(v, "a")); /* aliasing its own value */
    ck_assert_str_eq(tmpl_vars_get(v, "a"), "2");
    tmpl_vars_set(v, "a", NULL);
    ck_assert_ptr_null(tmpl_vars_get(v, "a"));
    tmpl_vars_set(v, "a", NULL); /* unsetting twice is fine */
    tmpl_vars_set(v, "", "empty name");
    ck_assert_str_eq(tmpl_vars_get(v, ""), "empty name");

    /* copies are taken */
    char name[8] = "k", value[8] = "v";
    tmpl_vars_set(v, name, value);
    name[0] = 'z';
    value[0] = 'w';
    ck_assert_str_eq(tmpl_vars_get(v, "k"), "v");
    ck_assert_ptr_null(tmpl_vars_get(v, "z"));

    tmpl_vars_free(v);
    tmpl_vars_free(NULL);
}
END_TEST

START_TEST(vars_many)
{
    struct tmpl_vars *v = tmpl_vars_new();
    struct buf n, val;

    buf_init(&n, 0);
    buf_init(&val, 0);
    for (int i = 0; i < 2000; i++) {
        buf_reset(&n);
        buf_reset(&val);
        buf_printf(&n, "attr.k%d", i);
        buf_printf(&val, "v%d", i * 7);
        tmpl_vars_set(v, n.s, val.s);
    }
    for (int i = 0; i < 2000; i += 2) { /* unset the even ones */
        buf_reset(&n);
        buf_printf(&n, "attr.k%d", i);
        tmpl_vars_set(v, n.s, NULL);
    }
    for (int i = 0; i < 2000; i++) {
        buf_reset(&n);
        buf_reset(&val);
        buf_printf(&n, "attr.k%d", i);
        buf_printf(&val, "v%d", i * 7);
        if (i % 2)
            ck_assert_str_eq(tmpl_vars_get(v, n.s), val.s);
        else
            ck_assert_ptr_null(tmpl_vars_get(v, n.s));
    }
    buf_release(&n);
    buf_release(&val);
    tmpl_vars_free(v);
}
END_TEST

/* ---- tmpl_names --------------------------------------------------------- */

struct names_log {
    struct buf seen;
    int calls;
    int stop_at; /* return 7 on this call (1-based); 0 never */
};

static int record_name(const char *name, char kind, void *arg)
{
    struct names_log *log = arg;

    log->calls++;
    buf_printf(&log->seen, "%c%s ", kind, name);
    return log->calls == log->stop_at ? 7 : 0;
}

static const char names_tmpl[] = "{{a}} {{{b}}} {{& c}}\n{{#d}}\n{{^e.f}}{{! note }}{{/e.f}}\n"
                                 "{{/d}}\n{{unsubscribe_url}}";

START_TEST(names_in_order)
{
    struct names_log log = {.stop_at = 0};
    struct mo_err err;

    buf_init(&log.seen, 0);
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_names(names_tmpl, record_name, &log, &err), 0);
    ck_assert_str_eq(log.seen.s, "{a {b {c #d ^e.f /e.f /d {unsubscribe_url ");
    ck_assert_int_eq(log.calls, 8);
    ck_assert_int_eq(err.code, MO_E_OK);
    buf_release(&log.seen);
}
END_TEST

START_TEST(names_stop_early)
{
    struct names_log log = {.stop_at = 3};
    struct mo_err err;

    buf_init(&log.seen, 0);
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_names(names_tmpl, record_name, &log, &err), 7);
    ck_assert_str_eq(log.seen.s, "{a {b {c ");
    ck_assert_int_eq(log.calls, 3);
    ck_assert_int_eq(err.code, MO_E_OK);
    buf_release(&log.seen);
}
END_TEST

START_TEST(names_syntax_error_calls_nothing)
{
    struct names_log log = {.stop_at = 0};
    struct mo_err err;

    buf_init(&log.seen, 0);
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_names("{{a}}{{b}}\n{{#c}}", record_name, &log, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_str_eq(err.msg, "template: 2:1: unclosed section 'c'");
    ck_assert_int_eq(log.calls, 0);
    buf_release(&log.seen);
}
END_TEST

/* An allow-list as a confirmation template would use it. */
static int only_confirm_vars(const char *name, char kind, void *arg)
{
    static const char *const allowed[] = {"confirm_url", "privacy_url", "imprint_url", "name"};

    (void)arg;
    if (kind != '{')
        return 0;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (strcmp(name, allowed[i]) == 0)
            return 0;
    return 1;
}

START_TEST(names_allow_list)
{
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(
        tmpl_names("Hi {{name}}, {{#name}}{{confirm_url}}{{/name}}", only_confirm_vars, NULL, &err),
        0);
    ck_assert_int_eq(
        tmpl_names("{{confirm_url}} {{campaign.title}}", only_confirm_vars, NULL, &err), 1);
    ck_assert_int_eq(err.code, MO_E_OK);
}
END_TEST

/* ---- deterministic fuzz ------------------------------------------------- */

static uint32_t lcg_next(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return *state >> 8;
}

START_TEST(fuzz_alphabet)
{
    static const char alphabet[] = "{}#^/!&ab. \n";
    struct tmpl_vars *v = tmpl_vars_new();
    uint32_t seed = 20261101u;
    char t[96];
    int ok = 0, failed = 0;

    tmpl_vars_set(v, "a", "<&\"'>");
    tmpl_vars_set(v, "ab", "1");
    tmpl_vars_set(v, "a.b", "false");
    tmpl_vars_set(v, "b", "{{a}}");
    /* a list of two items, so that repeated content is fuzzed too */
    tmpl_vars_set(tmpl_vars_list_add(v, "ba"), "a", "&");
    tmpl_vars_set(tmpl_vars_list_add(v, "ba"), "b", "");

    for (int n = 0; n < 2000; n++) {
        size_t len = lcg_next(&seed) % (sizeof(t) - 1);
        struct mo_err err, cerr;
        int rc[2];

        for (size_t i = 0; i < len; i++)
            t[i] = alphabet[lcg_next(&seed) % (sizeof(alphabet) - 1)];
        t[len] = '\0';
        mo_err_init(&cerr);
        int crc = tmpl_check(t, &cerr);
        for (int esc = TMPL_RAW; esc <= TMPL_HTML; esc++) {
            struct buf out;
            buf_init(&out, 0);
            mo_err_init(&err);
            rc[esc] = tmpl_render(t, v, (enum tmpl_escape)esc, &out, &err);
            ck_assert_msg(rc[esc] == 0 || rc[esc] == -1, "'%s': rc %d", t, rc[esc]);
            ck_assert_uint_eq(strlen(out.s), out.len);
            if (rc[esc] == 0) {
                ck_assert_int_eq(err.code, MO_E_OK);
            } else {
                ck_assert_int_eq(err.code, MO_E_INPUT);
                ck_assert_msg(strncmp(err.msg, "template: ", 10) == 0, "'%s': %s", t, err.msg);
                ck_assert_str_eq(err.msg, cerr.msg); /* check agrees with render */
                ck_assert_uint_eq(out.len, 0);
            }
            buf_release(&out);
        }
        ck_assert_int_eq(rc[0], rc[1]);
        ck_assert_int_eq(rc[0], crc);
        if (crc == 0)
            ok++;
        else
            failed++;
    }
    /* the alphabet reaches both outcomes */
    ck_assert_int_gt(ok, 100);
    ck_assert_int_gt(failed, 100);
    tmpl_vars_free(v);
}
END_TEST

/* Long inputs stay linear: a megabyte of tags and of unterminated openers. */
START_TEST(large_input)
{
    struct buf t, out;
    struct mo_err err;
    struct tmpl_vars *v = fixture();

    buf_init(&t, 0);
    buf_init(&out, 0);
    for (int i = 0; i < 50000; i++)
        buf_puts(&t, "{{#attr.vip}}{{name}}{{/attr.vip}}\n");
    mo_err_init(&err);
    ck_assert_int_eq(tmpl_render(t.s, v, TMPL_HTML, &out, &err), 0);
    ck_assert_uint_eq(out.len, 50000 * 4);

    buf_reset(&t);
    buf_puts(&t, "{{");
    for (int i = 0; i < 1000000; i++)
        buf_putc(&t, 'a');
    ck_assert_int_eq(tmpl_check(t.s, &err), -1);
    ck_assert_str_eq(err.msg, "template: 1:1: unterminated tag");
    buf_release(&t);
    buf_release(&out);
    tmpl_vars_free(v);
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *tmpl_suite(void)
{
    Suite *s = suite_create("tmpl");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, render_table, 0, NCASES(render_cases));
    tcase_add_test(tc, render_appends_and_without_vars);
    tcase_add_test(tc, section_depth_limit);
    tcase_add_loop_test(tc, list_table, 0, NCASES(list_cases));
    tcase_add_test(tc, list_vars_api);
    tcase_add_test(tc, list_output_max);
    tcase_add_test(tc, list_errors_like_check);
    tcase_add_loop_test(tc, error_table, 0, NCASES(error_cases));
    tcase_add_test(tc, name_of_64_is_fine);
    tcase_add_test(tc, output_max);
    tcase_add_loop_test(tc, html_escape_table, 0, NCASES(escape_cases));
    tcase_add_test(tc, html_escape_max);
    tcase_add_test(tc, vars_set_get_replace_unset);
    tcase_add_test(tc, vars_many);
    tcase_add_test(tc, names_in_order);
    tcase_add_test(tc, names_stop_early);
    tcase_add_test(tc, names_syntax_error_calls_nothing);
    tcase_add_test(tc, names_allow_list);
    tcase_add_test(tc, fuzz_alphabet);
    tcase_add_test(tc, large_input);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(tmpl_suite)
