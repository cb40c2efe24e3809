/*
 * tmpl.c - the logic-less template language of tmpl.h: the variable map,
 * one linear scanner shared by render, check and the name walk, and HTML
 * escaping.
 *
 * Owns: template syntax and its error messages with line:column, section
 * truthiness, repeating list sections and the lookup of names through the
 * items of enclosing lists, standalone-line removal, escaping values into
 * HTML, keeping the output within the caller's struct buf maximum.
 * Does not own: which variables exist or which a kind of template may use
 * (callers decide, using tmpl_names()), loading templates from files or the
 * database, the size limit of the template text itself, header encoding and
 * CR/LF safety (mime.c), or building URLs.  Nothing here recurses: sections
 * are a fixed stack of TMPL_MAX_DEPTH frames; a check is one linear pass, and
 * rendering scans a list section's content once per item.
 */
#include "tmpl.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* ---- variables ---------------------------------------------------------- */

/* One name: a value, or (value NULL) a list of nitems item maps. */
struct tmpl_var {
    struct tmpl_var *next;
    char *name;
    char *value;
    struct tmpl_vars **items;
    size_t nitems;
    size_t cap;
};

/* Chained hash table; nbucket is a power of two and count <= nbucket. */
struct tmpl_vars {
    struct tmpl_var **bucket;
    size_t nbucket;
    size_t count;
};

#define TMPL_VARS_BUCKETS 16

static size_t tmpl_hash(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037); /* FNV-1a */

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(1099511628211);
    }
    return (size_t)h;
}

struct tmpl_vars *tmpl_vars_new(void)
{
    struct tmpl_vars *v = xcalloc(1, sizeof(*v));

    v->nbucket = TMPL_VARS_BUCKETS;
    v->bucket = xcalloc(v->nbucket, sizeof(*v->bucket));
    return v;
}

/* Frees a list's items, leaving e an empty list. */
static void tmpl_var_clear_items(struct tmpl_var *e)
{
    for (size_t i = 0; i < e->nitems; i++)
        tmpl_vars_free(e->items[i]);
    free(e->items);
    e->items = NULL;
    e->nitems = 0;
    e->cap = 0;
}

static void tmpl_var_free(struct tmpl_var *e)
{
    tmpl_var_clear_items(e);
    free(e->name);
    free(e->value);
    free(e);
}

void tmpl_vars_free(struct tmpl_vars *v)
{
    if (v == NULL)
        return;
    for (size_t i = 0; i < v->nbucket; i++) {
        struct tmpl_var *e = v->bucket[i];
        while (e) {
            struct tmpl_var *next = e->next;
            tmpl_var_free(e);
            e = next;
        }
    }
    free(v->bucket);
    free(v);
}

static void tmpl_vars_grow(struct tmpl_vars *v)
{
    size_t n = v->nbucket * 2;
    struct tmpl_var **b = xcalloc(n, sizeof(*b));

    for (size_t i = 0; i < v->nbucket; i++) {
        struct tmpl_var *e = v->bucket[i];
        while (e) {
            struct tmpl_var *next = e->next;
            size_t h = tmpl_hash(e->name) & (n - 1);
            e->next = b[h];
            b[h] = e;
            e = next;
        }
    }
    free(v->bucket);
    v->bucket = b;
    v->nbucket = n;
}

/* Adds a new entry for name (not yet in v) with no value and no items. */
static struct tmpl_var *tmpl_vars_insert(struct tmpl_vars *v, const char *name)
{
    struct tmpl_var **link;
    struct tmpl_var *e;

    if (v->count >= v->nbucket)
        tmpl_vars_grow(v);
    e = xcalloc(1, sizeof(*e));
    e->name = xstrdup(name);
    link = &v->bucket[tmpl_hash(name) & (v->nbucket - 1)];
    e->next = *link;
    *link = e;
    v->count++;
    return e;
}

void tmpl_vars_set(struct tmpl_vars *v, const char *name, const char *value)
{
    struct tmpl_var **link = &v->bucket[tmpl_hash(name) & (v->nbucket - 1)];
    struct tmpl_var *e;

    for (; *link; link = &(*link)->next) {
        if (strcmp((*link)->name, name) != 0)
            continue;
        e = *link;
        if (value == NULL) {
            *link = e->next;
            tmpl_var_free(e);
            v->count--;
        } else {
            char *copy = xstrdup(value); /* value may alias e->value or an item's value */
            tmpl_var_clear_items(e);
            free(e->value);
            e->value = copy;
        }
        return;
    }
    if (value == NULL)
        return;
    tmpl_vars_insert(v, name)->value = xstrdup(value);
}

/* The entry of name, or NULL (also for v NULL). */
static struct tmpl_var *tmpl_vars_find(const struct tmpl_vars *v, const char *name)
{
    if (v == NULL)
        return NULL;
    for (struct tmpl_var *e = v->bucket[tmpl_hash(name) & (v->nbucket - 1)]; e; e = e->next)
        if (strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

const char *tmpl_vars_get(const struct tmpl_vars *v, const char *name)
{
    const struct tmpl_var *e = tmpl_vars_find(v, name);

    return e ? e->value : NULL;
}

struct tmpl_vars *tmpl_vars_list_add(struct tmpl_vars *v, const char *name)
{
    struct tmpl_var *e = tmpl_vars_find(v, name);

    if (e == NULL)
        e = tmpl_vars_insert(v, name);
    free(e->value); /* a value of this name becomes a list */
    e->value = NULL;
    if (e->nitems == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4;
        e->items = xrealloc(e->items, e->cap * sizeof(*e->items));
    }
    e->items[e->nitems] = tmpl_vars_new();
    return e->items[e->nitems++];
}

size_t tmpl_vars_list_len(const struct tmpl_vars *v, const char *name)
{
    const struct tmpl_var *e = tmpl_vars_find(v, name);

    return e && e->value == NULL ? e->nitems : 0;
}

/* ---- escaping ----------------------------------------------------------- */

int tmpl_html_escape(const char *s, struct buf *out)
{
    size_t len0 = out->len;
    const char *run = s;

    for (; *s; s++) {
        const char *rep;
        switch (*s) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            continue;
        }
        if (buf_add(out, run, (size_t)(s - run)) < 0 || buf_puts(out, rep) < 0)
            goto fail;
        run = s + 1;
    }
    if (buf_add(out, run, (size_t)(s - run)) < 0)
        goto fail;
    return 0;
fail:
    buf_truncate(out, len0);
    return -1;
}

/* ---- scanner ------------------------------------------------------------ */

enum tmpl_kind {
    TK_END = 0,  /* no further tag: the text runs to the end */
    TK_VAR,      /* {{x}} */
    TK_RAW,      /* {{{x}}} {{&x}} */
    TK_SECTION,  /* {{#x}} */
    TK_INVERTED, /* {{^x}} */
    TK_CLOSE,    /* {{/x}} */
    TK_COMMENT,  /* {{!x}} */
};

struct tmpl_scan {
    const char *src;
    size_t pos; /* where the next literal text starts */
};

/* One step: the literal text up to the next tag, then that tag. */
struct tmpl_tok {
    const char *text;
    size_t text_len;
    enum tmpl_kind kind;
    size_t at;                    /* offset of the tag's "{{" */
    char name[TMPL_MAX_NAME + 1]; /* empty for TK_END and TK_COMMENT */
};

static int tmpl_syntax(const char *src, size_t at, struct mo_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Sets a syntax error at byte offset at, as "template: LINE:COL: ..."; returns -1. */
static int tmpl_syntax(const char *src, size_t at, struct mo_err *err, const char *fmt, ...)
{
    char what[256];
    size_t line = 1, col = 1;
    va_list ap;

    for (size_t i = 0; i < at; i++) {
        unsigned char c = (unsigned char)src[i];
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xc0) != 0x80) { /* UTF-8 continuation bytes do not count */
            col++;
        }
    }
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return mo_err_set(err, MO_E_INPUT, "template: %zu:%zu: %s", line, col, what);
}

static int tmpl_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int tmpl_is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* The error for a character that may not appear in a tag, quoted when printable. */
static int tmpl_bad_char(const char *src, size_t at, struct mo_err *err)
{
    const unsigned char *u = (const unsigned char *)src + at;
    int n = 0;

    if (u[0] > 0x20 && u[0] < 0x7f)
        n = 1;
    else if (u[0] >= 0xc2 && u[0] <= 0xdf)
        n = 2;
    else if (u[0] >= 0xe0 && u[0] <= 0xef)
        n = 3;
    else if (u[0] >= 0xf0 && u[0] <= 0xf4)
        n = 4;
    for (int i = 1; i < n; i++) { /* stops at the NUL too */
        if ((u[i] & 0xc0) != 0x80) {
            n = 0;
            break;
        }
    }
    if (n > 0)
        return tmpl_syntax(src, at, err, "invalid character '%.*s' in tag", n, src + at);
    return tmpl_syntax(src, at, err, "invalid byte 0x%02x in tag", u[0]);
}

/*
 * The first run of n c's in s, or NULL.  Not strstr(): sanitizer builds
 * measure the whole haystack on every strstr() call, which makes a scan
 * over many tags quadratic.
 */
static const char *tmpl_find(const char *s, char c, size_t n)
{
    size_t run = 0;

    for (; *s; s++) {
        if (*s != c)
            run = 0;
        else if (++run == n)
            return s - (n - 1);
    }
    return NULL;
}

/*
 * Reads the text up to the next tag and that tag into t and moves past
 * both; t->kind is TK_END when no tag is left.  A section, inverted, close
 * or comment tag alone on its line takes the whole line with it.
 * Returns 0, or -1 with err on a syntax error in the tag.
 */
static int tmpl_next(struct tmpl_scan *sc, struct tmpl_tok *t, struct mo_err *err)
{
    const char *src = sc->src;
    const char *open = tmpl_find(src + sc->pos, '{', 2);
    const char *close;
    size_t p, cs, ce, end, i, ns, nlen;
    int triple = 0;

    t->text = src + sc->pos;
    t->name[0] = '\0';
    if (open == NULL) {
        t->text_len = strlen(t->text);
        t->kind = TK_END;
        sc->pos += t->text_len;
        return 0;
    }
    p = (size_t)(open - src);
    t->text_len = p - sc->pos;
    t->at = p;
    cs = p + 3; /* content start, after the sigil */
    switch (src[p + 2]) {
    case '{':
        t->kind = TK_RAW;
        triple = 1;
        break;
    case '&':
        t->kind = TK_RAW;
        break;
    case '#':
        t->kind = TK_SECTION;
        break;
    case '^':
        t->kind = TK_INVERTED;
        break;
    case '/':
        t->kind = TK_CLOSE;
        break;
    case '!':
        t->kind = TK_COMMENT;
        break;
    case '>':
        return tmpl_syntax(src, p, err, "partials are not supported");
    case '=':
        return tmpl_syntax(src, p, err, "delimiter changes are not supported");
    default: /* includes the NUL: then no close is found below */
        t->kind = TK_VAR;
        cs = p + 2;
        break;
    }
    close = tmpl_find(src + cs, '}', triple ? 3 : 2);
    if (close == NULL)
        return tmpl_syntax(src, p, err, "unterminated tag");
    ce = (size_t)(close - src);
    end = ce + (triple ? 3 : 2);

    if (t->kind != TK_COMMENT) {
        for (i = cs; i < ce && tmpl_is_space(src[i]); i++)
            ;
        for (ns = i; i < ce && tmpl_is_name_char(src[i]); i++)
            ;
        nlen = i - ns;
        while (i < ce && tmpl_is_space(src[i]))
            i++;
        if (nlen > TMPL_MAX_NAME)
            return tmpl_syntax(src, ns, err, "tag name longer than %d characters", TMPL_MAX_NAME);
        if (i < ce)
            return tmpl_bad_char(src, i, err);
        if (nlen == 0)
            return tmpl_syntax(src, p, err, "empty tag name");
        memcpy(t->name, src + ns, nlen);
        t->name[nlen] = '\0';
    }

    if (t->kind != TK_VAR && t->kind != TK_RAW) {
        /*
         * Standalone: only spaces and tabs between the line start and the
         * tag and between the tag and the line end.  The look-back cannot
         * pass sc->pos: the byte before it is a tag's '}' or a newline.
         */
        size_t ls = p, e = end;
        int alone = 0;

        while (ls > sc->pos && (src[ls - 1] == ' ' || src[ls - 1] == '\t'))
            ls--;
        if (ls == 0 || src[ls - 1] == '\n') {
            while (src[e] == ' ' || src[e] == '\t')
                e++;
            if (src[e] == '\n') {
                e++;
                alone = 1;
            } else if (src[e] == '\r' && src[e + 1] == '\n') {
                e += 2;
                alone = 1;
            } else if (src[e] == '\0') {
                alone = 1;
            }
        }
        if (alone) {
            t->text_len = ls - sc->pos;
            end = e;
        }
    }
    sc->pos = end;
    return 0;
}

/* ---- the walk ----------------------------------------------------------- */

struct tmpl_frame {
    char name[TMPL_MAX_NAME + 1];
    size_t at;  /* the opening tag, for "unclosed section" */
    int was_on; /* whether output was on outside this section */
    /* a list section being repeated: its entry, the item shown, where its content starts */
    const struct tmpl_var *list;
    size_t item;
    size_t body;
};

/* What one pass does besides checking: render into out, or report names to fn. */
struct tmpl_job {
    const struct tmpl_vars *vars;
    enum tmpl_escape esc;
    struct buf *out; /* NULL: no output */
    int (*fn)(const char *name, char kind, void *arg);
    void *arg;
};

static int tmpl_truthy(const char *value)
{
    return value != NULL && value[0] != '\0' && strcmp(value, "0") != 0 &&
           strcmp(value, "false") != 0;
}

/*
 * The entry for name: in the items being repeated by the open list
 * sections, innermost first, then in the job's map; NULL if none.
 */
static const struct tmpl_var *
tmpl_lookup(const struct tmpl_job *job, const struct tmpl_frame *stack, int depth, const char *name)
{
    const struct tmpl_var *e;

    for (int i = depth - 1; i >= 0; i--) {
        if (stack[i].list == NULL)
            continue;
        e = tmpl_vars_find(stack[i].list->items[stack[i].item], name);
        if (e)
            return e;
    }
    return tmpl_vars_find(job->vars, name);
}

static int tmpl_too_large(struct mo_err *err)
{
    return mo_err_set(err, MO_E_INPUT, "template output too large");
}

static char tmpl_kind_char(enum tmpl_kind kind)
{
    switch (kind) {
    case TK_SECTION:
        return '#';
    case TK_INVERTED:
        return '^';
    case TK_CLOSE:
        return '/';
    case TK_VAR:
    case TK_RAW:
    case TK_END:
    case TK_COMMENT:
        break;
    }
    return '{';
}

/* One pass over tmpl: 0, fn's non-zero result, or -1 with err. */
static int tmpl_walk(const char *tmpl, const struct tmpl_job *job, struct mo_err *err)
{
    struct tmpl_scan sc = {tmpl, 0};
    struct tmpl_frame stack[TMPL_MAX_DEPTH];
    struct tmpl_frame *f;
    struct tmpl_tok t;
    const struct tmpl_var *e;
    int depth = 0, on = 1, rc;

    for (;;) {
        if (tmpl_next(&sc, &t, err) < 0)
            return -1;
        if (on && job->out && buf_add(job->out, t.text, t.text_len) < 0)
            return tmpl_too_large(err);
        if (t.kind == TK_END)
            break;
        if (job->fn && t.kind != TK_COMMENT) {
            rc = job->fn(t.name, tmpl_kind_char(t.kind), job->arg);
            if (rc != 0)
                return rc;
        }
        switch (t.kind) {
        case TK_VAR:
        case TK_RAW:
            if (!on || job->out == NULL)
                break;
            e = tmpl_lookup(job, stack, depth, t.name);
            if (e == NULL || e->value == NULL)
                break;
            if (t.kind == TK_VAR && job->esc == TMPL_HTML)
                rc = tmpl_html_escape(e->value, job->out);
            else
                rc = buf_puts(job->out, e->value);
            if (rc < 0)
                return tmpl_too_large(err);
            break;
        case TK_SECTION:
        case TK_INVERTED:
            if (depth == TMPL_MAX_DEPTH)
                return tmpl_syntax(tmpl, t.at, err, "sections nested deeper than %d",
                                   TMPL_MAX_DEPTH);
            e = on ? tmpl_lookup(job, stack, depth, t.name) : NULL;
            f = &stack[depth++];
            memcpy(f->name, t.name, sizeof(f->name));
            f->at = t.at;
            f->was_on = on;
            f->list = NULL;
            if (on) {
                int truthy = e && (e->value ? tmpl_truthy(e->value) : e->nitems > 0);
                on = t.kind == TK_SECTION ? truthy : !truthy;
                if (on && t.kind == TK_SECTION && e->value == NULL) {
                    f->list = e; /* repeated at its close tag */
                    f->item = 0;
                    f->body = sc.pos;
                }
            }
            break;
        case TK_CLOSE:
            if (depth == 0)
                return tmpl_syntax(tmpl, t.at, err, "closing tag '%s' without open section",
                                   t.name);
            f = &stack[depth - 1];
            if (strcmp(f->name, t.name) != 0)
                return tmpl_syntax(tmpl, t.at, err,
                                   "closing tag '%s' does not match open section '%s'", t.name,
                                   f->name);
            if (f->list && ++f->item < f->list->nitems) {
                sc.pos = f->body; /* the content again, for the next item */
                break;
            }
            on = f->was_on;
            depth--;
            break;
        case TK_COMMENT:
        case TK_END:
            break;
        }
    }
    if (depth > 0) {
        f = &stack[depth - 1];
        return tmpl_syntax(tmpl, f->at, err, "unclosed section '%s'", f->name);
    }
    return 0;
}

int tmpl_render(const char *tmpl, const struct tmpl_vars *v, enum tmpl_escape esc, struct buf *out,
                struct mo_err *err)
{
    struct tmpl_job job = {v, esc, out, NULL, NULL};
    size_t len0 = out->len;

    if (tmpl_walk(tmpl, &job, err) != 0) {
        buf_truncate(out, len0);
        return -1;
    }
    return 0;
}

int tmpl_check(const char *tmpl, struct mo_err *err)
{
    struct tmpl_job job = {NULL, TMPL_RAW, NULL, NULL, NULL};

    return tmpl_walk(tmpl, &job, err) != 0 ? -1 : 0;
}

int tmpl_names(const char *tmpl, int (*fn)(const char *name, char kind, void *arg), void *arg,
               struct mo_err *err)
{
    struct tmpl_job job = {NULL, TMPL_RAW, NULL, fn, arg};

    if (tmpl_check(tmpl, err) < 0)
        return -1;
    return tmpl_walk(tmpl, &job, err);
}
