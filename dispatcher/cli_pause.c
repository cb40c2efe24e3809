/*
 * cli_pause.c - `mailout pause EMAIL --months N`: argument handling and
 * output only.  The use case, with its transaction and audit entry, is
 * consent_pause() in consent.c; this file names the actor
 * (audit_cli_actor()).  (issue 10: h-pause)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "consent.h"
#include "ledger.h"

struct pause_opts {
    const char *months;
    const char *reason;
};

static int pause_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct pause_opts *o = ctx;
    (void)err;
    if (c == 'm')
        o->months = arg;
    else if (c == 'r')
        o->reason = arg;
    else
        return -1;
    return 0;
}

/* --months: a whole number 0..LEDGER_PAUSE_MONTHS_MAX, else MO_E_INPUT naming it. */
static int parse_months(const char *s, int *months, struct mo_err *err)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > LEDGER_PAUSE_MONTHS_MAX)
        return mo_err_set(err, MO_E_INPUT,
                          "invalid --months '%s' (a number of months from 1 to %d, or 0 to resume)",
                          s, LEDGER_PAUSE_MONTHS_MAX);
    *months = (int)v;
    return 0;
}

int cmd_pause(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"months", required_argument, NULL, 'm'},
                                       {"reason", required_argument, NULL, 'r'},
                                       {NULL, 0, NULL, 0}};
    struct pause_opts o = {NULL, NULL};
    struct consent_pause_state st;
    int first, rc, months = 0;

    rc = cli_getopt(cli, argc, argv, "m:r:", lo, pause_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || o.months == NULL)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (parse_months(o.months, &months, err) < 0)
        return -1;
    struct consent_pause_req req = {.email = argv[first],
                                    .months = months,
                                    .channel = "admin",
                                    .source = "pause command",
                                    .actor = audit_cli_actor(),
                                    .reason = o.reason ? o.reason
                                              : months ? "pause received by other means"
                                                       : "resume received by other means"};
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = consent_pause(db, &req, &st, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        return cli_print_json(json_pack("{s:s, s:I, s:b, s:s?, s:b}", "email", argv[first],
                                        "contact_id", (json_int_t)st.contact_id, "paused",
                                        st.running, "paused_until", st.until[0] ? st.until : NULL,
                                        "changed", st.changed));
    if (st.running)
        printf("%s: all marketing paused until %s\n", argv[first], st.until);
    else
        printf("%s: %s\n", argv[first], st.changed ? "pause ended" : "not paused");
    if (!st.changed)
        fprintf(stderr, "mailout: %s; nothing changed\n",
                st.running ? "a pause at least that long is in force" : "no pause in force");
    return 0;
}
