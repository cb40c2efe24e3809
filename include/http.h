/*
 * http.h - the public HTTP endpoints (libmicrohttpd): subscribe form,
 * double-opt-in confirmation, health and metrics (the routes are listed in
 * http_routes.c).
 *
 * Every request is bounded (body 16 KiB, field 1 KiB, 20 topics; headers
 * within 10 s, the body within 20 s more; 16 connections per client
 * address); ambiguous framing gets 400 and a closed connection; every
 * value placed in a page is HTML-escaped; no answer reveals whether an
 * address is known.  GET never changes state.
 */
#ifndef MAILOUT_HTTP_H
#define MAILOUT_HTTP_H

#include "config.h"
#include "err.h"

struct http_server;

/*
 * Starts listening on cfg->listen with a thread pool; NULL with err:
 * MO_E_INPUT for an invalid listen or metrics_allow (naming the key),
 * MO_E_UNAVAILABLE when the address cannot be bound.
 */
struct http_server *http_start(const struct config *cfg, const char *data_dir, struct mo_err *err);
/*
 * Reads the admin view's token (admin_token_file; issue 12) and writes its
 * SHA-256 (hex) into hash, the token itself never leaving this call.
 * -1 with err naming the key: a file readable or writable by group or
 * others, a token shorter than 32 characters (MO_E_INPUT), or a missing
 * file (MO_E_NOINPUT).  serve and run call it when they start, doctor too.
 */
int http_admin_token_read(const char *path, char hash[65], struct mo_err *err);

/* Stops accepting, finishes running requests, frees everything. NULL is a no-op. */
void http_stop(struct http_server *s);

#endif
