/*
 * bgworker.h - the thread scaffolding of the background workers of `serve`,
 * `dispatch` and `run`: the confirmation sender (doi_mail.h), the webhook
 * deliverer (webhook.h) and the scheduler (scheduler.h).
 *
 * A bgworker is one thread running body(w, arg) until body returns; body
 * loops while !bgworker_stopping(w) and sleeps with bgworker_wait(), which a
 * stop request cuts short (a byte on a pipe, so the wait can also poll a
 * socket such as a LISTENing database connection).  bgworker_stop() waits
 * a bounded time for body to return: a body stuck in a relay or a database
 * is left running, and the caller ends the process without freeing what
 * the body borrows.  What the body does and owns stays in its module.
 */
#ifndef MAILOUT_BGWORKER_H
#define MAILOUT_BGWORKER_H

#include "err.h"
#include "log.h"

struct bgworker;

/*
 * Starts a thread running body(w, arg).  name ("confirmation sender") is
 * copied and prefixes bgworker_log_once() lines.  NULL with err
 * (MO_E_INTERNAL) when the pipe or the thread cannot be made; body has then
 * not run.  arg is borrowed.
 */
struct bgworker *bgworker_start(const char *name, void (*body)(struct bgworker *w, void *arg),
                                void *arg, struct mo_err *err);
/* 1 once a stop was requested (thread-safe). */
int bgworker_stopping(const struct bgworker *w);
/*
 * Asks the body to stop: sets the flag and wakes bgworker_wait().  Returns
 * 0 for the first request, 1 when a stop was requested already.  NULL: 1.
 */
int bgworker_request_stop(struct bgworker *w);
/*
 * From the body: sleeps up to ms, or until a stop request or (when fd >= 0)
 * fd is readable.  Returns bgworker_stopping(w).
 */
int bgworker_wait(struct bgworker *w, int fd, int ms);
/*
 * From the body: logs "NAME: msg" at level unless msg is the last message
 * logged so (a failure repeating every second is logged once);
 * bgworker_log_clear() forgets it after a success.
 */
void bgworker_log_once(struct bgworker *w, enum mo_log_level level, const char *msg);
void bgworker_log_clear(struct bgworker *w);
/*
 * Requests a stop and waits up to wait_ms (<= 0: not at all) for the body
 * to return.  0: it returned, the thread is joined and w freed.  1: the
 * body is still running; w stays allocated (and everything the body
 * borrows must stay alive: end the process).  NULL: 0.
 */
int bgworker_stop(struct bgworker *w, int wait_ms);

#endif
