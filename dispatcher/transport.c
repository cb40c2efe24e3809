/*
 * transport.c - picks the implementation the configuration names, and reads
 * an SMTP outcome (transport_classify) for every sender.
 */
#include "transport.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transport_impl.h"

struct transport *transport_new(const struct config *cfg, struct mo_err *err)
{
    switch (cfg->transport_kind) {
    case TRANSPORT_SMTP:
        return transport_smtp_new(cfg, err);
    case TRANSPORT_MAILDIR:
        return transport_maildir_new(cfg, err);
    }
    mo_err_set(err, MO_E_INTERNAL, "unknown transport");
    return NULL;
}

void transport_free(struct transport *t)
{
    if (t)
        t->ops->free(t);
}

int transport_send(struct transport *t, struct transport_msg *msgs, size_t n, struct mo_err *err)
{
    for (size_t i = 0; i < n; i++) {
        msgs[i].delivered = 0;
        msgs[i].code = 0;
        msgs[i].reply[0] = '\0';
        msgs[i].enhanced[0] = '\0';
    }
    if (n == 0)
        return 0;
    return t->ops->send(t, msgs, n, err);
}

const char *transport_describe(const struct transport *t)
{
    return t->describe;
}

enum transport_result transport_classify(const struct transport_msg *m)
{
    if (m->delivered)
        return TRANSPORT_SENT;
    if (m->code == 0)
        return TRANSPORT_NOT_ATTEMPTED;
    if (m->code >= 500 && m->code <= 599)
        return TRANSPORT_FAILED;
    return TRANSPORT_DEFERRED;
}

const char *transport_result_name(enum transport_result r)
{
    switch (r) {
    case TRANSPORT_SENT:
        return "sent";
    case TRANSPORT_DEFERRED:
        return "deferred";
    case TRANSPORT_FAILED:
        return "failed";
    case TRANSPORT_NOT_ATTEMPTED:
        break;
    }
    return "not attempted";
}

/* Reads "C.S.D" (class 2, 4 or 5, subject and detail 1-3 digits) at p; its length or 0. */
static size_t enhanced_at(const char *p, char *out, size_t n)
{
    const char *q = p;
    int dots = 0;

    if (*q != '2' && *q != '4' && *q != '5')
        return 0;
    q++;
    for (int part = 0; part < 2; part++) {
        size_t digits = 0;
        if (*q != '.')
            return 0;
        q++;
        while (isdigit((unsigned char)q[digits]))
            digits++;
        if (digits < 1 || digits > 3)
            return 0;
        q += digits;
        dots++;
    }
    if (isdigit((unsigned char)*q) || *q == '.' || dots != 2)
        return 0;
    if ((size_t)(q - p) >= n)
        return 0;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return (size_t)(q - p);
}

int transport_enhanced_from_text(const char *text, char *out, size_t n)
{
    const char *p = text;

    if (n)
        *out = '\0';
    /* "5.1.1 text", after the reply code libESMTP strips */
    while (*p == ' ' || *p == '-')
        p++;
    if (enhanced_at(p, out, n))
        return 0;
    /* the whole line: "550-5.1.1 text" or "550 5.1.1 text" */
    if (isdigit((unsigned char)p[0]) && isdigit((unsigned char)p[1]) &&
        isdigit((unsigned char)p[2]) && (p[3] == ' ' || p[3] == '-') && enhanced_at(p + 4, out, n))
        return 0;
    /* qmail and Yahoo put it last: "(#5.1.1)" */
    const char *h = strstr(text, "(#");
    if (h && enhanced_at(h + 2, out, n) && h[2 + strlen(out)] == ')')
        return 0;
    if (n)
        *out = '\0';
    return -1;
}

/* Wordings of "this mailbox does not exist" from relays that send no
 * (or only a generic x.0.0 / x.1.0) enhanced code; lower case. */
static const char *const no_such_user[] = {
    "user unknown",        "unknown user",
    "no such user",        "no such mailbox",
    "no such recipient",   "no mailbox here",
    "mailbox not found",   "does not exist",
    "doesn't exist",       "unknown recipient",
    "recipient unknown",   "recipient not found",
    "invalid recipient",   "user not found",
    "addressee unknown",   "unrouteable address",
    "user doesn't have a", "mailbox is disabled",
    "account is disabled", "account has been disabled",
};

/* Wordings that make a failure something else even when a phrase above matches. */
static const char *const not_recipient[] = {
    "sender",    /* "sender domain does not exist", "sender verify failed" */
    "quota",     /* "over quota" */
    "full",      /* "mailbox full" */
    "too quick", /* "receiving mail too quickly" */
    "at a rate", /* "receiving mail at a rate" */
    "rate limit", "spam", "blocked", "policy",
};

static int contains_any(const char *lower, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strstr(lower, list[i]))
            return 1;
    return 0;
}

/*
 * Permanent "no such mailbox" failures, suppressed as hard bounces:
 *  - with an RFC 3463 code (from libESMTP or read from the text): 5.1.1 bad
 *    mailbox, 5.1.2 bad destination system (the domain does not exist),
 *    5.1.3 bad address syntax, 5.1.6 mailbox moved, 5.1.10 recipient not
 *    found / null MX (RFC 7505), 5.2.1 mailbox disabled.  Every other
 *    specific code is not hard: 5.2.2 mailbox full, 5.7.x policy, spam and
 *    authentication, 5.3.x, 5.4.x, 5.5.x, 5.6.x.
 *  - with no code or a generic one (5.0.0, 5.1.0): a 550, 551, 553 or 554
 *    reply (Yahoo says 554 for a missing account) with a user-unknown wording,
 *    unless it also speaks of the sender, a quota, a full mailbox, a rate,
 *    spam, a block or a policy.  "mailbox unavailable" alone is not enough.
 * A mailbox refusal that speaks of a rate ("5.2.1 ... receiving mail at a
 * rate") is a throttle, not a missing mailbox.
 */
int transport_hard_bounce(const struct transport_msg *m)
{
    char enh[16], lower[sizeof(m->reply)];
    size_t i;

    if (m->delivered || m->code < 500 || m->code > 599)
        return 0;
    for (i = 0; m->reply[i] && i < sizeof(lower) - 1; i++)
        lower[i] = (char)tolower((unsigned char)m->reply[i]);
    lower[i] = '\0';
    if (m->enhanced[0])
        snprintf(enh, sizeof(enh), "%s", m->enhanced);
    else
        transport_enhanced_from_text(m->reply, enh, sizeof(enh));
    if (enh[0] && enh[0] != '5')
        return 0; /* a 5xx reply with a 4.x.x code: the relay says it is temporary */
    if (enh[0] && strcmp(enh, "5.0.0") != 0 && strcmp(enh, "5.1.0") != 0) {
        static const char *const hard[] = {"5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1"};
        for (size_t k = 0; k < sizeof(hard) / sizeof(hard[0]); k++)
            if (strcmp(enh, hard[k]) == 0)
                return !(strcmp(enh, "5.2.1") == 0 &&
                         (strstr(lower, "at a rate") || strstr(lower, "too quick")));
        return 0;
    }
    if (m->code != 550 && m->code != 551 && m->code != 553 && m->code != 554)
        return 0;
    return contains_any(lower, no_such_user, sizeof(no_such_user) / sizeof(no_such_user[0])) &&
           !contains_any(lower, not_recipient, sizeof(not_recipient) / sizeof(not_recipient[0]));
}
