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

static int append(struct db *db, const char *actor, const char *action, const char *object,
                  const char *detail_json, struct mo_err *err);

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

/* What stands in for a value that could be an address. */
#define WITHHELD "[withheld]"

static int looks_like_address(const char *s)
{
    return s != NULL && strchr(s, '@') != NULL;
}

/* Replaces every string in j (recursively) that could hold an address; 1 if any was. */
static int scrub(json_t *j)
{
    int n = 0;
    if (json_is_object(j)) {
        const char *k;
        json_t *v;
        json_object_foreach(j, k, v)
        {
            if (json_is_string(v) && looks_like_address(json_string_value(v))) {
                json_string_set(v, WITHHELD);
                n = 1;
            } else
                n |= scrub(v);
        }
    } else if (json_is_array(j)) {
        size_t i;
        json_t *v;
        json_array_foreach(j, i, v)
        {
            if (json_is_string(v) && looks_like_address(json_string_value(v))) {
                json_string_set(v, WITHHELD);
                n = 1;
            } else
                n |= scrub(v);
        }
    }
    return n;
}

int audit_append(struct db *db, const char *actor, const char *action, const char *object,
                 const char *detail_json, struct mo_err *err)
{
    char *clean = NULL;
    int rc;

    /*
     * The audit log can never be scrubbed, so nothing that could be an
     * address enters it: callers name contacts by id, and a name a caller
     * passes on (a file name, a remote string) that contains '@' is
     * withheld here.
     */
    if (looks_like_address(object))
        object = WITHHELD;
    if (detail_json && strchr(detail_json, '@')) {
        json_t *d = json_loads(detail_json, 0, NULL);
        if (d == NULL)
            return mo_err_set(err, MO_E_INTERNAL, "the audit detail of %s is not JSON", action);
        if (scrub(d))
            clean = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(d);
        if (clean)
            detail_json = clean;
    }
    rc = append(db, actor, action, object, detail_json, err);
    free(clean);
    return rc;
}

static int append(struct db *db, const char *actor, const char *action, const char *object,
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
