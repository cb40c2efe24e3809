/*
 * dkim.h - DKIM signatures (RFC 6376) for outgoing messages.
 *
 * rsa-sha256, and ed25519-sha256 (RFC 8463) as a second signature when the
 * key file also holds an Ed25519 key or a second key is configured;
 * relaxed/relaxed canonicalization over From, To, Subject, Date,
 * Message-ID, MIME-Version, Content-Type, Content-Transfer-Encoding,
 * List-Unsubscribe, List-Unsubscribe-Post (and List-Id) as present.  The
 * keys come from dkim_key_file (PEM, PKCS#1 or PKCS#8; RSA of at least
 * 1024 bits, or Ed25519), with dkim_domain and dkim_selector.
 *
 * A loaded signer is read-only: several threads may sign with it at once.
 */
#ifndef MAILOUT_DKIM_H
#define MAILOUT_DKIM_H

#include "buf.h"
#include "config.h"
#include "err.h"

struct dkim;

/*
 * Loads the key(s) the configuration names.  *out is NULL (and 0 returned)
 * when DKIM is not configured (dkim_key_file unset).  MO_E_NOINPUT for a
 * missing key file, MO_E_INPUT for an unreadable, weak or mismatched key or
 * a missing dkim_domain/dkim_selector, naming the key.
 */
int dkim_open(const struct config *cfg, struct dkim **out, struct mo_err *err);
void dkim_free(struct dkim *d);

/*
 * Signs the whole message in msg (CRLF line ends, headers and body) and
 * inserts the DKIM-Signature header(s) at its front.  -1 with err when the
 * message has no header block or signing fails; msg is then unchanged.
 */
int dkim_sign(const struct dkim *d, struct buf *msg, struct mo_err *err);

#endif
