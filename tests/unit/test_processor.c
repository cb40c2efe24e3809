/* test_processor.c - host normalisation and the residency decision (R-GDPR-15). */
#include "processor.h"

#include <string.h>

#include "check_tap.h"

static const struct {
    const char *in, *out; /* out NULL: refused */
} hosts[] = {
    {"smtp.relay.example", "smtp.relay.example"},
    {"SMTP.Relay.Example.", "smtp.relay.example"},
    {"localhost", "localhost"},
    {"192.0.2.1", "192.0.2.1"},
    {"[2001:DB8::1]", "2001:db8::1"},
    {"2001:0db8:0:0::1", "2001:db8::1"},
    {"b\xc3\xbc"
     "cher.example",
     "xn--bcher-kva.example"},
    {"", NULL},
    {"a.example:25", NULL},
    {"https://a.example/", NULL},
    {"a..example", NULL},
    {"-a.example", NULL},
    {"a-.example", NULL},
    {"a.example\r\n", NULL},
    {"a b.example", NULL},
    {"*.example", NULL},
    {"1.2.3", NULL},
    {"[192.0.2.1]", NULL},
    {"[2001:db8::1", NULL},
    {"\xff\xfe.example", NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", NULL},
};

START_TEST(host_norm)
{
    char out[PROCESSOR_HOST_MAX + 1], why[200];
    int rc = processor_host_norm(hosts[_i].in, out, sizeof(out), why, sizeof(why));
    if (hosts[_i].out) {
        ck_assert_msg(rc == 0, "%s refused: %s", hosts[_i].in, why);
        ck_assert_str_eq(out, hosts[_i].out);
    } else {
        ck_assert_msg(rc == -1, "%s accepted", hosts[_i].in);
        ck_assert(why[0] != '\0');
    }
}
END_TEST

static const struct {
    const char *residency, *country, *kind, *mechanism;
    int ok;
} rules[] = {
    {"eu", "DE", "eea", NULL, 1},
    {"eu", "DE", "eea", "adequacy", 0},
    {"eu", "DE", "eea", "dpf", 0},
    {"eu", "JP", "adequacy", NULL, 1},
    {"eu", "JP", "adequacy", "adequacy", 1},
    {"eu", "JP", "adequacy", "scc", 1},
    {"eu", "JP", "adequacy", "dpf", 0},
    {"eu", "US", "dpf", NULL, 0},
    {"eu", "US", "dpf", "dpf", 1},
    {"eu", "US", "dpf", "scc", 1},
    {"eu", "US", "dpf", "bcr", 1},
    {"eu", "US", "dpf", "adequacy", 0},
    {"eu", "CN", NULL, NULL, 0},
    {"eu", "CN", NULL, "scc", 1},
    {"eu", "CN", NULL, "bcr", 1},
    {"eu", "CN", NULL, "dpf", 0},
    {"eu", "CN", NULL, "adequacy", 0},
    {"eu", NULL, NULL, "scc", 0},
    {"none", "CN", NULL, NULL, 1},
    {"none", "US", "dpf", "adequacy", 1},
    {"none", NULL, NULL, NULL, 1},
};

START_TEST(residency)
{
    char why[300] = "";
    int rc = processor_residency_check(rules[_i].residency, rules[_i].country, rules[_i].kind,
                                       rules[_i].mechanism, why, sizeof(why));
    ck_assert_msg((rc == 0) == rules[_i].ok, "case %d: %s", _i, why);
    if (!rules[_i].ok && rules[_i].country)
        ck_assert_msg(strstr(why, rules[_i].country) != NULL, "names the country: %s", why);
}
END_TEST

START_TEST(us_message)
{
    char why[300];
    ck_assert_int_eq(processor_residency_check("eu", "US", "dpf", NULL, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "US is outside the EEA and residency = eu: record a transfer mechanism "
                          "(--mechanism dpf|scc|bcr)");
}
END_TEST

static Suite *processor_suite(void)
{
    Suite *s = suite_create("processor");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, host_norm, 0, (int)(sizeof(hosts) / sizeof(hosts[0])));
    tcase_add_loop_test(tc, residency, 0, (int)(sizeof(rules) / sizeof(rules[0])));
    tcase_add_test(tc, us_message);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(processor_suite)
