/*
 * cli.h - the command line: global options, configuration, dispatch to
 * commands, and the map from errors to exit codes.  Only the CLI layer
 * (main.c, cli.c, cli_*.c) parses argv, prints for the user and exits.
 */
#ifndef MAILOUT_CLI_H
#define MAILOUT_CLI_H

#include <getopt.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "err.h"

struct cli {
    struct config cfg; /* loaded by cli_getopt() */
    int loaded;        /* cfg is loaded */
    int json;
    const char *config_path; /* --config, or NULL */
    const char *db_opt;      /* --db, or NULL */
    const char *data_dir;    /* resolved: cfg.data_dir, the source tree or the install */
    const struct cli_command *cmd;
};

struct cli_command {
    const char *name;
    const char *sub; /* second word, or NULL */
    int (*run)(struct cli *cli, int argc, char **argv, struct mo_err *err);
    const char *synopsis; /* after "mailout " */
    const char *summary;  /* one line for the command list */
    const char *help;     /* options and details for --help */
};

/* Runs the program; returns the process exit code. */
int cli_main(int argc, char **argv);

/*
 * Parses a command's options with getopt_long (after the command words),
 * together with the global options --config FILE, --db CONNINFO and --json
 * (which may follow the command; `--` ends options), then loads the
 * configuration.  Every command calls it before using cli->cfg.
 * Handles --help (prints and returns 1, no configuration needed).  Returns
 * 0 ok, 1 help printed, -1 with err (MO_E_USAGE on a bad option, or the
 * configuration's error).  *optind_out is the first operand.
 */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *shortopts,
               const struct option *longopts,
               int (*on_opt)(int c, const char *arg, void *ctx, struct mo_err *err), void *ctx,
               int *optind_out, struct mo_err *err);

/* Connects with the configured database (and role); NULL with err.  Loads the configuration if
 * needed. */
struct db *cli_db(struct cli *cli, struct mo_err *err);

/*
 * For a command with no options of its own and exactly noperands operands
 * (from argv[*first]): cli_getopt(), the operand count (MO_E_USAGE with the
 * synopsis), then cli_db() into *db.  Returns 0 (the caller frees *db), 1
 * when --help was printed, -1 with err.
 */
int cli_operands_db(struct cli *cli, int argc, char **argv, int noperands, int *first,
                    struct db **db, struct mo_err *err);

/*
 * Loads the configuration again as cli_getopt() did (the same file, then
 * --db) into next, for a reload; applies nothing.  0, or -1 with err naming
 * the file, line and key (next is then released).  The caller releases
 * next with config_release().
 */
int cli_config_reload(const struct cli *cli, struct config *next, struct mo_err *err);
/*
 * Swaps cli->cfg with *other (a loaded configuration, which gets the old
 * one), then applies the new log_level and data_dir.  Call it only while
 * nothing borrows the old configuration or data_dir.
 */
void cli_config_swap(struct cli *cli, struct config *other);

/* An on_opt callback for a command with one option that takes a value: stores
 * the value into *(const char **)ctx. */
int cli_opt_value(int c, const char *arg, void *ctx, struct mo_err *err);

/* A report callback for imports: prints msg as one line on stderr. */
void cli_report_stderr(const char *msg, void *arg);
/* "" for 1, else "s". */
const char *cli_plural(long n);

/* Prints j as one indented JSON document (keys in order) and a newline, then
 * frees it; 0. */
int cli_print_json(json_t *j);

/* Builds DATA_DIR/sub into out; -1 if it does not fit. */
int cli_data_path(const struct cli *cli, const char *sub, char *out, size_t n);

/* Command implementations (cli_*.c). */
int cmd_db_migrate(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_db_status(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_transport_test(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_topic_add(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_consent_text_add(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_contact_import(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_contact_show(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_subscribe(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_unsubscribe(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_pause(struct cli *cli, int argc, char **argv, struct mo_err *err); /* h-pause */
int cmd_maintenance(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_serve(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_dispatch(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_run(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_schedule(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_window(struct cli *cli, int argc, char **argv, struct mo_err *err); /* h-window */
/* The legal-basis engine's inputs and campaigns (issue 8). */
int cmd_product_import(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_product_relate(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_product_relate_category(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_order_import(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_activity_import(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_policy_show(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_policy_set(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_segment_create(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_segment_count(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_template_add(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_create(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_explain(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_send(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_preview(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_retry(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_pause(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_resume(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_cancel(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_campaign_status(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_doctor(struct cli *cli, int argc, char **argv, struct mo_err *err);
/* issue 10: h-webhook */
int cmd_webhook_status(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_webhook_retry(struct cli *cli, int argc, char **argv, struct mo_err *err);
/* issue 10: inbound mail (h-inbound) */
int cmd_inbound(struct cli *cli, int argc, char **argv, struct mo_err *err);
/* issue 12: erasure (h-erase) */
int cmd_erase(struct cli *cli, int argc, char **argv, struct mo_err *err);
/* issue 12: audit and access (h-audit) */
int cmd_audit_contact(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_audit_campaign(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_audit_log(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_export(struct cli *cli, int argc, char **argv, struct mo_err *err);
/* issue 13: processors (h-proc) */
int cmd_processor_add(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_processor_list(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_processor_show(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_processor_remove(struct cli *cli, int argc, char **argv, struct mo_err *err);
/* issue 12: h-chain */
int cmd_audit_verify(struct cli *cli, int argc, char **argv, struct mo_err *err);
/* issue 13: h-ropa */
int cmd_audit_ropa(struct cli *cli, int argc, char **argv, struct mo_err *err);
/* issue 13: data-subject request log (h-dsr) */
int cmd_request_add(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_request_list(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_request_extend(struct cli *cli, int argc, char **argv, struct mo_err *err);
int cmd_request_done(struct cli *cli, int argc, char **argv, struct mo_err *err);

#endif
