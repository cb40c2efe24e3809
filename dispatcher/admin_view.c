/*
 * admin_view.c - the HTML pieces of the admin view: escaping, a JSON
 * document as tables, and the server-rendered SVG chart.
 *
 * Owns: the chart's geometry, colours, axes and legend, and how JSON of
 * any shape becomes tables.  Does not own: which data is shown (the
 * handlers in http_admin.c) or the page around it.  No recursion: nested
 * JSON below the first level is printed as compact JSON text.
 */
#include "admin_view.h"

#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

const char *const admin_series_name[ADMIN_SERIES] = {"sent", "failed", "unsubscribed"};
static const char *const series_title[ADMIN_SERIES] = {"Sent", "Failed or bounced", "Unsubscribed"};
static const char *const series_colour[ADMIN_SERIES] = {"#2b6cb0", "#c53030", "#b7791f"};

void admin_esc(struct buf *out, const char *s)
{
    (void)tmpl_html_escape(s ? s : "", out);
}

/* --- the chart ------------------------------------------------------------- */

#define SVG_W    760
#define SVG_H    330
#define PLOT_X0  60.0
#define PLOT_X1  740.0
#define PLOT_Y0  20.0
#define PLOT_Y1  240.0
#define X_LABELS 6
#define Y_TICKS  4

void admin_svg_chart(const struct admin_point *p, size_t n, const char *unit, struct buf *out)
{
    long long max = 0, step, top;
    double slot, bar;
    size_t every;

    if (n > ADMIN_POINTS_MAX)
        n = ADMIN_POINTS_MAX;
    for (size_t i = 0; i < n; i++)
        for (int s = 0; s < ADMIN_SERIES; s++)
            if (p[i].v[s] > max)
                max = p[i].v[s];
    step = max <= Y_TICKS ? 1 : (max + Y_TICKS - 1) / Y_TICKS;
    top = step * Y_TICKS;
    buf_printf(out,
               "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"chart\" role=\"img\" "
               "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
               "font-size=\"11\">\n<title>Sent, failed and unsubscribed per ",
               SVG_W, SVG_H, SVG_W, SVG_H);
    admin_esc(out, unit);
    buf_puts(out, "</title>\n");
    /* y axis: ticks, grid lines and labels */
    for (int t = 0; t <= Y_TICKS; t++) {
        double y = PLOT_Y1 - (PLOT_Y1 - PLOT_Y0) * t / Y_TICKS;
        buf_printf(out,
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text class=\"ytick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%lld</text>\n",
                   PLOT_X0, y, PLOT_X1, y, PLOT_X0 - 6, y + 4, step * t);
    }
    buf_printf(out,
               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>"
               "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333\"/>\n",
               PLOT_X0, PLOT_Y0, PLOT_X0, PLOT_Y1, PLOT_X0, PLOT_Y1, PLOT_X1, PLOT_Y1);
    buf_printf(out,
               "<text class=\"axis-title\" transform=\"translate(14 %.1f) rotate(-90)\" "
               "text-anchor=\"middle\">messages per ",
               (PLOT_Y0 + PLOT_Y1) / 2);
    admin_esc(out, unit);
    buf_puts(out, "</text>\n");
    buf_printf(out,
               "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
               "time (UTC), one bar group per ",
               (PLOT_X0 + PLOT_X1) / 2, PLOT_Y1 + 40);
    admin_esc(out, unit);
    buf_puts(out, "</text>\n");
    if (n == 0)
        buf_printf(out,
                   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">nothing sent yet</text>\n",
                   (PLOT_X0 + PLOT_X1) / 2, (PLOT_Y0 + PLOT_Y1) / 2);
    slot = n ? (PLOT_X1 - PLOT_X0) / (double)n : 0;
    bar = slot * 0.8 / ADMIN_SERIES;
    /* the bars, one group per series */
    for (int s = 0; s < ADMIN_SERIES; s++) {
        buf_printf(out, "<g class=\"series\" data-series=\"%s\" fill=\"%s\">\n",
                   admin_series_name[s], series_colour[s]);
        for (size_t i = 0; i < n; i++) {
            double h = (PLOT_Y1 - PLOT_Y0) * (double)p[i].v[s] / (double)top;
            double x = PLOT_X0 + slot * (double)i + slot * 0.1 + bar * s;
            if (p[i].v[s] <= 0)
                continue;
            buf_printf(out, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"><title>", x,
                       PLOT_Y1 - h, bar, h);
            admin_esc(out, p[i].label);
            buf_printf(out, ": %lld %s</title></rect>\n", p[i].v[s], admin_series_name[s]);
        }
        buf_puts(out, "</g>\n");
    }
    /* x labels: at most X_LABELS, evenly spread */
    every = n <= X_LABELS ? 1 : (n + X_LABELS - 1) / X_LABELS;
    for (size_t i = 0; i < n; i += every) {
        buf_printf(out, "<text class=\"xtick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                   PLOT_X0 + slot * ((double)i + 0.5), PLOT_Y1 + 16);
        admin_esc(out, p[i].label);
        buf_puts(out, "</text>\n");
    }
    /* the legend */
    buf_puts(out, "<g class=\"legend\">\n");
    for (int s = 0; s < ADMIN_SERIES; s++) {
        double x = PLOT_X0 + 200.0 * s;
        buf_printf(out,
                   "<rect x=\"%.1f\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
                   "<text x=\"%.1f\" y=\"%d\">%s</text>\n",
                   x, SVG_H - 24, series_colour[s], x + 18, SVG_H - 14, series_title[s]);
    }
    buf_puts(out, "</g>\n</svg>\n");
}

/* --- JSON as tables ------------------------------------------------------------ */

/* A scalar as text, anything else as compact JSON; escaped. */
static void cell(struct buf *out, const json_t *v)
{
    char num[64];
    char *s;

    switch (json_typeof(v)) {
    case JSON_STRING:
        admin_esc(out, json_string_value(v));
        return;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        admin_esc(out, num);
        return;
    case JSON_REAL:
        snprintf(num, sizeof(num), "%g", json_real_value(v));
        admin_esc(out, num);
        return;
    case JSON_TRUE:
        buf_puts(out, "true");
        return;
    case JSON_FALSE:
        buf_puts(out, "false");
        return;
    case JSON_NULL:
        buf_puts(out, "<span class=\"null\">&ndash;</span>");
        return;
    default:
        s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
        if (s) {
            admin_esc(out, s);
            free(s);
        }
    }
}

/* An object's members as field/value rows. */
static void object_table(struct buf *out, const json_t *o, int scalars_only)
{
    const char *k;
    json_t *v;
    int any = 0;

    json_object_foreach((json_t *)o, k, v)
    {
        if (scalars_only && (json_is_array(v) || json_is_object(v)))
            continue;
        if (!any)
            buf_puts(out, "<table class=\"fields\">\n");
        any = 1;
        buf_puts(out, "<tr><th scope=\"row\">");
        admin_esc(out, k);
        buf_puts(out, "</th><td>");
        cell(out, v);
        buf_puts(out, "</td></tr>\n");
    }
    if (any)
        buf_puts(out, "</table>\n");
}

/* An array: of objects, as a table with their keys as columns; else one value per row. */
static void array_table(struct buf *out, const json_t *a)
{
    json_t *cols = json_array(), *item;
    size_t i, n = json_array_size(a);

    if (n == 0) {
        buf_puts(out, "<p class=\"empty\">none</p>\n");
        json_decref(cols);
        return;
    }
    /* the columns: every key, in order of first appearance */
    json_array_foreach(a, i, item)
    {
        const char *k;
        json_t *v;
        if (i >= ADMIN_JSON_ROWS_MAX || !json_is_object(item))
            continue;
        json_object_foreach(item, k, v)
        {
            size_t j;
            json_t *c;
            int seen = 0;
            json_array_foreach(cols, j, c) seen |= strcmp(json_string_value(c), k) == 0;
            if (!seen)
                json_array_append_new(cols, json_string(k));
        }
    }
    buf_puts(out, "<table class=\"list\">\n<tr>");
    if (json_array_size(cols) == 0) {
        buf_puts(out, "<th>value</th>");
    } else {
        size_t j;
        json_t *c;
        json_array_foreach(cols, j, c)
        {
            buf_puts(out, "<th scope=\"col\">");
            admin_esc(out, json_string_value(c));
            buf_puts(out, "</th>");
        }
    }
    buf_puts(out, "</tr>\n");
    json_array_foreach(a, i, item)
    {
        if (i >= ADMIN_JSON_ROWS_MAX)
            break;
        buf_puts(out, "<tr>");
        if (json_array_size(cols) == 0 || !json_is_object(item)) {
            buf_puts(out, "<td>");
            cell(out, item);
            buf_puts(out, "</td>");
        } else {
            size_t j;
            json_t *c;
            json_array_foreach(cols, j, c)
            {
                json_t *v = json_object_get(item, json_string_value(c));
                buf_puts(out, "<td>");
                if (v)
                    cell(out, v);
                buf_puts(out, "</td>");
            }
        }
        buf_puts(out, "</tr>\n");
    }
    buf_puts(out, "</table>\n");
    if (n > ADMIN_JSON_ROWS_MAX)
        buf_printf(out, "<p class=\"note\">%zu more rows not shown.</p>\n",
                   n - ADMIN_JSON_ROWS_MAX);
    json_decref(cols);
}

void admin_json_html(const json_t *v, struct buf *out)
{
    const char *k;
    json_t *m;

    if (json_is_array(v)) {
        array_table(out, v);
        return;
    }
    if (!json_is_object(v)) {
        buf_puts(out, "<p>");
        cell(out, v);
        buf_puts(out, "</p>\n");
        return;
    }
    object_table(out, v, 1);
    json_object_foreach((json_t *)v, k, m)
    {
        if (!json_is_array(m) && !json_is_object(m))
            continue;
        buf_puts(out, "<h3>");
        admin_esc(out, k);
        buf_puts(out, "</h3>\n");
        if (json_is_array(m))
            array_table(out, m);
        else
            object_table(out, m, 0);
    }
}
