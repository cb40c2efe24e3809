/*
 * ropa.c - the records of processing activities (GDPR Art. 30(1)(a)-(g)):
 * one JSON document from the configuration and the database, and the
 * variables of the public page /privacy-info made from it.
 *
 * Owns: which facts each section holds and which values are required.
 * Does not own: the processors and their checks (h-proc's processor
 * commands), rendering (cli_audit.c for text, page.c for HTML), or any
 * write: this module only reads.
 */
#include "ropa.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrs.h"
#include "buf.h"
#include "utf8.h"

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

static json_t *col(const PGresult *r, int row, const char *c)
{
    return db_isnull(r, row, c) ? json_null() : json_string(db_val(r, row, c));
}

static json_t *icol(const PGresult *r, int row, const char *c)
{
    return db_isnull(r, row, c) ? json_null() : json_integer(db_int(r, row, c));
}

static void missing(json_t *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* appends one line to "missing" */
static void missing(json_t *rep, const char *fmt, ...)
{
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    json_array_append_new(json_object_get(rep, "missing"), json_string(line));
}

static json_t *section(const char *article)
{
    return json_pack("{s:s}", "article", article);
}

/* (a) name and contact details of the controller */
static int controller(struct db *db, const struct config *cfg, json_t *rep, struct mo_err *err)
{
    json_t *a = section("GDPR Art. 30(1)(a)");
    json_object_set_new(rep, "a_controller", a);
    const struct {
        const char *key, *value;
    } keys[] = {{"legal_entity", cfg->legal_entity},
                {"from", cfg->from},
                {"email", cfg->from_addr},
                {"reply_to", cfg->reply_to_addr},
                {"postal_address", cfg->postal_address},
                {"privacy_url", cfg->privacy_url},
                {"imprint_url", cfg->imprint_url}};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (!utf8_valid_str(keys[i].value)) {
            missing(rep, "%s is not valid UTF-8", keys[i].key);
            json_object_set_new(a, keys[i].key, json_null());
        } else
            json_object_set_new(a, keys[i].key, str_or_null(keys[i].value));
    }
    if (*cfg->legal_entity == '\0')
        missing(rep, "legal_entity is not set");
    if (*cfg->from_addr == '\0')
        missing(rep, "from is not set");

    PGresult *r = db_exec(db, Q_ROPA_LEGAL_ENTITIES, NULL, 0, err);
    if (r == NULL)
        return -1;
    json_t *les = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(les, json_pack("{s:o, s:o}", "name", col(r, i, "name"), "created_at",
                                             col(r, i, "created_at")));
    PQclear(r);
    json_object_set_new(a, "legal_entities", les);
    return 0;
}

/* (b) purposes, and (c)'s subscriber counts per topic, which come from the same rows */
static int purposes(struct db *db, json_t *rep, json_t *subjects, json_t *counts, int with_counts,
                    struct mo_err *err)
{
    json_t *b = section("GDPR Art. 30(1)(b)"), *topics = json_array(), *t;
    size_t k;
    json_object_set_new(rep, "b_purposes", b);
    json_object_set_new(b, "topics", topics);

    PGresult *r = db_exec(db, with_counts ? Q_ROPA_TOPICS : Q_ROPA_TOPICS_NO_COUNTS, NULL, 0, err);
    if (r == NULL)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        json_array_append_new(topics, json_pack("{s:o, s:o, s:b, s:[]}", "name", col(r, i, "name"),
                                                "title", col(r, i, "title"), "reserved",
                                                db_bool(r, i, "reserved"), "consent_texts"));
        json_array_append_new(
            subjects, json_pack("{s:s, s:o, s:o}", "category",
                                db_bool(r, i, "reserved") ? "tracking consent" : "subscribers",
                                "topic", col(r, i, "name"), "count", icol(r, i, "subscribers")));
        if (db_int(r, i, "pending") > 0)
            json_array_append_new(
                subjects, json_pack("{s:s, s:o, s:o}", "category", "pending double opt-in", "topic",
                                    col(r, i, "name"), "count", icol(r, i, "pending")));
    }
    PQclear(r);

    if ((r = db_exec(db, Q_ROPA_TEXTS, NULL, 0, err)) == NULL)
        return -1;
    for (int i = 0; i < PQntuples(r); i++)
        json_array_foreach(topics, k, t)
        {
            if (strcmp(json_string_value(json_object_get(t, "name")), db_val(r, i, "topic")))
                continue;
            json_array_append_new(json_object_get(t, "consent_texts"),
                                  json_pack("{s:o, s:o, s:o, s:o}", "id", icol(r, i, "id"),
                                            "version", icol(r, i, "version"), "locale",
                                            col(r, i, "locale"), "sha256", col(r, i, "sha256")));
        }
    PQclear(r);

    if ((r = db_exec(db, Q_ROPA_POLICY, NULL, 0, err)) == NULL)
        return -1;
    json_t *pol = json_array();
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(
            pol, json_pack("{s:o, s:o, s:o, s:b, s:o, s:o}", "country", col(r, i, "country"),
                           "existing_customer_months", icol(r, i, "existing_customer_months"),
                           "inquiry_months", icol(r, i, "inquiry_months"), "opt_out_regime",
                           db_bool(r, i, "opt_out_regime"), "consent_lapse_months",
                           icol(r, i, "consent_lapse_months"), "consent_age",
                           icol(r, i, "consent_age")));
    PQclear(r);
    json_object_set_new(
        b, "existing_customer",
        json_pack("{s:s, s:o, s:O?, s:O?}", "description",
                  "offers of similar goods or services to customers who bought them, without "
                  "consent, unless they objected (UWG 7(3), ePrivacy Art. 13(2)); the "
                  "catalogue relations decide what is similar",
                  "policies", pol, "product_relations",
                  json_object_get(counts, "product_relations"), "category_relations",
                  json_object_get(counts, "category_relations")));

    json_t *texts = NULL;
    json_array_foreach(topics, k, t)
    {
        if (json_is_true(json_object_get(t, "reserved")) &&
            strcmp(json_string_value(json_object_get(t, "name")), "tracking") == 0)
            texts = json_incref(json_object_get(t, "consent_texts"));
    }
    json_object_set_new(
        b, "tracking",
        json_pack("{s:s, s:o, s:s}", "topic", "tracking", "consent_texts",
                  texts ? texts : json_array(), "description",
                  "viewed products and downloads are stored and used to choose offers only "
                  "while the person's tracking consent lasts (ePrivacy Art. 5(3)); withdrawing "
                  "it deletes them"));
    return 0;
}

/* (c) categories of data subjects and of personal data */
static int categories(struct db *db, const struct config *cfg, json_t *rep, json_t *subjects,
                      json_t *counts, int with_counts, struct mo_err *err)
{
    json_t *c = section("GDPR Art. 30(1)(c)");
    json_object_set_new(rep, "c_categories", c);
    json_array_append_new(subjects,
                          json_pack("{s:s, s:n, s:O?}", "category", "customers with orders",
                                    "topic", "count", json_object_get(counts, "customers")));
    json_array_append_new(subjects,
                          json_pack("{s:s, s:n, s:O?}", "category", "contacts (all)", "topic",
                                    "count", json_object_get(counts, "contacts")));
    json_array_append_new(subjects, json_pack("{s:s, s:n, s:O?}", "category", "erased (tombstones)",
                                              "topic", "count", json_object_get(counts, "erased")));
    json_object_set(c, "data_subjects", subjects);

    json_t *src = json_array();
    if (with_counts) {
        PGresult *r = db_exec(db, Q_ROPA_SOURCES, NULL, 0, err);
        if (r == NULL) {
            json_decref(src);
            return -1;
        }
        for (int i = 0; i < PQntuples(r); i++)
            json_array_append_new(src, json_pack("{s:o, s:o}", "source", col(r, i, "source"),
                                                 "count", icol(r, i, "contacts")));
        PQclear(r);
    }
    json_object_set_new(c, "contacts_by_source", src);

    static const struct {
        const char *category, *fields;
    } data[] = {
        {"contact", "email address, name, country, language, birth date (when given), source"},
        {"orders", "order number, product (SKU), date, selling legal entity, whether the address "
                   "was collected in the sale and an objection offered"},
        {"web activity", "viewed products and downloaded documents with their time (only with a "
                         "tracking consent)"},
        {"consent proof", "consent events: time, topic, consent text and its SHA-256, channel, "
                          "source, IP address, user agent, address entered, double opt-in token "
                          "hash, receipt hash"},
        {"send log", "campaign, run, time, legal basis and its evidence, SMTP outcome and reply, "
                     "Message-ID"},
        {"bounces and complaints", "bounce reports and complaints about sent messages"},
        {"suppression list", "keyed hash (HMAC) of the address, reason, time"},
    };
    json_t *d = json_array();
    for (size_t i = 0; i < sizeof(data) / sizeof(data[0]); i++)
        json_array_append_new(
            d, json_pack("{s:s, s:s}", "category", data[i].category, "fields", data[i].fields));
    json_object_set_new(c, "data", d);

    /* declared attributes (attrs.h); a name in the special-category list counts as sensitive */
    json_t *attrs = json_array();
    struct attr_list al;
    struct mo_err aerr = {0};
    if (attrs_parse(cfg->contact_attributes, "contact_attributes", &al, &aerr) < 0) {
        missing(rep, "contact_attributes is not valid");
    } else {
        for (int k = 0; k < al.n; k++)
            json_array_append_new(attrs, json_pack("{s:s, s:b}", "name", al.v[k].name, "sensitive",
                                                   attrs_is_sensitive(&al, al.v[k].name)));
        attrs_free(&al);
    }
    json_object_set_new(c, "attributes", attrs);
    return 0;
}

static const char *mechanism_text(const char *m)
{
    if (m == NULL)
        return NULL;
    if (strcmp(m, "adequacy") == 0)
        return "adequacy decision (GDPR Art. 45)";
    if (strcmp(m, "dpf") == 0)
        return "EU-US Data Privacy Framework (certified recipient, Art. 45)";
    if (strcmp(m, "scc") == 0)
        return "standard contractual clauses (GDPR Art. 46(2)(c))";
    if (strcmp(m, "bcr") == 0)
        return "binding corporate rules (GDPR Art. 47)";
    return m;
}

/* (d) recipients and (e) transfers to third countries */
static int recipients(struct db *db, const struct config *cfg, json_t *rep, struct mo_err *err)
{
    json_t *d = section("GDPR Art. 30(1)(d)"), *e = section("GDPR Art. 30(1)(e)");
    json_t *procs = json_array(), *xfers = json_array();
    json_object_set_new(rep, "d_recipients", d);
    json_object_set_new(rep, "e_transfers", e);
    json_object_set_new(d, "processors", procs);
    json_object_set_new(e, "residency", json_string(*cfg->residency ? cfg->residency : "eu"));
    json_object_set_new(e, "transfers", xfers);

    PGresult *r = db_exec(db, Q_ROPA_PROCESSORS, NULL, 0, err);
    if (r == NULL)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *name = db_val(r, i, "name");
        json_t *hosts = json_loads(db_val(r, i, "hosts"), 0, NULL);
        json_array_append_new(
            procs, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", col(r, i, "name"),
                             "role", col(r, i, "role"), "country", col(r, i, "country"), "hosts",
                             hosts ? hosts : json_array(), "dpa", col(r, i, "dpa"), "mechanism",
                             col(r, i, "mechanism"), "purpose", col(r, i, "purpose")));
        if (db_isnull(r, i, "country")) {
            missing(rep, "processor '%s' has no country", name);
            continue;
        }
        const char *kind = db_isnull(r, i, "country_kind") ? NULL : db_val(r, i, "country_kind");
        if (kind && strcmp(kind, "eea") == 0)
            continue;
        const char *mech = db_isnull(r, i, "mechanism") ? NULL : db_val(r, i, "mechanism");
        if (mech == NULL && kind && strcmp(kind, "adequacy") == 0)
            mech = "adequacy";
        if (mech == NULL)
            missing(rep, "processor '%s' (%s) has no transfer mechanism", name,
                    db_val(r, i, "country"));
        /* the country's decision applies only when the transfer rests on it */
        int on_decision = mech && kind &&
                          ((strcmp(mech, "adequacy") == 0 && strcmp(kind, "adequacy") == 0) ||
                           (strcmp(mech, "dpf") == 0 && strcmp(kind, "dpf") == 0));
        json_array_append_new(xfers, json_pack("{s:o, s:o, s:o, s:o, s:o}", "name",
                                               col(r, i, "name"), "country", col(r, i, "country"),
                                               "mechanism", str_or_null(mech), "mechanism_text",
                                               str_or_null(mechanism_text(mech)), "decision",
                                               on_decision ? col(r, i, "decision") : json_null()));
    }
    PQclear(r);

    /* the sender's own infrastructure: maildir, or relays that are all on loopback */
    const char *own = NULL;
    if (cfg->transport_kind == TRANSPORT_MAILDIR)
        own = "mail is delivered by the sender's own infrastructure (maildir)";
    else if (config_smtp_loopback(cfg))
        own = "mail is delivered by the sender's own infrastructure (loopback relay)";
    json_object_set_new(d, "own_infrastructure", str_or_null(own));
    if (json_array_size(procs) == 0)
        json_object_set_new(d, "none",
                            json_string("none: mail is delivered by the sender's own "
                                        "infrastructure (maildir/loopback)"));
    json_object_set_new(e, "summary",
                        json_string(json_array_size(xfers) == 0
                                        ? "none: no recipient outside the EEA"
                                        : "transfers listed with their mechanism"));
    return 0;
}

/* (f) time limits for erasure */
static void retention(const struct config *cfg, json_t *rep)
{
    json_t *f = section("GDPR Art. 30(1)(f)");
    json_object_set_new(rep, "f_retention", f);
    json_object_set_new(f, "token_ttl_seconds", json_integer(cfg->token_ttl));
    json_object_set_new(f, "pending_retention_seconds", json_integer(cfg->pending_retention));
    json_object_set_new(f, "activity_retention_seconds", json_integer(cfg->activity_retention));
    json_object_set_new(f, "contact_retention_months", json_integer(cfg->contact_retention_months));
    json_object_set_new(f, "reply_retention_months", json_integer(cfg->reply_retention_months));
    static const struct {
        const char *data, *kept;
    } rules[] = {
        {"double opt-in link", "valid for token_ttl, the open request kept pending_retention "
                               "after it expires"},
        {"web activity", "activity_retention after it happened, and only while the tracking "
                         "consent lasts"},
        {"contacts", "erased after contact_retention_months without consent, order or activity"},
        {"SMTP replies of sends", "reply_retention_months"},
        {"consent events, send records, audit log",
         "append-only history kept as proof (GDPR Art. 7(1), 5(2)); an erasure removes their "
         "personal columns (address entered, IP, user agent, SMTP reply), the rows stay"},
        {"suppression list", "indefinitely, as a keyed hash of the address only, so that an "
                             "erased or objecting person is never mailed again"},
        {"data-subject requests", "logged with their Art. 12(3) due dates"},
    };
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s}", "data", rules[i].data, "kept", rules[i].kept));
    json_object_set_new(f, "rules", a);
}

static void measure(json_t *a, const char *m, const char *detail)
{
    /* detail may carry configuration values; one that is not UTF-8 is said so */
    json_array_append_new(a, json_pack("{s:s, s:s}", "measure", m, "detail",
                                       utf8_valid_str(detail) ? detail
                                                              : "(a configured value is not "
                                                                "valid UTF-8)"));
}

/* (g) technical and organisational security measures */
static int security(struct db *db, const struct config *cfg, json_t *rep, struct mo_err *err)
{
    json_t *g = section("GDPR Art. 30(1)(g), Art. 32"), *a = json_array();
    struct buf b;
    json_object_set_new(rep, "g_security", g);
    json_object_set_new(g, "measures", a);
    buf_init(&b, 0);

    PGresult *r = db_exec(db, Q_ROPA_ROLES, NULL, 0, err);
    if (r == NULL) {
        buf_release(&b);
        return -1;
    }
    buf_puts(&b, "separate roles:");
    for (int i = 0; i < PQntuples(r); i++)
        buf_printf(&b, "%s %s", i ? "," : "", db_val(r, i, "role"));
    buf_puts(&b, " (the application may only append to the history; only erase_contact(), "
                 "owned by mailout_eraser, may clear its personal columns)");
    if (*cfg->db_role)
        buf_printf(&b, "; connections SET ROLE %s", cfg->db_role);
    PQclear(r);
    measure(a, "database roles", b.s);

    if ((r = db_exec(db, Q_ROPA_APPEND_ONLY, NULL, 0, err)) == NULL) {
        buf_release(&b);
        return -1;
    }
    buf_reset(&b);
    for (int i = 0; i < PQntuples(r); i++)
        buf_printf(&b, "%s%s", i ? ", " : "", db_val(r, i, "tbl"));
    buf_puts(&b, ": triggers refuse UPDATE, DELETE and TRUNCATE");
    PQclear(r);
    measure(a, "append-only history", b.s);
    measure(a, "hash chains",
            "the audit log, consent ledger and send records are hash-chained; "
            "`mailout audit verify` detects any edit, deletion or insertion");
    measure(a, "keyed address hashes",
            "the suppression list and erased contacts hold only an HMAC of the address under a "
            "secret key (suppression_key_file)");

    buf_reset(&b);
    if (cfg->transport_kind == TRANSPORT_MAILDIR)
        buf_puts(&b, "not applicable: maildir transport (no network)");
    else
        buf_printf(&b, "smtp_starttls = %s",
                   cfg->smtp_starttls == STARTTLS_REQUIRED   ? "required"
                   : cfg->smtp_starttls == STARTTLS_OPTIONAL ? "optional"
                                                             : "off");
    measure(a, "TLS for SMTP", b.s);

    buf_reset(&b);
    if (*cfg->dkim_key_file)
        buf_printf(&b, "signed for %s, selector %s%s", cfg->dkim_domain, cfg->dkim_selector,
                   *cfg->dkim_ed25519_key_file ? ", plus an Ed25519 signature" : "");
    else
        buf_puts(&b, "not configured");
    measure(a, "DKIM", b.s);

    measure(a, "admin view",
            *cfg->admin_token_file
                ? "read-only, behind a secret token (admin_token_file) and a session cookie"
                : "off (no admin_token_file)");
    buf_reset(&b);
    buf_printf(&b, "only for %s", *cfg->metrics_allow ? cfg->metrics_allow : "loopback clients");
    measure(a, "/metrics", b.s);
    measure(a, "data-subject requests",
            "access (export), erasure (erase) and objections are logged with their Art. 12(3) "
            "due dates and audited");
    buf_release(&b);
    return 0;
}

json_t *ropa_report(struct db *db, const struct config *cfg, int with_counts, struct mo_err *err)
{
    json_t *rep = json_object(), *subjects = json_array(), *counts = json_object();
    PGresult *r;

    if (db_begin(db, err) < 0)
        goto fail;
    json_object_set_new(rep, "format", json_string("mailout-ropa/1"));
    if ((r = db_exec(db, Q_ROPA_NOW, NULL, 0, err)) == NULL)
        goto fail;
    json_object_set_new(rep, "generated_at", col(r, 0, "now"));
    PQclear(r);
    json_object_set_new(rep, "missing", json_array());
    if (with_counts) {
        if ((r = db_exec(db, Q_ROPA_COUNTS, NULL, 0, err)) == NULL)
            goto fail;
        for (int f = 0; f < PQnfields(r); f++)
            json_object_set_new(counts, PQfname(r, f), icol(r, 0, PQfname(r, f)));
        PQclear(r);
    }

    if (controller(db, cfg, rep, err) < 0 ||
        purposes(db, rep, subjects, counts, with_counts, err) < 0 ||
        categories(db, cfg, rep, subjects, counts, with_counts, err) < 0 ||
        recipients(db, cfg, rep, err) < 0)
        goto fail;
    retention(cfg, rep);
    if (security(db, cfg, rep, err) < 0 || db_commit(db, err) < 0)
        goto fail;
    json_decref(subjects);
    json_decref(counts);
    return rep;
fail:
    db_rollback(db);
    json_decref(rep);
    json_decref(subjects);
    json_decref(counts);
    return NULL;
}

/* --- the page ------------------------------------------------------------------------- */

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* seconds as "N days" / "N Tage" (or hours, minutes, seconds when not whole) */
static void duration(long long s, const char *lang, char *out, size_t n)
{
    int de = strcmp(lang, "de") == 0;
    if (s > 0 && s % 86400 == 0)
        snprintf(out, n, "%lld %s", s / 86400,
                 de ? (s == 86400 ? "Tag" : "Tage") : (s == 86400 ? "day" : "days"));
    else if (s > 0 && s % 3600 == 0)
        snprintf(out, n, "%lld %s", s / 3600,
                 de ? (s == 3600 ? "Stunde" : "Stunden") : (s == 3600 ? "hour" : "hours"));
    else if (s > 0 && s % 60 == 0)
        snprintf(out, n, "%lld %s", s / 60,
                 de ? (s == 60 ? "Minute" : "Minuten") : (s == 60 ? "minute" : "minutes"));
    else
        snprintf(out, n, "%lld %s", s, de ? "Sekunden" : "seconds");
}

static void months(long long m, const char *lang, char *out, size_t n)
{
    int de = strcmp(lang, "de") == 0;
    snprintf(out, n, "%lld %s", m,
             de ? (m == 1 ? "Monat" : "Monate") : (m == 1 ? "month" : "months"));
}

static void setnum(struct tmpl_vars *v, const char *name, const json_t *j, int what,
                   const char *lang)
{
    char s[64];
    long long x = json_integer_value(j);
    if (what == 's')
        duration(x, lang, s, sizeof(s));
    else
        months(x, lang, s, sizeof(s));
    tmpl_vars_set(v, name, s);
}

void ropa_page_vars(const json_t *rep, const char *lang, struct tmpl_vars *v)
{
    const json_t *a = json_object_get(rep, "a_controller");
    const json_t *b = json_object_get(rep, "b_purposes");
    const json_t *c = json_object_get(rep, "c_categories");
    const json_t *d = json_object_get(rep, "d_recipients");
    const json_t *e = json_object_get(rep, "e_transfers");
    const json_t *f = json_object_get(rep, "f_retention");
    const json_t *t;
    size_t i;

    static const char *const akeys[] = {"legal_entity",   "email",       "reply_to",
                                        "postal_address", "privacy_url", "imprint_url"};
    for (i = 0; i < sizeof(akeys) / sizeof(akeys[0]); i++)
        tmpl_vars_set(v, akeys[i], jstr(a, akeys[i]));
    tmpl_vars_set(v, "generated_at", jstr(rep, "generated_at"));

    json_array_foreach(json_object_get(a, "legal_entities"), i, t)
        tmpl_vars_set(tmpl_vars_list_add(v, "legal_entities"), "name", jstr(t, "name"));
    json_array_foreach(json_object_get(b, "topics"), i, t)
    {
        if (json_is_true(json_object_get(t, "reserved")))
            continue; /* tracking has its own paragraph */
        struct tmpl_vars *it = tmpl_vars_list_add(v, "topics");
        tmpl_vars_set(it, "name", jstr(t, "name"));
        tmpl_vars_set(it, "title", jstr(t, "title"));
    }
    /* the existing-customer window of the default policy ('*' comes first) */
    t = json_array_get(json_object_get(json_object_get(b, "existing_customer"), "policies"), 0);
    if (t && json_integer_value(json_object_get(t, "existing_customer_months")) > 0)
        setnum(v, "existing_customer_months", json_object_get(t, "existing_customer_months"), 'm',
               lang);
    if (t && json_integer_value(json_object_get(t, "consent_lapse_months")) > 0)
        setnum(v, "consent_lapse_months", json_object_get(t, "consent_lapse_months"), 'm', lang);

    json_array_foreach(json_object_get(c, "attributes"), i, t)
    {
        struct tmpl_vars *it = tmpl_vars_list_add(v, "attributes");
        tmpl_vars_set(it, "name", jstr(t, "name"));
        tmpl_vars_set(it, "sensitive", json_is_true(json_object_get(t, "sensitive")) ? "1" : "");
    }

    json_array_foreach(json_object_get(d, "processors"), i, t)
    {
        struct tmpl_vars *it = tmpl_vars_list_add(v, "processors");
        static const char *const pkeys[] = {"name", "country", "purpose", "dpa"};
        for (size_t k = 0; k < sizeof(pkeys) / sizeof(pkeys[0]); k++)
            tmpl_vars_set(it, pkeys[k], jstr(t, pkeys[k]));
        tmpl_vars_set(it, "role_processor", strcmp(jstr(t, "role"), "processor") == 0 ? "1" : "");
    }
    tmpl_vars_set(v, "own_infrastructure", jstr(d, "own_infrastructure"));
    tmpl_vars_set(v, "has_legal_entities",
                  json_array_size(json_object_get(a, "legal_entities")) ? "1" : "");
    tmpl_vars_set(v, "has_processors",
                  json_array_size(json_object_get(d, "processors")) ? "1" : "");
    tmpl_vars_set(v, "has_transfers", json_array_size(json_object_get(e, "transfers")) ? "1" : "");

    tmpl_vars_set(v, "residency_eu", strcmp(jstr(e, "residency"), "eu") == 0 ? "1" : "");
    json_array_foreach(json_object_get(e, "transfers"), i, t)
    {
        struct tmpl_vars *it = tmpl_vars_list_add(v, "transfers");
        const char *m = jstr(t, "mechanism");
        tmpl_vars_set(it, "name", jstr(t, "name"));
        tmpl_vars_set(it, "country", jstr(t, "country"));
        tmpl_vars_set(it, "decision", jstr(t, "decision"));
        tmpl_vars_set(it, "mech_adequacy", strcmp(m, "adequacy") == 0 ? "1" : "");
        tmpl_vars_set(it, "mech_dpf", strcmp(m, "dpf") == 0 ? "1" : "");
        tmpl_vars_set(it, "mech_scc", strcmp(m, "scc") == 0 ? "1" : "");
        tmpl_vars_set(it, "mech_bcr", strcmp(m, "bcr") == 0 ? "1" : "");
        tmpl_vars_set(it, "mech_none", *m ? "" : "1");
    }

    setnum(v, "token_ttl", json_object_get(f, "token_ttl_seconds"), 's', lang);
    setnum(v, "pending_retention", json_object_get(f, "pending_retention_seconds"), 's', lang);
    setnum(v, "activity_retention", json_object_get(f, "activity_retention_seconds"), 's', lang);
    setnum(v, "contact_retention", json_object_get(f, "contact_retention_months"), 'm', lang);
    setnum(v, "reply_retention", json_object_get(f, "reply_retention_months"), 'm', lang);
}
