/*
 * fuzz.h - helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * Each target is one tests/fuzz/fuzz_NAME.c defining LLVMFuzzerTestOneInput();
 * contrib/fuzz.sh builds and runs every one of them.  A line
 * "fuzz-options: -max_len=N ..." anywhere in a target's source passes those
 * options to libFuzzer; tests/fuzz/NAME.dict, if present, is its dictionary;
 * tests/fuzz/corpus/NAME/ holds its seed inputs.
 *
 * Inputs are arbitrary bytes.  The helpers below make NUL-terminated copies
 * and split an input into parts at NUL bytes (a NUL cannot occur inside a C
 * string anyway), so one input can carry a template and its variable values.
 * A failed property is FUZZ_CHECK(): it names the check and aborts, which
 * libFuzzer reports as a crash with the input saved.
 */
#ifndef MAILOUT_FUZZ_H
#define MAILOUT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz check failed: %s:%d: %s\n", __FILE__, __LINE__, #cond);          \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* A NUL-terminated copy of size bytes of data (caller frees); it ends at the first NUL of data. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (s == NULL)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#define FUZZ_PARTS_MAX 16

/* An input cut at its NUL bytes: part[0..n-1] point into one copy. */
struct fuzz_parts {
    char *copy;
    size_t n;
    const char *part[FUZZ_PARTS_MAX];
    size_t len[FUZZ_PARTS_MAX];
};

/*
 * Splits data at NUL bytes into at most max parts (max <= FUZZ_PARTS_MAX);
 * the last part keeps any further NULs, so it ends at the first of them.
 * Always at least one part.  Release with fuzz_parts_free().
 */
static inline void fuzz_parts_split(struct fuzz_parts *p, const uint8_t *data, size_t size,
                                    size_t max)
{
    char *s = fuzz_cstr(data, size);
    size_t start = 0;

    p->copy = s;
    p->n = 0;
    for (size_t i = 0; i <= size && p->n < max; i++) {
        if (i < size && (s[i] != '\0' || p->n + 1 == max))
            continue;
        p->part[p->n] = s + start;
        p->len[p->n] = strlen(s + start);
        p->n++;
        start = i + 1;
    }
}

static inline void fuzz_parts_free(struct fuzz_parts *p)
{
    free(p->copy);
    p->copy = NULL;
    p->n = 0;
}

/* 1 when the n bytes at s occur in hay (hay_len bytes), else 0. */
static inline int fuzz_contains(const char *hay, size_t hay_len, const char *s, size_t n)
{
    if (n == 0)
        return 1;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(hay + i, s, n) == 0)
            return 1;
    return 0;
}

#endif
