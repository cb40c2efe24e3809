/*
 * attrs.c - the declared custom attributes list and the built-in list of
 * special-category and financial terms (attrs.h).
 */
#include "attrs.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "xalloc.h"

/* An item quoted for a message: control bytes escaped, at most 64 bytes. */
static int item_err(struct mo_err *err, const char *what, int no, const char *item, size_t len,
                    const char *why)
{
    struct buf b;
    buf_init(&b, 0);
    buf_put_shown(&b, item, len, 64);
    mo_err_set(err, MO_E_INPUT, "%s: item %d '%s': %s", what, no, b.s, why);
    buf_release(&b);
    return -1;
}

int attrs_parse(const char *s, const char *what, struct attr_list *out, struct mo_err *err)
{
    int no = 0;

    memset(out, 0, sizeof(*out));
    if (s == NULL)
        return 0;
    if (strlen(s) > ATTRS_TEXT_MAX)
        return mo_err_set(err, MO_E_INPUT, "%s: longer than %d bytes", what, ATTRS_TEXT_MAX);
    {
        const char *t = s;
        while (*t == ' ' || *t == '\t')
            t++;
        if (*t == '\0')
            return 0;
    }
    for (const char *p = s;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *a = p, *z = p + len;
        no++;
        while (a < z && (*a == ' ' || *a == '\t'))
            a++;
        while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
        if (a == z) {
            item_err(err, what, no, p, len, "empty item (a stray ',')");
            goto fail;
        }
        const char *colon = memchr(a, ':', (size_t)(z - a));
        const char *ne = colon ? colon : z;
        size_t nl = (size_t)(ne - a);
        int sensitive = 0;
        if (nl == 0 || nl > ATTRS_NAME_MAX) {
            item_err(err, what, no, a, (size_t)(z - a), "a name has 1 to 64 characters");
            goto fail;
        }
        if (!(isalpha((unsigned char)a[0]) || a[0] == '_')) {
            item_err(err, what, no, a, (size_t)(z - a),
                     "a name starts with a letter or '_' (ASCII letters, digits, '_')");
            goto fail;
        }
        for (size_t i = 0; i < nl; i++)
            if (!(isalnum((unsigned char)a[i]) || a[i] == '_') || (unsigned char)a[i] >= 0x80) {
                item_err(err, what, no, a, (size_t)(z - a),
                         "a name has only ASCII letters, digits and '_'");
                goto fail;
            }
        if (colon) {
            const char *f = colon + 1;
            size_t fl = (size_t)(z - f);
            if (fl != 9 || strncasecmp(f, "sensitive", 9) != 0) {
                item_err(err, what, no, a, (size_t)(z - a),
                         "unknown flag after ':' (the only flag is ':sensitive')");
                goto fail;
            }
            sensitive = 1;
        }
        char name[ATTRS_NAME_MAX + 1];
        for (size_t i = 0; i < nl; i++)
            name[i] = (char)tolower((unsigned char)a[i]);
        name[nl] = '\0';
        if (attrs_find(out, name)) {
            item_err(err, what, no, a, (size_t)(z - a), "declared twice");
            goto fail;
        }
        if (out->n >= ATTRS_MAX) {
            mo_err_set(err, MO_E_INPUT, "%s: more than %d attributes", what, ATTRS_MAX);
            goto fail;
        }
        out->v = xrealloc(out->v, (size_t)(out->n + 1) * sizeof(*out->v));
        memcpy(out->v[out->n].name, name, nl + 1);
        out->v[out->n].sensitive = sensitive;
        out->n++;
        if (end == NULL)
            break;
        p = end + 1;
    }
    return 0;
fail:
    attrs_free(out);
    return -1;
}

void attrs_free(struct attr_list *l)
{
    if (l == NULL)
        return;
    free(l->v);
    memset(l, 0, sizeof(*l));
}

const struct attr_def *attrs_find(const struct attr_list *l, const char *name)
{
    for (int i = 0; l && i < l->n; i++)
        if (strcasecmp(l->v[i].name, name) == 0)
            return &l->v[i];
    return NULL;
}

int attrs_is_sensitive(const struct attr_list *l, const char *name)
{
    const struct attr_def *d = attrs_find(l, name);
    return (d && d->sensitive) || attrs_special_term(name) != NULL;
}

/*
 * The terms.  "a_b" is a term of two words (it also matches the one word
 * "ab"); a trailing '*' makes a stem that matches the start of a word.
 */
static const char *const terms[] = {
    /* English: health and body (Art. 9(1)) */
    "health*", "medical", "medication*", "diagnosis", "diagnoses", "disease*", "illness*",
    "disability", "disabilities", "disabled", "pregnan*", "allergy", "allergies", "hiv",
    "prescription*",
    /* beliefs, origin, politics, unions */
    "religion*", "religious", "religi*", "faith", "belief", "beliefs", "philosophical", "ethnic",
    "ethnicity", "race", "racial", "political", "political_party", "union", "trade_union",
    "union_member*",
    /* sex life and orientation, biometric and genetic data */
    "sexual*", "sex_life", "orientation", "biometric*", "genetic*", "dna",
    /* criminal convictions (Art. 10) */
    "criminal", "conviction", "convictions",
    /* national identifiers and financial data */
    "ssn", "social_security", "tax_id", "tin", "iban", "bic", "account_number", "account_no",
    "credit_card", "card_number", "cvv", "cvc", "salary", "income",
    /* German */
    "gesundheit*", "krankheit*", "kranken*", "diagnose*", "behinderung*", "schwanger*",
    "konfession*", "glaube*", "weltanschau*", "ethnie", "ethnisch*", "herkunft", "rasse",
    "politisch*", "partei*", "gewerkschaft*", "sexuell*", "biometrisch*", "genetisch*",
    "vorstrafe*", "steuer*", "kontonummer", "kreditkarte*", "gehalt", "einkommen", "blutgruppe",
    "allergie*", "medikament*", "bankverbindung"};

#define MAX_WORDS 32

/* Splits the lower-cased column into words; returns the count. */
static int split(const char *col, char words[MAX_WORDS][ATTRS_NAME_MAX + 1])
{
    int n = 0;
    size_t k = 0;
    int prev = 0; /* 1 letter, 2 digit */

    for (const unsigned char *c = (const unsigned char *)col;; c++) {
        int cls = *c >= 0x80 || isalpha(*c) ? 1 : isdigit(*c) ? 2 : 0;
        if (k > 0 && (cls == 0 || cls != prev)) {
            words[n][k] = '\0';
            k = 0;
            if (++n == MAX_WORDS)
                return n;
        }
        if (*c == '\0')
            break;
        if (cls && k < ATTRS_NAME_MAX)
            words[n][k++] = (char)tolower(*c);
        prev = cls;
    }
    return n;
}

const char *attrs_special_term(const char *column)
{
    char words[MAX_WORDS][ATTRS_NAME_MAX + 1];
    int n = split(column ? column : "", words);

    for (size_t t = 0; t < sizeof(terms) / sizeof(terms[0]); t++) {
        const char *term = terms[t];
        size_t tl = strlen(term);
        int stem = term[tl - 1] == '*';
        char a[ATTRS_NAME_MAX + 1], b[ATTRS_NAME_MAX + 1] = "", joined[2 * ATTRS_NAME_MAX + 1];
        const char *us = memchr(term, '_', tl);

        if (stem)
            tl--;
        if (us) {
            size_t al = (size_t)(us - term);
            memcpy(a, term, al);
            a[al] = '\0';
            memcpy(b, us + 1, tl - al - 1);
            b[tl - al - 1] = '\0';
            snprintf(joined, sizeof(joined), "%s%s", a, b);
        } else {
            memcpy(a, term, tl);
            a[tl] = '\0';
            memcpy(joined, a, tl + 1);
        }
        for (int i = 0; i < n; i++) {
            size_t jl = strlen(joined);
            if (stem ? strncmp(words[i], joined, jl) == 0 : strcmp(words[i], joined) == 0)
                return term;
            if (us && i + 1 < n && strcmp(words[i], a) == 0 &&
                (stem ? strncmp(words[i + 1], b, strlen(b)) == 0 : strcmp(words[i + 1], b) == 0))
                return term;
        }
    }
    return NULL;
}
