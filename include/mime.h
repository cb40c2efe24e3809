/*
 * mime.h - builds RFC 5322 / MIME messages from UTF-8 parts.
 *
 * Every header value passes through here: CR and LF are refused, non-ASCII
 * text becomes RFC 2047 encoded words, long lines are folded.  Bodies are
 * quoted-printable UTF-8, so the message is 7-bit with CRLF line ends.
 */
#ifndef MAILOUT_MIME_H
#define MAILOUT_MIME_H

#include "buf.h"
#include "err.h"

struct mime_msg {
    struct buf head;
};

void mime_init(struct mime_msg *m);
void mime_release(struct mime_msg *m);

/*
 * Adds "Name: value" for unstructured text (Subject and the like): value is
 * UTF-8, encoded as needed.  -1 with err when value holds CR, LF or NUL, or
 * is not valid UTF-8.
 */
int mime_header_text(struct mime_msg *m, const char *name, const char *value, struct mo_err *err);
/*
 * Adds an address header: display name (may be NULL or empty; encoded or
 * quoted as needed) and addr-spec (must be printable ASCII, no spaces or
 * angle brackets).
 */
int mime_header_addr(struct mime_msg *m, const char *name, const char *display, const char *addr,
                     struct mo_err *err);
/*
 * Adds "Name: phrase <id>" (List-Id, RFC 2919): phrase (UTF-8, may be NULL
 * or empty) quoted or encoded like a display name, id printable ASCII
 * without spaces or angle brackets.  -1 with err (MO_E_INPUT) otherwise.
 */
int mime_header_phrase(struct mime_msg *m, const char *name, const char *phrase, const char *id,
                       struct mo_err *err);
/* Adds a header whose value is already a valid 7-bit structured value. */
int mime_header_raw(struct mime_msg *m, const char *name, const char *value, struct mo_err *err);
/* Adds Date (now, RFC 5322 format, UTC).  Message-IDs are compose.c's (one rule). */
int mime_header_date(struct mime_msg *m, struct mo_err *err);

/*
 * Finishes the message into out: headers, MIME headers and the body; text is
 * required, html optional (multipart/alternative when given).
 */
int mime_finish(struct mime_msg *m, const char *text, const char *html, struct buf *out,
                struct mo_err *err);

/* A file carried by a message (a consent receipt's JSON). */
struct mime_attachment {
    const char *filename;     /* printable ASCII, no quote, backslash or slash */
    const char *content_type; /* type/subtype, printable ASCII without spaces */
    const void *data;         /* the bytes, sent base64-encoded and unchanged */
    size_t len;
};

/*
 * mime_finish() with files: multipart/mixed holding the text (or the
 * text/HTML alternative) first, then each attachment as a base64 part with
 * Content-Disposition: attachment.  natts 0 is mime_finish().  -1 with err
 * (MO_E_INPUT) for a bad file name or type, or a message too large.
 */
int mime_finish_attach(struct mime_msg *m, const char *text, const char *html,
                       const struct mime_attachment *atts, size_t natts, struct buf *out,
                       struct mo_err *err);

/*
 * Appends the base64 encoding (RFC 4648 section 4, with padding) of len
 * bytes at data to out; wrap: CRLF after every 76 characters and at the end
 * (a MIME body), else one line without a line end (a data: URI).  0, or -1
 * when out's max would be exceeded (out then as it was).
 */
int mime_base64(const void *data, size_t len, int wrap, struct buf *out);

/*
 * Writes a fresh random (version 4) UUID, lower case, into out: 36
 * characters and a NUL.  getrandom(2); cheaper than libuuid's per call.
 */
void mime_uuid(char out[37]);

/* Quoted-printable encoding of UTF-8 text with CRLF line ends (RFC 2045). */
int mime_qp_encode(const char *in, struct buf *out);

#endif
