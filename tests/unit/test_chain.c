/*
 * test_chain.c - the classification of the history columns (chain.h):
 * which columns are personal (erasure nulls exactly these), which enter the
 * digest, and that anything else is unknown.  That every column of the
 * live tables is classified is checked against the catalogue by
 * `audit verify` (tests/integration/chain.sh).
 */
#include "chain.h"

#include <string.h>

#include "check_tap.h"

static const struct {
    const char *table, *col;
    enum chain_col_class cls;
} cases[] = {
    {"consent_events", "email_entered", CHAIN_COL_PERSONAL},
    {"consent_events", "ip", CHAIN_COL_PERSONAL},
    {"consent_events", "user_agent", CHAIN_COL_PERSONAL},
    {"consent_events", "id", CHAIN_COL_DIGEST},
    {"consent_events", "contact_id", CHAIN_COL_DIGEST},
    {"consent_events", "kind", CHAIN_COL_DIGEST},
    {"consent_events", "occurred_at", CHAIN_COL_DIGEST},
    {"consent_events", "channel", CHAIN_COL_DIGEST},
    {"consent_events", "paused_until", CHAIN_COL_DIGEST},
    {"consent_events", "receipt_sha256", CHAIN_COL_DIGEST},
    {"consent_events", "smtp_reply", CHAIN_COL_UNKNOWN},
    {"consent_events", "pii_mac", CHAIN_COL_UNKNOWN},
    {"send_records", "smtp_reply", CHAIN_COL_PERSONAL},
    {"send_records", "status", CHAIN_COL_DIGEST},
    {"send_records", "basis", CHAIN_COL_DIGEST},
    {"send_records", "evidence", CHAIN_COL_DIGEST},
    {"send_records", "ip", CHAIN_COL_UNKNOWN},
    {"audit_log", "id", CHAIN_COL_UNKNOWN},
};

START_TEST(column_classes)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        ck_assert_msg(chain_column_class(cases[i].table, cases[i].col) == cases[i].cls, "%s.%s",
                      cases[i].table, cases[i].col);
}
END_TEST

START_TEST(personal_lists)
{
    const char *const *p = chain_personal_columns("consent_events");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p[0], "email_entered");
    ck_assert_str_eq(p[1], "ip");
    ck_assert_str_eq(p[2], "user_agent");
    ck_assert_ptr_null(p[3]);
    p = chain_personal_columns("send_records");
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(p[0], "smtp_reply");
    ck_assert_ptr_null(p[1]);
    ck_assert_ptr_null(chain_personal_columns("contacts"));
}
END_TEST

static Suite *chain_suite(void)
{
    Suite *s = suite_create("chain");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, column_classes);
    tcase_add_test(tc, personal_lists);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(chain_suite)
