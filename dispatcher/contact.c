/*
 * contact.c - contact import and the contact record.
 *
 * Import streams the CSV, validates every row in C, and COPYs the good rows
 * into a temporary table inside one transaction; SQL then merges them into
 * contacts and drops suppressed addresses, and ledger.c records imported
 * consent proof from the same table.  Any bad row without --skip-invalid
 * rolls the whole file back.  Deciding whether a contact may be mailed is
 * the legal-basis engine's job; writing consent events is ledger.c's.
 */
#include "contact.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "address.h"
#include "attrs.h"
#include "audit.h"
#include "buf.h"
#include "csvin.h"
#include "importer.h"
#include "isotime.h"
#include "ledger.h"
#include "send_window.h"
#include "suppress.h"
#include "topic.h"
#include "utf8.h"
#include "webhook.h"
#include "xalloc.h"

enum col {
    COL_EMAIL,
    COL_NAME,
    COL_COUNTRY,
    COL_LOCALE,
    COL_BIRTH_DATE,
    COL_CONSENT_TOPIC,
    COL_CONSENTED_AT,
    COL_CONSENT_SOURCE,
    COL_CONSENT_TEXT_ID,
    COL_CONSENT_IP,
    COL_TIME_ZONE, /* issue 11: send windows (h-window) */
    COL__KNOWN,
    COL_ATTR = 100,
    COL_DROP = 101,
};

static const char *const known_cols[COL__KNOWN] = {
    "email",           "name",          "country",      "locale",
    "birth_date",      "consent_topic", "consented_at", "consent_source",
    "consent_text_id", "consent_ip",    "time_zone"};

#define MAX_COLS  256
#define NAME_MAX_ 200
#define ATTR_MAX  1000

struct import {
    struct importer io; /* file, reports, COPY buffer, transaction */
    int ncols;
    int map[MAX_COLS];
    char *colname[MAX_COLS];
    int has_proof;
    int has_time_zone; /* the file has a time_zone column */
    struct suppress_key key;
    struct contact_import_stats *st;
};

#define reportf(im, line, ...) importer_reportf(&(im)->io, line, __VA_ARGS__)

static int attr_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

/*
 * A column whose name matches a special-category or financial term
 * (attrs_special_term) must be declared NAME:sensitive: anything else is
 * refused with the reason, so nobody loads such data by accident
 * (GDPR Art. 9(1), R-GDPR-16).
 */
static int check_special(struct import *im, const struct csvin_row *row, const char *name,
                         const struct attr_list *al, struct mo_err *err)
{
    const char *term = attrs_special_term(name);
    const struct attr_def *d = attrs_find(al, name);
    struct buf b;

    if (term == NULL || (d && d->sensitive))
        return 0;
    buf_init(&b, 0);
    buf_put_shown(&b, name, strlen(name), 64);
    mo_err_set(err, MO_E_INPUT,
               "%s:%lu: column '%s' looks like special-category or financial data (matches "
               "'%.*s', GDPR Art. 9): refused, nothing imported; %s to keep it "
               "(contact_attributes = %s:sensitive, or --attributes %s:sensitive), or remove "
               "the column",
               im->io.file, row->line, b.s, (int)strcspn(term, "*"), term,
               d ? "it is declared without ':sensitive': mark it" : "declare it sensitive",
               attr_name_valid(name) ? name : "NAME", attr_name_valid(name) ? name : "NAME");
    buf_release(&b);
    return -1;
}

static int map_header_in(struct import *im, const struct csvin_row *row, const struct attr_list *al,
                         struct mo_err *err)
{
    int proof = 0, have_email = 0;

    if (row->error[0])
        return mo_err_set(err, MO_E_INPUT, "%s:%lu: header: %s", im->io.file, row->line,
                          row->error);
    if (row->n > MAX_COLS)
        return mo_err_set(err, MO_E_INPUT, "%s:%lu: more than %d columns", im->io.file, row->line,
                          MAX_COLS);
    im->ncols = (int)row->n;
    for (size_t i = 0; i < row->n; i++) {
        char *name = xstrdup(row->fields[i]);
        char *s = name;
        while (*s == ' ')
            s++;
        memmove(name, s, strlen(s) + 1);
        for (size_t k = strlen(name); k && name[k - 1] == ' ';)
            name[--k] = '\0';
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        im->colname[i] = name;
        im->map[i] = COL_DROP;
        for (int k = 0; k < COL__KNOWN; k++)
            if (strcmp(name, known_cols[k]) == 0)
                im->map[i] = k;
        if (im->map[i] == COL_DROP && attr_name_valid(name) && attrs_find(al, name))
            im->map[i] = COL_ATTR;
        for (size_t j = 0; j < i; j++)
            if (strcmp(im->colname[j], name) == 0)
                return mo_err_set(err, MO_E_INPUT, "%s:%lu: column '%s' appears twice", im->io.file,
                                  row->line, name);
        if (im->map[i] >= COL__KNOWN && check_special(im, row, name, al, err) < 0)
            return -1;
        if (im->map[i] == COL_EMAIL)
            have_email = 1;
        if (im->map[i] == COL_TIME_ZONE)
            im->has_time_zone = 1;
        if (im->map[i] >= COL_CONSENT_TOPIC && im->map[i] <= COL_CONSENT_IP)
            proof++;
        if (im->map[i] == COL_DROP) {
            im->st->dropped_columns++;
            reportf(im, row->line,
                    "column '%s' is not a declared attribute: dropped (declare it with "
                    "--attributes or contact_attributes)",
                    name);
        }
    }
    if (!have_email)
        return mo_err_set(err, MO_E_INPUT, "%s:%lu: missing required column 'email'", im->io.file,
                          row->line);
    if (proof != 0 && proof != 5)
        return mo_err_set(err, MO_E_INPUT,
                          "%s:%lu: consent proof needs all five columns consent_topic, "
                          "consented_at, consent_source, consent_text_id, consent_ip",
                          im->io.file, row->line);
    im->has_proof = proof == 5;
    return 0;
}

static int map_header(struct import *im, const struct csvin_row *row, const char *attrs,
                      struct mo_err *err)
{
    struct attr_list al;

    if (attrs_parse(attrs, "attributes", &al, err) < 0)
        return -1;
    int rc = map_header_in(im, row, &al, err);
    attrs_free(&al);
    return rc;
}

/* 1 when s holds a control character; line breaks and tabs count only if !multiline. */
static int has_control_ml(const char *s, int multiline)
{
    for (; *s; s++)
        if (((unsigned char)*s < 0x20 || *s == 0x7f) &&
            !(multiline && (*s == '\n' || *s == '\r' || *s == '\t')))
            return 1;
    return 0;
}

static int has_control(const char *s)
{
    return has_control_ml(s, 0);
}

/* 1 when s is an id as consent-text add prints it: 1 to 2^63-1 in decimal digits only. */
static int id_valid(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 19 || s[0] == '0')
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n < 19 || strcmp(s, "9223372036854775807") <= 0;
}

/* Validates one data row; on success appends it to the COPY buffer. */
static int check_row(struct import *im, const struct csvin_row *row)
{
    const char *v[COL__KNOWN] = {0}, *raw[COL__KNOWN] = {0};
    size_t off[COL__KNOWN];
    char *norm = NULL;
    char hmac[65], country[3] = "";
    struct buf attrs;
    struct mo_err e;
    int y, m, d;
    time_t t;

    if (row->error[0]) {
        reportf(im, row->line, "%s", row->error);
        return -1;
    }
    if ((int)row->n != im->ncols) {
        reportf(im, row->line, "expected %d fields, found %zu", im->ncols, row->n);
        return -1;
    }
    buf_init(&attrs, 0);
    buf_putc(&attrs, '{');
    buf_reset(&im->io.fields);
    for (int i = 0; i < im->ncols; i++) {
        const char *f = row->fields[i];
        if (im->map[i] < COL__KNOWN) {
            /* known fields are stored without surrounding spaces and tabs */
            size_t n = row->lens[i];
            raw[im->map[i]] = f;
            while (*f == ' ' || *f == '\t')
                f++, n--;
            while (n && (f[n - 1] == ' ' || f[n - 1] == '\t'))
                n--;
            off[im->map[i]] = im->io.fields.len;
            if (buf_add(&im->io.fields, f, n) < 0 || buf_putc(&im->io.fields, '\0') < 0) {
                reportf(im, row->line, "row too long");
                buf_release(&attrs);
                return -1;
            }
        } else if (im->map[i] == COL_ATTR && *f) {
            if (strlen(f) > ATTR_MAX || has_control_ml(f, 1)) {
                reportf(im, row->line,
                        "attribute '%s' is longer than %d bytes or has control characters",
                        im->colname[i], ATTR_MAX);
                buf_release(&attrs);
                return -1;
            }
            json_t *js = json_string(f);
            char *enc = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
            if (enc == NULL) {
                reportf(im, row->line, "attribute '%s' is not valid UTF-8", im->colname[i]);
                json_decref(js);
                buf_release(&attrs);
                return -1;
            }
            buf_printf(&attrs, "%s\"%s\":%s", attrs.len > 1 ? "," : "", im->colname[i], enc);
            free(enc);
            json_decref(js);
        }
    }
    buf_putc(&attrs, '}');
    for (int k = 0; k < COL__KNOWN; k++)
        if (raw[k])
            v[k] = im->io.fields.s + off[k];

    mo_err_init(&e);
    if (v[COL_EMAIL] == NULL || *v[COL_EMAIL] == '\0') {
        reportf(im, row->line, "email is empty");
        goto bad;
    }
    if (address_normalize(v[COL_EMAIL], &norm, &e) < 0) {
        reportf(im, row->line, "%s (column email)", e.msg);
        goto bad;
    }
    if (v[COL_NAME] && (strlen(v[COL_NAME]) > NAME_MAX_ || has_control(v[COL_NAME]))) {
        reportf(im, row->line, "name is longer than %d bytes or has control characters", NAME_MAX_);
        goto bad;
    }
    if (v[COL_COUNTRY] && *v[COL_COUNTRY]) {
        const char *c = v[COL_COUNTRY];
        if (strlen(c) != 2 || !isalpha((unsigned char)c[0]) || !isalpha((unsigned char)c[1])) {
            reportf(im, row->line, "invalid country '%s': expected ISO 3166 alpha-2 such as DE", c);
            goto bad;
        }
        country[0] = (char)toupper((unsigned char)c[0]);
        country[1] = (char)toupper((unsigned char)c[1]);
    }
    if (v[COL_LOCALE] && *v[COL_LOCALE] && !topic_locale_valid(v[COL_LOCALE])) {
        reportf(im, row->line, "invalid locale '%s': expected e.g. en, de or en-GB", v[COL_LOCALE]);
        goto bad;
    }
    /* the shape here; whether the zone database knows it, after the COPY */
    if (v[COL_TIME_ZONE] && *v[COL_TIME_ZONE] && !send_window_zone_shape(v[COL_TIME_ZONE])) {
        reportf(im, row->line,
                "invalid time_zone '%s' (column time_zone): expected an IANA zone name such as "
                "Europe/Berlin",
                importer_show(&im->io, v[COL_TIME_ZONE]));
        goto bad;
    }
    if (v[COL_BIRTH_DATE] && *v[COL_BIRTH_DATE]) {
        if (isodate_parse(v[COL_BIRTH_DATE], &y, &m, &d) < 0 || y < 1900 ||
            isotime_parse(v[COL_BIRTH_DATE], &t) < 0 || t > time(NULL)) {
            reportf(im, row->line, "invalid birth_date '%s': expected a past date YYYY-MM-DD",
                    v[COL_BIRTH_DATE]);
            goto bad;
        }
    }
    if (im->has_proof) {
        int filled = 0;
        for (int k = COL_CONSENT_TOPIC; k <= COL_CONSENT_IP; k++)
            filled += v[k] && *v[k];
        if (filled != 0 && filled != 5) {
            reportf(im, row->line,
                    "consent proof needs all five of consent_topic, consented_at, "
                    "consent_source, consent_text_id, consent_ip (or none)");
            goto bad;
        }
        if (filled == 5) {
            unsigned char ipbuf[16];
            if (!topic_name_valid(v[COL_CONSENT_TOPIC])) {
                reportf(im, row->line, "invalid consent_topic '%s'", v[COL_CONSENT_TOPIC]);
                goto bad;
            }
            if (isotime_parse(v[COL_CONSENTED_AT], &t) < 0 || t > time(NULL) + 300) {
                reportf(im, row->line, "invalid consented_at '%s': expected a past ISO 8601 time",
                        v[COL_CONSENTED_AT]);
                goto bad;
            }
            /* the field as written: " 7", "+7" or "07" is not quietly taken for 7 */
            if (!id_valid(raw[COL_CONSENT_TEXT_ID])) {
                reportf(im, row->line,
                        "invalid consent_text_id '%s': expected the id consent-text add printed, "
                        "1 to 9223372036854775807 in digits only",
                        raw[COL_CONSENT_TEXT_ID]);
                goto bad;
            }
            if (inet_pton(AF_INET, v[COL_CONSENT_IP], ipbuf) != 1 &&
                inet_pton(AF_INET6, v[COL_CONSENT_IP], ipbuf) != 1) {
                reportf(im, row->line, "invalid consent_ip '%s'", v[COL_CONSENT_IP]);
                goto bad;
            }
            if (strlen(v[COL_CONSENT_SOURCE]) > 200 || has_control(v[COL_CONSENT_SOURCE])) {
                reportf(im, row->line, "consent_source is longer than 200 bytes");
                goto bad;
            }
        }
    }
    suppress_hash(&im->key, norm, hmac);
    importer_field_line(&im->io, row->line);
    importer_field(&im->io, v[COL_EMAIL], 0);
    importer_field(&im->io, norm, 0);
    importer_field(&im->io, hmac, 0);
    importer_field(&im->io, v[COL_NAME], 0);
    importer_field(&im->io, country, 0);
    importer_field(&im->io, v[COL_LOCALE], 0);
    importer_field(&im->io, v[COL_BIRTH_DATE], 0);
    importer_field(&im->io, attrs.s, 0);
    importer_field(&im->io, v[COL_CONSENT_TOPIC], 0);
    importer_field(&im->io, v[COL_CONSENTED_AT], 0);
    importer_field(&im->io, v[COL_CONSENT_SOURCE], 0);
    importer_field(&im->io, v[COL_CONSENT_TEXT_ID], 0);
    importer_field(&im->io, v[COL_CONSENT_IP], 0);
    importer_field(&im->io, v[COL_TIME_ZONE], 1);
    free(norm);
    buf_release(&attrs);
    return 0;
bad:
    free(norm);
    buf_release(&attrs);
    return -1;
}

int contact_import(struct db *db, const struct config *cfg, const char *path,
                   const struct contact_import_opts *o, struct contact_import_stats *st,
                   void (*report)(const char *msg, void *arg), void *arg, struct mo_err *err)
{
    struct import im;
    struct csvin *in = NULL;
    const struct csvin_row *row;
    PGresult *r = NULL;
    int rc = -1, got;
    const char *base;

    memset(&im, 0, sizeof(im));
    memset(st, 0, sizeof(*st));
    importer_init(&im.io, db, path, report, arg);
    base = im.io.base;
    im.st = st;
    if (!utf8_valid(base, strlen(base))) {
        mo_err_set(err, MO_E_INPUT, "the file name is not valid UTF-8: rename the file");
        goto out;
    }
    if (suppress_key_load(db, cfg, &im.key, err) < 0 ||
        contact_backfill_hmac(db, &im.key, NULL, err) < 0)
        goto out;
    in = csvin_open(path, err);
    if (in == NULL)
        goto out;
    got = csvin_next(in, &row, err);
    if (got < 0)
        goto out;
    if (got == 0) {
        mo_err_set(err, MO_E_INPUT, "%s: empty file: expected a header row", path);
        goto out;
    }
    if (map_header(&im, row, o->attributes, err) < 0)
        goto out;

    if (importer_begin(&im.io,
                       "CREATE TEMP TABLE import_contacts ("
                       " line bigint, email text, email_norm text, addr_hmac text, name text,"
                       " country text, locale text, birth_date date, attrs jsonb,"
                       " consent_topic text, consented_at timestamptz, consent_source text,"
                       " consent_text_id bigint, consent_ip inet, time_zone text) ON COMMIT DROP",
                       "COPY import_contacts FROM STDIN (FORMAT csv)", err) < 0)
        goto out;
    while ((got = csvin_next(in, &row, err)) > 0) {
        st->rows++;
        if (check_row(&im, row) < 0)
            st->rejected++;
        if (importer_flush(&im.io, err) < 0)
            goto out;
    }
    if (got < 0)
        goto out;
    if (importer_copy_end(&im.io, err) < 0)
        goto out;

    /* checks that need the database: the consent text must exist for the topic */
    if (im.has_proof) {
        long bad = importer_report_query(&im.io, Q_IMPORT_BAD_PROOF, err);
        if (bad < 0)
            goto out;
        st->rejected += bad;
        if (db_run(db, Q_IMPORT_DROP_BAD_PROOF, NULL, 0, err) < 0)
            goto out;
    }
    /* issue 11 (h-window): a time_zone the zone database does not know */
    if (im.has_time_zone) {
        long bad = importer_report_query(&im.io, Q_WINDOW_IMPORT_BAD_ZONE, err);
        if (bad < 0)
            goto out;
        st->rejected += bad;
        if (bad > 0 && db_run(db, Q_WINDOW_IMPORT_DROP_BAD_ZONE, NULL, 0, err) < 0)
            goto out;
    }
    /* what is left is valid; suppressed rows are counted even when the file then fails */
    if ((st->suppressed = importer_run_count(&im.io, Q_IMPORT_DROP_SUPPRESSED, err)) < 0) {
        st->suppressed = 0;
        goto out;
    }
    if (st->rejected && !o->skip_invalid) {
        mo_err_set(err, MO_E_INPUT,
                   "nothing loaded: %ld invalid row%s in '%s' (--skip-invalid loads the rest)",
                   st->rejected, st->rejected == 1 ? "" : "s", path);
        goto out;
    }
    {
        const char *p[] = {base};
        if ((r = db_exec(db, Q_IMPORT_COUNT, NULL, 0, err)) == NULL)
            goto out;
        long valid = (long)db_int(r, 0, "n");
        PQclear(r);
        if ((r = db_exec(db, Q_IMPORT_MERGE, p, 1, err)) == NULL)
            goto out;
        st->loaded = importer_count_of(r);
        st->merged = valid - st->loaded;
    }
    if (im.has_proof) {
        long refused = importer_report_query(&im.io, Q_IMPORT_PROOF_REFUSED, err);
        if (refused < 0)
            goto out;
        st->consents_refused = refused;
        if (ledger_import_proofs(db, base, &st->consents, err) < 0)
            goto out;
    }
    if (audit_append_json(db, o->actor, "contact.import", base,
                          json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "file", base,
                                    "loaded", (json_int_t)st->loaded, "merged",
                                    (json_int_t)st->merged, "rejected", (json_int_t)st->rejected,
                                    "suppressed", (json_int_t)st->suppressed, "dropped",
                                    (json_int_t)st->dropped, "consents", (json_int_t)st->consents,
                                    "dropped_columns", (json_int_t)st->dropped_columns),
                          err) < 0)
        goto out;
    if (importer_commit(&im.io, err) < 0)
        goto out;
    rc = 0;
out:
    importer_release(&im.io);
    if (rc < 0) {
        st->loaded = 0;
        st->merged = 0;
        st->consents = 0;
    }
    csvin_close(in);
    for (int i = 0; i < im.ncols; i++)
        free(im.colname[i]);
    explicit_bzero(&im.key, sizeof(im.key));
    return rc;
}

int contact_ensure(struct db *db, const char *email, const char *norm, const char *addr_hmac,
                   const char *source, long long *id, int *created, struct mo_err *err)
{
    const char *p[] = {email, norm, source, addr_hmac};
    PGresult *r = db_exec(db, Q_CONTACT_ENSURE, p, 4, err);
    if (r == NULL)
        return -1;
    *id = db_int(r, 0, "id");
    *created = db_bool(r, 0, "created");
    PQclear(r);
    return 0;
}

int contact_find_id(struct db *db, const char *norm, long long *id, struct mo_err *err)
{
    const char *p[] = {norm};
    PGresult *r = db_exec(db, Q_CONTACT_FIND, p, 1, err);
    int found;

    if (r == NULL)
        return -1;
    found = PQntuples(r) > 0;
    *id = found ? db_int(r, 0, "id") : 0;
    PQclear(r);
    return found;
}

#define HMAC_BATCH 500

int contact_backfill_hmac(struct db *db, const struct suppress_key *k, long *filled,
                          struct mo_err *err)
{
    char limit[16];
    long total = 0;
    int rc = -1;

    snprintf(limit, sizeof(limit), "%d", HMAC_BATCH);
    for (;;) {
        const char *p[] = {limit};
        PGresult *r = db_exec(db, Q_CONTACT_HMAC_MISSING, p, 1, err);
        struct buf ids, hashes;
        int n;

        if (r == NULL)
            goto out;
        n = PQntuples(r);
        if (n == 0) {
            PQclear(r);
            break;
        }
        buf_init(&ids, 0);
        buf_init(&hashes, 0);
        buf_putc(&ids, '{');
        buf_putc(&hashes, '{');
        for (int i = 0; i < n; i++) {
            char h[65];
            suppress_hash(k, db_val(r, i, "email_norm"), h);
            /* bigint ids and hex digits need no quoting inside an array literal */
            buf_printf(&ids, "%s%s", i ? "," : "", db_val(r, i, "id"));
            buf_printf(&hashes, "%s%s", i ? "," : "", h);
        }
        PQclear(r);
        buf_putc(&ids, '}');
        buf_putc(&hashes, '}');
        const char *q[] = {ids.s, hashes.s};
        r = db_exec(db, Q_CONTACT_HMAC_FILL, q, 2, err);
        buf_release(&ids);
        buf_release(&hashes);
        if (r == NULL)
            goto out;
        long done = strtol(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        total += done;
        if (n < HMAC_BATCH || done == 0)
            break;
    }
    rc = 0;
out:
    if (filled)
        *filled = total;
    return rc;
}

static json_t *val(const PGresult *r, int row, const char *col)
{
    if (db_isnull(r, row, col))
        return json_null();
    return json_string(db_val(r, row, col));
}

static json_t *num_or_null(const PGresult *r, int row, const char *col)
{
    if (db_isnull(r, row, col))
        return json_null();
    return json_integer(db_int(r, row, col));
}

json_t *contact_show(struct db *db, const char *email, struct mo_err *err)
{
    char *norm = NULL;
    PGresult *r = NULL;
    json_t *c = NULL, *topics, *hist, *pause_ends = NULL;
    char idbuf[24];
    long long id;

    if (address_normalize(email, &norm, err) < 0)
        return NULL;
    const char *p[] = {norm};
    r = db_exec(db, Q_CONTACT_GET, p, 1, err);
    free(norm);
    if (r == NULL)
        return NULL;
    if (PQntuples(r) == 0) {
        PQclear(r);
        mo_err_set(err, MO_E_NOTFOUND, "unknown contact '%s'", email);
        return NULL;
    }
    id = db_int(r, 0, "id");
    snprintf(idbuf, sizeof(idbuf), "%lld", id); /* fits: at most 20 characters */
    json_error_t je;
    json_t *attrs = json_loads(db_val(r, 0, "attrs"), 0, &je);
    c = json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)id,
                  "email", val(r, 0, "email"), "email_normalized", val(r, 0, "email_norm"), "name",
                  val(r, 0, "name"), "country", val(r, 0, "country"), "locale", val(r, 0, "locale"),
                  "time_zone", val(r, 0, "time_zone"), "birth_date", val(r, 0, "birth_date"),
                  "attributes", attrs ? attrs : json_object(), "source", val(r, 0, "source"),
                  "created_at", val(r, 0, "created_at"));
    /* issue 11 (h-window): the zone send windows are read in when the contact has none */
    if (c)
        json_object_set_new(c, "country_time_zone", val(r, 0, "country_zone"));
    PQclear(r);
    if (c == NULL) {
        mo_err_set(err, MO_E_INTERNAL, "cannot build the record of contact %s", idbuf);
        return NULL;
    }

    const char *q[] = {idbuf};
    if ((r = db_exec(db, Q_CONTACT_STATES, q, 1, err)) == NULL)
        goto fail;
    topics = json_object();
    for (int i = 0; i < PQntuples(r); i++)
        json_object_set_new(topics, db_val(r, i, "topic"),
                            json_pack("{s:o, s:o, s:o}", "state", val(r, i, "state"), "since",
                                      val(r, i, "since"), "consent_event",
                                      num_or_null(r, i, "consent_event_id")));
    json_object_set_new(c, "topics", topics);
    PQclear(r);

    if ((r = db_exec(db, Q_CONTACT_OBJECTION, q, 1, err)) == NULL)
        goto fail;
    json_object_set_new(c, "objected_since", PQntuples(r) ? val(r, 0, "since") : json_null());
    PQclear(r);

    /* the latest pause decides (issue 10: h-pause); each paused event's end goes to history */
    if ((r = db_exec(db, Q_CONTACT_PAUSES, q, 1, err)) == NULL)
        goto fail;
    pause_ends = json_object();
    int np = PQntuples(r);
    for (int i = 0; i < np; i++)
        json_object_set_new(pause_ends, db_val(r, i, "id"), val(r, i, "until"));
    json_object_set_new(
        c, "pause",
        np == 0 ? json_null()
                : json_pack("{s:b, s:o, s:o, s:I}", "running", db_bool(r, np - 1, "running"),
                            "until", val(r, np - 1, "until"), "since", val(r, np - 1, "since"),
                            "consent_event", (json_int_t)db_int(r, np - 1, "id")));
    PQclear(r);

    if ((r = db_exec(db, Q_CONTACT_HISTORY, q, 1, err)) == NULL)
        goto fail;
    hist = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *ev = json_object();
        int nf = PQnfields(r);
        /* every column of the history, under its own name */
        for (int f = 0; f < nf; f++) {
            const char *name = PQfname(r, f);
            if (strcmp(name, "id") == 0 || strcmp(name, "consent_text_id") == 0 ||
                strcmp(name, "consent_text_version") == 0 || strcmp(name, "request_id") == 0)
                json_object_set_new(ev, name, num_or_null(r, i, name));
            else if (strcmp(name, "age_attested") == 0)
                json_object_set_new(ev, name,
                                    db_isnull(r, i, name) ? json_null()
                                                          : json_boolean(db_bool(r, i, name)));
            else
                json_object_set_new(ev, name, val(r, i, name));
        }
        json_t *end = json_object_get(pause_ends, db_val(r, i, "id"));
        if (end)
            json_object_set(ev, "paused_until", end);
        json_array_append_new(hist, ev);
    }
    json_object_set_new(c, "history", hist);
    json_decref(pause_ends);
    PQclear(r);

    /* issue 10: h-webhook - what the CRM was told, and whether it heard */
    json_t *hooks = webhook_contact_deliveries(db, id, err);
    if (hooks == NULL)
        goto fail;
    json_object_set_new(c, "webhooks", hooks);
    return c;
fail:
    json_decref(pause_ends);
    json_decref(c);
    return NULL;
}
