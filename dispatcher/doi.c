/*
 * doi.c - double opt-in.  Owns pending requests, their tokens, the
 * confirmation mail and the 'requested'/'confirmed' ledger events.  It does
 * not serve HTTP (http.c) and does not decide who may receive marketing.
 */
#include "doi.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "address.h"
#include "audit.h"
#include "buf.h"
#include "contact.h"
#include "crypto.h"
#include "htmlsafe.h"
#include "ledger.h"
#include "log.h"
#include "mime.h"
#include "suppress.h"
#include "tmpl.h"
#include "tmplfile.h"
#include "topic.h"
#include "transport.h"
#include "utf8.h"
#include "xalloc.h"

/* Variables a confirmation mail may use: nothing that could carry advertising. */
static const char *const confirm_vars[] = {
    "confirm_url",    "privacy_url", "imprint_url", "topics", "topic_list", "legal_entity",
    "postal_address", "email",       "expires",     "days",   "from_name"};

static int allowed_var(const char *name, char kind, void *arg)
{
    struct mo_err *err = arg;
    (void)kind;
    for (size_t i = 0; i < sizeof(confirm_vars) / sizeof(confirm_vars[0]); i++)
        if (strcmp(name, confirm_vars[i]) == 0)
            return 0;
    return mo_err_set(err, MO_E_INPUT,
                      "confirmation template may not use {{%s}}: a confirmation mail carries no "
                      "advertising (R-DOI-2)",
                      name);
}

static int uses_confirm_url(const char *name, char kind, void *arg)
{
    (void)arg;
    return kind == '{' && strcmp(name, "confirm_url") == 0 ? 1 : 0;
}

/*
 * Probe values for checking a template: each URL variable gets its own URL
 * and every other variable its own marker, so a message can name the
 * variable behind what it found.
 */
static const struct {
    const char *name, *url;
} url_probes[] = {
    {"confirm_url", "https://confirm.probe.invalid/x"},
    {"privacy_url", "https://privacy.probe.invalid/x"},
    {"imprint_url", "https://imprint.probe.invalid/x"},
};
#define N_URL_PROBES (sizeof(url_probes) / sizeof(url_probes[0]))

static void probe_marker(const char *name, char *out, size_t size)
{
    if (snprintf(out, size, "probe-%s", name) >= (int)size)
        out[0] = '\0'; /* names are short: never happens */
}

/* full: every variable set (every {{#section}} shown); else every one empty. */
static struct tmpl_vars *probe_vars(int full)
{
    struct tmpl_vars *v = tmpl_vars_new();
    char marker[96];

    for (size_t i = 0; i < sizeof(confirm_vars) / sizeof(confirm_vars[0]); i++) {
        probe_marker(confirm_vars[i], marker, sizeof(marker));
        tmpl_vars_set(v, confirm_vars[i], full ? marker : "");
    }
    for (size_t i = 0; i < N_URL_PROBES; i++)
        tmpl_vars_set(v, url_probes[i].name, full ? url_probes[i].url : "");
    return v;
}

/* Appends msg to out with every probe value replaced by its {{variable}}. */
static void unprobe(const char *msg, struct buf *out)
{
    char marker[96];

    while (*msg) {
        size_t skip = 0;
        const char *name = NULL;
        for (size_t i = 0; i < N_URL_PROBES && !skip; i++)
            if (strncmp(msg, url_probes[i].url, strlen(url_probes[i].url)) == 0) {
                skip = strlen(url_probes[i].url);
                name = url_probes[i].name;
            }
        for (size_t i = 0; i < sizeof(confirm_vars) / sizeof(confirm_vars[0]) && !skip; i++) {
            probe_marker(confirm_vars[i], marker, sizeof(marker));
            if (*marker && strncmp(msg, marker, strlen(marker)) == 0) {
                skip = strlen(marker);
                name = confirm_vars[i];
            }
        }
        if (skip) {
            buf_printf(out, "{{%s}}", name);
            msg += skip;
        } else {
            buf_putc(out, *msg++);
        }
    }
}

/*
 * The subject may hold no link; the text no link but {{confirm_url}},
 * {{privacy_url}} and {{imprint_url}}, each a word of its own; the HTML
 * must pass htmlsafe_check() with those three URLs as the only links.
 * Rendered twice, as it is sent (HTML escaped): with every variable set, so
 * every {{#section}} is seen, and with every variable empty, so every
 * {{^section}} is seen and nothing a variable separates escapes the check.
 */
static int check_links(const char *part, const char *tmpl, struct mo_err *err)
{
    const char *urls[N_URL_PROBES];
    int html = strcmp(part, "html") == 0, subject = strcmp(part, "subject") == 0;
    struct buf out, msg;
    int rc = 0;

    for (size_t i = 0; i < N_URL_PROBES; i++)
        urls[i] = url_probes[i].url;
    buf_init(&out, 0);
    buf_init(&msg, 0);
    for (int full = 1; full >= 0 && rc == 0; full--) {
        struct tmpl_vars *v = probe_vars(full);
        struct mo_err e;
        static const char *const empty[] = {""};
        const char *const *allowed = subject ? NULL : full ? urls : html ? empty : NULL;
        size_t n = subject ? 0 : full ? N_URL_PROBES : html ? 1 : 0;

        mo_err_init(&e);
        buf_reset(&out);
        rc = tmpl_render(tmpl, v, html ? TMPL_HTML : TMPL_RAW, &out, err);
        tmpl_vars_free(v);
        if (rc < 0)
            break;
        if (html)
            rc = htmlsafe_check(out.s, out.len, allowed, n, &e);
        else
            rc = htmlsafe_text_check(out.s, out.len, allowed, n, &e);
        if (rc < 0) {
            unprobe(e.msg, &msg);
            mo_err_set(err, MO_E_INPUT, "confirmation template (%s): %s%s (R-DOI-2)", part, msg.s,
                       subject ? ": a subject holds no link"
                       : html  ? ""
                               : ": only the confirm, privacy and imprint links are allowed");
        }
    }
    buf_release(&out);
    buf_release(&msg);
    return rc;
}

int doi_check_template(const char *subject, const char *text, const char *html, struct mo_err *err)
{
    const char *parts[3] = {subject, text, html};
    const char *names[3] = {"subject", "text", "html"};

    for (int i = 0; i < 3; i++) {
        if (parts[i] == NULL)
            continue;
        if (tmpl_names(parts[i], allowed_var, err, err) != 0)
            return -1;
        if (check_links(names[i], parts[i], err) < 0)
            return -1;
    }
    if (tmpl_names(text, uses_confirm_url, NULL, err) != 1 ||
        (html && tmpl_names(html, uses_confirm_url, NULL, err) != 1))
        return mo_err_set(err, MO_E_INPUT, "confirmation template lacks {{confirm_url}}");
    return 0;
}

static char *load_text(const char *data_dir, const char *locale, char **subject, char **body,
                       char **html, struct mo_err *err)
{
    char *raw = tmplfile_load(data_dir, locale, "confirm_mail.txt", 0, err);
    if (raw == NULL)
        return NULL;
    if (tmplfile_split_header(raw, "Subject", "confirmation mail template", subject, body, err) <
        0) {
        free(raw);
        return NULL;
    }
    *html = tmplfile_load(data_dir, locale, "confirm_mail.html", 1, err);
    if (err->code) {
        free(raw);
        return NULL;
    }
    return raw;
}

struct text_pick {
    long long topic_id;
    long long text_id;
    char title[256];
};

static int resolve_topics(struct db *db, const struct doi_subscribe_in *in, const char *lang,
                          struct text_pick *picks, struct mo_err *err)
{
    for (size_t i = 0; i < in->ntopics; i++) {
        struct topic t;
        char tid[24], xid[24];
        PGresult *r;

        if (topic_find(db, in->topics[i].topic, &t, err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (picks[j].topic_id == t.id)
                return mo_err_set(err, MO_E_INPUT, "topic '%s' given twice", t.name);
        snprintf(tid, sizeof(tid), "%lld", t.id);
        if (in->topics[i].consent_text_id > 0) {
            snprintf(xid, sizeof(xid), "%lld", in->topics[i].consent_text_id);
            const char *p[] = {xid, tid};
            if ((r = db_exec(db, Q_CONSENT_TEXT_OF_TOPIC, p, 2, err)) == NULL)
                return -1;
        } else {
            const char *p[] = {tid, lang};
            if ((r = db_exec(db, Q_CONSENT_TEXT_LATEST, p, 2, err)) == NULL)
                return -1;
        }
        if (PQntuples(r) == 0) {
            PQclear(r);
            if (in->topics[i].consent_text_id > 0)
                return mo_err_set(err, MO_E_INPUT, "consent text %lld is not a text of topic '%s'",
                                  in->topics[i].consent_text_id, t.name);
            return mo_err_set(err, MO_E_INPUT,
                              "topic '%s' has no consent text: add one with consent-text add",
                              t.name);
        }
        picks[i].topic_id = t.id;
        picks[i].text_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(picks[i].title, sizeof(picks[i].title), "%s", t.title);
        PQclear(r);
    }
    return 0;
}

static int send_confirmation(const struct config *cfg, const char *data_dir, const char *lang,
                             const char *email, const char *token, const struct text_pick *picks,
                             size_t n, const char *expires, struct mo_err *err)
{
    char *raw = NULL, *subject = NULL, *body = NULL, *html = NULL;
    struct tmpl_vars *v = tmpl_vars_new();
    struct buf url, topics, list, s_out, t_out, h_out, msg;
    struct mime_msg m;
    struct transport *t = NULL;
    int rc = -1;
    char days[24];

    buf_init(&url, 0);
    buf_init(&topics, 0);
    buf_init(&list, 0);
    buf_init(&s_out, 4096);
    buf_init(&t_out, 256 * 1024);
    buf_init(&h_out, 256 * 1024);
    buf_init(&msg, 0);
    mime_init(&m);
    raw = load_text(data_dir, lang, &subject, &body, &html, err);
    if (raw == NULL || doi_check_template(subject, body, html, err) < 0)
        goto out;
    buf_printf(&url, "%s/confirm/%s", cfg->base_url, token);
    for (size_t i = 0; i < n; i++) {
        buf_printf(&topics, "%s%s", i ? ", " : "", picks[i].title);
        buf_printf(&list, "%s- %s", i ? "\n" : "", picks[i].title);
    }
    snprintf(days, sizeof(days), "%lld", cfg->token_ttl / 86400 ? cfg->token_ttl / 86400 : 1);
    tmpl_vars_set(v, "confirm_url", url.s);
    tmpl_vars_set(v, "privacy_url", cfg->privacy_url);
    tmpl_vars_set(v, "imprint_url", cfg->imprint_url);
    tmpl_vars_set(v, "topics", topics.s);
    tmpl_vars_set(v, "topic_list", list.s);
    tmpl_vars_set(v, "legal_entity", cfg->legal_entity);
    tmpl_vars_set(v, "postal_address", cfg->postal_address);
    tmpl_vars_set(v, "email", email);
    tmpl_vars_set(v, "expires", expires);
    tmpl_vars_set(v, "days", days);
    const char *from_name = *cfg->from_name ? cfg->from_name : cfg->legal_entity;
    tmpl_vars_set(v, "from_name", from_name);
    if (tmpl_render(subject, v, TMPL_RAW, &s_out, err) < 0 ||
        tmpl_render(body, v, TMPL_RAW, &t_out, err) < 0 ||
        (html && tmpl_render(html, v, TMPL_HTML, &h_out, err) < 0))
        goto out;
    const char *from = *cfg->from_addr ? cfg->from_addr : "mailout@localhost";
    const char *domain = strrchr(from, '@') ? strrchr(from, '@') + 1 : "localhost";
    if (mime_header_addr(&m, "From", from_name, from, err) < 0 ||
        mime_header_addr(&m, "To", NULL, email, err) < 0 ||
        mime_header_text(&m, "Subject", s_out.s, err) < 0 ||
        mime_header_date_and_id(&m, domain, err) < 0 ||
        mime_header_raw(&m, "Auto-Submitted", "auto-generated", err) < 0 ||
        mime_finish(&m, t_out.s, html ? h_out.s : NULL, &msg, err) < 0)
        goto out;
    t = transport_new(cfg, err);
    if (t == NULL)
        goto out;
    struct transport_msg tm = {.envelope_from = from, .rcpt = email, .data = msg.s, .len = msg.len};
    if (transport_send(t, &tm, 1, err) < 0)
        goto out;
    if (!tm.delivered) {
        mo_err_set(err, tm.code >= 500 ? MO_E_INPUT : MO_E_TEMPFAIL,
                   "confirmation mail refused: %d %s", tm.code, tm.reply);
        goto out;
    }
    mo_log(MO_LOG_INFO, "confirmation mail sent message_id=%s via=\"%s\"", m.message_id,
           transport_describe(t));
    rc = 0;
out:
    transport_free(t);
    tmpl_vars_free(v);
    free(raw);
    free(html);
    buf_release(&url);
    buf_release(&topics);
    buf_release(&list);
    buf_release(&s_out);
    buf_release(&t_out);
    buf_release(&h_out);
    buf_release(&msg);
    mime_release(&m);
    return rc;
}

int doi_subscribe(struct db *db, const struct config *cfg, const char *data_dir,
                  const struct doi_subscribe_in *in, enum doi_outcome *outcome, struct mo_err *err)
{
    struct text_pick picks[DOI_MAX_TOPICS];
    char *norm = NULL;
    char lang[8], token[CRYPTO_TOKEN_LEN + 1], token_hash[CRYPTO_SHA256_HEX_LEN + 1];
    char cid[24], ttl[32], rid[24], expires[32] = "", locale[16], addr_hmac[65];
    struct suppress_key key;
    long long contact_id, request_id;
    int created, in_tx = 0, rc = -1, allowed;
    PGresult *r;

    *outcome = DOI_MAIL_SENT;
    if (in->ntopics == 0)
        return mo_err_set(err, MO_E_USAGE,
                          "no topic chosen: consent needs an explicit choice per topic");
    if (in->ntopics > DOI_MAX_TOPICS)
        return mo_err_set(err, MO_E_INPUT, "at most %d topics per request", DOI_MAX_TOPICS);
    if (address_normalize(in->email, &norm, err) < 0)
        return -1;
    {
        unsigned char ipbuf[16];
        if (in->ip && inet_pton(AF_INET, in->ip, ipbuf) != 1 &&
            inet_pton(AF_INET6, in->ip, ipbuf) != 1) {
            free(norm);
            return mo_err_set(err, MO_E_INPUT, "invalid IP address '%.64s'", in->ip);
        }
        if ((in->user_agent && !utf8_valid(in->user_agent, strlen(in->user_agent))) ||
            (in->source && !utf8_valid(in->source, strlen(in->source)))) {
            free(norm);
            return mo_err_set(err, MO_E_INPUT, "user agent and source must be UTF-8");
        }
    }
    tmplfile_lang(in->locale, lang);
    snprintf(locale, sizeof(locale), "%s",
             in->locale && topic_locale_valid(in->locale) ? in->locale : lang);
    if (resolve_topics(db, in, lang, picks, err) < 0)
        goto out;
    if (suppress_key_load(db, cfg, &key, err) < 0)
        goto out;
    suppress_hash(&key, norm, addr_hmac);
    explicit_bzero(&key, sizeof(key));

    if (db_begin(db, err) < 0)
        goto out;
    in_tx = 1;
    if (contact_ensure(db, in->email, norm, addr_hmac,
                       in->channel && strcmp(in->channel, "web") == 0 ? "subscribe form"
                                                                      : "subscribe command",
                       &contact_id, &created, err) < 0)
        goto out;
    snprintf(cid, sizeof(cid), "%lld", contact_id);
    {
        const char *p[] = {cid, "24 hours"};
        if ((r = db_exec(db, Q_DOI_CONTACT_LOCK, p, 2, err)) == NULL)
            goto out;
        int minor = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
        int has_birth = !PQgetisnull(r, 0, 1);
        long recent = strtol(PQgetvalue(r, 0, 2), NULL, 10);
        PQclear(r);
        if (minor) {
            *outcome = DOI_MINOR;
            db_rollback(db);
            in_tx = 0;
            rc = 0;
            goto out;
        }
        if (!has_birth && !in->age_attested) {
            mo_err_set(err, MO_E_INPUT,
                       "no birth date is known: the person must confirm being at least the "
                       "consent age (--age-confirmed, form field age_confirmed=yes)");
            goto out;
        }
        allowed = recent < cfg->confirm_mail_limit;
    }
    if (!allowed) {
        *outcome = DOI_LIMITED;
        db_rollback(db);
        in_tx = 0;
        mo_log(MO_LOG_WARN, "confirmation mail limit reached contact=%lld", contact_id);
        rc = 0;
        goto out;
    }
    if (crypto_random_token(token, err) < 0)
        goto out;
    crypto_sha256_hex(token, strlen(token), token_hash);
    snprintf(ttl, sizeof(ttl), "%lld seconds", cfg->token_ttl);
    {
        const char *p[] = {cid,
                           token_hash,
                           ttl,
                           in->ip,
                           in->user_agent,
                           in->source ? in->source : "unknown",
                           locale,
                           in->age_attested ? "true" : "false"};
        if ((r = db_exec(db, Q_DOI_REQUEST_INSERT, p, 8, err)) == NULL)
            goto out;
        request_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(expires, sizeof(expires), "%s", PQgetvalue(r, 0, 1));
        PQclear(r);
    }
    snprintf(rid, sizeof(rid), "%lld", request_id);
    for (size_t i = 0; i < in->ntopics; i++) {
        char tid[24], xid[24];
        snprintf(tid, sizeof(tid), "%lld", picks[i].topic_id);
        snprintf(xid, sizeof(xid), "%lld", picks[i].text_id);
        const char *p[] = {rid, tid, xid};
        if (db_run(db, Q_DOI_REQUEST_TOPIC, p, 3, err) < 0)
            goto out;
        struct ledger_event ev = {
            .contact_id = contact_id,
            .topic_id = picks[i].topic_id,
            .kind = "requested",
            .email_entered = in->email,
            .ip = in->ip,
            .user_agent = in->user_agent,
            .source = in->source ? in->source : "unknown",
            .channel = in->channel ? in->channel : "cli",
            .actor = strcmp(in->channel ? in->channel : "cli", "web") == 0 ? "subject"
                                                                           : audit_cli_actor(),
            .consent_text_id = picks[i].text_id,
            .locale = locale,
            .privacy_notice = *cfg->privacy_url ? cfg->privacy_url : NULL,
            .controller = *cfg->legal_entity ? cfg->legal_entity : NULL,
            .request_id = request_id,
            .token_sha256 = token_hash,
            .age_attested = in->age_attested ? 1 : -1,
        };
        if (ledger_append(db, &ev, NULL, err) < 0)
            goto out;
    }
    if (db_commit(db, err) < 0)
        goto out;
    in_tx = 0;
    mo_log(MO_LOG_INFO, "double opt-in requested contact=%lld request=%lld topics=%zu", contact_id,
           request_id, in->ntopics);
    if (send_confirmation(cfg, data_dir, lang, in->email, token, picks, in->ntopics, expires, err) <
        0) {
        const char *p[] = {rid};
        struct mo_err e2;
        mo_err_init(&e2);
        db_run(db, Q_DOI_MAIL_UNSENT, p, 1, &e2);
        goto out;
    }
    rc = 0;
out:
    if (in_tx)
        db_rollback(db);
    explicit_bzero(token, sizeof(token));
    free(norm);
    return rc;
}

static void fill_view(PGresult *r, struct doi_view *view)
{
    memset(view, 0, sizeof(*view));
    view->request_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    snprintf(view->locale, sizeof(view->locale), "%s", PQgetvalue(r, 0, 1));
    snprintf(view->email, sizeof(view->email), "%s", PQgetvalue(r, 0, 2));
    snprintf(view->topics, sizeof(view->topics), "%s", PQgetvalue(r, 0, 3));
    snprintf(view->expires_at, sizeof(view->expires_at), "%s", PQgetvalue(r, 0, 4));
}

/* Common token check; returns the result row (caller clears) or NULL with *state set. */
static PGresult *token_row(struct db *db, const char *token, enum query_id q, char hash[65],
                           enum doi_token_state *state, struct mo_err *err)
{
    PGresult *r;

    *state = DOI_TOKEN_UNKNOWN;
    if (token == NULL || !crypto_token_wellformed(token))
        return NULL;
    crypto_sha256_hex(token, strlen(token), hash);
    const char *p[] = {hash};
    if ((r = db_exec(db, q, p, 1, err)) == NULL)
        return NULL;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return NULL;
    }
    /* columns 5 and 6: used, expired */
    if (strcmp(PQgetvalue(r, 0, 5), "t") == 0 || strcmp(PQgetvalue(r, 0, 6), "t") == 0) {
        *state = DOI_TOKEN_GONE;
        PQclear(r);
        return NULL;
    }
    *state = DOI_TOKEN_OK;
    return r;
}

int doi_lookup(struct db *db, const char *token, enum doi_token_state *state, struct doi_view *view,
               struct mo_err *err)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1];
    PGresult *r = token_row(db, token, Q_DOI_LOOKUP, hash, state, err);
    if (r == NULL)
        return err->code ? -1 : 0;
    fill_view(r, view);
    PQclear(r);
    return 0;
}

int doi_confirm(struct db *db, const struct config *cfg, const char *token, const char *ip,
                const char *user_agent, enum doi_token_state *state, struct doi_view *view,
                struct mo_err *err)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1], rid[24], cid[24];
    char *norm = NULL;
    PGresult *r = NULL;
    int rc = -1;

    if (db_begin(db, err) < 0)
        return -1;
    r = token_row(db, token, Q_DOI_LOOKUP_FOR_UPDATE, hash, state, err);
    if (r == NULL) {
        db_rollback(db);
        return err->code ? -1 : 0;
    }
    fill_view(r, view);
    snprintf(cid, sizeof(cid), "%s", PQgetvalue(r, 0, 7));
    int age_attested = strcmp(PQgetvalue(r, 0, 8), "t") == 0;
    char source[256];
    snprintf(source, sizeof(source), "%s", PQgetvalue(r, 0, 9));
    PQclear(r);
    snprintf(rid, sizeof(rid), "%lld", view->request_id);
    {
        const char *p[] = {rid};
        if ((r = db_exec(db, Q_DOI_MARK_CONFIRMED, p, 1, err)) == NULL)
            goto out;
        PQclear(r);
        if ((r = db_exec(db, Q_DOI_REQUEST_TOPICS, p, 1, err)) == NULL)
            goto out;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        struct ledger_event ev = {
            .contact_id = strtoll(cid, NULL, 10),
            .topic_id = strtoll(PQgetvalue(r, i, 0), NULL, 10),
            .kind = "confirmed",
            .email_entered = view->email,
            .ip = ip,
            .user_agent = user_agent,
            .source = source,
            .channel = "web",
            .actor = "subject",
            .consent_text_id = strtoll(PQgetvalue(r, i, 1), NULL, 10),
            .locale = view->locale,
            .privacy_notice = *cfg->privacy_url ? cfg->privacy_url : NULL,
            .controller = *cfg->legal_entity ? cfg->legal_entity : NULL,
            .request_id = view->request_id,
            .token_sha256 = hash,
            .age_attested = age_attested ? 1 : -1,
        };
        if (ledger_append(db, &ev, NULL, err) < 0)
            goto out;
    }
    PQclear(r);
    r = NULL;
    /* the person's own confirmation lifts a suppression of the address (R-DOI-6) */
    if (address_normalize(view->email, &norm, err) < 0)
        goto out;
    {
        struct suppress_key key;
        char h[65];
        if (suppress_key_load(db, cfg, &key, err) < 0)
            goto out;
        suppress_hash(&key, norm, h);
        explicit_bzero(&key, sizeof(key));
        const char *p[] = {h};
        if (db_run(db, Q_SUPPRESSION_LIFT, p, 1, err) < 0)
            goto out;
    }
    {
        const char *p[] = {"confirmed", cid, rid};
        if (db_run(db, Q_OUTBOX_CONSENT, p, 3, err) < 0)
            goto out;
    }
    if (db_commit(db, err) < 0)
        goto out;
    mo_log(MO_LOG_INFO, "double opt-in confirmed contact=%s request=%s", cid, rid);
    rc = 0;
out:
    PQclear(r);
    free(norm);
    if (rc < 0) {
        db_rollback(db);
        *state = DOI_TOKEN_UNKNOWN;
    }
    return rc;
}

int doi_purge(struct db *db, const struct config *cfg, const char *actor, long *deleted,
              struct mo_err *err)
{
    char ret[32], detail[128];
    PGresult *r;

    snprintf(ret, sizeof(ret), "%lld seconds", cfg->pending_retention);
    if (db_begin(db, err) < 0)
        return -1;
    const char *p[] = {ret};
    if ((r = db_exec(db, Q_DOI_PURGE, p, 1, err)) == NULL)
        goto fail;
    *deleted = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    if (db_run(db, Q_RATE_PURGE, NULL, 0, err) < 0)
        goto fail;
    snprintf(detail, sizeof(detail), "{\"deleted\": %ld, \"retention_seconds\": %lld}", *deleted,
             cfg->pending_retention);
    if (audit_append(db, actor, "maintenance.purge_pending", "doi_requests", detail, err) < 0)
        goto fail;
    return db_commit(db, err);
fail:
    db_rollback(db);
    return -1;
}

int doi_ip_allowed(struct db *db, const struct config *cfg, const char *ip, struct mo_err *err)
{
    char h[CRYPTO_SHA256_HEX_LEN + 1], lim[24];
    crypto_sha256_hex(ip, strlen(ip), h);
    snprintf(lim, sizeof(lim), "%lld", cfg->subscribe_ip_limit);
    const char *p[] = {h, lim};
    PGresult *r = db_exec(db, Q_RATE_IP_CHECK, p, 2, err);
    if (r == NULL)
        return -1;
    int ok = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    return ok;
}
