/*
 * campaign_mail.c - one campaign's marketing message per recipient.
 * (First cut: the template as stored, the list headers and the variables;
 * the footer rules, List-Id, advertisement labels and base_url checks come
 * with the template work.)
 */
#include "campaign_mail.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "tmpl.h"
#include "xalloc.h"

struct campaign_mail {
    const struct config *cfg;
    long long campaign_id;
    long long topic_id;
    char *name;
    char *topic;
    char *legal_entity;
    char *subject;
    char *text;
    char *html; /* NULL: text only */
};

static char *dup_val(const PGresult *r, const char *col)
{
    return db_isnull(r, 0, col) ? NULL : xstrdup(db_val(r, 0, col));
}

int campaign_mail_check_config(const struct config *cfg, struct mo_err *err)
{
    if (!*cfg->from_addr)
        return mo_err_set(err, MO_E_INPUT, "marketing mail needs a sender (key from)");
    if (!*cfg->postal_address)
        return mo_err_set(err, MO_E_INPUT,
                          "marketing mail needs a postal address (key postal_address)");
    if (!*cfg->base_url)
        return mo_err_set(err, MO_E_INPUT, "marketing mail needs unsubscribe links (key base_url)");
    return 0;
}

int campaign_mail_load(struct db *db, const struct config *cfg, long long campaign_id,
                       struct campaign_mail **out, struct mo_err *err)
{
    char idbuf[32];
    const char *p[1] = {idbuf};
    PGresult *r;

    *out = NULL;
    snprintf(idbuf, sizeof(idbuf), "%lld", campaign_id);
    r = db_exec(db, Q_CAMPAIGN_MAIL_LOAD, p, 1, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return mo_err_set(err, MO_E_NOTFOUND, "campaign %lld not found", campaign_id);
    }
    struct campaign_mail *cm = xcalloc(1, sizeof(*cm));
    cm->cfg = cfg;
    cm->campaign_id = campaign_id;
    cm->topic_id = db_int(r, 0, "topic_id");
    cm->name = dup_val(r, "name");
    cm->topic = dup_val(r, "topic");
    cm->legal_entity = dup_val(r, "legal_entity");
    cm->subject = dup_val(r, "subject");
    cm->text = dup_val(r, "text_body");
    cm->html = dup_val(r, "html_body");
    PQclear(r);
    *out = cm;
    return 0;
}

void campaign_mail_free(struct campaign_mail *cm)
{
    if (cm == NULL)
        return;
    free(cm->name);
    free(cm->topic);
    free(cm->legal_entity);
    free(cm->subject);
    free(cm->text);
    free(cm->html);
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

static void set_attrs(struct tmpl_vars *v, const char *json)
{
    json_error_t je;
    json_t *o;
    const char *k;
    json_t *val;
    char name[TMPL_MAX_NAME + 1];

    if (json == NULL || (o = json_loads(json, 0, &je)) == NULL)
        return;
    json_object_foreach(o, k, val)
    {
        if (json_is_string(val) && snprintf(name, sizeof(name), "attr.%s", k) < (int)sizeof(name))
            tmpl_vars_set(v, name, json_string_value(val));
    }
    json_decref(o);
}

int campaign_mail_render(const struct campaign_mail *cm, const struct campaign_mail_rcpt *r,
                         struct compose_msg *out, struct mo_err *err)
{
    const struct config *cfg = cm->cfg;
    struct tmpl_vars *v = tmpl_vars_new();
    struct buf url, lu;
    int rc = -1;

    buf_init(&url, 4096);
    buf_init(&lu, 4096);
    if (buf_printf(&url, "%s/u/%s", cfg->base_url, r->token) < 0 ||
        buf_printf(&lu, "<%s>", url.s) < 0 ||
        (*cfg->unsubscribe_mailto &&
         buf_printf(&lu, ", <mailto:%s?subject=unsubscribe>", cfg->unsubscribe_mailto) < 0)) {
        mo_err_set(err, MO_E_INPUT, "unsubscribe address too long");
        goto out;
    }
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
    set_attrs(v, r->attrs_json);
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
        .subject = cm->subject,
        .text = cm->text,
        .html = cm->html,
        .vars = v,
        .headers = hs,
        .nheaders = sizeof(hs) / sizeof(hs[0]),
    };
    rc = compose_message(&in, out, err);
out:
    tmpl_vars_free(v);
    buf_release(&url);
    buf_release(&lu);
    return rc;
}
