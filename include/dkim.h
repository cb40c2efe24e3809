/*
 * dkim.h - DKIM signatures (RFC 6376) for outgoing messages.
 *
 * rsa-sha256 with the key of dkim_key_file (or ed25519-sha256 when that key
 * is an Ed25519 key), and ed25519-sha256 (RFC 8463) as a second signature
 * when dkim_ed25519_key_file is set; relaxed/relaxed canonicalization over
 * From, To, Subject, Date, Message-ID, MIME-Version, Content-Type,
 * Content-Transfer-Encoding, Reply-To, List-Id, List-Unsubscribe and
 * List-Unsubscribe-Post as present.  List-Unsubscribe and
 * List-Unsubscribe-Post are over-signed (named once more than present), so
 * a copy added in transit breaks the signature (RFC 8058, R-8058-6).  Keys
 * are PEM (PKCS#1 or PKCS#8), RSA of at least 1024 bits or Ed25519, read
 * like every secret file (not readable by group or others), with
 * dkim_domain, dkim_selector and dkim_ed25519_selector.
 *
 * A loaded signer is read-only: several threads may sign with it at once.
 */
#ifndef MAILOUT_DKIM_H
#define MAILOUT_DKIM_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "err.h"

/* Smallest RSA key accepted (bits). */
#define DKIM_RSA_MIN_BITS 1024

struct dkim;

/*
 * Loads the key(s) the configuration names.  *out is NULL (and 0 returned)
 * when DKIM is not configured (dkim_key_file unset).  MO_E_NOINPUT for a
 * missing key file, MO_E_INPUT for an unreadable, weak or mismatched key or
 * a missing dkim_domain/dkim_selector, naming the key.  Caller frees with
 * dkim_free().
 */
int dkim_open(const struct config *cfg, struct dkim **out, struct mo_err *err);
void dkim_free(struct dkim *d);

/*
 * Signs the whole message in msg (CRLF line ends, headers and body) and
 * inserts the DKIM-Signature header(s) at its front (the RSA one first).
 * -1 with err when the message has no header block or no From, or signing
 * fails; msg is then unchanged.
 */
int dkim_sign(const struct dkim *d, struct buf *msg, struct mo_err *err);

/* What doctor needs to know about the loaded keys. */
struct dkim_key_info {
    const char *selector; /* borrowed from the signer */
    const char *type;     /* "rsa" or "ed25519" (the k= of its DNS record) */
    const char *pubkey;   /* base64, the p= its DNS record must hold */
    int bits;
};

/* The number of keys (signatures per message): 1 or 2. */
size_t dkim_nkeys(const struct dkim *d);
/* Key i (< dkim_nkeys()); pointers valid while d is. */
void dkim_key_info(const struct dkim *d, size_t i, struct dkim_key_info *out);
/* The d= domain (borrowed). */
const char *dkim_signing_domain(const struct dkim *d);

/*
 * The relaxed canonicalizations (RFC 6376 3.4.2, 3.4.4), exposed for
 * tests.  dkim_canon_header() appends "name:value\r\n" for one header field
 * as it stands in a message ("Name: value\r\n" with any folding);
 * dkim_canon_body() appends the canonical body.  -1 when out would pass its
 * maximum.
 */
int dkim_canon_header(const char *field, size_t len, struct buf *out);
int dkim_canon_body(const char *body, size_t len, struct buf *out);

#endif
