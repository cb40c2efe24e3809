/*
 * cli_segment.c - segment create and segment count: argument handling and
 * output only.  The use cases, with their transaction and audit entry,
 * are in segment.c; this file names the actor (audit_cli_actor()) and
 * passes the declared attributes (contact_attributes).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "segment.h"

int cmd_segment_create(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"where", required_argument, NULL, 'w'}, {NULL, 0, NULL, 0}};
    const char *where = NULL;
    int first, rc;
    long long id = 0;

    rc = cli_getopt(cli, argc, argv, "w:", lo, cli_opt_value, &where, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || where == NULL)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = segment_create(db, argv[first], where, cli->cfg.contact_attributes, audit_cli_actor(), &id,
                        err);
    db_free(db);
    if (rc < 0) {
        if (err->code == MO_E_INPUT && err->msg[0] >= '0' && err->msg[0] <= '9') {
            /* a parse error: "segment: LINE:COL: what" */
            struct mo_err e = *err;
            mo_err_init(err);
            mo_err_set(err, e.code, "segment: %s", e.msg);
            if (e.detail[0])
                mo_err_detail(err, "%s", e.detail);
        }
        return -1;
    }
    /* issue 13: a segment on a sensitive attribute is only a definition; say what it takes */
    {
        struct segment_sql s;
        struct mo_err e;
        mo_err_init(&e);
        if (segment_compile(where, cli->cfg.contact_attributes, 1, 2, &s, &e) == 0) {
            for (int i = 0; i < s.nsensitive; i++)
                fprintf(stderr,
                        "warning: segment '%s' uses sensitive attribute '%s' (GDPR Art. 9): a "
                        "campaign matches it only for contacts who consented to its topic under "
                        "a text explicit for it (consent-text add TOPIC FILE --explicit %s)\n",
                        argv[first], s.sensitive[i], s.sensitive[i]);
            segment_sql_free(&s);
        }
    }
    if (cli->json) {
        json_t *j = json_pack("{s:s, s:I}", "segment", argv[first], "id", (json_int_t)id);
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(j);
    } else {
        printf("segment '%s' created\n", argv[first]);
    }
    return 0;
}

int cmd_segment_count(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;
    long long n = 0;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 1, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    rc = segment_count(db, argv[first], cli->cfg.contact_attributes, &n, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json) {
        json_t *j = json_pack("{s:s, s:I}", "segment", argv[first], "count", (json_int_t)n);
        json_dumpf(j, stdout, JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(j);
    } else {
        printf("%lld\n", n);
    }
    return 0;
}
