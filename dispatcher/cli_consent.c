/*
 * cli_consent.c - topic add, consent-text add, contact import, contact
 * show, subscribe, unsubscribe and maintenance: argument handling and
 * output only.  The use cases, with their transactions and audit entries,
 * are in topic.c, contact.c, consent.c, doi.c and doi_mail.c; this file
 * names the actor (audit_cli_actor()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "activity.h"
#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "consent.h"
#include "contact.h"
#include "doi.h"
#include "doi_mail.h"
#include "fileio.h"
#include "retention.h"
#include "sensitive.h"
#include "topic.h"
#include "xalloc.h"

/* --- topic add --- */

int cmd_topic_add(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"title", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
    const char *title = NULL;
    int first, rc;
    long long id;

    rc = cli_getopt(cli, argc, argv, "t:", lo, cli_opt_value, &title, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || title == NULL)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = topic_add(db, argv[first], title, audit_cli_actor(), &id, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        cli_print_json(json_pack("{s:s, s:I}", "topic", argv[first], "id", (json_int_t)id));
    else
        printf("topic '%s' added\n", argv[first]);
    return 0;
}

/* --- consent-text add --- */

struct text_opts {
    const char *locale;
    const char *explicit_attrs; /* --explicit A,B or NULL */
};

static int text_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    (void)err;
    if (c == 'x') {
        ((struct text_opts *)ctx)->explicit_attrs = arg;
        return 0;
    }
    if (c != 'l')
        return -1;
    ((struct text_opts *)ctx)->locale = arg;
    return 0;
}

int cmd_consent_text_add(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"locale", required_argument, NULL, 'l'},
                                       {"explicit", required_argument, NULL, 'x'},
                                       {NULL, 0, NULL, 0}};
    struct text_opts o = {"en", NULL};
    struct buf body;
    int first, rc, created = 0;
    long long id;

    rc = cli_getopt(cli, argc, argv, "l:x:", lo, text_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 2)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (fileio_read(argv[first + 1], CONSENT_TEXT_MAX, "consent text", &body, err) < 0) {
        buf_release(&body);
        return -1;
    }
    /* the wording is checked before touching the database */
    if (consent_text_check(body.s, body.len, err) < 0) {
        buf_release(&body);
        mo_err_detail(err, "file %s", argv[first + 1]);
        return -1;
    }
    struct db *db = cli_db(cli, err);
    if (db == NULL) {
        buf_release(&body);
        return -1;
    }
    if (o.explicit_attrs) /* issue 13: explicit consent for sensitive attributes (Art. 9(2)(a)) */
        rc = sensitive_text_add(db, cli->cfg.contact_attributes, argv[first], o.locale, body.s,
                                body.len, o.explicit_attrs, audit_cli_actor(), &id, &created, err);
    else
        rc = consent_text_add(db, argv[first], o.locale, body.s, body.len, audit_cli_actor(), &id,
                              &created, err);
    db_free(db);
    buf_release(&body);
    if (rc < 0)
        return -1;
    printf("%lld\n", id);
    if (!created)
        fprintf(stderr, "mailout: this exact text is already version id %lld\n", id);
    return 0;
}

/* --- contact import --- */

struct import_opts {
    int skip_invalid;
    const char *attributes;
};

static int import_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct import_opts *o = ctx;
    (void)err;
    if (c == 's')
        o->skip_invalid = 1;
    else if (c == 'a')
        o->attributes = arg;
    else
        return -1;
    return 0;
}

/* The summary line of INTERFACE.md; after "dropped N: " what else happened. */
static void print_import_summary(const struct contact_import_stats *st, int failed)
{
    printf("loaded %ld, rejected %ld, suppressed %ld, dropped %ld: ", st->loaded, st->rejected,
           st->suppressed, st->dropped);
    if (failed) {
        printf("nothing loaded\n");
        return;
    }
    if (st->consents)
        printf("%ld consent proof%s recorded", st->consents, cli_plural(st->consents));
    else
        printf("no consent created");
    if (st->consents_refused)
        printf("; %ld consent proof%s refused", st->consents_refused,
               cli_plural(st->consents_refused));
    if (st->merged)
        printf("; %ld duplicate row%s merged", st->merged, cli_plural(st->merged));
    if (st->dropped_columns)
        printf("; %ld undeclared column%s dropped", st->dropped_columns,
               cli_plural(st->dropped_columns));
    putchar('\n');
}

int cmd_contact_import(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"skip-invalid", no_argument, NULL, 's'},
                                       {"attributes", required_argument, NULL, 'a'},
                                       {NULL, 0, NULL, 0}};
    struct import_opts o = {0, NULL};
    struct contact_import_stats st;
    int first, rc;

    memset(&st, 0, sizeof(st));
    rc = cli_getopt(cli, argc, argv, "sa:", lo, import_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    /* from here on every import ends with its summary line, failed or not */
    struct db *db = cli_db(cli, err);
    if (db == NULL) {
        rc = -1;
    } else {
        struct contact_import_opts io = {o.skip_invalid,
                                         o.attributes ? o.attributes : cli->cfg.contact_attributes,
                                         audit_cli_actor()};
        rc = contact_import(db, &cli->cfg, argv[first], &io, &st, cli_report_stderr, NULL, err);
        db_free(db);
    }
    if (cli->json) {
        json_t *j = json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "file", argv[first], "loaded",
            (json_int_t)st.loaded, "rejected", (json_int_t)st.rejected, "suppressed",
            (json_int_t)st.suppressed, "dropped", (json_int_t)st.dropped, "merged",
            (json_int_t)st.merged, "consents", (json_int_t)st.consents, "consents_refused",
            (json_int_t)st.consents_refused, "dropped_columns", (json_int_t)st.dropped_columns);
        if (j == NULL) /* a file name that is not UTF-8 */
            j = json_pack("{s:n, s:I, s:I}", "file", "loaded", (json_int_t)st.loaded, "rejected",
                          (json_int_t)st.rejected);
        cli_print_json(j);
    } else {
        print_import_summary(&st, rc < 0);
    }
    if (rc == 0 && st.consents)
        fprintf(stderr, "mailout: %ld imported consent proof%s recorded\n", st.consents,
                cli_plural(st.consents));
    return rc;
}

/* --- contact show --- */

int cmd_contact_show(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 1, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_t *c = contact_show(db, argv[first], err);
    db_free(db);
    if (c == NULL)
        return -1;
    if (cli->json)
        return cli_print_json(c);
    const char *k;
    json_t *v;
    printf("contact %lld\n", (long long)json_integer_value(json_object_get(c, "id")));
    static const char *const fields[] = {"email",     "name",       "country", "locale",
                                         "time_zone", "birth_date", "source",  "created_at"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        json_t *f = json_object_get(c, fields[i]);
        if (json_is_string(f))
            printf("  %-12s %s\n", fields[i], json_string_value(f));
        else if (strcmp(fields[i], "time_zone") == 0 &&
                 json_is_string(json_object_get(c, "country_time_zone")))
            printf("  %-12s %s (from the country)\n", fields[i],
                   json_string_value(json_object_get(c, "country_time_zone")));
    }
    json_object_foreach(json_object_get(c, "attributes"), k, v)
        printf("  attr.%-7s %s\n", k, json_string_value(v) ? json_string_value(v) : "");
    if (json_is_string(json_object_get(c, "objected_since")))
        printf("  objected to all marketing since %s\n",
               json_string_value(json_object_get(c, "objected_since")));
    json_t *pause = json_object_get(c, "pause");
    if (json_is_true(json_object_get(pause, "running")))
        printf("  all marketing paused until %s (since %s)\n",
               json_string_value(json_object_get(pause, "until")),
               json_string_value(json_object_get(pause, "since")));
    printf("topics:\n");
    json_object_foreach(json_object_get(c, "topics"), k, v)
        printf("  %-20s %-10s since %s\n", k, json_string_value(json_object_get(v, "state")),
               json_string_value(json_object_get(v, "since")));
    printf("history:\n");
    size_t i;
    json_array_foreach(json_object_get(c, "history"), i, v)
    {
        const char *s;
        printf("  #%lld %s %s %s", (long long)json_integer_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "occurred_at")),
               json_string_value(json_object_get(v, "kind")),
               json_is_string(json_object_get(v, "topic"))
                   ? json_string_value(json_object_get(v, "topic"))
                   : "(all marketing)");
        printf(" via %s by %s", json_string_value(json_object_get(v, "channel")),
               json_string_value(json_object_get(v, "actor")));
        if ((s = json_string_value(json_object_get(v, "ip"))))
            printf(" ip %s", s);
        if ((s = json_string_value(json_object_get(v, "consent_text_sha256"))))
            printf(" text %lld v%lld sha256 %.16s",
                   (long long)json_integer_value(json_object_get(v, "consent_text_id")),
                   (long long)json_integer_value(json_object_get(v, "consent_text_version")), s);
        if ((s = json_string_value(json_object_get(v, "receipt_sha256"))))
            printf(" receipt sha256 %.16s", s);
        if ((s = json_string_value(json_object_get(v, "user_agent"))) && *s)
            printf(" ua \"%s\"", s);
        if ((s = json_string_value(json_object_get(v, "paused_until"))))
            printf(" until %s", s);
        if ((s = json_string_value(json_object_get(v, "message_id"))))
            printf(" message %s", s);
        if ((s = json_string_value(json_object_get(v, "note"))))
            printf(" note \"%s\"", s);
        putchar('\n');
    }
    /* issue 10: h-webhook */
    json_t *hooks = json_object_get(c, "webhooks");
    if (json_array_size(hooks))
        printf("webhooks:\n");
    json_array_foreach(hooks, i, v)
    {
        const json_t *st = json_object_get(v, "last_status");
        const char *at = json_string_value(json_object_get(v, "delivered_at"));
        printf("  #%lld %s %s, %lld attempt%s",
               (long long)json_integer_value(json_object_get(v, "id")),
               json_string_value(json_object_get(v, "event")),
               json_string_value(json_object_get(v, "state")),
               (long long)json_integer_value(json_object_get(v, "attempts")),
               cli_plural((long)json_integer_value(json_object_get(v, "attempts"))));
        if (json_is_integer(st))
            printf(", last status %lld", (long long)json_integer_value(st));
        if (at)
            printf(", delivered %s", at);
        putchar('\n');
    }
    json_decref(c);
    return 0;
}

/* --- subscribe --- */

struct sub_opts {
    const char *topics[DOI_MAX_TOPICS];
    size_t ntopics;
    long long texts[DOI_MAX_TOPICS];
    size_t ntexts;
    const char *ip, *ua, *source, *locale;
    int age;
};

static int sub_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct sub_opts *o = ctx;
    char *end;
    switch (c) {
    case 't':
        if (o->ntopics >= DOI_MAX_TOPICS)
            return mo_err_set(err, MO_E_USAGE, "at most %d topics", DOI_MAX_TOPICS);
        o->topics[o->ntopics++] = arg;
        return 0;
    case 'x':
        if (o->ntexts >= DOI_MAX_TOPICS)
            return mo_err_set(err, MO_E_USAGE, "at most %d consent texts", DOI_MAX_TOPICS);
        errno = 0;
        o->texts[o->ntexts] = strtoll(arg, &end, 10);
        if (errno || *end || o->texts[o->ntexts] <= 0)
            return mo_err_set(err, MO_E_USAGE, "invalid --consent-text '%s'", arg);
        o->ntexts++;
        return 0;
    case 'i':
        o->ip = arg;
        return 0;
    case 'u':
        o->ua = arg;
        return 0;
    case 's':
        o->source = arg;
        return 0;
    case 'l':
        o->locale = arg;
        return 0;
    case 'a':
        o->age = 1;
        return 0;
    }
    return -1;
}

static int report_subscribe(struct cli *cli, const char *email, enum doi_outcome outcome,
                            const struct doi_mail_stats *st, struct mo_err *err)
{
    const struct doi_mail_result *m = &st->last;
    const char *what, *key;

    if (outcome == DOI_LIMITED) {
        what = "not sent: the address had its confirmation mails for 24 hours";
        key = "limited";
    } else if (outcome == DOI_MINOR) {
        what = "not sent: the contact is under the consent age";
        key = "minor";
    } else if (outcome == DOI_SUPPRESSED) {
        what = "not sent: the address is suppressed (unsubscribe --suppress)";
        key = "suppressed";
    } else if (st->claimed == 0) {
        what = "confirmation mail queued";
        key = "queued";
    } else if (m->result == TRANSPORT_SENT) {
        what = "confirmation mail sent";
        key = "mail_sent";
    } else if (m->result == TRANSPORT_FAILED || m->gave_up) {
        what = "confirmation mail refused";
        key = "refused";
    } else {
        what = "confirmation mail queued";
        key = "queued";
    }
    if (cli->json)
        cli_print_json(json_pack("{s:s, s:s, s:i, s:s}", "email", email, "outcome", key, "code",
                                 st->claimed ? m->code : 0, "reply", st->claimed ? m->reply : ""));
    else
        printf("%s: %s\n", email, what);
    if (outcome == DOI_LIMITED)
        return mo_err_set(err, MO_E_TEMPFAIL, "%s", what);
    if (outcome == DOI_MINOR || outcome == DOI_SUPPRESSED)
        return mo_err_set(err, MO_E_INPUT, "%s", what);
    if (st->claimed == 0 || m->result == TRANSPORT_SENT)
        return 0;
    if (m->result == TRANSPORT_FAILED)
        return mo_err_set(err, MO_E_INPUT, "the relay refused the confirmation mail: %d %s",
                          m->code, m->reply);
    if (m->gave_up)
        return mo_err_set(err, MO_E_TEMPFAIL,
                          "the relay said %d %s; not retried: the token expires first", m->code,
                          m->reply);
    if (m->result == TRANSPORT_NOT_ATTEMPTED)
        return mo_err_set(err, MO_E_UNAVAILABLE,
                          "confirmation mail not sent: %s; it stays queued for the sender",
                          m->reply);
    return mo_err_set(err, MO_E_TEMPFAIL,
                      "the relay said %d %s; the mail stays queued and is retried", m->code,
                      m->reply);
}

int cmd_subscribe(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {
        {"topic", required_argument, NULL, 't'},   {"consent-text", required_argument, NULL, 'x'},
        {"ip", required_argument, NULL, 'i'},      {"user-agent", required_argument, NULL, 'u'},
        {"source", required_argument, NULL, 's'},  {"locale", required_argument, NULL, 'l'},
        {"age-confirmed", no_argument, NULL, 'a'}, {NULL, 0, NULL, 0}};
    struct sub_opts o;
    struct doi_topic_req reqs[DOI_MAX_TOPICS];
    enum doi_outcome outcome;
    int first, rc;

    memset(&o, 0, sizeof(o));
    rc = cli_getopt(cli, argc, argv, "t:x:i:u:s:l:a", lo, sub_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || o.ntopics == 0)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (o.ntexts && o.ntexts != o.ntopics)
        return mo_err_set(err, MO_E_USAGE,
                          "give one --consent-text per --topic, in the same order");
    for (size_t i = 0; i < o.ntopics; i++) {
        reqs[i].topic = o.topics[i];
        reqs[i].consent_text_id = o.ntexts ? o.texts[i] : 0;
    }
    char owner[DOI_MAIL_OWNER_MAX];
    if (doi_mail_owner_id(owner, err) < 0)
        return -1;
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    struct doi_subscribe_in in = {.email = argv[first],
                                  .topics = reqs,
                                  .ntopics = o.ntopics,
                                  .ip = o.ip,
                                  .user_agent = o.ua,
                                  .source = o.source ? o.source : "cli",
                                  .channel = "cli",
                                  .actor = audit_cli_actor(),
                                  .locale = o.locale,
                                  .age_attested = o.age,
                                  .send_as = owner};
    struct doi_mail_stats st;
    memset(&st, 0, sizeof(st));
    rc = doi_subscribe(db, &cli->cfg, cli->data_dir, &in, &outcome, err);
    if (rc == 0 && outcome == DOI_QUEUED) {
        /* an admin's own action: send now and report what the relay said */
        struct doi_mail_opts mo = {1, owner, 1};
        rc = doi_mail_run(db, &cli->cfg, cli->data_dir, &mo, &st, err);
        if (rc < 0) {
            struct mo_err e2;
            mo_err_init(&e2);
            doi_mail_release(db, owner, &e2);
            mo_err_detail(err, "the confirmation mail stays queued for the sender");
        }
    }
    db_free(db);
    if (rc < 0)
        return -1;
    return report_subscribe(cli, argv[first], outcome, &st, err);
}

/* --- unsubscribe --- */

struct unsub_opts {
    const char *topic;
    const char *reason;
    int suppress;
};

static int unsub_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct unsub_opts *o = ctx;
    (void)err;
    if (c == 't')
        o->topic = arg;
    else if (c == 'r')
        o->reason = arg;
    else if (c == 's')
        o->suppress = 1;
    else
        return -1;
    return 0;
}

int cmd_unsubscribe(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"topic", required_argument, NULL, 't'},
                                       {"reason", required_argument, NULL, 'r'},
                                       {"suppress", no_argument, NULL, 's'},
                                       {NULL, 0, NULL, 0}};
    struct unsub_opts o = {NULL, NULL, 0};
    struct dsr_closed closed = {0};
    long long cid;
    int first, rc, changed;

    rc = cli_getopt(cli, argc, argv, "t:r:s", lo, unsub_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    struct consent_optout out = {.email = argv[first],
                                 .topic = o.topic,
                                 .channel = "admin",
                                 .source = "unsubscribe command",
                                 .actor = audit_cli_actor(),
                                 .reason = o.reason ? o.reason : "opt-out received by other means",
                                 .message_id = NULL,
                                 .suppress = o.suppress,
                                 .closed = &closed};
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = consent_unsubscribe(db, &cli->cfg, &out, &cid, &changed, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cid == 0)
        printf("%s: suppressed (no contact: only the address's keyed hash is stored)\n",
               argv[first]);
    else
        printf("%s: %s%s%s\n", argv[first],
               o.topic ? "unsubscribed from " : "objected to all marketing", o.topic ? o.topic : "",
               o.suppress ? "; suppressed" : "");
    if (!changed)
        fprintf(stderr, "mailout: already recorded; nothing changed\n");
    for (size_t i = 0; i < closed.n; i++)
        fprintf(stderr, "mailout: closed request %lld\n", closed.ids[i]);
    return 0;
}

/* --- maintenance --- */

static int maintenance_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    (void)arg;
    (void)err;
    if (c != 'n')
        return -1;
    *(int *)ctx = 1;
    return 0;
}

/* an address as stored, printable on a terminal (control bytes shown as '?') */
static void print_address(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s);
}

static const char *plural(long n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void maintenance_print(const struct cli *cli, const struct maintenance_result *res, int dry)
{
    if (cli->json) {
        json_t *o = json_pack("{s:b, s:I, s:I, s:I, s:I, s:s}", "dry_run", dry, "pending_deleted",
                              (json_int_t)res->pending_deleted, "activity_deleted",
                              (json_int_t)res->activity_deleted, "contacts_erased",
                              (json_int_t)res->contacts_erased, "replies_cleared",
                              (json_int_t)res->replies_cleared, "reply_cutoff", res->reply_cutoff);
        if (dry) {
            json_t *a = json_array();
            for (size_t i = 0; i < res->ncontacts; i++)
                json_array_append_new(a, json_pack("{s:I, s:s?}", "id",
                                                   (json_int_t)res->contacts[i].id, "email",
                                                   res->contacts[i].email));
            json_object_set_new(o, "contacts", a);
        } else
            json_object_set_new(o, "contacts_skipped", json_integer(res->contacts_skipped));
        cli_print_json(o);
        return;
    }
    const char *del = dry ? "would delete" : "deleted";
    printf("%s %ld expired pending %s\n", del, res->pending_deleted,
           plural(res->pending_deleted, "request", "requests"));
    printf("%s %ld web activity %s older than activity_retention\n", del, res->activity_deleted,
           plural(res->activity_deleted, "row", "rows"));
    printf("%s %ld %s idle for contact_retention_months (%lld)%s\n", dry ? "would erase" : "erased",
           res->contacts_erased, plural(res->contacts_erased, "contact", "contacts"),
           cli->cfg.contact_retention_months, dry && res->ncontacts ? ":" : "");
    for (size_t i = 0; dry && i < res->ncontacts; i++) {
        printf("  contact %lld ", res->contacts[i].id);
        print_address(res->contacts[i].email ? res->contacts[i].email : "");
        putchar('\n');
    }
    printf("%s %ld SMTP %s older than reply_retention_months (%lld, before %s)\n",
           dry ? "would clear" : "cleared", res->replies_cleared,
           plural(res->replies_cleared, "reply", "replies"), cli->cfg.reply_retention_months,
           res->reply_cutoff);
}

int cmd_maintenance(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"dry-run", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
    struct maintenance_result res;
    int first, rc, dry = 0;

    rc = cli_getopt(cli, argc, argv, "n", lo, maintenance_opt, &dry, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "maintenance takes no arguments");
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    if (dry)
        rc = maintenance_plan(db, &cli->cfg, &res, err);
    else
        rc = maintenance_run(db, &cli->cfg, audit_cli_actor(), &res, err);
    db_free(db);
    if (rc < 0)
        return -1;
    maintenance_print(cli, &res, dry);
    maintenance_result_release(&res);
    return 0;
}
