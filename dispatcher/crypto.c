/*
 * crypto.c - thin wrappers over libcrypto and getrandom().
 */
#include "crypto.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    to_hex(md, mdlen, out);
}

void crypto_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                            char out[CRYPTO_SHA256_HEX_LEN + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen);
    to_hex(md, mdlen, out);
}

void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        unsigned char out[CRYPTO_TOKEN_BYTES])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &mdlen);
    memcpy(out, md, CRYPTO_TOKEN_BYTES);
    OPENSSL_cleanse(md, sizeof(md));
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void crypto_token_encode(const unsigned char raw[CRYPTO_TOKEN_BYTES],
                         char out[CRYPTO_TOKEN_LEN + 1])
{
    size_t o = 0;

    /* 32 bytes = 10 groups of 3 bytes (40 chars) + 2 bytes (3 chars) */
    for (size_t i = 0; i + 2 < CRYPTO_TOKEN_BYTES; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = b64url[(v >> 18) & 63];
        out[o++] = b64url[(v >> 12) & 63];
        out[o++] = b64url[(v >> 6) & 63];
        out[o++] = b64url[v & 63];
    }
    unsigned v = (unsigned)raw[30] << 16 | (unsigned)raw[31] << 8;
    out[o++] = b64url[(v >> 18) & 63];
    out[o++] = b64url[(v >> 12) & 63];
    out[o++] = b64url[(v >> 6) & 63];
    out[o] = '\0';
}

int crypto_random_token(char out[CRYPTO_TOKEN_LEN + 1], struct mo_err *err)
{
    unsigned char raw[CRYPTO_TOKEN_BYTES];
    size_t got = 0;

    while (got < CRYPTO_TOKEN_BYTES) {
        ssize_t n = getrandom(raw + got, CRYPTO_TOKEN_BYTES - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return mo_err_set(err, MO_E_INTERNAL, "getrandom failed: %s", strerror(errno));
        }
        got += (size_t)n;
    }
    crypto_token_encode(raw, out);
    OPENSSL_cleanse(raw, sizeof(raw));
    return 0;
}

int crypto_token_wellformed(const char *s)
{
    size_t n = strspn(s, b64url);
    return n == CRYPTO_TOKEN_LEN && s[n] == '\0';
}

int crypto_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}
