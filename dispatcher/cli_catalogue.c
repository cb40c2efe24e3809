/*
 * cli_catalogue.c - product import, product relate, product
 * relate-category, order import and activity import: argument handling
 * and output only.  The use cases, with their transactions and audit
 * entries, are in catalogue.c and activity.c; this file names the actor.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "activity.h"
#include "audit.h"
#include "catalogue.h"
#include "cli.h"

enum import_kind { IMPORT_PRODUCTS, IMPORT_ORDERS, IMPORT_ACTIVITY };

static int skip_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    (void)arg;
    (void)err;
    if (c != 's')
        return -1;
    *(int *)ctx = 1;
    return 0;
}

/* The summary line of INTERFACE.md; after "dropped N: " what else happened. */
static void print_summary(enum import_kind kind, const struct import_stats *st, int failed)
{
    printf("loaded %ld, rejected %ld, suppressed %ld, dropped %ld: ", st->loaded, st->rejected,
           st->suppressed, st->dropped);
    if (kind == IMPORT_ACTIVITY && st->dropped)
        printf("no tracking consent (%ld of them for unknown contacts); ", st->unknown_contacts);
    if (failed) {
        printf("nothing loaded\n");
        return;
    }
    switch (kind) {
    case IMPORT_PRODUCTS:
        printf("%ld product%s created, %ld updated, %ld categor%s created", st->created,
               cli_plural(st->created), st->updated, st->categories_created,
               st->categories_created == 1 ? "y" : "ies");
        break;
    case IMPORT_ORDERS:
        printf("%ld order line%s new, %ld changed; %ld contact%s created, %ld legal entit%s "
               "created",
               st->created, cli_plural(st->created), st->updated, st->contacts_created,
               cli_plural(st->contacts_created), st->entities_created,
               st->entities_created == 1 ? "y" : "ies");
        break;
    case IMPORT_ACTIVITY:
        printf("%ld row%s stored, %ld already stored or repeated", st->created,
               cli_plural(st->created), st->repeated);
        break;
    }
    if (st->dropped_columns)
        printf("; %ld unused column%s dropped", st->dropped_columns,
               cli_plural(st->dropped_columns));
    putchar('\n');
}

static int run_import(struct cli *cli, int argc, char **argv, enum import_kind kind,
                      struct mo_err *err)
{
    static const struct option lo[] = {{"skip-invalid", no_argument, NULL, 's'},
                                       {NULL, 0, NULL, 0}};
    struct import_stats st;
    int first, rc, skip = 0;

    memset(&st, 0, sizeof(st));
    rc = cli_getopt(cli, argc, argv, "s", lo, skip_opt, &skip, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    /* from here on every import ends with its summary line, failed or not */
    struct db *db = cli_db(cli, err);
    if (db == NULL) {
        rc = -1;
    } else {
        struct importer_opts o = {skip, audit_cli_actor()};
        if (kind == IMPORT_PRODUCTS)
            rc = catalogue_product_import(db, argv[first], &o, &st, cli_report_stderr, NULL, err);
        else if (kind == IMPORT_ORDERS)
            rc = catalogue_order_import(db, &cli->cfg, argv[first], &o, &st, cli_report_stderr,
                                        NULL, err);
        else
            rc = activity_import(db, argv[first], &o, &st, cli_report_stderr, NULL, err);
        db_free(db);
    }
    if (cli->json) {
        json_t *j = json_pack(
            "{s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "file",
            argv[first], "loaded", (json_int_t)st.loaded, "rejected", (json_int_t)st.rejected,
            "suppressed", (json_int_t)st.suppressed, "dropped", (json_int_t)st.dropped,
            "unknown_contacts", (json_int_t)st.unknown_contacts, "created", (json_int_t)st.created,
            "updated", (json_int_t)st.updated, "repeated", (json_int_t)st.repeated,
            "contacts_created", (json_int_t)st.contacts_created, "legal_entities_created",
            (json_int_t)st.entities_created, "categories_created",
            (json_int_t)st.categories_created, "dropped_columns", (json_int_t)st.dropped_columns);
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(j);
    } else {
        print_summary(kind, &st, rc < 0);
    }
    return rc;
}

int cmd_product_import(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return run_import(cli, argc, argv, IMPORT_PRODUCTS, err);
}

int cmd_order_import(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return run_import(cli, argc, argv, IMPORT_ORDERS, err);
}

int cmd_activity_import(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return run_import(cli, argc, argv, IMPORT_ACTIVITY, err);
}

static int run_relate(struct cli *cli, int argc, char **argv, int categories, struct mo_err *err)
{
    int first, rc, created = 0;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 2)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    const char *a = argv[first], *b = argv[first + 1];
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    if (categories)
        rc = catalogue_relate_categories(db, a, b, audit_cli_actor(), &created, err);
    else
        rc = catalogue_relate_products(db, a, b, audit_cli_actor(), &created, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json) {
        json_t *j = json_pack("{s:s, s:s, s:b}", categories ? "category_a" : "sku_a", a,
                              categories ? "category_b" : "sku_b", b, "created", created);
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(j);
    } else if (created) {
        printf("%s '%s' and '%s' related\n", categories ? "categories" : "products", a, b);
    } else {
        printf("%s '%s' and '%s' already related: nothing changed\n",
               categories ? "categories" : "products", a, b);
    }
    return 0;
}

int cmd_product_relate(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return run_relate(cli, argc, argv, 0, err);
}

int cmd_product_relate_category(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    return run_relate(cli, argc, argv, 1, err);
}
