/*
 * audit.c - writes audit log entries; verification is a later module.
 */
#include "audit.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

const char *audit_cli_actor(void)
{
    static char actor[96];
    if (actor[0] == '\0') {
        const struct passwd *pw = getpwuid(getuid());
        if (pw == NULL || pw->pw_name == NULL || *pw->pw_name == '\0' ||
            snprintf(actor, sizeof(actor), "cli:%s", pw->pw_name) >= (int)sizeof(actor))
            snprintf(actor, sizeof(actor), "cli:uid:%u", (unsigned)getuid());
    }
    return actor;
}

int audit_append(struct db *db, const char *actor, const char *action, const char *object,
                 const char *detail_json, struct mo_err *err)
{
    const char *p[] = {actor, action, object, detail_json ? detail_json : "{}"};
    return db_run(db, Q_AUDIT_APPEND, p, 4, err);
}

int audit_append_json(struct db *db, const char *actor, const char *action, const char *object,
                      json_t *detail, struct mo_err *err)
{
    char *s = detail ? json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    int rc;

    json_decref(detail);
    if (s == NULL)
        return mo_err_set(err, MO_E_INTERNAL, "cannot build the audit detail of %s", action);
    rc = audit_append(db, actor, action, object, s, err);
    free(s);
    return rc;
}
