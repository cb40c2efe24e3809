/*
 * cli_campaign.c - campaign create, explain, send and preview: arguments and
 * output only; the use cases are in campaign.c and campaign_mail.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "campaign.h"
#include "campaign_mail.h"
#include "cli.h"
#include "isotime.h"
#include "processor.h"

static int usage(struct cli *cli, struct mo_err *err)
{
    return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
}

/* --- campaign create --- */

static int create_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct campaign_new *o = ctx;
    (void)err;
    switch (c) {
    case 't':
        o->topic = arg;
        return 0;
    case 'T':
        o->template_name = arg;
        return 0;
    case 's':
        o->segment = arg;
        return 0;
    case 'p':
        o->promotes = arg;
        return 0;
    case 'c':
        o->categories = arg;
        return 0;
    case 'l':
        o->legal_entity = arg;
        return 0;
    default:
        return -1;
    }
}

int cmd_campaign_create(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"topic", required_argument, NULL, 't'},
                                       {"template", required_argument, NULL, 'T'},
                                       {"segment", required_argument, NULL, 's'},
                                       {"promotes", required_argument, NULL, 'p'},
                                       {"category", required_argument, NULL, 'c'},
                                       {"legal-entity", required_argument, NULL, 'l'},
                                       {NULL, 0, NULL, 0}};
    struct campaign_new o;
    struct db *db;
    long long id;
    int first, rc;

    memset(&o, 0, sizeof(o));
    rc = cli_getopt(cli, argc, argv, "t:T:s:p:c:l:", lo, create_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || o.topic == NULL || o.template_name == NULL || o.segment == NULL)
        return usage(cli, err);
    o.name = argv[first];
    o.actor = audit_cli_actor();
    if ((db = cli_db(cli, err)) == NULL)
        return -1;
    rc = campaign_create(db, &cli->cfg, &o, &id, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        cli_print_json(json_pack("{s:s, s:I}", "campaign", o.name, "id", (json_int_t)id));
    else
        printf("campaign %s created\n", o.name);
    return 0;
}

/* --- campaign explain --- */

struct explain_opts {
    const char *contact;
    const char *at;
    int since;
    long limit;
};

static int explain_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct explain_opts *o = ctx;
    char *end;
    switch (c) {
    case 'c':
        o->contact = arg;
        return 0;
    case 'a':
        o->at = arg;
        return 0;
    case 's':
        o->since = 1;
        return 0;
    case 'n':
        errno = 0;
        o->limit = strtol(arg, &end, 10);
        if (errno || *end || end == arg || o->limit < 0 || o->limit > 1000000)
            return mo_err_set(err, MO_E_USAGE, "--limit takes a number from 0 to 1000000");
        return 0;
    default:
        return -1;
    }
}

/* issue 13 (h-sensitive): what explain says about sensitive attributes */
static void print_sensitive(json_t *j)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(j, "sensitive"), i, o)
        printf("sensitive: %s\n", json_string_value(json_object_get(o, "message")));
}

static void print_counts(json_t *j)
{
    const char *k;
    json_t *v;
    printf("campaign %s, segment %s, at %s: %lld contact%s\n",
           json_string_value(json_object_get(j, "campaign")),
           json_string_value(json_object_get(j, "segment")),
           json_string_value(json_object_get(j, "at")),
           (long long)json_integer_value(json_object_get(j, "total")),
           json_integer_value(json_object_get(j, "total")) == 1 ? "" : "s");
    printf("basis\n");
    json_object_foreach(json_object_get(j, "basis"), k, v)
        printf("  %-24s %10lld\n", k, (long long)json_integer_value(v));
    printf("excluded\n");
    json_object_foreach(json_object_get(j, "excluded"), k, v)
        printf("  %-24s %10lld\n", k, (long long)json_integer_value(v));
    print_sensitive(j);
}

static void print_contact(json_t *j)
{
    json_t *ev = json_object_get(j, "evidence"), *step;
    size_t i;
    const char *decision = json_string_value(json_object_get(j, "decision"));

    printf(
        "%s: %s %s (campaign %s, at %s)\n", json_string_value(json_object_get(j, "email")),
        decision,
        json_string_value(json_object_get(j, strcmp(decision, "basis") == 0 ? "basis" : "reason")),
        json_string_value(json_object_get(j, "campaign")),
        json_string_value(json_object_get(j, "at")));
    json_array_foreach(json_object_get(j, "path"), i, step)
        printf("  %2zu. %-22s %-4s  %s\n", i + 1, json_string_value(json_object_get(step, "rule")),
               json_string_value(json_object_get(step, "result")),
               json_string_value(json_object_get(step, "detail")));
    if (json_is_integer(json_object_get(ev, "consent_event")))
        printf("evidence: consent event %lld\n",
               (long long)json_integer_value(json_object_get(ev, "consent_event")));
    if (json_is_string(json_object_get(ev, "order_id")))
        printf("evidence: order %s, %s\n", json_string_value(json_object_get(ev, "order_id")),
               json_is_string(json_object_get(ev, "relation"))
                   ? json_string_value(json_object_get(ev, "relation"))
                   : "not related");
    print_sensitive(j);
}

static void print_since(json_t *j)
{
    json_t *c;
    size_t i;
    printf("campaign %s since run %lld (%s): gained %lld, lost %lld, changed %lld\n",
           json_string_value(json_object_get(j, "campaign")),
           (long long)json_integer_value(json_object_get(j, "last_run")),
           json_string_value(json_object_get(j, "last_run_at")),
           (long long)json_integer_value(json_object_get(j, "gained")),
           (long long)json_integer_value(json_object_get(j, "lost")),
           (long long)json_integer_value(json_object_get(j, "changed")));
    json_array_foreach(json_object_get(j, "contacts"), i, c) printf(
        "  %s: %s -> %s\n", json_string_value(json_object_get(c, "email")),
        json_string_value(json_object_get(c, "was")), json_string_value(json_object_get(c, "now")));
}

int cmd_campaign_explain(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"contact", required_argument, NULL, 'c'},
                                       {"since-last-run", no_argument, NULL, 's'},
                                       {"at", required_argument, NULL, 'a'},
                                       {"limit", required_argument, NULL, 'n'},
                                       {NULL, 0, NULL, 0}};
    struct explain_opts o = {NULL, NULL, 0, 100};
    struct db *db;
    json_t *j;
    time_t at = time(NULL);
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "c:sa:n:", lo, explain_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || (o.contact && o.since))
        return usage(cli, err);
    if (o.at && isotime_parse(o.at, &at) < 0)
        return mo_err_set(err, MO_E_USAGE,
                          "--at takes an ISO 8601 time such as 2026-11-24 or 2026-11-24T09:00Z");
    if ((db = cli_db(cli, err)) == NULL)
        return -1;
    if (o.contact)
        j = campaign_explain_contact(db, &cli->cfg, argv[first], o.contact, at, err);
    else if (o.since)
        j = campaign_explain_since(db, &cli->cfg, argv[first], at, o.limit, err);
    else
        j = campaign_explain(db, &cli->cfg, argv[first], at, err);
    db_free(db);
    if (j == NULL)
        return -1;
    if (cli->json)
        return cli_print_json(j);
    if (o.contact)
        print_contact(j);
    else if (o.since)
        print_since(j);
    else
        print_counts(j);
    json_decref(j);
    return 0;
}

/* --- campaign send --- */

int cmd_campaign_send(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    struct campaign_run_stats st;
    struct db *db;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return usage(cli, err);
    /* a run that dispatch could never send is not built */
    if (campaign_mail_check_config(&cli->cfg, err) < 0)
        return -1;
    if (cli->cfg.dkim_key_file == NULL || *cli->cfg.dkim_key_file == '\0')
        fprintf(stderr, "warning: DKIM signing is not configured (dkim_key_file): mailbox "
                        "providers will not offer one-click unsubscribe (RFC 8058)\n");
    if ((db = cli_db(cli, err)) == NULL)
        return -1;
    /* R-GDPR-13: no run for a relay that belongs to no registered processor */
    if (processor_check_relays(db, &cli->cfg, err) < 0) {
        db_free(db);
        return -1;
    }
    rc = campaign_build_run(db, &cli->cfg, argv[first], audit_cli_actor(), &st, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        cli_print_json(json_pack(
            "{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "campaign", argv[first], "run",
            (json_int_t)st.run_id, "considered", (json_int_t)st.considered, "queued",
            (json_int_t)st.queued, "excluded", (json_int_t)st.excluded, "consents_expired",
            (json_int_t)st.expired, "window_wait", (json_int_t)st.window_wait));
    else {
        printf("run %lld of campaign %s: %lld contacts considered, %lld queued, %lld excluded, "
               "%lld lapsed consents recorded as expired\n",
               st.run_id, argv[first], st.considered, st.queued, st.excluded, st.expired);
        if (st.window_wait > 0)
            printf("%ld of them wait for their send window (campaign window %s)\n", st.window_wait,
                   argv[first]);
    }
    return 0;
}

/* --- campaign preview --- */

int cmd_campaign_preview(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"contact", required_argument, NULL, 'c'},
                                       {NULL, 0, NULL, 0}};
    const char *contact = NULL;
    struct campaign_mail_preview_info info;
    struct compose_msg m;
    struct db *db;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "c:", lo, cli_opt_value, &contact, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || contact == NULL)
        return usage(cli, err);
    if ((db = cli_db(cli, err)) == NULL)
        return -1;
    compose_msg_init(&m);
    rc = campaign_mail_preview(db, &cli->cfg, cli->data_dir, argv[first], contact, &m, &info, err);
    db_free(db);
    if (rc == 0) {
        if (*info.reason)
            fprintf(stderr,
                    "campaign %s would not be sent to %s now: excluded (%s); this is the message "
                    "they would get\n",
                    argv[first], contact, info.reason);
        if (fwrite(m.data.s, 1, m.data.len, stdout) != m.data.len || fflush(stdout) != 0)
            rc = mo_err_set(err, MO_E_INTERNAL, "cannot write the message to standard output");
    }
    compose_msg_release(&m);
    return rc;
}
