/*
 * fuzz_tmpl.c - the template language over arbitrary templates and values.
 *
 * fuzz-options: -max_len=8192
 *
 * The input is cut at NUL bytes: the first part is the template, the next
 * ones the values of the variables in names[] (in order; without any, a
 * fixed set of values is used).  Properties:
 *  - tmpl_check(), tmpl_names() and tmpl_render() agree on whether the
 *    template is valid, with the same message, and a failed render leaves
 *    the output buffer as it was;
 *  - tmpl_names() stops at the first non-zero result of its callback;
 *  - HTML rendering equals raw rendering of HTML-escaped values when the
 *    template has no {{{x}}} or {{&x}} tags;
 *  - a render into a small buffer either fits exactly or fails cleanly.
 */
#include "tmpl.h"

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"

static const char *const names[] = {
    "name", "email", "unsubscribe_url", "attr.vip", "x", "confirm_url", "a", "b", "0"};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static const char *const defaults[NNAMES] = {"Ada <Lovelace> & \"Co\" 'x'",
                                             "ada@example.com",
                                             "https://example.com/u?t=1&x=2",
                                             "1",
                                             "",
                                             "0",
                                             "false",
                                             "{{x}}",
                                             "\xc3\xa4\xe2\x82\xac"};

struct walk {
    size_t calls;
    size_t stop_at; /* 0: never stop */
};

static int on_name(const char *name, char kind, void *arg)
{
    struct walk *w = arg;
    size_t n = strlen(name);

    FUZZ_CHECK(kind == '{' || kind == '#' || kind == '^' || kind == '/');
    FUZZ_CHECK(n >= 1 && n <= TMPL_MAX_NAME);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
                          name[i]) != NULL);
    w->calls++;
    return w->stop_at && w->calls == w->stop_at ? 42 : 0;
}

/* Renders t into a fresh buffer that starts with "PRE"; returns rc, fills *out. */
static int render(const char *t, const struct tmpl_vars *v, enum tmpl_escape esc, size_t max,
                  struct buf *out, struct mo_err *err)
{
    int rc;

    buf_init(out, max);
    FUZZ_CHECK(buf_puts(out, "PRE") == 0);
    mo_err_init(err);
    rc = tmpl_render(t, v, esc, out, err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FUZZ_CHECK(err->code == MO_E_INPUT);
        FUZZ_CHECK(out->len == 3 && strcmp(out->s, "PRE") == 0);
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts p;
    struct tmpl_vars *v = tmpl_vars_new(), *ev = tmpl_vars_new();
    struct buf raw, html, eraw, small, esc;
    struct mo_err cerr, err;
    struct walk w = {0, 0};
    const char *t;
    int rc_check, rc;

    fuzz_parts_split(&p, data, size, 1 + NNAMES);
    t = p.part[0];
    for (size_t i = 0; i < NNAMES; i++) {
        const char *val = p.n > 1 ? (i + 1 < p.n ? p.part[i + 1] : NULL) : defaults[i];
        tmpl_vars_set(v, names[i], val);
        if (val) {
            buf_init(&esc, 0);
            FUZZ_CHECK(tmpl_html_escape(val, &esc) == 0);
            FUZZ_CHECK(strpbrk(esc.s, "<>\"'") == NULL);
            tmpl_vars_set(ev, names[i], esc.s);
            buf_release(&esc);
        }
    }
    /* replacing a value with itself (aliasing) keeps it */
    if (tmpl_vars_get(v, "x")) {
        char *copy = strdup(tmpl_vars_get(v, "x"));
        FUZZ_CHECK(copy != NULL);
        tmpl_vars_set(v, "x", tmpl_vars_get(v, "x"));
        FUZZ_CHECK(strcmp(tmpl_vars_get(v, "x"), copy) == 0);
        free(copy);
    }

    mo_err_init(&cerr);
    rc_check = tmpl_check(t, &cerr);
    FUZZ_CHECK(rc_check == 0 || rc_check == -1);
    if (rc_check < 0) {
        FUZZ_CHECK(cerr.code == MO_E_INPUT);
        FUZZ_CHECK(strncmp(cerr.msg, "template: ", 10) == 0);
    } else {
        FUZZ_CHECK(cerr.code == MO_E_OK);
    }

    mo_err_init(&err);
    rc = tmpl_names(t, on_name, &w, &err);
    FUZZ_CHECK(rc == rc_check);
    if (rc < 0)
        FUZZ_CHECK(strcmp(err.msg, cerr.msg) == 0);
    if (rc == 0 && w.calls > 0) {
        struct walk w2 = {0, w.calls / 2 + 1};
        mo_err_init(&err);
        FUZZ_CHECK(tmpl_names(t, on_name, &w2, &err) == 42);
        FUZZ_CHECK(w2.calls == w2.stop_at && err.code == MO_E_OK);
    }

    rc = render(t, v, TMPL_RAW, 0, &raw, &err);
    FUZZ_CHECK(rc == rc_check);
    if (rc < 0)
        FUZZ_CHECK(strcmp(err.msg, cerr.msg) == 0);
    rc = render(t, v, TMPL_HTML, 0, &html, &err);
    FUZZ_CHECK(rc == rc_check);
    if (rc == 0 && strstr(t, "{{{") == NULL && strstr(t, "{{&") == NULL) {
        FUZZ_CHECK(render(t, ev, TMPL_RAW, 0, &eraw, &err) == 0);
        FUZZ_CHECK(eraw.len == html.len && memcmp(eraw.s, html.s, html.len) == 0);
        buf_release(&eraw);
    }
    if (rc == 0) {
        /* the same render into a buffer of at most 256 bytes: all of it or nothing */
        rc = render(t, v, TMPL_HTML, 256, &small, &err);
        if (html.len <= 256) {
            FUZZ_CHECK(rc == 0);
            FUZZ_CHECK(small.len == html.len && memcmp(small.s, html.s, html.len) == 0);
        } else {
            FUZZ_CHECK(rc == -1 && strcmp(err.msg, "template output too large") == 0);
        }
        buf_release(&small);
    }

    buf_release(&raw);
    buf_release(&html);
    tmpl_vars_free(v);
    tmpl_vars_free(ev);
    fuzz_parts_free(&p);
    return 0;
}
