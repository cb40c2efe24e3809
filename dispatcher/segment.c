/*
 * segment.c - segment expressions (INTERFACE.md "Segment expressions"): a
 * lexer and a recursive-descent parser into a tree, the compiler from that
 * tree to one SQL condition over the alias c (a row of contacts), and the
 * use cases segment create and segment count.
 *
 * Every value of an expression (text, number, date, days, sku, category,
 * topic, and the names of custom attributes) becomes a parameter; the SQL
 * text is made only of fixed fragments chosen by the tree's shape.  This
 * file does not decide who may be mailed: that is the legal-basis engine's
 * job, which takes a compiled segment as its input.
 *
 * Semantics worth knowing:
 * - email compares case-insensitively (lower() on both sides) with the
 *   stored address, not with email_norm; other text fields compare exactly.
 * - A comparison with a missing value (NULL) is false, and NOT turns false
 *   into true: NOT country = 'DE' includes contacts without a country,
 *   country != 'DE' does not (NOT compiles to NOT COALESCE(x, false)).
 * - attr.NAME against a number compares numerically when the attribute
 *   holds a decimal number and is false otherwise (never an SQL error);
 *   an IN list compares numerically only when every value is a number.
 * - subscribed('t') for a topic that does not exist matches nobody;
 *   segment_create() refuses such a topic (MO_E_NOTFOUND).
 * - The input is a C string, so it cannot hold NUL; other control
 *   characters than tab, CR and LF between tokens are refused.
 */
#include "segment.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "attrs.h"
#include "audit.h"
#include "buf.h"
#include "topic.h"
#include "xalloc.h"

#define SEG_MAX_DEPTH  100
#define SEG_MAX_PARAMS 10000
#define SEG_MAX_DAYS   36500
#define SEG_NUM_MAX    40
#define SEG_SKU_MAX    128
#define ATTR_NAME_MAX  64

/* ---- tree ---------------------------------------------------------------- */

enum node_kind { N_TRUE, N_OR, N_AND, N_NOT, N_CMP, N_IN, N_NULL, N_ACT, N_SUBSCRIBED };
enum field { F_EMAIL, F_NAME, F_COUNTRY, F_LOCALE, F_BIRTH_DATE, F_ATTR };
enum op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_LIKE };
enum act { ACT_BOUGHT, ACT_VIEWED, ACT_DOWNLOADED };

struct value {
    int is_num;
    char *text;
};

struct node {
    enum node_kind kind;
    struct node **kids; /* N_OR, N_AND (two or more), N_NOT (one) */
    int nkids;
    enum field field; /* N_CMP, N_IN, N_NULL */
    char *attr;       /* F_ATTR: the attribute's name */
    int sensitive;    /* F_ATTR: declared NAME:sensitive (Art. 9) */
    enum op op;
    int negated;        /* NOT IN, IS NOT NULL */
    struct value *vals; /* N_CMP: one; N_IN: one or more */
    int nvals;
    enum act act; /* N_ACT */
    int by_category;
    char *target; /* N_ACT: sku or category path; N_SUBSCRIBED: topic */
    int days;     /* N_ACT: -1 for no window */
};

static void node_free(struct node *n)
{
    if (n == NULL)
        return;
    for (int i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    for (int i = 0; i < n->nvals; i++)
        free(n->vals[i].text);
    free(n->vals);
    free(n->attr);
    free(n->target);
    free(n);
}

static struct node *node_new(enum node_kind kind)
{
    struct node *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->days = -1;
    return n;
}

static void node_add_kid(struct node *n, struct node *kid)
{
    n->kids = xrealloc(n->kids, (size_t)(n->nkids + 1) * sizeof(*n->kids));
    n->kids[n->nkids++] = kid;
}

static void node_add_val(struct node *n, int is_num, char *text)
{
    n->vals = xrealloc(n->vals, (size_t)(n->nvals + 1) * sizeof(*n->vals));
    n->vals[n->nvals].is_num = is_num;
    n->vals[n->nvals].text = text;
    n->nvals++;
}

/* ---- lexer --------------------------------------------------------------- */

/* T_BAD: one character that starts no token; the parser says what it expected instead */
enum tok { T_END, T_WORD, T_STRING, T_NUMBER, T_LPAREN, T_RPAREN, T_COMMA, T_OP, T_BAD };

struct parser {
    const char *src;
    size_t pos;       /* next byte to scan */
    enum tok tok;     /* current token */
    size_t tok_start; /* its first byte */
    size_t tok_len;
    enum op tok_op;         /* T_OP */
    struct buf str;         /* T_STRING: the text with '' undone */
    struct attr_list attrs; /* declared attributes */
    const char *topic_id;   /* the campaign's topic for sensitive attributes, or NULL */
    int nparams;            /* values so far (the parameters the tree needs) */
    struct mo_err *err;
};

/* Sets err to "LINE:COL: message" for the byte offset off; returns -1. */
__attribute__((format(printf, 3, 4))) static int perr(struct parser *p, size_t off, const char *fmt,
                                                      ...)
{
    unsigned long line = 1, col = 1;
    char msg[400];
    va_list ap;

    for (size_t i = 0; i < off && p->src[i]; i++) {
        unsigned char ch = (unsigned char)p->src[i];
        if (ch == '\n') {
            line++;
            col = 1;
        } else if ((ch & 0xc0) != 0x80) {
            col++; /* columns count characters: UTF-8 continuation bytes do not */
        }
    }
    va_start(ap, fmt);
    int w = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (w < 0)
        msg[0] = '\0';
    return mo_err_set(p->err, MO_E_INPUT, "%lu:%lu: %s", line, col, msg);
}

/* A value quoted for a message: control bytes escaped, at most 64 bytes. */
static const char *shown(struct buf *b, const char *s)
{
    buf_reset(b);
    buf_put_shown(b, s, strlen(s), 64);
    return b->s;
}

static int is_word_start(int c)
{
    return isalpha(c) || c == '_';
}

static int is_word_char(int c)
{
    return isalnum(c) || c == '_';
}

/* Scans the next token into p; -1 with err on a lexical error. */
static int next(struct parser *p)
{
    const char *s = p->src;
    size_t i = p->pos;

    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
        i++;
    p->tok_start = i;
    unsigned char c = (unsigned char)s[i];
    if (c == '\0') {
        p->tok = T_END;
    } else if (c < 0x20 || c == 0x7f) {
        return perr(p, i, "control character 0x%02x is not allowed", c);
    } else if (c == '(' || c == ')' || c == ',') {
        p->tok = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_COMMA;
        i++;
    } else if (c == '=' || c == '<' || c == '>' || (c == '!' && s[i + 1] == '=')) {
        p->tok = T_OP;
        if (c == '=') {
            p->tok_op = OP_EQ;
            i++;
        } else if (c == '!') {
            p->tok_op = OP_NE;
            i += 2;
        } else if (s[i + 1] == '=') {
            p->tok_op = c == '<' ? OP_LE : OP_GE;
            i += 2;
        } else {
            p->tok_op = c == '<' ? OP_LT : OP_GT;
            i++;
        }
    } else if (c == '\'') {
        buf_reset(&p->str);
        for (i++;; i++) {
            unsigned char ch = (unsigned char)s[i];
            if (ch == '\0')
                return perr(p, p->tok_start, "unterminated text: a closing ' is missing");
            if (ch < 0x20 || ch == 0x7f)
                return perr(p, i, "control character 0x%02x is not allowed in text", ch);
            if (ch == '\'') {
                if (s[i + 1] != '\'')
                    break;
                i++;
            }
            buf_putc(&p->str, (char)ch); /* within the 64 KiB of the input */
        }
        i++;
        p->tok = T_STRING;
    } else if (isdigit(c) || (c == '-' && isdigit((unsigned char)s[i + 1]))) {
        size_t st = i;
        if (c == '-')
            i++;
        while (isdigit((unsigned char)s[i]))
            i++;
        if (s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
            i++;
            while (isdigit((unsigned char)s[i]))
                i++;
        }
        if (is_word_char((unsigned char)s[i]) || s[i] == '.')
            return perr(p, st, "invalid number");
        if (i - st > SEG_NUM_MAX)
            return perr(p, st, "number longer than %d characters", SEG_NUM_MAX);
        p->tok = T_NUMBER;
    } else if (is_word_start(c)) {
        while (is_word_char((unsigned char)s[i]))
            i++;
        if (s[i] == '.') { /* attr.NAME */
            i++;
            while (is_word_char((unsigned char)s[i]))
                i++;
        }
        p->tok = T_WORD;
    } else {
        p->tok = T_BAD; /* one character; the input is valid UTF-8 */
        i++;
        while (((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
    }
    p->tok_len = i - p->tok_start;
    p->pos = i;
    return 0;
}

/* 1 when the current token is the keyword kw (case-insensitive). */
static int is_kw(const struct parser *p, const char *kw)
{
    return p->tok == T_WORD && p->tok_len == strlen(kw) &&
           strncasecmp(p->src + p->tok_start, kw, p->tok_len) == 0;
}

static char *tok_text(const struct parser *p)
{
    return xstrndup(p->src + p->tok_start, p->tok_len);
}

/* Counts one more parameter; -1 with err past the maximum. */
static int count_param(struct parser *p)
{
    if (++p->nparams > SEG_MAX_PARAMS)
        return perr(p, p->tok_start, "too many values (at most %d)", SEG_MAX_PARAMS);
    return 0;
}

/* ---- checks of values ---------------------------------------------------- */

/* 1 for a valid calendar date YYYY-MM-DD (years 0001-9999). */
static int date_valid(const char *s)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return 0;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
            return 0;
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* 1 for a category path as the schema allows it: a/b-c/d_e, lower case. */
static int path_valid(const char *s)
{
    int start = 1;
    if (*s == '\0')
        return 0;
    for (; *s; s++) {
        int ok = islower((unsigned char)*s) || isdigit((unsigned char)*s);
        if (start && !ok)
            return 0;
        if (*s == '/') {
            start = 1;
            continue;
        }
        if (!ok && *s != '_' && *s != '-')
            return 0;
        start = 0;
    }
    return !start;
}

/* ---- parser -------------------------------------------------------------- */

static struct node *parse_expr(struct parser *p, int depth);

/* value := 'text' | number; the caller checks the kind. */
static int parse_value(struct parser *p, struct node *n)
{
    if (p->tok == T_STRING) {
        node_add_val(n, 0, xstrndup(p->str.s, p->str.len));
    } else if (p->tok == T_NUMBER) {
        node_add_val(n, 1, tok_text(p));
    } else {
        return perr(p, p->tok_start, "expected a value: 'text' or a number");
    }
    if (count_param(p) < 0)
        return -1;
    struct value *v = &n->vals[n->nvals - 1];
    if (n->field == F_BIRTH_DATE && (v->is_num || !date_valid(v->text))) {
        struct buf b;
        buf_init(&b, 0);
        perr(p, p->tok_start, "invalid date '%s': birth_date compares with 'YYYY-MM-DD'",
             v->is_num ? v->text : shown(&b, v->text));
        buf_release(&b);
        return -1;
    }
    return next(p);
}

static const struct {
    const char *name;
    enum field f;
} fields[] = {{"email", F_EMAIL},
              {"name", F_NAME},
              {"country", F_COUNTRY},
              {"locale", F_LOCALE},
              {"birth_date", F_BIRTH_DATE}};

/* field op value | field [NOT] IN (...) | field IS [NOT] NULL; the field is the current token. */
static struct node *parse_field_predicate(struct parser *p)
{
    struct node *n = node_new(N_CMP);
    size_t fstart = p->tok_start;
    int found = 0;

    if (p->tok_len >= 5 && strncasecmp(p->src + p->tok_start, "attr.", 5) == 0) {
        size_t len = p->tok_len - 5;
        if (len == 0 || len > ATTR_NAME_MAX) {
            perr(p, fstart, "expected an attribute name of 1 to %d characters after 'attr.'",
                 ATTR_NAME_MAX);
            goto fail;
        }
        n->field = F_ATTR;
        n->attr = xstrndup(p->src + p->tok_start + 5, len);
        for (char *c = n->attr; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        const struct attr_def *d = attrs_find(&p->attrs, n->attr);
        if (d == NULL) {
            perr(p, fstart, "undeclared attribute '%s' (declare it in contact_attributes)",
                 n->attr);
            goto fail;
        }
        n->sensitive = attrs_is_sensitive(&p->attrs, n->attr);
        if (count_param(p) < 0)
            goto fail;
        /* a sensitive attribute: its name again and the topic, for sensitive_allowed() */
        if (n->sensitive && (count_param(p) < 0 || (p->topic_id && count_param(p) < 0)))
            goto fail;
        found = 1;
    }
    for (size_t i = 0; !found && i < sizeof(fields) / sizeof(fields[0]); i++)
        if (is_kw(p, fields[i].name)) {
            n->field = fields[i].f;
            found = 1;
        }
    if (!found) {
        perr(p, fstart, "unknown field '%.*s'", (int)(p->tok_len > 64 ? 64 : p->tok_len),
             p->src + p->tok_start);
        goto fail;
    }
    if (next(p) < 0)
        goto fail;

    if (p->tok == T_OP || is_kw(p, "like")) {
        n->op = p->tok == T_OP ? p->tok_op : OP_LIKE;
        if (n->op == OP_LIKE && n->field == F_BIRTH_DATE) {
            perr(p, p->tok_start, "birth_date cannot be compared with LIKE");
            goto fail;
        }
        if (next(p) < 0 || parse_value(p, n) < 0)
            goto fail;
        return n;
    }
    if (is_kw(p, "not")) {
        n->negated = 1;
        if (next(p) < 0)
            goto fail;
        if (!is_kw(p, "in")) {
            perr(p, p->tok_start, "expected IN after NOT");
            goto fail;
        }
    }
    if (is_kw(p, "in")) {
        n->kind = N_IN;
        if (next(p) < 0)
            goto fail;
        if (p->tok != T_LPAREN) {
            perr(p, p->tok_start, "expected '('");
            goto fail;
        }
        do {
            if (next(p) < 0 || parse_value(p, n) < 0)
                goto fail;
        } while (p->tok == T_COMMA);
        if (p->tok != T_RPAREN) {
            perr(p, p->tok_start, "expected ',' or ')'");
            goto fail;
        }
        if (next(p) < 0)
            goto fail;
        return n;
    }
    if (is_kw(p, "is")) {
        n->kind = N_NULL;
        if (next(p) < 0)
            goto fail;
        if (is_kw(p, "not")) {
            n->negated = 1;
            if (next(p) < 0)
                goto fail;
        }
        if (!is_kw(p, "null")) {
            perr(p, p->tok_start, "expected NULL");
            goto fail;
        }
        if (next(p) < 0)
            goto fail;
        return n;
    }
    perr(p, p->tok_start, "expected an operator (= != < <= > >= LIKE), IN, NOT IN or IS");
fail:
    node_free(n);
    return NULL;
}

/* bought|viewed|downloaded '(' (sku 'X' | category 'P') [',' DAYS] ')' */
static struct node *parse_activity(struct parser *p, enum act act)
{
    struct node *n = node_new(N_ACT);
    struct buf b;

    buf_init(&b, 0);
    n->act = act;
    if (next(p) < 0)
        goto fail;
    if (p->tok != T_LPAREN) {
        perr(p, p->tok_start, "expected '('");
        goto fail;
    }
    if (next(p) < 0)
        goto fail;
    if (is_kw(p, "category"))
        n->by_category = 1;
    else if (!is_kw(p, "sku")) {
        perr(p, p->tok_start, "expected sku or category");
        goto fail;
    }
    if (next(p) < 0)
        goto fail;
    if (p->tok != T_STRING) {
        perr(p, p->tok_start, n->by_category ? "expected a 'category/path'" : "expected an 'SKU'");
        goto fail;
    }
    n->target = xstrndup(p->str.s, p->str.len);
    if (n->by_category && !path_valid(n->target)) {
        perr(p, p->tok_start,
             "invalid category path '%s': lower-case letters, digits, '_' and '-', "
             "separated by '/'",
             shown(&b, n->target));
        goto fail;
    }
    if (!n->by_category && (p->str.len == 0 || p->str.len > SEG_SKU_MAX)) {
        perr(p, p->tok_start, "invalid sku: 1 to %d bytes", SEG_SKU_MAX);
        goto fail;
    }
    if (count_param(p) < 0 || next(p) < 0)
        goto fail;
    if (p->tok == T_COMMA) {
        if (next(p) < 0)
            goto fail;
        char *end = NULL;
        long d = p->tok == T_NUMBER ? strtol(p->src + p->tok_start, &end, 10) : -1;
        if (p->tok != T_NUMBER || end != p->src + p->tok_start + p->tok_len || d < 0 ||
            d > SEG_MAX_DAYS) {
            perr(p, p->tok_start, "expected a number of days from 0 to %d", SEG_MAX_DAYS);
            goto fail;
        }
        n->days = (int)d;
        if (count_param(p) < 0 || next(p) < 0)
            goto fail;
        if (p->tok != T_RPAREN) {
            perr(p, p->tok_start, "expected ')'");
            goto fail;
        }
    } else if (p->tok != T_RPAREN) {
        perr(p, p->tok_start, "expected ',' or ')'");
        goto fail;
    }
    if (next(p) < 0)
        goto fail;
    buf_release(&b);
    return n;
fail:
    buf_release(&b);
    node_free(n);
    return NULL;
}

/* subscribed '(' 'TOPIC' ')' */
static struct node *parse_subscribed(struct parser *p)
{
    struct node *n = node_new(N_SUBSCRIBED);
    struct buf b;

    buf_init(&b, 0);
    if (next(p) < 0)
        goto fail;
    if (p->tok != T_LPAREN) {
        perr(p, p->tok_start, "expected '('");
        goto fail;
    }
    if (next(p) < 0)
        goto fail;
    if (p->tok != T_STRING) {
        perr(p, p->tok_start, "expected a 'topic'");
        goto fail;
    }
    n->target = xstrndup(p->str.s, p->str.len);
    if (!topic_name_valid(n->target)) {
        perr(p, p->tok_start, "invalid topic name '%s'", shown(&b, n->target));
        goto fail;
    }
    if (count_param(p) < 0 || next(p) < 0)
        goto fail;
    if (p->tok != T_RPAREN) {
        perr(p, p->tok_start, "expected ')'");
        goto fail;
    }
    if (next(p) < 0)
        goto fail;
    buf_release(&b);
    return n;
fail:
    buf_release(&b);
    node_free(n);
    return NULL;
}

/* factor := NOT factor | '(' expr ')' | predicate */
static struct node *parse_factor(struct parser *p, int depth)
{
    if (depth >= SEG_MAX_DEPTH && (p->tok == T_LPAREN || is_kw(p, "not"))) {
        perr(p, p->tok_start, "nested deeper than %d levels", SEG_MAX_DEPTH);
        return NULL;
    }
    if (is_kw(p, "not")) {
        if (next(p) < 0)
            return NULL;
        struct node *k = parse_factor(p, depth + 1);
        if (k == NULL)
            return NULL;
        struct node *n = node_new(N_NOT);
        node_add_kid(n, k);
        return n;
    }
    if (p->tok == T_LPAREN) {
        if (next(p) < 0)
            return NULL;
        struct node *e = parse_expr(p, depth + 1);
        if (e == NULL)
            return NULL;
        if (p->tok != T_RPAREN) {
            perr(p, p->tok_start, "expected ')'");
            node_free(e);
            return NULL;
        }
        if (next(p) < 0) {
            node_free(e);
            return NULL;
        }
        return e;
    }
    if (p->tok != T_WORD) {
        perr(p, p->tok_start, "expected a field, a function, NOT or '('");
        return NULL;
    }
    if (is_kw(p, "true")) {
        if (next(p) < 0)
            return NULL;
        return node_new(N_TRUE);
    }
    if (is_kw(p, "bought"))
        return parse_activity(p, ACT_BOUGHT);
    if (is_kw(p, "viewed"))
        return parse_activity(p, ACT_VIEWED);
    if (is_kw(p, "downloaded"))
        return parse_activity(p, ACT_DOWNLOADED);
    if (is_kw(p, "subscribed"))
        return parse_subscribed(p);
    return parse_field_predicate(p);
}

/* A list of sub (term or factor) joined by kw (OR or AND), as one n-ary node. */
static struct node *parse_list(struct parser *p, int depth, const char *kw, enum node_kind kind,
                               struct node *(*sub)(struct parser *, int))
{
    struct node *first = sub(p, depth), *n = NULL;
    if (first == NULL)
        return NULL;
    while (is_kw(p, kw)) {
        if (n == NULL) {
            n = node_new(kind);
            node_add_kid(n, first);
        }
        struct node *k = next(p) < 0 ? NULL : sub(p, depth);
        if (k == NULL) {
            node_free(n);
            return NULL;
        }
        node_add_kid(n, k);
    }
    return n ? n : first;
}

static struct node *parse_term(struct parser *p, int depth)
{
    return parse_list(p, depth, "and", N_AND, parse_factor);
}

static struct node *parse_expr(struct parser *p, int depth)
{
    return parse_list(p, depth, "or", N_OR, parse_term);
}

/* ---- compiler ------------------------------------------------------------ */

struct compiler {
    struct buf sql;
    char **params;
    int nparams;
    int at_param;
    int first_param;
    int uses_at;
    const char *topic_id;
};

/* Adds a parameter; returns its number ($N). */
static int param(struct compiler *c, const char *text)
{
    c->params[c->nparams] = xstrdup(text);
    return c->first_param + c->nparams++;
}

static const char *const op_sql[] = {"=", "<>", "<", "<=", ">", ">=", "LIKE"};

/* The left-hand side of a field predicate; numeric: attr as a guarded number. */
static void emit_field(struct compiler *c, const struct node *n, int numeric)
{
    switch (n->field) {
    case F_EMAIL:
        buf_puts(&c->sql, "lower(c.email)");
        break;
    case F_NAME:
        buf_puts(&c->sql, "c.name");
        break;
    case F_COUNTRY:
        buf_puts(&c->sql, "c.country");
        break;
    case F_LOCALE:
        buf_puts(&c->sql, "c.locale");
        break;
    case F_BIRTH_DATE:
        buf_puts(&c->sql, "c.birth_date");
        break;
    case F_ATTR: {
        int a = param(c, n->attr);
        if (numeric)
            buf_printf(&c->sql,
                       "(CASE WHEN (c.attrs ->> $%d) ~ '^-?[0-9]+(\\.[0-9]+)?$'"
                       " THEN (c.attrs ->> $%d)::numeric END)",
                       a, a);
        else
            buf_printf(&c->sql, "(c.attrs ->> $%d)", a);
        break;
    }
    }
}

/* The right-hand side for value v of a field predicate. */
static void emit_value(struct compiler *c, const struct node *n, const struct value *v, int numeric)
{
    int k = param(c, v->text);
    if (n->field == F_EMAIL)
        buf_printf(&c->sql, "lower($%d)", k);
    else if (n->field == F_BIRTH_DATE)
        buf_printf(&c->sql, "$%d::date", k);
    else if (numeric)
        buf_printf(&c->sql, "$%d::numeric", k);
    else
        buf_printf(&c->sql, "$%d", k);
}

static void emit_window(struct compiler *c, const char *col, int days)
{
    char d[16];
    if (days < 0)
        return;
    snprintf(d, sizeof(d), "%d", days); /* fits: at most 36500 */
    c->uses_at = 1;
    buf_printf(&c->sql, " AND %s >= $%d::timestamptz - make_interval(days => $%d::int)", col,
               c->at_param, param(c, d));
}

static void emit_plain(struct compiler *c, const struct node *n);

/*
 * A predicate on a sensitive attribute holds only for contacts whose
 * consent for the campaign's topic (any topic outside a campaign) was given
 * under a text explicit for it (GDPR Art. 9(2)(a); sql/0031_sensitive.sql).
 */
static void emit(struct compiler *c, const struct node *n)
{
    if ((n->kind == N_CMP || n->kind == N_IN || n->kind == N_NULL) && n->field == F_ATTR &&
        n->sensitive) {
        buf_putc(&c->sql, '(');
        emit_plain(c, n);
        int a = param(c, n->attr);
        if (c->topic_id)
            buf_printf(&c->sql, " AND sensitive_allowed(c.id, $%d::bigint, $%d))",
                       param(c, c->topic_id), a);
        else
            buf_printf(&c->sql, " AND sensitive_allowed(c.id, NULL, $%d))", a);
        return;
    }
    emit_plain(c, n);
}

static void emit_plain(struct compiler *c, const struct node *n)
{
    switch (n->kind) {
    case N_TRUE:
        buf_puts(&c->sql, "true");
        break;
    case N_OR:
    case N_AND:
        buf_putc(&c->sql, '(');
        for (int i = 0; i < n->nkids; i++) {
            if (i)
                buf_puts(&c->sql, n->kind == N_OR ? " OR " : " AND ");
            emit(c, n->kids[i]);
        }
        buf_putc(&c->sql, ')');
        break;
    case N_NOT:
        buf_puts(&c->sql, "NOT COALESCE(");
        emit(c, n->kids[0]);
        buf_puts(&c->sql, ", false)");
        break;
    case N_CMP: {
        int numeric = n->field == F_ATTR && n->vals[0].is_num && n->op != OP_LIKE;
        emit_field(c, n, numeric);
        buf_printf(&c->sql, " %s ", op_sql[n->op]);
        emit_value(c, n, &n->vals[0], numeric);
        break;
    }
    case N_IN: {
        int numeric = n->field == F_ATTR;
        for (int i = 0; i < n->nvals; i++)
            numeric &= n->vals[i].is_num;
        emit_field(c, n, numeric);
        buf_puts(&c->sql, n->negated ? " NOT IN (" : " IN (");
        for (int i = 0; i < n->nvals; i++) {
            if (i)
                buf_puts(&c->sql, ", ");
            emit_value(c, n, &n->vals[i], numeric);
        }
        buf_putc(&c->sql, ')');
        break;
    }
    case N_NULL:
        emit_field(c, n, 0);
        buf_puts(&c->sql, n->negated ? " IS NOT NULL" : " IS NULL");
        break;
    case N_ACT: {
        int t;
        if (n->act == ACT_BOUGHT) {
            buf_puts(&c->sql, "EXISTS (SELECT 1 FROM orders o");
            if (n->by_category)
                buf_printf(
                    &c->sql,
                    " JOIN products p ON p.sku = %s JOIN categories k ON k.id = p.category_id",
                    "o.sku");
            buf_puts(&c->sql, " WHERE o.contact_id = c.id");
        } else {
            buf_puts(&c->sql, "(EXISTS (SELECT 1 FROM web_activity w");
            if (n->by_category)
                buf_printf(
                    &c->sql,
                    " JOIN products p ON p.sku = %s JOIN categories k ON k.id = p.category_id",
                    "w.item");
            buf_printf(&c->sql, " WHERE w.contact_id = c.id AND w.kind = '%s'",
                       n->act == ACT_VIEWED ? "view" : "download");
        }
        t = param(c, n->target);
        if (n->by_category)
            buf_printf(&c->sql, " AND (k.path = $%d OR starts_with(k.path, $%d || '/'))", t, t);
        else
            buf_printf(&c->sql, " AND %s = $%d", n->act == ACT_BOUGHT ? "o.sku" : "w.item", t);
        emit_window(c, n->act == ACT_BOUGHT ? "o.ordered_at" : "w.at", n->days);
        buf_putc(&c->sql, ')');
        if (n->act != ACT_BOUGHT) {
            /* known minors (Art. 8, R-GDPR-6) are never profiled by their web activity */
            c->uses_at = 1;
            buf_printf(&c->sql,
                       " AND NOT contact_is_minor(c.birth_date, c.country, $%d::timestamptz)",
                       c->at_param);
            buf_puts(&c->sql, " AND consent_is_current(c.id,"
                              " (SELECT t.id FROM topics t WHERE t.name = 'tracking')))");
        }
        break;
    }
    case N_SUBSCRIBED:
        buf_printf(&c->sql,
                   "consent_is_current(c.id, (SELECT t.id FROM topics t WHERE t.name = $%d))",
                   param(c, n->target));
        break;
    }
}

/* Collects the distinct topic names of subscribed() predicates. */
static void collect_topics(const struct node *n, struct segment_sql *out)
{
    for (int i = 0; i < n->nkids; i++)
        collect_topics(n->kids[i], out);
    if (n->kind != N_SUBSCRIBED)
        return;
    for (int i = 0; i < out->ntopics; i++)
        if (strcmp(out->topics[i], n->target) == 0)
            return;
    out->topics = xrealloc(out->topics, (size_t)(out->ntopics + 1) * sizeof(*out->topics));
    out->topics[out->ntopics++] = xstrdup(n->target);
}

/* Collects the distinct sensitive attributes the tree uses. */
static void collect_sensitive(const struct node *n, struct segment_sql *out)
{
    for (int i = 0; i < n->nkids; i++)
        collect_sensitive(n->kids[i], out);
    if (n->attr == NULL || !n->sensitive)
        return;
    for (int i = 0; i < out->nsensitive; i++)
        if (strcmp(out->sensitive[i], n->attr) == 0)
            return;
    out->sensitive =
        xrealloc(out->sensitive, (size_t)(out->nsensitive + 1) * sizeof(*out->sensitive));
    out->sensitive[out->nsensitive++] = xstrdup(n->attr);
}

/* ---- public -------------------------------------------------------------- */

int segment_compile(const char *expr, const char *attributes, int at_param, int first_param,
                    struct segment_sql *out, struct mo_err *err)
{
    return segment_compile_for(expr, attributes, NULL, at_param, first_param, out, err);
}

int segment_compile_for(const char *expr, const char *attributes, const char *topic_id,
                        int at_param, int first_param, struct segment_sql *out, struct mo_err *err)
{
    struct parser p;
    struct compiler c;
    struct node *tree = NULL;
    size_t len = strlen(expr);

    memset(out, 0, sizeof(*out));
    memset(&p, 0, sizeof(p));
    p.src = expr;
    p.topic_id = topic_id;
    p.err = err;
    if (len > SEGMENT_EXPR_MAX)
        return mo_err_set(err, MO_E_INPUT, "1:1: expression longer than %d bytes",
                          SEGMENT_EXPR_MAX);
    if (attrs_parse(attributes, "contact_attributes", &p.attrs, err) < 0)
        return -1;
    /* the whole text must be UTF-8: report the first bad byte */
    for (size_t i = 0; i < len;) {
        unsigned char ch = (unsigned char)expr[i];
        size_t n = ch < 0x80             ? 1
                   : (ch & 0xe0) == 0xc0 ? 2
                   : (ch & 0xf0) == 0xe0 ? 3
                   : (ch & 0xf8) == 0xf0 ? 4
                                         : 0;
        int ok = n > 0 && i + n <= len;
        for (size_t k = 1; ok && k < n; k++)
            ok = ((unsigned char)expr[i + k] & 0xc0) == 0x80;
        if (ok && n > 1) {
            unsigned long cp = ch & (0x7f >> n);
            for (size_t k = 1; k < n; k++)
                cp = (cp << 6) | ((unsigned char)expr[i + k] & 0x3f);
            ok = cp >= (n == 2   ? 0x80ul
                        : n == 3 ? 0x800ul
                                 : 0x10000ul) &&
                 cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
        }
        if (!ok) {
            attrs_free(&p.attrs);
            return perr(&p, i, "invalid UTF-8");
        }
        i += n;
    }
    buf_init(&p.str, 0);
    if (next(&p) < 0)
        goto fail;
    if (p.tok == T_END) {
        perr(&p, p.tok_start, "empty expression");
        goto fail;
    }
    tree = parse_expr(&p, 0);
    if (tree == NULL)
        goto fail;
    if (p.tok != T_END) {
        struct buf b;
        buf_init(&b, 0);
        buf_put_shown(&b, p.src + p.tok_start, p.tok_len, 32);
        perr(&p, p.tok_start, "unexpected '%s' after a complete expression", b.s);
        buf_release(&b);
        goto fail;
    }
    buf_release(&p.str);

    memset(&c, 0, sizeof(c));
    buf_init(&c.sql, 0);
    c.params = xcalloc((size_t)p.nparams + 1, sizeof(*c.params));
    c.at_param = at_param;
    c.first_param = first_param;
    c.topic_id = topic_id;
    emit(&c, tree);
    if (c.nparams != p.nparams) { /* the parser counts what the compiler adds */
        for (int i = 0; i < c.nparams; i++)
            free(c.params[i]);
        free(c.params);
        buf_release(&c.sql);
        node_free(tree);
        attrs_free(&p.attrs);
        return mo_err_set(err, MO_E_INTERNAL, "segment: %d parameters counted, %d made", p.nparams,
                          c.nparams);
    }
    collect_topics(tree, out);
    collect_sensitive(tree, out);
    node_free(tree);
    attrs_free(&p.attrs);
    out->where = buf_detach(&c.sql);
    out->params = c.params;
    out->nparams = c.nparams;
    out->uses_at = c.uses_at;
    return 0;
fail:
    buf_release(&p.str);
    node_free(tree);
    attrs_free(&p.attrs);
    return -1;
}

void segment_sql_free(struct segment_sql *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->nparams; i++)
        free(s->params[i]);
    free(s->params);
    for (int i = 0; i < s->ntopics; i++)
        free(s->topics[i]);
    free(s->topics);
    for (int i = 0; i < s->nsensitive; i++)
        free(s->sensitive[i]);
    free(s->sensitive);
    free(s->where);
    memset(s, 0, sizeof(*s));
}

int segment_name_valid(const char *name)
{
    return topic_name_valid(name);
}

int segment_create(struct db *db, const char *name, const char *expr, const char *attributes,
                   const char *actor, long long *id, struct mo_err *err)
{
    struct segment_sql s;
    struct topic t;
    char obj[80];
    PGresult *r;

    if (!segment_name_valid(name))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid segment name: use 1-63 lower-case letters, digits, '_', '.' "
                          "or '-', starting with a letter or digit");
    if (segment_compile(expr, attributes, 1, 2, &s, err) < 0)
        return -1;
    /* a valid name has at most 63 bytes */
    if (snprintf(obj, sizeof(obj), "segment:%s", name) >= (int)sizeof(obj)) {
        segment_sql_free(&s);
        return mo_err_set(err, MO_E_INTERNAL, "segment name too long");
    }
    if (db_begin(db, err) < 0) {
        segment_sql_free(&s);
        return -1;
    }
    for (int i = 0; i < s.ntopics; i++)
        if (topic_find(db, s.topics[i], &t, err) < 0)
            goto fail;
    const char *p[] = {name, expr};
    r = db_exec(db, Q_SEGMENT_CREATE, p, 2, err);
    if (r == NULL) {
        if (err->code == MO_E_CONFLICT) {
            mo_err_init(err);
            mo_err_set(err, MO_E_CONFLICT, "segment '%s' exists", name);
        }
        goto fail;
    }
    *id = db_int(r, 0, "id");
    PQclear(r);
    if (audit_append_json(db, actor, "segment.create", obj,
                          json_pack("{s:I, s:s}", "id", (json_int_t)*id, "name", name), err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    segment_sql_free(&s);
    return 0;
fail:
    db_rollback(db);
    segment_sql_free(&s);
    return -1;
}

int segment_load(struct db *db, const char *name, const char *attributes, int at_param,
                 int first_param, struct segment_sql *out, struct mo_err *err)
{
    return segment_load_for(db, name, attributes, NULL, at_param, first_param, out, err);
}

int segment_load_for(struct db *db, const char *name, const char *attributes, const char *topic_id,
                     int at_param, int first_param, struct segment_sql *out, struct mo_err *err)
{
    memset(out, 0, sizeof(*out));
    if (!segment_name_valid(name))
        return mo_err_set(err, MO_E_NOTFOUND, "unknown segment");
    const char *p[] = {name};
    PGresult *r = db_exec(db, Q_SEGMENT_LOAD, p, 1, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return mo_err_set(err, MO_E_NOTFOUND, "unknown segment '%s'", name);
    }
    int rc = segment_compile_for(db_val(r, 0, "expr"), attributes, topic_id, at_param, first_param,
                                 out, err);
    PQclear(r);
    if (rc < 0)
        mo_err_detail(err, "segment '%s'", name);
    return rc;
}

int segment_count(struct db *db, const char *name, const char *attributes, long long *n,
                  struct mo_err *err)
{
    struct segment_sql s;
    const char *p[] = {"now"};
    PGresult *r;

    if (segment_load(db, name, attributes, 1, 2, &s, err) < 0)
        return -1;
    r = segment_exec(db, Q_SEGMENT_COUNT, &s, p, 1, err);
    segment_sql_free(&s);
    if (r == NULL)
        return -1;
    *n = db_int(r, 0, "n");
    PQclear(r);
    return 0;
}

#define MARKER "{segment}"

PGresult *segment_exec(struct db *db, enum query_id q, const struct segment_sql *seg,
                       const char *const *params, int n, struct mo_err *err)
{
    const struct query *qd = query_get(q);
    const char *at = strstr(qd->sql, MARKER);
    const char **all;
    struct buf sql;
    PGresult *r = NULL;

    if (at == NULL || n != qd->nparams) {
        mo_err_set(err, MO_E_INTERNAL, "query %s is not a segment statement with %d parameters",
                   qd->name, n);
        return NULL;
    }
    buf_init(&sql, 0);
    if (buf_add(&sql, qd->sql, (size_t)(at - qd->sql)) < 0 || buf_putc(&sql, '(') < 0 ||
        buf_puts(&sql, seg->where) < 0 || buf_putc(&sql, ')') < 0 ||
        buf_puts(&sql, at + strlen(MARKER)) < 0) {
        buf_release(&sql);
        mo_err_set(err, MO_E_INPUT, "segment too large");
        return NULL;
    }
    all = xcalloc((size_t)(n + seg->nparams) + 1, sizeof(*all));
    for (int i = 0; i < n; i++)
        all[i] = params[i];
    for (int i = 0; i < seg->nparams; i++)
        all[n + i] = seg->params[i];
    r = db_exec_text(db, qd->name, sql.s, all, n + seg->nparams, err);
    free(all);
    buf_release(&sql);
    return r;
}
