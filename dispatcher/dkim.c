/*
 * dkim.c - DKIM signing.  (Placeholder until the DKIM work lands: signing
 * is refused when a key is configured.)
 */
#include "dkim.h"

#include <stdlib.h>

struct dkim {
    int unused;
};

int dkim_open(const struct config *cfg, struct dkim **out, struct mo_err *err)
{
    *out = NULL;
    if (cfg->dkim_key_file == NULL || !*cfg->dkim_key_file)
        return 0;
    return mo_err_set(err, MO_E_INTERNAL, "dkim: signing is not built yet");
}

void dkim_free(struct dkim *d)
{
    free(d);
}

int dkim_sign(const struct dkim *d, struct buf *msg, struct mo_err *err)
{
    (void)d;
    (void)msg;
    return mo_err_set(err, MO_E_INTERNAL, "dkim: signing is not built yet");
}
