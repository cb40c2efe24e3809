/*
 * http.h - the public HTTP endpoints (libmicrohttpd): subscribe form,
 * double-opt-in confirmation, health and metrics.
 *
 * Every request is bounded (body 16 KiB, field 1 KiB, 20 topics); every
 * value placed in a page is HTML-escaped; no answer reveals whether an
 * address is known.  GET never changes state.
 */
#ifndef MAILOUT_HTTP_H
#define MAILOUT_HTTP_H

#include "config.h"
#include "err.h"

struct http_server;

/* Starts listening on cfg->listen with a thread pool; NULL with err. */
struct http_server *http_start(const struct config *cfg, const char *data_dir, struct mo_err *err);
/* Stops accepting, finishes running requests, frees everything. NULL is a no-op. */
void http_stop(struct http_server *s);

#endif
