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
 * (<base_url/u/TOKEN>, <mailto:unsubscribe_mailto?subject=unsubscribe%20TOKEN>:
 * the same token in both), List-Unsubscribe-Post, List-Id, the body link
 * (verbatim in the text part), the postal address, and the advertisement
 * label where the basis is opt_out_regime.
 *
 * Every message has its way out whatever the template did: when a rendered
 * part lacks the unsubscribe URL (verbatim; HTML-escaped in the HTML part)
 * or the postal address (a section may hide them), the standard footer of
 * the template's locale (data_dir/templates/LANG/footer.txt, footer.html) is
 * rendered and appended to that part.  Under opt_out_regime the
 * advertisement label (policy.opt_out_label of the contact's country, else
 * of '*') opens each body part; the subject is left as the template says.
 *
 * Rendering does not sign (dkim.h), store tokens or send: dispatch does;
 * campaign_mail_preview() signs as dispatch would and writes nothing.
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
 * postal_address, base_url (https://, or http:// only for a loopback host:
 * localhost, 127.0.0.0/8, [::1]; URL-safe characters, at most 512), and
 * unsubscribe_mailto a plain ASCII address when set.  MO_E_INPUT naming the
 * key, e.g. "base_url must use https:// (http:// only on loopback):
 * 'http://example.com' (key base_url)"; `campaign send`, dispatch and
 * `doctor` use it.
 */
int campaign_mail_check_config(const struct config *cfg, struct mo_err *err);

/*
 * Loads campaign campaign_id's shared parts.  MO_E_NOTFOUND for an unknown
 * campaign; MO_E_INPUT for a configuration that cannot send marketing mail
 * (no from, no postal_address, base_url not https except on loopback).
 * data_dir is where templates/LANG/footer.* are read (the CLI's resolved
 * data directory); cfg and data_dir are borrowed while cm lives.  One query
 * for the campaign, one for the advertisement labels; nothing per message.
 * Caller frees with campaign_mail_free().
 */
int campaign_mail_load(struct db *db, const struct config *cfg, const char *data_dir,
                       long long campaign_id, struct campaign_mail **out, struct mo_err *err);
void campaign_mail_free(struct campaign_mail *cm);

/* The recipient of one message; every pointer borrowed for the call. */
struct campaign_mail_rcpt {
    const char *email;          /* bare address (printable ASCII) */
    const char *name;           /* display name, UTF-8; NULL or "" for none */
    const char *country;        /* ISO 3166 alpha-2, NULL when unknown */
    const char *locale;         /* NULL when unknown */
    const char *attrs_json;     /* contacts.attrs as JSON text ({"vip": "yes"}), NULL for none */
    const char *explicit_attrs; /* the sensitive attributes the contact's consent for the topic
                                   covers, as a text-array literal ("{health}"); NULL for none:
                                   other sensitive attributes are not rendered (Art. 9(2)(a)) */
    const char *basis;          /* consent, existing_customer or opt_out_regime */
    const char *token;          /* the unsubscribe token of this message (crypto_random_token) */
};

/*
 * The token campaign preview puts in its links: URL-safe, and never a token
 * any endpoint accepts (crypto_token_wellformed() rejects it).
 */
#define CAMPAIGN_MAIL_PREVIEW_TOKEN "PREVIEW.not-a-token"

/*
 * Builds one recipient's message into out (compose_msg_init()ed).
 * MO_E_INPUT when this recipient's data cannot go into the message (a CR or
 * LF bound for a header, a bad address): err says why, in one line; only
 * this recipient fails.  No SQL; a few small allocations per message.
 */
int campaign_mail_render(const struct campaign_mail *cm, const struct campaign_mail_rcpt *r,
                         struct compose_msg *out, struct mo_err *err);

/* The campaign's topic id (for unsubscribe tokens) and name (static while loaded). */
long long campaign_mail_topic_id(const struct campaign_mail *cm);
const char *campaign_mail_name(const struct campaign_mail *cm);

/* What campaign_mail_preview() found out about the contact. */
struct campaign_mail_preview_info {
    char basis[32];  /* the basis the engine gives now, "" when excluded */
    char reason[64]; /* the exclusion reason ("not_in_segment" outside the segment), "" with a basis
                      */
};

/*
 * `campaign preview`: the exact message campaign NAME would send to the
 * contact with address email now, rendered with CAMPAIGN_MAIL_PREVIEW_TOKEN
 * and DKIM-signed when dkim_open() gives a signer.  The engine decides the
 * basis (campaign_explain_contact(), which writes nothing); a contact
 * without one still gets its message, and info says why it would not be
 * sent.  Writes nothing.  MO_E_NOTFOUND for an unknown campaign or address,
 * MO_E_INPUT for a configuration that cannot send or data that cannot go
 * into the message.
 */
int campaign_mail_preview(struct db *db, const struct config *cfg, const char *data_dir,
                          const char *name, const char *email, struct compose_msg *out,
                          struct campaign_mail_preview_info *info, struct mo_err *err);

#endif
