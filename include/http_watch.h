/*
 * http_watch.h - deadlines for slow requests, whatever the trickle rate.
 *
 * libmicrohttpd's connection timeout measures idle time only, so a client
 * that sends one byte every few seconds keeps a connection (and its slot
 * under the per-IP limit) forever.  This module measures from the start:
 * a request's headers must be complete within header_ms of the connection
 * opening (or of the previous request on it ending), and its body within
 * body_ms of the headers.  A thread checks every registered connection a
 * few times a second and shuts down the socket (shutdown(2), SHUT_RDWR) of
 * any that is late; the server then sees end-of-file and closes it.
 *
 * The caller registers each connection's socket when it opens and removes
 * it before the socket is closed, so a registered descriptor is never a
 * reused one; as a second guard the peer address is compared before a
 * shutdown.  Every function is thread-safe.  Nothing here knows HTTP.
 */
#ifndef MAILOUT_HTTP_WATCH_H
#define MAILOUT_HTTP_WATCH_H

#include "err.h"

struct http_watch;
struct http_watch_conn;

/*
 * Starts the watchdog thread.  on_cut(arg), if not NULL, is called from
 * that thread for each connection it shuts down, with the watch's lock
 * held: it must not call back into this module.  Returns the watch (stop
 * it with http_watch_stop()), or NULL with err when the thread cannot start.
 */
struct http_watch *http_watch_start(unsigned header_ms, unsigned body_ms, void (*on_cut)(void *arg),
                                    void *arg, struct mo_err *err);
/*
 * Stops the thread and frees the watch and every connection still
 * registered (their sockets are left alone).  NULL is a no-op.
 */
void http_watch_stop(struct http_watch *w);

/*
 * Registers the connected socket fd; its header clock starts now.  Returns
 * the handle for the calls below (owned by w until http_watch_remove()).
 */
struct http_watch_conn *http_watch_add(struct http_watch *w, int fd);
/* Forgets c and frees it; call before its socket is closed.  NULL is a no-op. */
void http_watch_remove(struct http_watch *w, struct http_watch_conn *c);
/* The request's headers are complete: the body clock starts now.  NULL is a no-op. */
void http_watch_headers_done(struct http_watch *w, struct http_watch_conn *c);
/* The whole request has been read: no deadline while it is answered.  NULL is a no-op. */
void http_watch_request_read(struct http_watch *w, struct http_watch_conn *c);
/* The request is over; the next one on the connection has header_ms from now.  NULL: no-op. */
void http_watch_request_done(struct http_watch *w, struct http_watch_conn *c);

#endif
