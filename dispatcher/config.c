/*
 * config.c - reads mailout.conf into struct config through one table of
 * keys, types and defaults.  Owns parsing and validation of single values;
 * cross-key checks that need the network or the database live in doctor.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "address.h"
#include "attrs.h"
#include "buf.h"
#include "fileio.h"
#include "utf8.h"
#include "webhook.h"
#include "xalloc.h"

enum cfg_type {
    CFG_STR,
    CFG_PATH,    /* a file or directory, read relative to the configuration file */
    CFG_MAILBOX, /* an address or "Display Name <address>" (from, reply_to) */
    CFG_INT,
    CFG_DURATION,
    CFG_STARTTLS,
    CFG_URL,
    CFG_LISTEN,
    CFG_TRANSPORT,
    CFG_LOGLEVEL,
};

struct cfg_key {
    const char *name;
    enum cfg_type type;
    size_t off;
    const char *def;
};

#define K(name, type, def)                                                                         \
    {                                                                                              \
#name, type, offsetof(struct config, name), def                                            \
    }

static const struct cfg_key cfg_keys[] = {
    K(db, CFG_STR, ""),
    K(db_role, CFG_STR, ""),
    K(base_url, CFG_URL, "http://127.0.0.1:8080"),
    K(listen, CFG_LISTEN, "127.0.0.1:8080"),
    K(transport, CFG_TRANSPORT, "maildir:./outbox"),
    K(smtp_starttls, CFG_STARTTLS, "required"), /* optional for a loopback relay: validate() */
    K(smtp_user, CFG_STR, ""),
    K(smtp_password_file, CFG_PATH, ""),
    K(smtp_helo, CFG_STR, ""),
    K(smtp_ca_file, CFG_PATH, ""),
    K(from, CFG_MAILBOX, ""),
    K(reply_to, CFG_MAILBOX, ""),
    K(postal_address, CFG_STR, ""),
    K(unsubscribe_mailto, CFG_STR, ""),
    K(privacy_url, CFG_URL, ""),
    K(imprint_url, CFG_URL, ""),
    K(dkim_domain, CFG_STR, ""),
    K(dkim_selector, CFG_STR, ""),
    K(dkim_key_file, CFG_PATH, ""),
    K(dkim_ed25519_key_file, CFG_PATH, ""),
    K(dkim_ed25519_selector, CFG_STR, ""),
    K(rate, CFG_INT, "0"),
    K(domain_concurrency, CFG_INT, "2"),
    K(data_dir, CFG_PATH, ""),
    K(token_ttl, CFG_DURATION, "7d"),
    K(pending_retention, CFG_DURATION, "7d"),
    K(activity_retention, CFG_DURATION, "180d"),
    K(confirm_mail_limit, CFG_INT, "3"),
    K(subscribe_ip_limit, CFG_INT, "30"),
    K(admin_token_file, CFG_PATH, ""),
    K(metrics_allow, CFG_STR, ""),
    K(legal_entity, CFG_STR, ""),
    K(contact_attributes, CFG_STR, ""),
    K(suppression_key_file, CFG_PATH, "suppression.key"),
    K(webhook_url, CFG_URL, ""),
    K(webhook_secret_file, CFG_PATH, ""),
    K(log_level, CFG_LOGLEVEL, "info"),
    /* issue 10: h-webhook */
    K(webhook_timeout, CFG_DURATION, "10s"),
    K(webhook_max_attempts, CFG_INT, "12"),
    K(webhook_backoff_base, CFG_DURATION, "10s"),
    /* issue 10: soft bounces in 30 days that suppress an address, 0 never (h-inbound) */
    K(bounce_soft_limit, CFG_INT, "5"),
    /* issue 11: how late a missed schedule occurrence may still run (h-sched) */
    K(schedule_grace, CFG_DURATION, "1h"),
    /* issue 12: how long an admin view session lasts (h-admin) */
    K(admin_session_ttl, CFG_DURATION, "30m"),
    /* issue 13: h-proc: eu (every third party in the EEA or covered, R-GDPR-15) or none */
    K(residency, CFG_STR, "eu"),
    /* issue 13: h-retain: months without consent, order or activity before a contact is erased;
       months an SMTP reply is kept */
    K(contact_retention_months, CFG_INT, "36"),
    K(reply_retention_months, CFG_INT, "24"),
    /* how often run runs maintenance */
    K(maintenance_interval, CFG_DURATION, "24h"),
};

#define NKEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static char **str_field(struct config *cfg, const struct cfg_key *k)
{
    return (char **)((char *)cfg + k->off);
}

static long long *int_field(struct config *cfg, const struct cfg_key *k)
{
    return (long long *)((char *)cfg + k->off);
}

long long config_parse_duration(const char *s)
{
    char *end;
    long long v;
    long long mult = 1;

    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || v < 0)
        return -1;
    if (*end) {
        switch (*end) {
        case 's':
            mult = 1;
            break;
        case 'm':
            mult = 60;
            break;
        case 'h':
            mult = 3600;
            break;
        case 'd':
            mult = 86400;
            break;
        default:
            return -1;
        }
        if (end[1])
            return -1;
    }
    if (v > (long long)1e12 / mult)
        return -1;
    return v * mult;
}

int config_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    char inner[INET6_ADDRSTRLEN + 1];
    size_t n = strlen(host);

    if (strcasecmp(host, "localhost") == 0)
        return 1;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(inner)) {
        memcpy(inner, host + 1, n - 2);
        inner[n - 2] = '\0';
        host = inner;
    }
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return 0;
}

/* 1 when the relay "host:port" is on loopback. */
static int relay_is_loopback(const char *relay)
{
    const char *colon = strrchr(relay, ':');

    if (colon == NULL)
        return 0;
    char *host = xstrndup(relay, (size_t)(colon - relay));
    int loop = config_host_is_loopback(host);
    free(host);
    return loop;
}

/* The first relay not on loopback, NULL when every relay is. */
static const char *first_remote_relay(const struct config *cfg)
{
    for (size_t i = 0; i < cfg->nrelays; i++)
        if (!relay_is_loopback(cfg->relays[i]))
            return cfg->relays[i];
    return NULL;
}

int config_smtp_loopback(const struct config *cfg)
{
    return cfg->transport_kind == TRANSPORT_SMTP && cfg->nrelays > 0 &&
           first_remote_relay(cfg) == NULL;
}

/* Splits "host:port"; port must be 1..65535. */
static int split_hostport(const char *v, char **host, unsigned *port)
{
    const char *colon = strrchr(v, ':');
    char *end;
    long p;

    if (colon == NULL || colon == v)
        return -1;
    errno = 0;
    p = strtol(colon + 1, &end, 10);
    if (errno || *end || colon[1] == '\0' || p < 1 || p > 65535)
        return -1;
    *host = xstrndup(v, (size_t)(colon - v));
    *port = (unsigned)p;
    return 0;
}

/* MO_E_INPUT "invalid value 'V' for key K: REASON (WHERE)"; returns -1. */
static int bad_value(struct mo_err *err, const struct cfg_key *k, const char *v, const char *reason,
                     const char *where)
{
    struct buf shown;

    buf_init(&shown, 0);
    buf_put_shown(&shown, v, strlen(v), 100);
    mo_err_set(err, MO_E_INPUT, "invalid value '%s' for key %s: %s (%s)", shown.s, k->name, reason,
               where);
    buf_release(&shown);
    return -1;
}

/* Longest from or reply_to accepted (a header line holds at most 998). */
#define MAILBOX_MAX 900

/* A display-name character outside quotes: RFC 5322 atext, '.' (obs-phrase), UTF-8. */
static int phrase_char(unsigned char c)
{
    return isalnum(c) || c >= 0x80 || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/*
 * Checks a bare addr-spec with address_normalize() rules and builds the
 * address to send from: the local part as written, '@', the domain as
 * lower-case A-labels.  NULL with why set when it is invalid.
 */
static char *mailbox_addr(const char *s, size_t n, char *why, size_t whylen)
{
    char *in = xstrndup(s, n), *norm = NULL, *out = NULL;
    struct mo_err e;
    struct buf b;

    mo_err_init(&e);
    if (address_normalize(in, &norm, &e) < 0) {
        snprintf(why, whylen, "%s", e.msg);
        free(in);
        return NULL;
    }
    const char *t = in;
    while (*t == ' ' || *t == '\t')
        t++;
    buf_init(&b, 0);
    buf_add(&b, t, (size_t)(strrchr(t, '@') - t));
    buf_puts(&b, strrchr(norm, '@'));
    out = buf_detach(&b);
    free(norm);
    free(in);
    return out;
}

/*
 * Parses an RFC 5322 mailbox: addr-spec, or name-addr whose display name is
 * a phrase of atoms (UTF-8 allowed) and quoted-strings with \\-escapes.
 * 0 with *addr and *name (caller frees), or -1 with why set.
 */
static int parse_mailbox(const char *v, char **addr, char **name, char *why, size_t whylen)
{
    struct buf nm;
    const char *p = v, *lt = NULL, *gt;
    int space = 0;

    *addr = *name = NULL;
    if (strlen(v) > MAILBOX_MAX) {
        snprintf(why, whylen, "longer than %d bytes", MAILBOX_MAX);
        return -1;
    }
    for (const char *c = v; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            snprintf(why, whylen, "control characters (CR, LF, NUL, ...) are not allowed");
            return -1;
        }
    if (!utf8_valid_str(v)) {
        snprintf(why, whylen, "not valid UTF-8");
        return -1;
    }
    if (*v == '\0') {
        *addr = xstrdup("");
        *name = xstrdup("");
        return 0;
    }
    if (strchr(v, '<') == NULL) {
        if (strchr(v, '>')) {
            snprintf(why, whylen, "'>' without '<'");
            return -1;
        }
        if ((*addr = mailbox_addr(v, strlen(v), why, whylen)) == NULL)
            return -1;
        *name = xstrdup("");
        return 0;
    }
    buf_init(&nm, MAILBOX_MAX + 1);
    while (*p && lt == NULL) {
        unsigned char c = (unsigned char)*p;
        if (c == ' ' || c == '\t') {
            space = nm.len > 0;
            p++;
        } else if (c == '"') {
            if (space)
                buf_putc(&nm, ' ');
            space = 0;
            for (p++; *p && *p != '"'; p++) {
                if (*p == '\\' && p[1])
                    p++;
                buf_putc(&nm, *p);
            }
            if (*p != '"') {
                snprintf(why, whylen, "unterminated quoted string in the display name");
                goto bad;
            }
            p++;
        } else if (c == '<') {
            lt = p;
        } else if (c == '>') {
            snprintf(why, whylen, "'>' without '<'");
            goto bad;
        } else if (phrase_char(c)) {
            if (space)
                buf_putc(&nm, ' ');
            space = 0;
            buf_putc(&nm, (char)c);
            p++;
        } else {
            snprintf(why, whylen,
                     "'%c' in the display name must be inside double quotes, as in "
                     "\"Name, Inc.\" <address>",
                     c);
            goto bad;
        }
    }
    if (lt == NULL) {
        snprintf(why, whylen, "missing '<' before the address");
        goto bad;
    }
    gt = strchr(lt + 1, '>');
    if (gt == NULL) {
        snprintf(why, whylen, "missing '>' after the address");
        goto bad;
    }
    for (const char *t = gt + 1; *t; t++)
        if (*t != ' ' && *t != '\t') {
            snprintf(why, whylen, "unexpected text after '>'");
            goto bad;
        }
    if (strspn(lt + 1, " \t") == (size_t)(gt - lt - 1)) {
        snprintf(why, whylen, "empty address between '<' and '>'");
        goto bad;
    }
    if ((*addr = mailbox_addr(lt + 1, (size_t)(gt - lt - 1), why, whylen)) == NULL)
        goto bad;
    *name = buf_detach(&nm);
    return 0;
bad:
    buf_release(&nm);
    return -1;
}

/*
 * v as quoted in a message: at most 100 bytes, cut at a UTF-8 character
 * boundary with "..." added, so that the file:line after it always fits.
 */
static const char *shown(const char *v, char out[108])
{
    size_t n = strlen(v);

    if (n <= 100)
        return v;
    n = 100;
    while (n > 0 && ((unsigned char)v[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, v, n);
    memcpy(out + n, "...", 4);
    return out;
}

static void free_relays(struct config *cfg)
{
    for (size_t i = 0; i < cfg->nrelays; i++)
        free(cfg->relays[i]);
    free(cfg->relays);
    cfg->relays = NULL;
    cfg->nrelays = 0;
}

/*
 * Parses "smtp://A:25, smtp://B:2525" (one or more relays, commas, spaces
 * allowed around them) into HOST:PORT strings; -1 with err naming the key and
 * the item that is not smtp://HOST:PORT.
 */
static int parse_relays(const char *v, char ***out, size_t *nout, const struct cfg_key *k,
                        const char *where, struct mo_err *err)
{
    char **relays = NULL;
    size_t n = 0;
    const char *p = v;

    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        char *item = xstrndup(p, len);
        const char *hp = item + 7;
        size_t hn = strlen(item) >= 7 ? strlen(hp) : 0;
        if (hn && hp[hn - 1] == '/')
            hn--;
        char *target = strncmp(item, "smtp://", 7) == 0 ? xstrndup(hp, hn) : NULL;
        char *host = NULL;
        unsigned port;
        int bad = target == NULL || split_hostport(target, &host, &port) < 0 ||
                  strchr(target, '/') != NULL || strpbrk(target, " \t") != NULL;
        free(host);
        if (bad) {
            struct buf shown;
            buf_init(&shown, 0);
            buf_put_shown(&shown, item, strlen(item), 100);
            mo_err_set(err, MO_E_INPUT,
                       "invalid relay '%s' in key %s: expected smtp://HOST:PORT, several separated "
                       "by commas (%s)",
                       shown.s, k->name, where);
            buf_release(&shown);
            free(item);
            free(target);
            for (size_t i = 0; i < n; i++)
                free(relays[i]);
            free(relays);
            return -1;
        }
        free(item);
        relays = xrealloc(relays, (n + 1) * sizeof(*relays));
        relays[n++] = target;
        if (end == NULL)
            break;
        p = end + 1;
    }
    *out = relays;
    *nout = n;
    return 0;
}

static int set_value(struct config *cfg, const struct cfg_key *k, const char *v, const char *where,
                     struct mo_err *err)
{
    char **sp = NULL;
    char sv[108];

    switch (k->type) {
    case CFG_INT: {
        char *end;
        long long n;
        errno = 0;
        n = strtoll(v, &end, 10);
        if (errno || *v == '\0' || *end || n < 0)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected a non-negative integer (%s)",
                              shown(v, sv), k->name, where);
        *int_field(cfg, k) = n;
        return 0;
    }
    case CFG_DURATION: {
        long long d = config_parse_duration(v);
        if (d <= 0)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected a duration such as 7d, 12h, "
                              "30m or 45s (%s)",
                              shown(v, sv), k->name, where);
        *int_field(cfg, k) = d;
        return 0;
    }
    case CFG_STARTTLS:
        if (strcmp(v, "required") == 0)
            cfg->smtp_starttls = STARTTLS_REQUIRED;
        else if (strcmp(v, "optional") == 0)
            cfg->smtp_starttls = STARTTLS_OPTIONAL;
        else if (strcmp(v, "off") == 0)
            cfg->smtp_starttls = STARTTLS_OFF;
        else
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected required, optional or off "
                              "(%s)",
                              shown(v, sv), k->name, where);
        return 0;
    case CFG_LOGLEVEL:
        if (strcmp(v, "error") && strcmp(v, "warning") && strcmp(v, "info") && strcmp(v, "debug"))
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected error, warning, info or "
                              "debug (%s)",
                              shown(v, sv), k->name, where);
        break;
    case CFG_URL:
        if (*v && strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected an http:// or https:// URL "
                              "(%s)",
                              shown(v, sv), k->name, where);
        if (strpbrk(v, " \t\"<>\\"))
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: a URL may not contain spaces, quotes "
                              "or angle brackets (%s)",
                              shown(v, sv), k->name, where);
        break;
    case CFG_LISTEN: {
        char *host = NULL;
        unsigned port;
        if (split_hostport(v, &host, &port) < 0)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected HOST:PORT (%s)",
                              shown(v, sv), k->name, where);
        free(cfg->listen_host);
        cfg->listen_host = host;
        cfg->listen_port = port;
        break;
    }
    case CFG_TRANSPORT:
        if (strncmp(v, "maildir:", 8) == 0 && v[8]) {
            cfg->transport_kind = TRANSPORT_MAILDIR;
            free(cfg->transport_target);
            cfg->transport_target = xstrdup(v + 8);
            free_relays(cfg);
        } else if (strncmp(v, "smtp://", 7) == 0) {
            char **relays = NULL;
            size_t nrelays = 0;
            if (parse_relays(v, &relays, &nrelays, k, where, err) < 0)
                return -1;
            free_relays(cfg);
            cfg->relays = relays;
            cfg->nrelays = nrelays;
            cfg->transport_kind = TRANSPORT_SMTP;
            free(cfg->transport_target);
            cfg->transport_target = xstrdup(relays[0]);
        } else
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected smtp://HOST:PORT (several "
                              "separated by commas) or maildir:DIR (%s)",
                              shown(v, sv), k->name, where);
        break;
    case CFG_MAILBOX: {
        char why[sizeof(((struct mo_err *)0)->msg)], *addr, *name;
        if (parse_mailbox(v, &addr, &name, why, sizeof(why)) < 0)
            return bad_value(err, k, v, why, where);
        int is_from = strcmp(k->name, "from") == 0;
        char **ap = is_from ? &cfg->from_addr : &cfg->reply_to_addr;
        char **np = is_from ? &cfg->from_name : &cfg->reply_to_name;
        free(*ap);
        free(*np);
        *ap = addr;
        *np = name;
        break;
    }
    case CFG_STR:
    case CFG_PATH:
        break;
    }
    sp = str_field(cfg, k);
    free(*sp);
    *sp = xstrdup(v);
    return 0;
}

static const struct cfg_key *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(cfg_keys[i].name, name) == 0)
            return &cfg_keys[i];
    return NULL;
}

int config_set(struct config *cfg, const char *key, const char *value, struct mo_err *err)
{
    const struct cfg_key *k = find_key(key);

    if (k == NULL)
        return mo_err_set(err, MO_E_USAGE, "unknown configuration key '%s'", key);
    return set_value(cfg, k, value, "command line", err);
}

static void set_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = xstrdup("");
    cfg->config_dir = xstrdup(".");
    cfg->from_addr = xstrdup("");
    cfg->from_name = xstrdup("");
    cfg->reply_to_addr = xstrdup("");
    cfg->reply_to_name = xstrdup("");
    cfg->listen_host = xstrdup("");
    cfg->transport_target = xstrdup("");
    for (size_t i = 0; i < NKEYS; i++) {
        struct mo_err e;
        mo_err_init(&e);
        set_value(cfg, &cfg_keys[i], cfg_keys[i].def, "default", &e);
    }
}

/* Trims ASCII whitespace on both ends, in place. */
static char *trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

/* "NAME:LINE" for a key read from the file, else NAME alone. */
static void key_where(char *out, size_t n, const char *name, const unsigned *lines, const char *key)
{
    const struct cfg_key *k = find_key(key);
    unsigned line = k ? lines[k - cfg_keys] : 0;
    int w = line ? snprintf(out, n, "%s:%u", name, line) : snprintf(out, n, "%s", name);
    if (w < 0 || (size_t)w >= n)
        snprintf(out, n, "%s", line ? "configuration file" : "");
}

/* Sets config_dir to the directory part of the file's path ("." when it has none). */
static void set_config_dir(struct config *cfg, const char *path)
{
    const char *slash = strrchr(path, '/');

    free(cfg->config_dir);
    if (slash == NULL)
        cfg->config_dir = xstrdup(".");
    else if (slash == path)
        cfg->config_dir = xstrdup("/");
    else
        cfg->config_dir = xstrndup(path, (size_t)(slash - path));
}

/* Reads a relative path as relative to the configuration file's directory. */
static void resolve_path(const char *dir, char **field)
{
    const char *rel = *field;
    struct buf b;

    if (*rel == '\0' || *rel == '/' || strcmp(dir, ".") == 0)
        return;
    while (rel[0] == '.' && rel[1] == '/')
        rel += 2;
    buf_init(&b, 0);
    buf_printf(&b, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", rel);
    free(*field);
    *field = buf_detach(&b);
}

static void resolve_paths(struct config *cfg)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (cfg_keys[i].type == CFG_PATH)
            resolve_path(cfg->config_dir, str_field(cfg, &cfg_keys[i]));
    if (cfg->transport_kind == TRANSPORT_MAILDIR)
        resolve_path(cfg->config_dir, &cfg->transport_target);
}

/* 1 when s is a domain name or selector: dot-separated labels of letters, digits, '-', '_'. */
static int dns_name_ok(const char *s)
{
    size_t label = 0;

    if (*s == '\0' || strlen(s) > 253)
        return 0;
    for (; *s; s++) {
        if (*s == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (isalnum((unsigned char)*s) || *s == '-' || *s == '_') {
            if (++label > 63)
                return 0;
        } else
            return 0;
    }
    return label > 0;
}

/* The DKIM keys: a key file needs its domain and selector, each a DNS name. */
static int validate_dkim(const struct config *cfg, const char *name, const unsigned *lines,
                         struct mo_err *err)
{
    static const char *const names[] = {"dkim_domain", "dkim_selector", "dkim_ed25519_selector"};
    const char *vals[] = {cfg->dkim_domain, cfg->dkim_selector, cfg->dkim_ed25519_selector};
    char where[600], sv[108];

    for (size_t i = 0; i < 3; i++)
        if (*vals[i] && !dns_name_ok(vals[i])) {
            key_where(where, sizeof(where), name, lines, names[i]);
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected a DNS name such as "
                              "mail.example.com (%s)",
                              shown(vals[i], sv), names[i], where);
        }
    if (*cfg->dkim_key_file) {
        for (size_t i = 0; i < 2; i++)
            if (!*vals[i]) {
                key_where(where, sizeof(where), name, lines, "dkim_key_file");
                return mo_err_set(err, MO_E_INPUT, "dkim_key_file needs %s (%s, key %s)", names[i],
                                  where, names[i]);
            }
    }
    if (*cfg->dkim_ed25519_key_file) {
        key_where(where, sizeof(where), name, lines, "dkim_ed25519_key_file");
        if (!*cfg->dkim_key_file)
            return mo_err_set(err, MO_E_INPUT,
                              "dkim_ed25519_key_file needs dkim_key_file: the Ed25519 signature "
                              "comes second, after an RSA one every receiver can verify (%s, key "
                              "dkim_key_file)",
                              where);
        if (!*cfg->dkim_ed25519_selector)
            return mo_err_set(err, MO_E_INPUT,
                              "dkim_ed25519_key_file needs dkim_ed25519_selector (%s, key "
                              "dkim_ed25519_selector)",
                              where);
    }
    return 0;
}

/* issue 10: h-webhook.  The webhook: https (http only to loopback), signed, bounded. */
static int validate_webhook(const struct config *cfg, const char *name, const unsigned *lines,
                            struct mo_err *err)
{
    char where[600], sv[108], why[256];

    key_where(where, sizeof(where), name, lines, "webhook_max_attempts");
    if (cfg->webhook_max_attempts < 1 || cfg->webhook_max_attempts > 100)
        return mo_err_set(err, MO_E_INPUT,
                          "invalid value '%lld' for key webhook_max_attempts: expected 1 to 100 "
                          "(%s)",
                          cfg->webhook_max_attempts, where);
    key_where(where, sizeof(where), name, lines, "webhook_timeout");
    if (cfg->webhook_timeout > 600)
        return mo_err_set(
            err, MO_E_INPUT,
            "invalid value '%llds' for key webhook_timeout: expected at most 10m (%s)",
            cfg->webhook_timeout, where);
    if (!*cfg->webhook_url)
        return 0;
    key_where(where, sizeof(where), name, lines, "webhook_url");
    if (webhook_url_check(cfg->webhook_url, why, sizeof(why)) < 0) {
        /* a URL with credentials is not repeated */
        if (strchr(cfg->webhook_url, '@'))
            return mo_err_set(err, MO_E_INPUT, "invalid value for key webhook_url: %s (%s)", why,
                              where);
        return mo_err_set(err, MO_E_INPUT, "invalid value '%s' for key webhook_url: %s (%s)",
                          shown(cfg->webhook_url, sv), why, where);
    }
    if (!*cfg->webhook_secret_file)
        return mo_err_set(err, MO_E_INPUT,
                          "webhook_url needs webhook_secret_file, the file whose first line "
                          "signs every request (%s, key webhook_secret_file)",
                          where);
    return 0;
}

/* issue 13: h-retain.  Retention periods in months and the maintenance interval of run. */
static int validate_retention(const struct config *cfg, const char *name, const unsigned *lines,
                              struct mo_err *err)
{
    static const char *const keys[] = {"contact_retention_months", "reply_retention_months"};
    const long long vals[] = {cfg->contact_retention_months, cfg->reply_retention_months};
    char where[600];

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        key_where(where, sizeof(where), name, lines, keys[i]);
        if (vals[i] < 1 || vals[i] > 1200)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%lld' for key %s: expected 1 to 1200 months (%s)",
                              vals[i], keys[i], where);
    }
    key_where(where, sizeof(where), name, lines, "maintenance_interval");
    if (cfg->maintenance_interval < 60 || cfg->maintenance_interval > 30 * 86400)
        return mo_err_set(err, MO_E_INPUT,
                          "invalid value '%llds' for key maintenance_interval: expected 1m to 30d "
                          "(%s)",
                          cfg->maintenance_interval, where);
    return 0;
}

/* Cross-key checks once the whole file is read; lines[i]: where key i was set, 0 = default. */
static int validate(struct config *cfg, const char *name, const unsigned *lines, struct mo_err *err)
{
    char where[600], sv[108];

    if (validate_dkim(cfg, name, lines, err) < 0 || validate_webhook(cfg, name, lines, err) < 0 ||
        validate_retention(cfg, name, lines, err) < 0)
        return -1;
    /* issue 13: h-sensitive: contact_attributes is NAME or NAME:sensitive, comma-separated */
    {
        struct attr_list al;
        struct mo_err e;
        mo_err_init(&e);
        key_where(where, sizeof(where), name, lines, "contact_attributes");
        if (attrs_parse(cfg->contact_attributes, "contact_attributes", &al, &e) < 0)
            return mo_err_set(err, MO_E_INPUT, "invalid value for key %s (%s)", e.msg, where);
        attrs_free(&al);
    }
    /* the scheduler looks once a second: a shorter grace would skip what is merely due */
    key_where(where, sizeof(where), name, lines, "schedule_grace");
    if (cfg->schedule_grace < 2)
        return mo_err_set(err, MO_E_INPUT,
                          "invalid value '%llds' for key schedule_grace: expected at least 2s (%s)",
                          cfg->schedule_grace, where);
    /* issue 13: h-proc */
    if (strcmp(cfg->residency, "eu") != 0 && strcmp(cfg->residency, "none") != 0) {
        key_where(where, sizeof(where), name, lines, "residency");
        return mo_err_set(err, MO_E_INPUT,
                          "invalid value '%s' for key residency: expected eu or none (%s)",
                          shown(cfg->residency, sv), where);
    }
    if (cfg->transport_kind == TRANSPORT_SMTP) {
        const struct cfg_key *k = find_key("smtp_starttls");
        /* every relay must be on loopback for the loopback exemptions */
        const char *remote = first_remote_relay(cfg);
        int loop = remote == NULL;
        /* TLS is the default; only a loopback relay may go without it unasked */
        if (lines[k - cfg_keys] == 0)
            cfg->smtp_starttls = loop ? STARTTLS_OPTIONAL : STARTTLS_REQUIRED;
        key_where(where, sizeof(where), name, lines, "smtp_starttls");
        if (!loop && cfg->smtp_starttls == STARTTLS_OFF)
            return mo_err_set(err, MO_E_INPUT,
                              "smtp_starttls = off is allowed only for a loopback relay, not '%s' "
                              "(%s, key smtp_starttls)",
                              shown(remote, sv), where);
        if (!loop && *cfg->smtp_user && cfg->smtp_starttls != STARTTLS_REQUIRED)
            return mo_err_set(err, MO_E_INPUT,
                              "smtp_user needs smtp_starttls = required for the relay '%s': AUTH "
                              "is never sent without TLS except to loopback (%s, key "
                              "smtp_starttls)",
                              shown(remote, sv), where);
    }
    return 0;
}

static int parse_text(struct config *cfg, const char *name, const char *text, unsigned *seen,
                      struct mo_err *err)
{
    const char *p = text;
    unsigned lineno = 0;
    char where[600], sv[108];

    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF)
        p += 3;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        char *line = xstrndup(p, n);
        char *s = trim(line);
        char *eq, *key, *val;
        const struct cfg_key *k;

        lineno++;
        p += n + (nl ? 1 : 0);
        int w = snprintf(where, sizeof(where), "%s:%u", name, lineno);
        if (w < 0 || (size_t)w >= sizeof(where))
            snprintf(where, sizeof(where), "line %u", lineno);
        if (*s == '\0' || *s == '#') {
            free(line);
            continue;
        }
        eq = strchr(s, '=');
        if (eq == NULL) {
            mo_err_set(err, MO_E_INPUT, "expected 'key = value', got '%s' (%s)", shown(s, sv),
                       where);
            free(line);
            return -1;
        }
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        k = find_key(key);
        if (k == NULL) {
            mo_err_set(err, MO_E_INPUT, "unknown configuration key '%s' (%s)", shown(key, sv),
                       where);
            free(line);
            return -1;
        }
        if (seen[k - cfg_keys]) {
            mo_err_set(err, MO_E_INPUT, "key %s set twice (%s)", key, where);
            free(line);
            return -1;
        }
        seen[k - cfg_keys] = lineno;
        if (set_value(cfg, k, val, where, err) < 0) {
            free(line);
            return -1;
        }
        free(line);
    }
    return 0;
}

int config_load_string(struct config *cfg, const char *name, const char *text, struct mo_err *err)
{
    unsigned lines[NKEYS] = {0};

    set_defaults(cfg);
    free(cfg->path);
    cfg->path = xstrdup(name);
    set_config_dir(cfg, name);
    if (parse_text(cfg, name, text, lines, err) < 0)
        return -1;
    resolve_paths(cfg);
    return validate(cfg, name, lines, err);
}

int config_load(struct config *cfg, const char *path, struct mo_err *err)
{
    const char *env = getenv("MAILOUT_CONFIG");
    int optional = 0;
    struct buf text;
    int rc;

    if (path == NULL && env && *env)
        path = env;
    if (path == NULL) {
        path = "./mailout.conf";
        optional = 1;
    }
    if (optional && !fileio_exists(path)) {
        /* no file: defaults, with paths relative to the working directory */
        if (config_load_string(cfg, "", "", err) < 0)
            return -1;
        goto env_override;
    }
    if (fileio_read(path, 1024 * 1024, "configuration file", &text, err) < 0) {
        buf_release(&text);
        set_defaults(cfg);
        return -1;
    }
    if (memchr(text.s, '\0', text.len)) {
        buf_release(&text);
        set_defaults(cfg);
        return mo_err_set(err, MO_E_INPUT, "configuration file '%s' contains a NUL byte", path);
    }
    rc = config_load_string(cfg, path, text.s, err);
    buf_release(&text);
    if (rc < 0)
        return -1;
env_override:
    env = getenv("MAILOUT_DB");
    if (env && *env) {
        free(cfg->db);
        cfg->db = xstrdup(env);
    }
    return 0;
}

void config_release(struct config *cfg)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (cfg_keys[i].type == CFG_INT || cfg_keys[i].type == CFG_DURATION ||
            cfg_keys[i].type == CFG_STARTTLS)
            continue;
        char **sp = str_field(cfg, &cfg_keys[i]);
        free(*sp);
        *sp = NULL;
    }
    free(cfg->path);
    free(cfg->config_dir);
    free(cfg->from_addr);
    free(cfg->from_name);
    free(cfg->reply_to_addr);
    free(cfg->reply_to_name);
    free(cfg->listen_host);
    free(cfg->transport_target);
    free_relays(cfg);
    memset(cfg, 0, sizeof(*cfg));
}
