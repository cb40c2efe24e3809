/*
 * audit.c - writes audit log entries; verification is a later module.
 */
#include "audit.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

const char *audit_cli_host(void)
{
    static char host[256];
    if (host[0] == '\0') {
        if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
            snprintf(host, sizeof(host), "unknown");
        host[sizeof(host) - 1] = '\0';
    }
    return host;
}

int audit_append(struct db *db, const char *actor, const char *action, const char *object,
                 const char *detail_json, struct mo_err *err)
{
    const char *p[] = {actor, action, object, detail_json ? detail_json : "{}", NULL};
    /* a command-line entry names the host too; the chain covers detail, so it is sealed with it */
    if (strncmp(actor, "cli:", 4) == 0) {
        p[4] = audit_cli_host();
        return db_run(db, Q_AUDIT_APPEND_HOST, p, 5, err);
    }
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
