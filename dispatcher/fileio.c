/*
 * fileio.c - bounded whole-file reads and secret-file reads.  It does not
 * interpret what it reads (UTF-8, syntax): callers do.
 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

int fileio_read(const char *path, size_t max, const char *what, struct buf *out, struct mo_err *err)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    char chunk[8192];
    size_t n;
    int rc = 0;

    buf_init(out, max);
    if (what == NULL)
        what = "file";
    if (f == NULL)
        return mo_err_set(err, MO_E_NOINPUT, "cannot read %s '%s': %s", what, path,
                          strerror(errno));
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (buf_add(out, chunk, n) < 0) {
            rc = mo_err_set(err, MO_E_INPUT, "%s '%s' is larger than %zu bytes", what, path, max);
            break;
        }
    if (rc == 0 && ferror(f))
        rc = mo_err_set(err, MO_E_NOINPUT, "cannot read %s '%s': read error", what, path);
    if (!is_stdin)
        fclose(f);
    return rc;
}

/* Opens a secret file for reading: a regular file only its owner may read.
 * The descriptor, or -1 with err naming the file and the key. */
static int open_secret(const char *path, const char *key, struct mo_err *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

    if (fd < 0)
        return mo_err_set(err, MO_E_NOINPUT, "cannot read '%s': %s (key %s)", path, strerror(errno),
                          key);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mo_err_set(err, MO_E_INPUT, "'%s' is not a regular file (key %s)", path, key);
    }
    if (st.st_mode & 077) {
        close(fd);
        return mo_err_set(err, MO_E_INPUT,
                          "'%s' is readable by group or others: chmod 600 it (key %s)", path, key);
    }
    return fd;
}

int fileio_read_secret(const char *path, const char *key, char *out, size_t n, struct mo_err *err)
{
    char line[1024];
    FILE *f;
    int fd, rc = 0;

    if (n == 0)
        return mo_err_set(err, MO_E_INTERNAL, "fileio_read_secret: no room");
    out[0] = '\0';
    if ((fd = open_secret(path, key, err)) < 0)
        return -1;
    f = fdopen(fd, "r");
    if (f == NULL) {
        close(fd);
        return mo_err_set(err, MO_E_NOINPUT, "cannot read '%s': %s (key %s)", path, strerror(errno),
                          key);
    }
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    size_t len = strlen(line);
    if (len >= n)
        rc = mo_err_set(err, MO_E_INPUT, "'%s' holds a line longer than %zu bytes (key %s)", path,
                        n - 1, key);
    else
        memcpy(out, line, len + 1);
    OPENSSL_cleanse(line, sizeof(line));
    return rc;
}

int fileio_read_secret_file(const char *path, const char *key, size_t max, struct buf *out,
                            struct mo_err *err)
{
    char chunk[4096];
    ssize_t n;
    int fd, rc = 0;

    buf_init(out, max);
    if ((fd = open_secret(path, key, err)) < 0)
        return -1;
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = mo_err_set(err, MO_E_NOINPUT, "cannot read '%s': %s (key %s)", path,
                            strerror(errno), key);
            break;
        }
        if (buf_add(out, chunk, (size_t)n) < 0) {
            rc = mo_err_set(err, MO_E_INPUT, "'%s' is larger than %zu bytes (key %s)", path, max,
                            key);
            break;
        }
    }
    OPENSSL_cleanse(chunk, sizeof(chunk));
    close(fd);
    return rc;
}

int fileio_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}
