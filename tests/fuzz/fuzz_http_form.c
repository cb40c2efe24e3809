/*
 * fuzz_http_form.c - libFuzzer target for the form body parser
 * (http_form.h).  The first byte picks the Content-Type; with selector 3
 * the Content-Type is the input's first line, so http_form_kind() and the
 * parameter parser are fuzzed too.  Every accepted form must keep the
 * limits the header promises; anything else is a crash.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Iinclude -I. \
 *       tests/fuzz/fuzz_http_form.c libmailout.a $(DEP_LIBS)
 */
#include "http_form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=XYZ",
    "multipart/form-data; boundary=\"a'()+_,-./:=? b\"",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ct[256];
    const char *type;
    const char *body;
    size_t len;
    struct http_form f;
    struct mo_err err;

    if (size < 1)
        return 0;
    body = (const char *)data + 1;
    len = size - 1;
    if (data[0] % 4 < 3) {
        type = content_types[data[0] % 4];
    } else {
        const char *nl = memchr(body, '\n', len);
        size_t n = nl ? (size_t)(nl - body) : len;
        if (n >= sizeof(ct) || memchr(body, '\0', n))
            return 0;
        memcpy(ct, body, n);
        ct[n] = '\0';
        type = ct;
        body += nl ? n + 1 : n;
        len -= nl ? n + 1 : n;
    }
    (void)http_form_kind(type);
    http_form_init(&f);
    mo_err_init(&err);
    if (http_form_parse(type, body, len, &f, &err) == 0) {
        if (f.n > HTTP_FORM_FIELDS_MAX)
            abort();
        for (size_t i = 0; i < f.n; i++) {
            size_t nl = strlen(f.fields[i].name), vl = strlen(f.fields[i].value);
            if (nl > HTTP_FORM_NAME_MAX || vl > HTTP_FORM_VALUE_MAX ||
                !utf8_valid(f.fields[i].name, nl) || !utf8_valid(f.fields[i].value, vl))
                abort();
        }
        if (f.n > 0 && http_form_get(&f, f.fields[0].name) != f.fields[0].value)
            abort();
    } else if (err.code != MO_E_INPUT || f.n != 0 || f.fields != NULL) {
        abort();
    }
    http_form_release(&f);
    return 0;
}
