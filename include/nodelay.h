/*
 * nodelay.h - TCP_NODELAY on the sockets libESMTP connects.
 *
 * libESMTP writes a message body in 2 KB pieces and never sets TCP_NODELAY:
 * the last partial piece waits for the relay's delayed ACK, ~44 ms on every
 * message over ~2 KB (BENCH.md section 2).  It has no socket-option API, so
 * nodelay.c defines connect() in the program: libesmtp.so's call resolves to
 * it, it calls the C library's connect() and then sets TCP_NODELAY on TCP
 * sockets (AF_INET/AF_INET6, SOCK_STREAM), whether the connect returned 0 or
 * EINPROGRESS; errno and the result are those of the real call.  Every other
 * socket is left alone.  MAILOUT_NO_NODELAY=1 in the environment switches it
 * off (for benchmarks).
 */
#ifndef MAILOUT_NODELAY_H
#define MAILOUT_NODELAY_H

/* 1 unless MAILOUT_NO_NODELAY is set to a non-empty value other than "0".
 * transport_smtp.c calls it, which also links nodelay.o into the program. */
int nodelay_enabled(void);

#endif
