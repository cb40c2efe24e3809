/*
 * address.c - email address validation and normalization for matching.
 *
 * Owns: the accepted addr-spec grammar (see address.h), the IDNA conversion of
 * domains through libidn2, the normalized form and the reasons given for
 * refusing an address.  It does not parse headers, display names or address
 * lists, does no DNS or MX lookups, and knows nothing of consent or
 * suppression: callers hand it one string at a time.
 */
#include "address.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "buf.h"
#include "mime.h"
#include "utf8.h"
#include "xalloc.h"

#define ADDRESS_LOCAL_MAX  64
#define ADDRESS_DOMAIN_MAX 253
#define ADDRESS_LABEL_MAX  63
/* Input longer than this cannot become a valid address, even with U-labels. */
#define ADDRESS_INPUT_MAX 1024
/* Bytes of the value quoted in an error message. */
#define ADDRESS_SHOW_MAX 100

static int address_is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static int address_is_atext(unsigned char c)
{
    return address_is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static char address_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Sets err to "invalid email 'VALUE': reason" and returns -1. */
static int address_fail(struct mo_err *err, const char *s, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int address_fail(struct mo_err *err, const char *s, size_t len, const char *fmt, ...)
{
    struct buf shown;
    char reason[200];
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    buf_init(&shown, 4 * ADDRESS_SHOW_MAX + 8);
    buf_put_shown(&shown, s, len, ADDRESS_SHOW_MAX);
    mo_err_set(err, MO_E_INPUT, "invalid email '%s': %s", shown.s, reason);
    buf_release(&shown);
    return -1;
}

/* Checks the local part; NULL if fine, else the reason (static text or in why). */
static const char *address_check_local(const char *s, size_t len, char *why, size_t whylen)
{
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] >= 0x80)
            return "non-ASCII local part needs SMTPUTF8, not supported";
    }
    if (len > ADDRESS_LOCAL_MAX)
        return "local part longer than 64 bytes";
    if (s[0] == '.')
        return "local part starts with a dot";
    if (s[len - 1] == '.')
        return "local part ends with a dot";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.' && s[i + 1] == '.')
            return "local part has consecutive dots";
        if (c != '.' && !address_is_atext(c)) {
            snprintf(why, whylen, "invalid character '%c' in local part", c);
            return why;
        }
    }
    return NULL;
}

/*
 * Checks the raw domain before any IDNA conversion, so that plain mistakes get
 * plain reasons: NULL if fine, else the reason.  *ascii is set to 1 when the
 * domain is all ASCII.
 */
static const char *address_check_domain_raw(const char *s, size_t len, int *ascii, char *why,
                                            size_t whylen)
{
    *ascii = 1;
    if (s[0] == '[')
        return "address literals are not supported";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            *ascii = 0;
        } else if (c != '.' && c != '-' && !address_is_alnum(c)) {
            snprintf(why, whylen, "invalid character '%c' in domain", c);
            return why;
        }
    }
    if (!*ascii && !utf8_valid(s, len))
        return "domain is not valid UTF-8";
    if (s[0] == '.')
        return "domain starts with a dot";
    if (s[len - 1] == '.')
        return "domain ends with a dot";
    for (size_t i = 0; i + 1 < len; i++) {
        if (s[i] == '.' && s[i + 1] == '.')
            return "domain has consecutive dots";
    }
    return NULL;
}

/* Checks the final A-label domain d (lower case); NULL if fine, else the reason. */
static const char *address_check_domain(const char *d, char *why, size_t whylen)
{
    size_t len = strlen(d);
    size_t labels = 0;
    const char *label = d;
    int all_digits = 0;

    if (len > ADDRESS_DOMAIN_MAX)
        return "domain longer than 253 characters";
    for (;;) {
        size_t n = strcspn(label, ".");
        if (n == 0)
            return "domain has an empty label";
        if (n > ADDRESS_LABEL_MAX)
            return "domain label longer than 63 characters";
        if (label[0] == '-')
            return "domain label starts with a hyphen";
        if (label[n - 1] == '-')
            return "domain label ends with a hyphen";
        all_digits = 1;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)label[i];
            if (c != '-' && !address_is_alnum(c)) {
                if (c > ' ' && c < 0x7f)
                    snprintf(why, whylen, "invalid character '%c' in domain", c);
                else
                    snprintf(why, whylen, "invalid character 0x%02x in domain", c);
                return why;
            }
            if (c < '0' || c > '9')
                all_digits = 0;
        }
        labels++;
        if (label[n] == '\0')
            break;
        label += n + 1;
    }
    if (labels < 2)
        return "domain needs at least two labels";
    if (all_digits)
        return "top-level domain is all digits";
    return NULL;
}

/* 1 if some label of the lower-case ASCII domain d is an A-label ("xn--"). */
static int address_has_alabel(const char *d)
{
    for (const char *p = d; p != NULL; p = strchr(p, '.')) {
        if (*p == '.')
            p++;
        if (strncmp(p, "xn--", 4) == 0)
            return 1;
    }
    return 0;
}

int address_parse(const char *in, char **mailbox, char **norm, struct mo_err *err)
{
    const char *s = in ? in : "";
    const char *at, *dom, *reason;
    size_t len, llen, dlen;
    char why[120];
    char *domain = NULL;
    char *ace = NULL;
    const char *final;
    struct buf out, box;
    int ascii = 1, rc = -1;

    *norm = NULL;
    if (mailbox)
        *mailbox = NULL;
    buf_init(&out, ADDRESS_MAX);
    buf_init(&box, ADDRESS_MAX);
    while (*s == ' ' || *s == '\t')
        s++;
    len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;

    if (len == 0)
        return address_fail(err, s, len, "empty");
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return address_fail(err, s, len, "control character in address");
    }
    if (len > ADDRESS_INPUT_MAX)
        return address_fail(err, s, len, "address longer than %d characters", ADDRESS_MAX);
    if (memchr(s, '<', len) != NULL || memchr(s, '>', len) != NULL)
        return address_fail(err, s, len, "angle brackets and display names are not supported");
    if (s[0] == '"')
        return address_fail(err, s, len, "quoted local parts are not supported");
    at = memchr(s, '@', len);
    if (at == NULL)
        return address_fail(err, s, len, "missing '@'");
    llen = (size_t)(at - s);
    dom = at + 1;
    dlen = len - llen - 1;
    if (memchr(dom, '@', dlen) != NULL)
        return address_fail(err, s, len, "more than one '@'");
    if (llen == 0)
        return address_fail(err, s, len, "missing local part");
    if (dlen == 0)
        return address_fail(err, s, len, "missing domain");

    reason = address_check_local(s, llen, why, sizeof(why));
    if (reason == NULL)
        reason = address_check_domain_raw(dom, dlen, &ascii, why, sizeof(why));
    if (reason != NULL)
        return address_fail(err, s, len, "%s", reason);

    domain = xstrndup(dom, dlen);
    for (char *p = domain; *p; p++)
        *p = address_lower(*p);
    final = domain;
    /* IDNA for U-labels, and to verify A-labels given as such; plain host
     * names skip it (IDNA 2008 would refuse valid ones such as "ab--cd"). */
    if (!ascii || address_has_alabel(domain)) {
        int irc = idn2_to_ascii_8z(domain, &ace, IDN2_NONTRANSITIONAL);
        if (irc != IDN2_OK) {
            address_fail(err, s, len, "invalid international domain name: %s", idn2_strerror(irc));
            goto out;
        }
        for (char *p = ace; *p; p++)
            *p = address_lower(*p);
        final = ace;
    }
    reason = address_check_domain(final, why, sizeof(why));
    if (reason != NULL) {
        address_fail(err, s, len, "%s", reason);
        goto out;
    }
    if (llen + 1 + strlen(final) > ADDRESS_MAX) {
        address_fail(err, s, len, "address longer than %d characters", ADDRESS_MAX);
        goto out;
    }
    for (size_t i = 0; i < llen; i++)
        buf_putc(&out, address_lower(s[i]));
    buf_putc(&out, '@');
    buf_puts(&out, final);
    *norm = buf_detach(&out);
    if (mailbox) {
        buf_add(&box, s, llen);
        buf_putc(&box, '@');
        buf_puts(&box, final);
        *mailbox = buf_detach(&box);
    }
    rc = 0;
out:
    idn2_free(ace);
    free(domain);
    buf_release(&out);
    buf_release(&box);
    return rc;
}

int address_normalize(const char *in, char **norm, struct mo_err *err)
{
    return address_parse(in, NULL, norm, err);
}

int address_valid(const char *in)
{
    char *norm = NULL;

    if (address_normalize(in, &norm, NULL) < 0)
        return 0;
    free(norm);
    return 1;
}
