/*
 * transport.h - hands finished messages to the mail system.
 *
 * One interface, two implementations chosen by the `transport` key:
 * smtp://HOST:PORT (libESMTP; one session carries a whole batch) and
 * maildir:DIR (each message one file in DIR/new).  The transport never
 * changes a message: it gets the exact bytes that were rendered and signed.
 */
#ifndef MAILOUT_TRANSPORT_H
#define MAILOUT_TRANSPORT_H

#include <stddef.h>

#include "config.h"
#include "err.h"

struct transport;

struct transport_msg {
    /* in (borrowed, alive until transport_send() returns) */
    const char *envelope_from; /* bare address for MAIL FROM */
    const char *rcpt;          /* bare address for RCPT TO */
    const char *data;          /* whole message, CRLF line ends, not dot-stuffed */
    size_t len;
    /* out */
    int delivered;     /* 1 when the relay (or the Maildir) accepted it */
    int code;          /* SMTP reply code; 250 for Maildir; 0 when never attempted */
    char reply[256];   /* the server's reply text, or the Maildir file name */
    char enhanced[16]; /* RFC 3463 enhanced status code ("5.1.1"), "" when none */
    int data_sent;     /* 1 once its content was handed to the relay (DATA): without a
                          reply (code 0) it may still have been delivered */
};

/* What an outcome means for the sender: the one reading of SMTP replies. */
enum transport_result {
    TRANSPORT_SENT = 0,      /* delivered (2xx): done */
    TRANSPORT_DEFERRED,      /* 4xx, or an unexpected reply: try again later */
    TRANSPORT_FAILED,        /* 5xx: permanent, record the reply and give up */
    TRANSPORT_NOT_ATTEMPTED, /* code 0: the session failed before this message's reply */
};

/*
 * Classifies one message's outcome after transport_send(): delivered is
 * SENT; otherwise by the reply code: 0 NOT_ATTEMPTED (connection refused,
 * TLS or AUTH failure, timeout, dropped session), 4xx DEFERRED, 5xx FAILED,
 * anything else (a 2xx without delivery, 1xx, 3xx, garbage) DEFERRED.
 */
enum transport_result transport_classify(const struct transport_msg *m);
/*
 * 1 when a permanent failure says the mailbox does not exist or never will
 * accept mail (5.1.1, 5.1.2, 5.1.3, 5.1.6, 5.1.10, 5.2.1, or a user-unknown
 * wording with 550/551/553/554 when there is no specific enhanced code): the
 * address is to be suppressed as a hard bounce.  0 for every other outcome
 * (5.2.2 mailbox full, 5.7.x policy/spam/auth, 5.3-5.6, temporary and relay
 * failures).  Reads m->enhanced, else an enhanced code in m->reply.
 */
int transport_hard_bounce(const struct transport_msg *m);
/*
 * Finds an RFC 3463 code in a reply text: at its start ("5.1.1 ...", also
 * after a reply code "550-5.1.1 ..."), or qmail's "(#5.1.1)".  Writes it to
 * out (n bytes, "" when none); 0 when found, -1 when not.
 */
int transport_enhanced_from_text(const char *text, char *out, size_t n);
/* "sent", "deferred", "failed" or "not attempted" (static). */
const char *transport_result_name(enum transport_result r);

/* Creates the transport the configuration names; NULL with err. Caller frees. */
struct transport *transport_new(const struct config *cfg, struct mo_err *err);
void transport_free(struct transport *t);

/*
 * Sends n messages; for SMTP over one session (one connection).  Fills each
 * message's outcome.  Returns 0 when the session ran (individual messages may
 * still be refused: check delivered), -1 with err when the transport itself
 * failed (connection refused, TLS required but not offered, Maildir not
 * writable); messages whose code is still 0 were not attempted.
 */
int transport_send(struct transport *t, struct transport_msg *msgs, size_t n, struct mo_err *err);

/* Borrowed description such as "smtp 127.0.0.1:2525" for logs. */
const char *transport_describe(const struct transport *t);

#endif
