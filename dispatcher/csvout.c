/*
 * csvout.c - one CSV field at a time; rows and line ends are the caller's.
 */
#include "csvout.h"

#include <string.h>

int csvout_field(struct buf *b, const char *s)
{
    size_t mark = b->len;
    int formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;
    int quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    int rc = 0;

    if (quote)
        rc |= buf_putc(b, '"');
    if (formula)
        rc |= buf_putc(b, '\'');
    for (; *s && rc == 0; s++) {
        if (*s == '"')
            rc |= buf_putc(b, '"');
        rc |= buf_putc(b, *s);
    }
    if (quote && rc == 0)
        rc |= buf_putc(b, '"');
    if (rc != 0) {
        buf_truncate(b, mark);
        return -1;
    }
    return 0;
}
