/*
 * page.h - the HTML pages of `mailout serve`: a page template rendered into
 * the layout, and the error page.
 *
 * A page template templates/LANG/NAME starts with a "Title: ..." line and a
 * blank line; the rest is its body.  Title and body are rendered with the
 * caller's variables (values HTML-escaped) and placed into
 * templates/LANG/layout.html as {{title}} and {{{body}}}.  Templates are
 * read from data_dir, falling back to English (tmplfile.h).
 */
#ifndef MAILOUT_PAGE_H
#define MAILOUT_PAGE_H

#include "buf.h"
#include "tmpl.h"

#define PAGE_MAX (600 * 1024) /* a whole page */

/*
 * Renders page NAME in lang with the variables v and appends it to out
 * (give out a max of at least PAGE_MAX).  Sets lang, title and body in v;
 * v stays the caller's.  Never fails: a missing or broken template is
 * logged and a plain error page takes its place.
 */
void page_render(const char *data_dir, const char *lang, const char *name, struct tmpl_vars *v,
                 struct buf *out);

/*
 * Renders page_error.html with {{code}}, {{title}} and {{message}} (plain
 * text; escaped like every value) and appends it to out, as page_render().
 */
void page_render_error(const char *data_dir, const char *lang, unsigned code, const char *title,
                       const char *message, struct buf *out);

#endif
