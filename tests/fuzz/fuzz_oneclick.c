/*
 * fuzz_oneclick.c - libFuzzer target for the lenient RFC 8058 one-click
 * reading (http_form_oneclick() in http_form.h).  The first byte picks the
 * Content-Type; with selector 5 the Content-Type is the input's first line.
 * Properties: the answer is 0 or 1 and the same twice; no NUL byte is ever
 * one-click; every body the strict form parser reads as exactly the pair
 * List-Unsubscribe=One-Click is one-click; an accepted urlencoded body with
 * another field appended is not.
 *
 * fuzz-options: -max_len=2048
 */
#include "http_form.h"

#include <strings.h>

#include "buf.h"
#include "fuzz.h"

static const char *const content_types[] = {
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=XYZ",
    "multipart/form-data; boundary=---FormBoundaryjWmhtjORrn",
    "multipart/form-data",
    NULL,
};

/* Whether the strict parser reads body as exactly the one pair. */
static int strict_pair(const char *ct, const char *body, size_t len)
{
    struct http_form f;
    struct mo_err err;
    int yes;

    http_form_init(&f);
    mo_err_init(&err);
    yes = http_form_parse(ct, body, len, &f, &err) == 0 && f.n == 1 &&
          strcasecmp(f.fields[0].name, "List-Unsubscribe") == 0 &&
          strcasecmp(f.fields[0].value, "One-Click") == 0;
    http_form_release(&f);
    return yes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char ct[256];
    const char *type, *body;
    size_t len;
    int yes;

    if (size < 1)
        return 0;
    body = (const char *)data + 1;
    len = size - 1;
    if (data[0] % 6 < 5) {
        type = content_types[data[0] % 6];
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
    yes = http_form_oneclick(type, body, len);
    FUZZ_CHECK(yes == 0 || yes == 1);
    FUZZ_CHECK(http_form_oneclick(type, body, len) == yes);
    if (yes)
        FUZZ_CHECK(len == 0 || memchr(body, '\0', len) == NULL);
    if (type && strict_pair(type, body, len))
        FUZZ_CHECK(yes);
    if (yes && type == content_types[0]) {
        struct buf b;
        buf_init(&b, 0);
        buf_add(&b, body, len);
        buf_puts(&b, "&x=1");
        FUZZ_CHECK(!http_form_oneclick(type, b.s, b.len));
        buf_release(&b);
    }
    return 0;
}
