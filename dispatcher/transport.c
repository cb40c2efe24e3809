/*
 * transport.c - picks the implementation the configuration names, and reads
 * an SMTP outcome (transport_classify) for every sender.
 */
#include "transport.h"

#include <stdlib.h>
#include <string.h>

#include "transport_impl.h"

struct transport *transport_new(const struct config *cfg, struct mo_err *err)
{
    switch (cfg->transport_kind) {
    case TRANSPORT_SMTP:
        return transport_smtp_new(cfg, err);
    case TRANSPORT_MAILDIR:
        return transport_maildir_new(cfg, err);
    }
    mo_err_set(err, MO_E_INTERNAL, "unknown transport");
    return NULL;
}

void transport_free(struct transport *t)
{
    if (t)
        t->ops->free(t);
}

int transport_send(struct transport *t, struct transport_msg *msgs, size_t n, struct mo_err *err)
{
    for (size_t i = 0; i < n; i++) {
        msgs[i].delivered = 0;
        msgs[i].code = 0;
        msgs[i].reply[0] = '\0';
    }
    if (n == 0)
        return 0;
    return t->ops->send(t, msgs, n, err);
}

const char *transport_describe(const struct transport *t)
{
    return t->describe;
}

enum transport_result transport_classify(const struct transport_msg *m)
{
    if (m->delivered)
        return TRANSPORT_SENT;
    if (m->code == 0)
        return TRANSPORT_NOT_ATTEMPTED;
    if (m->code >= 500 && m->code <= 599)
        return TRANSPORT_FAILED;
    return TRANSPORT_DEFERRED;
}

const char *transport_result_name(enum transport_result r)
{
    switch (r) {
    case TRANSPORT_SENT:
        return "sent";
    case TRANSPORT_DEFERRED:
        return "deferred";
    case TRANSPORT_FAILED:
        return "failed";
    case TRANSPORT_NOT_ATTEMPTED:
        break;
    }
    return "not attempted";
}

int transport_hard_bounce(const struct transport_msg *m)
{
    /* placeholder until the transport work lands: only the plain 5.1.1 */
    return !m->delivered && m->code >= 550 && m->code <= 559 && strcmp(m->enhanced, "5.1.1") == 0;
}
