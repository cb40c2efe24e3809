/*
 * doctor.c - the checks of `mailout doctor` as findings: configuration and
 * sender identity, migrations, relay reachability (TCP connect and the 220
 * greeting, short timeouts), the DKIM keys, and DNS (libresolv: DKIM
 * selector records, SPF, DMARC, the unsubscribe domains).  It prints
 * nothing and decides no exit code: cli_doctor.c does.  It does not send
 * mail or change anything.
 */
#include "doctor.h"
#include "monotime.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "attrs.h"
#include "buf.h"
#include "campaign_mail.h"
#include "crypto.h"
#include "http.h"
#include "queries.h"
#include "xalloc.h"

/* --- the report --- */

void doctor_report_init(struct doctor_report *r)
{
    memset(r, 0, sizeof(*r));
}

void doctor_report_release(struct doctor_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->items[i].check);
        free(r->items[i].text);
    }
    free(r->items);
    doctor_report_init(r);
}

void doctor_add(struct doctor_report *r, enum doctor_level level, const char *check,
                const char *fmt, ...)
{
    struct buf raw, shown;
    va_list ap;

    buf_init(&raw, 16 * 1024);
    buf_init(&shown, 0);
    va_start(ap, fmt);
    if (buf_vprintf(&raw, fmt, ap) < 0)
        buf_puts(&raw, "(finding too long to show)");
    va_end(ap);
    buf_put_shown(&shown, raw.s, raw.len, 8 * 1024);
    buf_release(&raw);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->items = xrealloc(r->items, r->cap * sizeof(*r->items));
    }
    r->items[r->n].level = level;
    r->items[r->n].check = xstrdup(check);
    r->items[r->n].text = buf_detach(&shown);
    r->n++;
}

int doctor_blocked(const struct doctor_report *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->items[i].level == DOCTOR_ERROR)
            return 1;
    return 0;
}

const char *doctor_level_name(enum doctor_level level)
{
    switch (level) {
    case DOCTOR_OK:
        return "ok";
    case DOCTOR_WARNING:
        return "warning";
    case DOCTOR_ERROR:
        break;
    }
    return "error";
}

/* --- configuration --- */

static const char *domain_of(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at ? at + 1 : "";
}

/* Relaxed alignment, approximated: equal, or one a subdomain of the other. */
static int aligned(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la == lb)
        return strcasecmp(a, b) == 0;
    if (la < lb)
        return b[lb - la - 1] == '.' && strcasecmp(b + lb - la, a) == 0;
    return a[la - lb - 1] == '.' && strcasecmp(a + la - lb, b) == 0;
}

/*
 * issue 13 (h-sensitive): the declared attributes: a name that looks like
 * special-category or financial data but is not marked NAME:sensitive is a
 * warning (its import column would be refused); the sensitive ones are listed.
 */
static void check_attributes(const struct config *cfg, struct doctor_report *r)
{
    struct attr_list al;
    struct mo_err e;
    struct buf names;

    mo_err_init(&e);
    if (attrs_parse(cfg->contact_attributes, "contact_attributes", &al, &e) < 0) {
        doctor_add(r, DOCTOR_ERROR, "config", "%s", e.msg);
        return;
    }
    buf_init(&names, 0);
    for (int i = 0; i < al.n; i++) {
        const char *term = attrs_special_term(al.v[i].name);
        if (al.v[i].sensitive) {
            if (names.len)
                buf_puts(&names, ", ");
            buf_puts(&names, al.v[i].name);
        } else if (term) {
            doctor_add(r, DOCTOR_WARNING, "config",
                       "attribute '%s' looks like special-category or financial data (matches "
                       "'%.*s', GDPR Art. 9): declare it %s:sensitive (key contact_attributes); "
                       "an import column of that name is refused until then",
                       al.v[i].name, (int)strcspn(term, "*"), term, al.v[i].name);
        }
    }
    if (names.len)
        doctor_add(r, DOCTOR_OK, "config",
                   "sensitive attributes (used only under explicit consent, Art. 9(2)(a)): %s",
                   names.s);
    buf_release(&names);
    attrs_free(&al);
}

void doctor_check_config(const struct config *cfg, struct doctor_report *r)
{
    struct mo_err e;
    int bad = 0;

    mo_err_init(&e);
    if (campaign_mail_check_config(cfg, &e) < 0) {
        doctor_add(r, DOCTOR_ERROR, "config", "%s", e.msg);
        bad = 1;
    }
    if (!*cfg->postal_address && !strstr(e.msg, "postal_address")) {
        doctor_add(r, DOCTOR_ERROR, "config",
                   "marketing mail needs a postal address (key postal_address)");
        bad = 1;
    }
    if (!*cfg->legal_entity) {
        doctor_add(r, DOCTOR_ERROR, "config",
                   "no sender's legal entity: campaigns need one (key legal_entity)");
        bad = 1;
    }
    if (!bad)
        doctor_add(r, DOCTOR_OK, "config", "sender %s, legal entity '%s', postal address set",
                   cfg->from_addr, cfg->legal_entity);
    if (!*cfg->privacy_url)
        doctor_add(r, DOCTOR_WARNING, "config",
                   "no privacy policy link for pages and mails (key privacy_url)");
    if (*cfg->dkim_key_file && *cfg->from_addr &&
        !aligned(domain_of(cfg->from_addr), cfg->dkim_domain))
        doctor_add(r, DOCTOR_WARNING, "config",
                   "DKIM domain %s does not align with the From domain %s: DMARC needs them to "
                   "share the organizational domain (keys dkim_domain, from)",
                   cfg->dkim_domain, domain_of(cfg->from_addr));
    /* issue 12: the admin view's token, as serve would read it (h-admin) */
    if (*cfg->admin_token_file) {
        char hash[CRYPTO_SHA256_HEX_LEN + 1];
        mo_err_init(&e);
        if (http_admin_token_read(cfg->admin_token_file, hash, &e) < 0)
            doctor_add(r, DOCTOR_ERROR, "config", "admin view: %s", e.msg);
        else
            doctor_add(r, DOCTOR_OK, "config",
                       "admin view on under /admin, sessions last %llds (keys admin_token_file, "
                       "admin_session_ttl)",
                       cfg->admin_session_ttl);
    }
    check_attributes(cfg, r);
}

/* --- migrations --- */

/* The version of a migration file name NNNN_name.sql, or -1. */
static int migration_version(const char *n)
{
    size_t digits = 0, len = strlen(n);

    while (isdigit((unsigned char)n[digits]))
        digits++;
    if (digits < 3 || digits > 6 || n[digits] != '_' || len < digits + 6 ||
        strcmp(n + len - 4, ".sql") != 0)
        return -1;
    return (int)strtol(n, NULL, 10);
}

/*
 * Read-only, with what the application role may read (SELECT on
 * mailout_migrations): migrate_status() would try to create the table.
 */
void doctor_check_migrations(struct db *db, const char *sqldir, struct doctor_report *r)
{
    struct mo_err e;
    struct dirent *ent;
    size_t pending = 0, applied = 0;
    int first = -1;
    char first_name[256] = "";
    PGresult *res;
    DIR *dir;

    mo_err_init(&e);
    res = db_exec(db, Q_DOCTOR_MIGRATIONS, NULL, 0, &e);
    if (res == NULL) {
        if (strcmp(e.sqlstate, "42P01") == 0)
            doctor_add(r, DOCTOR_ERROR, "database",
                       "the schema is not installed: run 'mailout db migrate'");
        else
            doctor_add(r, DOCTOR_ERROR, "database", "cannot read the schema version: %s", e.msg);
        return;
    }
    dir = opendir(sqldir);
    if (dir == NULL) {
        doctor_add(r, DOCTOR_WARNING, "database",
                   "cannot open the migrations directory '%s': %s; schema version not checked",
                   sqldir, strerror(errno));
        PQclear(res);
        return;
    }
    while ((ent = readdir(dir)) != NULL) {
        int v = migration_version(ent->d_name), done = 0;
        if (v < 0)
            continue;
        for (int i = 0; i < PQntuples(res) && !done; i++)
            done = db_int(res, i, "version") == v;
        if (done) {
            applied++;
            continue;
        }
        pending++;
        if (first < 0 || v < first) {
            first = v;
            snprintf(first_name, sizeof(first_name), "%s", ent->d_name);
        }
    }
    closedir(dir);
    PQclear(res);
    if (pending)
        doctor_add(r, DOCTOR_ERROR, "database",
                   "%zu migration%s pending, first %s: run 'mailout db migrate'", pending,
                   pending == 1 ? "" : "s", first_name);
    else
        doctor_add(r, DOCTOR_OK, "database", "schema current (%zu migrations applied)", applied);
}

/* --- relays --- */

/* Waits for events on fd until deadline; 1 ready, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, long long deadline)
{
    for (;;) {
        long long left = deadline - monotime_ms();
        struct pollfd p = {fd, events, 0};
        if (left <= 0)
            return 0;
        int n = poll(&p, 1, (int)left);
        if (n < 0 && errno == EINTR)
            continue;
        return n < 0 ? -1 : n > 0;
    }
}

/* Connects to one address within the deadline; the socket, or -1 with why. */
static int connect_one(const struct addrinfo *ai, long long deadline, char *why, size_t n)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    int e = 0;
    socklen_t el = sizeof(e);

    if (fd < 0) {
        snprintf(why, n, "%s", strerror(errno));
        return -1;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS) {
            snprintf(why, n, "%s", strerror(errno));
            close(fd);
            return -1;
        }
        int w = wait_fd(fd, POLLOUT, deadline);
        if (w <= 0) {
            snprintf(why, n, "%s", w == 0 ? "no connection within the timeout" : strerror(errno));
            close(fd);
            return -1;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0 || e) {
            snprintf(why, n, "%s", strerror(e ? e : errno));
            close(fd);
            return -1;
        }
    }
    return fd;
}

/* Splits "host:port" or "[v6]:port"; 0 ok. */
static int split_hostport(const char *hp, char *host, size_t hn, char *port, size_t pn)
{
    const char *colon;
    size_t len;

    if (*hp == '[') {
        const char *end = strchr(hp, ']');
        if (end == NULL || end[1] != ':')
            return -1;
        len = (size_t)(end - hp - 1);
        if (len >= hn)
            return -1;
        memcpy(host, hp + 1, len);
        host[len] = '\0';
        colon = end + 1;
    } else {
        colon = strrchr(hp, ':');
        if (colon == NULL)
            return -1;
        len = (size_t)(colon - hp);
        if (len == 0 || len >= hn)
            return -1;
        memcpy(host, hp, len);
        host[len] = '\0';
    }
    if (snprintf(port, pn, "%s", colon + 1) >= (int)pn || !colon[1])
        return -1;
    return 0;
}

void doctor_check_relay(const char *hostport, int timeout_ms, struct doctor_report *r)
{
    char host[256], port[16], why[256] = "no address", line[512];
    struct addrinfo hints, *res = NULL;
    size_t got = 0;
    int fd = -1;

    if (split_hostport(hostport, host, sizeof(host), port, sizeof(port)) < 0) {
        doctor_add(r, DOCTOR_ERROR, "relay", "relay '%s' is not HOST:PORT", hostport);
        return;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    int g = getaddrinfo(host, port, &hints, &res);
    if (g != 0) {
        doctor_add(r, DOCTOR_WARNING, "relay", "relay %s: cannot resolve '%s': %s", hostport, host,
                   gai_strerror(g));
        return;
    }
    long long deadline = monotime_ms() + timeout_ms;
    for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = connect_one(ai, deadline, why, sizeof(why));
    freeaddrinfo(res);
    if (fd < 0) {
        doctor_add(r, DOCTOR_WARNING, "relay", "relay %s does not answer: %s", hostport, why);
        return;
    }
    /* the greeting: "220 text" or "220-" lines ending with "220 " */
    deadline = monotime_ms() + timeout_ms;
    for (;;) {
        char *nl = memchr(line, '\n', got);
        if (nl) {
            size_t ll = (size_t)(nl - line) + 1;
            if (ll >= 4 && line[3] == '-') {
                memmove(line, nl + 1, got - ll);
                got -= ll;
                continue;
            }
            *nl = '\0';
            if (nl > line && nl[-1] == '\r')
                nl[-1] = '\0';
            break;
        }
        if (got == sizeof(line) - 1) {
            line[got] = '\0';
            break;
        }
        int w = wait_fd(fd, POLLIN, deadline);
        ssize_t n = w > 0 ? read(fd, line + got, sizeof(line) - 1 - got) : -1;
        if (n <= 0) {
            line[got] = '\0';
            doctor_add(r, DOCTOR_WARNING, "relay", "relay %s accepts connections but sends %s",
                       hostport,
                       w == 0   ? "no greeting within the timeout"
                       : n == 0 ? "no greeting (connection closed)"
                                : "no greeting (read error)");
            close(fd);
            return;
        }
        got += (size_t)n;
    }
    if (strncmp(line, "220", 3) == 0) {
        doctor_add(r, DOCTOR_OK, "relay", "relay %s answers: %s", hostport, line);
        if (write(fd, "QUIT\r\n", 6) < 0) {
            /* closing is enough */
        }
    } else
        doctor_add(r, DOCTOR_WARNING, "relay", "relay %s refuses sessions: '%s'", hostport, line);
    close(fd);
}

/* --- DKIM keys --- */

void doctor_check_dkim(const struct config *cfg, struct dkim **out, struct doctor_report *r)
{
    struct mo_err e;

    *out = NULL;
    mo_err_init(&e);
    if (!*cfg->dkim_key_file) {
        doctor_add(r, DOCTOR_WARNING, "dkim",
                   "no DKIM key (key dkim_key_file): mailbox providers reject unauthenticated "
                   "bulk mail and offer no one-click unsubscribe without DKIM");
        return;
    }
    if (dkim_open(cfg, out, &e) < 0) {
        doctor_add(r, DOCTOR_ERROR, "dkim", "%s", e.msg);
        return;
    }
    for (size_t i = 0; i < dkim_nkeys(*out); i++) {
        struct dkim_key_info ki;
        dkim_key_info(*out, i, &ki);
        if (strcmp(ki.type, "rsa") == 0)
            doctor_add(r, ki.bits < 2048 ? DOCTOR_WARNING : DOCTOR_OK, "dkim",
                       "RSA key of %d bits for selector %s, domain %s%s", ki.bits, ki.selector,
                       dkim_signing_domain(*out),
                       ki.bits < 2048 ? ": 2048 bits are recommended" : "");
        else
            doctor_add(r, DOCTOR_OK, "dkim", "Ed25519 key for selector %s, domain %s", ki.selector,
                       dkim_signing_domain(*out));
    }
}

/* --- DNS --- */

int doctor_dkim_txt_match(const char *txt, const char *type, const char *pubkey, char *why,
                          size_t n)
{
    char k[32] = "rsa", v[32] = "", h[128] = "", s[128] = "";
    struct buf p;
    int have_p = 0, rc = 0;

    buf_init(&p, 64 * 1024);
    for (const char *t = txt; *t;) {
        const char *end = strchr(t, ';');
        size_t len = end ? (size_t)(end - t) : strlen(t);
        const char *eq = memchr(t, '=', len);
        if (eq) {
            const char *ns = t, *ne = eq, *vs = eq + 1, *ve = t + len;
            while (ns < ne && isspace((unsigned char)*ns))
                ns++;
            while (ne > ns && isspace((unsigned char)ne[-1]))
                ne--;
            while (vs < ve && isspace((unsigned char)*vs))
                vs++;
            while (ve > vs && isspace((unsigned char)ve[-1]))
                ve--;
            size_t nl = (size_t)(ne - ns), vl = (size_t)(ve - vs);
            char *dst = NULL;
            size_t dn = 0;
            if (nl == 1 && *ns == 'k')
                dst = k, dn = sizeof(k);
            else if (nl == 1 && *ns == 'v')
                dst = v, dn = sizeof(v);
            else if (nl == 1 && *ns == 'h')
                dst = h, dn = sizeof(h);
            else if (nl == 1 && *ns == 's')
                dst = s, dn = sizeof(s);
            else if (nl == 1 && *ns == 'p') {
                have_p = 1;
                for (size_t i = 0; i < vl; i++)
                    if (!isspace((unsigned char)vs[i]) && vs[i] != '"')
                        buf_putc(&p, vs[i]);
            }
            if (dst && snprintf(dst, dn, "%.*s", (int)vl, vs) >= (int)dn)
                dst[0] = '\0';
        }
        t += len + (end ? 1 : 0);
    }
    if (*v && strcmp(v, "DKIM1") != 0)
        snprintf(why, n, "v=%s is not DKIM1", v);
    else if (!have_p)
        snprintf(why, n, "the record has no p= tag");
    else if (p.len == 0)
        snprintf(why, n, "the key is revoked (empty p=)");
    else if (strcasecmp(k, type) != 0)
        snprintf(why, n, "the record is for k=%s, our key is %s", k, type);
    else if (*h && !strstr(h, "sha256"))
        snprintf(why, n, "h=%s does not allow sha256", h);
    else if (*s && !strstr(s, "email") && !strchr(s, '*'))
        snprintf(why, n, "s=%s does not allow email", s);
    else if (strcmp(p.s, pubkey) != 0)
        snprintf(why, n, "p= holds another key");
    else
        rc = 1;
    buf_release(&p);
    return rc;
}

#define MAX_TXT 8

struct dns {
    struct __res_state res;
    int broken;        /* a lookup failed outright: skip the rest */
    char failure[256]; /* why */
};

/* TXT records of name (each record's strings joined) into out[]; *count set. */
struct answers {
    char *txt[MAX_TXT];
    int count;
};

static void answers_release(struct answers *a)
{
    for (int i = 0; i < a->count && i < MAX_TXT; i++)
        free(a->txt[i]);
    memset(a, 0, sizeof(*a));
}

/*
 * Looks up type at name: 1 with the records of that type (TXT texts in a),
 * 0 when there are none (NXDOMAIN, no data), -1 when the lookup failed.
 */
static int dns_lookup(struct dns *d, const char *name, int type, struct answers *a)
{
    unsigned char ans[8192];
    ns_msg msg;
    int len;

    memset(a, 0, sizeof(*a));
    if (d->broken)
        return -1;
    len = res_nquery(&d->res, name, ns_c_in, type, ans, sizeof(ans));
    if (len < 0) {
        int h = d->res.res_h_errno;
        if (h == HOST_NOT_FOUND || h == NO_DATA)
            return 0;
        d->broken = 1;
        snprintf(d->failure, sizeof(d->failure), "%s", hstrerror(h));
        return -1;
    }
    if (ns_initparse(ans, len, &msg) < 0) {
        d->broken = 1;
        snprintf(d->failure, sizeof(d->failure), "malformed answer");
        return -1;
    }
    for (int i = 0; i < ns_msg_count(msg, ns_s_an); i++) {
        ns_rr rr;
        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0 || (int)ns_rr_type(rr) != type)
            continue;
        if (type == ns_t_txt && a->count < MAX_TXT) {
            const unsigned char *p = ns_rr_rdata(rr), *e = p + ns_rr_rdlen(rr);
            struct buf t;
            buf_init(&t, 64 * 1024);
            while (p < e) {
                size_t l = *p++;
                if (l > (size_t)(e - p))
                    l = (size_t)(e - p);
                buf_add(&t, p, l);
                p += l;
            }
            a->txt[a->count] = buf_detach(&t);
        }
        a->count++;
    }
    return a->count > 0;
}

/* The first TXT record of a starting with prefix (case-insensitive), or NULL; *n counts them. */
static const char *txt_with(const struct answers *a, const char *prefix, int *n)
{
    const char *first = NULL;
    *n = 0;
    for (int i = 0; i < a->count && i < MAX_TXT; i++) {
        const char *t = a->txt[i];
        while (*t == ' ')
            t++;
        if (strncasecmp(t, prefix, strlen(prefix)) == 0) {
            if (!first)
                first = a->txt[i];
            (*n)++;
        }
    }
    return first;
}

static void dns_failed(struct dns *d, struct doctor_report *r, const char *what)
{
    doctor_add(r, DOCTOR_WARNING, "dns", "cannot look up %s: DNS lookups fail (%s); not checked",
               what, d->failure);
}

static void check_dkim_dns(struct dns *d, const struct dkim *k, struct doctor_report *r)
{
    for (size_t i = 0; i < dkim_nkeys(k); i++) {
        struct dkim_key_info ki;
        struct answers a;
        char name[600], why[256];
        dkim_key_info(k, i, &ki);
        if (snprintf(name, sizeof(name), "%s._domainkey.%s", ki.selector, dkim_signing_domain(k)) >=
            (int)sizeof(name))
            continue;
        int rc = dns_lookup(d, name, ns_t_txt, &a);
        if (rc < 0) {
            dns_failed(d, r, name);
            continue;
        }
        int found = 0, match = 0;
        why[0] = '\0';
        for (int j = 0; j < a.count && j < MAX_TXT && !match; j++) {
            if (!strstr(a.txt[j], "p="))
                continue;
            found = 1;
            match = doctor_dkim_txt_match(a.txt[j], ki.type, ki.pubkey, why, sizeof(why));
        }
        if (match)
            doctor_add(r, DOCTOR_OK, "dns", "DKIM record %s publishes our %s key", name, ki.type);
        else if (found)
            doctor_add(r, DOCTOR_WARNING, "dns",
                       "DKIM record %s does not match our key: %s; publish \"v=DKIM1; k=%s; "
                       "p=%s\"",
                       name, why, ki.type, ki.pubkey);
        else
            doctor_add(r, DOCTOR_WARNING, "dns",
                       "no DKIM record at %s: publish the TXT record \"v=DKIM1; k=%s; p=%s\"", name,
                       ki.type, ki.pubkey);
        answers_release(&a);
    }
}

static void check_spf_dmarc(struct dns *d, const char *domain, struct doctor_report *r)
{
    struct answers a;
    char name[600];
    int n;

    int rc = dns_lookup(d, domain, ns_t_txt, &a);
    if (rc < 0)
        dns_failed(d, r, domain);
    else {
        const char *spf = txt_with(&a, "v=spf1", &n);
        if (spf == NULL)
            doctor_add(r, DOCTOR_WARNING, "dns",
                       "no SPF record for %s: publish a TXT record \"v=spf1 ...\" naming your "
                       "relay (Gmail, Yahoo and Outlook require SPF for bulk mail)",
                       domain);
        else if (n > 1)
            doctor_add(r, DOCTOR_WARNING, "dns",
                       "%d SPF records for %s: SPF fails with more than one", n, domain);
        else
            doctor_add(r, DOCTOR_OK, "dns", "SPF for %s: %s", domain, spf);
    }
    answers_release(&a);
    /* DMARC at the From domain, else at its parent (the organizational domain, roughly) */
    const char *at = domain;
    for (int tries = 0; tries < 2 && at; tries++) {
        if (snprintf(name, sizeof(name), "_dmarc.%s", at) >= (int)sizeof(name))
            return;
        rc = dns_lookup(d, name, ns_t_txt, &a);
        if (rc < 0) {
            dns_failed(d, r, name);
            return;
        }
        const char *dm = txt_with(&a, "v=DMARC1", &n);
        if (dm) {
            const char *p = strstr(dm, "p=");
            while (p && p > dm && p[-1] != ';' && p[-1] != ' ' && p[-1] != '\t')
                p = strstr(p + 1, "p=");
            if (p)
                doctor_add(r, DOCTOR_OK, "dns", "DMARC for %s: %s", domain, dm);
            else
                doctor_add(r, DOCTOR_WARNING, "dns",
                           "DMARC record %s has no policy: add p=none at least", name);
            answers_release(&a);
            return;
        }
        answers_release(&a);
        const char *dot = strchr(at, '.');
        at = dot && strchr(dot + 1, '.') ? dot + 1 : NULL;
    }
    doctor_add(r, DOCTOR_WARNING, "dns",
               "no DMARC record for %s: publish \"v=DMARC1; p=none\" at _dmarc.%s at least", domain,
               domain);
}

/* 1 when host is an IP literal or localhost (nothing to look up). */
static int host_is_literal(const char *host)
{
    unsigned char tmp[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1 ||
           strcasecmp(host, "localhost") == 0;
}

static void check_reachable(struct dns *d, const char *what, const char *host, int mx,
                            struct doctor_report *r)
{
    struct answers a;
    int rc = 0;

    memset(&a, 0, sizeof(a));
    if (host_is_literal(host)) {
        doctor_add(r, DOCTOR_OK, "dns", "%s host %s is an address: no lookup needed", what, host);
        return;
    }
    if (mx && (rc = dns_lookup(d, host, ns_t_mx, &a)) > 0) {
        doctor_add(r, DOCTOR_OK, "dns", "%s domain %s has MX records", what, host);
        answers_release(&a);
        return;
    }
    answers_release(&a);
    if (rc >= 0)
        rc = dns_lookup(d, host, ns_t_a, &a);
    if (rc > 0)
        doctor_add(r, DOCTOR_OK, "dns", "%s host %s has an address", what, host);
    else if (rc == 0 && (rc = dns_lookup(d, host, ns_t_aaaa, &a)) > 0)
        doctor_add(r, DOCTOR_OK, "dns", "%s host %s has an IPv6 address", what, host);
    else if (rc == 0)
        doctor_add(r, DOCTOR_WARNING, "dns",
                   "%s %s %s has no %s record: unsubscribes cannot reach it", what,
                   mx ? "domain" : "host", host, mx ? "MX or A" : "A or AAAA");
    else
        dns_failed(d, r, host);
    answers_release(&a);
}

/* The host of an http(s) URL into out ("" when none). */
static void url_host(const char *url, char *out, size_t n)
{
    const char *p = strstr(url, "://");
    size_t len;

    out[0] = '\0';
    if (p == NULL)
        return;
    p += 3;
    if (*p == '[') {
        p++;
        len = strcspn(p, "]");
    } else
        len = strcspn(p, ":/?#");
    if (len < n) {
        memcpy(out, p, len);
        out[len] = '\0';
    }
}

void doctor_check_dns(const struct config *cfg, const struct dkim *k, struct doctor_report *r)
{
    struct dns d;
    char host[256];
    const char *srv = getenv("MAILOUT_DNS_SERVER");

    memset(&d, 0, sizeof(d));
    if (res_ninit(&d.res) != 0) {
        doctor_add(r, DOCTOR_WARNING, "dns", "no DNS resolver configured: DNS records not checked");
        return;
    }
    d.res.retrans = 2; /* seconds per try */
    d.res.retry = 1;
    if (srv && *srv) {
        char ip[64], port[16];
        struct sockaddr_in sa;
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        if (split_hostport(srv, ip, sizeof(ip), port, sizeof(port)) == 0 &&
            inet_pton(AF_INET, ip, &sa.sin_addr) == 1) {
            sa.sin_port = htons((unsigned short)strtol(port, NULL, 10));
            d.res.nsaddr_list[0] = sa;
            d.res.nscount = 1;
        }
    }
    if (k)
        check_dkim_dns(&d, k, r);
    if (*cfg->from_addr)
        check_spf_dmarc(&d, domain_of(cfg->from_addr), r);
    url_host(cfg->base_url, host, sizeof(host));
    if (*host)
        check_reachable(&d, "base_url", host, 0, r);
    if (*cfg->unsubscribe_mailto) {
        const char *dom = domain_of(cfg->unsubscribe_mailto);
        if (*dom)
            check_reachable(&d, "unsubscribe_mailto", dom, 1, r);
    }
    res_nclose(&d.res);
}
