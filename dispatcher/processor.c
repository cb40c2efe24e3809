/*
 * processor.c - the processor register (R-GDPR-13) and the residency rule
 * (R-GDPR-15): adding, listing and removing third parties, and the one check
 * every sender (dispatch, campaign send, the confirmation sender, the webhook
 * deliverer) makes before it hands data to a host.
 *
 * It does not print, parse argv or render ROPA/privacy pages (cli_processor.c
 * and the ROPA module read the same tables).
 */
#include "processor.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "address.h"
#include "audit.h"
#include "buf.h"
#include "queries.h"
#include "utf8.h"
#include "xalloc.h"

/* --- pure parts ------------------------------------------------------------ */

/* 1 when s is a host name of ASCII labels (already lower-case). */
static int ascii_hostname(const char *s, char *why, size_t whyn)
{
    size_t n = strlen(s), label = 0;
    const char *last = s;

    if (n == 0 || n > 253) {
        snprintf(why, whyn, "a host name is 1 to 253 characters");
        return 0;
    }
    for (const char *p = s;; p++) {
        if (*p == '.' || *p == '\0') {
            if (label == 0 || label > 63) {
                snprintf(why, whyn, "each label of a host name is 1 to 63 characters");
                return 0;
            }
            if (p[-1] == '-' || *last == '-') {
                snprintf(why, whyn, "a label may not start or end with a hyphen");
                return 0;
            }
            if (*p == '\0')
                break;
            label = 0;
            last = p + 1;
            continue;
        }
        if (!(isdigit((unsigned char)*p) || (*p >= 'a' && *p <= 'z') || *p == '-')) {
            snprintf(why, whyn,
                     "expected a host name (letters, digits, hyphens, dots) or an IP "
                     "address, without port or scheme");
            return 0;
        }
        label++;
    }
    /* "1.2.3" is no IP address and no host name either */
    int digits = 1;
    for (const char *p = last; *p; p++)
        if (!isdigit((unsigned char)*p))
            digits = 0;
    if (digits) {
        snprintf(why, whyn, "not an IP address, and a host name's last label is not all digits");
        return 0;
    }
    return 1;
}

int processor_host_norm(const char *in, char *out, size_t n, char *why, size_t whyn)
{
    char tmp[PROCESSOR_HOST_MAX + 8];
    size_t len = strlen(in);
    struct in_addr a4;
    struct in6_addr a6;

    if (len == 0) {
        snprintf(why, whyn, "empty host");
        return -1;
    }
    if (len >= sizeof(tmp) - 1) {
        snprintf(why, whyn, "a host name is at most 253 characters");
        return -1;
    }
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) {
            snprintf(why, whyn, "control characters are not allowed");
            return -1;
        }
    if (!utf8_valid(in, len)) {
        snprintf(why, whyn, "not valid UTF-8");
        return -1;
    }
    memcpy(tmp, in, len + 1);
    if (tmp[0] == '[') {
        if (tmp[len - 1] != ']' || len < 3) {
            snprintf(why, whyn, "an IPv6 address in brackets is expected");
            return -1;
        }
        tmp[len - 1] = '\0';
        memmove(tmp, tmp + 1, len - 1);
        if (inet_pton(AF_INET6, tmp, &a6) != 1) {
            snprintf(why, whyn, "not an IPv6 address");
            return -1;
        }
    }
    if (inet_pton(AF_INET, tmp, &a4) == 1) {
        if (inet_ntop(AF_INET, &a4, out, (socklen_t)n) == NULL)
            goto small;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, &a6) == 1) {
        if (inet_ntop(AF_INET6, &a6, out, (socklen_t)n) == NULL)
            goto small;
        return 0;
    }
    len = strlen(tmp);
    if (len > 1 && tmp[len - 1] == '.')
        tmp[--len] = '\0';
    int ascii = 1;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)tmp[i] >= 0x80)
            ascii = 0;
        else
            tmp[i] = (char)tolower((unsigned char)tmp[i]);
    }
    if (!ascii) {
        /* IDNA through the address rules: "x@HOST" -> "x@A-LABELS" */
        struct buf b;
        struct mo_err e;
        char *norm = NULL;
        buf_init(&b, 0);
        buf_printf(&b, "x@%s", tmp);
        mo_err_init(&e);
        int rc = address_normalize(b.s, &norm, &e);
        buf_release(&b);
        if (rc < 0) {
            snprintf(why, whyn, "not a valid international host name");
            return -1;
        }
        snprintf(tmp, sizeof(tmp), "%s", norm + 2);
        free(norm);
    }
    if (!ascii_hostname(tmp, why, whyn))
        return -1;
    if (strlen(tmp) >= n)
        goto small;
    memcpy(out, tmp, strlen(tmp) + 1);
    return 0;
small:
    snprintf(why, whyn, "host too long");
    return -1;
}

int processor_residency_check(const char *residency, const char *country, const char *kind,
                              const char *mechanism, char *why, size_t whyn)
{
    if (residency == NULL || strcmp(residency, "eu") != 0)
        return 0;
    if (country == NULL || *country == '\0') {
        snprintf(why, whyn,
                 "no country recorded and residency = eu: record where the data is "
                 "processed (--country)");
        return -1;
    }
    if (mechanism && *mechanism == '\0')
        mechanism = NULL;
    if (mechanism && strcmp(mechanism, "dpf") == 0 && strcmp(country, "US") != 0) {
        snprintf(why, whyn,
                 "the Data Privacy Framework (--mechanism dpf) covers only recipients in the US, "
                 "not %s",
                 country);
        return -1;
    }
    if (mechanism && strcmp(mechanism, "adequacy") == 0 &&
        (kind == NULL || strcmp(kind, "adequacy") != 0)) {
        if (kind && strcmp(kind, "eea") == 0)
            snprintf(why, whyn,
                     "%s is in the EEA: there is no transfer and no adequacy decision "
                     "to record (leave out --mechanism)",
                     country);
        else
            snprintf(why, whyn,
                     "%s has no adequacy decision of the Commission: record a safeguard "
                     "(--mechanism %s)",
                     country, kind && strcmp(kind, "dpf") == 0 ? "dpf|scc|bcr" : "scc|bcr");
        return -1;
    }
    if (kind && (strcmp(kind, "eea") == 0 || strcmp(kind, "adequacy") == 0))
        return 0;
    if (kind && strcmp(kind, "dpf") == 0) {
        if (mechanism)
            return 0;
        snprintf(why, whyn,
                 "%s is outside the EEA and residency = eu: record a transfer mechanism "
                 "(--mechanism dpf|scc|bcr)",
                 country);
        return -1;
    }
    if (mechanism && (strcmp(mechanism, "scc") == 0 || strcmp(mechanism, "bcr") == 0))
        return 0;
    snprintf(why, whyn,
             "%s is outside the EEA without an adequacy decision and residency = eu: record a "
             "transfer mechanism (--mechanism scc|bcr)",
             country);
    return -1;
}

/* --- helpers ----------------------------------------------------------------- */

/* "host" of "host:port" (brackets kept for IPv6), into out. */
static void relay_host(const char *relay, char *out, size_t n)
{
    const char *colon = strrchr(relay, ':');
    size_t len = colon ? (size_t)(colon - relay) : strlen(relay);
    if (len >= n)
        len = n - 1;
    memcpy(out, relay, len);
    out[len] = '\0';
}

/* The host of a URL (brackets kept for IPv6), "" when none. */
static void webhook_host(const char *url, char *out, size_t n)
{
    CURLU *u = curl_url();
    char *host = NULL;

    out[0] = '\0';
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        snprintf(out, n, "%s", host);
    curl_free(host);
    curl_url_cleanup(u);
}

/* The URL without user, password, query and fragment (secrets stay out of exports). */
static json_t *url_public(const char *url)
{
    CURLU *u = curl_url();
    char *out = NULL;
    json_t *j = NULL;

    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &out, 0) == CURLUE_OK)
        j = json_string(out);
    curl_free(out);
    curl_url_cleanup(u);
    return j ? j : json_null();
}

/* A value for a message: control characters escaped, shortened. */
static const char *shown(const char *s, char *out, size_t n)
{
    struct buf b;
    buf_init(&b, 0);
    buf_put_shown(&b, s, strlen(s), 80);
    snprintf(out, n, "%s", b.s);
    buf_release(&b);
    return out;
}

/* A free-text option: at most max bytes, UTF-8, no control characters. */
static int check_text(const char *opt, const char *v, size_t min, size_t max, struct mo_err *err)
{
    char sv[160];
    size_t n = strlen(v);

    if (n < min || n > max)
        return mo_err_set(err, MO_E_INPUT, "invalid %s '%s': expected %zu to %zu bytes", opt,
                          shown(v, sv, sizeof(sv)), min, max);
    if (!utf8_valid(v, n))
        return mo_err_set(err, MO_E_INPUT, "invalid %s '%s': not valid UTF-8", opt,
                          shown(v, sv, sizeof(sv)));
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid %s '%s': control characters are not allowed", opt,
                              shown(v, sv, sizeof(sv)));
    return 0;
}

/* Splits and normalises HOST[,HOST...] into a PostgreSQL array literal and a JSON array. */
static int parse_hosts(const char *list, struct buf *arr, json_t *hosts, struct mo_err *err)
{
    char sv[160], why[200], out[PROCESSOR_HOST_MAX + 1];
    const char *p = list;

    if (strlen(list) > 4000)
        return mo_err_set(err, MO_E_INPUT, "invalid --host: at most 4000 bytes");
    buf_putc(arr, '{');
    for (;;) {
        size_t len = strcspn(p, ",");
        char *one = xstrndup(p, len);
        char *s = one;
        while (*s == ' ')
            s++;
        for (size_t k = strlen(s); k > 0 && s[k - 1] == ' '; k--)
            s[k - 1] = '\0';
        if (processor_host_norm(s, out, sizeof(out), why, sizeof(why)) < 0) {
            mo_err_set(err, MO_E_INPUT, "invalid --host '%s': %s", shown(s, sv, sizeof(sv)), why);
            free(one);
            return -1;
        }
        free(one);
        for (size_t i = 0; i < json_array_size(hosts); i++)
            if (strcmp(json_string_value(json_array_get(hosts, i)), out) == 0)
                return mo_err_set(err, MO_E_INPUT, "invalid --host: '%s' given twice", out);
        if (json_array_size(hosts) >= 64)
            return mo_err_set(err, MO_E_INPUT, "invalid --host: at most 64 hosts");
        if (json_array_size(hosts) > 0)
            buf_putc(arr, ',');
        /* normalised hosts hold only [a-z0-9.:-]: no quoting needed */
        buf_puts(arr, out);
        json_array_append_new(hosts, json_string(out));
        if (p[len] == '\0')
            break;
        p += len + 1;
    }
    buf_putc(arr, '}');
    return 0;
}

/* The adequacy kind of a country, into kind ("" when it has none). */
static int country_kind(struct db *db, const char *country, char *kind, size_t n,
                        struct mo_err *err)
{
    const char *p[] = {country};
    PGresult *r = db_exec(db, Q_PROC_COUNTRY_KIND, p, 1, err);

    if (r == NULL)
        return -1;
    snprintf(kind, n, "%s", PQntuples(r) ? db_val(r, 0, "kind") : "");
    PQclear(r);
    return 0;
}

/* --- use cases ------------------------------------------------------------------ */

int processor_add(struct db *db, const struct config *cfg, const char *actor,
                  const struct processor_spec *spec, struct mo_err *err)
{
    char country[3], kind[16], why[300], sv[160];
    struct buf arr;
    json_t *hosts;
    PGresult *r;

    if (check_text("name", spec->name, 1, 200, err) < 0)
        return -1;
    if (spec->role == NULL ||
        (strcmp(spec->role, "processor") != 0 && strcmp(spec->role, "controller") != 0))
        return mo_err_set(err, MO_E_INPUT, "invalid --role '%s': expected processor or controller",
                          shown(spec->role ? spec->role : "", sv, sizeof(sv)));
    if (spec->country == NULL || strlen(spec->country) != 2 ||
        !isalpha((unsigned char)spec->country[0]) || !isalpha((unsigned char)spec->country[1]) ||
        ((unsigned char)spec->country[0] | (unsigned char)spec->country[1]) >= 0x80)
        return mo_err_set(err, MO_E_INPUT,
                          "invalid --country '%s': expected an ISO 3166-1 alpha-2 code such as DE",
                          shown(spec->country ? spec->country : "", sv, sizeof(sv)));
    country[0] = (char)toupper((unsigned char)spec->country[0]);
    country[1] = (char)toupper((unsigned char)spec->country[1]);
    country[2] = '\0';
    if (spec->mechanism && strcmp(spec->mechanism, "adequacy") != 0 &&
        strcmp(spec->mechanism, "dpf") != 0 && strcmp(spec->mechanism, "scc") != 0 &&
        strcmp(spec->mechanism, "bcr") != 0)
        return mo_err_set(err, MO_E_INPUT,
                          "invalid --mechanism '%s': expected adequacy, dpf, scc or bcr",
                          shown(spec->mechanism, sv, sizeof(sv)));
    if (spec->dpa && check_text("--dpa", spec->dpa, 1, 500, err) < 0)
        return -1;
    if (spec->purpose && check_text("--purpose", spec->purpose, 1, 500, err) < 0)
        return -1;
    if (spec->hosts == NULL)
        return mo_err_set(err, MO_E_USAGE, "processor add needs --host HOST[,HOST...]");
    buf_init(&arr, 0);
    hosts = json_array();
    if (parse_hosts(spec->hosts, &arr, hosts, err) < 0)
        goto fail_nodb;
    if (db_begin(db, err) < 0)
        goto fail_nodb;
    if (country_kind(db, country, kind, sizeof(kind), err) < 0)
        goto fail;
    if (processor_residency_check(cfg->residency, country, *kind ? kind : NULL, spec->mechanism,
                                  why, sizeof(why)) < 0) {
        mo_err_set(err, MO_E_INPUT, "processor add: %s", why);
        goto fail;
    }
    /* one writer at a time: a host belongs to one processor */
    if (db_run(db, Q_PROC_LOCK, NULL, 0, err) < 0)
        goto fail;
    {
        const char *p[] = {spec->name};
        if ((r = db_exec(db, Q_PROC_GET, p, 1, err)) == NULL)
            goto fail;
        int exists = PQntuples(r) > 0;
        PQclear(r);
        if (exists) {
            mo_err_set(err, MO_E_CONFLICT, "processor '%s' exists: remove it first to change it",
                       shown(spec->name, sv, sizeof(sv)));
            goto fail;
        }
    }
    {
        const char *p[] = {arr.s};
        if ((r = db_exec(db, Q_PROC_HOST_TAKEN, p, 1, err)) == NULL)
            goto fail;
        if (PQntuples(r) > 0) {
            mo_err_set(err, MO_E_CONFLICT, "invalid --host '%s': it belongs to processor '%s'",
                       db_val(r, 0, "host"), shown(db_val(r, 0, "name"), sv, sizeof(sv)));
            PQclear(r);
            goto fail;
        }
        PQclear(r);
    }
    {
        const char *p[] = {spec->name, spec->role,      country,       arr.s,
                           spec->dpa,  spec->mechanism, spec->purpose, actor};
        if ((r = db_exec(db, Q_PROC_INSERT, p, 8, err)) == NULL)
            goto fail;
        PQclear(r);
    }
    json_t *detail = json_pack("{s:s, s:s, s:s, s:O, s:s?, s:s?}", "name", spec->name, "role",
                               spec->role, "country", country, "hosts", hosts, "mechanism",
                               spec->mechanism, "dpa", spec->dpa);
    if (audit_append_json(db, actor, "processor.add", spec->name, detail, err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    buf_release(&arr);
    json_decref(hosts);
    return 0;
fail:
    db_rollback(db);
fail_nodb:
    buf_release(&arr);
    json_decref(hosts);
    return -1;
}

/* 1 when the normalised host h is a relay or the webhook host of cfg. */
static int host_in_use(const struct config *cfg, const char *h, const char **what)
{
    char raw[PROCESSOR_HOST_MAX + 8], out[PROCESSOR_HOST_MAX + 1], why[200];

    if (cfg->transport_kind == TRANSPORT_SMTP)
        for (size_t i = 0; i < cfg->nrelays; i++) {
            relay_host(cfg->relays[i], raw, sizeof(raw));
            if (processor_host_norm(raw, out, sizeof(out), why, sizeof(why)) == 0 &&
                strcmp(out, h) == 0) {
                *what = "an SMTP relay (transport)";
                return 1;
            }
        }
    if (*cfg->webhook_url) {
        webhook_host(cfg->webhook_url, raw, sizeof(raw));
        if (*raw && processor_host_norm(raw, out, sizeof(out), why, sizeof(why)) == 0 &&
            strcmp(out, h) == 0) {
            *what = "the webhook host (webhook_url)";
            return 1;
        }
    }
    return 0;
}

int processor_remove(struct db *db, const struct config *cfg, const char *actor, const char *name,
                     struct mo_err *err)
{
    char sv[160];
    const char *p[] = {name};
    PGresult *r;

    if (db_begin(db, err) < 0)
        return -1;
    if (db_run(db, Q_PROC_LOCK, NULL, 0, err) < 0 ||
        (r = db_exec(db, Q_PROC_GET, p, 1, err)) == NULL)
        goto fail;
    if (PQntuples(r) == 0) {
        PQclear(r);
        mo_err_set(err, MO_E_NOTFOUND, "unknown processor '%s'", shown(name, sv, sizeof(sv)));
        goto fail;
    }
    json_t *hosts = json_loads(db_val(r, 0, "hosts"), 0, NULL);
    PQclear(r);
    for (size_t i = 0; i < json_array_size(hosts); i++) {
        const char *h = json_string_value(json_array_get(hosts, i)), *what = "";
        if (h && host_in_use(cfg, h, &what)) {
            mo_err_set(err, MO_E_CONFLICT,
                       "processor remove: '%s' operates %s, host '%s': change the configuration "
                       "first",
                       shown(name, sv, sizeof(sv)), what, h);
            json_decref(hosts);
            goto fail;
        }
    }
    if (db_run(db, Q_PROC_DELETE, p, 1, err) < 0) {
        json_decref(hosts);
        goto fail;
    }
    if (audit_append_json(
            db, actor, "processor.remove", name,
            json_pack("{s:s, s:o}", "name", name, "hosts", hosts ? hosts : json_array()),
            err) < 0 ||
        db_commit(db, err) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    return -1;
}

static json_t *str_or_null(const PGresult *r, int row, const char *col)
{
    return db_isnull(r, row, col) ? json_null() : json_string(db_val(r, row, col));
}

json_t *processor_list(struct db *db, const struct config *cfg, const char *name,
                       struct mo_err *err)
{
    const char *p[] = {name};
    char why[300], sv[160];
    PGresult *r = db_exec(db, Q_PROC_LIST, p, 1, err);
    json_t *a;

    if (r == NULL)
        return NULL;
    if (name && PQntuples(r) == 0) {
        PQclear(r);
        mo_err_set(err, MO_E_NOTFOUND, "unknown processor '%s'", shown(name, sv, sizeof(sv)));
        return NULL;
    }
    a = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *hosts = json_loads(db_val(r, i, "hosts"), 0, NULL);
        int ok = processor_residency_check(
                     cfg->residency, db_isnull(r, i, "country") ? NULL : db_val(r, i, "country"),
                     db_isnull(r, i, "kind") ? NULL : db_val(r, i, "kind"),
                     db_isnull(r, i, "mechanism") ? NULL : db_val(r, i, "mechanism"), why,
                     sizeof(why)) == 0;
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:b, s:o}", "name",
                         db_val(r, i, "name"), "role", db_val(r, i, "role"), "country",
                         str_or_null(r, i, "country"), "hosts", hosts ? hosts : json_array(), "dpa",
                         str_or_null(r, i, "dpa"), "mechanism", str_or_null(r, i, "mechanism"),
                         "purpose", str_or_null(r, i, "purpose"), "adequacy",
                         str_or_null(r, i, "kind"), "created_at", db_val(r, i, "created_at"),
                         "created_by", db_val(r, i, "created_by"), "residency_ok", ok,
                         "residency_problem", ok ? json_null() : json_string(why)));
    }
    PQclear(r);
    return a;
}

/* --- the check before sending ------------------------------------------------------ */

int processor_check_host(struct db *db, const struct config *cfg, const char *what,
                         const char *host, struct mo_err *err)
{
    char out[PROCESSOR_HOST_MAX + 1], why[300], sv[160];
    PGresult *r;

    if (config_host_is_loopback(host))
        return 0;
    if (processor_host_norm(host, out, sizeof(out), why, sizeof(why)) < 0)
        return mo_err_set(err, MO_E_UNAVAILABLE, "%s host '%s' cannot be checked: %s", what,
                          shown(host, sv, sizeof(sv)), why);
    const char *p[] = {out};
    if ((r = db_exec(db, Q_PROC_BY_HOST, p, 1, err)) == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return mo_err_set(err, MO_E_UNAVAILABLE,
                          "%s host '%s' belongs to no registered processor: nothing is sent to "
                          "it until it is registered (mailout processor add NAME --role ROLE "
                          "--country CC --host %s)",
                          what, out, out);
    }
    int rc = processor_residency_check(
        cfg->residency, db_isnull(r, 0, "country") ? NULL : db_val(r, 0, "country"),
        db_isnull(r, 0, "kind") ? NULL : db_val(r, 0, "kind"),
        db_isnull(r, 0, "mechanism") ? NULL : db_val(r, 0, "mechanism"), why, sizeof(why));
    if (rc < 0)
        mo_err_set(err, MO_E_UNAVAILABLE, "%s host '%s' (processor '%s') is refused: %s", what, out,
                   shown(db_val(r, 0, "name"), sv, sizeof(sv)), why);
    PQclear(r);
    return rc;
}

int processor_check_relays(struct db *db, const struct config *cfg, struct mo_err *err)
{
    char host[PROCESSOR_HOST_MAX + 8];

    if (cfg->transport_kind != TRANSPORT_SMTP)
        return 0;
    for (size_t i = 0; i < cfg->nrelays; i++) {
        relay_host(cfg->relays[i], host, sizeof(host));
        if (processor_check_host(db, cfg, "SMTP relay", host, err) < 0)
            return -1;
    }
    return 0;
}

int processor_check_webhook(struct db *db, const struct config *cfg, struct mo_err *err)
{
    char host[PROCESSOR_HOST_MAX + 8];

    if (!*cfg->webhook_url)
        return 0;
    webhook_host(cfg->webhook_url, host, sizeof(host));
    if (*host == '\0')
        return mo_err_set(err, MO_E_UNAVAILABLE, "webhook_url has no host");
    return processor_check_host(db, cfg, "webhook", host, err);
}

void processor_doctor(struct db *db, const struct config *cfg, struct doctor_report *r)
{
    char host[PROCESSOR_HOST_MAX + 8];
    struct mo_err e;
    int problems = 0;
    PGresult *q;

    /* without the schema, the migrations finding says what to do */
    mo_err_init(&e);
    if ((q = db_exec(db, Q_PROC_TABLE, NULL, 0, &e)) == NULL)
        return;
    int present = db_bool(q, 0, "present");
    PQclear(q);
    if (!present)
        return;
    if (cfg->transport_kind == TRANSPORT_SMTP)
        for (size_t i = 0; i < cfg->nrelays; i++) {
            mo_err_init(&e);
            relay_host(cfg->relays[i], host, sizeof(host));
            if (processor_check_host(db, cfg, "SMTP relay", host, &e) < 0) {
                doctor_add(r, DOCTOR_ERROR, "processors", "%s", e.msg);
                problems++;
            }
        }
    if (*cfg->webhook_url) {
        mo_err_init(&e);
        if (processor_check_webhook(db, cfg, &e) < 0) {
            doctor_add(r, DOCTOR_ERROR, "processors", "%s", e.msg);
            problems++;
        }
    }
    mo_err_init(&e);
    json_t *all = processor_list(db, cfg, NULL, &e);
    if (all == NULL) {
        doctor_add(r, DOCTOR_ERROR, "processors", "cannot read the processors: %s", e.msg);
        return;
    }
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
    {
        if (!json_is_true(json_object_get(p, "residency_ok"))) {
            doctor_add(r, DOCTOR_ERROR, "processors", "processor '%s' breaks residency = %s: %s",
                       json_string_value(json_object_get(p, "name")), cfg->residency,
                       json_string_value(json_object_get(p, "residency_problem")));
            problems++;
        }
    }
    if (problems == 0)
        doctor_add(r, DOCTOR_OK, "processors",
                   "every relay and webhook host is registered; %zu processor%s, residency = %s",
                   json_array_size(all), json_array_size(all) == 1 ? "" : "s", cfg->residency);
    json_decref(all);
}

/* --- export -------------------------------------------------------------------------- */

/* The registered processor (from all) that has normalised host h, or NULL. */
static json_t *owner_of(json_t *all, const char *raw)
{
    char out[PROCESSOR_HOST_MAX + 1], why[200];
    size_t i, k;
    json_t *p, *h;

    if (processor_host_norm(raw, out, sizeof(out), why, sizeof(why)) < 0)
        return NULL;
    json_array_foreach(all, i, p)
    {
        json_array_foreach(json_object_get(p, "hosts"), k, h)
        {
            if (strcmp(json_string_value(h), out) == 0)
                return p;
        }
    }
    return NULL;
}

/* Copies the processor's facts (or the controller's own, for NULL) into e. */
static void facts(json_t *e, json_t *p, const struct config *cfg)
{
    static const char *const keys[] = {"name", "role", "country", "mechanism", "dpa"};
    if (p == NULL) {
        json_object_set_new(e, "name",
                            json_string(*cfg->legal_entity ? cfg->legal_entity : "the controller"));
        json_object_set_new(e, "role", json_string("own infrastructure (loopback)"));
        json_object_set_new(e, "country", json_null());
        json_object_set_new(e, "mechanism", json_null());
        json_object_set_new(e, "dpa", json_null());
        return;
    }
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        json_object_set(e, keys[i], json_object_get(p, keys[i]));
    json_object_set(e, "processor_purpose", json_object_get(p, "purpose"));
    json_object_set_new(e, "registered", json_true());
}

json_t *processor_recipients(struct db *db, const struct config *cfg, struct mo_err *err)
{
    char host[PROCESSOR_HOST_MAX + 8];
    json_t *all = processor_list(db, cfg, NULL, err), *a, *used;

    if (all == NULL)
        return NULL;
    a = json_array();
    used = json_object(); /* names already listed */
    if (*cfg->webhook_url) {
        webhook_host(cfg->webhook_url, host, sizeof(host));
        json_t *p = config_host_is_loopback(host) ? NULL : owner_of(all, host);
        json_t *e = json_pack("{s:s, s:o, s:s, s:s}", "recipient", "crm_webhook", "url",
                              url_public(cfg->webhook_url), "what",
                              "consent changes (confirmed, withdrawn, objected, paused, erased, "
                              "suppressed) with the contact id and address",
                              "purpose", "keep the CRM's marketing permissions in step");
        json_object_set_new(e, "host", json_string(host));
        facts(e, p, cfg);
        if (p)
            json_object_set_new(used, json_string_value(json_object_get(p, "name")), json_true());
        json_array_append_new(a, e);
    }
    if (cfg->transport_kind == TRANSPORT_SMTP) {
        /* one entry per processor, in the order of the relays; loopback ones together */
        json_t *groups = json_array();
        for (size_t i = 0; i < cfg->nrelays; i++) {
            relay_host(cfg->relays[i], host, sizeof(host));
            json_t *p = config_host_is_loopback(host) ? NULL : owner_of(all, host), *g = NULL;
            size_t k;
            json_t *x;
            json_array_foreach(groups, k, x)
            {
                if (json_object_get(x, "p") == (p ? p : json_null()))
                    g = x;
            }
            if (g == NULL) {
                g = json_pack("{s:O, s:[]}", "p", p ? p : json_null(), "hosts");
                json_array_append_new(groups, g);
            }
            json_array_append_new(json_object_get(g, "hosts"), json_string(cfg->relays[i]));
        }
        size_t k;
        json_t *g;
        json_array_foreach(groups, k, g)
        {
            json_t *p = json_object_get(g, "p");
            if (json_is_null(p))
                p = NULL;
            json_t *e = json_pack("{s:s, s:O, s:s, s:s}", "recipient", "smtp_relay", "hosts",
                                  json_object_get(g, "hosts"), "what",
                                  "the address and the messages sent to it", "purpose",
                                  "deliver the mail (processor)");
            facts(e, p, cfg);
            if (p)
                json_object_set_new(used, json_string_value(json_object_get(p, "name")),
                                    json_true());
            json_array_append_new(a, e);
        }
        json_decref(groups);
    }
    size_t i;
    json_t *p;
    json_array_foreach(all, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        if (json_object_get(used, name))
            continue;
        json_t *e =
            json_pack("{s:s, s:O, s:O}", "recipient", "other", "hosts", json_object_get(p, "hosts"),
                      "purpose", json_object_get(p, "purpose"));
        facts(e, p, cfg);
        json_array_append_new(a, e);
    }
    json_decref(used);
    json_decref(all);
    return a;
}
