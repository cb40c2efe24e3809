/*
 * sensitive.c - explicit consent texts and the campaign checks for
 * sensitive attributes (sensitive.h).
 */
#include "sensitive.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "attrs.h"
#include "audit.h"
#include "buf.h"
#include "crypto.h"
#include "queries.h"
#include "topic.h"
#include "xalloc.h"

/* 1 when needle occurs in hay[0..len) ignoring ASCII case. */
static int mentions(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n && i + n <= len; i++)
        if (strncasecmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

int sensitive_text_add(struct db *db, const char *declared, const char *topic, const char *locale,
                       const char *body, size_t len, const char *explicit_csv, const char *actor,
                       long long *id, int *created, struct mo_err *err)
{
    struct attr_list decl, ex;
    struct topic t;
    struct buf arr;
    char hash[CRYPTO_SHA256_HEX_LEN + 1], tid[24], obj[48];
    long long version;
    json_t *names;
    PGresult *r;
    int rc = -1;

    if (!topic_locale_valid(locale))
        return mo_err_set(err, MO_E_INPUT, "invalid locale '%s': expected e.g. en, de or en-GB",
                          locale);
    if (consent_text_check(body, len, err) < 0)
        return -1;
    if (attrs_parse(declared, "contact_attributes", &decl, err) < 0)
        return -1;
    if (attrs_parse(explicit_csv, "--explicit", &ex, err) < 0) {
        attrs_free(&decl);
        return -1;
    }
    buf_init(&arr, 0);
    names = json_array();
    buf_putc(&arr, '{');
    for (int i = 0; i < ex.n; i++) {
        const struct attr_def *d = attrs_find(&decl, ex.v[i].name);
        if (ex.v[i].sensitive) {
            mo_err_set(err, MO_E_INPUT, "--explicit: give attribute names only ('%s:sensitive')",
                       ex.v[i].name);
            goto out;
        }
        if (d == NULL || !d->sensitive) {
            mo_err_set(err, MO_E_INPUT,
                       "--explicit: attribute '%s' is not declared sensitive (contact_attributes "
                       "= %s:sensitive)",
                       ex.v[i].name, ex.v[i].name);
            goto out;
        }
        if (!mentions(body, len, ex.v[i].name)) {
            mo_err_set(err, MO_E_INPUT,
                       "--explicit: the text does not name the attribute '%s': explicit consent "
                       "(GDPR Art. 9(2)(a)) must tell the person which data it covers",
                       ex.v[i].name);
            goto out;
        }
        if (i)
            buf_putc(&arr, ',');
        buf_puts(&arr, ex.v[i].name); /* [a-z0-9_]: no quoting needed */
        json_array_append_new(names, json_string(ex.v[i].name));
    }
    buf_putc(&arr, '}');
    crypto_sha256_hex(body, len, hash);
    if (db_begin(db, err) < 0)
        goto out;
    if (topic_find(db, topic, &t, err) < 0)
        goto fail;
    snprintf(tid, sizeof(tid), "%lld", t.id);
    {
        const char *p[] = {tid, locale, body, hash, arr.s};
        if ((r = db_exec(db, Q_SENSITIVE_TEXT_ADD, p, 5, err)) == NULL)
            goto fail;
    }
    *id = db_int(r, 0, "id");
    version = db_int(r, 0, "version");
    *created = db_bool(r, 0, "created");
    if (!*created && !db_bool(r, 0, "same")) {
        mo_err_set(err, MO_E_CONFLICT,
                   "this exact text is already version id %lld with other explicit attributes "
                   "(%s): a stored text never changes its meaning; change the wording",
                   *id, db_val(r, 0, "explicit"));
        PQclear(r);
        goto fail;
    }
    PQclear(r);
    snprintf(obj, sizeof(obj), "consent_text:%lld", *id);
    if (audit_append_json(db, actor, "consent_text.add", obj,
                          json_pack("{s:s, s:s, s:I, s:s, s:b, s:O}", "topic", t.name, "locale",
                                    locale, "version", (json_int_t)version, "sha256", hash,
                                    "created", *created, "explicit_attributes", names),
                          err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    rc = 0;
    goto out;
fail:
    db_rollback(db);
out:
    json_decref(names);
    buf_release(&arr);
    attrs_free(&decl);
    attrs_free(&ex);
    return rc;
}

static void add_name(char ***names, int *n, const char *name)
{
    for (int i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return;
    *names = xrealloc(*names, (size_t)(*n + 1) * sizeof(**names));
    (*names)[(*n)++] = xstrdup(name);
}

void sensitive_template_uses(const char *body, const char *declared, char ***names, int *n)
{
    struct attr_list decl;
    struct mo_err e;

    mo_err_init(&e);
    if (body == NULL || attrs_parse(declared, "contact_attributes", &decl, &e) < 0)
        return;
    for (const char *p = strstr(body, "{{"); p; p = strstr(p, "{{")) {
        p += 2;
        while (*p == '{' || *p == '&' || *p == '#' || *p == '^' || *p == '/' || *p == ' ' ||
               *p == '\t')
            p++;
        if (strncasecmp(p, "attr.", 5) != 0)
            continue;
        p += 5;
        char name[ATTRS_NAME_MAX + 1];
        size_t k = 0;
        while ((isalnum((unsigned char)*p) || *p == '_') && k < ATTRS_NAME_MAX)
            name[k++] = (char)tolower((unsigned char)*p++);
        name[k] = '\0';
        if (k > 0 && attrs_is_sensitive(&decl, name))
            add_name(names, n, name);
    }
    attrs_free(&decl);
}

int sensitive_in_array(const char *arr, const char *attr)
{
    size_t n = strlen(attr);
    if (arr == NULL || *arr != '{')
        return 0;
    for (const char *p = arr + 1; *p && *p != '}';) {
        size_t len = strcspn(p, ",}");
        if (len == n && strncmp(p, attr, n) == 0)
            return 1;
        p += len;
        if (*p == ',')
            p++;
    }
    return 0;
}

static json_t *check_one(struct db *db, const char *tid, const char *topic, const char *attr,
                         const char *used_by, int *refused, struct mo_err *err)
{
    const char *p[] = {tid, attr};
    PGresult *r = db_exec(db, Q_SENSITIVE_TOPIC_TEXT, p, 2, err);
    char msg[400];
    json_t *o;

    if (r == NULL)
        return NULL;
    if (db_isnull(r, 0, "id")) {
        (*refused)++;
        snprintf(msg, sizeof(msg),
                 "refused: %s uses sensitive attribute '%s' (GDPR Art. 9) but no current consent "
                 "text of topic '%s' is explicit for it (consent-text add %s FILE --explicit %s)",
                 used_by, attr, topic, topic, attr);
        o = json_pack("{s:s, s:s, s:b, s:n, s:s}", "attribute", attr, "used_by", used_by, "allowed",
                      0, "consent_text", "message", msg);
    } else {
        snprintf(msg, sizeof(msg),
                 "%s uses sensitive attribute '%s' (Art. 9): allowed by explicit consent text %s "
                 "of topic '%s' (only contacts who consented under such a text)",
                 used_by, attr, db_val(r, 0, "id"), topic);
        o = json_pack("{s:s, s:s, s:b, s:I, s:s}", "attribute", attr, "used_by", used_by, "allowed",
                      1, "consent_text", (json_int_t)db_int(r, 0, "id"), "message", msg);
    }
    PQclear(r);
    return o;
}

json_t *sensitive_campaign_check(struct db *db, const char *declared, long long campaign_id,
                                 long long topic_id, const char *topic, char **seg_attrs, int nseg,
                                 int *refused, struct mo_err *err)
{
    char tid[24], cid[24];
    char **tmpl = NULL;
    int ntmpl = 0;
    json_t *out = json_array();
    PGresult *r;

    *refused = 0;
    snprintf(tid, sizeof(tid), "%lld", topic_id);
    snprintf(cid, sizeof(cid), "%lld", campaign_id);
    {
        const char *p[] = {cid};
        if ((r = db_exec(db, Q_SENSITIVE_CAMPAIGN_TEMPLATE, p, 1, err)) == NULL)
            goto fail;
    }
    for (int i = 0; i < PQntuples(r); i++)
        for (int c = 0; c < 3; c++)
            if (!PQgetisnull(r, i, c))
                sensitive_template_uses(PQgetvalue(r, i, c), declared, &tmpl, &ntmpl);
    PQclear(r);
    for (int i = 0; i < nseg; i++) {
        json_t *o = check_one(db, tid, topic, seg_attrs[i], "segment", refused, err);
        if (o == NULL)
            goto fail;
        json_array_append_new(out, o);
    }
    for (int i = 0; i < ntmpl; i++) {
        json_t *o = check_one(db, tid, topic, tmpl[i], "template", refused, err);
        if (o == NULL)
            goto fail;
        json_array_append_new(out, o);
    }
    for (int i = 0; i < ntmpl; i++)
        free(tmpl[i]);
    free(tmpl);
    return out;
fail:
    for (int i = 0; i < ntmpl; i++)
        free(tmpl[i]);
    free(tmpl);
    json_decref(out);
    return NULL;
}
