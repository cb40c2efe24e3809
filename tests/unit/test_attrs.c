/*
 * test_attrs.c - the contact_attributes parser (names, ':sensitive', exact
 * errors naming the item) and the matching rule of the built-in list of
 * special-category and financial terms.
 */
#include "attrs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_tap.h"

#define NCASES(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(parse_ok)
{
    struct attr_list l;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(attrs_parse(" vip,\tTier , health:sensitive,Religion:SENSITIVE ",
                                 "contact_attributes", &l, &err),
                     0);
    ck_assert_int_eq(l.n, 4);
    ck_assert_str_eq(l.v[0].name, "vip");
    ck_assert_int_eq(l.v[0].sensitive, 0);
    ck_assert_str_eq(l.v[1].name, "tier");
    ck_assert_str_eq(l.v[2].name, "health");
    ck_assert_int_eq(l.v[2].sensitive, 1);
    ck_assert_str_eq(l.v[3].name, "religion");
    ck_assert_int_eq(l.v[3].sensitive, 1);
    ck_assert_ptr_nonnull(attrs_find(&l, "HEALTH"));
    ck_assert_ptr_null(attrs_find(&l, "heal"));
    ck_assert(attrs_is_sensitive(&l, "health"));
    ck_assert(!attrs_is_sensitive(&l, "vip"));
    ck_assert(attrs_is_sensitive(&l, "iban")); /* undeclared, but named like financial data */
    attrs_free(&l);
    attrs_free(&l);
    ck_assert_int_eq(attrs_parse(NULL, "x", &l, &err), 0);
    ck_assert_int_eq(l.n, 0);
    ck_assert_int_eq(attrs_parse(" \t ", "x", &l, &err), 0);
    ck_assert_int_eq(l.n, 0);
}
END_TEST

static const struct {
    const char *in;
    const char *msg;
} bad[] = {
    {"vip,", "contact_attributes: item 2 '': empty item (a stray ',')"},
    {"vip,,tier", "contact_attributes: item 2 '': empty item (a stray ',')"},
    {"vip tier", "contact_attributes: item 1 'vip tier': a name has only ASCII letters, digits "
                 "and '_'"},
    {"health:secret",
     "contact_attributes: item 1 'health:secret': unknown flag after ':' (the only flag is "
     "':sensitive')"},
    {"health:sensitive:sensitive",
     "contact_attributes: item 1 'health:sensitive:sensitive': unknown flag after ':' (the only "
     "flag is ':sensitive')"},
    {":sensitive", "contact_attributes: item 1 ':sensitive': a name has 1 to 64 characters"},
    {"1x", "contact_attributes: item 1 '1x': a name starts with a letter or '_' (ASCII letters, "
           "digits, '_')"},
    {"vip,VIP", "contact_attributes: item 2 'VIP': declared twice"},
    {"a\r\nb", "contact_attributes: item 1 'a\\r\\nb': a name has only ASCII letters, digits and "
               "'_'"},
    {"g\xc3\xa4ste", "contact_attributes: item 1 'g\xc3\xa4ste': a name has only ASCII letters, "
                     "digits and '_'"},
    {"g\xffx", "contact_attributes: item 1 'g\\xffx': a name has only ASCII letters, digits "
               "and '_'"},
};

START_TEST(parse_bad)
{
    struct attr_list l;
    struct mo_err err;

    mo_err_init(&err);
    ck_assert_int_eq(attrs_parse(bad[_i].in, "contact_attributes", &l, &err), -1);
    ck_assert_int_eq(err.code, MO_E_INPUT);
    ck_assert_str_eq(err.msg, bad[_i].msg);
    ck_assert_int_eq(l.n, 0);
    ck_assert_ptr_null(l.v);
}
END_TEST

START_TEST(limits)
{
    struct attr_list l;
    struct mo_err err;
    char name[70];
    char *big = malloc(ATTRS_TEXT_MAX + 2);

    memset(name, 'a', 64);
    name[64] = '\0';
    mo_err_init(&err);
    ck_assert_int_eq(attrs_parse(name, "x", &l, &err), 0);
    attrs_free(&l);
    strcat(name, "b");
    ck_assert_int_eq(attrs_parse(name, "x", &l, &err), -1);
    memset(big, 'a', ATTRS_TEXT_MAX + 1);
    big[ATTRS_TEXT_MAX + 1] = '\0';
    mo_err_init(&err);
    ck_assert_int_eq(attrs_parse(big, "--attributes", &l, &err), -1);
    ck_assert_str_eq(err.msg, "--attributes: longer than 16384 bytes");
    /* 300 items: more than ATTRS_MAX */
    big[0] = '\0';
    for (int i = 0; i < 300; i++)
        sprintf(big + strlen(big), "%sa%d", i ? "," : "", i);
    mo_err_init(&err);
    ck_assert_int_eq(attrs_parse(big, "x", &l, &err), -1);
    ck_assert_str_eq(err.msg, "x: more than 256 attributes");
    free(big);
}
END_TEST

static const struct {
    const char *col;
    const char *term; /* NULL: no match */
} cols[] = {
    {"religion", "religion*"},
    {"Religion", "religion*"},
    {" RELIGION ", "religion*"},
    {"religionszugehoerigkeit", "religion*"},
    {"gesundheit", "gesundheit*"},
    {"Gesundheitsdaten", "gesundheit*"},
    {"credit_card_no", "credit_card"},
    {"CreditCard", "credit_card"},
    {"credit-card", "credit_card"},
    {"card number", "card_number"},
    {"customer_iban", "iban"},
    {"iban2", "iban"},
    {"health_notes", "health*"},
    {"pregnancy", "pregnan*"},
    {"ssn", "ssn"},
    {"trade_union", "union"},
    {"sex_life", "sex_life"},
    {"sexual_orientation", "sexual*"},
    {"Steuernummer", "steuer*"},
    {"kontonummer", "kontonummer"},
    {"partei", "partei*"},
    {"political_party", "political"},
    {"salary_eur", "salary"},
    /* Art. 9(1) names philosophical beliefs (German: weltanschauliche Überzeugungen) */
    {"philosophical_views", "philosophical"},
    {"Weltanschauung", "weltanschau*"},
    {"religiös", "religi*"},
    {"Religiosität", "religi*"},
    {"Allergien", "allergie*"},
    {"Medikamente", "medikament*"},
    {"Bankverbindung", "bankverbindung"},
    {"hiv_status", "hiv"},
    /* no match: a term must be a whole word (or a listed stem) */
    {"partner", NULL},
    {"party_size", NULL},
    {"vip", NULL},
    {"raceway", NULL},
    {"unionized_ok", NULL},
    {"tier", NULL},
    {"customer_tier", NULL},
    {"bicycle", NULL},
    {"ribbon", NULL},
    {"", NULL},
};

START_TEST(special_terms)
{
    const char *t = attrs_special_term(cols[_i].col);
    if (cols[_i].term == NULL)
        ck_assert_msg(t == NULL, "'%s' matched %s", cols[_i].col, t);
    else
        ck_assert_msg(t && strcmp(t, cols[_i].term) == 0, "'%s' matched %s, not %s", cols[_i].col,
                      t ? t : "nothing", cols[_i].term);
}
END_TEST

static Suite *attrs_suite(void)
{
    Suite *s = suite_create("attrs");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, parse_ok);
    tcase_add_loop_test(tc, parse_bad, 0, NCASES(bad));
    tcase_add_test(tc, limits);
    tcase_add_loop_test(tc, special_terms, 0, NCASES(cols));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(attrs_suite)
