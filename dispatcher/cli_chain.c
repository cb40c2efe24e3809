/*
 * cli_chain.c - audit verify: argument handling and output only.  Sealing
 * and every check are in chain.c.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "chain.h"
#include "cli.h"
#include "suppress.h"

int cmd_audit_verify(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    struct chain_verify_result res[CHAIN_VERIFY_CHAINS];
    struct suppress_key key;
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 0, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    rc = suppress_key_load(db, &cli->cfg, &key, err);
    if (rc == 0)
        rc = chain_verify(db, &key, res, err);
    explicit_bzero(&key, sizeof(key));
    db_free(db);
    if (rc < 0) {
        if (err->code == MO_E_INPUT && cli->json) {
            json_t *j = json_pack("{s:b, s:s}", "intact", 0, "broken", err->msg);
            if (j != NULL)
                cli_print_json(j);
        }
        if (err->code == MO_E_INPUT) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            int w = snprintf(err->msg, sizeof(err->msg), "audit verify: %s", msg);
            if (w < 0 || (size_t)w >= sizeof(err->msg))
                memcpy(err->msg + sizeof(err->msg) - 4, "...", 4);
        }
        return -1;
    }
    if (cli->json) {
        json_t *chains = json_array();
        for (int i = 0; i < CHAIN_VERIFY_CHAINS; i++)
            json_array_append_new(chains,
                                  json_pack("{s:s, s:I, s:o}", "chain", res[i].chain, "entries",
                                            (json_int_t)res[i].entries, "head",
                                            *res[i].head ? json_string(res[i].head) : json_null()));
        json_t *j = json_pack("{s:b, s:o}", "intact", 1, "chains", chains);
        if (j == NULL)
            return mo_err_set(err, MO_E_INTERNAL, "cannot build the verify report");
        return cli_print_json(j);
    }
    for (int i = 0; i < CHAIN_VERIFY_CHAINS; i++)
        printf("%-10s %8lld entries  head %s\n", res[i].chain, res[i].entries,
               *res[i].head ? res[i].head : "(empty)");
    printf("intact\n");
    return 0;
}
