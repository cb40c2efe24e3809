/*
 * page.c - pages of page.h: a page template into the layout, error pages.
 *
 * Owns: the "Title:" convention of page templates, the layout, and the
 * last-resort page when a template is missing or broken.  Does not own:
 * which page a request gets or its status (the HTTP routes), HTTP headers
 * (http.c), or template syntax (tmpl.c).
 */
#include "page.h"

#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "log.h"
#include "tmplfile.h"

#define PAGE_TITLE_MAX (4 * 1024)
#define PAGE_BODY_MAX  (512 * 1024)

/* The body when a page template cannot be rendered (escaped values only). */
static const char fallback_body[] = "<h1>{{title}}</h1><p>{{message}}</p>\n";

void page_render(const char *data_dir, const char *lang, const char *name, struct tmpl_vars *v,
                 struct buf *out)
{
    struct mo_err err;
    struct buf title, body;
    char *t = NULL, *layout = NULL, *title_t, *body_t;
    size_t len0 = out->len;

    mo_err_init(&err);
    buf_init(&title, PAGE_TITLE_MAX);
    buf_init(&body, PAGE_BODY_MAX);
    tmpl_vars_set(v, "lang", lang);
    t = tmplfile_load(data_dir, lang, name, 0, &err);
    layout = t ? tmplfile_load(data_dir, lang, "layout.html", 0, &err) : NULL;
    if (layout == NULL || tmplfile_split_header(t, "Title", name, &title_t, &body_t, &err) < 0 ||
        tmpl_render(title_t, v, TMPL_RAW, &title, &err) < 0 ||
        tmpl_render(body_t, v, TMPL_HTML, &body, &err) < 0) {
        mo_log(MO_LOG_ERROR, "page %s: %s", name, err.msg);
        buf_reset(&body);
        buf_reset(&title);
        buf_puts(&title, "Error");
        mo_err_init(&err);
        if (tmpl_render(fallback_body, v, TMPL_HTML, &body, &err) < 0)
            buf_puts(&body, "<p>error</p>");
    }
    tmpl_vars_set(v, "title", title.s);
    tmpl_vars_set(v, "body", body.s);
    mo_err_init(&err);
    if (layout == NULL || tmpl_render(layout, v, TMPL_HTML, out, &err) < 0) {
        /* no layout: the smallest valid page around the body */
        buf_truncate(out, len0);
        if (buf_puts(out, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>") < 0 ||
            tmpl_html_escape(title.s, out) < 0 ||
            buf_printf(out, "</title></head><body>%s</body></html>\n", body.s) < 0) {
            buf_truncate(out, len0);
            buf_puts(out, "<!DOCTYPE html>\n<title>Error</title><p>error</p>\n");
        }
    }
    free(t);
    free(layout);
    buf_release(&title);
    buf_release(&body);
}

void page_render_error(const char *data_dir, const char *lang, unsigned code, const char *title,
                       const char *message, struct buf *out)
{
    struct tmpl_vars *v = tmpl_vars_new();
    char codes[16];
    int n = snprintf(codes, sizeof(codes), "%u", code);

    tmpl_vars_set(v, "code", n > 0 && (size_t)n < sizeof(codes) ? codes : "");
    tmpl_vars_set(v, "title", title);
    tmpl_vars_set(v, "message", message);
    page_render(data_dir, lang, "page_error.html", v, out);
    tmpl_vars_free(v);
}
