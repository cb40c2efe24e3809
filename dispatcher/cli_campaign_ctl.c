/*
 * cli_campaign_ctl.c - campaign retry, pause, resume, cancel and status:
 * arguments and output only; the use cases are in campaign_ctl.c.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "campaign_ctl.h"
#include "cli.h"

typedef int (*ctl_fn)(struct db *db, const char *name, const char *actor,
                      struct campaign_ctl_result *res, struct mo_err *err);

/* Parses NAME, runs fn, prints what changed; 0 or -1 with err. */
static int control(struct cli *cli, int argc, char **argv, const char *verb, ctl_fn fn,
                   struct mo_err *err)
{
    struct campaign_ctl_result res;
    struct db *db;
    const char *name;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    name = argv[first];
    if ((db = cli_db(cli, err)) == NULL)
        return -1;
    rc = fn(db, name, audit_cli_actor(), &res, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json) {
        return cli_print_json(json_pack("{s:s, s:I, s:s, s:s, s:b, s:I}", "campaign", name, "run",
                                        (json_int_t)res.run_id, "from", res.from, "to", res.to,
                                        "changed", res.changed, "rows", (json_int_t)res.rows));
    }
    if (strcmp(verb, "retry") == 0) {
        if (res.rows == 0)
            printf("campaign %s: nothing to retry (run %lld has no failed recipients)\n", name,
                   res.run_id);
        else
            printf("campaign %s: %lld failed recipient%s of run %lld queued again (run %s)\n", name,
                   res.rows, cli_plural((long)res.rows), res.run_id, res.to);
    } else if (!res.changed) {
        printf("campaign %s: run %lld is already %s\n", name, res.run_id, res.from);
    } else if (strcmp(verb, "cancel") == 0) {
        printf("campaign %s: run %lld cancelled (was %s), %lld queued recipient%s cancelled\n",
               name, res.run_id, res.from, res.rows, cli_plural((long)res.rows));
    } else {
        printf("campaign %s: run %lld %s (was %s)\n", name, res.run_id, res.to, res.from);
    }
    return 0;
}

int cmd_campaign_retry(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return control(cli, argc, argv, "retry", campaign_retry, err);
}

int cmd_campaign_pause(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return control(cli, argc, argv, "pause", campaign_pause, err);
}

int cmd_campaign_resume(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return control(cli, argc, argv, "resume", campaign_resume, err);
}

int cmd_campaign_cancel(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return control(cli, argc, argv, "cancel", campaign_cancel, err);
}

static long long num(json_t *run, const char *key)
{
    return (long long)json_integer_value(json_object_get(run, key));
}

static void print_status(json_t *j)
{
    json_t *runs = json_object_get(j, "runs"), *run;
    size_t i;

    if (json_array_size(runs) == 0) {
        printf("campaign %s has no runs yet\n", json_string_value(json_object_get(j, "campaign")));
        return;
    }
    printf("campaign %s\n", json_string_value(json_object_get(j, "campaign")));
    printf("%8s %-9s %10s %10s %10s %10s %10s %10s %10s %10s\n", "run", "state", "recipients",
           "queued", "sent", "failed", "uncertain", "excluded", "cancelled", "deferred");
    json_array_foreach(runs, i, run)
    {
        printf("%8lld %-9s %10lld %10lld %10lld %10lld %10lld %10lld %10lld %10lld\n",
               num(run, "run"), json_string_value(json_object_get(run, "state")),
               num(run, "recipients"), num(run, "queued"), num(run, "sent"), num(run, "failed"),
               num(run, "uncertain"), num(run, "excluded"), num(run, "cancelled"),
               num(run, "deferred"));
    }
    run = json_array_get(runs, 0);
    /* issue 11 (h-window) */
    if (num(run, "window_wait") > 0)
        printf("run %lld: %lld queued wait for their send window ('campaign window %s' shows "
               "it)\n",
               num(run, "run"), num(run, "window_wait"),
               json_string_value(json_object_get(j, "campaign")));
    if (num(run, "uncertain") > 0)
        printf("run %lld: %lld uncertain (a worker stopped inside an SMTP session; "
               "'dispatch --resend-uncertain' sends them again)\n",
               num(run, "run"), num(run, "uncertain"));
    if (num(run, "failed") > 0)
        printf("run %lld: %lld failed ('campaign retry %s' queues them again)\n", num(run, "run"),
               num(run, "failed"), json_string_value(json_object_get(j, "campaign")));
}

int cmd_campaign_status(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    struct db *db;
    json_t *j;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if ((db = cli_db(cli, err)) == NULL)
        return -1;
    j = campaign_status(db, argv[first], err);
    db_free(db);
    if (j == NULL)
        return -1;
    if (cli->json)
        return cli_print_json(j);
    print_status(j);
    json_decref(j);
    return 0;
}
