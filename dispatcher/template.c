/*
 * template.c - checking and storing message templates: the name, the
 * subject (one line, not posing as a reply or forward), the parts, and the
 * standard footer appended to a part without the unsubscribe link or the
 * postal address.  What a template may say is tmpl.c's syntax; the list
 * headers and the footer fallback at render are campaign_mail.c's.
 */
#include "template.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "audit.h"
#include "buf.h"
#include "crypto.h"
#include "tmpl.h"
#include "tmplfile.h"
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

/* 1 when the subject starts like a reply or forward: Re:, Fwd:, Fw:, AW:, WG: (R-MBP-7). */
static int reply_subject(const char *s)
{
    static const char *const prefixes[] = {"re", "fwd", "fw", "aw", "wg"};

    while (*s == ' ')
        s++;
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        size_t n = strlen(prefixes[i]);
        if (strncasecmp(s, prefixes[i], n) == 0) {
            const char *p = s + n;
            while (*p == ' ')
                p++;
            if (*p == ':')
                return 1;
        }
    }
    return 0;
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
    if (reply_subject(t->subject))
        return mo_err_set(err, MO_E_INPUT,
                          "invalid --subject: a campaign may not pose as a reply or forward "
                          "(Re:, Fwd:, Fw:, AW:, WG:)");
    if (check_syntax(t->subject, "subject", err) < 0)
        return -1;
    if (t->locale && strcmp(t->locale, "en") != 0 && strcmp(t->locale, "de") != 0)
        return mo_err_set(err, MO_E_INPUT, "invalid --locale '%.20s': en or de",
                          utf8_valid_str(t->locale) ? t->locale : "(not UTF-8)");
    if (t->text_len == 0)
        return mo_err_set(err, MO_E_INPUT, "template text part '%.200s': empty",
                          t->text_file && utf8_valid_str(t->text_file) ? t->text_file : "-");
    if (check_part(t->text, t->text_len, "text", t->text_file, err) < 0)
        return -1;
    if (t->html != NULL && check_part(t->html, t->html_len, "html", t->html_file, err) < 0)
        return -1;
    return 0;
}

static int lacks_cb(const char *name, char kind, void *arg)
{
    unsigned *have = arg;
    if (kind == '{' && strcmp(name, "unsubscribe_url") == 0)
        *have |= TEMPLATE_LACKS_UNSUBSCRIBE;
    else if (kind == '{' && strcmp(name, "postal_address") == 0)
        *have |= TEMPLATE_LACKS_POSTAL;
    return 0;
}

int template_part_lacks(const char *body, struct mo_err *err)
{
    unsigned have = 0;
    if (tmpl_names(body, lacks_cb, &have, err) < 0)
        return -1;
    return (int)((TEMPLATE_LACKS_UNSUBSCRIBE | TEMPLATE_LACKS_POSTAL) & ~have);
}

/* The last "</body" of s (any case), or NULL. */
static const char *body_close(const char *s)
{
    const char *last = NULL;
    for (const char *p = s; (p = strchr(p, '<')) != NULL; p++)
        if (strncasecmp(p, "</body", 6) == 0)
            last = p;
    return last;
}

/*
 * Builds the part to store into out: body, then the footer when it lacks the
 * way out (HTML: before </body> when there is one).  *lacks gets the bits.
 */
static int with_footer(const char *body, size_t len, int html, const struct template_def *t,
                       unsigned *lacks, struct buf *out, struct mo_err *err)
{
    char *footer = NULL;
    int l = template_part_lacks(body, err);

    if (l < 0)
        return -1;
    *lacks = (unsigned)l;
    if (l == 0)
        return buf_add(out, body, len) < 0 ? mo_err_set(err, MO_E_INPUT, "template too large") : 0;
    footer = tmplfile_load(t->data_dir, t->locale ? t->locale : "en",
                           html ? "footer.html" : "footer.txt", 0, err);
    if (footer == NULL)
        return -1;
    const char *cut = html ? body_close(body) : NULL;
    size_t head = cut ? (size_t)(cut - body) : len;
    int bad = buf_add(out, body, head) < 0;
    if (!bad && out->len && out->s[out->len - 1] != '\n')
        bad = buf_putc(out, '\n') < 0;
    if (!bad && !html)
        bad = buf_putc(out, '\n') < 0;
    bad = bad || buf_puts(out, footer) < 0 || buf_add(out, body + head, len - head) < 0;
    free(footer);
    return bad ? mo_err_set(err, MO_E_INPUT, "template too large with the footer") : 0;
}

int template_add(struct db *db, const struct template_def *t, const char *actor,
                 struct template_added *res, struct mo_err *err)
{
    char obj[80], th[CRYPTO_SHA256_HEX_LEN + 1], hh[CRYPTO_SHA256_HEX_LEN + 1];
    const char *locale = t->locale ? t->locale : "en";
    json_t *detail, *footer;
    struct buf text, html;
    PGresult *r;
    int rc = -1;

    memset(res, 0, sizeof(*res));
    buf_init(&text, 0);
    buf_init(&html, 0);
    if (template_check(t, err) < 0)
        goto out;
    /* a valid name has at most 63 bytes */
    if (snprintf(obj, sizeof(obj), "template:%s", t->name) >= (int)sizeof(obj)) {
        mo_err_set(err, MO_E_INTERNAL, "template name too long");
        goto out;
    }
    if (with_footer(t->text, t->text_len, 0, t, &res->text_lacks, &text, err) < 0 ||
        (t->html && with_footer(t->html, t->html_len, 1, t, &res->html_lacks, &html, err) < 0))
        goto out;
    crypto_sha256_hex(text.s, text.len, th);
    if (t->html)
        crypto_sha256_hex(html.s, html.len, hh);
    if (db_begin(db, err) < 0)
        goto out;
    const char *p[] = {t->name, t->subject, text.s, t->html ? html.s : NULL, locale};
    r = db_exec(db, Q_TEMPLATE_ADD, p, 5, err);
    if (r == NULL) {
        db_rollback(db);
        if (err->code == MO_E_CONFLICT) {
            mo_err_init(err);
            mo_err_set(err, MO_E_CONFLICT, "template '%s' already exists", t->name);
        }
        goto out;
    }
    res->id = db_int(r, 0, "id");
    PQclear(r);
    detail =
        json_pack("{s:I, s:s, s:s, s:{s:I, s:s}}", "id", (json_int_t)res->id, "kind", "marketing",
                  "locale", locale, "text", "bytes", (json_int_t)text.len, "sha256", th);
    if (detail != NULL && t->html != NULL)
        json_object_set_new(detail, "html",
                            json_pack("{s:I, s:s}", "bytes", (json_int_t)html.len, "sha256", hh));
    if (detail != NULL && (res->text_lacks || res->html_lacks)) {
        footer = json_array();
        if (res->text_lacks)
            json_array_append_new(footer, json_string("text"));
        if (res->html_lacks)
            json_array_append_new(footer, json_string("html"));
        json_object_set_new(detail, "footer", footer);
    }
    if (audit_append_json(db, actor, "template.add", obj, detail, err) < 0 ||
        db_commit(db, err) < 0) {
        db_rollback(db);
        goto out;
    }
    rc = 0;
out:
    buf_release(&text);
    buf_release(&html);
    return rc;
}
