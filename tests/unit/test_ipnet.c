/* test_ipnet.c - network lists (metrics_allow), client address text, per-client limit keys. */
#include "ipnet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "buf.h"
#include "check_tap.h"

/* A socket address for ip (IPv4 or IPv6 text). */
static socklen_t make_addr(const char *ip, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, ip, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        return sizeof(*in);
    }
    ck_assert_msg(inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1, "bad test address %s", ip);
    in6->sin6_family = AF_INET6;
    return sizeof(*in6);
}

/* ---- ipnet_limit_key ------------------------------------------------------ */

struct key_case {
    const char *ip;
    const char *key; /* NULL: not an address */
};

static const struct key_case key_cases[] = {
    {"192.0.2.1", "192.0.2.1"},
    {"127.0.0.1", "127.0.0.1"},
    {"2001:db8::1", "2001:db8::/64"},
    {"2001:db8::ffff:1", "2001:db8::/64"}, /* the same /64: the same key */
    {"2001:0db8:0000:0000:1:2:3:4", "2001:db8::/64"},
    {"2001:db8:0:1::1", "2001:db8:0:1::/64"}, /* the next /64: another key */
    {"2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", "2001:db8:aaaa:bbbb::/64"},
    {"::ffff:192.0.2.1", "192.0.2.1"}, /* IPv4-mapped: the IPv4 key */
    {"::FFFF:192.0.2.1", "192.0.2.1"},
    {"::1", "::/64"},
    {"fe80::1:2:3:4", "fe80::/64"},
    {"", NULL},
    {"not an address", NULL},
    {"192.0.2.1/24", NULL},
    {"192.0.2", NULL},
    {"2001:db8::1%eth0", NULL},
    {" 192.0.2.1", NULL},
};

START_TEST(limit_key_table)
{
    const struct key_case *c = &key_cases[_i];
    char out[IPNET_KEY_MAX];

    memset(out, 'x', sizeof(out));
    if (c->key) {
        ck_assert_msg(ipnet_limit_key(c->ip, out, sizeof(out)) == 0, "'%s'", c->ip);
        ck_assert_str_eq(out, c->key);
    } else {
        ck_assert_msg(ipnet_limit_key(c->ip, out, sizeof(out)) == -1, "'%s'", c->ip);
        ck_assert_str_eq(out, "");
    }
}
END_TEST

START_TEST(limit_key_small_buffer)
{
    char out[8];

    ck_assert_int_eq(ipnet_limit_key("2001:db8::1", out, sizeof(out)), -1);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(ipnet_limit_key("1.2.3.4", out, sizeof(out)), 0);
    ck_assert_str_eq(out, "1.2.3.4");
}
END_TEST

/* ---- ipnet_list_parse errors ---------------------------------------------- */

struct parse_case {
    const char *spec;
    const char *msg; /* NULL: parses */
};

static const struct parse_case parse_cases[] = {
    {"", NULL},
    {"  \t ", NULL},
    {"127.0.0.1", NULL},
    {" 10.0.0.0/8 ,192.168.1.5/24,\t::1 ", NULL},
    {"2001:db8::/32", NULL},
    {"::ffff:10.0.0.0/104", NULL},
    {"0.0.0.0/0, ::/0", NULL},
    {"10.0.0.0/33",
     "invalid network '10.0.0.0/33' (key metrics_allow): prefix length must be 0-32"},
    {"::/129", "invalid network '::/129' (key metrics_allow): prefix length must be 0-128"},
    {"::ffff:10.0.0.0/95",
     "invalid network '::ffff:10.0.0.0/95' (key metrics_allow): prefix length must be 96-128"},
    {"10.0.0.0/", "invalid network '10.0.0.0/' (key metrics_allow): prefix length must be 0-32"},
    {"10.0.0.0/8x",
     "invalid network '10.0.0.0/8x' (key metrics_allow): prefix length must be 0-32"},
    {"10.0.0.0/-1",
     "invalid network '10.0.0.0/-1' (key metrics_allow): prefix length must be 0-32"},
    {"10.0.0.0/00008",
     "invalid network '10.0.0.0/00008' (key metrics_allow): prefix length must be 0-32"},
    {"bogus",
     "invalid network 'bogus' (key metrics_allow): 'bogus' is not an IPv4 or IPv6 address"},
    {"example.com/8",
     "invalid network 'example.com/8' (key metrics_allow): 'example.com' is not an IPv4 or IPv6 "
     "address"},
    {"127.0.0.1 10.0.0.1", "invalid network '127.0.0.1 10.0.0.1' (key metrics_allow): '127.0.0.1 "
                           "10.0.0.1' is not an IPv4 or IPv6 address"},
    {"127.0.0.1,", "invalid value '127.0.0.1,' (key metrics_allow): empty item in the list"},
    {",::1", "invalid value ',::1' (key metrics_allow): empty item in the list"},
    {"/8", "invalid network '/8' (key metrics_allow): expected an IPv4 or IPv6 address, "
           "optionally with /LENGTH"},
    {"fe80::1%lo", "invalid network 'fe80::1%lo' (key metrics_allow): 'fe80::1%lo' is not an "
                   "IPv4 or IPv6 address"},
};

START_TEST(parse_table)
{
    const struct parse_case *c = &parse_cases[_i];
    struct mo_err err;
    struct ipnet_list *l;

    mo_err_init(&err);
    l = ipnet_list_parse(c->spec, "metrics_allow", &err);
    if (c->msg == NULL) {
        ck_assert_msg(l != NULL, "'%s': %s", c->spec, err.msg);
        ck_assert_int_eq(err.code, MO_E_OK);
    } else {
        ck_assert_msg(l == NULL, "'%s' parsed", c->spec);
        ck_assert_int_eq(err.code, MO_E_INPUT);
        ck_assert_str_eq(err.msg, c->msg);
    }
    ipnet_list_free(l);
}
END_TEST

START_TEST(parse_long_and_many)
{
    char spec[256];
    struct buf many;
    struct mo_err err;
    struct ipnet_list *l;

    /* IPNET_LIST_MAX networks are fine, one more is not */
    buf_init(&many, 0);
    for (int i = 0; i < IPNET_LIST_MAX; i++)
        ck_assert_int_eq(buf_printf(&many, "%s10.0.%d.0/24", i ? "," : "", i), 0);
    mo_err_init(&err);
    l = ipnet_list_parse(many.s, "metrics_allow", &err);
    ck_assert_ptr_nonnull(l);
    ipnet_list_free(l);
    buf_puts(&many, ",::1");
    l = ipnet_list_parse(many.s, "metrics_allow", &err);
    ck_assert_ptr_null(l);
    ck_assert_str_eq(err.msg, "invalid value (key metrics_allow): more than 64 networks");
    buf_release(&many);

    /* an item longer than any address is refused, shown cut */
    memset(spec, '1', 200);
    spec[200] = '\0';
    mo_err_init(&err);
    ck_assert_ptr_null(ipnet_list_parse(spec, "k", &err));
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_int_eq(strncmp(err.msg, "invalid network '1111", 21), 0);
    ck_assert_uint_lt(strlen(err.msg), 200);
    ipnet_list_free(NULL);
}
END_TEST

/* ---- ipnet_list_match ----------------------------------------------------- */

struct match_case {
    const char *spec;
    const char *ip;
    int want;
};

static const struct match_case match_cases[] = {
    /* "" is loopback: 127.0.0.0/8 and ::1 */
    {"", "127.0.0.1", 1},
    {"", "127.255.0.9", 1},
    {"", "::1", 1},
    {"", "::ffff:127.0.0.2", 1},
    {"", "10.0.0.1", 0},
    {"", "128.0.0.1", 0},
    {"", "::2", 0},
    {"", "::ffff:10.0.0.1", 0},
    /* one address */
    {"127.0.0.2/32", "127.0.0.2", 1},
    {"127.0.0.2/32", "127.0.0.1", 0},
    {"127.0.0.2", "127.0.0.2", 1},
    {"127.0.0.2", "::1", 0},
    /* networks of either family */
    {"10.0.0.0/8, 2001:db8::/32", "10.255.1.1", 1},
    {"10.0.0.0/8, 2001:db8::/32", "11.0.0.0", 0},
    {"10.0.0.0/8, 2001:db8::/32", "2001:db8:ffff::1", 1},
    {"10.0.0.0/8, 2001:db8::/32", "2001:db9::1", 0},
    {"10.0.0.0/8, 2001:db8::/32", "::ffff:10.1.2.3", 1},
    /* prefixes not on a byte boundary; host bits in the list are ignored */
    {"10.0.0.0/9", "10.127.255.255", 1},
    {"10.0.0.0/9", "10.128.0.1", 0},
    {"192.168.1.5/24", "192.168.1.200", 1},
    {"192.168.1.5/24", "192.168.2.5", 0},
    {"2001:db8::/33", "2001:db8:7fff::1", 1},
    {"2001:db8::/33", "2001:db8:8000::1", 0},
    /* everything of one family, never the other */
    {"0.0.0.0/0", "8.8.8.8", 1},
    {"0.0.0.0/0", "::1", 0},
    {"::/0", "2001:db8::1", 1},
    {"::/0", "8.8.8.8", 0},
    /* IPv4-mapped networks are IPv4 networks */
    {"::ffff:10.0.0.0/104", "10.1.2.3", 1},
    {"::ffff:10.0.0.0/104", "11.1.2.3", 0},
};

START_TEST(match_table)
{
    const struct match_case *c = &match_cases[_i];
    struct sockaddr_storage ss;
    struct mo_err err;
    struct ipnet_list *l;

    mo_err_init(&err);
    l = ipnet_list_parse(c->spec, "metrics_allow", &err);
    ck_assert_msg(l != NULL, "'%s': %s", c->spec, err.msg);
    make_addr(c->ip, &ss);
    ck_assert_msg(ipnet_list_match(l, (struct sockaddr *)&ss) == c->want, "'%s' in '%s': not %d",
                  c->ip, c->spec, c->want);
    ipnet_list_free(l);
}
END_TEST

START_TEST(match_odd_inputs)
{
    struct mo_err err;
    struct ipnet_list *l;
    struct sockaddr_un un;

    mo_err_init(&err);
    l = ipnet_list_parse("", "metrics_allow", &err);
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    ck_assert_int_eq(ipnet_list_match(l, (struct sockaddr *)&un), 0);
    ck_assert_int_eq(ipnet_list_match(l, NULL), 0);
    ck_assert_int_eq(ipnet_list_match(NULL, NULL), 0);
    ipnet_list_free(l);
}
END_TEST

/* ---- ipnet_addr_text ---------------------------------------------------------- */

START_TEST(addr_text)
{
    static const char *const ips[] = {"192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1", "::1"};
    struct sockaddr_storage ss;
    struct sockaddr_un un;
    char out[IPNET_ADDR_MAX];

    for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        make_addr(ips[i], &ss);
        ipnet_addr_text((struct sockaddr *)&ss, out, sizeof(out));
        ck_assert_str_eq(out, ips[i]);
    }
    ipnet_addr_text(NULL, out, sizeof(out));
    ck_assert_str_eq(out, "0.0.0.0");
    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    ipnet_addr_text((struct sockaddr *)&un, out, sizeof(out));
    ck_assert_str_eq(out, "0.0.0.0");
    make_addr("2001:db8::1", &ss);
    ipnet_addr_text((struct sockaddr *)&ss, out, 4); /* too small: empty, never cut */
    ck_assert_str_eq(out, "");
}
END_TEST

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *ipnet_suite(void)
{
    Suite *s = suite_create("ipnet");
    TCase *tc = tcase_create("core");

    tcase_add_loop_test(tc, limit_key_table, 0, NCASES(key_cases));
    tcase_add_test(tc, limit_key_small_buffer);
    tcase_add_loop_test(tc, parse_table, 0, NCASES(parse_cases));
    tcase_add_test(tc, parse_long_and_many);
    tcase_add_loop_test(tc, match_table, 0, NCASES(match_cases));
    tcase_add_test(tc, match_odd_inputs);
    tcase_add_test(tc, addr_text);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(ipnet_suite)
