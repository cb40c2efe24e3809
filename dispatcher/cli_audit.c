/*
 * cli_audit.c - audit contact, audit campaign, audit log and export:
 * argument handling and output (text, --json, --csv) only.  The data comes
 * from report.c, which also owns export's transaction and audit entry.
 *
 * CSV is RFC 4180 with CRLF line ends; fields are written by csvout.h
 * (quoting, and a leading apostrophe for what a spreadsheet would read as
 * a formula).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "csvout.h"
#include "isotime.h"
#include "report.h"
#include "ropa.h"

struct audit_opts {
    int csv;
    const char *since;
};

enum { OPT_CSV = 0x201, OPT_SINCE };

static int audit_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct audit_opts *o = ctx;
    (void)err;
    if (c == OPT_CSV)
        o->csv = 1;
    else if (c == OPT_SINCE)
        o->since = arg;
    return 0;
}

/* --- CSV ------------------------------------------------------------------------------- */

static void csv_text(const char *s)
{
    struct buf b;
    buf_init(&b, 0);
    csvout_field(&b, s); /* no maximum: cannot fail */
    fputs(b.s, stdout);
    buf_release(&b);
}

/* one field: strings as text, numbers and booleans as written, null empty, else compact JSON */
static void csv_field(const json_t *v, int first)
{
    if (!first)
        putchar(',');
    if (v == NULL || json_is_null(v))
        return;
    if (json_is_string(v)) {
        csv_text(json_string_value(v));
        return;
    }
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
    if (s) {
        csv_text(s);
        free(s);
    }
}

static void csv_end(void)
{
    fputs("\r\n", stdout);
}

static void csv_header(const char *const *cols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            putchar(',');
        csv_text(cols[i]);
    }
    csv_end();
}

/* --- audit contact --------------------------------------------------------------------- */

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "-";
}

static void contact_csv(json_t *rep)
{
    static const char *const cols[] = {
        "section",   "id",         "at",     "kind",     "topic",
        "channel",   "source",     "actor",  "basis",    "status",
        "smtp_code", "message_id", "run_id", "campaign", "consent_text_sha256",
        "ip",        "user_agent"};
    static const struct {
        const char *section, *at, *kind;
    } secs[] = {{"consent_events", "occurred_at", "kind"},
                {"sends", "occurred_at", "status"},
                {"revocations", "occurred_at", "kind"},
                {"webhook_deliveries", "created_at", "event"}};
    size_t i;
    json_t *v;

    csv_header(cols, NELEM(cols));
    for (size_t s = 0; s < NELEM(secs); s++)
        json_array_foreach(json_object_get(rep, secs[s].section), i, v)
        {
            json_t *sec = json_string(secs[s].section);
            csv_field(sec, 1);
            json_decref(sec);
            csv_field(json_object_get(v, "id"), 0);
            csv_field(json_object_get(v, secs[s].at), 0);
            csv_field(json_object_get(v, secs[s].kind), 0);
            for (size_t c = 4; c < NELEM(cols); c++)
                csv_field(json_object_get(v, cols[c]), 0);
            csv_end();
        }
}

static void contact_text(json_t *rep)
{
    json_t *c = json_object_get(rep, "contact"), *v;
    size_t i;

    printf("contact %lld %s\n", (long long)json_integer_value(json_object_get(c, "id")),
           str(c, "email"));
    if (json_is_object(json_object_get(c, "suppressed")))
        printf("  suppressed (%s) since %s\n", str(json_object_get(c, "suppressed"), "reason"),
               str(json_object_get(c, "suppressed"), "since"));
    printf("consent events:\n");
    json_array_foreach(json_object_get(rep, "consent_events"), i, v)
    {
        printf("  #%lld %s %s %s via %s by %s source %s",
               (long long)json_integer_value(json_object_get(v, "id")), str(v, "occurred_at"),
               str(v, "kind"), str(v, "topic"), str(v, "channel"), str(v, "actor"),
               str(v, "source"));
        if (json_is_integer(json_object_get(v, "consent_text_id")))
            printf(" text %lld v%lld sha256 %s",
                   (long long)json_integer_value(json_object_get(v, "consent_text_id")),
                   (long long)json_integer_value(json_object_get(v, "consent_text_version")),
                   str(v, "consent_text_sha256"));
        if (json_is_string(json_object_get(v, "ip")))
            printf(" ip %s", str(v, "ip"));
        if (json_is_string(json_object_get(v, "user_agent")))
            printf(" ua \"%s\"", str(v, "user_agent"));
        if (json_is_string(json_object_get(v, "email_entered")))
            printf(" entered %s", str(v, "email_entered"));
        if (json_is_string(json_object_get(v, "token_sha256")))
            printf(" token-sha256 %s", str(v, "token_sha256"));
        if (json_is_string(json_object_get(v, "receipt_sha256")))
            printf(" receipt-sha256 %s", str(v, "receipt_sha256"));
        if (json_is_integer(json_object_get(v, "request_id")))
            printf(" request %lld",
                   (long long)json_integer_value(json_object_get(v, "request_id")));
        putchar('\n');
    }
    printf("sends:\n");
    json_array_foreach(json_object_get(rep, "sends"), i, v)
    {
        char *ev = json_dumps(json_object_get(v, "evidence"), JSON_COMPACT | JSON_ENCODE_ANY);
        printf("  #%lld %s campaign %s run %lld basis %s evidence %s %s",
               (long long)json_integer_value(json_object_get(v, "id")), str(v, "occurred_at"),
               str(v, "campaign"), (long long)json_integer_value(json_object_get(v, "run_id")),
               str(v, "basis"), ev ? ev : "{}", str(v, "status"));
        free(ev);
        if (json_is_integer(json_object_get(v, "smtp_code")))
            printf(" %lld", (long long)json_integer_value(json_object_get(v, "smtp_code")));
        printf(" message %s\n", str(v, "message_id"));
    }
    printf("revocations:\n");
    json_array_foreach(json_object_get(rep, "revocations"), i, v)
    {
        printf("  #%lld %s %s %s via %s by %s",
               (long long)json_integer_value(json_object_get(v, "id")), str(v, "occurred_at"),
               str(v, "kind"),
               json_is_string(json_object_get(v, "topic")) ? str(v, "topic") : "(all marketing)",
               str(v, "channel"), str(v, "actor"));
        if (json_is_string(json_object_get(v, "message_id")))
            printf(" from message %s", str(v, "message_id"));
        if (json_is_string(json_object_get(v, "campaign")))
            printf(" (campaign %s run %lld)", str(v, "campaign"),
                   (long long)json_integer_value(json_object_get(v, "run_id")));
        putchar('\n');
    }
    printf("webhook deliveries:\n");
    json_array_foreach(json_object_get(rep, "webhook_deliveries"), i, v) printf(
        "  #%lld %s %s %s attempts %lld\n", (long long)json_integer_value(json_object_get(v, "id")),
        str(v, "created_at"), str(v, "event"), str(v, "state"),
        (long long)json_integer_value(json_object_get(v, "attempts")));
}

static int one_operand(struct cli *cli, int argc, char **argv, struct audit_opts *o, int *first,
                       struct mo_err *err)
{
    static const struct option lo[] = {{"csv", no_argument, NULL, OPT_CSV}, {NULL, 0, NULL, 0}};
    int rc = cli_getopt(cli, argc, argv, "", lo, audit_opt, o, first, err);
    if (rc != 0)
        return rc;
    if (argc - *first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (o->csv && cli->json)
        return mo_err_set(err, MO_E_USAGE, "--csv and --json exclude each other");
    return 0;
}

/*
 * audit contact and audit campaign: one operand, the report, then JSON, CSV
 * or text.
 */
static int print_report(struct cli *cli, int argc, char **argv,
                        json_t *(*report)(struct db *, const char *, struct mo_err *),
                        void (*csv)(json_t *), void (*text)(json_t *), struct mo_err *err)
{
    struct audit_opts o = {0};
    int first, rc;

    if ((rc = one_operand(cli, argc, argv, &o, &first, err)) != 0)
        return rc < 0 ? -1 : 0;
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    json_t *rep = report(db, argv[first], err);
    db_free(db);
    if (rep == NULL)
        return -1;
    if (cli->json)
        return cli_print_json(rep);
    if (o.csv)
        csv(rep);
    else
        text(rep);
    json_decref(rep);
    return 0;
}

int cmd_audit_contact(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return print_report(cli, argc, argv, report_contact, contact_csv, contact_text, err);
}

/* --- audit campaign -------------------------------------------------------------------- */

static void campaign_csv(json_t *rep)
{
    static const char *const fixed[] = {
        "run_id",       "state",      "started_at",       "finished_at",    "considered",
        "recipients",   "sent",       "failed",           "uncertain",      "bounced",
        "unsubscribes", "complaints", "unsubscribe_rate", "complaint_rate", "bounce_rate"};
    json_t *bases = json_object(), *reasons = json_object(), *run, *v;
    const char *k;
    size_t i;

    /* one column per basis and per reason that any run has */
    json_array_foreach(json_object_get(rep, "runs"), i, run)
    {
        json_object_foreach(json_object_get(run, "by_basis"), k, v)
            json_object_set_new(bases, k, json_true());
        json_object_foreach(json_object_get(run, "excluded"), k, v)
            json_object_set_new(reasons, k, json_true());
    }
    for (size_t c = 0; c < NELEM(fixed); c++) {
        if (c)
            putchar(',');
        csv_text(fixed[c]);
    }
    json_object_foreach(bases, k, v)
    {
        printf(",basis_");
        csv_text(k);
    }
    json_object_foreach(reasons, k, v)
    {
        printf(",excluded_");
        csv_text(k);
    }
    csv_end();
    json_array_foreach(json_object_get(rep, "runs"), i, run)
    {
        for (size_t c = 0; c < NELEM(fixed); c++)
            csv_field(json_object_get(run, fixed[c]), c == 0);
        json_object_foreach(bases, k, v)
        {
            json_t *n = json_object_get(json_object_get(run, "by_basis"), k);
            printf(",%lld", n ? (long long)json_integer_value(n) : 0LL);
        }
        json_object_foreach(reasons, k, v)
        {
            json_t *n = json_object_get(json_object_get(run, "excluded"), k);
            printf(",%lld", n ? (long long)json_integer_value(n) : 0LL);
        }
        csv_end();
    }
    json_decref(bases);
    json_decref(reasons);
}

static void print_rate(const char *label, const json_t *r)
{
    if (json_is_number(r))
        printf(" %s %.2f%%", label, json_number_value(r) * 100.0);
}

static void campaign_text(json_t *rep)
{
    json_t *c = json_object_get(rep, "campaign"), *run, *v;
    const char *k;
    size_t i;

    printf("campaign %s (topic %s, segment %s, template %s, sender %s)\n", str(c, "name"),
           str(c, "topic"), str(c, "segment"), str(c, "template"), str(c, "legal_entity"));
    if (json_array_size(json_object_get(rep, "runs")) == 0)
        printf("no runs\n");
    json_array_foreach(json_object_get(rep, "runs"), i, run)
    {
#define N(key) ((long long)json_integer_value(json_object_get(run, key)))
        printf("run %lld %s started %s: %lld considered, %lld recipients\n", N("run_id"),
               str(run, "state"), str(run, "started_at"), N("considered"), N("recipients"));
        printf("  basis:");
        json_object_foreach(json_object_get(run, "by_basis"), k, v)
            printf(" %s %lld", k, (long long)json_integer_value(v));
        printf("\n  excluded:");
        json_object_foreach(json_object_get(run, "excluded"), k, v)
            printf(" %s %lld", k, (long long)json_integer_value(v));
        printf("\n  sent %lld, failed %lld, uncertain %lld, bounced %lld\n", N("sent"), N("failed"),
               N("uncertain"), N("bounced"));
        printf("  unsubscribes %lld, complaints %lld", N("unsubscribes"), N("complaints"));
        print_rate("unsubscribe rate", json_object_get(run, "unsubscribe_rate"));
        print_rate("complaint rate", json_object_get(run, "complaint_rate"));
        putchar('\n');
#undef N
    }
}

int cmd_audit_campaign(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return print_report(cli, argc, argv, report_campaign, campaign_csv, campaign_text, err);
}

/* --- audit log ------------------------------------------------------------------------- */

int cmd_audit_log(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"csv", no_argument, NULL, OPT_CSV},
                                       {"since", required_argument, NULL, OPT_SINCE},
                                       {NULL, 0, NULL, 0}};
    static const char *const cols[] = {"seq",  "at",     "actor",  "user",
                                       "host", "action", "object", "detail"};
    struct audit_opts o = {0};
    char since[32];
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "", lo, audit_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (o.csv && cli->json)
        return mo_err_set(err, MO_E_USAGE, "--csv and --json exclude each other");
    if (o.since) {
        time_t t;
        struct tm tm;
        if (isotime_parse(o.since, &t) < 0 || gmtime_r(&t, &tm) == NULL)
            return mo_err_set(err, MO_E_INPUT,
                              "invalid --since '%s': expected YYYY-MM-DD[THH:MM[:SS]][Z|+HH:MM]",
                              o.since);
        strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%SZ", &tm);
    }
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    json_t *rep = report_log(db, o.since ? since : NULL, err), *v;
    db_free(db);
    if (rep == NULL)
        return -1;
    if (cli->json)
        return cli_print_json(rep);
    size_t i;
    if (o.csv)
        csv_header(cols, NELEM(cols));
    json_array_foreach(json_object_get(rep, "entries"), i, v)
    {
        if (o.csv) {
            for (size_t c = 0; c < NELEM(cols); c++)
                csv_field(json_object_get(v, cols[c]), c == 0);
            csv_end();
            continue;
        }
        char *d = json_dumps(json_object_get(v, "detail"), JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("#%lld %s %s", (long long)json_integer_value(json_object_get(v, "seq")),
               str(v, "at"), str(v, "actor"));
        if (json_is_string(json_object_get(v, "host")))
            printf("@%s", str(v, "host"));
        printf(" %s %s %s\n", str(v, "action"), str(v, "object"), d ? d : "{}");
        free(d);
    }
    json_decref(rep);
    return 0;
}

/* --- export ---------------------------------------------------------------------------- */

int cmd_export(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 1, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_t *doc = report_export(db, &cli->cfg, argv[first], audit_cli_actor(), err);
    db_free(db);
    if (doc == NULL)
        return -1;
    return cli_print_json(doc); /* JSON with or without --json */
}

/* --- audit ropa (issue 13: h-ropa) ------------------------------------------------------ */

static void ropa_kv(const json_t *o, const char *label, const char *key)
{
    printf("  %-16s %s\n", label, str(o, key));
}

static void ropa_text(const json_t *rep)
{
    const json_t *a = json_object_get(rep, "a_controller");
    const json_t *b = json_object_get(rep, "b_purposes");
    const json_t *c = json_object_get(rep, "c_categories");
    const json_t *d = json_object_get(rep, "d_recipients");
    const json_t *e = json_object_get(rep, "e_transfers");
    const json_t *f = json_object_get(rep, "f_retention");
    const json_t *g = json_object_get(rep, "g_security");
    const json_t *v, *w;
    size_t i, k;

    printf("Records of processing activities (GDPR Art. 30(1)), generated %s\n",
           str(rep, "generated_at"));
    printf("\n(a) Controller\n");
    ropa_kv(a, "legal entity", "legal_entity");
    ropa_kv(a, "from", "from");
    ropa_kv(a, "reply-to", "reply_to");
    ropa_kv(a, "postal address", "postal_address");
    ropa_kv(a, "privacy notice", "privacy_url");
    ropa_kv(a, "imprint", "imprint_url");
    json_array_foreach(json_object_get(a, "legal_entities"), i, v)
        printf("  legal_entities   %s (since %s)\n", str(v, "name"), str(v, "created_at"));

    printf("\n(b) Purposes\n");
    json_array_foreach(json_object_get(b, "topics"), i, v)
    {
        printf("  topic %s: %s%s\n", str(v, "name"), str(v, "title"),
               json_is_true(json_object_get(v, "reserved")) ? " (activity tracking consent)" : "");
        if (json_array_size(json_object_get(v, "consent_texts")) == 0)
            printf("    no consent text\n");
        json_array_foreach(json_object_get(v, "consent_texts"), k, w)
            printf("    consent text %lld v%lld %s sha256 %s\n",
                   (long long)json_integer_value(json_object_get(w, "id")),
                   (long long)json_integer_value(json_object_get(w, "version")), str(w, "locale"),
                   str(w, "sha256"));
    }
    v = json_object_get(b, "existing_customer");
    printf("  existing customers: %s\n", str(v, "description"));
    printf("    catalogue relations: %lld product, %lld category\n",
           (long long)json_integer_value(json_object_get(v, "product_relations")),
           (long long)json_integer_value(json_object_get(v, "category_relations")));
    json_array_foreach(json_object_get(v, "policies"), i, w)
        printf("    policy %s: existing customer %lld months, inquiry %lld months, consent lapses "
               "after %lld months, consent age %lld%s\n",
               str(w, "country"),
               (long long)json_integer_value(json_object_get(w, "existing_customer_months")),
               (long long)json_integer_value(json_object_get(w, "inquiry_months")),
               (long long)json_integer_value(json_object_get(w, "consent_lapse_months")),
               (long long)json_integer_value(json_object_get(w, "consent_age")),
               json_is_true(json_object_get(w, "opt_out_regime")) ? ", opt-out regime" : "");
    printf("  tracking: %s\n", str(json_object_get(b, "tracking"), "description"));

    printf("\n(c) Categories of data subjects and of personal data\n");
    json_array_foreach(json_object_get(c, "data_subjects"), i, v)
    {
        printf("  %s", str(v, "category"));
        if (json_is_string(json_object_get(v, "topic")))
            printf(" (%s)", str(v, "topic"));
        printf(": %lld\n", (long long)json_integer_value(json_object_get(v, "count")));
    }
    json_array_foreach(json_object_get(c, "contacts_by_source"), i, v)
        printf("  contacts from %s: %lld\n", str(v, "source"),
               (long long)json_integer_value(json_object_get(v, "count")));
    json_array_foreach(json_object_get(c, "data"), i, v)
        printf("  data: %s: %s\n", str(v, "category"), str(v, "fields"));
    if (json_array_size(json_object_get(c, "attributes")) == 0)
        printf("  declared attributes: none\n");
    json_array_foreach(json_object_get(c, "attributes"), i, v) printf(
        "  declared attribute %s%s\n", str(v, "name"),
        json_is_true(json_object_get(v, "sensitive")) ? " (special category, GDPR Art. 9)" : "");

    printf("\n(d) Recipients\n");
    if (json_array_size(json_object_get(d, "processors")) == 0)
        printf("  %s\n", str(d, "none"));
    json_array_foreach(json_object_get(d, "processors"), i, v)
    {
        char *hosts = json_dumps(json_object_get(v, "hosts"), JSON_COMPACT);
        printf("  %s (%s, %s) hosts %s dpa %s mechanism %s purpose %s\n", str(v, "name"),
               str(v, "role"), str(v, "country"), hosts ? hosts : "[]", str(v, "dpa"),
               str(v, "mechanism"), str(v, "purpose"));
        free(hosts);
    }
    if (json_is_string(json_object_get(d, "own_infrastructure")) &&
        json_array_size(json_object_get(d, "processors")) > 0)
        printf("  also: %s\n", str(d, "own_infrastructure"));

    printf("\n(e) Transfers to third countries\n");
    printf("  residency %s\n", str(e, "residency"));
    if (json_array_size(json_object_get(e, "transfers")) == 0)
        printf("  %s\n", str(e, "summary"));
    json_array_foreach(json_object_get(e, "transfers"), i, v)
        printf("  %s to %s: %s%s%s\n", str(v, "name"), str(v, "country"), str(v, "mechanism_text"),
               json_is_string(json_object_get(v, "decision")) ? "; " : "",
               json_is_string(json_object_get(v, "decision")) ? str(v, "decision") : "");

    printf("\n(f) Time limits for erasure\n");
#define N(key) ((long long)json_integer_value(json_object_get(f, key)))
    printf("  token_ttl %llds, pending_retention %llds, activity_retention %llds,\n"
           "  contact_retention_months %lld, reply_retention_months %lld\n",
           N("token_ttl_seconds"), N("pending_retention_seconds"), N("activity_retention_seconds"),
           N("contact_retention_months"), N("reply_retention_months"));
#undef N
    json_array_foreach(json_object_get(f, "rules"), i, v)
        printf("  %s: %s\n", str(v, "data"), str(v, "kept"));

    printf("\n(g) Security measures\n");
    json_array_foreach(json_object_get(g, "measures"), i, v)
        printf("  %s: %s\n", str(v, "measure"), str(v, "detail"));
}

int cmd_audit_ropa(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 0, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_t *rep = ropa_report(db, &cli->cfg, 1, err);
    db_free(db);
    if (rep == NULL)
        return -1;
    json_t *miss = json_array_get(json_object_get(rep, "missing"), 0);
    if (miss) {
        mo_err_set(err, MO_E_INPUT, "audit ropa: %s", json_string_value(miss));
        json_decref(rep);
        return -1;
    }
    json_object_del(rep, "missing");
    if (cli->json)
        return cli_print_json(rep);
    ropa_text(rep);
    json_decref(rep);
    return 0;
}
