/*
 * cli_db.c - `mailout db migrate` and `mailout db status`.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "migrate.h"

static void progress(const char *name, void *arg)
{
    (void)arg;
    fprintf(stderr, "applied %s\n", name);
}

int cmd_db_migrate(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    char sqldir[4096];
    struct db *db;
    int first, applied = 0, rc;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (first < argc)
        return mo_err_set(err, MO_E_USAGE, "db migrate takes no arguments");
    if (cli_data_path(cli, "sql", sqldir, sizeof(sqldir)) < 0)
        return mo_err_set(err, MO_E_USAGE, "data_dir too long");
    if (cli->cfg.db[0] == '\0')
        return mo_err_set(err, MO_E_USAGE,
                          "no database configured: set the key db, $MAILOUT_DB or --db");
    db = db_connect_owner(cli->cfg.db, err);
    if (db == NULL)
        return -1;
    rc = migrate_apply(db, sqldir, &applied, cli->json ? NULL : progress, NULL, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json)
        printf("{\"applied\": %d}\n", applied);
    else if (applied == 0)
        printf("database is up to date\n");
    else
        printf("applied %d migration%s\n", applied, applied == 1 ? "" : "s");
    return 0;
}

int cmd_db_status(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    char sqldir[4096];
    struct db *db;
    struct migration_list l;
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (first < argc)
        return mo_err_set(err, MO_E_USAGE, "db status takes no arguments");
    if (cli_data_path(cli, "sql", sqldir, sizeof(sqldir)) < 0)
        return mo_err_set(err, MO_E_USAGE, "data_dir too long");
    if (cli->cfg.db[0] == '\0')
        return mo_err_set(err, MO_E_USAGE,
                          "no database configured: set the key db, $MAILOUT_DB or --db");
    db = db_connect_owner(cli->cfg.db, err);
    if (db == NULL)
        return -1;
    rc = migrate_status(db, sqldir, &l, err);
    db_free(db);
    if (rc < 0) {
        migration_list_release(&l);
        return -1;
    }
    if (cli->json) {
        json_t *root = json_object(), *ap = json_array(), *pe = json_array();
        for (size_t i = 0; i < l.n; i++) {
            if (l.items[i].applied_at)
                json_array_append_new(ap, json_pack("{s:i, s:s, s:s, s:b}", "version",
                                                    l.items[i].version, "name", l.items[i].name,
                                                    "applied_at", l.items[i].applied_at,
                                                    "file_present", l.items[i].checksum != NULL));
            else
                json_array_append_new(pe, json_pack("{s:i, s:s}", "version", l.items[i].version,
                                                    "name", l.items[i].name));
        }
        json_object_set_new(root, "applied", ap);
        json_object_set_new(root, "pending", pe);
        json_dumpf(root, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(root);
    } else {
        size_t pending = 0;
        for (size_t i = 0; i < l.n; i++) {
            if (l.items[i].applied_at)
                printf("applied  %s  %s%s\n", l.items[i].applied_at, l.items[i].name,
                       l.items[i].checksum ? "" : "  (file missing)");
            else {
                printf("pending  %-20s  %s\n", "", l.items[i].name);
                pending++;
            }
        }
        printf("%zu applied, %zu pending\n", l.n - pending, pending);
    }
    migration_list_release(&l);
    return 0;
}
