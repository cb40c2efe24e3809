/*
 * nodelay.c - connect() with TCP_NODELAY for libESMTP's sockets (see
 * nodelay.h).  This object must be linked into the executable: a connect()
 * defined there is the one every shared library (libesmtp.so) binds to.
 */
#include "nodelay.h"

#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#ifndef RTLD_NEXT /* glibc declares it only with _GNU_SOURCE */
#define RTLD_NEXT ((void *)-1L)
#endif

typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);

int nodelay_enabled(void)
{
    const char *off = getenv("MAILOUT_NO_NODELAY");
    return off == NULL || *off == '\0' || strcmp(off, "0") == 0;
}

/* Only TCP: AF_INET/AF_INET6 and SOCK_STREAM. */
static void set_nodelay(int fd, const struct sockaddr *addr)
{
    int type = 0, one = 1;
    socklen_t len = sizeof(type);

    if (addr == NULL || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
        return;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
        return;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int connect(int fd, const struct sockaddr *addr, socklen_t addrlen)
{
    connect_fn real;
    void *sym = dlsym(RTLD_NEXT, "connect");
    int rc, saved;

    if (sym == NULL) {
        errno = ENOSYS;
        return -1;
    }
    memcpy(&real, &sym, sizeof(real)); /* object to function pointer, as POSIX allows */
    rc = real(fd, addr, addrlen);
    saved = errno;
    if ((rc == 0 || saved == EINPROGRESS) && nodelay_enabled())
        set_nodelay(fd, addr);
    errno = saved;
    return rc;
}
