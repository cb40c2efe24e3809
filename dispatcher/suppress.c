/*
 * suppress.c - suppression key handling and lookups.  Adding entries
 * (erasure, bounces, complaints) belongs to those modules.
 */
#include "suppress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto.h"

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int create_key(const char *path, struct mo_err *err)
{
    unsigned char raw[SUPPRESS_KEY_BYTES];
    char hex[2 * SUPPRESS_KEY_BYTES + 2];
    static const char digits[] = "0123456789abcdef";
    int fd;

    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return mo_err_set(err, MO_E_INTERNAL, "getrandom failed");
    for (size_t i = 0; i < sizeof(raw); i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 15];
    }
    hex[2 * SUPPRESS_KEY_BYTES] = '\n';
    hex[2 * SUPPRESS_KEY_BYTES + 1] = '\0';
    OPENSSL_cleanse(raw, sizeof(raw));
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return 0; /* someone else created it meanwhile */
        return mo_err_set(err, MO_E_INPUT, "cannot create '%s': %s (key suppression_key_file)",
                          path, strerror(errno));
    }
    ssize_t w = write(fd, hex, strlen(hex));
    int bad = w != (ssize_t)strlen(hex) || fsync(fd) < 0;
    close(fd);
    OPENSSL_cleanse(hex, sizeof(hex));
    if (bad)
        return mo_err_set(err, MO_E_INPUT, "cannot write '%s' (key suppression_key_file)", path);
    return 0;
}

int suppress_key_load(const struct config *cfg, struct suppress_key *k, struct mo_err *err)
{
    const char *path = cfg->suppression_key_file;
    char line[256];
    struct stat st;
    FILE *f;

    if (*path == '\0')
        return mo_err_set(err, MO_E_USAGE, "suppression_key_file is not set");
    if (access(path, F_OK) < 0 && create_key(path, err) < 0)
        return -1;
    f = fopen(path, "r");
    if (f == NULL)
        return mo_err_set(err, MO_E_INPUT, "cannot read '%s': %s (key suppression_key_file)", path,
                          strerror(errno));
    if (fstat(fileno(f), &st) < 0 || (st.st_mode & 077)) {
        fclose(f);
        return mo_err_set(err, MO_E_INPUT,
                          "'%s' is readable by group or others: chmod 600 it (key "
                          "suppression_key_file)",
                          path);
    }
    if (fgets(line, sizeof(line), f) == NULL)
        line[0] = '\0';
    fclose(f);
    line[strcspn(line, "\r\n")] = '\0';
    if (strlen(line) != 2 * SUPPRESS_KEY_BYTES) {
        OPENSSL_cleanse(line, sizeof(line));
        return mo_err_set(err, MO_E_INPUT,
                          "'%s' does not hold a 64-digit hex key (key suppression_key_file)", path);
    }
    for (size_t i = 0; i < SUPPRESS_KEY_BYTES; i++) {
        int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(line, sizeof(line));
            return mo_err_set(err, MO_E_INPUT,
                              "'%s' does not hold a 64-digit hex key (key suppression_key_file)",
                              path);
        }
        k->key[i] = (unsigned char)(hi << 4 | lo);
    }
    OPENSSL_cleanse(line, sizeof(line));
    return 0;
}

void suppress_hash(const struct suppress_key *k, const char *norm, char out[65])
{
    crypto_hmac_sha256_hex(k->key, sizeof(k->key), norm, strlen(norm), out);
}

int suppress_check(struct db *db, const struct suppress_key *k, const char *norm,
                   struct mo_err *err)
{
    char h[65];
    suppress_hash(k, norm, h);
    const char *p[] = {h};
    PGresult *r = db_exec(db, Q_SUPPRESSION_CHECK, p, 1, err);
    if (r == NULL)
        return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found;
}
