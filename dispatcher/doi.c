/*
 * doi.c - double opt-in.  Owns pending requests, their tokens and the
 * 'requested'/'confirmed' ledger events, and the check of confirmation
 * templates.  The confirmation mail itself is doi_mail.c's; it does not
 * serve HTTP (http.c) and does not decide who may receive marketing.
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
#include "doi_mail.h"
#include "htmlsafe.h"
#include "ledger.h"
#include "log.h"
#include "mime.h"
#include "receipt.h"
#include "suppress.h"
#include "tmpl.h"
#include "tmplfile.h"
#include "topic.h"
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
        picks[i].text_id = db_int(r, 0, "id");
        snprintf(picks[i].title, sizeof(picks[i].title), "%s", t.title);
        PQclear(r);
    }
    return 0;
}

/* The address as stored and mailed, and its matching form; both checked. */
static int check_request(const struct doi_subscribe_in *in, char **mailbox, char **norm,
                         struct mo_err *err)
{
    unsigned char ipbuf[16];

    if (in->ntopics == 0)
        return mo_err_set(err, MO_E_USAGE,
                          "no topic chosen: consent needs an explicit choice per topic");
    if (in->ntopics > DOI_MAX_TOPICS)
        return mo_err_set(err, MO_E_INPUT, "at most %d topics per request", DOI_MAX_TOPICS);
    if (in->actor == NULL || *in->actor == '\0')
        return mo_err_set(err, MO_E_INTERNAL, "subscribe: no actor given");
    if (in->ip && inet_pton(AF_INET, in->ip, ipbuf) != 1 && inet_pton(AF_INET6, in->ip, ipbuf) != 1)
        return mo_err_set(err, MO_E_INPUT, "invalid IP address '%.64s'", in->ip);
    if ((in->user_agent && !utf8_valid(in->user_agent, strlen(in->user_agent))) ||
        (in->source && !utf8_valid(in->source, strlen(in->source))))
        return mo_err_set(err, MO_E_INPUT, "user agent and source must be UTF-8");
    return address_parse(in->email, mailbox, norm, err);
}

/* Inside the transaction: contact, lock and limits.  *go 0: outcome decided, nothing to store. */
static int lock_contact(struct db *db, const struct config *cfg, const struct doi_subscribe_in *in,
                        const char *mailbox, const char *norm, const char *addr_hmac,
                        long long *contact_id, enum doi_outcome *outcome, int *go,
                        struct mo_err *err)
{
    char cid[24];
    int created;
    PGresult *r;

    *go = 0;
    if (contact_ensure(db, mailbox, norm, addr_hmac,
                       in->channel && strcmp(in->channel, "web") == 0 ? "subscribe form"
                                                                      : "subscribe command",
                       contact_id, &created, err) < 0)
        return -1;
    snprintf(cid, sizeof(cid), "%lld", *contact_id);
    const char *p[] = {cid, "24 hours"};
    if ((r = db_exec(db, Q_DOI_CONTACT_LOCK, p, 2, err)) == NULL)
        return -1;
    int minor = db_bool(r, 0, "minor");
    int has_birth = !db_isnull(r, 0, "birth_date");
    long long recent = db_int(r, 0, "recent_mails");
    PQclear(r);
    if (minor) {
        *outcome = DOI_MINOR;
        return 0;
    }
    if (!has_birth && !in->age_attested)
        return mo_err_set(err, MO_E_INPUT,
                          "no birth date is known: the person must confirm being at least the "
                          "consent age (--age-confirmed, form field age_confirmed=yes)");
    if (recent >= cfg->confirm_mail_limit) {
        /* counts mails queued, delivered or not (R-DOI-4) */
        *outcome = DOI_LIMITED;
        mo_log(MO_LOG_WARN, "confirmation mail limit reached contact=%lld", *contact_id);
        return 0;
    }
    *go = 1;
    return 0;
}

int doi_subscribe(struct db *db, const struct config *cfg, const char *data_dir,
                  const struct doi_subscribe_in *in, enum doi_outcome *outcome, struct mo_err *err)
{
    struct text_pick picks[DOI_MAX_TOPICS];
    const char *titles[DOI_MAX_TOPICS];
    struct doi_mail_key key;
    struct suppress_key skey;
    char *mailbox = NULL, *norm = NULL;
    char lang[8], nonce[CRYPTO_TOKEN_LEN + 1], token[CRYPTO_TOKEN_LEN + 1];
    char token_hash[CRYPTO_SHA256_HEX_LEN + 1], cid[24], ttl[32], rid[24];
    char locale[16], detail[64], addr_hmac[65];
    long long contact_id = 0, request_id;
    int in_tx = 0, rc = -1, go;
    PGresult *r;

    *outcome = DOI_QUEUED;
    memset(&key, 0, sizeof(key));
    /* everything that can be checked is checked before the transaction */
    if (check_request(in, &mailbox, &norm, err) < 0)
        goto out;
    tmplfile_lang(in->locale, lang);
    snprintf(locale, sizeof(locale), "%s",
             in->locale && topic_locale_valid(in->locale) ? in->locale : lang);
    if (resolve_topics(db, in, lang, picks, err) < 0)
        goto out;
    for (size_t i = 0; i < in->ntopics; i++)
        titles[i] = picks[i].title;
    {
        struct doi_mail_content probe = {.locale = lang,
                                         .rcpt = mailbox,
                                         .titles = titles,
                                         .ntitles = in->ntopics,
                                         .expires = "2000-01-01T00:00:00Z",
                                         .days = cfg->token_ttl / 86400};
        if (doi_mail_check(cfg, data_dir, &probe, err) < 0)
            goto out;
    }
    /* one key: the contact's keyed hash, and the key tokens are derived with */
    if (suppress_key_load(db, cfg, &skey, err) < 0)
        goto out;
    suppress_hash(&skey, norm, addr_hmac);
    doi_mail_key_derive(&skey, &key);
    explicit_bzero(&skey, sizeof(skey));
    /* an admin's suppression: never mailed again, not even to ask (nothing stored) */
    {
        const char *p[] = {addr_hmac};
        if ((r = db_exec(db, Q_SUPPRESSION_REASON, p, 1, err)) == NULL)
            goto out;
        int admin = PQntuples(r) > 0 && strcmp(db_val(r, 0, "reason"), "admin") == 0;
        PQclear(r);
        if (admin) {
            *outcome = DOI_SUPPRESSED;
            mo_log(MO_LOG_INFO, "double opt-in not started: address suppressed by an admin");
            rc = 0;
            goto out;
        }
    }

    if (db_begin(db, err) < 0)
        goto out;
    in_tx = 1;
    if (lock_contact(db, cfg, in, mailbox, norm, addr_hmac, &contact_id, outcome, &go, err) < 0)
        goto out;
    if (!go) {
        rc = 0;
        goto out; /* rolled back: a refused request stores nothing */
    }
    snprintf(cid, sizeof(cid), "%lld", contact_id);
    if ((r = db_exec(db, Q_DOI_NEXT_ID, NULL, 0, err)) == NULL)
        goto out;
    request_id = db_int(r, 0, "id");
    PQclear(r);
    snprintf(rid, sizeof(rid), "%lld", request_id);
    if (crypto_random_token(nonce, err) < 0)
        goto out;
    doi_mail_token(&key, request_id, nonce, token);
    crypto_sha256_hex(token, strlen(token), token_hash);
    snprintf(ttl, sizeof(ttl), "%lld seconds", cfg->token_ttl);
    {
        const char *p[] = {rid,
                           cid,
                           token_hash,
                           ttl,
                           in->ip,
                           in->user_agent,
                           in->source ? in->source : "unknown",
                           locale,
                           in->age_attested ? "true" : "false"};
        if (db_run(db, Q_DOI_REQUEST_INSERT, p, 9, err) < 0)
            goto out;
    }
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
            .actor = in->actor,
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
    if (doi_mail_enqueue(db, request_id, nonce, in->send_as, err) < 0)
        goto out;
    {
        char obj[40];
        snprintf(obj, sizeof(obj), "contact:%lld", contact_id);
        snprintf(detail, sizeof(detail), "{\"request\": %lld, \"topics\": %zu}", request_id,
                 in->ntopics);
        if (audit_append(db, in->actor, "consent.request", obj, detail, err) < 0)
            goto out;
    }
    if (db_commit(db, err) < 0)
        goto out;
    in_tx = 0;
    mo_log(MO_LOG_INFO, "double opt-in requested contact=%lld request=%lld topics=%zu", contact_id,
           request_id, in->ntopics);
    rc = 0;
out:
    if (in_tx)
        db_rollback(db);
    explicit_bzero(token, sizeof(token));
    doi_mail_key_wipe(&key);
    free(mailbox);
    free(norm);
    return rc;
}

static void fill_view(PGresult *r, struct doi_view *view)
{
    memset(view, 0, sizeof(*view));
    view->request_id = db_int(r, 0, "id");
    snprintf(view->locale, sizeof(view->locale), "%s", db_val(r, 0, "locale"));
    snprintf(view->email, sizeof(view->email), "%s", db_val(r, 0, "email"));
    snprintf(view->topics, sizeof(view->topics), "%s", db_val(r, 0, "topics"));
    snprintf(view->expires_at, sizeof(view->expires_at), "%s", db_val(r, 0, "expires_at"));
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
    /* used, expired, or voided by a withdrawal or objection recorded after it (R-DOI-6) */
    if (db_bool(r, 0, "used") || db_bool(r, 0, "expired") || db_bool(r, 0, "voided")) {
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

/*
 * Inside doi_confirm's transaction, before the 'confirmed' events: builds
 * the consent receipt, stores the token hash of each preference link
 * (unsubscribe_tokens, run NULL) and queues the receipt mail.  *text gets the
 * receipt (caller frees), sha its SHA-256; *topics the request's topics
 * with their consent texts (caller clears).
 */
static int confirm_receipt(struct db *db, const struct config *cfg, const char *cid,
                           const char *rid, const struct doi_view *view, const char *ip,
                           const struct doi_mail_key *key, PGresult **topics, char **text,
                           char sha[CRYPTO_SHA256_HEX_LEN + 1], struct mo_err *err)
{
    struct receipt_topic *rt = NULL;
    char nonce[CRYPTO_TOKEN_LEN + 1], token[CRYPTO_TOKEN_LEN + 1], hash[CRYPTO_SHA256_HEX_LEN + 1];
    char lang[8], receipt_id[37];
    char *draft = NULL;
    json_t *r = NULL;
    PGresult *req = NULL;
    int n, rc = -1;

    *text = NULL;
    const char *p[] = {rid};
    if ((req = db_exec(db, Q_RECEIPT_REQUEST, p, 1, err)) == NULL ||
        (*topics = db_exec(db, Q_RECEIPT_TOPICS, p, 1, err)) == NULL)
        goto out;
    n = PQntuples(*topics);
    rt = xcalloc((size_t)n + 1, sizeof(*rt));
    for (int i = 0; i < n; i++) {
        rt[i].name = db_val(*topics, i, "name");
        rt[i].title = db_val(*topics, i, "title");
        rt[i].text = db_val(*topics, i, "body");
        rt[i].text_sha256 = db_val(*topics, i, "sha256");
        rt[i].text_version = db_int(*topics, i, "version");
        rt[i].text_locale = db_val(*topics, i, "locale");
    }
    tmplfile_lang(view->locale, lang);
    mime_uuid(receipt_id);
    struct receipt_in in = {
        .receipt_id = receipt_id,
        .language = lang,
        .jurisdiction = db_isnull(req, 0, "country") ? NULL : db_val(req, 0, "country"),
        .legal_entity = cfg->legal_entity,
        .postal_address = cfg->postal_address,
        .privacy_url = cfg->privacy_url,
        .unsubscribe_mailto = cfg->unsubscribe_mailto,
        .base_url = cfg->base_url,
        .email = view->email,
        .requested_at = db_val(req, 0, "requested_at"),
        .confirmed_at = db_val(req, 0, "confirmed_at"),
        .ip = ip,
        .topics = rt,
        .ntopics = (size_t)n,
    };
    if ((r = receipt_new(&in, err)) == NULL)
        goto out;
    draft = receipt_draft(r);
    if (crypto_random_token(nonce, err) < 0)
        goto out;
    for (int i = 0; i < n; i++) {
        doi_mail_receipt_token(key, view->request_id, rt[i].name, nonce, token);
        crypto_sha256_hex(token, strlen(token), hash);
        int bad = receipt_set_link(r, (size_t)i, token, err) < 0;
        explicit_bzero(token, sizeof(token));
        const char *q[] = {hash, cid, db_val(*topics, i, "topic_id")};
        if (bad || db_run(db, Q_RECEIPT_TOKEN_INSERT, q, 3, err) < 0)
            goto out;
    }
    if ((*text = receipt_text(r, err)) == NULL)
        goto out;
    crypto_sha256_hex(*text, strlen(*text), sha);
    if (doi_mail_enqueue_receipt(db, view->request_id, nonce, draft, err) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0 && *text) {
        explicit_bzero(*text, strlen(*text));
        free(*text);
        *text = NULL;
    }
    json_decref(r);
    free(draft);
    free(rt);
    PQclear(req);
    return rc;
}

int doi_confirm(struct db *db, const struct config *cfg, const char *token, const char *ip,
                const char *user_agent, enum doi_token_state *state, struct doi_view *view,
                char **receipt, struct mo_err *err)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1], rid[24], cid[24], h[65];
    char receipt_sha[CRYPTO_SHA256_HEX_LEN + 1];
    char *norm = NULL, *text = NULL;
    struct doi_mail_key key;
    PGresult *r = NULL;
    int rc = -1;

    if (receipt)
        *receipt = NULL;
    memset(&key, 0, sizeof(key));
    if (db_begin(db, err) < 0)
        return -1;
    r = token_row(db, token, Q_DOI_LOOKUP_FOR_UPDATE, hash, state, err);
    if (r == NULL) {
        db_rollback(db);
        return err->code ? -1 : 0;
    }
    fill_view(r, view);
    snprintf(cid, sizeof(cid), "%s", db_val(r, 0, "contact_id"));
    int age_attested = db_bool(r, 0, "age_attested");
    char source[256];
    snprintf(source, sizeof(source), "%s", db_val(r, 0, "source"));
    PQclear(r);
    r = NULL;
    snprintf(rid, sizeof(rid), "%lld", view->request_id);
    /* one key: the address's keyed hash, and the key the receipt's tokens are derived with */
    if (address_normalize(view->email, &norm, err) < 0)
        goto out;
    {
        struct suppress_key skey;
        if (suppress_key_load(db, cfg, &skey, err) < 0)
            goto out;
        suppress_hash(&skey, norm, h);
        doi_mail_key_derive(&skey, &key);
        explicit_bzero(&skey, sizeof(skey));
    }
    {
        const char *p[] = {rid};
        if ((r = db_exec(db, Q_DOI_MARK_CONFIRMED, p, 1, err)) == NULL)
            goto out;
        PQclear(r);
        r = NULL;
    }
    /* the ledger is append-only: the receipt's hash goes into the events as they are written */
    if (confirm_receipt(db, cfg, cid, rid, view, ip, &key, &r, &text, receipt_sha, err) < 0)
        goto out;
    for (int i = 0; i < PQntuples(r); i++) {
        struct ledger_event ev = {
            .contact_id = strtoll(cid, NULL, 10),
            .topic_id = db_int(r, i, "topic_id"),
            .kind = "confirmed",
            .email_entered = view->email,
            .ip = ip,
            .user_agent = user_agent,
            .source = source,
            .channel = "web",
            .actor = "subject",
            .consent_text_id = db_int(r, i, "consent_text_id"),
            .locale = view->locale,
            .privacy_notice = *cfg->privacy_url ? cfg->privacy_url : NULL,
            .controller = *cfg->legal_entity ? cfg->legal_entity : NULL,
            .request_id = view->request_id,
            .token_sha256 = hash,
            .age_attested = age_attested ? 1 : -1,
            .receipt_sha256 = receipt_sha,
        };
        if (ledger_append(db, &ev, NULL, err) < 0)
            goto out;
    }
    PQclear(r);
    r = NULL;
    /* the person's own confirmation lifts a suppression of the address (R-DOI-6) */
    {
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
    if (receipt) {
        *receipt = text;
        text = NULL;
    }
    rc = 0;
out:
    PQclear(r);
    free(norm);
    doi_mail_key_wipe(&key);
    if (text) {
        explicit_bzero(text, strlen(text));
        free(text);
    }
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
    int ok = db_bool(r, 0, "allowed");
    PQclear(r);
    return ok;
}
