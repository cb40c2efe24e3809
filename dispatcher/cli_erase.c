/*
 * cli_erase.c - `mailout erase EMAIL`: argument handling and output only.
 * The use case, with its transaction and audit entry, is in erase.c.
 */
#include <stdio.h>
#include <stdlib.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "erase.h"

int cmd_erase(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    struct erase_result res;
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 1, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    rc = erase_email(db, &cli->cfg, argv[first], audit_cli_actor(), &res, err);
    db_free(db);
    if (rc < 0)
        return -1;
    json_error_t je;
    json_t *counts = res.counts ? json_loads(res.counts, 0, &je) : NULL;
    if (cli->json) {
        rc = cli_print_json(json_pack("{s:I, s:b, s:o, s:o}", "contact_id",
                                      (json_int_t)res.contact_id, "already_erased", res.already,
                                      "removed", counts ? counts : json_object(), "closed_requests",
                                      dsr_closed_json(&res.closed)));
        erase_result_release(&res);
        return rc;
    }
    if (res.already) {
        printf("contact %lld: already erased\n", res.contact_id);
    } else {
        const char *k;
        json_t *v;
        printf("contact %lld erased; the keyed hash stays on the suppression list\n",
               res.contact_id);
        json_object_foreach(counts, k, v)
            printf("  %-20s %lld\n", k, (long long)json_integer_value(v));
        for (size_t i = 0; i < res.closed.n; i++)
            fprintf(stderr, "mailout: closed request %lld\n", res.closed.ids[i]);
    }
    json_decref(counts);
    erase_result_release(&res);
    return 0;
}
