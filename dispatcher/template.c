/*
 * template.c - checking and storing message templates.  What a template
 * may say is tmpl.c's syntax; which variables it may use, the standard
 * footer and the List-* header rules belong to dispatch (a later issue),
 * not here.
 */
#include "template.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "crypto.h"
#include "tmpl.h"
#include "topic.h"
#include "utf8.h"

int template_name_valid(const char *name)
{
    return topic_name_valid(name);
}

/* Runs tmpl_check on s; a syntax error becomes "template PART: LINE:COL: what". */
static int check_syntax(const char *s, const char *part, struct mo_err *err)
{
    struct mo_err e;
    mo_err_init(&e);
    if (tmpl_check(s, &e) == 0)
        return 0;
    const char *what = e.msg;
    if (strncmp(what, "template: ", 10) == 0)
        what += 10;
    return mo_err_set(err, MO_E_INPUT, "template %s: %s", part, what);
}

static int check_part(const char *body, size_t len, const char *kind, const char *file,
                      struct mo_err *err)
{
    char part[300];
    const char *f = file && utf8_valid_str(file) ? file : "-";

    if (snprintf(part, sizeof(part), "%s part '%.200s'", kind, f) >= (int)sizeof(part))
        return mo_err_set(err, MO_E_INTERNAL, "part name does not fit");
    if (len > TEMPLATE_BODY_MAX)
        return mo_err_set(err, MO_E_INPUT, "template %s: larger than %d bytes", part,
                          TEMPLATE_BODY_MAX);
    if (memchr(body, '\0', len) || !utf8_valid(body, len))
        return mo_err_set(err, MO_E_INPUT, "template %s: not valid UTF-8 text", part);
    return check_syntax(body, part, err);
}

int template_check(const struct template_def *t, struct mo_err *err)
{
    size_t chars = 0;

    if (!template_name_valid(t->name))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid template name '%.64s': use 1-63 lower-case letters, digits, "
                          "'_', '.' or '-', starting with a letter or digit",
                          utf8_valid_str(t->name) ? t->name : "(not UTF-8)");
    if (!utf8_valid_str(t->subject))
        return mo_err_set(err, MO_E_INPUT, "invalid --subject: not valid UTF-8");
    for (const unsigned char *p = (const unsigned char *)t->subject; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid --subject: it must be one line without control "
                              "characters (CR, LF, tab)");
        if ((*p & 0xC0) != 0x80)
            chars++;
    }
    if (chars == 0 || chars > TEMPLATE_SUBJECT_MAX)
        return mo_err_set(err, MO_E_INPUT, "invalid --subject: 1 to %d characters",
                          TEMPLATE_SUBJECT_MAX);
    if (check_syntax(t->subject, "subject", err) < 0)
        return -1;
    if (t->text_len == 0)
        return mo_err_set(err, MO_E_INPUT, "template text part '%.200s': empty",
                          t->text_file && utf8_valid_str(t->text_file) ? t->text_file : "-");
    if (check_part(t->text, t->text_len, "text", t->text_file, err) < 0)
        return -1;
    if (t->html != NULL && check_part(t->html, t->html_len, "html", t->html_file, err) < 0)
        return -1;
    return 0;
}

int template_add(struct db *db, const struct template_def *t, const char *actor, long long *id,
                 struct mo_err *err)
{
    char obj[80], th[CRYPTO_SHA256_HEX_LEN + 1], hh[CRYPTO_SHA256_HEX_LEN + 1];
    json_t *detail;
    PGresult *r;

    if (template_check(t, err) < 0)
        return -1;
    /* a valid name has at most 63 bytes */
    if (snprintf(obj, sizeof(obj), "template:%s", t->name) >= (int)sizeof(obj))
        return mo_err_set(err, MO_E_INTERNAL, "template name too long");
    crypto_sha256_hex(t->text, t->text_len, th);
    if (t->html)
        crypto_sha256_hex(t->html, t->html_len, hh);
    if (db_begin(db, err) < 0)
        return -1;
    const char *p[] = {t->name, t->subject, t->text, t->html};
    r = db_exec(db, Q_TEMPLATE_ADD, p, 4, err);
    if (r == NULL) {
        db_rollback(db);
        if (err->code == MO_E_CONFLICT) {
            mo_err_init(err);
            return mo_err_set(err, MO_E_CONFLICT, "template '%s' already exists", t->name);
        }
        return -1;
    }
    *id = db_int(r, 0, "id");
    PQclear(r);
    detail = json_pack("{s:I, s:s, s:{s:I, s:s}}", "id", (json_int_t)*id, "kind", "marketing",
                       "text", "bytes", (json_int_t)t->text_len, "sha256", th);
    if (detail != NULL && t->html != NULL)
        json_object_set_new(
            detail, "html",
            json_pack("{s:I, s:s}", "bytes", (json_int_t)t->html_len, "sha256", hh));
    if (audit_append_json(db, actor, "template.add", obj, detail, err) < 0 ||
        db_commit(db, err) < 0) {
        db_rollback(db);
        return -1;
    }
    return 0;
}
