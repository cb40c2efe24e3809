/*
 * cli_webhook.c - webhook status and webhook retry: argument handling and
 * output only.  The queries, the retry's transaction and its audit entry
 * are in webhook.c; this file names the actor (audit_cli_actor()).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "webhook.h"

/* Dead letters listed by webhook status. */
#define STATUS_DEAD_MAX 20

int cmd_webhook_status(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    struct webhook_totals t;
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 0, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_t *dead = NULL;
    rc = webhook_totals_read(db, &t, err);
    if (rc == 0 && (dead = webhook_dead_list(db, STATUS_DEAD_MAX, err)) == NULL)
        rc = -1;
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json) {
        json_t *j = json_pack(
            "{s:b, s:I, s:I, s:I, s:I, s:I, s:o, s:o}", "configured", *cli->cfg.webhook_url != '\0',
            "pending", (json_int_t)t.pending, "in_flight", (json_int_t)t.in_flight, "delivered",
            (json_int_t)t.delivered, "dead", (json_int_t)t.dead, "failed_attempts",
            (json_int_t)t.failed_attempts, "oldest_pending_seconds",
            t.oldest_pending >= 0 ? json_integer(t.oldest_pending) : json_null(), "dead_letters",
            dead);
        if (j == NULL)
            return mo_err_set(err, MO_E_INTERNAL, "cannot build the webhook status");
        return cli_print_json(j);
    }
    if (!*cli->cfg.webhook_url)
        fprintf(stderr, "mailout: webhook_url is not set: nothing is delivered\n");
    printf("pending          %lld", t.pending);
    if (t.in_flight)
        printf(" (%lld being sent)", t.in_flight);
    putchar('\n');
    if (t.oldest_pending >= 0)
        printf("oldest pending   %lld s\n", t.oldest_pending);
    printf("delivered        %lld\n", t.delivered);
    printf("dead             %lld\n", t.dead);
    printf("failed attempts  %lld\n", t.failed_attempts);
    size_t i;
    json_t *d;
    json_array_foreach(dead, i, d)
    {
        if (i == 0)
            printf("dead letters (oldest first; 'mailout webhook retry' sends them again):\n");
        const json_t *st = json_object_get(d, "last_status");
        printf("  #%lld %s contact %lld, %lld attempts, dead since %s, ",
               (long long)json_integer_value(json_object_get(d, "id")),
               json_string_value(json_object_get(d, "event")),
               (long long)json_integer_value(json_object_get(d, "contact_id")),
               (long long)json_integer_value(json_object_get(d, "attempts")),
               json_string_value(json_object_get(d, "dead_at")));
        if (json_is_integer(st))
            printf("HTTP %lld\n", (long long)json_integer_value(st));
        else
            printf("%s\n", json_string_value(json_object_get(d, "last_error")));
    }
    if (t.dead > (long long)json_array_size(dead))
        printf("  ... and %lld more\n", t.dead - (long long)json_array_size(dead));
    json_decref(dead);
    return 0;
}

static int retry_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    long long *id = ctx;
    char *end;

    if (c != 'i')
        return -1;
    errno = 0;
    *id = strtoll(arg, &end, 10);
    if (errno || end == arg || *end || *id < 1)
        return mo_err_set(err, MO_E_USAGE, "invalid --id '%s': expected an outbox id", arg);
    return 0;
}

int cmd_webhook_retry(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"id", required_argument, NULL, 'i'}, {NULL, 0, NULL, 0}};
    long long id = 0, n = 0;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "i:", lo, retry_opt, &id, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = webhook_retry(db, audit_cli_actor(), id, &n, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        return cli_print_json(json_pack("{s:I}", "queued", (json_int_t)n));
    if (n == 0)
        printf("no dead letters\n");
    else
        printf("%lld dead letter%s queued again\n", n, cli_plural((long)n));
    if (!*cli->cfg.webhook_url)
        fprintf(stderr, "mailout: webhook_url is not set: nothing is delivered\n");
    return 0;
}
