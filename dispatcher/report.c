/*
 * report.c - what mailout holds and did about one person or one campaign,
 * and the audit log: read-only JSON for `audit contact|campaign|log`,
 * `export` and the admin view.  The contact's record and ledger come from
 * contact_show() and its webhook deliveries from webhook.c; this module
 * adds sends, revocations, per-run counts and the access document.  It
 * prints nothing: the CLI renders text and CSV.
 */
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "buf.h"
#include "contact.h"
#include "dsr.h"
#include "processor.h"

static json_t *val(const PGresult *r, int row, const char *col)
{
    if (db_isnull(r, row, col))
        return json_null();
    return json_string(db_val(r, row, col));
}

static json_t *num(const PGresult *r, int row, const char *col)
{
    if (db_isnull(r, row, col))
        return json_null();
    return json_integer(db_int(r, row, col));
}

static json_t *boolean(const PGresult *r, int row, const char *col)
{
    if (db_isnull(r, row, col))
        return json_null();
    return json_boolean(db_bool(r, row, col));
}

/* a JSON text column as JSON (an object when it is not JSON, which our columns never are) */
static json_t *jsoncol(const PGresult *r, int row, const char *col)
{
    if (db_isnull(r, row, col))
        return json_null();
    json_t *j = json_loads(db_val(r, row, col), JSON_DECODE_ANY, NULL);
    return j ? j : json_object();
}

/* Runs q with the one parameter p and returns its rows as an array of objects, every column
 * under its own name; ints lists the integer columns, bools the boolean ones, jsons JSON ones. */
static json_t *rows(struct db *db, enum query_id q, const char *p, const char *const *ints,
                    const char *const *bools, const char *const *jsons, struct mo_err *err)
{
    const char *params[] = {p};
    PGresult *r = db_exec(db, q, params, p ? 1 : 0, err);
    if (r == NULL)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *o = json_object();
        for (int f = 0; f < PQnfields(r); f++) {
            const char *name = PQfname(r, f);
            json_t *v = NULL;
            for (const char *const *k = ints; k && *k && !v; k++)
                if (strcmp(*k, name) == 0)
                    v = num(r, i, name);
            for (const char *const *k = bools; k && *k && !v; k++)
                if (strcmp(*k, name) == 0)
                    v = boolean(r, i, name);
            for (const char *const *k = jsons; k && *k && !v; k++)
                if (strcmp(*k, name) == 0)
                    v = jsoncol(r, i, name);
            json_object_set_new(o, name, v ? v : val(r, i, name));
        }
        json_array_append_new(a, o);
    }
    PQclear(r);
    return a;
}

static const char *const send_ints[] = {"id", "run_id", "smtp_code", NULL};
static const char *const send_jsons[] = {"evidence", NULL};
static const char *const rev_ints[] = {"id", "run_id", NULL};

/* contact_show()'s record split into the report's sections; NULL with err */
static json_t *contact_sections(struct db *db, const char *email, long long *id, struct mo_err *err)
{
    json_t *c = contact_show(db, email, err), *rep = NULL, *a;
    char idbuf[24];

    if (c == NULL)
        return NULL;
    *id = json_integer_value(json_object_get(c, "id"));
    snprintf(idbuf, sizeof(idbuf), "%lld", *id); /* fits: at most 20 characters */
    rep = json_object();
    json_object_set(rep, "contact", c);
    json_object_set(rep, "consent_events", json_object_get(c, "history"));
    json_object_set(rep, "webhook_deliveries", json_object_get(c, "webhooks"));
    json_object_del(c, "history");
    json_object_del(c, "webhooks");
    json_decref(c);

    const char *p[] = {idbuf};
    PGresult *r = db_exec(db, Q_REPORT_SUPPRESSION, p, 1, err);
    if (r == NULL)
        goto fail;
    json_object_set_new(json_object_get(rep, "contact"), "suppressed",
                        PQntuples(r) ? json_pack("{s:o, s:o}", "reason", val(r, 0, "reason"),
                                                 "since", val(r, 0, "since"))
                                     : json_null());
    PQclear(r);
    if ((a = rows(db, Q_REPORT_SENDS, idbuf, send_ints, NULL, send_jsons, err)) == NULL)
        goto fail;
    json_object_set_new(rep, "sends", a);
    if ((a = rows(db, Q_REPORT_REVOCATIONS, idbuf, rev_ints, NULL, NULL, err)) == NULL)
        goto fail;
    json_object_set_new(rep, "revocations", a);
    return rep;
fail:
    json_decref(rep);
    return NULL;
}

json_t *report_contact(struct db *db, const char *email, struct mo_err *err)
{
    long long id;
    json_t *rep = contact_sections(db, email, &id, err);
    if (rep == NULL)
        return NULL;
    /* the documented key order: contact, consent_events, sends, revocations, webhook_deliveries */
    json_t *hooks = json_incref(json_object_get(rep, "webhook_deliveries"));
    json_object_del(rep, "webhook_deliveries");
    json_object_set_new(rep, "webhook_deliveries", hooks);
    return rep;
}

static json_t *rate(long long n, long long sent)
{
    return sent > 0 ? json_real((double)n / (double)sent) : json_null();
}

json_t *report_campaign(struct db *db, const char *name, struct mo_err *err)
{
    static const char *const bases[] = {"consent", "existing_customer", "opt_out_regime"};
    static const char *const counts[] = {"considered", "recipients", "sent",         "failed",
                                         "uncertain",  "bounced",    "unsubscribes", "complaints"};
    const char *p[] = {name};
    PGresult *r = db_exec(db, Q_REPORT_CAMPAIGN, p, 1, err);
    json_t *rep = NULL, *runs;
    char idbuf[24];

    if (r == NULL)
        return NULL;
    if (PQntuples(r) == 0) {
        PQclear(r);
        mo_err_set(err, MO_E_NOTFOUND, "unknown campaign '%s'", name);
        return NULL;
    }
    snprintf(idbuf, sizeof(idbuf), "%lld", db_int(r, 0, "id"));
    rep = json_pack("{s:{s:I, s:o, s:o, s:o, s:o, s:o, s:o}}", "campaign", "id",
                    (json_int_t)db_int(r, 0, "id"), "name", val(r, 0, "name"), "topic",
                    val(r, 0, "topic"), "template", val(r, 0, "template"), "segment",
                    val(r, 0, "segment"), "legal_entity", val(r, 0, "legal_entity"), "created_at",
                    val(r, 0, "created_at"));
    PQclear(r);
    const char *q[] = {idbuf};
    if (rep == NULL || (r = db_exec(db, Q_REPORT_RUNS, q, 1, err)) == NULL) {
        if (rep == NULL)
            mo_err_set(err, MO_E_INTERNAL, "cannot build the report of campaign '%s'", name);
        json_decref(rep);
        return NULL;
    }
    runs = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *run =
            json_pack("{s:I, s:o, s:o, s:o}", "run_id", (json_int_t)db_int(r, i, "run_id"), "state",
                      val(r, i, "state"), "started_at", val(r, i, "started_at"), "finished_at",
                      val(r, i, "finished_at"));
        json_t *by = json_object(), *got = jsoncol(r, i, "by_basis"), *v;
        const char *k;
        /* every basis the engine knows, 0 when none, then any other the run used */
        for (size_t b = 0; b < sizeof(bases) / sizeof(bases[0]); b++)
            json_object_set_new(by, bases[b], json_integer(0));
        json_object_foreach(got, k, v) json_object_set(by, k, v);
        json_decref(got);
        for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
            json_object_set_new(run, counts[c], json_integer(db_int(r, i, counts[c])));
        json_object_set_new(run, "by_basis", by);
        json_object_set_new(run, "excluded", jsoncol(r, i, "excluded"));
        long long sent = db_int(r, i, "sent");
        json_object_set_new(run, "unsubscribe_rate", rate(db_int(r, i, "unsubscribes"), sent));
        json_object_set_new(run, "complaint_rate", rate(db_int(r, i, "complaints"), sent));
        json_object_set_new(run, "bounce_rate", rate(db_int(r, i, "bounced"), sent));
        json_array_append_new(runs, run);
    }
    PQclear(r);
    json_object_set_new(rep, "runs", runs);
    return rep;
}

json_t *report_log(struct db *db, const char *since, struct mo_err *err)
{
    const char *p[] = {since};
    PGresult *r = db_exec(db, Q_REPORT_LOG, p, 1, err);
    if (r == NULL)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        const char *actor = db_val(r, i, "actor");
        json_t *detail = jsoncol(r, i, "detail");
        /* the host is shown beside the user, not repeated in the detail */
        json_object_del(detail, "host");
        json_array_append_new(
            a,
            json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:o, s:o}", "seq",
                      (json_int_t)db_int(r, i, "seq"), "at", val(r, i, "at"), "actor", actor,
                      "user", strncmp(actor, "cli:", 4) == 0 ? json_string(actor + 4) : json_null(),
                      "host", val(r, i, "host"), "action", val(r, i, "action"), "object",
                      val(r, i, "object"), "detail", detail));
    }
    PQclear(r);
    return json_pack("{s:o}", "entries", a);
}

/* --- export (GDPR Art. 15) --------------------------------------------------------- */

static json_t *or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *retention(const struct config *cfg, json_t *policy)
{
    json_t *r = json_object();
    json_object_set_new(r, "doi_token_seconds", json_integer(cfg->token_ttl));
    json_object_set_new(r, "doi_pending_after_expiry_seconds",
                        json_integer(cfg->pending_retention));
    json_object_set_new(r, "activity_seconds", json_integer(cfg->activity_retention));
    /* issue 13 (h-retain): idle contacts are erased, SMTP replies nulled */
    json_object_set_new(r, "contact_idle_months", json_integer(cfg->contact_retention_months));
    json_object_set_new(r, "smtp_reply_months", json_integer(cfg->reply_retention_months));
    json_t *country = json_object_get(policy, "country");
    json_object_set_new(r, "policy_country", country ? json_incref(country) : json_null());
    static const char *const keys[] = {"consent_lapse_months", "existing_customer_months",
                                       "inquiry_months"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(policy, keys[i]);
        json_object_set_new(r, keys[i], v ? json_incref(v) : json_null());
    }
    json_object_set_new(r, "contact",
                        json_string("until erasure, on request or after contact_idle_months "
                                    "without a current consent, order, activity or mail; after "
                                    "erasure only a keyed hash of the address stays on the "
                                    "suppression list"));
    json_object_set_new(r, "consent_events_and_sends",
                        json_string("kept as proof (GDPR Art. 7(1)) until erasure, which "
                                    "removes the personal fields from them"));
    return r;
}

static json_t *rights(const struct config *cfg)
{
    char unsub[512] = "";
    const char *controller = *cfg->legal_entity ? cfg->legal_entity : "the controller";
    const char *contact_addr = *cfg->reply_to_addr ? cfg->reply_to_addr : cfg->from_addr;

    if (cfg->base_url && *cfg->base_url)
        snprintf(unsub, sizeof(unsub), "%s/u/", cfg->base_url);
    json_t *how_contact = json_pack(
        "{s:s, s:o, s:o, s:o}", "controller", controller, "email", or_null(contact_addr),
        "postal_address", or_null(cfg->postal_address), "privacy_url", or_null(cfg->privacy_url));
    struct {
        const char *right, *article, *how;
    } const t[] = {
        {"access", "GDPR Art. 15", "ask the controller; this document is the answer"},
        {"rectification", "GDPR Art. 16", "ask the controller to correct your data"},
        {"erasure", "GDPR Art. 17",
         "ask the controller; only a keyed hash of your address is kept so that you are "
         "never mailed again"},
        {"restriction", "GDPR Art. 18",
         "ask the controller; marketing can also be paused for a number of months"},
        {"objection", "GDPR Art. 21",
         "use the \"all marketing\" button on the page behind the unsubscribe link, write to "
         "the unsubscribe address, or ask the controller"},
        {"portability", "GDPR Art. 20", "ask the controller; this document is machine-readable"},
        {"withdraw_consent", "GDPR Art. 7(3)",
         "at any time, as easily as given: the unsubscribe link in every message (one click), "
         "the preferences page, or the unsubscribe address"},
        {"complaint", "GDPR Art. 77",
         "lodge a complaint with a data protection supervisory "
         "authority, in particular where you live or work"},
    };
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "right", t[i].right, "article",
                                           t[i].article, "how", t[i].how));
    return json_pack("{s:o, s:o, s:o, s:o}", "contact", how_contact, "unsubscribe_url_base",
                     or_null(unsub), "unsubscribe_mailto", or_null(cfg->unsubscribe_mailto),
                     "rights", a);
}

/* purposes: every topic with the person's current state (none when never asked) */
static json_t *purposes(struct db *db, json_t *topics, struct mo_err *err)
{
    PGresult *r = db_exec(db, Q_REPORT_TOPICS, NULL, 0, err);
    if (r == NULL)
        return NULL;
    json_t *a = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *st = json_object_get(topics, db_val(r, i, "name"));
        if (st == NULL)
            continue; /* a purpose this person's data was never used for */
        json_array_append_new(a, json_pack("{s:o, s:o, s:O, s:O, s:O}", "topic", val(r, i, "name"),
                                           "title", val(r, i, "title"), "state",
                                           json_object_get(st, "state"), "since",
                                           json_object_get(st, "since"), "consent_event",
                                           json_object_get(st, "consent_event")));
    }
    PQclear(r);
    return a;
}

json_t *report_export(struct db *db, const struct config *cfg, const char *email, const char *actor,
                      struct mo_err *err)
{
    static const char *const text_ints[] = {"id", "version", NULL};
    static const char *const order_bools[] = {"collected_in_sale", "opt_out_offered", NULL};
    json_t *rep = NULL, *doc = NULL, *a, *policy = NULL;
    long long id;
    char idbuf[24], obj[40];
    PGresult *r;

    if (db_begin(db, err) < 0)
        return NULL;
    if ((rep = contact_sections(db, email, &id, err)) == NULL)
        goto fail;
    snprintf(idbuf, sizeof(idbuf), "%lld", id);
    json_t *contact = json_object_get(rep, "contact");
    json_t *topics = json_incref(json_object_get(contact, "topics"));
    json_object_del(contact, "topics");

    doc = json_object();
    json_object_set_new(doc, "format", json_string("mailout-export/1"));
    r = db_exec_sql(db, "SELECT iso_utc(now()) AS now", err);
    if (r == NULL) {
        json_decref(topics);
        goto fail;
    }
    json_object_set_new(doc, "generated_at", val(r, 0, "now"));
    PQclear(r);
    json_object_set_new(doc, "controller",
                        json_pack("{s:o, s:o, s:o, s:o, s:o}", "legal_entity",
                                  or_null(cfg->legal_entity), "email", or_null(cfg->from_addr),
                                  "postal_address", or_null(cfg->postal_address), "privacy_url",
                                  or_null(cfg->privacy_url), "imprint_url",
                                  or_null(cfg->imprint_url)));
    json_object_set(doc, "contact", contact);
    json_object_set(doc, "source", json_object_get(contact, "source"));
    a = purposes(db, topics, err);
    json_decref(topics);
    if (a == NULL)
        goto fail;
    json_object_set_new(doc, "purposes", a);
    json_object_set(doc, "consent_events", json_object_get(rep, "consent_events"));
    if ((a = rows(db, Q_REPORT_TEXTS, idbuf, text_ints, NULL, NULL, err)) == NULL)
        goto fail;
    json_object_set_new(doc, "consent_texts", a);
    if ((a = rows(db, Q_REPORT_ORDERS, idbuf, NULL, order_bools, NULL, err)) == NULL)
        goto fail;
    json_object_set_new(doc, "orders", a);
    if ((a = rows(db, Q_REPORT_ACTIVITY, idbuf, NULL, NULL, NULL, err)) == NULL)
        goto fail;
    json_object_set_new(doc, "activity", a);
    json_object_set(doc, "sends", json_object_get(rep, "sends"));
    json_object_set(doc, "revocations", json_object_get(rep, "revocations"));
    if ((a = rows(db, Q_REPORT_BOUNCES, idbuf, NULL, NULL, NULL, err)) == NULL)
        goto fail;
    json_object_set_new(doc, "bounces", a);
    json_object_set(doc, "webhook_deliveries", json_object_get(rep, "webhook_deliveries"));
    if ((a = processor_recipients(db, cfg, err)) == NULL)
        goto fail;
    json_object_set_new(doc, "recipients", a);
    {
        json_t *country = json_object_get(contact, "country");
        const char *p[] = {json_is_string(country) ? json_string_value(country) : "*"};
        if ((r = db_exec(db, Q_REPORT_POLICY, p, 1, err)) == NULL)
            goto fail;
        policy = PQntuples(r) ? jsoncol(r, 0, "policy") : json_object();
        PQclear(r);
    }
    json_object_set_new(doc, "retention", retention(cfg, policy));
    json_decref(policy);
    json_object_set_new(doc, "rights", rights(cfg));

    snprintf(obj, sizeof(obj), "contact:%lld", id); /* fits: at most 28 characters */
    if (audit_append_json(db, actor, "contact.export", obj, json_pack("{s:s}", "kind", "access"),
                          err) < 0)
        goto fail;
    {
        /* issue 13: h-dsr - the export answers the person's access requests */
        struct dsr_closed closed;
        if (dsr_close_matching(db, id, "access", "export", "contact.export", actor, &closed, err) <
            0)
            goto fail;
        json_object_set_new(doc, "closed_requests", dsr_closed_json(&closed));
    }
    if (db_commit(db, err) < 0)
        goto fail;
    json_decref(rep);
    return doc;
fail:
    db_rollback(db);
    json_decref(rep);
    json_decref(doc);
    return NULL;
}
