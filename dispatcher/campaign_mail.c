/*
 * campaign_mail.c - one campaign's marketing message per recipient.
 *
 * Owns: what every campaign message carries beyond its template (the list
 * headers, List-Id, the variables of INTERFACE.md "Templates", the footer
 * fallback when a rendered part has lost its way out, the advertisement
 * label under opt_out_regime), the configuration check for marketing mail,
 * and `campaign preview`.  It does not decide bases (the engine, through
 * campaign.c), issue or store tokens, sign (dkim.c) or send (dispatch).
 *
 * Loading reads everything shared once; rendering touches no database and
 * only reads the loaded campaign_mail, so several threads may render with
 * one.  Parts are rendered here (compose_in.prerendered) so the footer
 * check sees the final text.
 */
#include "campaign_mail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "address.h"
#include "attrs.h"
#include "campaign.h"
#include "config.h"
#include "crypto.h"
#include "dkim.h"
#include "sensitive.h"
#include "tmpl.h"
#include "tmplfile.h"
#include "xalloc.h"

#define URL_MAX      512               /* base_url */
#define SUBJECT_MAX  (8 * 1024)        /* a rendered subject */
#define PART_MAX     (2 * 1024 * 1024) /* a rendered part with footer and label */
#define LABELS_MAX   1000              /* policy rows */
#define AD_TEXT_PRE  "*** "
#define AD_TEXT_POST " ***\n\n"
#define AD_HTML_PRE                                                                                \
    "<p style=\"margin:0 0 1em 0;padding:6px;border:2px solid #000;font-weight:bold;"              \
    "font-size:1.2em;text-align:center;text-transform:uppercase\">"
#define AD_HTML_POST "</p>\n"

struct ad_label {
    char country[4]; /* "DE", or "*" */
    char *text;      /* as in policy.opt_out_label */
    char *html;      /* HTML-escaped */
};

struct campaign_mail {
    const struct config *cfg;
    long long campaign_id;
    long long topic_id;
    char *name;
    char *topic;
    char *topic_title;
    char *legal_entity;
    char *locale;
    char *subject;
    char *text;
    char *html; /* NULL: text only */
    char *footer_text;
    char *footer_html;       /* NULL when the template has no HTML part */
    char *base_url;          /* without a trailing '/' */
    char *mailto;            /* unsubscribe_mailto, or NULL when unset */
    char *list_id;           /* topic.from-domain */
    char *postal_html;       /* the postal address as the HTML part shows it */
    struct ad_label *labels; /* policy.opt_out_label per country */
    size_t nlabels;
    const struct ad_label *fallback; /* the '*' row, or NULL */
};

static char *dup_val(const PGresult *r, const char *col)
{
    return db_isnull(r, 0, col) ? NULL : xstrdup(db_val(r, 0, col));
}

/* --- configuration --- */

/* 1 for characters allowed in a URL or mailto inside List-Unsubscribe's angle brackets. */
static int url_char(unsigned char c)
{
    return c > 0x20 && c < 0x7F && !strchr("\"<>\\^`{|},", c);
}

/* The host of an http(s) URL (after the scheme), as HOST or [V6], into out. */
static int url_host(const char *rest, char *out, size_t n)
{
    size_t len;

    if (*rest == '[') {
        const char *e = strchr(rest, ']');
        if (e == NULL)
            return -1;
        len = (size_t)(e - rest) + 1;
    } else
        len = strcspn(rest, ":/?#");
    if (len == 0 || len >= n || memchr(rest, '@', strcspn(rest, "/?#")))
        return -1;
    memcpy(out, rest, len);
    out[len] = '\0';
    return 0;
}

static int mailto_valid(const char *a)
{
    const char *at = strchr(a, '@');
    size_t n = strlen(a);

    if (at == NULL || at == a || at[1] == '\0' || strchr(at + 1, '@') || n > 254)
        return 0;
    for (const char *p = a; *p; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || (p < at && (c == '_' || c == '+')) || p == at;
        if (!ok)
            return 0;
    }
    return 1;
}

int campaign_mail_check_config(const struct config *cfg, struct mo_err *err)
{
    const char *u = cfg->base_url;
    char host[300];
    const char *rest;

    if (!*cfg->from_addr)
        return mo_err_set(err, MO_E_INPUT, "marketing mail needs a sender (key from)");
    if (!*cfg->postal_address)
        return mo_err_set(err, MO_E_INPUT,
                          "marketing mail needs a postal address (key postal_address)");
    if (!*u)
        return mo_err_set(err, MO_E_INPUT, "marketing mail needs unsubscribe links (key base_url)");
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (!url_char(*p))
            return mo_err_set(err, MO_E_INPUT,
                              "base_url may hold only printable ASCII URL characters, no "
                              "spaces, quotes, commas or angle brackets (key base_url)");
    if (strlen(u) > URL_MAX)
        return mo_err_set(err, MO_E_INPUT, "base_url is longer than %d characters (key base_url)",
                          URL_MAX);
    if (strncasecmp(u, "https://", 8) == 0)
        rest = u + 8;
    else if (strncasecmp(u, "http://", 7) == 0)
        rest = u + 7;
    else
        return mo_err_set(err, MO_E_INPUT, "base_url must start with https:// (key base_url)");
    if (url_host(rest, host, sizeof(host)) < 0)
        return mo_err_set(err, MO_E_INPUT, "base_url has no usable host: '%s' (key base_url)", u);
    if (rest == u + 7 && !config_host_is_loopback(host))
        return mo_err_set(err, MO_E_INPUT,
                          "base_url must use https:// (http:// only on loopback): '%s' "
                          "(key base_url)",
                          u);
    if (*cfg->unsubscribe_mailto && !mailto_valid(cfg->unsubscribe_mailto))
        return mo_err_set(err, MO_E_INPUT,
                          "unsubscribe_mailto must be a plain ASCII address such as "
                          "unsubscribe@example.com (key unsubscribe_mailto)");
    return 0;
}

/* --- loading --- */

/* topic.domain as an RFC 2919 list-id (a dot-atom, lower case). */
static char *make_list_id(const char *topic, const char *from_addr)
{
    const char *at = strrchr(from_addr, '@');
    const char *dom = at ? at + 1 : "mailout.invalid";
    struct buf b;

    buf_init(&b, 0);
    for (const char *p = topic; *p; p++) {
        char c = *p;
        /* no empty dot-atom parts: a second dot or a last dot becomes '-' */
        if (c == '.' && (p[1] == '\0' || p[1] == '.'))
            c = '-';
        buf_putc(&b, c);
    }
    buf_putc(&b, '.');
    for (const char *p = dom; *p; p++)
        buf_putc(&b, (*p >= 'A' && *p <= 'Z') ? (char)(*p - 'A' + 'a') : *p);
    return buf_detach(&b);
}

static char *html_escaped(const char *s)
{
    struct buf b;
    buf_init(&b, 0);
    tmpl_html_escape(s, &b);
    return buf_detach(&b);
}

static int load_labels(struct db *db, struct campaign_mail *cm, struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_CAMPAIGN_MAIL_LABELS, NULL, 0, err);
    int n;

    if (r == NULL)
        return -1;
    n = PQntuples(r);
    if (n > LABELS_MAX)
        n = LABELS_MAX;
    cm->labels = xcalloc((size_t)n + 1, sizeof(*cm->labels));
    for (int i = 0; i < n; i++) {
        struct ad_label *l = &cm->labels[cm->nlabels++];
        snprintf(l->country, sizeof(l->country), "%.3s", db_val(r, i, "country"));
        l->text = xstrdup(db_val(r, i, "opt_out_label"));
        l->html = html_escaped(l->text);
        if (strcmp(l->country, "*") == 0)
            cm->fallback = l;
    }
    PQclear(r);
    return 0;
}

int campaign_mail_load(struct db *db, const struct config *cfg, const char *data_dir,
                       long long campaign_id, struct campaign_mail **out, struct mo_err *err)
{
    char idbuf[32];
    const char *p[1] = {idbuf};
    struct campaign_mail *cm = NULL;
    PGresult *r;

    *out = NULL;
    if (campaign_mail_check_config(cfg, err) < 0)
        return -1;
    if (snprintf(idbuf, sizeof(idbuf), "%lld", campaign_id) >= (int)sizeof(idbuf))
        return mo_err_set(err, MO_E_INTERNAL, "campaign id does not fit");
    r = db_exec(db, Q_CAMPAIGN_MAIL_LOAD, p, 1, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return mo_err_set(err, MO_E_NOTFOUND, "campaign %lld not found", campaign_id);
    }
    cm = xcalloc(1, sizeof(*cm));
    cm->cfg = cfg;
    cm->campaign_id = campaign_id;
    cm->topic_id = db_int(r, 0, "topic_id");
    cm->name = dup_val(r, "name");
    cm->topic = dup_val(r, "topic");
    cm->topic_title = dup_val(r, "topic_title");
    cm->legal_entity = dup_val(r, "legal_entity");
    cm->locale = dup_val(r, "locale");
    cm->subject = dup_val(r, "subject");
    cm->text = dup_val(r, "text_body");
    cm->html = dup_val(r, "html_body");
    PQclear(r);

    size_t n = strlen(cfg->base_url);
    while (n > 0 && cfg->base_url[n - 1] == '/')
        n--;
    cm->base_url = xstrndup(cfg->base_url, n);
    cm->mailto = *cfg->unsubscribe_mailto ? xstrdup(cfg->unsubscribe_mailto) : NULL;
    cm->list_id = make_list_id(cm->topic, cfg->from_addr);
    cm->postal_html = html_escaped(cfg->postal_address);
    if ((cm->footer_text = tmplfile_load(data_dir, cm->locale, "footer.txt", 0, err)) == NULL ||
        (cm->html &&
         (cm->footer_html = tmplfile_load(data_dir, cm->locale, "footer.html", 0, err)) == NULL) ||
        load_labels(db, cm, err) < 0) {
        campaign_mail_free(cm);
        return -1;
    }
    *out = cm;
    return 0;
}

void campaign_mail_free(struct campaign_mail *cm)
{
    if (cm == NULL)
        return;
    free(cm->name);
    free(cm->topic);
    free(cm->topic_title);
    free(cm->legal_entity);
    free(cm->locale);
    free(cm->subject);
    free(cm->text);
    free(cm->html);
    free(cm->footer_text);
    free(cm->footer_html);
    free(cm->base_url);
    free(cm->mailto);
    free(cm->list_id);
    free(cm->postal_html);
    for (size_t i = 0; i < cm->nlabels; i++) {
        free(cm->labels[i].text);
        free(cm->labels[i].html);
    }
    free(cm->labels);
    free(cm);
}

long long campaign_mail_topic_id(const struct campaign_mail *cm)
{
    return cm->topic_id;
}

const char *campaign_mail_name(const struct campaign_mail *cm)
{
    return cm->name;
}

/* --- rendering --- */

/*
 * The contact's attributes as attr.NAME; a sensitive one (contact_attributes
 * NAME:sensitive) only when the contact's consent for the campaign's topic
 * was given under a text explicit for it (issue 13, GDPR Art. 9(2)(a)).
 */
static void set_attrs(struct tmpl_vars *v, const char *json, const char *declared,
                      const char *explicit_attrs)
{
    json_error_t je;
    json_t *o;
    const char *k;
    json_t *val;
    char name[TMPL_MAX_NAME + 1], num[64];
    struct attr_list al;
    struct mo_err e;

    mo_err_init(&e);
    if (attrs_parse(declared, "contact_attributes", &al, &e) < 0)
        memset(&al, 0, sizeof(al));
    if (json == NULL || (o = json_loads(json, 0, &je)) == NULL) {
        attrs_free(&al);
        return;
    }
    json_object_foreach(o, k, val)
    {
        const char *s = NULL;
        if (e.code != MO_E_OK ||
            (attrs_is_sensitive(&al, k) && !sensitive_in_array(explicit_attrs, k)))
            continue; /* a bad list (config check refuses it) renders no attribute at all */
        if (snprintf(name, sizeof(name), "attr.%s", k) >= (int)sizeof(name))
            continue;
        if (json_is_string(val))
            s = json_string_value(val);
        else if (json_is_true(val))
            s = "true";
        else if (json_is_false(val))
            s = "false";
        else if (json_is_integer(val) &&
                 snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(val)) <
                     (int)sizeof(num))
            s = num;
        if (s)
            tmpl_vars_set(v, name, s);
    }
    json_decref(o);
    attrs_free(&al);
}

static const struct ad_label *label_for(const struct campaign_mail *cm, const char *country)
{
    if (country && *country)
        for (size_t i = 0; i < cm->nlabels; i++)
            if (strcasecmp(cm->labels[i].country, country) == 0)
                return &cm->labels[i];
    return cm->fallback;
}

static int rendered(const char *what, const char *tmpl, const struct tmpl_vars *v,
                    enum tmpl_escape esc, struct buf *out, struct mo_err *err)
{
    if (tmpl_render(tmpl, v, esc, out, err) < 0) {
        mo_err_detail(err, "in the %s of the campaign template", what);
        return -1;
    }
    return 0;
}

/* Appends the rendered footer when part lacks the link or the address. */
static int way_out(struct buf *part, const char *url, const char *postal, const char *footer,
                   const struct tmpl_vars *v, enum tmpl_escape esc, struct mo_err *err)
{
    if (strstr(part->s, url) && strstr(part->s, postal))
        return 0;
    if (part->len && part->s[part->len - 1] != '\n' && buf_putc(part, '\n') < 0)
        return mo_err_set(err, MO_E_INPUT, "message part too large");
    if (esc == TMPL_RAW && buf_putc(part, '\n') < 0)
        return mo_err_set(err, MO_E_INPUT, "message part too large");
    return rendered("standard footer", footer, v, esc, part, err);
}

/* Where the advertisement label goes in an HTML part: after <body ...>, else the start. */
static size_t html_top(const char *s)
{
    for (const char *p = s; (p = strchr(p, '<')) != NULL; p++)
        if (strncasecmp(p, "<body", 5) == 0 &&
            (p[5] == '>' || p[5] == ' ' || p[5] == '\t' || p[5] == '\n' || p[5] == '\r')) {
            const char *gt = strchr(p, '>');
            return gt ? (size_t)(gt + 1 - s) : 0;
        }
    return 0;
}

static int url_safe_token(const char *t)
{
    if (t == NULL || !*t || strlen(t) > 128)
        return 0;
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
              *t == '-' || *t == '_' || *t == '.'))
            return 0;
    return 1;
}

int campaign_mail_render(const struct campaign_mail *cm, const struct campaign_mail_rcpt *r,
                         struct compose_msg *out, struct mo_err *err)
{
    const struct config *cfg = cm->cfg;
    const struct ad_label *ad = NULL;
    struct tmpl_vars *v = NULL;
    struct buf url, url_html, lu, subject, text, html, tmp;
    int rc = -1;

    buf_init(&url, 1024);
    buf_init(&url_html, 4096);
    buf_init(&lu, 2048);
    buf_init(&subject, SUBJECT_MAX);
    buf_init(&text, PART_MAX);
    buf_init(&html, PART_MAX);
    buf_init(&tmp, PART_MAX);
    buf_reset(&out->data);
    out->message_id[0] = '\0';
    if (!url_safe_token(r->token)) {
        mo_err_set(err, MO_E_INTERNAL, "campaign mail: the unsubscribe token is not URL-safe");
        goto out;
    }
    if (r->name && strpbrk(r->name, "\r\n")) {
        mo_err_set(err, MO_E_INPUT,
                   "the contact's name has a line break and cannot go into the To header");
        goto out;
    }
    /*
     * The mailto carries the message's token in its subject ("%20" is the
     * space), so a reply names the recipient and topic as the link does
     * (`mailout inbound`); the token and the checked address are URL-safe.
     */
    if (buf_printf(&url, "%s/u/%s", cm->base_url, r->token) < 0 ||
        buf_printf(&lu, "<%s>", url.s) < 0 ||
        (cm->mailto &&
         buf_printf(&lu, ", <mailto:%s?subject=unsubscribe%%20%s>", cm->mailto, r->token) < 0) ||
        tmpl_html_escape(url.s, &url_html) < 0) {
        mo_err_set(err, MO_E_INPUT, "unsubscribe address too long");
        goto out;
    }
    if (r->basis && strcmp(r->basis, "opt_out_regime") == 0)
        ad = label_for(cm, r->country);

    v = tmpl_vars_new();
    tmpl_vars_set(v, "email", r->email);
    tmpl_vars_set(v, "name", r->name);
    tmpl_vars_set(v, "country", r->country);
    tmpl_vars_set(v, "locale", r->locale);
    tmpl_vars_set(v, "unsubscribe_url", url.s);
    tmpl_vars_set(v, "preferences_url", url.s);
    tmpl_vars_set(v, "from_name", cfg->from_name);
    tmpl_vars_set(v, "legal_entity", cm->legal_entity);
    tmpl_vars_set(v, "postal_address", cfg->postal_address);
    tmpl_vars_set(v, "campaign", cm->name);
    tmpl_vars_set(v, "topic", cm->topic);
    set_attrs(v, r->attrs_json, cm->cfg->contact_attributes, r->explicit_attrs);

    if (rendered("subject", cm->subject, v, TMPL_RAW, &subject, err) < 0)
        goto out;
    if (strpbrk(subject.s, "\r\n")) {
        mo_err_set(err, MO_E_INPUT,
                   "the subject has a line break from the contact's data and cannot be a header");
        goto out;
    }
    if (ad && (buf_puts(&text, AD_TEXT_PRE) < 0 || buf_puts(&text, ad->text) < 0 ||
               buf_puts(&text, AD_TEXT_POST) < 0)) {
        mo_err_set(err, MO_E_INTERNAL, "advertisement label too long");
        goto out;
    }
    if (rendered("text part", cm->text, v, TMPL_RAW, &text, err) < 0 ||
        way_out(&text, url.s, cfg->postal_address, cm->footer_text, v, TMPL_RAW, err) < 0)
        goto out;
    if (cm->html) {
        if (rendered("HTML part", cm->html, v, TMPL_HTML, &tmp, err) < 0 ||
            way_out(&tmp, url_html.s, cm->postal_html, cm->footer_html, v, TMPL_HTML, err) < 0)
            goto out;
        if (ad) {
            size_t at = html_top(tmp.s);
            if (buf_add(&html, tmp.s, at) < 0 || buf_puts(&html, AD_HTML_PRE) < 0 ||
                buf_puts(&html, ad->html) < 0 || buf_puts(&html, AD_HTML_POST) < 0 ||
                buf_puts(&html, tmp.s + at) < 0) {
                mo_err_set(err, MO_E_INPUT, "message part too large");
                goto out;
            }
        }
    }
    const struct compose_header hs[] = {
        {"List-Unsubscribe", lu.s},
        {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
    };
    const struct compose_in in = {
        .from_name = cfg->from_name,
        .from_addr = cfg->from_addr,
        .reply_to_name = cfg->reply_to_name,
        .reply_to_addr = cfg->reply_to_addr,
        .to_name = r->name,
        .to_addr = r->email,
        .subject = subject.s,
        .text = text.s,
        .html = cm->html ? (ad ? html.s : tmp.s) : NULL,
        .headers = hs,
        .nheaders = sizeof(hs) / sizeof(hs[0]),
        .list_id = cm->list_id,
        .list_id_phrase = cm->topic_title,
        .prerendered = 1,
    };
    rc = compose_message(&in, out, err);
out:
    tmpl_vars_free(v);
    buf_release(&url);
    buf_release(&url_html);
    buf_release(&lu);
    buf_release(&subject);
    buf_release(&text);
    buf_release(&html);
    buf_release(&tmp);
    return rc;
}

/* --- preview --- */

static void copy_str(char *dst, size_t n, const char *s)
{
    if (snprintf(dst, n, "%s", s ? s : "") >= (int)n)
        dst[n - 1] = '\0';
}

int campaign_mail_preview(struct db *db, const struct config *cfg, const char *data_dir,
                          const char *name, const char *email, struct compose_msg *out,
                          struct campaign_mail_preview_info *info, struct mo_err *err)
{
    struct campaign_mail *cm = NULL;
    struct dkim *dk = NULL;
    PGresult *cr = NULL;
    json_t *dec = NULL;
    char *norm = NULL;
    long long id;
    int rc = -1;

    memset(info, 0, sizeof(*info));
    {
        const char *p[] = {name};
        PGresult *r = db_exec(db, Q_CAMPAIGN_MAIL_FIND, p, 1, err);
        if (r == NULL)
            goto out;
        if (PQntuples(r) == 0) {
            PQclear(r);
            mo_err_set(err, MO_E_NOTFOUND, "unknown campaign '%s'", name);
            goto out;
        }
        id = db_int(r, 0, "id");
        PQclear(r);
    }
    if (address_normalize(email, &norm, err) < 0)
        goto out;
    {
        char cid[24];
        snprintf(cid, sizeof(cid), "%lld", id);
        const char *p[] = {norm, cid};
        if ((cr = db_exec(db, Q_CAMPAIGN_MAIL_CONTACT, p, 2, err)) == NULL)
            goto out;
        if (PQntuples(cr) == 0) {
            mo_err_set(err, MO_E_NOTFOUND, "no contact with the address %s", norm);
            goto out;
        }
    }
    if ((dec = campaign_explain_contact(db, cfg, name, norm, time(NULL), err)) == NULL)
        goto out;
    /* issue 13: a sensitive attribute without explicit consent: no test message either */
    for (size_t i = 0; i < json_array_size(json_object_get(dec, "sensitive")); i++) {
        json_t *o = json_array_get(json_object_get(dec, "sensitive"), i);
        if (!json_is_true(json_object_get(o, "allowed"))) {
            mo_err_set(err, MO_E_INPUT, "campaign '%s': %s", name,
                       json_string_value(json_object_get(o, "message")));
            goto out;
        }
    }
    copy_str(info->basis, sizeof(info->basis), json_string_value(json_object_get(dec, "basis")));
    copy_str(info->reason, sizeof(info->reason), json_string_value(json_object_get(dec, "reason")));
    if (campaign_mail_load(db, cfg, data_dir, id, &cm, err) < 0)
        goto out;
    {
        const struct campaign_mail_rcpt rcpt = {
            .email = db_val(cr, 0, "email"),
            .name = db_isnull(cr, 0, "name") ? NULL : db_val(cr, 0, "name"),
            .country = db_isnull(cr, 0, "country") ? NULL : db_val(cr, 0, "country"),
            .locale = db_isnull(cr, 0, "locale") ? NULL : db_val(cr, 0, "locale"),
            .attrs_json = db_isnull(cr, 0, "attrs") ? NULL : db_val(cr, 0, "attrs"),
            .explicit_attrs = db_isnull(cr, 0, "explicit") ? NULL : db_val(cr, 0, "explicit"),
            .basis = *info->basis ? info->basis : NULL,
            .token = CAMPAIGN_MAIL_PREVIEW_TOKEN,
        };
        if (campaign_mail_render(cm, &rcpt, out, err) < 0)
            goto out;
    }
    if (dkim_open(cfg, &dk, err) < 0 || (dk && dkim_sign(dk, &out->data, err) < 0))
        goto out;
    rc = 0;
out:
    dkim_free(dk);
    campaign_mail_free(cm);
    json_decref(dec);
    PQclear(cr);
    free(norm);
    return rc;
}
