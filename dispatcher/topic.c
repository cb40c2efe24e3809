/*
 * topic.c - topics and consent texts: validation, versioning, storing each
 * wording once under its SHA-256, each addition audited in its own
 * transaction, and the list the subscribe form shows.  Recording consent is
 * ledger.c's job; rendering the form is the template's
 * (templates/LANG/page_subscribe.html).
 */
#include "topic.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "audit.h"
#include "crypto.h"
#include "utf8.h"
#include "xalloc.h"

int topic_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n < 1 || n > 63 || !(islower((unsigned char)name[0]) || isdigit((unsigned char)name[0])))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
              strchr("_.-", name[i])))
            return 0;
    return 1;
}

int topic_locale_valid(const char *l)
{
    size_t i = 0, n;
    while (islower((unsigned char)l[i]))
        i++;
    if (i < 2 || i > 3)
        return 0;
    while (l[i]) {
        if (l[i] != '-' && l[i] != '_')
            return 0;
        i++;
        n = 0;
        while (isalnum((unsigned char)l[i])) {
            i++;
            n++;
        }
        if (n < 2 || n > 8)
            return 0;
    }
    return 1;
}

int topic_add(struct db *db, const char *name, const char *title, const char *actor, long long *id,
              struct mo_err *err)
{
    char obj[80];

    if (!topic_name_valid(name))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid topic name '%s': use 1-63 lower-case letters, digits, '_', '.' "
                          "or '-', starting with a letter or digit",
                          name);
    if (*title == '\0' || strlen(title) > 200 || !utf8_valid(title, strlen(title)) ||
        strpbrk(title, "\r\n"))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid --title: 1-200 characters of UTF-8 on one line");
    /* a valid name has at most 63 bytes */
    if (snprintf(obj, sizeof(obj), "topic:%s", name) >= (int)sizeof(obj))
        return mo_err_set(err, MO_E_INTERNAL, "topic name too long");
    if (db_begin(db, err) < 0)
        return -1;
    const char *p[] = {name, title};
    PGresult *r = db_exec(db, Q_TOPIC_ADD, p, 2, err);
    if (r == NULL) {
        db_rollback(db);
        if (err->code == MO_E_CONFLICT) {
            mo_err_init(err);
            return mo_err_set(err, MO_E_CONFLICT, "topic '%s' already exists", name);
        }
        return -1;
    }
    *id = db_int(r, 0, "id");
    PQclear(r);
    if (audit_append_json(db, actor, "topic.add", obj,
                          json_pack("{s:I, s:s}", "id", (json_int_t)*id, "title", title),
                          err) < 0 ||
        db_commit(db, err) < 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}

int topic_find(struct db *db, const char *name, struct topic *out, struct mo_err *err)
{
    if (!topic_name_valid(name))
        return mo_err_set(err, MO_E_NOTFOUND, "unknown topic '%.64s'",
                          utf8_valid(name, strlen(name)) ? name : "(not UTF-8)");
    const char *p[] = {name};
    PGresult *r = db_exec(db, Q_TOPIC_FIND, p, 1, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return mo_err_set(err, MO_E_NOTFOUND, "unknown topic '%s'", name);
    }
    out->id = db_int(r, 0, "id");
    /* the schema limits names to 63 and titles to 200 bytes: both fit */
    int nl = snprintf(out->name, sizeof(out->name), "%s", db_val(r, 0, "name"));
    int tl = snprintf(out->title, sizeof(out->title), "%s", db_val(r, 0, "title"));
    PQclear(r);
    if (nl >= (int)sizeof(out->name) || tl >= (int)sizeof(out->title))
        return mo_err_set(err, MO_E_INTERNAL, "topic '%s': name or title longer than expected",
                          name);
    return 0;
}

int topic_form_list(struct db *db, const char *locale, struct topic_form_entry **out, size_t *n,
                    struct mo_err *err)
{
    const char *p[] = {locale};
    PGresult *r;
    int cname, ctitle, cid, ctext, rows;

    *out = NULL;
    *n = 0;
    r = db_exec(db, Q_SUBSCRIBE_FORM_TOPICS, p, 1, err);
    if (r == NULL)
        return -1;
    cname = PQfnumber(r, "name");
    ctitle = PQfnumber(r, "title");
    cid = PQfnumber(r, "consent_text_id");
    ctext = PQfnumber(r, "consent_text");
    if (cname < 0 || ctitle < 0 || cid < 0 || ctext < 0) {
        PQclear(r);
        return mo_err_set(err, MO_E_INTERNAL, "subscribe form query: a column is missing");
    }
    rows = PQntuples(r);
    if (rows > 0)
        *out = xcalloc((size_t)rows, sizeof(**out));
    for (int i = 0; i < rows; i++) {
        struct topic_form_entry *e = &(*out)[i];
        e->name = xstrdup(PQgetvalue(r, i, cname));
        e->title = xstrdup(PQgetvalue(r, i, ctitle));
        e->consent_text_id = strtoll(PQgetvalue(r, i, cid), NULL, 10);
        e->consent_text = xstrdup(PQgetvalue(r, i, ctext));
    }
    *n = (size_t)rows;
    PQclear(r);
    return 0;
}

void topic_form_list_free(struct topic_form_entry *list, size_t n)
{
    if (list == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        free(list[i].name);
        free(list[i].title);
        free(list[i].consent_text);
    }
    free(list);
}

static int contains_ci(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (strncasecmp(hay + i, needle, m) == 0)
            return 1;
    return 0;
}

int consent_text_check(const char *body, size_t len, struct mo_err *err)
{
    static const char *const words[] = {"withdraw", "revoke",   "unsubscribe", "opt out",
                                        "opt-out",  "widerruf", "abmelden",    "abbestellen"};
    if (len == 0)
        return mo_err_set(err, MO_E_INPUT, "the consent text is empty");
    if (len > CONSENT_TEXT_MAX)
        return mo_err_set(err, MO_E_INPUT, "the consent text is longer than 64 KiB");
    if (memchr(body, '\0', len) || !utf8_valid(body, len))
        return mo_err_set(err, MO_E_INPUT, "the consent text is not valid UTF-8 text");
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (contains_ci(body, len, words[i]))
            return 0;
    return mo_err_set(err, MO_E_INPUT,
                      "the consent text does not tell people they can withdraw: it needs one of "
                      "withdraw, revoke, unsubscribe, opt out, widerruf, abmelden, abbestellen "
                      "(GDPR Art. 7(3))");
}

int consent_text_add(struct db *db, const char *topic, const char *locale, const char *body,
                     size_t len, const char *actor, long long *id, int *created, struct mo_err *err)
{
    struct topic t;
    char hash[CRYPTO_SHA256_HEX_LEN + 1], tid[24], obj[48];
    long long version;
    PGresult *r;

    if (!topic_locale_valid(locale))
        return mo_err_set(err, MO_E_INPUT, "invalid locale '%s': expected e.g. en, de or en-GB",
                          locale);
    if (consent_text_check(body, len, err) < 0)
        return -1;
    crypto_sha256_hex(body, len, hash);
    if (db_begin(db, err) < 0)
        return -1;
    if (topic_find(db, topic, &t, err) < 0)
        goto fail;
    snprintf(tid, sizeof(tid), "%lld", t.id); /* fits: at most 20 characters */
    const char *p[] = {tid, locale, body, hash};
    r = db_exec(db, Q_CONSENT_TEXT_ADD, p, 4, err);
    if (r == NULL)
        goto fail;
    *id = db_int(r, 0, "id");
    version = db_int(r, 0, "version");
    *created = db_bool(r, 0, "created");
    PQclear(r);
    snprintf(obj, sizeof(obj), "consent_text:%lld", *id); /* fits */
    if (audit_append_json(db, actor, "consent_text.add", obj,
                          json_pack("{s:s, s:s, s:I, s:s, s:b}", "topic", t.name, "locale", locale,
                                    "version", (json_int_t)version, "sha256", hash, "created",
                                    *created),
                          err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}
