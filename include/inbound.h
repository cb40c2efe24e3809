/*
 * inbound.h - what one received mail message is: the parse step of
 * `mailout inbound`, without any database.
 *
 * inbound_parse() takes the raw bytes of one RFC 5322 message (as an MTA
 * pipes it) and classifies it, in this order:
 *  - a complaint: an RFC 5965 ARF report (multipart/report with a
 *    message/feedback-report part), or Microsoft's JMRP format (the
 *    complained-about message attached with X-HmXmrOriginalRecipient);
 *  - a bounce: an RFC 3464 DSN (a message/delivery-status part: one entry
 *    per failed or delayed recipient), else one of the plain-text formats
 *    of inbound_text_formats() (qmail, Postfix, Exim, Sendmail, ...), whose
 *    addresses are taken only from the lines where that format lists them;
 *  - a mailto unsubscribe: addressed (To, Cc, Delivered-To, X-Original-To)
 *    to unsubscribe_mailto, or to its local part +TOKEN;
 *  - anything else that is a mail message: recognised and ignored.
 * Input that is not a mail message (no header section with a From field, a
 * NUL byte, a multipart cut off before the part we would act on, nesting
 * too deep for the MIME parser) is an error.
 *
 * Every address kept is valid for address.h; every string is
 * NUL-terminated, printable and bounded by the sizes below, so callers may
 * store and print them.  Thread-safe: GMime is initialised once, on first
 * use.  The MIME parser is GMime 3.2.
 */
#ifndef MAILOUT_INBOUND_H
#define MAILOUT_INBOUND_H

#include <stddef.h>

#include "err.h"

#define INBOUND_MAX_BYTES (16u * 1024 * 1024) /* a larger message is refused */
#define INBOUND_ADDR_MAX  256                 /* address buffers (ADDRESS_MAX + NUL) */
#define INBOUND_ID_MAX    256                 /* message ids, as consent.h keeps them */
#define INBOUND_TOKEN_MAX 44                  /* an unsubscribe token and its NUL */
#define INBOUND_DIAG_MAX  512                 /* a diagnostic text */
#define INBOUND_RCPT_MAX  50                  /* recipients kept from one bounce */

enum inbound_kind {
    INBOUND_IGNORED,   /* a mail message that asks for nothing: format says what it is */
    INBOUND_MAILTO,    /* mail to the unsubscribe address */
    INBOUND_BOUNCE,    /* a DSN or a plain-text bounce with at least one recipient */
    INBOUND_COMPLAINT, /* an abuse report about one of our messages */
};

/* One failed (or delayed) recipient of a bounce. */
struct inbound_rcpt {
    char addr[INBOUND_ADDR_MAX]; /* DSN: Original-Recipient (rfc822), else Final-Recipient */
    char alt[INBOUND_ADDR_MAX];  /* DSN: Final-Recipient when it names another address, else "" */
    int permanent;               /* 1: failed for good; 0: delayed, will be retried */
    char status[16];             /* DSN Status "5.1.1", "" when none or malformed */
    char diagnostic[INBOUND_DIAG_MAX]; /* DSN Diagnostic-Code, printable ASCII, "" when none */
};

struct inbound_msg {
    enum inbound_kind kind;
    /*
     * Static text.  Bounce: "dsn" or the plain-text format's name; complaint:
     * "arf" or "jmrp"; mailto: "mailto"; ignored: why ("auto-reply", "not a
     * bounce, complaint or unsubscribe", "arf auth-failure report", ...).
     */
    const char *format;
    char message_id[INBOUND_ID_MAX]; /* this message's own Message-ID, without < > */
    /*
     * The message this one is about, without < >: the returned message of a
     * bounce or complaint, the In-Reply-To of a mailto reply; "" when none.
     */
    char orig_message_id[INBOUND_ID_MAX];
    /*
     * A well-formed unsubscribe token (crypto_token_wellformed), "" when
     * none: mailto from the +TOKEN subaddress, else a word of the Subject;
     * complaint and bounce from the returned message's List-Unsubscribe.
     */
    char token[INBOUND_TOKEN_MAX];
    char from[INBOUND_ADDR_MAX]; /* mailto: the single From address, "" when none or several */
    char feedback_type[32];      /* complaint: ARF Feedback-Type, lower case ("abuse") */
    /* complaint: Original-Rcpt-To, else the returned message's single To, else "" */
    char complainant[INBOUND_ADDR_MAX];
    char reporting_mta[128];                    /* bounce: DSN Reporting-MTA name, "" when none */
    struct inbound_rcpt rcpt[INBOUND_RCPT_MAX]; /* bounce: distinct addresses */
    size_t nrcpt;
    size_t skipped; /* bounce entries dropped: an address that is not valid, or past the max */
};

/*
 * Parses and classifies the len bytes at data (not NUL-terminated; at most
 * INBOUND_MAX_BYTES).  unsubscribe_mailto is the configured address
 * ("local@domain", plain ASCII) or NULL/"" when mailto unsubscribes are
 * off.  Returns 0 with *m filled, or -1 with err MO_E_INPUT saying why the
 * input is not a mail message we can read ("not a mail message: ..."), and
 * *m cleared.  Never touches a database, never prints.
 */
int inbound_parse(const char *data, size_t len, const char *unsubscribe_mailto,
                  struct inbound_msg *m, struct mo_err *err);

/*
 * The plain-text bounce formats inbound_parse() reads, one name each
 * (static, NULL-terminated), for help texts and the notes of tests.
 */
const char *const *inbound_text_formats(void);

#endif
