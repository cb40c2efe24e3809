/*
 * fuzz_topic.c - consent text checks and topic name / locale validation.
 *
 * fuzz-options: -max_len=4096
 *
 * consent_text_check() gets the raw bytes (NULs included, as from a file);
 * topic_name_valid() and topic_locale_valid() get a NUL-terminated copy and
 * must agree with the regular expressions their header documents.
 */
#include "topic.h"

#include <regex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static regex_t name_re, locale_re;

static int re_match(const regex_t *re, const char *s)
{
    return regexec(re, s, 0, NULL, 0) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    struct mo_err err;
    char *s;
    int rc;

    if (!ready) {
        /* the C locale: [a-z] is ASCII only */
        FUZZ_CHECK(regcomp(&name_re, "^[a-z0-9][a-z0-9_.-]{0,62}$", REG_EXTENDED | REG_NOSUB) == 0);
        FUZZ_CHECK(regcomp(&locale_re, "^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})*$",
                           REG_EXTENDED | REG_NOSUB) == 0);
        ready = 1;
    }

    mo_err_init(&err);
    rc = consent_text_check((const char *)data, size, &err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(rc == 0 ? err.code == MO_E_OK : err.code == MO_E_INPUT && err.msg[0]);
    if (rc == 0)
        FUZZ_CHECK(size > 0 && size <= CONSENT_TEXT_MAX && memchr(data, '\0', size) == NULL);

    s = fuzz_cstr(data, size);
    FUZZ_CHECK(topic_name_valid(s) == re_match(&name_re, s));
    FUZZ_CHECK(topic_locale_valid(s) == re_match(&locale_re, s));
    free(s);
    return 0;
}
