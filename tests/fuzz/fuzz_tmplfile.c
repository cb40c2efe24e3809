/*
 * fuzz_tmplfile.c - the "Name: value" header line of template files, and
 * the language part of a locale.
 *
 * fuzz-options: -max_len=4096
 *
 * tmplfile_split_header() gets a writable NUL-terminated copy, once with
 * "Subject" (mail templates) and once with "Title" (pages).  On success the
 * value and body lie inside the copy, the value is one line, and the body is
 * what followed the header line and at most one blank line.
 * tmplfile_lang() gets the same bytes as a locale.
 */
#include "tmplfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void split(const uint8_t *data, size_t size, const char *name)
{
    char *s = fuzz_cstr(data, size);
    char *orig = fuzz_cstr(data, size);
    char *value = NULL, *body = NULL;
    size_t len = strlen(s), nl = strlen(name);
    struct mo_err err;

    mo_err_init(&err);
    if (tmplfile_split_header(s, name, "fuzz template", &value, &body, &err) == 0) {
        FUZZ_CHECK(err.code == MO_E_OK);
        FUZZ_CHECK(strncmp(orig, name, nl) == 0 && orig[nl] == ':');
        FUZZ_CHECK(value > s && value <= s + len);
        FUZZ_CHECK(body > value && body <= s + len);
        FUZZ_CHECK(strchr(value, '\n') == NULL && value[0] != ' ');
        /* the body is the original text after the header line and at most one blank line */
        const char *rest = strchr(orig, '\n') + 1;
        if (*rest == '\r')
            rest++;
        if (*rest == '\n')
            rest++;
        FUZZ_CHECK(strcmp(body, rest) == 0);
        FUZZ_CHECK(strcmp(body, orig + (body - s)) == 0);
    } else {
        FUZZ_CHECK(err.code == MO_E_INPUT && strstr(err.msg, "fuzz template") != NULL);
    }
    free(orig);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *locale = fuzz_cstr(data, size);
    char lang[8];

    split(data, size, "Subject");
    split(data, size, "Title");

    memset(lang, 'x', sizeof(lang));
    tmplfile_lang(locale, lang);
    FUZZ_CHECK(memchr(lang, '\0', sizeof(lang)) != NULL);
    FUZZ_CHECK(strcmp(lang, "en") == 0 || strncmp(locale, lang, strlen(lang)) == 0);
    FUZZ_CHECK(strlen(lang) >= 2 && strlen(lang) <= 3);
    free(locale);
    return 0;
}
