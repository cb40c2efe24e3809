/*
 * inbound_act.c - what `mailout inbound` records for a classified message
 * (inbound_act.h): opt-outs through consent.c and ledger.c, suppression
 * through suppress.c, bounces in table bounces.
 *
 * Owns finding the contact a message is about and the bounce counts.  It
 * does not parse mail (inbound.c), decide bases (the engine reads the
 * ledger and the suppression list) or print (cli_inbound.c).
 */
#include "inbound_act.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "address.h"
#include "audit.h"
#include "buf.h"
#include "contact.h"
#include "crypto.h"
#include "ledger.h"
#include "suppress.h"
#include "xalloc.h"

const char *inbound_rcpt_outcome_name(enum inbound_rcpt_outcome o)
{
    switch (o) {
    case INBOUND_RCPT_UNKNOWN:
        return "unknown";
    case INBOUND_RCPT_SUPPRESSED:
        return "suppressed";
    case INBOUND_RCPT_COUNTED:
        return "counted";
    case INBOUND_RCPT_SOFT_LIMIT:
        return "suppressed_soft";
    case INBOUND_RCPT_REPEAT:
        return "repeat";
    }
    return "unknown";
}

static const char *or_null(const char *s)
{
    return s && *s ? s : NULL;
}

/*
 * The contact whose normalised address is that of addr: 1 found (*id, and
 * *norm for the caller to free), 0 not found or not an address, -1 with err.
 */
static int find_by_addr(struct db *db, const char *addr, long long *id, char **norm,
                        struct mo_err *err)
{
    struct mo_err ignored;
    int rc;

    *norm = NULL;
    mo_err_init(&ignored);
    if (addr == NULL || !*addr || address_normalize(addr, norm, &ignored) < 0)
        return 0;
    if ((rc = contact_find_id(db, *norm, id, err)) <= 0) {
        free(*norm);
        *norm = NULL;
    }
    return rc;
}

/* The normalised address of contact id (caller frees); NULL with err. */
static char *contact_norm(struct db *db, long long id, struct mo_err *err)
{
    char idbuf[24];
    const char *p[] = {idbuf};
    PGresult *r;
    char *norm = NULL;

    snprintf(idbuf, sizeof(idbuf), "%lld", id);
    if ((r = db_exec(db, Q_INBOUND_CONTACT_NORM, p, 1, err)) == NULL)
        return NULL;
    if (PQntuples(r) == 1)
        norm = xstrdup(db_val(r, 0, "email_norm"));
    else
        mo_err_set(err, MO_E_NOTFOUND, "contact %lld not found", id);
    PQclear(r);
    return norm;
}

/* The hex keyed hash of norm under the suppression key. */
static int hash_of(struct db *db, const struct config *cfg, const char *norm, char out[65],
                   struct mo_err *err)
{
    struct suppress_key key;

    if (suppress_key_load(db, cfg, &key, err) < 0)
        return -1;
    suppress_hash(&key, norm, out);
    explicit_bzero(&key, sizeof(key));
    return 0;
}

/* --- mailto ---------------------------------------------------------------- */

static int act_mailto(struct db *db, const struct config *cfg, const struct inbound_msg *m,
                      struct inbound_result *res, struct mo_err *err)
{
    char *norm = NULL;
    long long cid = 0;
    int rc;

    if (m->token[0]) {
        struct consent_token_optout o = {.token = m->token,
                                         .all = 0,
                                         .channel = "mailto",
                                         .note = "mail to the unsubscribe address"};
        struct consent_token_info info;
        rc = consent_token_unsubscribe(db, &o, &info, &res->changed, err);
        if (rc < 0)
            return -1;
        if (rc == 1) {
            res->contact_id = info.contact_id;
            res->via = "token";
            snprintf(res->topic, sizeof(res->topic), "%s", info.topic); /* same size */
            return 0;
        }
    }
    if (!m->from[0])
        return mo_err_set(err, MO_E_INPUT,
                          "cannot attribute the unsubscribe: no known token and no single From "
                          "address");
    if ((rc = find_by_addr(db, m->from, &cid, &norm, err)) < 0)
        return -1;
    free(norm);
    if (rc == 0)
        return mo_err_set(err, MO_E_INPUT,
                          "cannot attribute the unsubscribe: the sender '%s' is not a known "
                          "contact and the message carries no known token",
                          m->from);
    struct consent_optout o = {.email = m->from,
                               .topic = NULL,
                               .channel = "mailto",
                               .source = "mail to the unsubscribe address",
                               .actor = "inbound",
                               .reason = "mail to the unsubscribe address without a token",
                               .message_id = or_null(m->orig_message_id)};
    if (consent_unsubscribe(db, cfg, &o, &res->contact_id, &res->changed, err) < 0)
        return -1;
    res->via = "from";
    return 0;
}

/* --- complaints ------------------------------------------------------------ */

static int contact_by_message(struct db *db, const char *msgid, long long *id, struct mo_err *err)
{
    const char *p[] = {msgid};
    PGresult *r = db_exec(db, Q_INBOUND_CONTACT_BY_MESSAGE, p, 1, err);
    int found;

    if (r == NULL)
        return -1;
    found = PQntuples(r) > 0;
    if (found)
        *id = db_int(r, 0, "contact_id");
    PQclear(r);
    return found;
}

static int act_complaint(struct db *db, const struct config *cfg, const struct inbound_msg *m,
                         struct inbound_result *res, struct mo_err *err)
{
    struct consent_token_info info;
    char *norm = NULL, hmac[65], obj[40];
    long long cid = 0;
    int rc = -1, found = 0;
    struct buf note;

    buf_init(&note, 1024);
    if (m->token[0]) {
        if ((found = consent_token_lookup(db, m->token, &info, err)) < 0)
            goto out;
        if (found) {
            cid = info.contact_id;
            res->via = "token";
        }
    }
    if (!found && m->orig_message_id[0]) {
        if ((found = contact_by_message(db, m->orig_message_id, &cid, err)) < 0)
            goto out;
        if (found)
            res->via = "message-id";
    }
    if (!found && m->complainant[0]) {
        char *n = NULL;
        if ((found = find_by_addr(db, m->complainant, &cid, &n, err)) < 0)
            goto out;
        free(n);
        res->via = found ? "address" : "unknown";
        if (!found) {
            rc = 0; /* a complaint about an address we do not know: nothing to do */
            goto out;
        }
    }
    if (!found) {
        mo_err_set(err, MO_E_INPUT,
                   "cannot attribute the complaint: it names no recipient, and its token or "
                   "Message-ID is none of ours");
        goto out;
    }
    if ((norm = contact_norm(db, cid, err)) == NULL || hash_of(db, cfg, norm, hmac, err) < 0)
        goto out;
    buf_printf(&note, "%s complaint (Feedback-Type: %s)",
               strcmp(m->format, "jmrp") == 0 ? "JMRP" : "ARF", m->feedback_type);
    if (m->message_id[0])
        buf_printf(&note, ", report <%s>", m->message_id);
    struct ledger_revocation rv = {.contact_id = cid,
                                   .topic_id = 0,
                                   .channel = "complaint",
                                   .source = strcmp(m->format, "jmrp") == 0 ? "JMRP complaint"
                                                                            : "ARF complaint",
                                   .actor = "inbound",
                                   .note = note.s,
                                   .message_id = or_null(m->orig_message_id),
                                   .skip_if_same = 1};
    snprintf(obj, sizeof(obj), "contact:%lld", cid); /* fits: at most 28 characters */
    if (db_begin(db, err) < 0)
        goto out;
    if (ledger_revoke(db, &rv, &res->changed, err) < 0 ||
        suppress_add(db, hmac, cid, "complaint", &res->suppressed, err) < 0 ||
        audit_append_json(db, "inbound", "inbound.complaint", obj,
                          json_pack("{s:s, s:s, s:s, s:b, s:b}", "format", m->format,
                                    "feedback_type", m->feedback_type, "via", res->via, "changed",
                                    res->changed, "suppressed", res->suppressed),
                          err) < 0 ||
        db_commit(db, err) < 0) {
        db_rollback(db);
        res->changed = res->suppressed = 0;
        goto out;
    }
    res->contact_id = cid;
    rc = 0;
out:
    free(norm);
    buf_release(&note);
    return rc;
}

/* --- bounces --------------------------------------------------------------- */

static int soft_count(struct db *db, const char *cid, long long *n, struct mo_err *err)
{
    const char *p[] = {cid};
    PGresult *r = db_exec(db, Q_INBOUND_SOFT_COUNT, p, 1, err);
    if (r == NULL)
        return -1;
    *n = db_int(r, 0, "n");
    PQclear(r);
    return 0;
}

static int record_bounces(struct db *db, const struct config *cfg, const struct inbound_msg *m,
                          char *const *norms, struct inbound_result *res, struct mo_err *err)
{
    struct suppress_key key;
    json_t *hard = json_array(), *soft = json_array(), *supp = json_array();
    int rc = -1;

    if (suppress_key_load(db, cfg, &key, err) < 0)
        goto out;
    if (db_begin(db, err) < 0)
        goto out_key;
    for (size_t i = 0; i < m->nrcpt; i++) {
        const struct inbound_rcpt *r = &m->rcpt[i];
        char cid[24], hmac[65];
        PGresult *q;
        int added = 0;

        if (res->rcpt[i].contact_id == 0)
            continue;
        snprintf(cid, sizeof(cid), "%lld", res->rcpt[i].contact_id);
        const char *p[] = {cid,
                           r->permanent ? "hard" : "soft",
                           or_null(r->status),
                           or_null(r->diagnostic),
                           or_null(m->orig_message_id),
                           or_null(m->message_id),
                           m->format,
                           or_null(m->reporting_mta)};
        if ((q = db_exec(db, Q_INBOUND_BOUNCE_ADD, p, 8, err)) == NULL)
            goto fail;
        int is_new = PQntuples(q) > 0;
        PQclear(q);
        suppress_hash(&key, norms[i], hmac);
        json_array_append_new(r->permanent ? hard : soft, json_integer(res->rcpt[i].contact_id));
        if (r->permanent) {
            if (suppress_add(db, hmac, res->rcpt[i].contact_id, "hard_bounce", &added, err) < 0)
                goto fail;
            res->rcpt[i].outcome = is_new ? INBOUND_RCPT_SUPPRESSED : INBOUND_RCPT_REPEAT;
        } else if (!is_new) {
            res->rcpt[i].outcome = INBOUND_RCPT_REPEAT;
        } else {
            long long n = 0;
            res->rcpt[i].outcome = INBOUND_RCPT_COUNTED;
            if (soft_count(db, cid, &n, err) < 0)
                goto fail;
            if (cfg->bounce_soft_limit > 0 && n >= cfg->bounce_soft_limit) {
                if (suppress_add(db, hmac, res->rcpt[i].contact_id, "soft_bounces", &added, err) <
                    0)
                    goto fail;
                res->rcpt[i].outcome = INBOUND_RCPT_SOFT_LIMIT;
            }
        }
        if (added)
            json_array_append_new(supp, json_integer(res->rcpt[i].contact_id));
    }
    /* the report's Message-ID is a remote string that may quote an address: only its hash */
    char report_sha[CRYPTO_SHA256_HEX_LEN + 1];
    if (*m->message_id)
        crypto_sha256_hex(m->message_id, strlen(m->message_id), report_sha);
    if (audit_append_json(db, "inbound", "inbound.bounce", "bounce",
                          json_pack("{s:s, s:s?, s:O, s:O, s:O}", "format", m->format,
                                    "report_sha256", *m->message_id ? report_sha : NULL, "hard",
                                    hard, "soft", soft, "suppressed", supp),
                          err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    rc = 0;
    goto out_key;
fail:
    db_rollback(db);
out_key:
    explicit_bzero(&key, sizeof(key));
out:
    json_decref(hard);
    json_decref(soft);
    json_decref(supp);
    return rc;
}

static int act_bounce(struct db *db, const struct config *cfg, const struct inbound_msg *m,
                      struct inbound_result *res, struct mo_err *err)
{
    char *norms[INBOUND_RCPT_MAX] = {0};
    size_t known = 0;
    int rc = -1;

    for (size_t i = 0; i < m->nrcpt; i++) {
        const char *cand[2] = {m->rcpt[i].addr, m->rcpt[i].alt};
        res->rcpt[i].outcome = INBOUND_RCPT_UNKNOWN;
        res->rcpt[i].addr = m->rcpt[i].addr;
        for (int k = 0; k < 2 && res->rcpt[i].contact_id == 0; k++) {
            int f = find_by_addr(db, cand[k], &res->rcpt[i].contact_id, &norms[i], err);
            if (f < 0)
                goto out;
            if (f) {
                res->rcpt[i].addr = cand[k];
                known++;
            }
        }
    }
    rc = known ? record_bounces(db, cfg, m, norms, res, err) : 0;
out:
    for (size_t i = 0; i < m->nrcpt; i++)
        free(norms[i]);
    return rc;
}

int inbound_apply(struct db *db, const struct config *cfg, const struct inbound_msg *m,
                  struct inbound_result *res, struct mo_err *err)
{
    memset(res, 0, sizeof(*res));
    res->via = "";
    switch (m->kind) {
    case INBOUND_MAILTO:
        return act_mailto(db, cfg, m, res, err);
    case INBOUND_COMPLAINT:
        return act_complaint(db, cfg, m, res, err);
    case INBOUND_BOUNCE:
        return act_bounce(db, cfg, m, res, err);
    case INBOUND_IGNORED:
        break;
    }
    return 0;
}
