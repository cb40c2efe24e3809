/* test_crypto.c - SHA-256, HMAC (known answers) and tokens. */
#include "crypto.h"

#include <string.h>

#include "check_tap.h"

START_TEST(sha256_known_answer)
{
    char out[65];
    crypto_sha256_hex("abc", 3, out);
    ck_assert_str_eq(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(hmac_known_answer)
{
    /* RFC 4231 test case 2 */
    char out[65];
    crypto_hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out);
    ck_assert_str_eq(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}
END_TEST

START_TEST(hmac_raw_encodes_as_token)
{
    /* RFC 4231 test case 2 again, as raw bytes encoded base64url without padding */
    unsigned char raw[CRYPTO_TOKEN_BYTES];
    char tok[CRYPTO_TOKEN_LEN + 1];
    crypto_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, raw);
    crypto_token_encode(raw, tok);
    ck_assert_str_eq(tok, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
    ck_assert(crypto_token_wellformed(tok));
}
END_TEST

START_TEST(tokens_are_random_and_wellformed)
{
    char a[CRYPTO_TOKEN_LEN + 1], b[CRYPTO_TOKEN_LEN + 1];
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(crypto_random_token(a, &e), 0);
    ck_assert_int_eq(crypto_random_token(b, &e), 0);
    ck_assert_uint_eq(strlen(a), 43);
    ck_assert_str_ne(a, b);
    ck_assert(crypto_token_wellformed(a));
    ck_assert(!crypto_token_wellformed("short"));
    a[5] = '/';
    ck_assert(!crypto_token_wellformed(a));
}
END_TEST

static Suite *crypto_suite(void)
{
    Suite *s = suite_create("crypto");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, sha256_known_answer);
    tcase_add_test(tc, hmac_known_answer);
    tcase_add_test(tc, hmac_raw_encodes_as_token);
    tcase_add_test(tc, tokens_are_random_and_wellformed);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(crypto_suite)
