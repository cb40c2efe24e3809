/*
 * bgworker.c - one background thread with a stop flag, a wake-up pipe, a
 * done flag and a bounded stop (bgworker.h).  It owns the thread and its
 * signalling; the work, its database connection and what it borrows belong
 * to the caller's module.
 */
#include "bgworker.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monotime.h"
#include "xalloc.h"

struct bgworker {
    char *name;
    void (*body)(struct bgworker *w, void *arg);
    void *arg;
    pthread_t thread;
    int wake[2]; /* a byte written to wake[1] cuts bgworker_wait() short */
    atomic_int stop;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled when done is set */
    int done;
    char last[sizeof(((struct mo_err *)0)->msg)]; /* bgworker_log_once(); the thread's own */
};

static void bgworker_free(struct bgworker *w)
{
    close(w->wake[0]);
    close(w->wake[1]);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w->name);
    free(w);
}

static void *bgworker_main(void *arg)
{
    struct bgworker *w = arg;

    w->body(w, w->arg);
    pthread_mutex_lock(&w->mu);
    w->done = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

struct bgworker *bgworker_start(const char *name, void (*body)(struct bgworker *w, void *arg),
                                void *arg, struct mo_err *err)
{
    struct bgworker *w = xcalloc(1, sizeof(*w));

    if (pipe(w->wake) < 0) {
        mo_err_set(err, MO_E_INTERNAL, "cannot start the %s: pipe: %s", name, strerror(errno));
        free(w);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(w->wake[i], F_SETFD, FD_CLOEXEC);
        fcntl(w->wake[i], F_SETFL, O_NONBLOCK);
    }
    w->name = xstrdup(name);
    w->body = body;
    w->arg = arg;
    atomic_init(&w->stop, 0);
    pthread_mutex_init(&w->mu, NULL);
    monotime_cond_init(&w->cv);
    int e = pthread_create(&w->thread, NULL, bgworker_main, w);
    if (e != 0) {
        mo_err_set(err, MO_E_INTERNAL, "cannot start the %s: %s", name, strerror(e));
        bgworker_free(w);
        return NULL;
    }
    return w;
}

int bgworker_stopping(const struct bgworker *w)
{
    return atomic_load(&w->stop);
}

int bgworker_request_stop(struct bgworker *w)
{
    if (w == NULL || atomic_exchange(&w->stop, 1))
        return 1;
    if (write(w->wake[1], "x", 1) < 0 && errno != EAGAIN)
        mo_log(MO_LOG_DEBUG, "%s: wake-up failed: %s", w->name, strerror(errno));
    return 0;
}

int bgworker_wait(struct bgworker *w, int fd, int ms)
{
    struct pollfd fds[2] = {{w->wake[0], POLLIN, 0}, {fd, POLLIN, 0}};
    char junk[64];

    if (!bgworker_stopping(w)) {
        if (poll(fds, fd >= 0 ? 2 : 1, ms < 0 ? 0 : ms) < 0 && errno != EINTR)
            mo_log(MO_LOG_DEBUG, "%s: poll: %s", w->name, strerror(errno));
    }
    while (read(w->wake[0], junk, sizeof(junk)) > 0)
        ;
    return bgworker_stopping(w);
}

void bgworker_log_once(struct bgworker *w, enum mo_log_level level, const char *msg)
{
    if (strcmp(w->last, msg) == 0)
        return;
    snprintf(w->last, sizeof(w->last), "%s", msg);
    mo_log(level, "%s: %s", w->name, msg);
}

void bgworker_log_clear(struct bgworker *w)
{
    w->last[0] = '\0';
}

int bgworker_stop(struct bgworker *w, int wait_ms)
{
    struct timespec until;
    int done;

    if (w == NULL)
        return 0;
    bgworker_request_stop(w);
    monotime_deadline(&until, wait_ms > 0 ? wait_ms : 0);
    pthread_mutex_lock(&w->mu);
    while (!w->done)
        if (pthread_cond_timedwait(&w->cv, &w->mu, &until) != 0)
            break;
    done = w->done;
    pthread_mutex_unlock(&w->mu);
    if (!done)
        return 1;
    pthread_join(w->thread, NULL);
    bgworker_free(w);
    return 0;
}
