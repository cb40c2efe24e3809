/*
 * transport_maildir.c - writes each message as one file into a Maildir
 * (DIR/tmp, then renamed into DIR/new), the way a delivery agent does.
 * Line ends become LF, as is usual for files in a Maildir.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "transport_impl.h"
#include "xalloc.h"

struct maildir {
    struct transport base;
    char *dir;
    unsigned long seq;
};

static int mkdir_p(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (rc == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static int deliver(struct maildir *md, struct transport_msg *m, struct mo_err *err)
{
    char name[200], host[64], rnd[CRYPTO_TOKEN_LEN + 1];
    char tmp[4400], dst[4400];
    struct timeval tv;
    struct buf out;
    int fd = -1;

    if (crypto_random_token(rnd, err) < 0)
        return -1;
    gettimeofday(&tv, NULL);
    if (gethostname(host, sizeof(host)) < 0 || strpbrk(host, "/:"))
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    snprintf(name, sizeof(name), "%lld.M%ldP%dQ%lu_%.10s.%s", (long long)tv.tv_sec,
             (long)tv.tv_usec, (int)getpid(), ++md->seq, rnd, host);
    if (snprintf(tmp, sizeof(tmp), "%s/tmp/%s", md->dir, name) >= (int)sizeof(tmp) ||
        snprintf(dst, sizeof(dst), "%s/new/%s", md->dir, name) >= (int)sizeof(dst))
        return mo_err_set(err, MO_E_UNAVAILABLE, "Maildir path too long: '%s'", md->dir);

    buf_init(&out, 0);
    buf_printf(&out, "Return-Path: <%s>\n", m->envelope_from);
    for (size_t i = 0; i < m->len; i++) {
        if (m->data[i] == '\r' && i + 1 < m->len && m->data[i + 1] == '\n')
            continue;
        buf_putc(&out, m->data[i]);
    }
    if (out.len && out.s[out.len - 1] != '\n')
        buf_putc(&out, '\n');
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0 || write_all(fd, out.s, out.len) < 0 || fsync(fd) < 0) {
        int e = errno;
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        buf_release(&out);
        return mo_err_set(err, MO_E_UNAVAILABLE, "cannot write '%s': %s", tmp, strerror(e));
    }
    close(fd);
    buf_release(&out);
    if (rename(tmp, dst) < 0) {
        int e = errno;
        unlink(tmp);
        return mo_err_set(err, MO_E_UNAVAILABLE, "cannot move '%s' into new/: %s", tmp,
                          strerror(e));
    }
    m->delivered = 1;
    m->code = 250;
    snprintf(m->reply, sizeof(m->reply), "new/%s", name);
    return 0;
}

static int maildir_send(struct transport *t, struct transport_msg *msgs, size_t n,
                        struct mo_err *err)
{
    struct maildir *md = (struct maildir *)t;
    for (size_t i = 0; i < n; i++)
        if (deliver(md, &msgs[i], err) < 0)
            return -1;
    return 0;
}

static void maildir_free(struct transport *t)
{
    struct maildir *md = (struct maildir *)t;
    free(md->dir);
    free(md);
}

static const struct transport_ops maildir_ops = {maildir_send, maildir_free};

struct transport *transport_maildir_new(const struct config *cfg, struct mo_err *err)
{
    const char *dir = cfg->transport_target;
    static const char *const sub[] = {"tmp", "new", "cur"};

    if (mkdir_p(dir) < 0) {
        mo_err_set(err, MO_E_UNAVAILABLE, "cannot create Maildir '%s': %s", dir, strerror(errno));
        return NULL;
    }
    for (size_t i = 0; i < 3; i++) {
        char p[4200];
        if (snprintf(p, sizeof(p), "%s/%s", dir, sub[i]) >= (int)sizeof(p)) {
            mo_err_set(err, MO_E_UNAVAILABLE, "Maildir path too long: '%s'", dir);
            return NULL;
        }
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            mo_err_set(err, MO_E_UNAVAILABLE, "cannot create '%s': %s", p, strerror(errno));
            return NULL;
        }
    }
    struct maildir *md = xcalloc(1, sizeof(*md));
    md->base.ops = &maildir_ops;
    md->dir = xstrdup(dir);
    snprintf(md->base.describe, sizeof(md->base.describe), "maildir %s", dir);
    return &md->base;
}
