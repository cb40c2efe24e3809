/*
 * test_doctor.c - doctor's comparison of a DKIM TXT record with our key, on
 * record strings as providers publish them, and the report's levels.
 */
#include "doctor.h"

#include <stdio.h>
#include <string.h>

#include "check_tap.h"

/* An RSA-2048 SubjectPublicKeyInfo (base64) and an Ed25519 key, both only test values. */
#define RSA_P                                                                                       \
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmZMk9uuziHhAejAFR6XiOmsw2v1u5nEkFQTO/fs16jM/"      \
    "GSzHMEecC4bs43xT5RbcOOWwy/xuG5k2ALpvy1gqRousugusd4igNgqESk+gP7Iv0JSYiWdU4OyYvlw82oXx3L6ww0tz"  \
    "Z9lSDloj0u2aJFH1047i4l9fJtyoaMkMAu4kHdCKSE/9SuhpEGyqlK0KTSKkJEC9YKIuADHZ6EA/"                  \
    "c74CdTSDmaLcKIfLME9iIp+ltxGsoLdDSOjh35Q7nx0Fe1OJSADk/HWxw1NaKqLpA2Hl54MoOa+Nw13ZMHtRO8wMGK8eX" \
    "ln28V9MoO5G5u4UOhMnVy4vMfURYAB4uWzSHQIDAQAB"
#define ED_P "rnbJu2jPPvkZEqyz2ykLQAfHTaV3vpQe7oHwAuPWMx0="

static const struct {
    const char *txt;
    const char *type;
    int match;
    const char *why; /* substring of the reason when not */
} cases[] = {
    /* what `opendkim-genkey` writes (h=sha256 and the strings joined) */
    {"v=DKIM1; h=sha256; k=rsa; p=" RSA_P, "rsa", 1, NULL},
    /* Google Workspace style: no spaces */
    {"v=DKIM1;k=rsa;p=" RSA_P, "rsa", 1, NULL},
    /* no v=, no k= (rsa is the default), t=y testing */
    {"t=y; p=" RSA_P, "rsa", 1, NULL},
    /* spaces inside p= where a provider's UI split the strings, and a trailing ';' */
    {"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAmZMk9uuziHhAejAFR6XiOmsw2v1u5nEk"
     "FQTO/fs16jM/ "
     "GSzHMEecC4bs43xT5RbcOOWwy/xuG5k2ALpvy1gqRousugusd4igNgqESk+gP7Iv0JSYiWdU4OyYvlw82oXx3L6ww0tz"
     "Z9lSDloj0u2aJFH1047i4l9fJtyoaMkMAu4kHdCKSE/9SuhpEGyqlK0KTSKkJEC9YKIuADHZ6EA/ "
     "c74CdTSDmaLcKIfLME9iIp+ltxGsoLdDSOjh35Q7nx0Fe1OJSADk/HWxw1NaKqLpA2Hl54MoOa+Nw13ZMHtRO8wMGK8eX"
     "ln28V9MoO5G5u4UOhMnVy4vMfURYAB4uWzSHQIDAQAB;",
     "rsa", 1, NULL},
    /* s=email and s=* */
    {"v=DKIM1; k=rsa; s=email; p=" RSA_P, "rsa", 1, NULL},
    {"v=DKIM1; s=*; p=" RSA_P, "rsa", 1, NULL},
    /* RFC 8463 section 3 style Ed25519 record */
    {"v=DKIM1; k=ed25519; p=" ED_P, "ed25519", 1, NULL},
    {"v=DKIM1; k=ed25519; p=" ED_P, "rsa", 0, "k=ed25519"},
    {"v=DKIM1; p=" ED_P, "ed25519", 0, "k=rsa"},
    /* revoked */
    {"v=DKIM1; k=rsa; p=", "rsa", 0, "revoked"},
    {"v=DKIM1; k=rsa", "rsa", 0, "no p= tag"},
    {"v=DKIM2; k=rsa; p=" RSA_P, "rsa", 0, "not DKIM1"},
    {"v=DKIM1; h=sha1; k=rsa; p=" RSA_P, "rsa", 0, "sha256"},
    {"v=DKIM1; k=rsa; s=tlsrpt; p=" RSA_P, "rsa", 0, "email"},
    /* another key: the last characters differ */
    {"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC7", "rsa", 0, "another key"},
};

START_TEST(txt_match)
{
    char why[256] = "";
    const char *ours = strcmp(cases[_i].type, "rsa") == 0 ? RSA_P : ED_P;
    int m = doctor_dkim_txt_match(cases[_i].txt, cases[_i].type, ours, why, sizeof(why));
    ck_assert_msg(m == cases[_i].match, "case %d: got %d (%s)", _i, m, why);
    if (cases[_i].why)
        ck_assert_msg(strstr(why, cases[_i].why), "case %d: '%s'", _i, why);
}
END_TEST

START_TEST(report_levels)
{
    struct doctor_report r;
    doctor_report_init(&r);
    doctor_add(&r, DOCTOR_OK, "config", "fine");
    doctor_add(&r, DOCTOR_WARNING, "dns", "no SPF record for %s", "shop.example");
    ck_assert_int_eq(doctor_blocked(&r), 0);
    doctor_add(&r, DOCTOR_ERROR, "dkim", "bad\nkey");
    ck_assert_int_eq(doctor_blocked(&r), 1);
    ck_assert_uint_eq(r.n, 3);
    ck_assert_str_eq(r.items[1].text, "no SPF record for shop.example");
    ck_assert_str_eq(r.items[2].text, "bad\\nkey"); /* one line, always */
    ck_assert_str_eq(doctor_level_name(r.items[2].level), "error");
    doctor_report_release(&r);
}
END_TEST

START_TEST(relay_not_hostport)
{
    struct doctor_report r;
    doctor_report_init(&r);
    doctor_check_relay("no-port", 100, &r);
    ck_assert_uint_eq(r.n, 1);
    ck_assert_int_eq(r.items[0].level, DOCTOR_ERROR);
    ck_assert_str_eq(r.items[0].text, "relay 'no-port' is not HOST:PORT");
    doctor_report_release(&r);
}
END_TEST

static Suite *doctor_suite(void)
{
    Suite *s = suite_create("doctor");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, txt_match, 0, (int)(sizeof(cases) / sizeof(cases[0])));
    tcase_add_test(tc, report_levels);
    tcase_add_test(tc, relay_not_hostport);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(doctor_suite)
