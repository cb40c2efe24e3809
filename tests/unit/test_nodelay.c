/*
 * test_nodelay.c - connect() in libmailout (dispatcher/nodelay.c) sets
 * TCP_NODELAY on TCP sockets, blocking or not, keeps connect()'s result and
 * errno, leaves other sockets alone, and MAILOUT_NO_NODELAY switches it off.
 */
#include "nodelay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check_tap.h"

/* A listener on 127.0.0.1 (port chosen by the kernel); its address in *sa. */
static int listener(struct sockaddr_in *sa)
{
    socklen_t len = sizeof(*sa);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(l, 0);
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(l, (struct sockaddr *)sa, sizeof(*sa)), 0);
    ck_assert_int_eq(listen(l, 4), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)sa, &len), 0);
    return l;
}

static int nodelay_of(int fd)
{
    int v = -1;
    socklen_t len = sizeof(v);
    ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
    return v;
}

START_TEST(blocking_tcp_connect_sets_nodelay)
{
    struct sockaddr_in sa;
    int l = listener(&sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(nodelay_of(fd), 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(nodelay_of(fd), 1);
    close(fd);
    close(l);
}
END_TEST

START_TEST(nonblocking_connect_sets_nodelay)
{
    struct sockaddr_in sa;
    int l = listener(&sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    ck_assert(rc == 0 || errno == EINPROGRESS);
    ck_assert_int_eq(nodelay_of(fd), 1);
    close(fd);
    close(l);
}
END_TEST

START_TEST(ipv6_connect_sets_nodelay)
{
    struct sockaddr_in6 sa;
    socklen_t len = sizeof(sa);
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    if (l < 0)
        return; /* no IPv6 here */
    memset(&sa, 0, sizeof(sa));
    sa.sin6_family = AF_INET6;
    sa.sin6_addr = in6addr_loopback;
    if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(l);
        return; /* no ::1 here */
    }
    ck_assert_int_eq(listen(l, 4), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(nodelay_of(fd), 1);
    close(fd);
    close(l);
}
END_TEST

START_TEST(refused_connect_keeps_result_and_errno)
{
    struct sockaddr_in sa;
    int l = listener(&sa);
    close(l); /* nobody listens on that port now */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), -1);
    ck_assert_int_eq(errno, ECONNREFUSED);
    close(fd);
}
END_TEST

START_TEST(other_sockets_left_alone)
{
    struct sockaddr_in sa;
    int l = listener(&sa);
    /* UDP: connect works, no TCP option to set */
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    ck_assert_int_eq(connect(u, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(u);
    /* AF_UNIX stream to a missing path: the error comes back unchanged */
    struct sockaddr_un un;
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    strcpy(un.sun_path, "/nonexistent/mailout-test.sock");
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    errno = 0;
    ck_assert_int_eq(connect(s, (struct sockaddr *)&un, sizeof(un)), -1);
    ck_assert_int_eq(errno, ENOENT);
    close(s);
    close(l);
}
END_TEST

START_TEST(switched_off_by_environment)
{
    struct sockaddr_in sa;
    int l = listener(&sa);
    ck_assert_int_eq(setenv("MAILOUT_NO_NODELAY", "1", 1), 0);
    ck_assert_int_eq(nodelay_enabled(), 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(nodelay_of(fd), 0);
    close(fd);
    ck_assert_int_eq(setenv("MAILOUT_NO_NODELAY", "0", 1), 0);
    ck_assert_int_eq(nodelay_enabled(), 1);
    ck_assert_int_eq(unsetenv("MAILOUT_NO_NODELAY"), 0);
    close(l);
}
END_TEST

static Suite *nodelay_suite(void)
{
    Suite *s = suite_create("nodelay");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, blocking_tcp_connect_sets_nodelay);
    tcase_add_test(tc, nonblocking_connect_sets_nodelay);
    tcase_add_test(tc, ipv6_connect_sets_nodelay);
    tcase_add_test(tc, refused_connect_keeps_result_and_errno);
    tcase_add_test(tc, other_sockets_left_alone);
    tcase_add_test(tc, switched_off_by_environment);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(nodelay_suite)
