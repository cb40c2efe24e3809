/*
 * http_routes.c - the endpoints of `mailout serve`: the route table and one
 * handler per route.
 *
 * Owns: which fields each form route reads and the answer each outcome
 * gets (page, status, metric).  Does not own: reading requests, framing,
 * limits and dispatch (http.c), form syntax (http_form.c), rendering
 * (page.c, templates/), the consent logic and its SQL (doi.c, topic.c,
 * consent.c), the consent receipt (receipt.c), one-click syntax
 * (http_form.c), or client keys (ipnet.c).  No SQL and no HTML is written
 * here.
 */
#include "http_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "campaign_ctl.h"
#include "consent.h"
#include "crypto.h"
#include "doi.h"
#include "dsr.h"
#include "ipnet.h"
#include "log.h"
#include "receipt.h"
#include "ropa.h"
#include "tmplfile.h"
#include "topic.h"
#include "webhook.h"

#define TOPICS_MAX DOI_MAX_TOPICS
#define EMAIL_MAX  320
#define LOCALE_MAX 32

/* --- POST /subscribe ---------------------------------------------------- */

/* The subscribe form's fields, borrowed from the parsed form. */
struct subscribe_form {
    const char *email;
    const char *locale;
    const char *topics[TOPICS_MAX];
    size_t ntopics;
    const char *texts[TOPICS_MAX]; /* consent_text, by position */
    size_t ntexts;
    const char *named_topic[TOPICS_MAX]; /* consent_text.TOPIC */
    const char *named_text[TOPICS_MAX];
    size_t nnamed;
    int age_confirmed;
};

/* Reads the fields; unknown ones are ignored.  0, or -1 past a limit. */
static int subscribe_read(const struct http_form *f, struct subscribe_form *sf)
{
    memset(sf, 0, sizeof(*sf));
    sf->email = "";
    sf->locale = "";
    for (size_t i = 0; i < f->n; i++) {
        const char *k = f->fields[i].name, *v = f->fields[i].value;
        if (strcmp(k, "email") == 0) {
            if (strlen(v) > EMAIL_MAX)
                return -1;
            sf->email = v;
        } else if (strcmp(k, "locale") == 0) {
            if (strlen(v) > LOCALE_MAX)
                return -1;
            sf->locale = v;
        } else if (strcmp(k, "topic") == 0) {
            if (*v == '\0')
                continue;
            if (sf->ntopics == TOPICS_MAX)
                return -1;
            sf->topics[sf->ntopics++] = v;
        } else if (strcmp(k, "consent_text") == 0) {
            if (sf->ntexts == TOPICS_MAX)
                return -1;
            sf->texts[sf->ntexts++] = v;
        } else if (strncmp(k, "consent_text.", 13) == 0) {
            if (sf->nnamed == TOPICS_MAX)
                return -1;
            sf->named_topic[sf->nnamed] = k + 13;
            sf->named_text[sf->nnamed++] = v;
        } else if (strcmp(k, "age_confirmed") == 0) {
            sf->age_confirmed =
                strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 || strcmp(v, "1") == 0;
        }
    }
    return 0;
}

/* The consent text id sent for topic i: consent_text.TOPIC, else the i-th consent_text; 0 if none.
 */
static long long subscribe_text_id(const struct subscribe_form *sf, size_t i)
{
    const char *text = NULL;
    char *end = NULL;
    long long id;

    for (size_t k = 0; k < sf->nnamed; k++)
        if (strcmp(sf->named_topic[k], sf->topics[i]) == 0)
            text = sf->named_text[k];
    if (text == NULL && i < sf->ntexts)
        text = sf->texts[i];
    if (text == NULL || *text == '\0')
        return 0;
    id = strtoll(text, &end, 10);
    return *end == '\0' && id > 0 ? id : 0;
}

static enum MHD_Result do_subscribe(struct http_call *call)
{
    struct http_server *s = call->s;
    struct doi_topic_req topics[TOPICS_MAX];
    struct subscribe_form sf;
    struct mo_err err;
    enum doi_outcome outcome;
    char ip[IPNET_ADDR_MAX], key[IPNET_KEY_MAX], ua[512];
    struct db *db;
    int allowed;

    mo_err_init(&err);
    if (!call->form_ok || call->form.n == 0 || subscribe_read(&call->form, &sf) < 0) {
        mo_log(MO_LOG_DEBUG, "subscribe: %s",
               call->form_ok ? "form over a limit" : call->form_error);
        return http_error(call, MHD_HTTP_BAD_REQUEST, "Bad request", "The form could not be read.");
    }
    http_client_ip(call, ip, sizeof(ip));
    if (ipnet_limit_key(ip, key, sizeof(key)) < 0)
        return http_unavailable(call, "subscribe", "no client address");
    db = http_db(call, &err);
    if (db == NULL)
        return http_unavailable(call, "subscribe", err.msg);
    allowed = doi_ip_allowed(db, s->cfg, key, &err);
    if (allowed < 0)
        return http_unavailable(call, "subscribe", err.msg);
    if (!allowed) {
        http_count(call, METRIC_SUBSCRIBE_IP_LIMITED);
        return http_error(call, MHD_HTTP_TOO_MANY_REQUESTS, "Too many requests",
                          "Please try again later.");
    }
    if (sf.ntopics == 0) {
        /* no explicit consent: nothing is recorded, and the answer looks the same (R-GDPR-1) */
        http_count(call, METRIC_SUBSCRIBE_WITHOUT_TOPIC);
        return http_page(call, MHD_HTTP_OK, call->lang, "page_subscribed.html", tmpl_vars_new());
    }
    if (!sf.age_confirmed) {
        http_count(call, METRIC_SUBSCRIBE_INVALID);
        return http_error(call, MHD_HTTP_BAD_REQUEST, "Age confirmation needed",
                          "Please confirm that you are old enough to subscribe.");
    }
    for (size_t i = 0; i < sf.ntopics; i++) {
        topics[i].topic = sf.topics[i];
        topics[i].consent_text_id = subscribe_text_id(&sf, i);
        if (topics[i].consent_text_id == 0) {
            http_count(call, METRIC_SUBSCRIBE_INVALID);
            return http_error(call, MHD_HTTP_BAD_REQUEST, "Bad request",
                              "Each topic needs the consent text that was shown.");
        }
    }
    http_user_agent(call, ua, sizeof(ua));
    struct doi_subscribe_in in = {
        .email = sf.email,
        .topics = topics,
        .ntopics = sf.ntopics,
        .ip = ip,
        .user_agent = ua,
        .source = "web form",
        .channel = "web",
        .actor = "web",
        .locale = *sf.locale ? sf.locale : call->lang,
        .age_attested = 1,
    };
    if (doi_subscribe(db, s->cfg, s->data_dir, &in, &outcome, &err) < 0) {
        if (err.code == MO_E_INPUT || err.code == MO_E_NOTFOUND || err.code == MO_E_USAGE) {
            http_count(call, METRIC_SUBSCRIBE_INVALID);
            return http_error(call, MHD_HTTP_BAD_REQUEST, "Please check your entry", err.msg);
        }
        http_count(call, METRIC_HTTP_INTERNAL_ERRORS);
        return http_unavailable(call, "subscribe failed", err.msg);
    }
    http_count(call, outcome == DOI_LIMITED ? METRIC_SUBSCRIBE_ADDRESS_LIMITED
                                            : METRIC_SUBSCRIBE_ACCEPTED);
    return http_page(call, MHD_HTTP_OK, call->lang, "page_subscribed.html", tmpl_vars_new());
}

/* --- GET /subscribe ------------------------------------------------------ */

/* One unticked box per topic, each with its own consent text (GDPR Art. 7(2)). */
static enum MHD_Result do_subscribe_form(struct http_call *call)
{
    struct http_server *s = call->s;
    struct topic_form_entry *list = NULL;
    struct tmpl_vars *v;
    struct mo_err err;
    size_t n = 0;
    struct db *db;

    mo_err_init(&err);
    db = http_db(call, &err);
    if (db == NULL || topic_form_list(db, call->lang, &list, &n, &err) < 0)
        return http_unavailable(call, "subscribe form", err.msg);
    v = tmpl_vars_new();
    for (size_t i = 0; i < n; i++) {
        struct tmpl_vars *item = tmpl_vars_list_add(v, "topics");
        char num[24];
        tmpl_vars_set(item, "name", list[i].name);
        tmpl_vars_set(item, "title", list[i].title);
        tmpl_vars_set(item, "consent_text", list[i].consent_text);
        if (snprintf(num, sizeof(num), "%lld", list[i].consent_text_id) >= (int)sizeof(num))
            num[0] = '\0';
        tmpl_vars_set(item, "consent_text_id", num);
        if (snprintf(num, sizeof(num), "%zu", i) >= (int)sizeof(num))
            num[0] = '\0';
        tmpl_vars_set(item, "index", num);
    }
    topic_form_list_free(list, n);
    tmpl_vars_set(v, "privacy_url", s->cfg->privacy_url);
    tmpl_vars_set(v, "imprint_url", s->cfg->imprint_url);
    tmpl_vars_set(v, "legal_entity", s->cfg->legal_entity);
    return http_page(call, MHD_HTTP_OK, call->lang, "page_subscribe.html", v);
}

/* --- GET and POST /confirm/TOKEN ----------------------------------------- */

/*
 * The consent receipt on the confirmed page: its text and the same bytes as
 * a data: URI to download ({{receipt}}, {{receipt_data_uri}}; escaped like
 * every value).  A receipt too large for a page is only mailed.
 */
static void receipt_vars(struct tmpl_vars *v, const char *receipt)
{
    struct buf uri;

    if (receipt == NULL || strlen(receipt) > RECEIPT_PAGE_MAX)
        return;
    buf_init(&uri, 2 * RECEIPT_PAGE_MAX);
    if (receipt_data_uri(receipt, &uri) == 0) {
        tmpl_vars_set(v, "receipt", receipt);
        tmpl_vars_set(v, "receipt_data_uri", uri.s);
    }
    buf_release(&uri);
}

static enum MHD_Result confirm(struct http_call *call, int post)
{
    struct http_server *s = call->s;
    const char *token = call->rest;
    struct mo_err err;
    enum doi_token_state st;
    struct doi_view view;
    struct tmpl_vars *v;
    struct db *db;
    char ip[IPNET_ADDR_MAX], ua[512], plang[8];
    char *receipt = NULL;
    struct buf action;
    int rc;

    mo_err_init(&err);
    db = http_db(call, &err);
    if (db == NULL)
        return http_unavailable(call, "confirm", err.msg);
    if (post) {
        http_user_agent(call, ua, sizeof(ua));
        http_client_ip(call, ip, sizeof(ip));
        rc = doi_confirm(db, s->cfg, token, ip, ua, &st, &view, &receipt, &err);
    } else {
        rc = doi_lookup(db, token, &st, &view, &err);
    }
    if (rc < 0) {
        http_count(call, METRIC_HTTP_INTERNAL_ERRORS);
        return http_unavailable(call, "confirm", err.msg);
    }
    if (st == DOI_TOKEN_GONE) {
        http_count(call, METRIC_CONFIRM_GONE);
        return http_page(call, MHD_HTTP_GONE, call->lang, "page_gone.html", tmpl_vars_new());
    }
    if (st != DOI_TOKEN_OK) {
        http_count(call, METRIC_CONFIRM_UNKNOWN);
        return http_page(call, MHD_HTTP_NOT_FOUND, call->lang, "page_notfound.html",
                         tmpl_vars_new());
    }
    tmplfile_lang(view.locale, plang);
    v = tmpl_vars_new();
    tmpl_vars_set(v, "email", view.email);
    tmpl_vars_set(v, "topics", view.topics);
    tmpl_vars_set(v, "expires", view.expires_at);
    tmpl_vars_set(v, "privacy_url", s->cfg->privacy_url);
    tmpl_vars_set(v, "imprint_url", s->cfg->imprint_url);
    tmpl_vars_set(v, "legal_entity", s->cfg->legal_entity);
    if (post) {
        http_count(call, METRIC_CONFIRM_SUCCESS);
        receipt_vars(v, receipt);
        free(receipt);
        return http_page(call, MHD_HTTP_OK, plang, "page_confirmed.html", v);
    }
    buf_init(&action, 256);
    if (buf_printf(&action, "/confirm/%s", token) < 0) {
        buf_release(&action);
        tmpl_vars_free(v);
        return http_page(call, MHD_HTTP_NOT_FOUND, call->lang, "page_notfound.html",
                         tmpl_vars_new());
    }
    tmpl_vars_set(v, "action", action.s);
    buf_release(&action);
    return http_page(call, MHD_HTTP_OK, plang, "page_confirm.html", v);
}

static enum MHD_Result do_confirm_get(struct http_call *call)
{
    return confirm(call, 0);
}

static enum MHD_Result do_confirm_post(struct http_call *call)
{
    return confirm(call, 1);
}

/* --- GET and POST /u/TOKEN ------------------------------------------------- */

#define PREF_MAX HTTP_FORM_FIELDS_MAX

/* What a POST to /u/TOKEN asks for. */
enum unsub_kind {
    UNSUB_INVALID = 0, /* neither one-click nor the page's own form: 400 */
    UNSUB_ONE_CLICK,   /* List-Unsubscribe=One-Click (RFC 8058) */
    UNSUB_TOPIC,       /* the page's button for the message's topic */
    UNSUB_ALL,         /* the page's "all marketing" button */
    UNSUB_PAUSE,       /* the page's pause */
    UNSUB_PREFS,       /* the page's preference switches */
};

/* The page's forms, borrowed from the parsed form. */
struct unsub_form {
    enum unsub_kind kind;
    int months;
    const char *on[PREF_MAX]; /* topic=NAME: switched on */
    size_t non;
    const char *text_topic[PREF_MAX]; /* consent_text.NAME=ID */
    long long text_id[PREF_MAX];
    size_t ntext;
    int age_confirmed;
};

/* Sets the form's kind once; -1 when it names a second one. */
static int unsub_kind_set(struct unsub_form *u, enum unsub_kind k)
{
    if (u->kind != UNSUB_INVALID && u->kind != k)
        return -1;
    u->kind = k;
    return 0;
}

/*
 * Reads the page's own forms: unsubscribe=topic|all, pause=1|3|6|12, or
 * save=preferences with topic, consent_text.NAME and age_confirmed.  Any
 * other field, or fields of two forms, is not the page's form: -1.
 */
static int unsub_read(const struct http_form *f, struct unsub_form *u)
{
    int pref_fields = 0;

    memset(u, 0, sizeof(*u));
    for (size_t i = 0; i < f->n; i++) {
        const char *k = f->fields[i].name, *v = f->fields[i].value;
        if (strcmp(k, "unsubscribe") == 0) {
            enum unsub_kind want = strcmp(v, "topic") == 0 ? UNSUB_TOPIC
                                   : strcmp(v, "all") == 0 ? UNSUB_ALL
                                                           : UNSUB_INVALID;
            if (want == UNSUB_INVALID || unsub_kind_set(u, want) < 0)
                return -1;
        } else if (strcmp(k, "pause") == 0) {
            if (unsub_kind_set(u, UNSUB_PAUSE) < 0)
                return -1;
            u->months = strcmp(v, "1") == 0    ? 1
                        : strcmp(v, "3") == 0  ? 3
                        : strcmp(v, "6") == 0  ? 6
                        : strcmp(v, "12") == 0 ? 12
                                               : 0;
            if (u->months == 0)
                return -1;
        } else if (strcmp(k, "save") == 0) {
            if (strcmp(v, "preferences") != 0 || unsub_kind_set(u, UNSUB_PREFS) < 0)
                return -1;
        } else if (strcmp(k, "topic") == 0) {
            if (u->non == PREF_MAX)
                return -1;
            u->on[u->non++] = v;
            pref_fields = 1;
        } else if (strncmp(k, "consent_text.", 13) == 0) {
            char *end = NULL;
            long long id = strtoll(v, &end, 10);
            if (u->ntext == PREF_MAX || end == v || *end != '\0' || id <= 0)
                return -1;
            u->text_topic[u->ntext] = k + 13;
            u->text_id[u->ntext++] = id;
            pref_fields = 1;
        } else if (strcmp(k, "age_confirmed") == 0) {
            u->age_confirmed = strcmp(v, "yes") == 0;
            pref_fields = 1;
        } else {
            return -1;
        }
    }
    if (u->kind == UNSUB_INVALID || (pref_fields && u->kind != UNSUB_PREFS))
        return -1;
    return 0;
}

/*
 * The variables every /u/ page has: where its forms post (the token's own
 * address, relative, in the page's language), the language links and the
 * sender's legal entity, privacy and imprint links.
 */
static struct tmpl_vars *unsub_vars(struct http_call *call)
{
    const struct config *cfg = call->s->cfg;
    struct tmpl_vars *v = tmpl_vars_new();
    struct buf b;

    buf_init(&b, 256);
    /* a well-formed token: 43 base64url characters */
    if (buf_printf(&b, "%s?lang=%s", call->rest, call->lang) == 0)
        tmpl_vars_set(v, "action", b.s);
    buf_reset(&b);
    if (buf_printf(&b, "%s?lang=en", call->rest) == 0)
        tmpl_vars_set(v, "link_en", b.s);
    buf_reset(&b);
    if (buf_printf(&b, "%s?lang=de", call->rest) == 0)
        tmpl_vars_set(v, "link_de", b.s);
    buf_release(&b);
    tmpl_vars_set(v, "legal_entity", cfg->legal_entity);
    tmpl_vars_set(v, "privacy_url", cfg->privacy_url);
    tmpl_vars_set(v, "imprint_url", cfg->imprint_url);
    return v;
}

static enum MHD_Result unsub_notfound(struct http_call *call)
{
    http_count(call, METRIC_UNSUBSCRIBE_UNKNOWN);
    return http_page(call, MHD_HTTP_NOT_FOUND, call->lang, "page_notfound.html", tmpl_vars_new());
}

static enum MHD_Result unsub_failed(struct http_call *call, const char *msg)
{
    http_count(call, METRIC_UNSUBSCRIBE_ERRORS);
    http_count(call, METRIC_HTTP_INTERNAL_ERRORS);
    return http_unavailable(call, "unsubscribe", msg);
}

/* GET: the topics, the two buttons, the switches and the pause; changes nothing (R-8058-5). */
static enum MHD_Result do_unsub_page(struct http_call *call)
{
    struct consent_preferences p;
    struct tmpl_vars *v;
    struct mo_err err;
    struct db *db;
    int rc, receiving = 0;

    mo_err_init(&err);
    if (!crypto_token_wellformed(call->rest))
        return unsub_notfound(call);
    if ((db = http_db(call, &err)) == NULL)
        return unsub_failed(call, err.msg);
    rc = consent_preferences_read(db, call->rest, call->lang, &p, &err);
    if (rc < 0)
        return unsub_failed(call, err.msg);
    if (rc == 0)
        return unsub_notfound(call);
    v = unsub_vars(call);
    for (size_t i = 0; i < p.n; i++) {
        const struct consent_pref_topic *t = &p.topics[i];
        int on = consent_pref_on(t), confirmed = strcmp(t->state, "confirmed") == 0;
        struct tmpl_vars *item;
        char num[24];
        if (t->message_topic)
            tmpl_vars_set(v, "topic_title", t->title);
        if (confirmed) {
            item = tmpl_vars_list_add(v, "receiving");
            tmpl_vars_set(item, "title", t->title);
            tmpl_vars_set(item, "this_message", t->message_topic ? "1" : "");
            receiving = 1;
        }
        /* a switch that is off and has no consent text cannot be turned on: not shown */
        if (!on && t->consent_text == NULL)
            continue;
        item = tmpl_vars_list_add(v, "topics");
        tmpl_vars_set(item, "name", t->name);
        tmpl_vars_set(item, "title", t->title);
        tmpl_vars_set(item, "on", on ? "1" : "");
        tmpl_vars_set(item, "pending", strcmp(t->state, "pending") == 0 ? "1" : "");
        tmpl_vars_set(item, "this_message", t->message_topic ? "1" : "");
        if (!on) {
            if (snprintf(num, sizeof(num), "%lld", t->consent_text_id) >= (int)sizeof(num))
                num[0] = '\0';
            tmpl_vars_set(item, "consent_text", t->consent_text);
            tmpl_vars_set(item, "consent_text_id", num);
        }
    }
    tmpl_vars_set(v, "has_receiving", receiving ? "1" : "");
    consent_preferences_release(&p);
    return http_page(call, MHD_HTTP_OK, call->lang, "page_unsubscribe.html", v);
}

/*
 * POST: one-click or the page's forms.  The token decides first: a bad one
 * is 404 whatever the body (and a malformed one never reaches the
 * database); only then does the body count (413, 400).  The body is
 * classified before the database is asked - that reading has no effect -
 * so a valid one-click costs one transaction and nothing more.
 */
static enum MHD_Result do_unsub_post(struct http_call *call)
{
    struct http_server *s = call->s;
    const char *token = call->rest;
    const char *ct = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Content-Type");
    char ip[IPNET_ADDR_MAX], ua[512], num[8];
    struct unsub_form u;
    struct http_form f;
    struct mo_err err;
    struct tmpl_vars *v;
    struct db *db;
    int rc;

    if (!crypto_token_wellformed(token))
        return unsub_notfound(call);
    mo_err_init(&err);
    http_form_init(&f);
    memset(&u, 0, sizeof(u));
    if (!call->body_too_large) {
        if (http_form_oneclick(ct, call->body.s, call->body.len))
            u.kind = UNSUB_ONE_CLICK;
        else if (http_form_parse(ct, call->body.s, call->body.len, &f, &err) < 0 ||
                 unsub_read(&f, &u) < 0)
            u.kind = UNSUB_INVALID;
    }
    if ((db = http_db(call, &err)) == NULL) {
        http_form_release(&f);
        return unsub_failed(call, err.msg);
    }
    if (u.kind == UNSUB_INVALID) {
        struct consent_token_info info;
        http_form_release(&f);
        rc = consent_token_lookup(db, token, &info, &err);
        if (rc < 0)
            return unsub_failed(call, err.msg);
        if (rc == 0)
            return unsub_notfound(call);
        http_count(call, METRIC_UNSUBSCRIBE_INVALID);
        if (call->body_too_large)
            return http_error(call, MHD_HTTP_CONTENT_TOO_LARGE, "Request too large",
                              "The form is larger than allowed.");
        return http_error(call, MHD_HTTP_BAD_REQUEST, "Bad request",
                          "This is neither a one-click unsubscribe nor this page's form.");
    }
    http_client_ip(call, ip, sizeof(ip));
    http_user_agent(call, ua, sizeof(ua));
    v = unsub_vars(call);
    if (u.kind == UNSUB_PREFS) {
        size_t withdrawn = 0, requested = 0;
        struct consent_pref_choice in = {.token = token,
                                         .on = u.on,
                                         .non = u.non,
                                         .text_topic = u.text_topic,
                                         .text_id = u.text_id,
                                         .ntext = u.ntext,
                                         .age_attested = u.age_confirmed,
                                         .lang = call->lang,
                                         .ip = ip,
                                         .user_agent = ua};
        rc = consent_preferences_apply(db, s->cfg, s->data_dir, &in, &withdrawn, &requested, &err);
        http_form_release(&f);
        if (rc < 0 &&
            (err.code == MO_E_INPUT || err.code == MO_E_NOTFOUND || err.code == MO_E_USAGE)) {
            tmpl_vars_free(v);
            http_count(call, METRIC_UNSUBSCRIBE_INVALID);
            return http_error(call, MHD_HTTP_BAD_REQUEST, "Please check your choice", err.msg);
        }
        tmpl_vars_set(v, "saved", "1");
        tmpl_vars_set(v, "requested", requested ? "1" : "");
    } else {
        struct consent_token_outcome out;
        struct consent_token_request rq = {
            .token = token,
            .action = u.kind == UNSUB_ONE_CLICK ? CONSENT_ONE_CLICK
                      : u.kind == UNSUB_TOPIC   ? CONSENT_PAGE_TOPIC
                      : u.kind == UNSUB_ALL     ? CONSENT_PAGE_ALL
                                                : CONSENT_PAGE_PAUSE,
            .months = u.months,
            .ip = ip,
            .user_agent = ua,
        };
        http_form_release(&f);
        rc = consent_token_apply(db, &rq, &out, &err);
        if (rc > 0) {
            mo_log(MO_LOG_DEBUG, "unsubscribe contact=%lld topic=%s all=%d changed=%d",
                   out.info.contact_id, out.info.topic, out.all, out.changed);
            tmpl_vars_set(v, "topic_title", out.topic_title);
            if (u.kind == UNSUB_PAUSE) {
                if (snprintf(num, sizeof(num), "%d", u.months) >= (int)sizeof(num))
                    num[0] = '\0';
                tmpl_vars_set(v, "paused", "1");
                tmpl_vars_set(v, "months", num);
            } else {
                tmpl_vars_set(v, out.all ? "objected" : "unsubscribed", "1");
            }
        }
    }
    if (rc <= 0) {
        tmpl_vars_free(v);
        return rc == 0 ? unsub_notfound(call) : unsub_failed(call, err.msg);
    }
    http_count(call, METRIC_UNSUBSCRIBE_SUCCESS);
    /* 200, never a redirect (R-8058-4) */
    return http_page(call, MHD_HTTP_OK, call->lang, "page_unsubscribed.html", v);
}

/* --- GET /healthz, GET /metrics ------------------------------------------- */

static enum MHD_Result do_healthz(struct http_call *call)
{
    struct buf b;

    buf_init(&b, 16);
    buf_puts(&b, "ok\n");
    return http_text(call, MHD_HTTP_OK, "text/plain; charset=utf-8", &b);
}

static enum MHD_Result do_metrics(struct http_call *call)
{
    struct campaign_totals t;
    struct buf b;
    struct mo_err err;
    struct db *db;
    int db_ok;

    mo_err_init(&err);
    buf_init(&b, 64 * 1024);
    /* campaign mail comes from the database; without it the rest still answers */
    db = http_db(call, &err);
    db_ok = db != NULL && campaign_totals_read(db, &t, &err) == 0;
    if (!db_ok)
        mo_log(MO_LOG_WARN, "metrics: campaign mail not read: %s", err.msg);
    /* issue 10: h-webhook - the CRM webhook outbox, whoever delivers it */
    struct webhook_totals wt;
    int hook_ok = db_ok && webhook_totals_read(db, &wt, &err) == 0;
    if (db_ok && !hook_ok)
        mo_log(MO_LOG_WARN, "metrics: webhook outbox not read: %s", err.msg);
    /* issue 13: h-dsr - open and overdue data-subject requests */
    struct dsr_totals dt;
    int dsr_ok = db_ok && dsr_totals_read(db, &dt, &err) == 0;
    if (db_ok && !dsr_ok)
        mo_log(MO_LOG_WARN, "metrics: data-subject requests not read: %s", err.msg);
    if (metrics_render(call->s->metrics, &b) < 0 ||
        metrics_render_campaign(db_ok ? &t : NULL, &b) < 0 ||
        (hook_ok && webhook_metrics_render(&wt, &b) < 0) ||
        (dsr_ok && dsr_metrics_render(&dt, &b) < 0))
        mo_log(MO_LOG_WARN, "metrics: output cut at %zu bytes", b.len);
    return http_text(call, MHD_HTTP_OK, "text/plain; version=0.0.4", &b);
}

/* --- GET /privacy-info (issue 13: h-ropa) ------------------------------------ */

/*
 * The public privacy information: the records of processing (ropa.c)
 * without counts, in the request's language.  Rendered even when a
 * required value is missing (audit ropa refuses then); that is logged.
 */
static enum MHD_Result do_privacy_info(struct http_call *call)
{
    struct mo_err err;
    struct db *db;
    json_t *rep;

    mo_err_init(&err);
    db = http_db(call, &err);
    if (db == NULL || (rep = ropa_report(db, call->s->cfg, 0, &err)) == NULL)
        return http_unavailable(call, "privacy info", err.msg);
    json_t *miss = json_array_get(json_object_get(rep, "missing"), 0);
    if (miss)
        mo_log(MO_LOG_WARN, "privacy info: %s (see mailout audit ropa)", json_string_value(miss));
    struct tmpl_vars *v = tmpl_vars_new();
    ropa_page_vars(rep, call->lang, v);
    json_decref(rep);
    return http_page(call, MHD_HTTP_OK, call->lang, "page_privacy.html", v);
}

/* --- the table ------------------------------------------------------------ */

const struct http_route http_routes[] = {
    {"GET", "/subscribe", HTTP_ROUTE_EXACT, 0, do_subscribe_form},
    {"POST", "/subscribe", HTTP_ROUTE_EXACT, HTTP_ROUTE_FORM, do_subscribe},
    {"GET", "/confirm/", HTTP_ROUTE_PREFIX, 0, do_confirm_get},
    {"POST", "/confirm/", HTTP_ROUTE_PREFIX, 0, do_confirm_post},
    {"GET", "/u/", HTTP_ROUTE_PREFIX, 0, do_unsub_page},
    {"POST", "/u/", HTTP_ROUTE_PREFIX, HTTP_ROUTE_BODY, do_unsub_post},
    {"GET", "/healthz", HTTP_ROUTE_EXACT, 0, do_healthz},
    {"GET", "/metrics", HTTP_ROUTE_EXACT, HTTP_ROUTE_METRICS, do_metrics},
    /* issue 13: the public privacy information (h-ropa) */
    {"GET", "/privacy-info", HTTP_ROUTE_EXACT, 0, do_privacy_info},
    /* issue 12: the read-only admin view (http_admin.c), only with admin_token_file */
    {"GET", "/admin", HTTP_ROUTE_EXACT, HTTP_ROUTE_ADMIN, http_admin_home},
    {"POST", "/admin/login", HTTP_ROUTE_EXACT, HTTP_ROUTE_ADMIN | HTTP_ROUTE_FORM,
     http_admin_login},
    {"POST", "/admin/logout", HTTP_ROUTE_EXACT, HTTP_ROUTE_ADMIN | HTTP_ROUTE_FORM,
     http_admin_logout},
    {"GET", "/admin/", HTTP_ROUTE_PREFIX, HTTP_ROUTE_ADMIN, http_admin_get},
};

const size_t http_nroutes = sizeof(http_routes) / sizeof(http_routes[0]);
