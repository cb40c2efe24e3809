/*
 * utf8.h - UTF-8 validity, the bottom layer every parser of outside text
 * uses (forms, CSV, templates, headers, consent texts).  No allocation, no
 * dependencies.
 */
#ifndef MAILOUT_UTF8_H
#define MAILOUT_UTF8_H

#include <stddef.h>

/* 1 when the n bytes at s are valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF), else 0. */
int utf8_valid(const char *s, size_t n);
/* 1 when s (NUL-terminated) is valid UTF-8, else 0. */
int utf8_valid_str(const char *s);

#endif
