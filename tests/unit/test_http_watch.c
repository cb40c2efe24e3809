/*
 * test_http_watch.c - the slow-request watchdog on socket pairs: late
 * headers and bodies are shut down, answered and removed connections are
 * not, a finished request restarts the clock.
 *
 * Timing: a "not shut down yet" check only counts when it ran before the
 * deadline had passed (a loaded machine may pause this process), and a
 * "shut down" check waits up to 3 s.
 */
#include "http_watch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check_tap.h"

#define HEADER_MS 300
#define BODY_MS   900

static atomic_int cuts;

static void count_cut(void *arg)
{
    (void)arg;
    atomic_fetch_add(&cuts, 1);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when the server side of the pair was shut down (the client reads end-of-file). */
static int was_cut(int client, int wait_ms)
{
    struct pollfd p = {client, POLLIN, 0};
    char c;

    if (poll(&p, 1, wait_ms) <= 0)
        return 0;
    return recv(client, &c, 1, MSG_DONTWAIT) == 0;
}

struct pair {
    int server, client;
};

static struct pair make_pair(void)
{
    int fds[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    return (struct pair){fds[0], fds[1]};
}

static void close_pair(struct pair p)
{
    close(p.server);
    close(p.client);
}

static struct http_watch *start(void)
{
    struct mo_err err;
    struct http_watch *w;

    mo_err_init(&err);
    atomic_store(&cuts, 0);
    w = http_watch_start(HEADER_MS, BODY_MS, count_cut, NULL, &err);
    ck_assert_msg(w != NULL, "%s", err.msg);
    return w;
}

/* A watch with one connection registered: its server end watched, its client end to read. */
struct rig {
    struct http_watch *w;
    struct pair p;
    struct http_watch_conn *c;
};

static struct rig rig_open(void)
{
    struct rig r;

    r.w = start();
    r.p = make_pair();
    r.c = http_watch_add(r.w, r.p.server);
    return r;
}

static void rig_close(struct rig *r)
{
    http_watch_remove(r->w, r->c);
    close_pair(r->p);
    http_watch_stop(r->w);
}

START_TEST(late_headers_are_cut)
{
    long long t0 = now_ms();
    struct rig r = rig_open();

    if (!was_cut(r.p.client, 50) && now_ms() - t0 < HEADER_MS)
        ck_assert_int_eq(atomic_load(&cuts), 0); /* not before the deadline */
    ck_assert(was_cut(r.p.client, 3000));
    ck_assert_int_ge(now_ms() - t0, HEADER_MS);
    ck_assert_int_eq(atomic_load(&cuts), 1);
    /* it stays registered until removed, and is cut only once */
    usleep(200 * 1000);
    ck_assert_int_eq(atomic_load(&cuts), 1);
    rig_close(&r);
}
END_TEST

START_TEST(late_body_is_cut)
{
    struct rig r = rig_open();
    long long t0;
    int cut;

    http_watch_headers_done(r.w, r.c);
    t0 = now_ms();
    /* past the header deadline, the body still has time */
    cut = was_cut(r.p.client, HEADER_MS + 200);
    if (now_ms() - t0 < BODY_MS)
        ck_assert_int_eq(cut, 0);
    ck_assert(was_cut(r.p.client, 3000));
    ck_assert_int_ge(now_ms() - t0, BODY_MS);
    rig_close(&r);
}
END_TEST

START_TEST(read_requests_are_left_alone)
{
    struct rig r = rig_open();

    http_watch_headers_done(r.w, r.c);
    http_watch_request_read(r.w, r.c);
    ck_assert_int_eq(was_cut(r.p.client, BODY_MS + 500), 0);
    ck_assert_int_eq(atomic_load(&cuts), 0);
    /* the next request on the connection gets its own header deadline */
    http_watch_request_done(r.w, r.c);
    ck_assert(was_cut(r.p.client, 3000));
    rig_close(&r);
}
END_TEST

START_TEST(done_restarts_the_clock)
{
    struct rig r = rig_open();
    long long t0 = now_ms();
    int late = 0;

    /* keep-alive: each request finishes within its deadline, the connection outlives it */
    for (int i = 0; i < 4; i++) {
        usleep(HEADER_MS / 2 * 1000);
        long long before = now_ms(); /* the clock restarts no earlier than this */
        http_watch_request_done(r.w, r.c);
        /* measured after the restart: a paused process counts as late, never the reverse */
        late |= now_ms() - t0 >= HEADER_MS;
        t0 = before;
        if (!late)
            ck_assert_int_eq(atomic_load(&cuts), 0);
    }
    ck_assert(was_cut(r.p.client, 3000));
    rig_close(&r);
}
END_TEST

START_TEST(removed_are_never_cut)
{
    struct http_watch *w = start();
    struct pair a = make_pair(), b = make_pair();
    struct http_watch_conn *ca = http_watch_add(w, a.server);
    struct http_watch_conn *cb = http_watch_add(w, b.server);

    http_watch_remove(w, ca);
    ck_assert(was_cut(b.client, 3000));
    ck_assert_int_eq(was_cut(a.client, 0), 0);
    ck_assert_int_eq(atomic_load(&cuts), 1);
    http_watch_remove(w, cb);
    http_watch_remove(w, NULL);
    close_pair(a);
    close_pair(b);
    http_watch_stop(w);
}
END_TEST

/* A descriptor now connected to another peer than when registered is not shut down. */
START_TEST(reused_descriptor_is_spared)
{
    struct http_watch *w = start();
    struct pair p = make_pair();
    int lfd, cfd, sfd;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    /* a TCP connection on loopback, then its descriptor number reused by the pair */
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(0x7f000001);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    ck_assert_int_eq(listen(lfd, 1), 0);
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    cfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(cfd, (struct sockaddr *)&ss, len), 0);
    sfd = accept(lfd, NULL, NULL);
    ck_assert_int_ge(sfd, 0);
    struct http_watch_conn *c = http_watch_add(w, sfd);
    ck_assert_int_eq(dup2(p.server, sfd), sfd); /* sfd now names the pair's end */
    ck_assert_int_eq(was_cut(p.client, HEADER_MS + 700), 0);
    ck_assert_int_eq(atomic_load(&cuts), 0);
    http_watch_remove(w, c);
    close(sfd);
    close(cfd);
    close(lfd);
    close_pair(p);
    http_watch_stop(w);
}
END_TEST

START_TEST(stop_frees_what_is_left)
{
    struct http_watch *w = start();
    struct pair p = make_pair();

    http_watch_add(w, p.server);
    http_watch_add(w, p.client);
    http_watch_stop(w); /* LeakSanitizer checks the two entries are freed */
    http_watch_stop(NULL);
    close_pair(p);
}
END_TEST

static Suite *http_watch_suite(void)
{
    Suite *s = suite_create("http_watch");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, late_headers_are_cut);
    tcase_add_test(tc, late_body_is_cut);
    tcase_add_test(tc, read_requests_are_left_alone);
    tcase_add_test(tc, done_restarts_the_clock);
    tcase_add_test(tc, removed_are_never_cut);
    tcase_add_test(tc, reused_descriptor_is_spared);
    tcase_add_test(tc, stop_frees_what_is_left);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(http_watch_suite)
