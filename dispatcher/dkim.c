/*
 * dkim.c - DKIM signing with OpenSSL 3: our own relaxed/relaxed
 * canonicalization and body hash, the signature through EVP (rsa-sha256;
 * ed25519-sha256 per RFC 8463: PureEdDSA over the SHA-256 digest of the
 * canonical header data).  Keys are parsed once in dkim_open(); dkim_sign()
 * only reads the signer and uses a context of its own, so threads may share
 * one.  It does not verify signatures, look up DNS or compose messages.
 */
#include "dkim.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fileio.h"
#include "xalloc.h"

/* Largest key file read. */
#define KEY_FILE_MAX (64u * 1024)
/* Most instances of the signed header fields one message may hold. */
#define MAX_FIELDS 64
/* Line length the DKIM-Signature header is folded to. */
#define FOLD_AT 76

struct dkim_key {
    EVP_PKEY *pkey;
    int ed25519;
    int bits;
    char *selector;
    char *pubkey; /* base64 p= */
};

struct dkim {
    char *domain;
    struct dkim_key keys[2];
    size_t nkeys;
};

/* The header fields signed, in h= order; over: named once more than present. */
static const struct {
    const char *name;
    int over;
} sign_names[] = {
    {"From", 0},
    {"To", 0},
    {"Subject", 0},
    {"Date", 0},
    {"Message-ID", 0},
    {"MIME-Version", 0},
    {"Content-Type", 0},
    {"Content-Transfer-Encoding", 0},
    {"Reply-To", 0},
    {"List-Id", 0},
    {"List-Unsubscribe", 1},
    {"List-Unsubscribe-Post", 1},
};

#define NSIGN (sizeof(sign_names) / sizeof(sign_names[0]))

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* --- canonicalization --- */

int dkim_canon_header(const char *field, size_t len, struct buf *out)
{
    size_t start = out->len;
    const char *colon = memchr(field, ':', len);
    size_t nlen, i;
    int space = 0, any = 0;

    if (colon == NULL)
        colon = field + len;
    nlen = (size_t)(colon - field);
    while (nlen && (is_wsp(field[nlen - 1]) || field[nlen - 1] == '\r' || field[nlen - 1] == '\n'))
        nlen--;
    for (i = 0; i < nlen; i++)
        if (buf_putc(out, (char)tolower((unsigned char)field[i])) < 0)
            goto full;
    if (buf_putc(out, ':') < 0)
        goto full;
    for (const char *p = colon + (colon < field + len); p < field + len; p++) {
        if (*p == '\r' || *p == '\n')
            continue; /* unfold */
        if (is_wsp(*p)) {
            space = 1;
            continue;
        }
        if (space && any && buf_putc(out, ' ') < 0)
            goto full;
        if (buf_putc(out, *p) < 0)
            goto full;
        space = 0;
        any = 1;
    }
    if (buf_add(out, "\r\n", 2) < 0)
        goto full;
    return 0;
full:
    buf_truncate(out, start);
    return -1;
}

int dkim_canon_body(const char *body, size_t len, struct buf *out)
{
    size_t start = out->len, empty = 0, i = 0;

    while (i < len) {
        const char *line = body + i;
        const char *crlf = NULL;
        size_t n;
        for (size_t k = i; k + 1 < len; k++)
            if (body[k] == '\r' && body[k + 1] == '\n') {
                crlf = body + k;
                break;
            }
        n = crlf ? (size_t)(crlf - line) : len - i;
        i += n + (crlf ? 2 : 0);
        /* WSP at the line end goes; runs inside become one SP */
        while (n && is_wsp(line[n - 1]))
            n--;
        if (n == 0) {
            empty++; /* kept only when something follows */
            continue;
        }
        for (; empty; empty--)
            if (buf_add(out, "\r\n", 2) < 0)
                goto full;
        for (size_t k = 0; k < n; k++) {
            if (is_wsp(line[k])) {
                if (k && is_wsp(line[k - 1]))
                    continue;
                if (buf_putc(out, ' ') < 0)
                    goto full;
            } else if (buf_putc(out, line[k]) < 0)
                goto full;
        }
        if (buf_add(out, "\r\n", 2) < 0)
            goto full;
    }
    return 0;
full:
    buf_truncate(out, start);
    return -1;
}

/* --- keys --- */

static char *sign_data(const struct dkim_key *k, const char *data, size_t len, struct mo_err *err);

static void key_release(struct dkim_key *k)
{
    EVP_PKEY_free(k->pkey);
    free(k->selector);
    free(k->pubkey);
    memset(k, 0, sizeof(*k));
}

void dkim_free(struct dkim *d)
{
    if (d == NULL)
        return;
    for (size_t i = 0; i < d->nkeys; i++)
        key_release(&d->keys[i]);
    free(d->domain);
    free(d);
}

static char *b64(const unsigned char *p, size_t n)
{
    char *s = xmalloc(4 * ((n + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)s, p, (int)n);
    return s;
}

/* Refuses a passphrase prompt: keys must be unencrypted. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

/* Loads the PEM key at path (configuration key cfgkey) into k. */
static int key_load(const char *path, const char *cfgkey, int want_ed25519, struct dkim_key *k,
                    struct mo_err *err)
{
    struct buf pem;
    BIO *bio = NULL;
    unsigned char *der = NULL;
    int rc = -1;

    if (fileio_read_secret_file(path, cfgkey, KEY_FILE_MAX, &pem, err) < 0)
        goto out;
    bio = BIO_new_mem_buf(pem.s, (int)pem.len);
    if (bio == NULL) {
        mo_err_set(err, MO_E_INTERNAL, "out of memory reading '%s' (key %s)", path, cfgkey);
        goto out;
    }
    k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    ERR_clear_error();
    if (k->pkey == NULL) {
        mo_err_set(err, MO_E_INPUT,
                   "'%s' holds no PEM private key (PKCS#1 or PKCS#8, unencrypted) (key %s)", path,
                   cfgkey);
        goto out;
    }
    if (EVP_PKEY_is_a(k->pkey, "ED25519")) {
        unsigned char raw[32];
        size_t rawlen = sizeof(raw);
        if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rawlen) != 1 || rawlen != 32) {
            ERR_clear_error();
            mo_err_set(err, MO_E_INPUT, "cannot read the public half of '%s' (key %s)", path,
                       cfgkey);
            goto out;
        }
        k->ed25519 = 1;
        k->bits = 256;
        k->pubkey = b64(raw, rawlen);
    } else if (EVP_PKEY_is_a(k->pkey, "RSA")) {
        if (want_ed25519) {
            mo_err_set(err, MO_E_INPUT, "'%s' holds an RSA key, not an Ed25519 key (key %s)", path,
                       cfgkey);
            goto out;
        }
        k->bits = EVP_PKEY_get_bits(k->pkey);
        if (k->bits < DKIM_RSA_MIN_BITS) {
            mo_err_set(err, MO_E_INPUT,
                       "DKIM key '%s' has %d bits: at least %d are needed, 2048 recommended "
                       "(key %s)",
                       path, k->bits, DKIM_RSA_MIN_BITS, cfgkey);
            goto out;
        }
        int n = i2d_PUBKEY(k->pkey, &der);
        if (n <= 0) {
            ERR_clear_error();
            mo_err_set(err, MO_E_INPUT, "cannot read the public half of '%s' (key %s)", path,
                       cfgkey);
            goto out;
        }
        k->pubkey = b64(der, (size_t)n);
    } else {
        mo_err_set(err, MO_E_INPUT, "'%s' holds a %s key: DKIM needs RSA or Ed25519 (key %s)", path,
                   EVP_PKEY_get0_type_name(k->pkey) ? EVP_PKEY_get0_type_name(k->pkey) : "unknown",
                   cfgkey);
        goto out;
    }
    rc = 0;
out:
    OPENSSL_free(der);
    BIO_free(bio);
    OPENSSL_cleanse(pem.s, pem.len);
    buf_release(&pem);
    return rc;
}

int dkim_open(const struct config *cfg, struct dkim **out, struct mo_err *err)
{
    struct dkim *d;

    *out = NULL;
    if (cfg->dkim_key_file == NULL || !*cfg->dkim_key_file)
        return 0;
    if (!*cfg->dkim_domain || !*cfg->dkim_selector)
        return mo_err_set(err, MO_E_INPUT, "dkim_key_file needs dkim_domain and dkim_selector");
    int ed = cfg->dkim_ed25519_key_file && *cfg->dkim_ed25519_key_file;
    if (ed && !*cfg->dkim_ed25519_selector)
        return mo_err_set(err, MO_E_INPUT, "dkim_ed25519_key_file needs dkim_ed25519_selector");
    d = xcalloc(1, sizeof(*d));
    d->domain = xstrdup(cfg->dkim_domain);
    if (key_load(cfg->dkim_key_file, "dkim_key_file", 0, &d->keys[0], err) < 0)
        goto fail;
    d->keys[0].selector = xstrdup(cfg->dkim_selector);
    d->nkeys = 1;
    if (ed) {
        if (key_load(cfg->dkim_ed25519_key_file, "dkim_ed25519_key_file", 1, &d->keys[1], err) < 0)
            goto fail;
        d->keys[1].selector = xstrdup(cfg->dkim_ed25519_selector);
        d->nkeys = 2;
    }
    /* one signature per key now: a key that cannot sign fails here, and whatever OpenSSL
     * caches on first use is in place before threads share the key */
    for (size_t i = 0; i < d->nkeys; i++) {
        char *sig = sign_data(&d->keys[i], "x", 1, err);
        if (sig == NULL)
            goto fail;
        free(sig);
    }
    *out = d;
    return 0;
fail:
    if (d->nkeys < 2) /* a key being loaded when it failed */
        key_release(&d->keys[d->nkeys]);
    dkim_free(d);
    return -1;
}

size_t dkim_nkeys(const struct dkim *d)
{
    return d ? d->nkeys : 0;
}

void dkim_key_info(const struct dkim *d, size_t i, struct dkim_key_info *out)
{
    const struct dkim_key *k = &d->keys[i];
    out->selector = k->selector;
    out->type = k->ed25519 ? "ed25519" : "rsa";
    out->pubkey = k->pubkey;
    out->bits = k->bits;
}

const char *dkim_signing_domain(const struct dkim *d)
{
    return d->domain;
}

/* --- signing --- */

struct field {
    const char *p;
    size_t len;
    size_t name; /* index into sign_names */
};

/* Finds the signed header fields in hdr[0..len) (each field ends with its CRLF). */
static int find_fields(const char *hdr, size_t len, struct field *f, size_t *nf, struct mo_err *err)
{
    size_t i = 0;

    *nf = 0;
    while (i < len) {
        size_t s = i;
        /* a field: its first line and every line starting with WSP */
        do {
            const char *nl = memchr(hdr + i, '\n', len - i);
            i = nl ? (size_t)(nl - hdr) + 1 : len;
        } while (i < len && is_wsp(hdr[i]));
        const char *colon = memchr(hdr + s, ':', i - s);
        if (colon == NULL)
            continue;
        size_t nlen = (size_t)(colon - (hdr + s));
        while (nlen && is_wsp(hdr[s + nlen - 1]))
            nlen--;
        for (size_t k = 0; k < NSIGN; k++)
            if (strlen(sign_names[k].name) == nlen &&
                strncasecmp(hdr + s, sign_names[k].name, nlen) == 0) {
                if (*nf == MAX_FIELDS)
                    return mo_err_set(err, MO_E_INPUT, "dkim: more than %d signed header fields",
                                      MAX_FIELDS);
                f[(*nf)++] = (struct field){hdr + s, i - s, k};
                break;
            }
    }
    return 0;
}

/* Appends s, folding before it when the line would pass FOLD_AT; *col tracks the column. */
static int put_folded(struct buf *b, const char *s, size_t *col)
{
    size_t n = strlen(s);
    if (*col + n > FOLD_AT && *col > 1) {
        if (buf_add(b, "\r\n\t", 3) < 0)
            return -1;
        *col = 1;
        if (*s == ' ') { /* the fold is the space */
            s++;
            n--;
        }
    }
    *col += n;
    return buf_add(b, s, n);
}

/* Signs data with key k into a base64 string (caller frees). */
static char *sign_data(const struct dkim_key *k, const char *data, size_t len, struct mo_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = NULL, digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    size_t siglen = (size_t)EVP_PKEY_get_size(k->pkey);
    char *out = NULL;
    int ok;

    if (ctx == NULL) {
        mo_err_set(err, MO_E_INTERNAL, "dkim: out of memory");
        return NULL;
    }
    sig = xmalloc(siglen ? siglen : 1);
    if (k->ed25519)
        ok = EVP_Digest(data, len, digest, &dlen, EVP_sha256(), NULL) == 1 &&
             EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &siglen, digest, dlen) == 1;
    else
        ok = EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)data, len) == 1;
    if (ok)
        out = b64(sig, siglen);
    else {
        unsigned long e = ERR_get_error();
        char why[256];
        ERR_error_string_n(e, why, sizeof(why));
        ERR_clear_error();
        mo_err_set(err, MO_E_INTERNAL, "dkim: signing with selector '%s' failed: %s", k->selector,
                   why);
    }
    EVP_MD_CTX_free(ctx);
    free(sig);
    return out;
}

/*
 * Builds key k's DKIM-Signature header (with its CRLF) for the fields f and
 * body hash bh into out.
 */
static int sign_one(const struct dkim *d, const struct dkim_key *k, const struct field *f,
                    size_t nf, const char *bh, long long now, struct buf *out, struct mo_err *err)
{
    struct buf hdr, data;
    size_t count[NSIGN] = {0}, used[NSIGN] = {0}, col;
    char tag[160], *sig = NULL;
    int rc = -1, w;

    buf_init(&hdr, 64 * 1024);
    buf_init(&data, 1024 * 1024);
    for (size_t i = 0; i < nf; i++)
        count[f[i].name]++;
    w = snprintf(tag, sizeof(tag), "DKIM-Signature: v=1; a=%s; c=relaxed/relaxed; d=%s;",
                 k->ed25519 ? "ed25519-sha256" : "rsa-sha256", d->domain);
    if (w < 0 || (size_t)w >= sizeof(tag) || buf_add(&hdr, tag, (size_t)w) < 0)
        goto toolong;
    col = (size_t)w;
    w = snprintf(tag, sizeof(tag), " s=%s;", k->selector);
    if (w < 0 || (size_t)w >= sizeof(tag) || put_folded(&hdr, tag, &col) < 0)
        goto toolong;
    w = snprintf(tag, sizeof(tag), " t=%lld;", now);
    if (w < 0 || (size_t)w >= sizeof(tag) || put_folded(&hdr, tag, &col) < 0)
        goto toolong;
    /* h=: each present field as often as it occurs, the over-signed ones once more */
    int first = 1;
    for (size_t n = 0; n < NSIGN; n++) {
        size_t times = count[n] + (size_t)sign_names[n].over;
        for (size_t t = 0; t < times; t++) {
            w = snprintf(tag, sizeof(tag), "%s%s", first ? " h=" : ":", sign_names[n].name);
            if (w < 0 || (size_t)w >= sizeof(tag) || put_folded(&hdr, tag, &col) < 0)
                goto toolong;
            first = 0;
            /* hash the instances bottom-up; a name beyond them adds nothing */
            if (t < count[n]) {
                size_t seen = 0;
                for (size_t i = nf; i-- > 0;)
                    if (f[i].name == n && seen++ == used[n]) {
                        if (dkim_canon_header(f[i].p, f[i].len, &data) < 0)
                            goto toolong;
                        break;
                    }
                used[n]++;
            }
        }
    }
    if (buf_putc(&hdr, ';') < 0)
        goto toolong;
    col++;
    w = snprintf(tag, sizeof(tag), " bh=%s;", bh);
    if (w < 0 || (size_t)w >= sizeof(tag) || put_folded(&hdr, tag, &col) < 0)
        goto toolong;
    if (put_folded(&hdr, " b=", &col) < 0)
        goto toolong;
    /* the signature header itself, b= empty, without its CRLF */
    if (dkim_canon_header(hdr.s, hdr.len, &data) < 0)
        goto toolong;
    buf_truncate(&data, data.len - 2);
    sig = sign_data(k, data.s, data.len, err);
    if (sig == NULL)
        goto out;
    /* b= folded so lines stay short */
    for (size_t i = 0, n = strlen(sig); i < n;) {
        size_t room = col < FOLD_AT ? FOLD_AT - col : 0;
        if (room < 8) {
            if (buf_add(&hdr, "\r\n\t", 3) < 0)
                goto toolong;
            col = 1;
            room = FOLD_AT - col;
        }
        size_t take = n - i < room ? n - i : room;
        if (buf_add(&hdr, sig + i, take) < 0)
            goto toolong;
        col += take;
        i += take;
    }
    if (buf_add(&hdr, "\r\n", 2) < 0 || buf_add(out, hdr.s, hdr.len) < 0)
        goto toolong;
    rc = 0;
    goto out;
toolong:
    mo_err_set(err, MO_E_INPUT, "dkim: the message's headers are too long to sign");
out:
    free(sig);
    buf_release(&hdr);
    buf_release(&data);
    return rc;
}

int dkim_sign(const struct dkim *d, struct buf *msg, struct mo_err *err)
{
    struct field f[MAX_FIELDS];
    size_t nf, hlen, blen;
    const char *body;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    struct buf canon, out;
    char *bh = NULL;
    int rc = -1, from = 0;

    if (msg->len == 0 || msg->s[0] == '\r' || msg->s[0] == '\n')
        return mo_err_set(err, MO_E_INPUT, "dkim: the message has no header block");
    const char *sep = NULL;
    for (size_t i = 0; i + 3 < msg->len; i++)
        if (memcmp(msg->s + i, "\r\n\r\n", 4) == 0) {
            sep = msg->s + i;
            break;
        }
    if (sep) {
        hlen = (size_t)(sep - msg->s) + 2;
        body = sep + 4;
        blen = msg->len - hlen - 2;
    } else if (msg->len >= 2 && memcmp(msg->s + msg->len - 2, "\r\n", 2) == 0) {
        hlen = msg->len; /* headers only */
        body = msg->s + msg->len;
        blen = 0;
    } else
        return mo_err_set(err, MO_E_INPUT, "dkim: the message has no header block");
    if (find_fields(msg->s, hlen, f, &nf, err) < 0)
        return -1;
    for (size_t i = 0; i < nf; i++)
        from |= f[i].name == 0;
    if (!from)
        return mo_err_set(err, MO_E_INPUT, "dkim: the message has no From header");

    buf_init(&canon, blen + 16);
    buf_init(&out, msg->max);
    if (dkim_canon_body(body, blen, &canon) < 0 ||
        EVP_Digest(canon.s, canon.len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        ERR_clear_error();
        mo_err_set(err, MO_E_INTERNAL, "dkim: cannot hash the body");
        goto out;
    }
    bh = b64(md, mdlen);
    long long now = (long long)time(NULL);
    for (size_t k = 0; k < d->nkeys; k++)
        if (sign_one(d, &d->keys[k], f, nf, bh, now, &out, err) < 0)
            goto out;
    if (buf_add(&out, msg->s, msg->len) < 0) {
        mo_err_set(err, MO_E_INPUT, "dkim: the signed message would be too long");
        goto out;
    }
    buf_release(msg);
    *msg = out;
    buf_init(&out, 0);
    rc = 0;
out:
    free(bh);
    buf_release(&canon);
    buf_release(&out);
    return rc;
}
