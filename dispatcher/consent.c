/*
 * consent.c - consent use cases that several front ends share: the
 * opt-out by address, and the recipient's own changes through an
 * unsubscribe token (one-click, the page's buttons, the preference
 * switches, the pause).  It composes contact.c (find the contact),
 * topic.c (the topic), ledger.c (the event and the webhook entry),
 * suppress.c (the do-not-contact list), doi.c (a topic switched on) and
 * audit.c, each use case in one transaction.  Deciding whom a campaign may mail is the legal-basis
 * engine's job; starting and confirming double opt-in is doi.c's.
 */
#include "consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "address.h"
#include "audit.h"
#include "contact.h"
#include "crypto.h"
#include "doi.h"
#include "ledger.h"
#include "suppress.h"
#include "topic.h"
#include "xalloc.h"

/* The audit entry of an admin opt-out; names no address and no reason. */
static int audit_optout(struct db *db, const struct consent_optout *o, const struct topic *t,
                        long long cid, int revoked, int suppressed, struct mo_err *err)
{
    char obj[32];
    json_t *d;

    if (cid == 0) /* an unknown address: only its keyed hash was listed */
        return audit_append_json(db, o->actor, "suppression.add", "suppression",
                                 json_pack("{s:s, s:s, s:b, s:b}", "reason", "admin", "channel",
                                           o->channel, "known_contact", 0, "changed", suppressed),
                                 err);
    snprintf(obj, sizeof(obj), "contact:%lld", cid); /* fits: at most 28 characters */
    d = json_pack("{s:s?, s:s, s:b}", "topic", o->topic ? t->name : NULL, "channel", o->channel,
                  "changed", revoked || suppressed);
    if (d && o->suppress)
        json_object_set_new(d, "suppressed", json_boolean(suppressed));
    return audit_append_json(db, o->actor, o->topic ? "consent.withdraw" : "consent.object", obj, d,
                             err);
}

int consent_unsubscribe(struct db *db, const struct config *cfg, const struct consent_optout *o,
                        long long *contact_id, int *changed, struct mo_err *err)
{
    struct topic t = {0};
    struct suppress_key key;
    char *norm = NULL;
    char addr_hmac[65];
    long long cid = 0;
    int found, revoked = 0, suppressed = 0, rc = -1;
    const char *source = o->source ? o->source : o->channel;

    *changed = 0;
    if (contact_id)
        *contact_id = 0;
    if (address_normalize(o->email, &norm, err) < 0)
        return -1;
    if (suppress_key_load(db, cfg, &key, err) < 0)
        goto out;
    suppress_hash(&key, norm, addr_hmac);
    rc = contact_backfill_hmac(db, &key, NULL, err);
    explicit_bzero(&key, sizeof(key));
    if (rc < 0)
        goto out;
    rc = -1;
    if (db_begin(db, err) < 0)
        goto out;
    if (o->topic && topic_find(db, o->topic, &t, err) < 0)
        goto fail;
    if ((found = contact_find_id(db, norm, &cid, err)) < 0)
        goto fail;
    if (!found && !o->suppress) {
        /* no contact is created for an address we never had (data minimisation) */
        mo_err_set(err, MO_E_NOTFOUND,
                   "no contact with the address '%s': nothing to record (with --suppress only "
                   "its keyed hash goes on the do-not-contact list)",
                   norm);
        goto fail;
    }
    if (found) {
        struct ledger_revocation rv = {.contact_id = cid,
                                       .topic_id = o->topic ? t.id : 0,
                                       .channel = o->channel,
                                       .source = source,
                                       .actor = o->actor,
                                       .note = o->reason,
                                       .message_id = o->message_id,
                                       .skip_if_same = 1};
        if (ledger_revoke(db, &rv, &revoked, err) < 0)
            goto fail;
    }
    /* the address may never be mailed or imported again: its keyed hash, no address */
    if (o->suppress && suppress_add(db, addr_hmac, cid, "admin", &suppressed, err) < 0)
        goto fail;
    if (audit_optout(db, o, &t, cid, revoked, suppressed, err) < 0)
        goto fail;
    /* issue 13: h-dsr - an objection to all marketing answers the objection requests */
    if (cid != 0 && o->topic == NULL &&
        dsr_close_matching(db, cid, "objection", "objection", "consent.object", o->actor, o->closed,
                           err) < 0)
        goto fail;
    if (db_commit(db, err) < 0)
        goto fail;
    *changed = revoked || suppressed;
    if (contact_id)
        *contact_id = cid;
    rc = 0;
    goto out;
fail:
    db_rollback(db);
out:
    free(norm);
    return rc;
}

/* --- pause (issue 10: h-pause) ------------------------------------------- */

/* Fills st from the contact's latest pause, inside the caller's transaction. */
static int pause_state(struct db *db, const char *cid, struct consent_pause_state *st,
                       struct mo_err *err)
{
    const char *p[] = {cid};
    PGresult *r = db_exec(db, Q_CONTACT_PAUSES, p, 1, err);
    int n;

    if (r == NULL)
        return -1;
    n = PQntuples(r);
    st->running = n > 0 && db_bool(r, n - 1, "running");
    st->until[0] = '\0';
    if (n > 0 && snprintf(st->until, sizeof(st->until), "%s", db_val(r, n - 1, "until")) >=
                     (int)sizeof(st->until)) {
        PQclear(r);
        return mo_err_set(err, MO_E_INTERNAL, "pause end of contact %s does not fit", cid);
    }
    PQclear(r);
    return 0;
}

int consent_pause(struct db *db, const struct consent_pause_req *o, struct consent_pause_state *st,
                  struct mo_err *err)
{
    char *norm = NULL;
    char cid[24], obj[32];
    long long id = 0;
    int found, rc = -1;

    memset(st, 0, sizeof(*st));
    if (o->months < 0 || o->months > LEDGER_PAUSE_MONTHS_MAX)
        return mo_err_set(err, MO_E_INPUT, "invalid pause of %d months (1 to %d, or 0 to resume)",
                          o->months, LEDGER_PAUSE_MONTHS_MAX);
    if (address_normalize(o->email, &norm, err) < 0)
        return -1;
    if (db_begin(db, err) < 0)
        goto out;
    if ((found = contact_find_id(db, norm, &id, err)) < 0)
        goto fail;
    if (!found) {
        mo_err_set(err, MO_E_NOTFOUND, "no contact with the address %s", norm);
        goto fail;
    }
    if (snprintf(cid, sizeof(cid), "%lld", id) >= (int)sizeof(cid) ||
        snprintf(obj, sizeof(obj), "contact:%lld", id) >= (int)sizeof(obj)) {
        mo_err_set(err, MO_E_INTERNAL, "contact id %lld does not fit", id);
        goto fail;
    }
    struct ledger_revocation rv = {.contact_id = id,
                                   .channel = o->channel,
                                   .source = o->source ? o->source : o->channel,
                                   .actor = o->actor,
                                   .note = o->reason,
                                   .skip_if_same = 1};
    if (ledger_pause(db, &rv, o->months, &st->changed, err) < 0 ||
        pause_state(db, cid, st, err) < 0)
        goto fail;
    if (audit_append_json(db, o->actor, o->months ? "consent.pause" : "consent.resume", obj,
                          json_pack("{s:i, s:s?, s:s, s:b}", "months", o->months, "paused_until",
                                    st->until[0] ? st->until : NULL, "channel", o->channel,
                                    "changed", st->changed),
                          err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    st->contact_id = id;
    rc = 0;
    goto out;
fail:
    db_rollback(db);
    memset(st, 0, sizeof(*st));
out:
    free(norm);
    return rc;
}

/* --- by token ------------------------------------------------------------ */

/*
 * Reads a token's row (columns contact_id, topic_id, topic, run_id,
 * message_id, and topic_title when title is not NULL) into info and title.
 */
static void token_row(const PGresult *r, struct consent_token_info *info, char *title,
                      size_t title_size)
{
    info->contact_id = db_int(r, 0, "contact_id");
    info->topic_id = db_int(r, 0, "topic_id");
    info->run_id = db_isnull(r, 0, "run_id") ? 0 : db_int(r, 0, "run_id");
    snprintf(info->topic, sizeof(info->topic), "%s", db_val(r, 0, "topic"));
    if (snprintf(info->message_id, sizeof(info->message_id), "%s", db_val(r, 0, "message_id")) >=
        (int)sizeof(info->message_id))
        info->message_id[0] = '\0'; /* never cut an id: none rather than a wrong one */
    if (title && snprintf(title, title_size, "%s", db_val(r, 0, "topic_title")) >= (int)title_size)
        snprintf(title, title_size, "%s", info->topic);
}

int consent_token_lookup(struct db *db, const char *token, struct consent_token_info *info,
                         struct mo_err *err)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1];
    PGresult *r;

    memset(info, 0, sizeof(*info));
    if (token == NULL || !crypto_token_wellformed(token))
        return 0;
    crypto_sha256_hex(token, strlen(token), hash);
    const char *p[] = {hash};
    if ((r = db_exec(db, Q_UNSUB_TOKEN_LOOKUP, p, 1, err)) == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    token_row(r, info, NULL, 0);
    PQclear(r);
    return 1;
}

/*
 * The opt-out a token grants in one round trip, outside a transaction:
 * the SQL function token_revoke() (sql/0022) locks the contact, reads the
 * one-click scope and records through ledger_revoke().  1 done (out
 * filled), 0 unknown token, -1 with err.
 */
static int token_revoke(struct db *db, const char *token, int all, int one_click,
                        const char *channel, const char *source, const char *ip,
                        const char *user_agent, const char *note, struct consent_token_outcome *out,
                        struct mo_err *err)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1];
    PGresult *r;

    memset(out, 0, sizeof(*out));
    if (token == NULL || !crypto_token_wellformed(token))
        return 0;
    crypto_sha256_hex(token, strlen(token), hash);
    const char *p[] = {
        hash, all ? "true" : "false", one_click ? "true" : "false", channel, source, ip, user_agent,
        note};
    if ((r = db_exec(db, Q_TOKEN_REVOKE, p, 8, err)) == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    token_row(r, &out->info, out->topic_title, sizeof(out->topic_title));
    out->all = db_bool(r, 0, "all_marketing");
    out->changed = db_bool(r, 0, "changed");
    PQclear(r);
    return 1;
}

int consent_token_unsubscribe(struct db *db, const struct consent_token_optout *o,
                              struct consent_token_info *info, int *changed, struct mo_err *err)
{
    struct consent_token_outcome out;
    int rc = token_revoke(db, o->token, o->all, 0, o->channel, o->channel, o->ip, o->user_agent,
                          o->note, &out, err);

    *info = out.info;
    *changed = rc > 0 && out.changed;
    return rc;
}

/* --- the unsubscribe page, one-click and preferences ---------------------- */

/*
 * Inside the caller's transaction: looks the token up and locks its
 * contact (Q_UNSUB_TOKEN_LOCK).  1 found (out->info, out->topic_title and
 * *scope_all filled), 0 unknown, -1 with err.
 */
static int token_lock(struct db *db, const char *token, struct consent_token_outcome *out,
                      int *scope_all, struct mo_err *err)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1];
    PGresult *r;

    crypto_sha256_hex(token, strlen(token), hash);
    const char *p[] = {hash};
    if ((r = db_exec(db, Q_UNSUB_TOKEN_LOCK, p, 1, err)) == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 0;
    }
    token_row(r, &out->info, out->topic_title, sizeof(out->topic_title));
    *scope_all = strcmp(db_val(r, 0, "one_click_scope"), "all") == 0;
    PQclear(r);
    return 1;
}

int consent_token_apply(struct db *db, const struct consent_token_request *rq,
                        struct consent_token_outcome *out, struct mo_err *err)
{
    int scope_all = 0, rc;

    memset(out, 0, sizeof(*out));
    if (rq->token == NULL || !crypto_token_wellformed(rq->token))
        return 0;
    if (rq->action == CONSENT_PAGE_PAUSE && (rq->months < 1 || rq->months > 24))
        return mo_err_set(err, MO_E_INPUT, "invalid pause of %d months: 1 to 24", rq->months);
    if (rq->action != CONSENT_PAGE_PAUSE)
        return token_revoke(db, rq->token, rq->action == CONSENT_PAGE_ALL,
                            rq->action == CONSENT_ONE_CLICK,
                            rq->action == CONSENT_ONE_CLICK ? "one_click" : "page",
                            rq->action == CONSENT_ONE_CLICK ? "one-click POST" : "unsubscribe page",
                            rq->ip, rq->user_agent, NULL, out, err);
    if (db_begin(db, err) < 0)
        return -1;
    if ((rc = token_lock(db, rq->token, out, &scope_all, err)) <= 0) {
        db_rollback(db);
        return rc;
    }
    out->all = rq->action == CONSENT_PAGE_ALL || rq->action == CONSENT_PAGE_PAUSE ||
               (rq->action == CONSENT_ONE_CLICK && scope_all);
    struct ledger_revocation rv = {
        .contact_id = out->info.contact_id,
        .topic_id = out->all ? 0 : out->info.topic_id,
        .channel = rq->action == CONSENT_ONE_CLICK ? "one_click" : "page",
        .source = rq->action == CONSENT_ONE_CLICK ? "one-click POST" : "unsubscribe page",
        .actor = "subject",
        .note = rq->action == CONSENT_ONE_CLICK && scope_all ? "one_click_scope all" : NULL,
        .message_id = out->info.message_id[0] ? out->info.message_id : NULL,
        .ip = rq->ip,
        .user_agent = rq->user_agent,
        .skip_if_same = 1,
    };
    rc = rq->action == CONSENT_PAGE_PAUSE ? ledger_pause(db, &rv, rq->months, &out->changed, err)
                                          : ledger_revoke(db, &rv, &out->changed, err);
    if (rc < 0 || db_commit(db, err) < 0) {
        db_rollback(db);
        out->changed = 0;
        return -1;
    }
    return 1;
}

int consent_pref_on(const struct consent_pref_topic *t)
{
    return strcmp(t->state, "confirmed") == 0 || strcmp(t->state, "pending") == 0;
}

void consent_preferences_release(struct consent_preferences *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->topics[i].consent_text);
    free(p->topics);
    p->topics = NULL;
    p->n = 0;
    p->contact_id = 0;
}

int consent_preferences_read(struct db *db, const char *token, const char *lang,
                             struct consent_preferences *p, struct mo_err *err)
{
    char hash[CRYPTO_SHA256_HEX_LEN + 1];
    PGresult *r;
    int n;

    memset(p, 0, sizeof(*p));
    if (token == NULL || !crypto_token_wellformed(token))
        return 0;
    crypto_sha256_hex(token, strlen(token), hash);
    const char *q[] = {hash, lang ? lang : "en"};
    if ((r = db_exec(db, Q_UNSUB_PAGE, q, 2, err)) == NULL)
        return -1;
    n = PQntuples(r);
    if (n == 0) {
        PQclear(r);
        return 0;
    }
    p->contact_id = db_int(r, 0, "contact_id");
    p->topics = xcalloc((size_t)n, sizeof(*p->topics));
    for (int i = 0; i < n; i++) {
        struct consent_pref_topic *t = &p->topics[p->n++];
        t->id = db_int(r, i, "topic_id");
        snprintf(t->name, sizeof(t->name), "%s", db_val(r, i, "name"));
        if (snprintf(t->title, sizeof(t->title), "%s", db_val(r, i, "title")) >=
            (int)sizeof(t->title))
            snprintf(t->title, sizeof(t->title), "%s", t->name);
        snprintf(t->state, sizeof(t->state), "%s", db_val(r, i, "state"));
        if (!db_isnull(r, i, "consent_text_id")) {
            t->consent_text_id = db_int(r, i, "consent_text_id");
            t->consent_text = xstrdup(db_val(r, i, "consent_text"));
        }
        t->message_topic = t->id == db_int(r, i, "token_topic_id");
    }
    PQclear(r);
    return 1;
}

/* The topic called name on the page, or NULL. */
static const struct consent_pref_topic *pref_find(const struct consent_preferences *p,
                                                  const char *name)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->topics[i].name, name) == 0)
            return &p->topics[i];
    return NULL;
}

/* Whether name is among the n names of list. */
static int pref_listed(const char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

/* Double opt-in for the topics switched on that are not on; *requested gets their count. */
static int pref_request(struct db *db, const struct config *cfg, const char *data_dir,
                        const struct consent_pref_choice *in, const struct consent_preferences *p,
                        size_t *requested, struct mo_err *err)
{
    struct doi_topic_req topics[DOI_MAX_TOPICS];
    enum doi_outcome outcome;
    char cid[24];
    size_t n = 0;
    char *email;
    PGresult *r;
    int rc;

    for (size_t i = 0; i < in->non; i++) {
        const struct consent_pref_topic *t = pref_find(p, in->on[i]);
        long long text = 0;
        if (t == NULL)
            return mo_err_set(err, MO_E_NOTFOUND, "unknown topic '%.64s'", in->on[i]);
        if (consent_pref_on(t) || pref_listed(in->on, i, t->name))
            continue; /* on already, or named before */
        for (size_t k = 0; k < in->ntext; k++)
            if (strcmp(in->text_topic[k], t->name) == 0)
                text = in->text_id[k];
        if (text <= 0)
            return mo_err_set(err, MO_E_INPUT,
                              "topic '%s' needs the consent text that was shown beside it",
                              t->name);
        if (n == DOI_MAX_TOPICS)
            return mo_err_set(err, MO_E_INPUT, "at most %d topics at once", DOI_MAX_TOPICS);
        topics[n].topic = t->name;
        topics[n].consent_text_id = text;
        n++;
    }
    *requested = n;
    if (n == 0)
        return 0;
    snprintf(cid, sizeof(cid), "%lld", p->contact_id);
    const char *q[] = {cid};
    if ((r = db_exec(db, Q_UNSUB_CONTACT_EMAIL, q, 1, err)) == NULL)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        *requested = 0;
        return mo_err_set(err, MO_E_NOTFOUND, "the contact is gone");
    }
    email = xstrdup(db_val(r, 0, "email"));
    PQclear(r);
    struct doi_subscribe_in din = {
        .email = email,
        .topics = topics,
        .ntopics = n,
        .ip = in->ip,
        .user_agent = in->user_agent,
        .source = "preference page",
        .channel = "page",
        .actor = "subject",
        .locale = in->lang,
        .age_attested = in->age_attested,
    };
    rc = doi_subscribe(db, cfg, data_dir, &din, &outcome, err);
    free(email);
    if (rc < 0)
        *requested = 0;
    return rc;
}

int consent_preferences_apply(struct db *db, const struct config *cfg, const char *data_dir,
                              const struct consent_pref_choice *in, size_t *withdrawn,
                              size_t *requested, struct mo_err *err)
{
    struct consent_preferences p;
    struct consent_token_outcome tok;
    size_t nw = 0, nr = 0;
    int scope_all, rc;

    if (withdrawn)
        *withdrawn = 0;
    if (requested)
        *requested = 0;
    if ((rc = consent_preferences_read(db, in->token, in->lang, &p, err)) <= 0)
        return rc;
    rc = -1;
    if (pref_request(db, cfg, data_dir, in, &p, &nr, err) < 0)
        goto out;
    /* the switches turned off, in one transaction under the contact's lock */
    if (db_begin(db, err) < 0)
        goto out;
    memset(&tok, 0, sizeof(tok));
    if ((rc = token_lock(db, in->token, &tok, &scope_all, err)) <= 0) {
        db_rollback(db);
        goto out; /* erased meanwhile: unknown */
    }
    for (size_t i = 0; i < p.n; i++) {
        const struct consent_pref_topic *t = &p.topics[i];
        int changed = 0;
        if (!consent_pref_on(t) || pref_listed(in->on, in->non, t->name))
            continue;
        struct ledger_revocation rv = {
            .contact_id = tok.info.contact_id,
            .topic_id = t->id,
            .channel = "page",
            .source = "preference page",
            .actor = "subject",
            .message_id = tok.info.message_id[0] ? tok.info.message_id : NULL,
            .ip = in->ip,
            .user_agent = in->user_agent,
            .skip_if_same = 1,
        };
        if (ledger_revoke(db, &rv, &changed, err) < 0) {
            db_rollback(db);
            rc = -1;
            goto out;
        }
        nw += (size_t)changed;
    }
    if (db_commit(db, err) < 0) {
        db_rollback(db);
        rc = -1;
        goto out;
    }
    rc = 1;
    if (withdrawn)
        *withdrawn = nw;
    if (requested)
        *requested = nr;
out:
    consent_preferences_release(&p);
    return rc;
}
