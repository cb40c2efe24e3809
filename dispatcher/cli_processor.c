/*
 * cli_processor.c - processor add|list|show|remove: argument handling and
 * output only.  Validation, the transaction and the audit entry are in
 * processor.c; this file names the actor (audit_cli_actor()).
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "processor.h"

static int usage(struct cli *cli, struct mo_err *err)
{
    return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
}

static int add_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct processor_spec *s = ctx;
    const char **slot = NULL;
    const char *name = "";

    switch (c) {
    case 'r':
        slot = &s->role, name = "--role";
        break;
    case 'c':
        slot = &s->country, name = "--country";
        break;
    case 'H':
        slot = &s->hosts, name = "--host";
        break;
    case 'd':
        slot = &s->dpa, name = "--dpa";
        break;
    case 'm':
        slot = &s->mechanism, name = "--mechanism";
        break;
    case 'p':
        slot = &s->purpose, name = "--purpose";
        break;
    default:
        return -1;
    }
    if (*slot)
        return mo_err_set(err, MO_E_USAGE, "%s given twice", name);
    *slot = arg;
    return 0;
}

int cmd_processor_add(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"role", required_argument, NULL, 'r'},
                                       {"country", required_argument, NULL, 'c'},
                                       {"host", required_argument, NULL, 'H'},
                                       {"dpa", required_argument, NULL, 'd'},
                                       {"mechanism", required_argument, NULL, 'm'},
                                       {"purpose", required_argument, NULL, 'p'},
                                       {NULL, 0, NULL, 0}};
    struct processor_spec s;
    int first, rc;

    memset(&s, 0, sizeof(s));
    rc = cli_getopt(cli, argc, argv, "r:c:H:d:m:p:", lo, add_opt, &s, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || s.role == NULL || s.country == NULL || s.hosts == NULL)
        return usage(cli, err);
    s.name = argv[first];
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = processor_add(db, &cli->cfg, audit_cli_actor(), &s, err);
    db_free(db);
    if (rc < 0)
        return -1;
    printf("processor %s registered\n", s.name);
    return 0;
}

static void print_one(json_t *p, int full)
{
    size_t i;
    json_t *h;
    const char *mech = json_string_value(json_object_get(p, "mechanism"));
    const char *country = json_string_value(json_object_get(p, "country"));

    if (!full) {
        printf("%s\t%s\t%s\t%s\t", json_string_value(json_object_get(p, "name")),
               json_string_value(json_object_get(p, "role")), country ? country : "-",
               mech ? mech : "-");
        json_array_foreach(json_object_get(p, "hosts"), i, h)
        {
            printf("%s%s", i ? "," : "", json_string_value(h));
        }
        printf("%s\n",
               json_is_true(json_object_get(p, "residency_ok")) ? "" : "\t(breaks residency)");
        return;
    }
    static const char *const keys[] = {
        "name", "role",    "country",    "adequacy",   "mechanism",
        "dpa",  "purpose", "created_at", "created_by", "residency_problem"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const char *v = json_string_value(json_object_get(p, keys[k]));
        if (v || strcmp(keys[k], "residency_problem") != 0)
            printf("%-18s %s\n", keys[k], v ? v : "-");
    }
    printf("%-18s", "hosts");
    json_array_foreach(json_object_get(p, "hosts"), i, h)
    {
        printf(" %s", json_string_value(h));
    }
    printf("\n");
}

int cmd_processor_list(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 0, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_t *a = processor_list(db, &cli->cfg, NULL, err);
    db_free(db);
    if (a == NULL)
        return -1;
    if (cli->json)
        return cli_print_json(
            json_pack("{s:s, s:o}", "residency", cli->cfg.residency, "processors", a));
    size_t i;
    json_t *p;
    if (json_array_size(a) == 0)
        printf("no processors registered\n");
    json_array_foreach(a, i, p) print_one(p, 0);
    json_decref(a);
    return 0;
}

int cmd_processor_show(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 1, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    json_t *a = processor_list(db, &cli->cfg, argv[first], err);
    db_free(db);
    if (a == NULL)
        return -1;
    if (cli->json) {
        json_t *p = json_incref(json_array_get(a, 0));
        json_decref(a);
        return cli_print_json(p);
    }
    print_one(json_array_get(a, 0), 1);
    json_decref(a);
    return 0;
}

int cmd_processor_remove(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;

    struct db *db;
    rc = cli_operands_db(cli, argc, argv, 1, &first, &db, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    rc = processor_remove(db, &cli->cfg, audit_cli_actor(), argv[first], err);
    db_free(db);
    if (rc < 0)
        return -1;
    printf("processor %s removed\n", argv[first]);
    return 0;
}
