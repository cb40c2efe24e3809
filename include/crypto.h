/*
 * crypto.h - hashes, keyed hashes and random tokens (OpenSSL, getrandom()).
 *
 * Nothing here is hand-written cryptography: SHA-256 and HMAC come from
 * OpenSSL's libcrypto, randomness from the kernel's CSPRNG.
 */
#ifndef MAILOUT_CRYPTO_H
#define MAILOUT_CRYPTO_H

#include <stddef.h>

#include "err.h"

#define CRYPTO_SHA256_HEX_LEN 64
#define CRYPTO_TOKEN_BYTES    32
/* base64url of 32 bytes without padding */
#define CRYPTO_TOKEN_LEN 43

/* Writes the lower-case hex SHA-256 of data into out (65 bytes). */
void crypto_sha256_hex(const void *data, size_t len, char out[CRYPTO_SHA256_HEX_LEN + 1]);
/* Writes the lower-case hex HMAC-SHA-256 of data under key into out (65 bytes). */
void crypto_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                            char out[CRYPTO_SHA256_HEX_LEN + 1]);
/* Writes the raw HMAC-SHA-256 (32 bytes) of data under key into out. */
void crypto_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                        unsigned char out[CRYPTO_TOKEN_BYTES]);
/* Writes 32 bytes as a token: base64url without padding, 43 characters and a NUL. */
void crypto_token_encode(const unsigned char raw[CRYPTO_TOKEN_BYTES],
                         char out[CRYPTO_TOKEN_LEN + 1]);
/*
 * Fills out (44 bytes) with a fresh token: 32 bytes from getrandom(),
 * base64url without padding.  -1 with err if the kernel gives too few bytes.
 */
int crypto_random_token(char out[CRYPTO_TOKEN_LEN + 1], struct mo_err *err);
/* 1 if s is exactly CRYPTO_TOKEN_LEN base64url characters, else 0. */
int crypto_token_wellformed(const char *s);
/* Constant-time comparison of n bytes; 1 when equal. */
int crypto_equal(const void *a, const void *b, size_t n);

#endif
