/* test_config.c - mailout.conf parsing: keys, values, errors naming key and line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_tap.h"

START_TEST(defaults)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(config_load_string(&c, "t.conf", "", &e), 0);
    ck_assert_int_eq(c.transport_kind, TRANSPORT_MAILDIR);
    ck_assert_str_eq(c.transport_target, "./outbox");
    ck_assert_int_eq(c.token_ttl, 7 * 86400);
    ck_assert_int_eq(c.smtp_starttls, STARTTLS_REQUIRED);
    ck_assert_str_eq(c.listen_host, "127.0.0.1");
    ck_assert_str_eq(c.config_dir, ".");
    ck_assert_str_eq(c.suppression_key_file, "suppression.key");
    ck_assert_uint_eq(c.listen_port, 8080);
    ck_assert_str_eq(c.db, "");
    /* issue 13 (h-retain): retention defaults */
    ck_assert_int_eq(c.activity_retention, 180 * 86400);
    ck_assert_int_eq(c.contact_retention_months, 36);
    ck_assert_int_eq(c.reply_retention_months, 24);
    ck_assert_int_eq(c.maintenance_interval, 86400);
    config_release(&c);
}
END_TEST

START_TEST(reads_values_comments_and_spaces)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    const char *text = "# a comment\n"
                       "db = dbname=mail host=/tmp\n"
                       "\n"
                       "  transport=smtp://127.0.0.1:2525  \r\n"
                       "smtp_starttls = off\n"
                       "token_ttl = 12h\n"
                       "from = news@example.com\n"
                       "rate = 50\n";
    ck_assert_int_eq(config_load_string(&c, "t.conf", text, &e), 0);
    ck_assert_str_eq(c.db, "dbname=mail host=/tmp");
    ck_assert_int_eq(c.transport_kind, TRANSPORT_SMTP);
    ck_assert_str_eq(c.transport_target, "127.0.0.1:2525");
    ck_assert_int_eq(c.smtp_starttls, STARTTLS_OFF);
    ck_assert_int_eq(c.token_ttl, 12 * 3600);
    ck_assert_int_eq(c.rate, 50);
    ck_assert_str_eq(c.from, "news@example.com");
    config_release(&c);
}
END_TEST

static const struct {
    const char *text;
    const char *expect; /* substring of the message */
} bad[] = {
    {"bogus = 1\n", "unknown configuration key 'bogus' (t.conf:1)"},
    {"dkim_key_file = k.pem\ndkim_selector = s1\n",
     "dkim_key_file needs dkim_domain (t.conf:1, key dkim_domain)"},
    {"dkim_domain = shop.example\ndkim_key_file = k.pem\n",
     "dkim_key_file needs dkim_selector (t.conf:2, key dkim_selector)"},
    {"dkim_domain = shop example\n", "invalid value 'shop example' for key dkim_domain"},
    {"dkim_selector = s1;x=y\n",
     "invalid value 's1;x=y' for key dkim_selector: expected a DNS name"},
    {"dkim_ed25519_key_file = e.pem\ndkim_ed25519_selector = e1\n",
     "dkim_ed25519_key_file needs dkim_key_file"},
    {"dkim_key_file = k.pem\ndkim_domain = a.example\ndkim_selector = s\ndkim_ed25519_key_file = "
     "e.pem\n",
     "dkim_ed25519_key_file needs dkim_ed25519_selector (t.conf:4, key dkim_ed25519_selector)"},
    {"db = x\nrate = fast\n", "invalid value 'fast' for key rate"},
    {"\n\nrate = -1\n", "(t.conf:3)"},
    {"token_ttl = 7 days\n", "key token_ttl"},
    {"smtp_starttls = maybe\n", "key smtp_starttls"},
    {"transport = ftp://x\n", "key transport"},
    {"transport = smtp://relay.example.com\n", "key transport"},
    {"listen = 8080\n", "key listen"},
    {"base_url = mail.example.com\n", "key base_url"},
    {"just a line\n", "expected 'key = value'"},
    {"db = a\ndb = b\n", "key db set twice (t.conf:2)"},
    {"transport = smtp://relay.example.com:25\nsmtp_starttls = off\n", "loopback"},
    {"transport = smtp://a.example:25, smtp://b.example\n",
     "invalid relay 'smtp://b.example' in key transport: expected smtp://HOST:PORT, several "
     "separated by commas (t.conf:1)"},
    {"transport = smtp://a.example:25,\n", "invalid relay '' in key transport"},
    {"transport = smtp://a.example:25, maildir:out\n", "invalid relay 'maildir:out'"},
    {"transport = smtp://a.example:25 smtp://b.example:25\n", "invalid relay"},
    /* issue 13 (h-retain) */
    {"contact_retention_months = 0\n",
     "invalid value '0' for key contact_retention_months: expected 1 to 1200 months (t.conf:1)"},
    {"\nreply_retention_months = 1201\n",
     "invalid value '1201' for key reply_retention_months: expected 1 to 1200 months (t.conf:2)"},
    {"reply_retention_months = two\n", "invalid value 'two' for key reply_retention_months"},
    {"maintenance_interval = 59s\n",
     "invalid value '59s' for key maintenance_interval: expected 1m to 30d (t.conf:1)"},
    {"maintenance_interval = 31d\n", "key maintenance_interval"},
};

/* from and reply_to: an address or "Display Name <address>" */
static const struct {
    const char *value;
    const char *addr;
    const char *name;
} good_mailbox[] = {
    {"news@acme.example", "news@acme.example", ""},
    {"Acme Pumps <news@acme.example>", "news@acme.example", "Acme Pumps"},
    {"Acme   Pumps<news@acme.example>", "news@acme.example", "Acme Pumps"},
    {"<news@acme.example>", "news@acme.example", ""},
    {"\"Acme, Inc.\" <news@acme.example>", "news@acme.example", "Acme, Inc."},
    {"\"Say \\\"hi\\\" \\\\ bye\" <a@acme.example>", "a@acme.example", "Say \"hi\" \\ bye"},
    {"J. R. Smith <j@acme.example>", "j@acme.example", "J. R. Smith"},
    {"Bücher & Co <news@acme.example>", "news@acme.example", "Bücher & Co"},
    {"Acme \"Pumps & Co\" GmbH <news@acme.example>", "news@acme.example", "Acme Pumps & Co GmbH"},
    {"News <News.Letter@Bücher.Example>", "News.Letter@xn--bcher-kva.example", "News"},
    {"Acme < news@acme.example >", "news@acme.example", "Acme"},
};

START_TEST(mailbox_good)
{
    struct config c;
    struct mo_err e;
    char text[300];
    mo_err_init(&e);
    snprintf(text, sizeof(text), "from = %s\nreply_to = %s\n", good_mailbox[_i].value,
             good_mailbox[_i].value);
    ck_assert_msg(config_load_string(&c, "t.conf", text, &e) == 0, "%s: %s", good_mailbox[_i].value,
                  e.msg);
    ck_assert_str_eq(c.from, good_mailbox[_i].value);
    ck_assert_str_eq(c.from_addr, good_mailbox[_i].addr);
    ck_assert_str_eq(c.from_name, good_mailbox[_i].name);
    ck_assert_str_eq(c.reply_to_addr, good_mailbox[_i].addr);
    ck_assert_str_eq(c.reply_to_name, good_mailbox[_i].name);
    config_release(&c);
}
END_TEST

static const struct {
    const char *text;
    const char *msg; /* the whole message */
} bad_mailbox[] = {
    {"from = Acme <news@acme.example\n",
     "invalid value 'Acme <news@acme.example' for key from: missing '>' after the address "
     "(t.conf:1)"},
    {"db = x\nfrom = Acme <news@acme.example> and more\n",
     "invalid value 'Acme <news@acme.example> and more' for key from: unexpected text after '>' "
     "(t.conf:2)"},
    {"from = Acme <>\n",
     "invalid value 'Acme <>' for key from: empty address between '<' and '>' (t.conf:1)"},
    {"from = Acme < >\n",
     "invalid value 'Acme < >' for key from: empty address between '<' and '>' (t.conf:1)"},
    {"from = Acme <news@>\n",
     "invalid value 'Acme <news@>' for key from: invalid email 'news@': missing domain "
     "(t.conf:1)"},
    {"from = Acme Pumps\n",
     "invalid value 'Acme Pumps' for key from: invalid email 'Acme Pumps': missing '@' "
     "(t.conf:1)"},
    {"from = news@acme.example>\n",
     "invalid value 'news@acme.example>' for key from: '>' without '<' (t.conf:1)"},
    {"from = Acme, Inc. <news@acme.example>\n",
     "invalid value 'Acme, Inc. <news@acme.example>' for key from: ',' in the display name must "
     "be inside double quotes, as in \"Name, Inc.\" <address> (t.conf:1)"},
    {"from = \"Acme <news@acme.example>\n",
     "invalid value '\"Acme <news@acme.example>' for key from: unterminated quoted string in the "
     "display name (t.conf:1)"},
    {"from = Acme\r <news@acme.example>\n",
     "invalid value 'Acme\\r <news@acme.example>' for key from: control characters (CR, LF, NUL, "
     "...) are not allowed (t.conf:1)"},
    {"from = Acme \x01<news@acme.example>\n",
     "invalid value 'Acme \\x01<news@acme.example>' for key from: control characters (CR, LF, "
     "NUL, ...) are not allowed (t.conf:1)"},
    {"from = Acme \xff <news@acme.example>\n",
     "invalid value 'Acme \\xff <news@acme.example>' for key from: not valid UTF-8 (t.conf:1)"},
    {"from = a@acme.example, b@acme.example\n",
     "invalid value 'a@acme.example, b@acme.example' for key from: invalid email 'a@acme.example, "
     "b@acme.example': more than one '@' (t.conf:1)"},
    {"from = Acme <a@acme.example> <b@acme.example>\n",
     "invalid value 'Acme <a@acme.example> <b@acme.example>' for key from: unexpected text after "
     "'>' (t.conf:1)"},
    {"\nreply_to = Help <help@>\n",
     "invalid value 'Help <help@>' for key reply_to: invalid email 'help@': missing domain "
     "(t.conf:2)"},
    {"reply_to = Help <help@acme.example\n",
     "invalid value 'Help <help@acme.example' for key reply_to: missing '>' after the address "
     "(t.conf:1)"},
};

START_TEST(mailbox_bad)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(config_load_string(&c, "t.conf", bad_mailbox[_i].text, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);
    ck_assert_str_eq(e.msg, bad_mailbox[_i].msg);
    config_release(&c);
}
END_TEST

/* smtp_starttls: required by default, optional by default only for a loopback relay */
static const struct {
    const char *text;
    int starttls; /* expected, or -1 for an error */
    const char *msg;
} tls_cases[] = {
    {"transport = smtp://relay.example.com:587\n", STARTTLS_REQUIRED, NULL},
    {"transport = smtp://127.0.0.1:25\n", STARTTLS_OPTIONAL, NULL},
    {"transport = smtp://127.1.2.3:25\n", STARTTLS_OPTIONAL, NULL},
    {"transport = smtp://localhost:25\n", STARTTLS_OPTIONAL, NULL},
    {"transport = smtp://[::1]:25\n", STARTTLS_OPTIONAL, NULL},
    {"transport = smtp://127.evil.example:25\n", STARTTLS_REQUIRED, NULL},
    {"transport = smtp://10.0.0.1:25\n", STARTTLS_REQUIRED, NULL},
    {"transport = smtp://relay.example.com:25\nsmtp_starttls = optional\n", STARTTLS_OPTIONAL,
     NULL},
    {"transport = smtp://relay.example.com:587\nsmtp_user = u\n", STARTTLS_REQUIRED, NULL},
    {"transport = smtp://localhost:25\nsmtp_user = u\nsmtp_starttls = off\n", STARTTLS_OFF, NULL},
    {"transport = smtp://127.0.0.1:25\nsmtp_user = u\n", STARTTLS_OPTIONAL, NULL},
    {"transport = smtp://relay.example.com:587\nsmtp_user = u\nsmtp_starttls = optional\n", -1,
     "smtp_user needs smtp_starttls = required for the relay 'relay.example.com:587': AUTH is "
     "never sent without TLS except to loopback (t.conf:3, key smtp_starttls)"},
    {"transport = smtp://127.evil.example:25\nsmtp_starttls = optional\nsmtp_user = u\n", -1,
     "smtp_user needs smtp_starttls = required for the relay '127.evil.example:25': AUTH is never "
     "sent without TLS except to loopback (t.conf:2, key smtp_starttls)"},
    /* several relays: the loopback exemptions need every relay on loopback */
    {"transport = smtp://127.0.0.1:25, smtp://localhost:2525\n", STARTTLS_OPTIONAL, NULL},
    {"transport = smtp://127.0.0.1:25, smtp://relay.example.com:25\n", STARTTLS_REQUIRED, NULL},
    {"transport = smtp://127.0.0.1:25, smtp://relay.example.com:25\nsmtp_starttls = off\n", -1,
     "smtp_starttls = off is allowed only for a loopback relay, not 'relay.example.com:25' "
     "(t.conf:2, key smtp_starttls)"},
    {"transport = smtp://localhost:25,smtp://10.1.1.1:587\nsmtp_starttls = optional\nsmtp_user = "
     "u\n",
     -1,
     "smtp_user needs smtp_starttls = required for the relay '10.1.1.1:587': AUTH is never sent "
     "without TLS except to loopback (t.conf:2, key smtp_starttls)"},
    {"transport = smtp://relay.example.com:25\nsmtp_starttls = off\n", -1,
     "smtp_starttls = off is allowed only for a loopback relay, not 'relay.example.com:25' "
     "(t.conf:2, key smtp_starttls)"},
};

START_TEST(starttls_defaults)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    int rc = config_load_string(&c, "t.conf", tls_cases[_i].text, &e);
    if (tls_cases[_i].starttls < 0) {
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(e.code, MO_E_INPUT);
        ck_assert_str_eq(e.msg, tls_cases[_i].msg);
    } else {
        ck_assert_msg(rc == 0, "%s", e.msg);
        ck_assert_int_eq(c.smtp_starttls, tls_cases[_i].starttls);
    }
    config_release(&c);
}
END_TEST

START_TEST(loopback_hosts)
{
    ck_assert_int_eq(config_host_is_loopback("localhost"), 1);
    ck_assert_int_eq(config_host_is_loopback("LocalHost"), 1);
    ck_assert_int_eq(config_host_is_loopback("127.0.0.1"), 1);
    ck_assert_int_eq(config_host_is_loopback("127.255.0.9"), 1);
    ck_assert_int_eq(config_host_is_loopback("[::1]"), 1);
    ck_assert_int_eq(config_host_is_loopback("::1"), 1);
    ck_assert_int_eq(config_host_is_loopback("[::ffff:127.0.0.1]"), 1);
    ck_assert_int_eq(config_host_is_loopback("127.evil.example"), 0);
    ck_assert_int_eq(config_host_is_loopback("127.0.0.1.nip.io"), 0);
    ck_assert_int_eq(config_host_is_loopback("128.0.0.1"), 0);
    ck_assert_int_eq(config_host_is_loopback("localhost.example.com"), 0);
    ck_assert_int_eq(config_host_is_loopback("[::2]"), 0);
    ck_assert_int_eq(config_host_is_loopback(""), 0);
}
END_TEST

/* relative paths are read from the configuration file's directory */
START_TEST(paths_relative_to_config_file)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    const char *text = "suppression_key_file = keys/supp.key\n"
                       "data_dir = share\n"
                       "smtp_password_file = /abs/password\n"
                       "smtp_ca_file = ca.pem\n"
                       "dkim_key_file = ../dkim.pem\n"
                       "dkim_domain = shop.example\n"
                       "dkim_selector = s2026\n"
                       "dkim_ed25519_key_file = ed.pem\n"
                       "dkim_ed25519_selector = e2026\n"
                       "admin_token_file = admin.token\n"
                       "webhook_secret_file = hook.secret\n"
                       "transport = maildir:out\n";
    ck_assert_int_eq(config_load_string(&c, "/etc/mailout/mailout.conf", text, &e), 0);
    ck_assert_str_eq(c.config_dir, "/etc/mailout");
    ck_assert_str_eq(c.suppression_key_file, "/etc/mailout/keys/supp.key");
    ck_assert_str_eq(c.data_dir, "/etc/mailout/share");
    ck_assert_str_eq(c.smtp_password_file, "/abs/password");
    ck_assert_str_eq(c.smtp_ca_file, "/etc/mailout/ca.pem");
    ck_assert_str_eq(c.dkim_key_file, "/etc/mailout/../dkim.pem");
    ck_assert_str_eq(c.dkim_ed25519_key_file, "/etc/mailout/ed.pem");
    ck_assert_str_eq(c.admin_token_file, "/etc/mailout/admin.token");
    ck_assert_str_eq(c.webhook_secret_file, "/etc/mailout/hook.secret");
    ck_assert_str_eq(c.transport_target, "/etc/mailout/out");
    config_release(&c);

    /* defaults too: the key beside the file, the outbox below it */
    ck_assert_int_eq(config_load_string(&c, "conf.d/mailout.conf", "", &e), 0);
    ck_assert_str_eq(c.config_dir, "conf.d");
    ck_assert_str_eq(c.suppression_key_file, "conf.d/suppression.key");
    ck_assert_str_eq(c.transport_target, "conf.d/outbox");
    ck_assert_str_eq(c.data_dir, "");
    config_release(&c);

    ck_assert_int_eq(config_load_string(&c, "/mailout.conf", "", &e), 0);
    ck_assert_str_eq(c.config_dir, "/");
    ck_assert_str_eq(c.suppression_key_file, "/suppression.key");
    config_release(&c);
}
END_TEST

START_TEST(bad_input_names_key_and_line)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(config_load_string(&c, "t.conf", bad[_i].text, &e), -1);
    ck_assert_int_eq(e.code, MO_E_INPUT);
    ck_assert_msg(strstr(e.msg, bad[_i].expect) != NULL, "'%s' lacks '%s'", e.msg, bad[_i].expect);
    config_release(&c);
}
END_TEST

START_TEST(loopback_relay_may_skip_tls)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(config_load_string(&c, "t.conf",
                                        "transport = smtp://localhost:25\nsmtp_starttls = off\n",
                                        &e),
                     0);
    config_release(&c);
}
END_TEST

START_TEST(several_relays)
{
    struct config c;
    struct mo_err e;
    mo_err_init(&e);
    ck_assert_int_eq(config_load_string(&c, "t.conf",
                                        "transport = smtp://a.example:25 , smtp://[::1]:2525/,"
                                        "smtp://b.example:587\n",
                                        &e),
                     0);
    ck_assert_int_eq(c.transport_kind, TRANSPORT_SMTP);
    ck_assert_uint_eq(c.nrelays, 3);
    ck_assert_str_eq(c.relays[0], "a.example:25");
    ck_assert_str_eq(c.relays[1], "[::1]:2525");
    ck_assert_str_eq(c.relays[2], "b.example:587");
    ck_assert_str_eq(c.transport_target, "a.example:25");
    ck_assert_int_eq(config_smtp_loopback(&c), 0);
    /* a later value replaces the list; maildir has none */
    ck_assert_int_eq(config_set(&c, "transport", "smtp://127.0.0.1:25", &e), 0);
    ck_assert_uint_eq(c.nrelays, 1);
    ck_assert_int_eq(config_smtp_loopback(&c), 1);
    ck_assert_int_eq(config_set(&c, "transport", "maildir:out", &e), 0);
    ck_assert_uint_eq(c.nrelays, 0);
    ck_assert_ptr_null(c.relays);
    config_release(&c);
}
END_TEST

START_TEST(durations)
{
    ck_assert_int_eq(config_parse_duration("7d"), 604800);
    ck_assert_int_eq(config_parse_duration("30m"), 1800);
    ck_assert_int_eq(config_parse_duration("45s"), 45);
    ck_assert_int_eq(config_parse_duration("90"), 90);
    ck_assert_int_eq(config_parse_duration("d"), -1);
    ck_assert_int_eq(config_parse_duration("1w"), -1);
    ck_assert_int_eq(config_parse_duration("-1d"), -1);
    ck_assert_int_eq(config_parse_duration("1dd"), -1);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, reads_values_comments_and_spaces);
    tcase_add_loop_test(tc, bad_input_names_key_and_line, 0, (int)(sizeof(bad) / sizeof(bad[0])));
    tcase_add_test(tc, loopback_relay_may_skip_tls);
    tcase_add_loop_test(tc, mailbox_good, 0, (int)(sizeof(good_mailbox) / sizeof(good_mailbox[0])));
    tcase_add_loop_test(tc, mailbox_bad, 0, (int)(sizeof(bad_mailbox) / sizeof(bad_mailbox[0])));
    tcase_add_loop_test(tc, starttls_defaults, 0, (int)(sizeof(tls_cases) / sizeof(tls_cases[0])));
    tcase_add_test(tc, loopback_hosts);
    tcase_add_test(tc, paths_relative_to_config_file);
    tcase_add_test(tc, durations);
    tcase_add_test(tc, several_relays);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(config_suite)
