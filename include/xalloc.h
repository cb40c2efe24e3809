/*
 * xalloc.h - allocation that never returns NULL.
 *
 * Out of memory is handled here and only here: the functions log one line
 * and abort().  Input sizes are capped everywhere else (struct buf's max,
 * HTTP and CSV limits), so input can never drive us into this path.
 */
#ifndef MAILOUT_XALLOC_H
#define MAILOUT_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Copies at most n bytes of s and NUL-terminates; caller frees. */
char *xstrndup(const char *s, size_t n);

#endif
