/*
 * cli_doctor.c - `mailout doctor`: runs doctor.c's checks and prints one
 * line per finding ("ok: ...", "warning: ...", "error: ..."), or with
 * --json an array of {level, check, message}.  Exit 65 when an error means
 * a send would be refused, else 0.
 */
#include <stdio.h>

#include <jansson.h>

#include "cli.h"
#include "dkim.h"
#include "doctor.h"
#include "dsr.h"
#include "processor.h"

/* Seconds allowed for each relay's connect and greeting. */
#define RELAY_TIMEOUT_MS 3000

static void check_database(struct cli *cli, struct doctor_report *r)
{
    char sqldir[4096];
    struct mo_err e;
    struct db *db;

    mo_err_init(&e);
    if (!*cli->cfg.db) {
        doctor_add(r, DOCTOR_ERROR, "database",
                   "no database configured: set the key db, $MAILOUT_DB or --db");
        return;
    }
    db = cli_db(cli, &e);
    if (db == NULL) {
        doctor_add(r, DOCTOR_ERROR, "database", "database unreachable: %s", e.msg);
        return;
    }
    doctor_add(r, DOCTOR_OK, "database", "database reachable");
    if (cli_data_path(cli, "sql", sqldir, sizeof(sqldir)) < 0)
        doctor_add(r, DOCTOR_WARNING, "database", "data_dir too long: schema version not checked");
    else
        doctor_check_migrations(db, sqldir, r);
    dsr_doctor_check(db, r);            /* issue 13: h-dsr */
    processor_doctor(db, &cli->cfg, r); /* issue 13: R-GDPR-13, R-GDPR-15 */
    db_free(db);
}

int cmd_doctor(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    struct doctor_report r;
    struct dkim *dkim = NULL;
    int first;

    int g = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (g != 0)
        return g < 0 ? -1 : 0;
    if (first < argc)
        return mo_err_set(err, MO_E_USAGE, "doctor takes no arguments");

    doctor_report_init(&r);
    doctor_check_config(&cli->cfg, &r);
    check_database(cli, &r);
    if (cli->cfg.transport_kind == TRANSPORT_SMTP)
        for (size_t i = 0; i < cli->cfg.nrelays; i++)
            doctor_check_relay(cli->cfg.relays[i], RELAY_TIMEOUT_MS, &r);
    else
        doctor_add(&r, DOCTOR_OK, "relay", "transport writes into the Maildir %s (no relay)",
                   cli->cfg.transport_target);
    doctor_check_dkim(&cli->cfg, &dkim, &r);
    doctor_check_dns(&cli->cfg, dkim, &r);
    dkim_free(dkim);

    if (cli->json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < r.n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "level",
                                                 doctor_level_name(r.items[i].level), "check",
                                                 r.items[i].check, "message", r.items[i].text));
        cli_print_json(arr);
    } else
        for (size_t i = 0; i < r.n; i++)
            printf("%s: %s\n", doctor_level_name(r.items[i].level), r.items[i].text);
    fflush(stdout);

    size_t errors = 0, warnings = 0;
    for (size_t i = 0; i < r.n; i++) {
        errors += r.items[i].level == DOCTOR_ERROR;
        warnings += r.items[i].level == DOCTOR_WARNING;
    }
    int blocked = doctor_blocked(&r);
    doctor_report_release(&r);
    if (blocked)
        return mo_err_set(err, MO_E_INPUT, "%zu error%s, %zu warning%s: a send would be refused",
                          errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
    return 0;
}
