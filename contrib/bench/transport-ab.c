/*
 * transport-ab.c - measuring aid for contrib/bench/nodelay.sh (not part of
 * mailout): sends N messages of about SIZE bytes through mailout's own SMTP
 * transport (transport_send(), libESMTP, the connect() of nodelay.c), in
 * sessions of BATCH messages, to smtp://HOST:PORT; prints the wall time.
 *
 *   transport-ab HOST:PORT N SIZE BATCH
 *
 * MAILOUT_NO_NODELAY=1 switches TCP_NODELAY off for the other half of the A/B.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "transport.h"
#include "xalloc.h"

int main(int argc, char **argv)
{
    struct config cfg;
    struct mo_err err;
    char conf[512];

    if (argc != 5) {
        fprintf(stderr, "usage: transport-ab HOST:PORT N SIZE BATCH\n");
        return 64;
    }
    long n = atol(argv[2]), size = atol(argv[3]), batch = atol(argv[4]);
    if (n < 1 || size < 200 || batch < 1) {
        fprintf(stderr, "transport-ab: N >= 1, SIZE >= 200, BATCH >= 1\n");
        return 64;
    }
    mo_err_init(&err);
    int w = snprintf(conf, sizeof(conf), "transport = smtp://%s\nsmtp_starttls = off\n", argv[1]);
    if (w < 0 || (size_t)w >= sizeof(conf) ||
        config_load_string(&cfg, "transport-ab", conf, &err) < 0) {
        fprintf(stderr, "transport-ab: %s\n", err.msg);
        return 64;
    }
    struct transport *t = transport_new(&cfg, &err);
    if (t == NULL) {
        fprintf(stderr, "transport-ab: %s\n", err.msg);
        return 69;
    }
    /* one message, about size bytes: headers, then 76-character lines */
    struct buf m;
    buf_init(&m, 0);
    if (buf_puts(&m, "From: bench@example.com\r\nTo: rcpt@example.com\r\n"
                     "Subject: transport A/B\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n"
                     "Message-ID: <ab@example.com>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=us-ascii\r\n\r\n") < 0)
        return 70;
    while (m.len + 78 <= (size_t)size)
        if (buf_puts(&m, "0123456789012345678901234567890123456789012345678901234567890123456"
                         "789012345\r\n") < 0)
            return 70;
    struct transport_msg *msgs = xcalloc((size_t)batch, sizeof(*msgs));
    long delivered = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (long done = 0; done < n;) {
        size_t k = (size_t)(n - done < batch ? n - done : batch);
        for (size_t i = 0; i < k; i++) {
            msgs[i].envelope_from = "bench@example.com";
            msgs[i].rcpt = "rcpt@example.com";
            msgs[i].data = m.s;
            msgs[i].len = m.len;
        }
        if (transport_send(t, msgs, k, &err) < 0) {
            fprintf(stderr, "transport-ab: %s\n", err.msg);
            return 69;
        }
        for (size_t i = 0; i < k; i++)
            delivered += msgs[i].delivered;
        done += (long)k;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%ld of %ld delivered, %zu bytes each, %.3f s, %.0f msg/s\n", delivered, n, m.len, s,
           (double)n / s);
    free(msgs);
    buf_release(&m);
    transport_free(t);
    config_release(&cfg);
    return delivered == n ? 0 : 75;
}
