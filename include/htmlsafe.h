/*
 * htmlsafe.h - allow-list checks for mail HTML and text that may carry no
 * links but the few its caller names (the confirmation mail, R-DOI-2).
 *
 * HTML is parsed with libxml2's HTML parser (entities decoded, tag and
 * attribute names lower-cased) and the tree is walked; nothing is matched
 * on the raw bytes.  The rules:
 *   - elements: html head body title meta p br a strong em b i u ul ol li
 *     h1 h2 h3 div span table tbody thead tr td th hr small blockquote;
 *     anything else (style script img iframe form object embed svg math
 *     base link noscript template ...) is refused;
 *   - attributes: lang dir title align on every allowed element but meta;
 *     href on a; width border cellpadding cellspacing on table; colspan
 *     rowspan width valign on td and th; charset="utf-8" on meta, which may
 *     carry nothing else.  Anything else (style, on*, src, srcset, action,
 *     background, cite, xlink:href, http-equiv ...) is refused;
 *   - href on a must be, after entity decoding and as a whole string,
 *     exactly one of the allowed URLs;
 *   - text may show an allowed URL as a word of its own; otherwise text,
 *     comments and attribute values hold no link ("//host", "://", "www.",
 *     "mailto:", "data:", "javascript:", "vbscript:") and no CSS ("url(",
 *     "expression(", "@import"); comments hold no '<' or '>' and text no
 *     '<' that starts markup, so a mail client cannot read markup the
 *     parser did not see;
 *   - whatever libxml2 had to repair or drop (a bad or repeated attribute,
 *     an unclosed tag, a stray control character) is refused, except
 *     unknown tags (refused by name instead), stray or mismatched end tags
 *     and '&' not starting an entity.
 *
 * Thread-safe: libxml2 is initialised once, each call has its own parser.
 */
#ifndef MAILOUT_HTMLSAFE_H
#define MAILOUT_HTMLSAFE_H

#include <stddef.h>

#include "err.h"

#define HTMLSAFE_MAX_LEN (1024 * 1024) /* longest input, in bytes */

/*
 * Checks the len bytes at html (UTF-8, no NUL) against the rules above;
 * allowed_urls (n_allowed entries, may be 0) are the only links allowed.
 * Returns 0, or -1 with err MO_E_INPUT and a one-line message naming what
 * was found and where, without a prefix, e.g.
 *   attribute 'srcset' on <img> is not allowed
 *   link 'https://x.example/' on <a> is not one of the allowed URLs
 *   text contains a link 'www.shop.example'
 */
int htmlsafe_check(const char *html, size_t len, const char *const *allowed_urls, size_t n_allowed,
                   struct mo_err *err);

/*
 * Checks plain text (len bytes of UTF-8, a text/plain part or a subject) for links
 * as the HTML text rule does: none, except an allowed URL standing as a
 * word of its own (trailing . , ; : ! ? allowed).  CSS is not looked for.
 * Returns 0, or -1 with err MO_E_INPUT, e.g.
 *   contains a link 'https://shop.example/sale'
 *   URL 'https://a.example/x' is followed by '.evil.example'
 */
int htmlsafe_text_check(const char *text, size_t len, const char *const *allowed_urls,
                        size_t n_allowed, struct mo_err *err);

#endif
