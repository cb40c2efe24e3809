/*
 * fuzz_address.c - address validation and normalization (libidn2 included).
 *
 * fuzz-options: -max_len=2048
 *
 * Properties: a normalized address is at most ADDRESS_MAX bytes of printable
 * ASCII with no upper-case letter and exactly one '@'; normalizing it again
 * gives it back unchanged, and so does normalizing the input upper-cased
 * between spaces and tabs; address_valid() agrees with address_normalize();
 * a refusal says "invalid email '...': reason" and leaves *norm NULL.
 */
#include "address.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* 1 when " \t" + in with ASCII letters upper-cased + "\t " normalizes to norm too. */
static int normalize_variant(const char *in, const char *norm)
{
    size_t n = strlen(in);
    char *v = malloc(n + 5);
    char *got = NULL;
    struct mo_err err;
    int same;

    FUZZ_CHECK(v != NULL);
    memcpy(v, " \t", 2);
    for (size_t i = 0; i < n; i++)
        v[2 + i] = in[i] >= 'a' && in[i] <= 'z' ? (char)(in[i] - 'a' + 'A') : in[i];
    memcpy(v + 2 + n, "\t ", 3);
    mo_err_init(&err);
    same = address_normalize(v, &got, &err) == 0 && strcmp(got, norm) == 0;
    free(got);
    free(v);
    return same;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = fuzz_cstr(data, size);
    char *norm = (char *)"unset", *again = NULL;
    struct mo_err err;
    int rc;

    mo_err_init(&err);
    rc = address_normalize(in, &norm, &err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    FUZZ_CHECK(address_valid(in) == (rc == 0));
    if (rc < 0) {
        FUZZ_CHECK(norm == NULL);
        FUZZ_CHECK(err.code == MO_E_INPUT);
        FUZZ_CHECK(strncmp(err.msg, "invalid email '", 15) == 0);
        FUZZ_CHECK(strstr(err.msg, "': ") != NULL);
        for (const char *p = err.msg; *p; p++)
            FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
    } else {
        size_t n = strlen(norm);
        FUZZ_CHECK(err.code == MO_E_OK);
        FUZZ_CHECK(n >= 3 && n <= ADDRESS_MAX);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(norm[i] > 0x20 && norm[i] < 0x7f && !(norm[i] >= 'A' && norm[i] <= 'Z'));
        FUZZ_CHECK(strchr(norm, '@') != NULL && strchr(norm, '@') == strrchr(norm, '@'));
        mo_err_init(&err);
        FUZZ_CHECK(address_normalize(norm, &again, &err) == 0);
        FUZZ_CHECK(strcmp(again, norm) == 0);
        free(again);
        /* case and surrounding blanks do not matter */
        FUZZ_CHECK(normalize_variant(in, norm));
        free(norm);
    }
    free(in);
    return 0;
}
