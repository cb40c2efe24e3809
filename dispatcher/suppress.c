/*
 * suppress.c - the suppression key: creating it once, loading it, and
 * checking it against the fingerprint the database keeps; hashing and
 * lookups.  Adding entries (erasure, bounces, complaints) belongs to those
 * modules; filling contacts.addr_hmac belongs to contact.c.
 */
#include "suppress.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "crypto.h"
#include "fileio.h"

static const char fingerprint_label[] = "mailout suppression key fingerprint v1";

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
        OPENSSL_cleanse(hex, sizeof(hex));
        if (errno == EEXIST)
            return 0; /* someone else created it meanwhile */
        return mo_err_set(err, MO_E_INPUT, "cannot create '%s': %s (key suppression_key_file)",
                          path, strerror(errno));
    }
    ssize_t w = write(fd, hex, strlen(hex));
    int bad = w != (ssize_t)strlen(hex) || fsync(fd) < 0;
    close(fd);
    OPENSSL_cleanse(hex, sizeof(hex));
    if (bad) {
        unlink(path);
        return mo_err_set(err, MO_E_INPUT, "cannot write '%s' (key suppression_key_file)", path);
    }
    return 0;
}

static int read_key(const char *path, struct suppress_key *k, struct mo_err *err)
{
    char line[2 * SUPPRESS_KEY_BYTES + 2];
    int rc = 0;

    if (fileio_read_secret(path, "suppression_key_file", line, sizeof(line), err) < 0)
        return -1;
    if (strlen(line) != 2 * SUPPRESS_KEY_BYTES)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < SUPPRESS_KEY_BYTES; i++) {
        int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
        if (hi < 0 || lo < 0)
            rc = -1;
        else
            k->key[i] = (unsigned char)(hi << 4 | lo);
    }
    OPENSSL_cleanse(line, sizeof(line));
    if (rc < 0) {
        OPENSSL_cleanse(k->key, sizeof(k->key));
        return mo_err_set(err, MO_E_INPUT,
                          "'%s' does not hold a 64-digit hex key (key suppression_key_file)", path);
    }
    return 0;
}

/* The stored fingerprint into fp (65 bytes, "" when none); -1 with err. */
static int stored_fingerprint(struct db *db, char fp[65], struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_SUPPRESSION_KEY_GET, NULL, 0, err);
    if (r == NULL)
        return -1;
    snprintf(fp, 65, "%s", PQntuples(r) ? db_val(r, 0, "fingerprint") : ""); /* 64 hex digits */
    PQclear(r);
    return 0;
}

int suppress_key_load(struct db *db, const struct config *cfg, struct suppress_key *k,
                      struct mo_err *err)
{
    const char *path = cfg->suppression_key_file;
    char stored[65], fp[65];

    if (*path == '\0')
        return mo_err_set(err, MO_E_USAGE, "suppression_key_file is not set");
    if (stored_fingerprint(db, stored, err) < 0)
        return -1;
    if (!fileio_exists(path)) {
        if (*stored)
            return mo_err_set(err, MO_E_UNAVAILABLE,
                              "suppression key '%s' is missing (key suppression_key_file): the "
                              "database holds the fingerprint of the key already used, so a new "
                              "key will not be created; restore the file",
                              path);
        if (create_key(path, err) < 0)
            return -1;
    }
    if (read_key(path, k, err) < 0)
        return -1;
    suppress_fingerprint(k, fp);
    if (*stored == '\0') {
        const char *p[] = {fp};
        PGresult *r = db_exec(db, Q_SUPPRESSION_KEY_RECORD, p, 1, err);
        if (r == NULL)
            goto fail;
        int recorded = PQntuples(r) > 0;
        PQclear(r);
        /* another process recorded its key first: ours must be that one */
        if (!recorded && stored_fingerprint(db, stored, err) < 0)
            goto fail;
        if (recorded)
            snprintf(stored, sizeof(stored), "%s", fp);
    }
    if (strcmp(stored, fp) != 0) {
        mo_err_set(err, MO_E_UNAVAILABLE,
                   "suppression key '%s' is not the key already used (key suppression_key_file): "
                   "its fingerprint differs from the one in the database, so it will not be used "
                   "and a new key will not be created; restore the original file",
                   path);
        goto fail;
    }
    return 0;
fail:
    OPENSSL_cleanse(k->key, sizeof(k->key));
    return -1;
}

void suppress_hash(const struct suppress_key *k, const char *norm, char out[65])
{
    crypto_hmac_sha256_hex(k->key, sizeof(k->key), norm, strlen(norm), out);
}

void suppress_fingerprint(const struct suppress_key *k, char out[65])
{
    crypto_hmac_sha256_hex(k->key, sizeof(k->key), fingerprint_label, sizeof(fingerprint_label) - 1,
                           out);
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

int suppress_add(struct db *db, const char *addr_hmac, long long contact_id, const char *reason,
                 int *added, struct mo_err *err)
{
    char cid[24];
    const char *p[] = {addr_hmac, reason, NULL};
    PGresult *r;
    int n;

    if (contact_id > 0) {
        snprintf(cid, sizeof(cid), "%lld", contact_id);
        p[2] = cid;
    }
    if ((r = db_exec(db, Q_SUPPRESSION_ADD, p, 3, err)) == NULL)
        return -1;
    n = PQntuples(r);
    PQclear(r);
    if (added)
        *added = n > 0;
    return 0;
}
