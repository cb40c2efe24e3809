/*
 * tmpl.h - logic-less templates: a small mustache subset for mail bodies
 * and pages.
 *
 * Tags:
 *   {{name}}            the value; HTML-escaped in TMPL_HTML mode
 *   {{{name}}} {{&name}} the value, never escaped
 *   {{#name}}..{{/name}} for a value: the content once if name is truthy
 *                        (set, not "", not "0", not "false");
 *                        for a list: the content once per item, in order
 *                        (nothing for an empty list)
 *   {{^name}}..{{/name}} the content once if name is not truthy, or is a
 *                        list without items
 *   {{! comment }}       nothing
 * Whitespace may follow the sigil and precede the closing braces
 * ({{ name }}, {{# name }}).  Names are 1-64 of A-Z a-z 0-9 _ . -
 * (attr.vip, unsubscribe_url).  Sections nest up to TMPL_MAX_DEPTH.
 * No partials, delimiter changes or lambdas.
 *
 * Inside a list section a name is looked up in the current item first,
 * then in the items of enclosing list sections, innermost first, then in
 * the map given to tmpl_render(): outer variables stay visible unless an
 * item has a variable of the same name.  {{name}} of a list renders
 * nothing.
 *
 * A section tag ({{#}} {{^}} {{/}}) or comment that is the only thing on its
 * line apart from spaces and tabs removes that whole line, its newline
 * ("\n" or "\r\n") included, so plain-text templates stay tidy.
 *
 * Errors are MO_E_INPUT with a message "template: LINE:COL: what", both
 * 1-based, COL counting UTF-8 characters; e.g.
 *   template: 3:14: unclosed section 'attr.vip'
 * Checking is linear in the template's length; rendering is linear in the
 * template's length times the items of the lists it repeats.  Nothing
 * recurses.
 */
#ifndef MAILOUT_TMPL_H
#define MAILOUT_TMPL_H

#include "buf.h"
#include "err.h"

#define TMPL_MAX_NAME  64 /* longest tag name, in bytes */
#define TMPL_MAX_DEPTH 16 /* deepest section nesting */

/* Opaque name -> value map of the variables a template may use. */
struct tmpl_vars;

/* A new empty map; caller frees with tmpl_vars_free(). */
struct tmpl_vars *tmpl_vars_new(void);
/* Frees the map and every name and value in it; NULL is a no-op. */
void tmpl_vars_free(struct tmpl_vars *v);
/*
 * Copies name and value into the map, replacing an existing value of that
 * name; value NULL removes the name.  name must not be NULL.
 */
void tmpl_vars_set(struct tmpl_vars *v, const char *name, const char *value);
/*
 * The value of name, borrowed until name is next set or v is freed; NULL if
 * name is unset, is a list, or v is NULL.
 */
const char *tmpl_vars_get(const struct tmpl_vars *v, const char *name);
/*
 * Appends a new, empty item to the list called name and returns the item's
 * own map, for the caller to fill with tmpl_vars_set() (or further lists).
 * The item is owned by v: borrowed until name is next set or v is freed;
 * never free it yourself.  A value of that name is replaced by a list with
 * this one item; tmpl_vars_set() of that name later replaces the whole list
 * (NULL removes it).  name must not be NULL.
 */
struct tmpl_vars *tmpl_vars_list_add(struct tmpl_vars *v, const char *name);
/* The number of items in the list called name; 0 if none, a value, or v is NULL. */
size_t tmpl_vars_list_len(const struct tmpl_vars *v, const char *name);

enum tmpl_escape {
    TMPL_RAW = 0, /* nothing is escaped (text/plain parts, headers handled elsewhere) */
    TMPL_HTML,    /* {{name}} is HTML-escaped */
};

/*
 * Renders tmpl with the variables v (NULL: none) and appends the result to
 * out.  In TMPL_HTML mode {{name}} is escaped as tmpl_html_escape() does;
 * {{{name}}} and {{&name}} never are.  Values are inserted verbatim
 * otherwise (CR and LF included: header safety is the caller's business).
 * A missing variable renders as nothing.
 * Returns 0, or -1 with err set to MO_E_INPUT on a syntax error (see the top
 * of this file) or when out's max would be exceeded ("template output too
 * large"); on -1 out is as it was on entry.
 */
int tmpl_render(const char *tmpl, const struct tmpl_vars *v, enum tmpl_escape esc, struct buf *out,
                struct mo_err *err);

/* Checks the syntax only: 0, or -1 with the same errors as tmpl_render(). */
int tmpl_check(const char *tmpl, struct mo_err *err);

/*
 * Calls fn(name, kind, arg) for every tag in template order, comments
 * excepted: kind is '{' for a variable ({{x}}, {{{x}}}, {{&x}}), '#' for a
 * section, '^' for an inverted section and '/' for a close.  name is
 * borrowed for the call only.  The template is checked first, so fn is
 * never called for a template with a syntax error.
 * Returns 0 when every call returned 0; the first non-zero result of fn
 * (err untouched), which stops the walk; or -1 with err on a syntax error.
 * Meant for allow-list checks: which variables a template may use.
 */
int tmpl_names(const char *tmpl, int (*fn)(const char *name, char kind, void *arg), void *arg,
               struct mo_err *err);

/*
 * Appends s with & < > " ' replaced by &amp; &lt; &gt; &quot; &#39;.
 * Returns 0, or -1 if out's max would be exceeded (out then unchanged).
 */
int tmpl_html_escape(const char *s, struct buf *out);

#endif
