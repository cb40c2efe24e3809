/*
 * compose.h - template -> MIME -> a message ready for the transport.
 *
 * The one way mailout builds a message: the confirmation mail of double
 * opt-in, `test-mail`, and campaign mail.  A subject, a text and an optional
 * HTML template are rendered with one variable map (text and subject raw,
 * HTML escaped), headers are encoded by mime.c (CR and LF refused, non-ASCII
 * as RFC 2047 words), Date and Message-ID are added, and the whole message
 * comes back as bytes with its Message-ID.  Files (a consent receipt's
 * JSON) may follow the body as base64 attachments.
 *
 * It does not choose recipients, sign (DKIM) or send: transport.h sends the
 * bytes unchanged.
 */
#ifndef MAILOUT_COMPOSE_H
#define MAILOUT_COMPOSE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "mime.h"
#include "tmpl.h"

/* Longest Message-ID without its angle brackets: a UUID, '@' and a domain. */
#define COMPOSE_ID_MAX 300

/* Longest message compose_message() builds. */
#define COMPOSE_MSG_MAX (4u * 1024 * 1024)

/* A header the caller adds as it is (Auto-Submitted, List-Unsubscribe, ...). */
struct compose_header {
    const char *name;  /* a header name compose does not set itself */
    const char *value; /* printable ASCII, already a valid structured value */
};

struct compose_in {
    const char *from_name;                /* display name (UTF-8), NULL or "" for none */
    const char *from_addr;                /* bare address: From and the Message-ID domain */
    const char *reply_to_name;            /* NULL or "" for none */
    const char *reply_to_addr;            /* NULL or "": no Reply-To */
    const char *to_name;                  /* NULL or "" for none */
    const char *to_addr;                  /* bare ASCII address (domain as A-labels) */
    const char *subject;                  /* template, rendered raw, then encoded */
    const char *text;                     /* template for the text/plain part, rendered raw */
    const char *html;                     /* template for text/html (escaped), or NULL: text only */
    const struct tmpl_vars *vars;         /* may be NULL: no variables */
    const struct compose_header *headers; /* extra headers, may be NULL */
    size_t nheaders;
    const char *list_id;        /* List-Id's identifier (RFC 2919, "news.example.com"), or NULL */
    const char *list_id_phrase; /* its description (UTF-8, quoted or encoded), or NULL */
    int prerendered;            /* 1: subject, text and html are final text, not templates */
    const struct mime_attachment *attachments; /* files after the body (multipart/mixed), or NULL */
    size_t nattachments;
};

struct compose_msg {
    struct buf data;                     /* the whole message, CRLF line ends */
    char message_id[COMPOSE_ID_MAX + 1]; /* as in the header, without < > */
};

void compose_msg_init(struct compose_msg *m);
void compose_msg_release(struct compose_msg *m);

/*
 * Builds the message into m (which must be initialised; its data is
 * replaced).  Bad input - a template syntax error, a header value with CR or
 * LF, an address that is not a bare ASCII addr-spec, an extra header that
 * compose sets itself, a message over COMPOSE_MSG_MAX - is -1 with err
 * (MO_E_INPUT) naming what is wrong; m->data is then empty.
 */
int compose_message(const struct compose_in *in, struct compose_msg *m, struct mo_err *err);

/*
 * The one Message-ID rule: "UUID@DOMAIN" with a fresh random UUID and the
 * domain of from_addr (lower-cased; "mailout.invalid" when from_addr has no
 * usable domain).  Writes it without angle brackets into out.
 */
void compose_message_id(const char *from_addr, char out[COMPOSE_ID_MAX + 1]);

#endif
