/*
 * cli_window.c - `mailout campaign window NAME [--days D] [--hours H] |
 * --clear`: argument handling and output only.  Parsing the values, the
 * transaction and the audit entry are send_window.c's.  (issue 11: h-window)
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "send_window.h"

struct window_opts {
    const char *days;
    const char *hours;
    int clear;
};

static int window_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct window_opts *o = ctx;
    (void)err;
    if (c == 'd')
        o->days = arg;
    else if (c == 'H')
        o->hours = arg;
    else if (c == 'c')
        o->clear = 1;
    else
        return -1;
    return 0;
}

static void print_window(json_t *j)
{
    json_t *w = json_object_get(j, "window");
    const char *name = json_string_value(json_object_get(j, "campaign"));

    if (!json_is_object(w))
        printf("campaign %s: no send window (mail goes out whenever dispatch runs)\n", name);
    else
        printf("campaign %s: send window %s %s, recipient's local time (zone: contact "
               "time_zone, else its country's, else %s)\n",
               name, json_string_value(json_object_get(w, "days")),
               json_string_value(json_object_get(w, "hours")),
               json_string_value(json_object_get(j, "zone")));
    long long waiting = (long long)json_integer_value(json_object_get(j, "waiting"));
    if (waiting > 0)
        printf("%lld queued recipient%s wait for their send window\n", waiting,
               waiting == 1 ? "" : "s");
}

int cmd_campaign_window(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"days", required_argument, NULL, 'd'},
                                       {"hours", required_argument, NULL, 'H'},
                                       {"clear", no_argument, NULL, 'c'},
                                       {NULL, 0, NULL, 0}};
    struct window_opts o = {NULL, NULL, 0};
    struct send_window w = {0, 0, 1440};
    struct db *db;
    json_t *j;
    long moved = 0;
    int first, rc, set;

    rc = cli_getopt(cli, argc, argv, "d:H:c", lo, window_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (o.clear && (o.days || o.hours))
        return mo_err_set(err, MO_E_USAGE, "--clear cannot be combined with --days or --hours");
    set = o.days || o.hours;
    /* one of them alone: every day, or the whole day */
    w.days = 0xfeu;
    if (o.days && send_window_parse_days(o.days, &w.days, err) < 0)
        return -1;
    if (o.hours && send_window_parse_hours(o.hours, &w.start, &w.end, err) < 0)
        return -1;
    if ((db = cli_db(cli, err)) == NULL)
        return -1;
    if ((set || o.clear) &&
        send_window_set(db, argv[first], set ? &w : NULL, audit_cli_actor(), &moved, err) < 0) {
        db_free(db);
        return -1;
    }
    j = send_window_show(db, argv[first], err);
    db_free(db);
    if (j == NULL)
        return -1;
    if (set || o.clear)
        json_object_set_new(j, "requeued", json_integer((json_int_t)moved));
    if (cli->json)
        return cli_print_json(j);
    print_window(j);
    if (moved > 0)
        printf("%ld queued recipient%s %s\n", moved, moved == 1 ? "" : "s",
               set ? "re-timed to the new window" : "due now that the window is gone");
    json_decref(j);
    return 0;
}
