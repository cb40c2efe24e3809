/*
 * buf.h - growable, bounded strings.
 *
 * Invariants: s is never NULL and always NUL-terminated; len < cap.
 * Every buffer has a maximum length (max, 0 = BUF_DEFAULT_MAX); an append that
 * would pass it fails with -1 and leaves the buffer unchanged, so input-driven
 * growth becomes an input error rather than memory exhaustion.
 */
#ifndef MAILOUT_BUF_H
#define MAILOUT_BUF_H

#include <stdarg.h>
#include <stddef.h>

#define BUF_DEFAULT_MAX (64u * 1024 * 1024)

struct buf {
    char *s;
    size_t len;
    size_t cap;
    size_t max;
};

/* Initialises an empty buffer; max 0 means BUF_DEFAULT_MAX. */
void buf_init(struct buf *b, size_t max);
/* Frees the memory; the buffer is then as after buf_init (reusable). */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Hands the string to the caller (free with free()); the buffer is re-initialised. */
char *buf_detach(struct buf *b);

/* Appends; 0 on success, -1 if the result would exceed max (buffer unchanged). */
int buf_add(struct buf *b, const void *data, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/*
 * Appends the len bytes at s for quoting in a one-line message: CR, LF and
 * tab as \r \n \t, other control bytes (and every byte over 0x7f unless s
 * is valid UTF-8) as \xNN, at most max bytes of s, never cut inside a UTF-8
 * character, with "..." when shortened.  Returns 0 or -1 as buf_add().
 */
int buf_put_shown(struct buf *b, const char *s, size_t len, size_t max);
/* Shortens to n bytes (n <= len). */
void buf_truncate(struct buf *b, size_t n);

#endif
