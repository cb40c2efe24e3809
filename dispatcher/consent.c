/*
 * consent.c - consent use cases that several front ends share: today the
 * opt-out.  It composes contact.c (find or create the contact), topic.c
 * (the topic), ledger.c (the event and the webhook entry) and audit.c in
 * one transaction.  Deciding whom a campaign may mail is the legal-basis
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
#include "ledger.h"
#include "suppress.h"
#include "topic.h"
#include "xalloc.h"

/* A copy of s without surrounding spaces and tabs (caller frees). */
static char *trimmed(const char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t')
        s++;
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return xstrndup(s, n);
}

int consent_unsubscribe(struct db *db, const struct config *cfg, const struct consent_optout *o,
                        long long *contact_id, int *changed, struct mo_err *err)
{
    struct topic t = {0};
    struct suppress_key key;
    char *norm = NULL, *email = NULL;
    char obj[32], addr_hmac[65];
    long long cid = 0;
    int created, rc = -1;
    const char *source = o->source ? o->source : o->channel;

    *changed = 0;
    if (address_normalize(o->email, &norm, err) < 0)
        return -1;
    email = trimmed(o->email);
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
    if (contact_ensure(db, email, norm, addr_hmac, source, &cid, &created, err) < 0)
        goto fail;
    struct ledger_revocation rv = {.contact_id = cid,
                                   .topic_id = o->topic ? t.id : 0,
                                   .channel = o->channel,
                                   .source = source,
                                   .actor = o->actor,
                                   .note = o->reason,
                                   .message_id = o->message_id,
                                   .skip_if_same = 1};
    if (ledger_revoke(db, &rv, changed, err) < 0)
        goto fail;
    snprintf(obj, sizeof(obj), "contact:%lld", cid); /* fits: at most 28 characters */
    if (audit_append_json(db, o->actor, o->topic ? "consent.withdraw" : "consent.object", obj,
                          json_pack("{s:s?, s:s, s:b}", "topic", o->topic ? t.name : NULL,
                                    "channel", o->channel, "changed", *changed),
                          err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    if (contact_id)
        *contact_id = cid;
    rc = 0;
    goto out;
fail:
    db_rollback(db);
    *changed = 0;
out:
    free(email);
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
    info->contact_id = db_int(r, 0, "contact_id");
    info->topic_id = db_int(r, 0, "topic_id");
    info->run_id = PQgetisnull(r, 0, PQfnumber(r, "run_id")) ? 0 : db_int(r, 0, "run_id");
    snprintf(info->topic, sizeof(info->topic), "%s", PQgetvalue(r, 0, PQfnumber(r, "topic")));
    if (snprintf(info->message_id, sizeof(info->message_id), "%s",
                 PQgetvalue(r, 0, PQfnumber(r, "message_id"))) >= (int)sizeof(info->message_id))
        info->message_id[0] = '\0'; /* never cut an id: none rather than a wrong one */
    PQclear(r);
    return 1;
}

int consent_token_unsubscribe(struct db *db, const struct consent_token_optout *o,
                              struct consent_token_info *info, int *changed, struct mo_err *err)
{
    int rc;

    *changed = 0;
    if ((rc = consent_token_lookup(db, o->token, info, err)) <= 0)
        return rc;
    struct ledger_revocation rv = {.contact_id = info->contact_id,
                                   .topic_id = o->all ? 0 : info->topic_id,
                                   .channel = o->channel,
                                   .source = o->channel,
                                   .actor = "subject",
                                   .note = o->note,
                                   .message_id = info->message_id[0] ? info->message_id : NULL,
                                   .ip = o->ip,
                                   .user_agent = o->user_agent,
                                   .skip_if_same = 1};
    if (db_begin(db, err) < 0)
        return -1;
    if (ledger_revoke(db, &rv, changed, err) < 0 || db_commit(db, err) < 0) {
        db_rollback(db);
        *changed = 0;
        return -1;
    }
    return 1;
}
