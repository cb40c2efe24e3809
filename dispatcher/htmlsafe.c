/*
 * htmlsafe.c - allow-list checks for HTML and text that may carry no links
 * but the ones the caller names.  Owns the tag and attribute lists and what
 * counts as a link, CSS or stray markup; parses with libxml2's HTML parser
 * and walks the tree without recursion.  It does not render templates and
 * does not know which URLs are allowed: callers pass them.
 *
 * Why errors refuse: where libxml2 has to repair its input (an attribute
 * name it cannot read, a repeated attribute, an unclosed tag) it drops
 * bytes that a mail client's HTML5 parser may well read as markup, e.g.
 * `<p /style=...>`.  A template the parser reads cleanly leaves no such gap.
 */
#include "htmlsafe.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "utf8.h"

#define EXCERPT_MAX 60 /* bytes of the offending text quoted in a message */

struct tag_rule {
    const char *name;
    const char *const *attrs; /* NULL-terminated */
    int global;               /* the global attributes are allowed too */
};

static const char *const no_attrs[] = {NULL};
static const char *const global_attrs[] = {"lang", "dir", "title", "align", NULL};
static const char *const a_attrs[] = {"href", NULL};
static const char *const table_attrs[] = {"width", "border", "cellpadding", "cellspacing", NULL};
static const char *const cell_attrs[] = {"colspan", "rowspan", "width", "valign", NULL};
static const char *const meta_attrs[] = {"charset", NULL};

static const struct tag_rule tags[] = {
    {"html", no_attrs, 1},     {"head", no_attrs, 1},   {"body", no_attrs, 1},
    {"title", no_attrs, 1},    {"meta", meta_attrs, 0}, {"p", no_attrs, 1},
    {"br", no_attrs, 1},       {"a", a_attrs, 1},       {"strong", no_attrs, 1},
    {"em", no_attrs, 1},       {"b", no_attrs, 1},      {"i", no_attrs, 1},
    {"u", no_attrs, 1},        {"ul", no_attrs, 1},     {"ol", no_attrs, 1},
    {"li", no_attrs, 1},       {"h1", no_attrs, 1},     {"h2", no_attrs, 1},
    {"h3", no_attrs, 1},       {"div", no_attrs, 1},    {"span", no_attrs, 1},
    {"table", table_attrs, 1}, {"tbody", no_attrs, 1},  {"thead", no_attrs, 1},
    {"tr", no_attrs, 1},       {"td", cell_attrs, 1},   {"th", cell_attrs, 1},
    {"hr", no_attrs, 1},       {"small", no_attrs, 1},  {"blockquote", no_attrs, 1},
};

/* Schemes that make a link wherever they start a word. */
static const char *const schemes[] = {"mailto:", "data:", "javascript:", "vbscript:"};
static const char *const css[] = {"url(", "expression(", "@import"};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
    xmlInitParser();
}

/* ---- literal text -------------------------------------------------------- */

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Ends a word in a message excerpt. */
static int is_word_end(unsigned char c)
{
    return is_space(c) || c == '<' || c == '>' || c == '"' || c == '\'';
}

/* May stand right before or after a URL that is a word of its own. */
static int is_url_fence(unsigned char c)
{
    return is_word_end(c) || c == '(' || c == ')' || c == '[' || c == ']';
}

static int starts_ci(const char *s, size_t len, size_t i, const char *word)
{
    size_t n = strlen(word);
    return len - i >= n && strncasecmp(s + i, word, n) == 0;
}

/*
 * Copies up to EXCERPT_MAX bytes of s[from, to) into out (at least
 * EXCERPT_MAX + 4 bytes), cut at a character boundary, control bytes
 * replaced by '?', "..." added when cut.
 */
static void excerpt(const char *s, size_t from, size_t to, char *out)
{
    size_t n = to - from, k;
    int cut = 0;

    if (n > EXCERPT_MAX) {
        n = EXCERPT_MAX;
        while (n > 0 && ((unsigned char)s[from + n] & 0xC0) == 0x80)
            n--;
        cut = 1;
    }
    for (k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[from + k];
        out[k] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (cut) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
}

/* The word around s[i]: from the previous word end to the next one. */
static void word_at(const char *s, size_t len, size_t i, char *out)
{
    size_t from = i, to = i;
    while (from > 0 && !is_word_end((unsigned char)s[from - 1]))
        from--;
    while (to < len && !is_word_end((unsigned char)s[to]))
        to++;
    excerpt(s, from, to, out);
}

/* 1 when a link starts at s[i]. */
static int link_at(const char *s, size_t len, size_t i)
{
    unsigned char prev = i > 0 ? (unsigned char)s[i - 1] : ' ';

    if (starts_ci(s, len, i, "://"))
        return 1;
    if (starts_ci(s, len, i, "//") && i + 2 < len) {
        unsigned char c = (unsigned char)s[i + 2];
        if (is_alnum(c) || c == '[' || c == '%' || c >= 0x80)
            return 1; /* protocol-relative: //host */
    }
    if (is_alnum(prev))
        return 0;
    if (starts_ci(s, len, i, "www."))
        return 1;
    for (size_t k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++)
        if (starts_ci(s, len, i, schemes[k]))
            return 1;
    return 0;
}

/* Length of the longest allowed URL at s[i], 0 if none. */
static size_t allowed_at(const char *s, size_t len, size_t i, const char *const *allowed,
                         size_t n_allowed)
{
    size_t best = 0;
    for (size_t k = 0; k < n_allowed; k++) {
        size_t n = allowed[k] ? strlen(allowed[k]) : 0;
        if (n > best && len - i >= n && memcmp(s + i, allowed[k], n) == 0)
            best = n;
    }
    return best;
}

/*
 * No link in s but allowed URLs standing as words of their own.  where
 * names the place for messages ("text", "comment", "attribute 'x' on <p>");
 * "" leaves it to the caller.
 */
static int check_links(const char *s, size_t len, const char *where, const char *const *allowed,
                       size_t n_allowed, struct mo_err *err)
{
    char word[EXCERPT_MAX + 4];

    for (size_t i = 0; i < len; i++) {
        size_t u = allowed_at(s, len, i, allowed, n_allowed);
        if (u > 0 && (i == 0 || is_url_fence((unsigned char)s[i - 1]))) {
            size_t end = i + u, to = end;
            while (to < len && !is_url_fence((unsigned char)s[to]))
                to++;
            for (size_t k = end; k < to; k++)
                if (strchr(".,;:!?", s[k]) == NULL) {
                    char url[EXCERPT_MAX + 4];
                    excerpt(s, i, end, url);
                    excerpt(s, end, to, word);
                    return mo_err_set(err, MO_E_INPUT, "URL '%s'%s%s is followed by '%s'", url,
                                      *where ? " in " : "", where, word);
                }
            i = end - 1;
            continue;
        }
        if (link_at(s, len, i)) {
            word_at(s, len, i, word);
            return mo_err_set(err, MO_E_INPUT, "%s%scontains a link '%s'", where, *where ? " " : "",
                              word);
        }
    }
    return 0;
}

static int check_css(const char *s, size_t len, const char *where, struct mo_err *err)
{
    for (size_t i = 0; i < len; i++)
        for (size_t k = 0; k < sizeof(css) / sizeof(css[0]); k++)
            if (starts_ci(s, len, i, css[k]))
                return mo_err_set(err, MO_E_INPUT, "%s contains CSS '%s'", where, css[k]);
    return 0;
}

int htmlsafe_text_check(const char *text, size_t len, const char *const *allowed_urls,
                        size_t n_allowed, struct mo_err *err)
{
    if (!utf8_valid(text, len))
        return mo_err_set(err, MO_E_INPUT, "text is not valid UTF-8");
    return check_links(text, len, "", allowed_urls, n_allowed, err);
}

/* ---- the tree --------------------------------------------------------------- */

struct parse_state {
    int failed;
    char msg[200];
};

/*
 * Repairs that cannot hide markup: an unknown tag (the walk refuses it by
 * name), a stray or mismatched end tag, '&' not starting an entity, an
 * entity without ';' (decoded as a browser does), an empty document.
 */
static int harmless(const xmlError *e)
{
    switch (e->code) {
    case XML_HTML_UNKNOWN_TAG:
    case XML_ERR_TAG_NAME_MISMATCH:
    case XML_ERR_ENTITYREF_SEMICOL_MISSING:
    case XML_ERR_DOCUMENT_EMPTY:
        return 1;
    case XML_ERR_NAME_REQUIRED:
        return e->message != NULL && strncmp(e->message, "htmlParseEntityRef: no name", 27) == 0;
    default:
        return 0;
    }
}

/* libxml2's error callback: keeps the first repair that is not harmless. */
static void on_parse_error(void *ctx, const char *msg, ...)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt ? ctxt->_private : NULL;
    const xmlError *e = ctxt ? xmlCtxtGetLastError(ctxt) : NULL;

    (void)msg;
    if (st == NULL || st->failed || (e != NULL && harmless(e)))
        return;
    st->failed = 1;
    const char *m = e && e->message ? e->message : "unknown error";
    size_t n = strcspn(m, "\r\n");
    excerpt(m, 0, n < sizeof(st->msg) - 4 ? n : sizeof(st->msg) - 4, st->msg);
}

static const struct tag_rule *find_tag(const char *name)
{
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        if (strcmp(name, tags[i].name) == 0)
            return &tags[i];
    return NULL;
}

static int in_list(const char *const *list, const char *name)
{
    for (; *list; list++)
        if (strcmp(*list, name) == 0)
            return 1;
    return 0;
}

static int check_attr(const xmlNode *el, const struct tag_rule *rule, const xmlAttr *a,
                      const char *const *allowed, size_t n_allowed, struct mo_err *err)
{
    const char *tag = (const char *)el->name;
    const char *name = (const char *)a->name;
    char where[128];
    int rc = 0;

    if (a->ns != NULL ||
        !(in_list(rule->attrs, name) || (rule->global && in_list(global_attrs, name))))
        return mo_err_set(err, MO_E_INPUT, "attribute '%s%s%.40s' on <%s> is not allowed",
                          a->ns && a->ns->prefix ? (const char *)a->ns->prefix : "",
                          a->ns && a->ns->prefix ? ":" : "", name, tag);

    xmlChar *xv = xmlNodeListGetString(el->doc, a->children, 1);
    const char *v = xv ? (const char *)xv : "";
    if (strcmp(tag, "a") == 0 && strcmp(name, "href") == 0) {
        size_t k;
        for (k = 0; k < n_allowed; k++)
            if (allowed[k] && strcmp(v, allowed[k]) == 0)
                break;
        if (k == n_allowed) {
            char word[EXCERPT_MAX + 4];
            excerpt(v, 0, strlen(v), word);
            rc = mo_err_set(err, MO_E_INPUT, "link '%s' on <a> is not one of the allowed URLs",
                            word);
        }
    } else if (strcmp(tag, "meta") == 0) {
        if (strcasecmp(v, "utf-8") != 0)
            rc = mo_err_set(err, MO_E_INPUT, "<meta> may only declare charset=\"utf-8\"");
    } else {
        if (snprintf(where, sizeof(where), "attribute '%s' on <%s>", name, tag) >=
            (int)sizeof(where))
            snprintf(where, sizeof(where), "an attribute on <%s>", tag);
        if (check_links(v, strlen(v), where, NULL, 0, err) < 0 ||
            check_css(v, strlen(v), where, err) < 0)
            rc = -1;
    }
    xmlFree(xv);
    return rc;
}

static int check_element(const xmlNode *el, const char *const *allowed, size_t n_allowed,
                         struct mo_err *err)
{
    const char *tag = (const char *)el->name;
    const struct tag_rule *rule = el->ns == NULL ? find_tag(tag) : NULL;

    if (rule == NULL)
        return mo_err_set(err, MO_E_INPUT, "element <%.40s> is not allowed", tag);
    for (const xmlAttr *a = el->properties; a; a = a->next)
        if (check_attr(el, rule, a, allowed, n_allowed, err) < 0)
            return -1;
    if (strcmp(tag, "meta") == 0 && el->properties == NULL)
        return mo_err_set(err, MO_E_INPUT, "<meta> may only declare charset=\"utf-8\"");
    return 0;
}

static int check_text(const char *s, const char *const *allowed, size_t n_allowed,
                      struct mo_err *err)
{
    size_t len = strlen(s);
    char word[EXCERPT_MAX + 4];

    if (check_links(s, len, "text", allowed, n_allowed, err) < 0 ||
        check_css(s, len, "text", err) < 0)
        return -1;
    for (size_t i = 0; i + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i + 1];
        if (s[i] == '<' && (is_alpha(c) || c == '/' || c == '!' || c == '?')) {
            word_at(s, len, i + 1, word);
            return mo_err_set(err, MO_E_INPUT, "text contains markup '<%s'", word);
        }
    }
    return 0;
}

static int check_comment(const char *s, struct mo_err *err)
{
    size_t len = strlen(s), k = strcspn(s, "<>");
    char word[EXCERPT_MAX + 4];

    if (k < len) {
        excerpt(s, k, len, word);
        return mo_err_set(err, MO_E_INPUT, "comment contains markup '%s'", word);
    }
    if (check_links(s, len, "comment", NULL, 0, err) < 0 || check_css(s, len, "comment", err) < 0)
        return -1;
    return 0;
}

static int check_node(const xmlNode *node, const char *const *allowed, size_t n_allowed,
                      struct mo_err *err)
{
    switch (node->type) {
    case XML_ELEMENT_NODE:
        return check_element(node, allowed, n_allowed, err);
    case XML_TEXT_NODE:
        return node->content ? check_text((const char *)node->content, allowed, n_allowed, err) : 0;
    case XML_COMMENT_NODE:
        return node->content ? check_comment((const char *)node->content, err) : 0;
    case XML_DTD_NODE: {
        const xmlDtd *dtd = (const xmlDtd *)node;
        const char *ids[2] = {(const char *)dtd->ExternalID, (const char *)dtd->SystemID};
        for (int k = 0; k < 2; k++)
            if (ids[k] && strpbrk(ids[k], "<>\"'"))
                return mo_err_set(err, MO_E_INPUT, "<!DOCTYPE> contains markup");
        return 0;
    }
    default:
        return mo_err_set(err, MO_E_INPUT, "unexpected node (libxml2 type %d)", (int)node->type);
    }
}

static int walk(const xmlDoc *doc, const char *const *allowed, size_t n_allowed, struct mo_err *err)
{
    const xmlNode *node = doc->children;

    while (node != NULL) {
        if (check_node(node, allowed, n_allowed, err) < 0)
            return -1;
        if (node->type == XML_ELEMENT_NODE && node->children != NULL) {
            node = node->children;
            continue;
        }
        while (node != NULL && node->next == NULL)
            node = node->parent == (const xmlNode *)doc ? NULL : node->parent;
        if (node != NULL)
            node = node->next;
    }
    return 0;
}

int htmlsafe_check(const char *html, size_t len, const char *const *allowed_urls, size_t n_allowed,
                   struct mo_err *err)
{
    htmlParserCtxtPtr ctxt = NULL;
    htmlDocPtr doc = NULL;
    struct parse_state st = {0, ""};
    int rc = -1;

    if (len == 0)
        return 0;
    if (len > HTMLSAFE_MAX_LEN)
        return mo_err_set(err, MO_E_INPUT, "HTML of %zu bytes is too large (at most %d)", len,
                          HTMLSAFE_MAX_LEN);
    if (memchr(html, '\0', len) != NULL)
        return mo_err_set(err, MO_E_INPUT, "HTML contains a NUL byte");
    if (!utf8_valid(html, len))
        return mo_err_set(err, MO_E_INPUT, "HTML is not valid UTF-8");

    pthread_once(&xml_once, xml_init);
    ctxt = htmlNewParserCtxt();
    if (ctxt == NULL)
        return mo_err_set(err, MO_E_INTERNAL, "cannot create an HTML parser");
    /*
     * Our own handlers instead of HTML_PARSE_NOERROR/NOWARNING (which would
     * remove them): errors are collected, never printed.
     */
    ctxt->sax->error = on_parse_error;
    ctxt->sax->warning = on_parse_error;
    ctxt->sax->fatalError = on_parse_error;
    ctxt->_private = &st;
    doc = htmlCtxtReadMemory(ctxt, html, (int)len, NULL, "UTF-8",
                             HTML_PARSE_NONET | HTML_PARSE_NOBLANKS | HTML_PARSE_NODEFDTD);
    if (st.failed) {
        mo_err_set(err, MO_E_INPUT, "malformed HTML: %s", st.msg);
        goto out;
    }
    if (doc == NULL) {
        mo_err_set(err, MO_E_INPUT, "malformed HTML");
        goto out;
    }
    rc = walk(doc, allowed_urls, n_allowed, err);
out:
    xmlFreeDoc(doc);
    htmlFreeParserCtxt(ctxt);
    return rc;
}
