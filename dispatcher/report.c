/*
 * report.c - what mailout holds and did about one person or one campaign.
 * (Placeholder on main; issue 12, h-audit.)
 */
#include "report.h"

json_t *report_contact(struct db *db, const char *email, struct mo_err *err)
{
    (void)db;
    (void)email;
    return mo_err_set(err, MO_E_INTERNAL, "audit contact: not built yet"), NULL;
}

json_t *report_campaign(struct db *db, const char *name, struct mo_err *err)
{
    (void)db;
    (void)name;
    return mo_err_set(err, MO_E_INTERNAL, "audit campaign: not built yet"), NULL;
}
