/*
 * receipt.c - the consent receipt: its JSON document (built once, bytes
 * fixed by sorted keys and a fixed layout), its draft without tokens for
 * the queue, and the receipt mail built through compose.h.  It stores
 * nothing, derives no token and sends nothing: doi.c records the receipt's
 * hash and tokens, doi_mail.c queues and sends the mail.
 */
#include "receipt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "htmlsafe.h"
#include "mime.h"
#include "tmpl.h"
#include "tmplfile.h"
#include "xalloc.h"

#define SUBJECT_MAX (8 * 1024)
#define BODY_MAX    (1024 * 1024)
#define URL_MAX     4096

/* A JSON string, or null for NULL and "" (unknown); NULL when s is not UTF-8. */
static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* Sets key to v (taken); -1 when v is NULL (a value that was not UTF-8). */
static int set(json_t *o, const char *key, json_t *v)
{
    return v == NULL ? -1 : json_object_set_new(o, key, v);
}

static json_t *consent_new(const struct receipt_in *in, const struct receipt_topic *t)
{
    json_t *c = json_object(), *method = json_object(), *withdraw = json_object();
    struct buf mailto, prefix;
    int bad = 0;

    buf_init(&mailto, URL_MAX);
    buf_init(&prefix, URL_MAX);
    if (in->unsubscribe_mailto && *in->unsubscribe_mailto)
        bad |= buf_printf(&mailto, "mailto:%s", in->unsubscribe_mailto) < 0;
    bad |= buf_printf(&prefix, "%s/u/", in->base_url ? in->base_url : "") < 0;
    bad |= set(method, "type", json_string("double opt-in")) < 0;
    bad |= set(method, "requested_at", str_or_null(in->requested_at)) < 0;
    /* the link's start; receipt_set_link() adds the token */
    bad |= set(withdraw, "preference_url", json_string(prefix.s)) < 0;
    bad |= set(withdraw, "mailto", str_or_null(mailto.s)) < 0;
    bad |= set(c, "topic", json_string(t->name)) < 0;
    bad |= set(c, "title", json_string(t->title)) < 0;
    bad |= set(c, "consent_text", json_string(t->text)) < 0;
    bad |= set(c, "consent_text_sha256", json_string(t->text_sha256)) < 0;
    bad |= set(c, "consent_text_version", json_integer(t->text_version)) < 0;
    bad |= set(c, "consent_text_locale", str_or_null(t->text_locale)) < 0;
    bad |= set(c, "consented_at", str_or_null(in->confirmed_at)) < 0;
    bad |= set(c, "ip", str_or_null(in->ip)) < 0;
    bad |= set(c, "method", method) < 0;
    bad |= set(c, "withdraw", withdraw) < 0;
    buf_release(&mailto);
    buf_release(&prefix);
    if (bad) {
        json_decref(c);
        return NULL;
    }
    return c;
}

json_t *receipt_new(const struct receipt_in *in, struct mo_err *err)
{
    json_t *r = json_object(), *controller = json_object(), *subject = json_object();
    json_t *consents = json_array();
    int bad = 0;

    bad |= set(controller, "legal_entity", str_or_null(in->legal_entity)) < 0;
    bad |= set(controller, "postal_address", str_or_null(in->postal_address)) < 0;
    bad |= set(controller, "privacy_url", str_or_null(in->privacy_url)) < 0;
    bad |= set(subject, "email", str_or_null(in->email)) < 0;
    for (size_t i = 0; i < in->ntopics && !bad; i++) {
        json_t *c = consent_new(in, &in->topics[i]);
        bad |= c == NULL || json_array_append_new(consents, c) < 0;
    }
    bad |= set(r, "version", json_string(RECEIPT_VERSION)) < 0;
    bad |= set(r, "receipt_id", str_or_null(in->receipt_id)) < 0;
    bad |= set(r, "issued_at", str_or_null(in->confirmed_at)) < 0;
    bad |= set(r, "language", str_or_null(in->language)) < 0;
    bad |= set(r, "jurisdiction", str_or_null(in->jurisdiction)) < 0;
    bad |= set(r, "controller", controller) < 0;
    bad |= set(r, "subject", subject) < 0;
    bad |= set(r, "consents", consents) < 0;
    if (bad) {
        json_decref(r);
        mo_err_set(err, MO_E_INPUT, "consent receipt: a value is not valid UTF-8");
        return NULL;
    }
    return r;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static json_t *consent_at(const json_t *r, size_t i)
{
    return json_array_get(json_object_get(r, "consents"), i);
}

size_t receipt_ntopics(const json_t *r)
{
    return json_array_size(json_object_get(r, "consents"));
}

const char *receipt_topic(const json_t *r, size_t i)
{
    return json_string_value(json_object_get(consent_at(r, i), "topic"));
}

/* The preference link of consent i without its token: up to its last '/'. */
static json_t *link_prefix(const json_t *r, size_t i)
{
    const char *url = str(json_object_get(consent_at(r, i), "withdraw"), "preference_url");
    const char *slash = strrchr(url, '/');
    return json_stringn(url, slash ? (size_t)(slash - url) + 1 : 0);
}

char *receipt_draft(const json_t *r)
{
    json_t *d = json_deep_copy(r);
    char *s;

    /* never a token in the database: a token has no '/' */
    for (size_t i = 0; i < receipt_ntopics(d); i++)
        json_object_set_new(json_object_get(consent_at(d, i), "withdraw"), "preference_url",
                            link_prefix(d, i));
    s = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(d);
    return s;
}

json_t *receipt_from_draft(const char *draft, struct mo_err *err)
{
    json_error_t je;
    json_t *r = draft ? json_loads(draft, JSON_REJECT_DUPLICATES, &je) : NULL;

    if (r == NULL || !json_is_object(r) || strcmp(str(r, "version"), RECEIPT_VERSION) != 0) {
        json_decref(r);
        mo_err_set(err, MO_E_INPUT, "stored consent receipt is not a receipt of version %s",
                   RECEIPT_VERSION);
        return NULL;
    }
    for (size_t i = 0; i < receipt_ntopics(r); i++) {
        json_t *w = json_object_get(consent_at(r, i), "withdraw");
        if (!json_is_object(w) || !json_is_string(json_object_get(w, "preference_url")) ||
            receipt_topic(r, i) == NULL) {
            json_decref(r);
            mo_err_set(err, MO_E_INPUT, "stored consent receipt: consent %zu is malformed", i);
            return NULL;
        }
    }
    return r;
}

int receipt_set_link(json_t *r, size_t i, const char *token, struct mo_err *err)
{
    json_t *w = json_object_get(consent_at(r, i), "withdraw");
    json_t *prefix = link_prefix(r, i);
    struct buf url;
    int rc = -1;

    buf_init(&url, URL_MAX);
    if (!json_is_object(w) || prefix == NULL)
        mo_err_set(err, MO_E_INTERNAL, "consent receipt has no consent %zu", i);
    else if (buf_printf(&url, "%s%s", json_string_value(prefix), token) < 0)
        mo_err_set(err, MO_E_INPUT, "base_url is too long");
    else if (set(w, "preference_url", json_string(url.s)) < 0)
        mo_err_set(err, MO_E_INPUT, "base_url is not valid UTF-8");
    else
        rc = 0;
    json_decref(prefix);
    buf_release(&url);
    return rc;
}

char *receipt_text(const json_t *r, struct mo_err *err)
{
    char *s = json_dumps(r, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (s == NULL)
        mo_err_set(err, MO_E_INTERNAL, "consent receipt could not be written");
    return s;
}

int receipt_data_uri(const char *text, struct buf *out)
{
    size_t start = out->len;

    if (buf_puts(out, "data:application/json;base64,") < 0)
        return -1;
    if (mime_base64(text, strlen(text), 0, out) < 0) {
        buf_truncate(out, start);
        return -1;
    }
    return 0;
}

/* --- the mail ------------------------------------------------------------ */

/* Variables a receipt mail may use: the receipt's values, nothing that could advertise. */
static const char *const mail_vars[] = {"email",
                                        "confirmed_at",
                                        "receipt_id",
                                        "receipt_sha256",
                                        "legal_entity",
                                        "postal_address",
                                        "privacy_url",
                                        "imprint_url",
                                        "unsubscribe_mailto",
                                        "from_name",
                                        "topic_list",
                                        "consents",
                                        "title",
                                        "topic",
                                        "consent_text_sha256",
                                        "consent_text_version",
                                        "preference_url"};

static int allowed_var(const char *name, char kind, void *arg)
{
    struct mo_err *err = arg;
    (void)kind;
    for (size_t i = 0; i < sizeof(mail_vars) / sizeof(mail_vars[0]); i++)
        if (strcmp(name, mail_vars[i]) == 0)
            return 0;
    return mo_err_set(err, MO_E_INPUT,
                      "receipt mail template may not use {{%s}}: a receipt carries no advertising",
                      name);
}

static const char *from_addr(const struct config *cfg)
{
    if (*cfg->from_addr)
        return cfg->from_addr;
    return *cfg->from ? cfg->from : "mailout@localhost";
}

static const char *from_name(const struct config *cfg)
{
    return *cfg->from_name ? cfg->from_name : cfg->legal_entity;
}

/* The template's variables from the receipt; *urls gets the links it may show (borrowed). */
static struct tmpl_vars *mail_vars_of(const struct config *cfg, const json_t *r, const char *text,
                                      const char ***urls, size_t *nurls)
{
    struct tmpl_vars *v = tmpl_vars_new();
    const json_t *ctl = json_object_get(r, "controller");
    size_t n = receipt_ntopics(r);
    char sha[CRYPTO_SHA256_HEX_LEN + 1], num[24];
    struct buf list;
    const char *mailto = "";

    crypto_sha256_hex(text, strlen(text), sha);
    *urls = xcalloc(n + 2, sizeof(**urls));
    *nurls = 0;
    buf_init(&list, 64 * 1024);
    tmpl_vars_set(v, "email", str(json_object_get(r, "subject"), "email"));
    tmpl_vars_set(v, "confirmed_at", str(r, "issued_at"));
    tmpl_vars_set(v, "receipt_id", str(r, "receipt_id"));
    tmpl_vars_set(v, "receipt_sha256", sha);
    tmpl_vars_set(v, "legal_entity", str(ctl, "legal_entity"));
    tmpl_vars_set(v, "postal_address", str(ctl, "postal_address"));
    tmpl_vars_set(v, "privacy_url", str(ctl, "privacy_url"));
    tmpl_vars_set(v, "imprint_url", cfg->imprint_url);
    tmpl_vars_set(v, "from_name", from_name(cfg));
    if (*str(ctl, "privacy_url"))
        (*urls)[(*nurls)++] = str(ctl, "privacy_url");
    if (*cfg->imprint_url)
        (*urls)[(*nurls)++] = cfg->imprint_url;
    for (size_t i = 0; i < n; i++) {
        const json_t *c = consent_at(r, i), *w = json_object_get(c, "withdraw");
        struct tmpl_vars *item = tmpl_vars_list_add(v, "consents");
        tmpl_vars_set(item, "title", str(c, "title"));
        tmpl_vars_set(item, "topic", str(c, "topic"));
        tmpl_vars_set(item, "consent_text_sha256", str(c, "consent_text_sha256"));
        if (snprintf(num, sizeof(num), "%lld",
                     (long long)json_integer_value(json_object_get(c, "consent_text_version"))) >=
            (int)sizeof(num))
            num[0] = '\0';
        tmpl_vars_set(item, "consent_text_version", num);
        tmpl_vars_set(item, "preference_url", str(w, "preference_url"));
        if (*str(w, "preference_url"))
            (*urls)[(*nurls)++] = str(w, "preference_url");
        if (strncmp(str(w, "mailto"), "mailto:", 7) == 0)
            mailto = str(w, "mailto") + 7;
        if (buf_printf(&list, "%s- %s", i ? "\n" : "", str(c, "title")) < 0)
            break; /* titles are short; a cut list still names what fits */
    }
    tmpl_vars_set(v, "unsubscribe_mailto", mailto);
    tmpl_vars_set(v, "topic_list", list.s);
    buf_release(&list);
    return v;
}

int receipt_mail_build(const struct config *cfg, const char *data_dir, const json_t *r,
                       const char *text, const char *rcpt, struct compose_msg *m,
                       struct mo_err *err)
{
    static const struct compose_header auto_submitted = {"Auto-Submitted", "auto-generated"};
    char *raw = NULL, *subject_t, *body_t;
    struct tmpl_vars *v = NULL;
    const char **urls = NULL;
    size_t nurls = 0;
    struct buf subject, body;
    struct mo_err e;
    int rc = -1;

    buf_init(&subject, SUBJECT_MAX);
    buf_init(&body, BODY_MAX);
    mo_err_init(&e);
    raw = tmplfile_load(data_dir, str(r, "language"), "receipt_mail.txt", 0, err);
    if (raw == NULL)
        goto out;
    if (tmplfile_split_header(raw, "Subject", "receipt mail template", &subject_t, &body_t, err) <
            0 ||
        tmpl_names(subject_t, allowed_var, err, err) != 0 ||
        tmpl_names(body_t, allowed_var, err, err) != 0)
        goto out;
    v = mail_vars_of(cfg, r, text, &urls, &nurls);
    if (tmpl_render(subject_t, v, TMPL_RAW, &subject, err) < 0 ||
        tmpl_render(body_t, v, TMPL_RAW, &body, err) < 0)
        goto out;
    if (htmlsafe_text_check(subject.s, subject.len, NULL, 0, &e) < 0 ||
        htmlsafe_text_check(body.s, body.len, urls, nurls, &e) < 0) {
        mo_err_set(err, MO_E_INPUT,
                   "receipt mail template: %s: only the preference, privacy and imprint links are "
                   "allowed",
                   e.msg);
        goto out;
    }
    struct mime_attachment att = {RECEIPT_FILENAME, "application/json", text, strlen(text)};
    struct compose_in in = {
        .from_name = from_name(cfg),
        .from_addr = from_addr(cfg),
        .reply_to_name = cfg->reply_to_name,
        .reply_to_addr = *cfg->reply_to_addr ? cfg->reply_to_addr : cfg->reply_to,
        .to_addr = rcpt,
        .subject = subject.s,
        .text = body.s,
        .headers = &auto_submitted,
        .nheaders = 1,
        .prerendered = 1,
        .attachments = &att,
        .nattachments = 1,
    };
    rc = compose_message(&in, m, err);
out:
    free(raw);
    free(urls);
    tmpl_vars_free(v);
    buf_release(&subject);
    buf_release(&body);
    return rc;
}
