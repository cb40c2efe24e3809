/*
 * fuzz_admin_view.c - libFuzzer target for the admin view's HTML pieces:
 * any JSON document (values that reach the view come from people: names,
 * addresses, user agents) rendered as tables, and any bytes as chart labels,
 * must never put markup of their own into the page, crash, leak or hang.
 * fuzz-options: -max_len=4096
 */
#include <jansson.h>

#include "admin_view.h"
#include "buf.h"
#include "fuzz.h"

/* No element of the input's own reaches the output. */
static void check_clean(const struct buf *b)
{
    FUZZ_CHECK(b->s == NULL || strstr(b->s, "<script") == NULL);
    FUZZ_CHECK(b->s == NULL || strstr(b->s, "<img") == NULL);
    FUZZ_CHECK(b->s == NULL || strstr(b->s, "<x") == NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct admin_point p[8];
    struct buf b;
    size_t n = 0;
    json_t *j;

    buf_init(&b, 1024 * 1024);
    j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (j) {
        admin_json_html(j, &b);
        check_clean(&b);
        json_decref(j);
    }
    /* the same bytes as chart labels, 23 at a time, and values */
    memset(p, 0, sizeof(p));
    for (size_t off = 0; off < size && n < 8; off += ADMIN_LABEL_MAX - 1, n++) {
        size_t len = size - off < ADMIN_LABEL_MAX - 1 ? size - off : ADMIN_LABEL_MAX - 1;
        memcpy(p[n].label, data + off, len);
        p[n].label[len] = '\0';
        for (int s = 0; s < ADMIN_SERIES; s++)
            p[n].v[s] = (long long)data[off] * (s + 1);
    }
    buf_reset(&b);
    admin_svg_chart(p, n, "hour", &b);
    check_clean(&b);
    buf_release(&b);
    return 0;
}
