/*
 * config.c - reads mailout.conf into struct config through one table of
 * keys, types and defaults.  Owns parsing and validation of single values;
 * cross-key checks that need the network or the database live in doctor.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fileio.h"
#include "xalloc.h"

enum cfg_type {
    CFG_STR,
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
    K(smtp_starttls, CFG_STARTTLS, "optional"),
    K(smtp_user, CFG_STR, ""),
    K(smtp_password_file, CFG_STR, ""),
    K(smtp_helo, CFG_STR, ""),
    K(smtp_ca_file, CFG_STR, ""),
    K(from, CFG_STR, ""),
    K(reply_to, CFG_STR, ""),
    K(postal_address, CFG_STR, ""),
    K(unsubscribe_mailto, CFG_STR, ""),
    K(privacy_url, CFG_URL, ""),
    K(imprint_url, CFG_URL, ""),
    K(dkim_domain, CFG_STR, ""),
    K(dkim_selector, CFG_STR, ""),
    K(dkim_key_file, CFG_STR, ""),
    K(rate, CFG_INT, "0"),
    K(domain_concurrency, CFG_INT, "2"),
    K(data_dir, CFG_STR, ""),
    K(token_ttl, CFG_DURATION, "7d"),
    K(pending_retention, CFG_DURATION, "14d"),
    K(confirm_mail_limit, CFG_INT, "3"),
    K(subscribe_ip_limit, CFG_INT, "30"),
    K(admin_token_file, CFG_STR, ""),
    K(metrics_allow, CFG_STR, ""),
    K(legal_entity, CFG_STR, ""),
    K(contact_attributes, CFG_STR, ""),
    K(suppression_key_file, CFG_STR, "./suppression.key"),
    K(webhook_url, CFG_URL, ""),
    K(webhook_secret_file, CFG_STR, ""),
    K(log_level, CFG_LOGLEVEL, "info"),
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

static int is_loopback_host(const char *host, size_t n)
{
    return (n == 9 && strncmp(host, "localhost", 9) == 0) ||
           (n >= 4 && strncmp(host, "127.", 4) == 0) || (n == 5 && strncmp(host, "[::1]", 5) == 0);
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
        } else if (strncmp(v, "smtp://", 7) == 0) {
            char *host = NULL;
            unsigned port;
            const char *hp = v + 7;
            size_t n = strlen(hp);
            if (n && hp[n - 1] == '/')
                n--;
            char *tmp = xstrndup(hp, n);
            int bad = split_hostport(tmp, &host, &port) < 0 || strchr(tmp, '/') != NULL;
            free(tmp);
            free(host);
            if (bad)
                return mo_err_set(err, MO_E_INPUT,
                                  "invalid value '%s' for key %s: expected smtp://HOST:PORT (%s)",
                                  shown(v, sv), k->name, where);
            cfg->transport_kind = TRANSPORT_SMTP;
            free(cfg->transport_target);
            cfg->transport_target = xstrndup(hp, n);
        } else
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%s' for key %s: expected smtp://HOST:PORT or "
                              "maildir:DIR (%s)",
                              shown(v, sv), k->name, where);
        break;
    case CFG_STR:
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

/* Cross-key checks once the whole file is read. */
static int validate(struct config *cfg, const char *name, struct mo_err *err)
{
    char sv[108];

    free(cfg->from_addr);
    cfg->from_addr = xstrdup(cfg->from);
    free(cfg->reply_to_addr);
    cfg->reply_to_addr = xstrdup(cfg->reply_to);
    if (cfg->transport_kind == TRANSPORT_SMTP && cfg->smtp_starttls == STARTTLS_OFF) {
        const char *t = cfg->transport_target;
        const char *colon = strrchr(t, ':');
        if (!is_loopback_host(t, (size_t)(colon - t)))
            return mo_err_set(err, MO_E_INPUT,
                              "smtp_starttls = off is allowed only for a loopback relay, not '%s' "
                              "(%s, key transport)",
                              shown(t, sv), name);
    }
    return 0;
}

static int parse_text(struct config *cfg, const char *name, const char *text, struct mo_err *err)
{
    const char *p = text;
    unsigned lineno = 0;
    char where[600], sv[108];
    unsigned char seen[NKEYS] = {0};

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
        snprintf(where, sizeof(where), "%s:%u", name, lineno);
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
        seen[k - cfg_keys] = 1;
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
    set_defaults(cfg);
    free(cfg->path);
    cfg->path = xstrdup(name);
    if (parse_text(cfg, name, text, err) < 0)
        return -1;
    return validate(cfg, name, err);
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
        set_defaults(cfg);
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
    memset(cfg, 0, sizeof(*cfg));
}
