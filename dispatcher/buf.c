/*
 * buf.c - bounded growable strings (see buf.h for the invariants).
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "xalloc.h"

static char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
    b->s = buf_empty;
    b->len = 0;
    b->cap = 0;
    b->max = max ? max : BUF_DEFAULT_MAX;
}

void buf_release(struct buf *b)
{
    if (b->cap)
        free(b->s);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->cap)
        b->s[0] = '\0';
}

char *buf_detach(struct buf *b)
{
    char *s = b->cap ? b->s : xstrdup("");
    buf_init(b, b->max);
    return s;
}

static int buf_grow(struct buf *b, size_t extra)
{
    size_t need;

    if (extra > b->max || b->len > b->max - extra)
        return -1;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    if (b->cap)
        b->s = xrealloc(b->s, cap);
    else {
        b->s = xmalloc(cap);
        b->s[0] = '\0';
    }
    b->cap = cap;
    return 0;
}

int buf_add(struct buf *b, const void *data, size_t n)
{
    if (buf_grow(b, n) < 0)
        return -1;
    if (n)
        memcpy(b->s + b->len, data, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list cp;
    int n;

    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0 || buf_grow(b, (size_t)n) < 0)
        return -1;
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void buf_truncate(struct buf *b, size_t n)
{
    if (n < b->len) {
        b->len = n;
        b->s[n] = '\0';
    }
}

int buf_put_shown(struct buf *b, const char *s, size_t len, size_t max)
{
    int utf8 = utf8_valid(s, len);
    size_t n = len, start = b->len;
    int rc = 0;

    if (n > max) {
        n = max;
        while (utf8 && n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r')
            rc = buf_puts(b, "\\r");
        else if (c == '\n')
            rc = buf_puts(b, "\\n");
        else if (c == '\t')
            rc = buf_puts(b, "\\t");
        else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8))
            rc = buf_printf(b, "\\x%02x", c);
        else
            rc = buf_putc(b, (char)c);
    }
    if (rc == 0 && n < len)
        rc = buf_puts(b, "...");
    if (rc < 0)
        buf_truncate(b, start);
    return rc;
}
