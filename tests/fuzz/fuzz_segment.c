/*
 * fuzz_segment.c - the segment expression compiler on arbitrary input.
 *
 * fuzz-options: -max_len=2048
 *
 * Properties: no crash, leak or sanitizer report; an error is MO_E_INPUT
 * "LINE:COL: ..." (or the length limit); on success
 * - the SQL is printable ASCII without ';', '--' or '/ *': any other byte
 *   (every non-ASCII byte of a value) can only have come from a parameter;
 * - after removing the fixed literals of the compiler ('tracking', 'view',
 *   'download', '/', the number pattern) no quote is left, so no value was
 *   spliced into the text;
 * - every $N is the reference time or one of the parameters, and every
 *   parameter is referenced.
 */
#include "segment.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "fuzz.h"

#define AT    1
#define FIRST 5

static const char *const literals[] = {"'tracking'", "'view'", "'download'", "'/'",
                                       "'^-?[0-9]+(\\.[0-9]+)?$'"};

static void check_sql(const struct segment_sql *s)
{
    size_t n = strlen(s->where);
    char *copy = malloc(n + 1);
    char *used = calloc((size_t)s->nparams + 1, 1);

    FUZZ_CHECK(copy != NULL && used != NULL);
    memcpy(copy, s->where, n + 1);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(copy[i] >= 0x20 && copy[i] < 0x7f && copy[i] != ';');
    FUZZ_CHECK(strstr(copy, "--") == NULL && strstr(copy, "/*") == NULL);
    for (size_t k = 0; k < sizeof(literals) / sizeof(literals[0]); k++) {
        size_t m = strlen(literals[k]);
        for (char *p = strstr(copy, literals[k]); p; p = strstr(p, literals[k]))
            memset(p, ' ', m);
    }
    FUZZ_CHECK(strchr(copy, '\'') == NULL);
    for (const char *p = copy; (p = strchr(p, '$')) != NULL; p++) {
        FUZZ_CHECK(isdigit((unsigned char)p[1]));
        long v = strtol(p + 1, NULL, 10);
        FUZZ_CHECK(v == AT || (v >= FIRST && v < FIRST + s->nparams));
        if (v != AT)
            used[v - FIRST] = 1;
        FUZZ_CHECK((v == AT) <= s->uses_at);
    }
    for (int i = 0; i < s->nparams; i++) {
        FUZZ_CHECK(s->params[i] != NULL);
        FUZZ_CHECK(used[i]);
    }
    free(used);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts parts;
    struct segment_sql s;
    struct mo_err err;

    /* part 0: the expression; part 1 (optional): the declared attributes */
    fuzz_parts_split(&parts, data, size, 2);
    mo_err_init(&err);
    const char *declared = parts.n > 1 ? parts.part[1] : "vip,score";
    struct attr_list al;
    struct mo_err aerr;
    mo_err_init(&aerr);
    int list_ok = attrs_parse(declared, "contact_attributes", &al, &aerr) == 0;
    if (list_ok)
        attrs_free(&al);
    int rc = segment_compile(parts.part[0], declared, AT, FIRST, &s, &err);
    if (rc == 0) {
        FUZZ_CHECK(err.code == MO_E_OK && s.where != NULL);
        check_sql(&s);
    } else {
        FUZZ_CHECK(rc == -1 && err.code == MO_E_INPUT && s.where == NULL && s.nparams == 0);
        if (list_ok) /* an error in the expression names its line and column */
            FUZZ_CHECK(isdigit((unsigned char)err.msg[0]) && strchr(err.msg, ':') != NULL);
        else /* a bad declared list (config.c refuses it at load) is named as such */
            FUZZ_CHECK(strcmp(err.msg, aerr.msg) == 0);
    }
    segment_sql_free(&s);
    fuzz_parts_free(&parts);
    return 0;
}
