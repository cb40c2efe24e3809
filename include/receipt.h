/*
 * receipt.h - the consent receipt of a double-opt-in confirmation, in the
 * style of ISO/IEC 29184 notices and the Kantara consent receipt: what the
 * person agreed to (per topic: name, title, the exact consent text and its
 * SHA-256), when, from which IP, by which method, the controller, and how to
 * withdraw (the person's preference link per topic, the mailto address).
 *
 * The receipt is one JSON document whose exact bytes (receipt_text(): keys
 * sorted, two-space indent, no trailing newline) are shown on the confirmed
 * page, mailed as the attachment consent-receipt.json, and hashed onto the
 * 'confirmed' ledger events.  Its preference links carry tokens that are
 * never stored: the queue keeps a draft without them (receipt_draft()) and
 * the sender sets them again from the tokens it derives.
 *
 * Shape (every key always present; null when unknown):
 *   {"version", "receipt_id", "issued_at", "language", "jurisdiction",
 *    "controller": {"legal_entity", "postal_address", "privacy_url"},
 *    "subject": {"email"},
 *    "consents": [{"topic", "title", "consent_text", "consent_text_sha256",
 *                  "consent_text_version", "consent_text_locale",
 *                  "consented_at", "ip",
 *                  "method": {"type": "double opt-in", "requested_at"},
 *                  "withdraw": {"preference_url", "mailto"}}, ...]}
 *
 * Owns the document and the receipt mail's message; not the queue
 * (doi_mail.c), the tokens' rows or the ledger (doi.c).
 */
#ifndef MAILOUT_RECEIPT_H
#define MAILOUT_RECEIPT_H

#include <stddef.h>

#include <jansson.h>

#include "buf.h"
#include "compose.h"
#include "config.h"
#include "err.h"

#define RECEIPT_VERSION  "mailout-consent-receipt-1"
#define RECEIPT_FILENAME "consent-receipt.json"
/* Largest receipt the confirmed page shows (escaped and as a data: URI it fits PAGE_MAX). */
#define RECEIPT_PAGE_MAX (64 * 1024)

/* One confirmed topic.  All borrowed. */
struct receipt_topic {
    const char *name;
    const char *title;
    const char *text;        /* the consent text exactly as shown */
    const char *text_sha256; /* its hex SHA-256 */
    long long text_version;
    const char *text_locale;
};

/* Everything a receipt says.  All borrowed; NULL or "" is unknown (null). */
struct receipt_in {
    const char *receipt_id;   /* a fresh UUID */
    const char *language;     /* en, de: the language of the pages and mails */
    const char *jurisdiction; /* the contact's country (its policy), or NULL */
    const char *legal_entity;
    const char *postal_address;
    const char *privacy_url;
    const char *unsubscribe_mailto; /* bare address, or "" */
    const char *base_url;           /* preference links are BASE_URL/u/TOKEN */
    const char *email;              /* the subject's address */
    const char *requested_at;       /* ISO 8601 UTC */
    const char *confirmed_at;       /* ISO 8601 UTC: the consent time */
    const char *ip;                 /* of the confirmation */
    const struct receipt_topic *topics;
    size_t ntopics;
};

/*
 * Builds the receipt; its preference links are BASE_URL/u/ until
 * receipt_set_link() adds the tokens.  Caller frees with json_decref().
 * NULL with err MO_E_INPUT when a value is not UTF-8.
 */
json_t *receipt_new(const struct receipt_in *in, struct mo_err *err);

/*
 * The receipt as its draft for the queue: compact, keys sorted, each
 * preference link cut after its last '/', so no token is ever in it.
 * Caller frees.
 */
char *receipt_draft(const json_t *r);
/* Reads a draft back.  Caller frees with json_decref().  NULL with err (MO_E_INPUT). */
json_t *receipt_from_draft(const char *draft, struct mo_err *err);

/* The number of consents, and the topic name of consent i (borrowed from r; NULL past the end). */
size_t receipt_ntopics(const json_t *r);
const char *receipt_topic(const json_t *r, size_t i);

/* Completes consent i's preference link (BASE_URL/u/) with token.  -1 with err. */
int receipt_set_link(json_t *r, size_t i, const char *token, struct mo_err *err);

/* The exact text of the receipt (see the top of this file).  Caller frees; NULL with err. */
char *receipt_text(const json_t *r, struct mo_err *err);

/* Appends "data:application/json;base64,..." of text to out.  -1 past out's max. */
int receipt_data_uri(const char *text, struct buf *out);

/*
 * Builds the receipt mail to rcpt from templates/LANG/receipt_mail.txt
 * (LANG the receipt's language): a "Subject:" line, a blank line and the
 * text, rendered with the receipt's values, and text (receipt_text() of r)
 * attached as consent-receipt.json (application/json).  Not marketing: the
 * template may use only the receipt's variables, and its only links are the
 * preference links, privacy_url and imprint_url; it gets Auto-Submitted and
 * no List-Unsubscribe.  -1 with err (MO_E_INPUT for a bad template or
 * value, MO_E_NOINPUT for a missing template file).
 */
int receipt_mail_build(const struct config *cfg, const char *data_dir, const json_t *r,
                       const char *text, const char *rcpt, struct compose_msg *m,
                       struct mo_err *err);

#endif
