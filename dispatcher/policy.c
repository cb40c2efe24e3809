/*
 * policy.c - the jurisdiction policies as data: checking a country, a key
 * and its value against one table of keys, showing the rows and setting one
 * value (audited).  It does not decide anything about a recipient: the
 * engine reads table policy in its own set-based SQL.
 *
 * The key table below is the whole list of what `policy set` may change;
 * the SQL in queries.c (Q_POLICY_*) names the same columns.  The key is
 * checked against this table before it reaches the database, where it is
 * only ever a parameter.
 */
#include "policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "utf8.h"
#include "xalloc.h"

enum policy_type { POLICY_INT, POLICY_BOOL, POLICY_TEXT, POLICY_ENUM };

struct policy_key {
    const char *name;
    enum policy_type type;
    long min, max;   /* POLICY_INT: the range; POLICY_TEXT: length in characters */
    const char *why; /* appended to the range in errors, or NULL; POLICY_ENUM: "a|b", the values */
};

/* In display order; the columns of table policy (sql/0005, sql/0010). */
static const struct policy_key keys[] = {
    {"consent_age", POLICY_INT, 13, 18, "GDPR Art. 8"},
    {"existing_customer_months", POLICY_INT, 0, 24,
     "RULES.md 10.3: the existing-customer window is never lengthened beyond 24 months; 0: no "
     "existing-customer exception"},
    {"inquiry_months", POLICY_INT, 0, 6, NULL},
    {"opt_out_regime", POLICY_BOOL, 0, 1, NULL},
    {"double_opt_in", POLICY_BOOL, 0, 1, NULL},
    {"consent_lapse_months", POLICY_INT, 0, 120, "0: never"},
    {"frequency_cap_day", POLICY_INT, 0, 2147483647, "0: no cap"},
    {"frequency_cap_week", POLICY_INT, 0, 2147483647, "0: no cap"},
    {"frequency_cap_month", POLICY_INT, 0, 2147483647, "0: no cap"},
    {"opt_out_label", POLICY_TEXT, 1, 200, NULL},
    {"charity_soft_opt_in", POLICY_BOOL, 0, 1, NULL},
    /* issue 10: h-web (RULES.md 10.1) */
    {"one_click_scope", POLICY_ENUM, 0, 0, "topic|all"},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const key_names[] = {"consent_age",
                                        "existing_customer_months",
                                        "inquiry_months",
                                        "opt_out_regime",
                                        "double_opt_in",
                                        "consent_lapse_months",
                                        "frequency_cap_day",
                                        "frequency_cap_week",
                                        "frequency_cap_month",
                                        "opt_out_label",
                                        "charity_soft_opt_in",
                                        "one_click_scope",
                                        NULL};

/* ISO 3166-1 alpha-2, the officially assigned codes, plus XK (Kosovo). */
static const char iso3166[] =
    "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ"
    "CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFR"
    "GAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJP"
    "KEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMT"
    "MUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURW"
    "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZUAUG"
    "UMUSUYUZVAVCVEVGVIVNVUWFWSXKYEYTZAZMZW";

const char *const *policy_key_names(void)
{
    return key_names;
}

static const struct policy_key *key_find(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int iso3166_known(const char c[3])
{
    for (size_t i = 0; i + 1 < sizeof(iso3166); i += 2)
        if (iso3166[i] == c[0] && iso3166[i + 1] == c[1])
            return 1;
    return 0;
}

int policy_country_parse(const char *in, char out[3], struct mo_err *err)
{
    if (strcmp(in, "*") == 0) {
        out[0] = '*';
        out[1] = '\0';
        return 0;
    }
    if (strlen(in) == 2 && isalpha((unsigned char)in[0]) && isalpha((unsigned char)in[1])) {
        out[0] = (char)toupper((unsigned char)in[0]);
        out[1] = (char)toupper((unsigned char)in[1]);
        out[2] = '\0';
        if (iso3166_known(out))
            return 0;
        if (strcmp(out, "UK") == 0)
            return mo_err_set(
                err, MO_E_INPUT,
                "invalid country 'UK': the ISO 3166 code of the United Kingdom is GB");
    }
    return mo_err_set(err, MO_E_INPUT,
                      "invalid country '%.16s': use * or an ISO 3166 alpha-2 code such as DE",
                      utf8_valid_str(in) ? in : "(not UTF-8)");
}

static void key_list(char *out, size_t n)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < NKEYS; i++) {
        int w = snprintf(out + used, n - used, "%s%s", i ? ", " : "", keys[i].name);
        if (w < 0 || (size_t)w >= n - used)
            return; /* the buffers given are sized for the whole list */
        used += (size_t)w;
    }
}

/* Characters (UTF-8 code points) in a valid UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

int policy_value_parse(const char *key, const char *value, char *out, size_t n, struct mo_err *err)
{
    const struct policy_key *k = key_find(key);
    const char *shown = utf8_valid_str(value) ? value : "(not UTF-8)";
    int w;

    if (k == NULL) {
        char list[400];
        key_list(list, sizeof(list));
        return mo_err_set(err, MO_E_INPUT, "unknown policy key '%.64s': use one of %s",
                          utf8_valid_str(key) ? key : "(not UTF-8)", list);
    }
    switch (k->type) {
    case POLICY_INT: {
        char *end;
        long long v;
        errno = 0;
        v = strtoll(value, &end, 10);
        if (!isdigit((unsigned char)value[0]) || *end != '\0' || errno != 0 || v < k->min ||
            v > k->max) {
            if (k->why)
                return mo_err_set(err, MO_E_INPUT,
                                  "invalid value '%.64s' for %s: an integer from %ld to %ld (%s)",
                                  shown, k->name, k->min, k->max, k->why);
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value '%.64s' for %s: an integer from %ld to %ld", shown,
                              k->name, k->min, k->max);
        }
        w = snprintf(out, n, "%lld", v);
        break;
    }
    case POLICY_BOOL:
        if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            return mo_err_set(err, MO_E_INPUT, "invalid value '%.64s' for %s: true or false", shown,
                              k->name);
        w = snprintf(out, n, "%s", value);
        break;
    case POLICY_TEXT: {
        size_t chars = utf8_valid_str(value) ? utf8_chars(value) : 0;
        int ctl = 0;
        for (const unsigned char *p = (const unsigned char *)value; *p; p++)
            if (*p < 0x20 || *p == 0x7F)
                ctl = 1;
        if (!utf8_valid_str(value) || ctl || chars < (size_t)k->min || chars > (size_t)k->max)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid value for %s: %ld to %ld characters of UTF-8 text without "
                              "control characters",
                              k->name, k->min, k->max);
        w = snprintf(out, n, "%s", value);
        break;
    }
    case POLICY_ENUM: {
        const char *p = k->why;
        size_t vl = strlen(value), l;
        while (l = strcspn(p, "|"), l != vl || strncmp(p, value, vl) != 0) {
            if (p[l] == '\0') {
                /* "a|b" reads "a or b" */
                char list[64];
                size_t used = 0;
                for (const char *q = k->why; *q && used + 5 < sizeof(list); q++) {
                    if (*q == '|') {
                        memcpy(list + used, " or ", 4);
                        used += 4;
                    } else {
                        list[used++] = *q;
                    }
                }
                list[used] = '\0';
                return mo_err_set(err, MO_E_INPUT, "invalid value '%.64s' for %s: %s", shown,
                                  k->name, list);
            }
            p += l + 1;
        }
        w = snprintf(out, n, "%s", value);
        break;
    }
    default:
        return mo_err_set(err, MO_E_INTERNAL, "policy key '%s' has no type", k->name);
    }
    if (w < 0 || (size_t)w >= n)
        return mo_err_set(err, MO_E_INTERNAL, "policy value for %s does not fit", k->name);
    return 0;
}

/* One result row as a JSON object: country, every key typed, note. */
static json_t *row_json(const PGresult *r, int row)
{
    json_t *o = json_object();
    json_object_set_new(o, "country", json_string(db_val(r, row, "country")));
    for (size_t i = 0; i < NKEYS; i++) {
        const struct policy_key *k = &keys[i];
        json_t *v;
        switch (k->type) {
        case POLICY_INT:
            v = json_integer((json_int_t)db_int(r, row, k->name));
            break;
        case POLICY_BOOL:
            v = json_boolean(db_bool(r, row, k->name));
            break;
        default:
            v = json_string(db_val(r, row, k->name));
            break;
        }
        json_object_set_new(o, k->name, v ? v : json_null());
    }
    json_object_set_new(
        o, "note", db_isnull(r, row, "note") ? json_null() : json_string(db_val(r, row, "note")));
    return o;
}

json_t *policy_show(struct db *db, const char *country, int *fallback, struct mo_err *err)
{
    PGresult *r;
    json_t *arr;

    *fallback = 0;
    if (country == NULL) {
        r = db_exec(db, Q_POLICY_LIST, NULL, 0, err);
    } else {
        const char *p[] = {country};
        r = db_exec(db, Q_POLICY_FOR_COUNTRY, p, 1, err);
    }
    if (r == NULL)
        return NULL;
    arr = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *o = row_json(r, i);
        if (country != NULL && strcmp(db_val(r, i, "country"), country) != 0) {
            *fallback = 1;
            json_object_set_new(o, "fallback_for", json_string(country));
        }
        json_array_append_new(arr, o);
    }
    PQclear(r);
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return mo_err_set(err, MO_E_INTERNAL, "table policy has no '*' row"), NULL;
    }
    return arr;
}

void policy_change_release(struct policy_change *c)
{
    free(c->old);
    free(c->new_);
    c->old = NULL;
    c->new_ = NULL;
}

int policy_set(struct db *db, const char *country_in, const char *key, const char *value,
               const char *actor, struct policy_change *out, struct mo_err *err)
{
    char country[3], canon[1024], obj[16];
    PGresult *r;
    json_t *detail, *jold = NULL, *jnew = NULL;

    memset(out, 0, sizeof(*out));
    if (policy_country_parse(country_in, country, err) < 0 ||
        policy_value_parse(key, value, canon, sizeof(canon), err) < 0)
        return -1;
    memcpy(out->country, country, sizeof(country));
    /* "policy:" and at most two letters */
    if (snprintf(obj, sizeof(obj), "policy:%s", country) >= (int)sizeof(obj))
        return mo_err_set(err, MO_E_INTERNAL, "policy object name does not fit");
    if (db_begin(db, err) < 0)
        return -1;
    const char *pc[] = {country};
    if (strcmp(country, "*") != 0) {
        r = db_exec(db, Q_POLICY_COPY_DEFAULT, pc, 1, err);
        if (r == NULL)
            goto fail;
        out->created = PQntuples(r) > 0;
        PQclear(r);
    }
    const char *pk[] = {country, key};
    r = db_exec(db, Q_POLICY_VALUE_LOCK, pk, 2, err);
    if (r == NULL)
        goto fail;
    if (PQntuples(r) != 1) {
        PQclear(r);
        mo_err_set(err, MO_E_INTERNAL, "policy row '%s' vanished", country);
        goto fail;
    }
    out->old = xstrdup(db_val(r, 0, "value"));
    PQclear(r);
    const char *pv[] = {country, key, canon};
    r = db_exec(db, Q_POLICY_SET, pv, 3, err);
    if (r == NULL)
        goto fail;
    if (PQntuples(r) != 1) {
        PQclear(r);
        mo_err_set(err, MO_E_INTERNAL, "policy row '%s' was not updated", country);
        goto fail;
    }
    out->new_ = xstrdup(db_val(r, 0, "value"));
    PQclear(r);
    jold = json_loads(out->old, JSON_DECODE_ANY, NULL);
    jnew = json_loads(out->new_, JSON_DECODE_ANY, NULL);
    if (jold == NULL || jnew == NULL) {
        json_decref(jold);
        json_decref(jnew);
        mo_err_set(err, MO_E_INTERNAL, "policy value of '%s' is not JSON", key);
        goto fail;
    }
    detail = json_pack("{s:s, s:o, s:o}", "key", key, "old", jold, "new", jnew);
    if (detail != NULL && out->created)
        json_object_set_new(detail, "created_from", json_string("*"));
    if (audit_append_json(db, actor, "policy.set", obj, detail, err) < 0 || db_commit(db, err) < 0)
        goto fail;
    return 0;
fail:
    db_rollback(db);
    policy_change_release(out);
    return -1;
}
