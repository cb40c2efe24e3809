/*
 * fuzz_attrs.c - the contact_attributes parser and the special-term matcher.
 *
 * fuzz-options: -max_len=20000
 *
 * Any bytes: attrs_parse() either fails with MO_E_INPUT and an empty list,
 * or gives valid, distinct, lower-case names; attrs_special_term() returns
 * NULL or a term and never reads past the string.
 */
#include "attrs.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct attr_list l;
    struct mo_err err;
    char *s = fuzz_cstr(data, size);
    int rc;

    mo_err_init(&err);
    rc = attrs_parse(s, "contact_attributes", &l, &err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc < 0) {
        FUZZ_CHECK(err.code == MO_E_INPUT && err.msg[0] && l.n == 0 && l.v == NULL);
    } else {
        FUZZ_CHECK(l.n <= ATTRS_MAX);
        for (int i = 0; i < l.n; i++) {
            size_t n = strlen(l.v[i].name);
            FUZZ_CHECK(n >= 1 && n <= ATTRS_NAME_MAX);
            for (size_t k = 0; k < n; k++)
                FUZZ_CHECK(islower((unsigned char)l.v[i].name[k]) ||
                           isdigit((unsigned char)l.v[i].name[k]) || l.v[i].name[k] == '_');
            FUZZ_CHECK(attrs_find(&l, l.v[i].name) == &l.v[i]);
            FUZZ_CHECK(l.v[i].sensitive == 0 || l.v[i].sensitive == 1);
        }
    }
    attrs_free(&l);
    const char *t = attrs_special_term(s);
    FUZZ_CHECK(t == NULL || strlen(t) > 0);
    free(s);
    return 0;
}
