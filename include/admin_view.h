/*
 * admin_view.h - the HTML pieces of the read-only admin view (issue 12):
 * escaped text, a JSON document as tables, and a bar chart as inline SVG.
 *
 * Every value from outside (names, addresses, JSON strings and keys, chart
 * labels) is HTML-escaped; nothing here writes a script, a style attribute
 * or an event handler, so the pages keep working under a CSP without
 * 'unsafe-inline'.  Output is appended to a buf; when its max is reached
 * the rest is left off (the page is cut, never overflowed).
 */
#ifndef MAILOUT_ADMIN_VIEW_H
#define MAILOUT_ADMIN_VIEW_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"

#define ADMIN_SERIES        3    /* sent, failed, unsubscribed */
#define ADMIN_LABEL_MAX     24   /* a bucket's label, with its NUL */
#define ADMIN_POINTS_MAX    1000 /* buckets a chart shows at most */
#define ADMIN_JSON_ROWS_MAX 500  /* rows of one table */

/* The series' names, as data-series attributes and in the legend. */
extern const char *const admin_series_name[ADMIN_SERIES];

/* One time bucket of the chart. */
struct admin_point {
    char label[ADMIN_LABEL_MAX]; /* e.g. 2026-12-01 14:00 */
    long long v[ADMIN_SERIES];
};

/* Appends s HTML-escaped (& < > " '). */
void admin_esc(struct buf *out, const char *s);

/*
 * Appends an <svg> bar chart of n points (n may be 0: an empty chart that
 * says so): one bar per series and bucket, in <g class="series"
 * data-series="NAME">, a y axis with tick labels, x labels for some
 * buckets, axis titles (unit: "hour", "day" or "week") and a legend.
 */
void admin_svg_chart(const struct admin_point *p, size_t n, const char *unit, struct buf *out);

/*
 * Appends a JSON value as HTML: an object's scalar members as one table of
 * field and value, each member that is an array as a table of its own
 * under an <h3> of its name (the keys of its objects as column headers),
 * each member that is an object as a field/value table; nested values
 * inside cells as compact JSON text.  Everything escaped.
 */
void admin_json_html(const json_t *v, struct buf *out);

#endif
