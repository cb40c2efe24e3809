/*
 * transport_impl.h - the private vtable behind struct transport; only the
 * transport_*.c files include it.
 */
#ifndef MAILOUT_TRANSPORT_IMPL_H
#define MAILOUT_TRANSPORT_IMPL_H

#include "transport.h"

struct transport_ops {
    int (*send)(struct transport *t, struct transport_msg *msgs, size_t n, struct mo_err *err);
    void (*free)(struct transport *t);
};

struct transport {
    const struct transport_ops *ops;
    char describe[300];
};

struct transport *transport_smtp_new(const struct config *cfg, struct mo_err *err);
struct transport *transport_maildir_new(const struct config *cfg, struct mo_err *err);

#endif
