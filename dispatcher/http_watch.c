/*
 * http_watch.c - the slow-request watchdog of http_watch.h.
 *
 * Owns: the list of watched connections, their clocks (CLOCK_MONOTONIC),
 * the watchdog thread and the shutdown of late sockets.  Does not own: the
 * sockets (never closed here), what a request is (the HTTP server reports
 * its steps), or counting cuts (on_cut).
 * One mutex guards the list and every field of every entry; the thread
 * holds it while it scans and shuts sockets down, and removal takes it too,
 * so an entry is never freed under the thread's feet.
 */
#include "http_watch.h"
#include "monotime.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "xalloc.h"

enum watch_state {
    WATCH_HEADERS, /* waiting for the headers: header_ms from since */
    WATCH_BODY,    /* waiting for the body: body_ms from since */
    WATCH_IDLE,    /* answering: no deadline */
    WATCH_CUT,     /* shut down already */
};

struct http_watch_conn {
    struct http_watch_conn *prev, *next;
    int fd;
    struct sockaddr_storage peer; /* as when registered: a reused fd has another peer */
    socklen_t peer_len;
    enum watch_state state;
    long long since; /* ms, CLOCK_MONOTONIC */
};

struct http_watch {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* signalled to stop */
    pthread_t thread;
    int stop;
    long long header_ms, body_ms, tick_ms;
    void (*on_cut)(void *arg);
    void *arg;
    struct http_watch_conn *head;
};

/* Whether fd is still connected to the peer it had when registered. */
static int watch_same_peer(const struct http_watch_conn *c)
{
    struct sockaddr_storage now;
    socklen_t len = sizeof(now);

    if (getpeername(c->fd, (struct sockaddr *)&now, &len) != 0)
        return errno == ENOTCONN; /* the peer is gone already: shutting down is harmless */
    return len == c->peer_len && memcmp(&now, &c->peer, len) == 0;
}

/* One pass over the list, lock held. */
static void watch_scan(struct http_watch *w)
{
    long long now = monotime_ms();

    for (struct http_watch_conn *c = w->head; c; c = c->next) {
        long long limit = c->state == WATCH_HEADERS ? w->header_ms
                          : c->state == WATCH_BODY  ? w->body_ms
                                                    : -1;
        if (limit < 0 || now - c->since < limit)
            continue;
        c->state = WATCH_CUT;
        if (!watch_same_peer(c))
            continue;
        /* count first, so whoever sees the connection close also sees the count */
        if (w->on_cut)
            w->on_cut(w->arg);
        shutdown(c->fd, SHUT_RDWR);
    }
}

static void *watch_main(void *arg)
{
    struct http_watch *w = arg;

    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        struct timespec until;

        watch_scan(w);
        monotime_deadline(&until, w->tick_ms);
        pthread_cond_timedwait(&w->wake, &w->lock, &until);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

struct http_watch *http_watch_start(unsigned header_ms, unsigned body_ms, void (*on_cut)(void *arg),
                                    void *arg, struct mo_err *err)
{
    struct http_watch *w = xcalloc(1, sizeof(*w));
    unsigned shortest = header_ms < body_ms ? header_ms : body_ms;
    int rc;

    w->header_ms = header_ms;
    w->body_ms = body_ms;
    /* late by at most a quarter of the shortest deadline, and never more than 250 ms */
    w->tick_ms = shortest / 4 < 10 ? 10 : shortest / 4 > 250 ? 250 : shortest / 4;
    w->on_cut = on_cut;
    w->arg = arg;
    pthread_mutex_init(&w->lock, NULL);
    monotime_cond_init(&w->wake);
    rc = pthread_create(&w->thread, NULL, watch_main, w);
    if (rc != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w);
        mo_err_set(err, MO_E_INTERNAL, "cannot start the request watchdog: %s", strerror(rc));
        return NULL;
    }
    return w;
}

void http_watch_stop(struct http_watch *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = 1;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    while (w->head) {
        struct http_watch_conn *c = w->head;
        w->head = c->next;
        free(c);
    }
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

struct http_watch_conn *http_watch_add(struct http_watch *w, int fd)
{
    struct http_watch_conn *c = xcalloc(1, sizeof(*c));

    c->fd = fd;
    c->peer_len = sizeof(c->peer);
    if (getpeername(fd, (struct sockaddr *)&c->peer, &c->peer_len) != 0)
        c->peer_len = 0;
    c->state = WATCH_HEADERS;
    c->since = monotime_ms();
    pthread_mutex_lock(&w->lock);
    c->next = w->head;
    if (w->head)
        w->head->prev = c;
    w->head = c;
    pthread_mutex_unlock(&w->lock);
    return c;
}

void http_watch_remove(struct http_watch *w, struct http_watch_conn *c)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&w->lock);
    free(c);
}

/* Moves c to state, its clock starting now; a connection already cut stays cut. */
static void watch_set(struct http_watch *w, struct http_watch_conn *c, enum watch_state state)
{
    if (c == NULL)
        return;
    pthread_mutex_lock(&w->lock);
    if (c->state != WATCH_CUT) {
        c->state = state;
        c->since = monotime_ms();
    }
    pthread_mutex_unlock(&w->lock);
}

void http_watch_headers_done(struct http_watch *w, struct http_watch_conn *c)
{
    watch_set(w, c, WATCH_BODY);
}

void http_watch_request_read(struct http_watch *w, struct http_watch_conn *c)
{
    watch_set(w, c, WATCH_IDLE);
}

void http_watch_request_done(struct http_watch *w, struct http_watch_conn *c)
{
    watch_set(w, c, WATCH_HEADERS);
}
