/*
 * cli_request.c - `mailout request add|list|extend|done`: arguments and
 * output only.  The use cases, with their transactions and audit entries,
 * are in dsr.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "dsr.h"

struct request_opts {
    const char *kind, *received, *channel, *reason;
    int open, overdue;
};

static int request_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct request_opts *o = ctx;
    (void)err;
    switch (c) {
    case 'k':
        o->kind = arg;
        break;
    case 'r':
        o->received = arg;
        break;
    case 'c':
        o->channel = arg;
        break;
    case 'R':
        o->reason = arg;
        break;
    case 'o':
        o->open = 1;
        break;
    case 'O':
        o->overdue = 1;
        break;
    default:
        return -1;
    }
    return 0;
}

/* the request ID operand: a positive decimal integer */
static int parse_id(const char *s, long long *id, struct mo_err *err)
{
    char *end;
    errno = 0;
    *id = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || *id <= 0 || s[0] == '+' || s[0] == ' ')
        return mo_err_set(err, MO_E_INPUT, "invalid request id '%s': a positive number", s);
    return 0;
}

int cmd_request_add(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"kind", required_argument, NULL, 'k'},
                                       {"received", required_argument, NULL, 'r'},
                                       {"channel", required_argument, NULL, 'c'},
                                       {NULL, 0, NULL, 0}};
    struct request_opts o = {0};
    struct dsr_info info;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "k:r:c:", lo, request_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || o.kind == NULL)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    struct dsr_new req = {.email = argv[first],
                          .kind = o.kind,
                          .channel = o.channel,
                          .received = o.received,
                          .actor = audit_cli_actor()};
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = dsr_add(db, &cli->cfg, &req, &info, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        return cli_print_json(
            json_pack("{s:I, s:s, s:o, s:s, s:s}", "id", (json_int_t)info.id, "kind", o.kind,
                      "contact_id", info.contact_id ? json_integer(info.contact_id) : json_null(),
                      "received_on", info.received_on, "due_on", info.due_on));
    printf("request %lld recorded (%s, received %s): due %s\n", info.id, o.kind, info.received_on,
           info.due_on);
    if (info.contact_id == 0)
        fprintf(stderr, "mailout: no contact has this address: recorded by its keyed hash\n");
    return 0;
}

static void print_row(json_t *o)
{
    const char *subject = json_string_value(json_object_get(o, "subject"));
    const char *email = json_string_value(json_object_get(o, "email"));
    const char *state = json_string_value(json_object_get(o, "state"));
    const char *ext = json_string_value(json_object_get(o, "extended_to"));
    json_t *left = json_object_get(o, "days_left");
    char when[48], who[80];

    if (json_is_integer(left)) {
        long long d = (long long)json_integer_value(left);
        if (d < 0)
            snprintf(when, sizeof(when), "%lld day%s overdue", -d, d == -1 ? "" : "s");
        else
            snprintf(when, sizeof(when), "%lld day%s left", d, d == 1 ? "" : "s");
    } else {
        snprintf(when, sizeof(when), "closed (%s)",
                 json_string_value(json_object_get(o, "closed_via")));
    }
    if (strcmp(subject, "live") == 0 && email)
        snprintf(who, sizeof(who), "%s", email);
    else if (strcmp(subject, "erased") == 0)
        snprintf(who, sizeof(who), "[erased]");
    else
        snprintf(who, sizeof(who), "[unknown %s]",
                 json_string_value(json_object_get(o, "hash_prefix")));
    printf("%-6lld %-13s %-6s %-10s %-10s%-10s %-5s %-20s %s\n",
           (long long)json_integer_value(json_object_get(o, "id")),
           json_string_value(json_object_get(o, "kind")),
           json_string_value(json_object_get(o, "channel")),
           json_string_value(json_object_get(o, "received_on")),
           json_string_value(json_object_get(o, "effective_due")), ext ? " extended" : "", state,
           when, who);
}

int cmd_request_list(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {
        {"open", no_argument, NULL, 'o'}, {"overdue", no_argument, NULL, 'O'}, {NULL, 0, NULL, 0}};
    struct request_opts o = {0};
    int first, rc;
    size_t i;
    json_t *v;

    rc = cli_getopt(cli, argc, argv, "", lo, request_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    json_t *arr = dsr_list(db, o.open, o.overdue, err);
    db_free(db);
    if (arr == NULL)
        return -1;
    if (cli->json)
        return cli_print_json(arr);
    if (json_array_size(arr) == 0)
        printf("no requests%s\n", o.overdue ? " overdue" : o.open ? " open" : "");
    else
        printf("%-6s %-13s %-6s %-10s %-10s%-10s %-5s %-20s %s\n", "ID", "KIND", "VIA", "RECEIVED",
               "DUE", "", "STATE", "DEADLINE", "SUBJECT");
    json_array_foreach(arr, i, v) print_row(v);
    json_decref(arr);
    return 0;
}

int cmd_request_extend(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"reason", required_argument, NULL, 'R'},
                                       {NULL, 0, NULL, 0}};
    struct request_opts o = {0};
    struct dsr_info info;
    long long id;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "", lo, request_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (o.reason == NULL)
        return mo_err_set(err, MO_E_INPUT,
                          "request extend: --reason is required (Art. 12(3): the person must be "
                          "told the reasons)");
    if (parse_id(argv[first], &id, err) < 0)
        return -1;
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = dsr_extend(db, id, o.reason, audit_cli_actor(), &info, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        return cli_print_json(json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "received_on",
                                        info.received_on, "due_on", info.due_on, "extended_to",
                                        info.extended_to));
    printf("request %lld extended: due %s (was %s); tell the person the reasons now\n", id,
           info.extended_to, info.due_on);
    return 0;
}

int cmd_request_done(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    long long id;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (parse_id(argv[first], &id, err) < 0)
        return -1;
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = dsr_done(db, id, audit_cli_actor(), err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        return cli_print_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", "done"));
    printf("request %lld closed\n", id);
    return 0;
}
