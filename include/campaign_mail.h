/*
 * campaign_mail.h - one campaign's marketing message, rendered per
 * recipient.
 *
 * campaign_mail_load() reads what every message of a campaign shares once:
 * the template (subject, text, optional HTML, the standard footer already
 * appended where `template add` found no unsubscribe link or postal
 * address), the topic, the sender's legal entity, the sender identity of
 * the configuration and the advertisement labels of the jurisdiction
 * policies.  campaign_mail_render() then builds one recipient's message
 * through compose.h: From, To, Subject, Date, Message-ID, List-Unsubscribe
 * (<base_url/u/TOKEN>, <mailto:unsubscribe_mailto>), List-Unsubscribe-Post,
 * List-Id, the body link (verbatim in the text part), the postal address,
 * and the advertisement label where the basis is opt_out_regime.
 *
 * It does not sign (dkim.h), store tokens or send: dispatch does.
 * Thread-safe: one loaded campaign_mail may render from several threads.
 */
#ifndef MAILOUT_CAMPAIGN_MAIL_H
#define MAILOUT_CAMPAIGN_MAIL_H

#include "compose.h"
#include "config.h"
#include "db.h"
#include "err.h"

struct campaign_mail;

/*
 * Checks that the configuration can send marketing mail at all: from,
 * postal_address, base_url (https, except on loopback), unsubscribe_mailto
 * well-formed when set.  MO_E_INPUT naming the key; `campaign send`,
 * dispatch and `doctor` use it.
 */
int campaign_mail_check_config(const struct config *cfg, struct mo_err *err);

/*
 * Loads campaign campaign_id's shared parts.  MO_E_NOTFOUND for an unknown
 * campaign; MO_E_INPUT for a configuration that cannot send marketing mail
 * (no from, no postal_address, base_url not https except on loopback).
 * Caller frees with campaign_mail_free().
 */
int campaign_mail_load(struct db *db, const struct config *cfg, long long campaign_id,
                       struct campaign_mail **out, struct mo_err *err);
void campaign_mail_free(struct campaign_mail *cm);

/* The recipient of one message; every pointer borrowed for the call. */
struct campaign_mail_rcpt {
    const char *email;      /* bare address (printable ASCII) */
    const char *name;       /* display name, UTF-8; NULL or "" for none */
    const char *country;    /* ISO 3166 alpha-2, NULL when unknown */
    const char *locale;     /* NULL when unknown */
    const char *attrs_json; /* contacts.attrs as JSON text ({"vip": "yes"}), NULL for none */
    const char *basis;      /* consent, existing_customer or opt_out_regime */
    const char *token;      /* the unsubscribe token of this message (crypto_random_token) */
};

/*
 * Builds one recipient's message into out (compose_msg_init()ed).
 * MO_E_INPUT when this recipient's data cannot go into the message (a CR or
 * LF bound for a header, a bad address): err says why, in one line; only
 * this recipient fails.
 */
int campaign_mail_render(const struct campaign_mail *cm, const struct campaign_mail_rcpt *r,
                         struct compose_msg *out, struct mo_err *err);

/* The campaign's topic id (for unsubscribe tokens) and name (static while loaded). */
long long campaign_mail_topic_id(const struct campaign_mail *cm);
const char *campaign_mail_name(const struct campaign_mail *cm);

#endif
