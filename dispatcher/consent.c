/*
 * consent.c - consent use cases that several front ends share: today the
 * opt-out.  It composes contact.c (find the contact), topic.c (the topic),
 * ledger.c (the event and the webhook entry), suppress.c (the do-not-contact
 * list) and audit.c in one transaction.  Deciding whom a campaign may mail is the legal-basis
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
    if (audit_optout(db, o, &t, cid, revoked, suppressed, err) < 0 || db_commit(db, err) < 0)
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
