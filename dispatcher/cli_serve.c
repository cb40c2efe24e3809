/*
 * cli_serve.c - the long-running commands.  `mailout serve` runs the HTTP
 * endpoints and the sender of confirmation mails until SIGINT or SIGTERM,
 * and purges expired pending requests once an hour.  `mailout dispatch`
 * works the send queue: for now the confirmation mails of double opt-in
 * (campaign runs come with campaign sending).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "cli.h"
#include "contact.h"
#include "doi.h"
#include "doi_mail.h"
#include "http.h"
#include "log.h"
#include "suppress.h"

/* How long a stop waits for a sender inside an SMTP session before leaving it. */
#define SERVE_STOP_WAIT_MS    3000
#define DISPATCH_STOP_WAIT_MS 15000

static void purge(struct cli *cli)
{
    struct mo_err err;
    long deleted = 0;
    mo_err_init(&err);
    struct db *db = cli_db(cli, &err);
    if (db == NULL || doi_purge(db, &cli->cfg, "system", &deleted, &err) < 0)
        mo_log(MO_LOG_WARN, "purge of expired requests failed: %s", err.msg);
    else if (deleted)
        mo_log(MO_LOG_INFO, "purged expired pending requests deleted=%ld", deleted);
    db_free(db);
}

/* SIGINT and SIGTERM are taken with sigtimedwait; block them before any thread starts. */
static void block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
}

/*
 * Stops the sender.  When it is stuck with a relay, its mails were given
 * back (doi_mail_worker_stop) and the process ends here: the thread still
 * uses the configuration, which must not be freed under it.
 */
static void stop_sender(struct doi_mail_worker *w, int wait_ms, const struct mo_err *err)
{
    if (doi_mail_worker_stop(w, wait_ms) == 0)
        return;
    if (err && err->code)
        fprintf(stderr, "mailout: %s\n", err->msg);
    else
        mo_log(MO_LOG_INFO, "stopped");
    fflush(stdout);
    fflush(stderr);
    _exit(err && err->code ? mo_err_exit_code(err->code) : 0);
}

int cmd_serve(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;
    sigset_t set;
    struct http_server *s;
    struct doi_mail_worker *w;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "serve takes no arguments");
    /* fail early on a database that is not there, or a lost suppression key */
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    struct suppress_key key;
    long filled = 0;
    rc = suppress_key_load(db, &cli->cfg, &key, err);
    if (rc == 0)
        rc = contact_backfill_hmac(db, &key, &filled, err);
    explicit_bzero(&key, sizeof(key));
    db_free(db);
    if (rc < 0)
        return -1;
    if (filled)
        mo_log(MO_LOG_INFO, "stored the keyed hash of %ld older contacts", filled);
    block_stop_signals(&set); /* before MHD and the sender start their threads */
    w = doi_mail_worker_start(&cli->cfg, cli->data_dir, err);
    if (w == NULL)
        return -1;
    s = http_start(&cli->cfg, cli->data_dir, err);
    if (s == NULL) {
        stop_sender(w, SERVE_STOP_WAIT_MS, err);
        return -1;
    }
    mo_log(MO_LOG_INFO, "listening on http://%s (public base %s)", cli->cfg.listen,
           cli->cfg.base_url);
    fflush(stderr);
    purge(cli);
    for (;;) {
        struct timespec ts = {3600, 0};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig < 0 && errno == EAGAIN)
            purge(cli);
    }
    mo_log(MO_LOG_INFO, "stopping");
    /* the sender first: it finishes its batch while HTTP drains */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    doi_mail_worker_request_stop(w);
    http_stop(s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long spent = (long)(t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    stop_sender(w, spent < SERVE_STOP_WAIT_MS ? SERVE_STOP_WAIT_MS - (int)spent : 0, NULL);
    mo_log(MO_LOG_INFO, "stopped");
    return 0;
}

/* --- dispatch --- */

struct dispatch_opts {
    int once;
};

static int dispatch_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    (void)arg;
    (void)err;
    if (c != 'o')
        return -1;
    ((struct dispatch_opts *)ctx)->once = 1;
    return 0;
}

/* Works the queue until nothing is due; prints one summary. */
static int dispatch_once(struct cli *cli, struct mo_err *err)
{
    char owner[DOI_MAIL_OWNER_MAX];
    struct doi_mail_stats st, sum;
    int rc = 0;

    if (doi_mail_owner_id(owner, err) < 0)
        return -1;
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    memset(&sum, 0, sizeof(sum));
    struct doi_mail_opts o = {DOI_MAIL_BATCH, owner, 0};
    do {
        if (doi_mail_run(db, &cli->cfg, cli->data_dir, &o, &st, err) < 0) {
            rc = -1;
            break;
        }
        sum.claimed += st.claimed;
        sum.sent += st.sent;
        sum.deferred += st.deferred;
        sum.failed += st.failed;
        sum.cancelled += st.cancelled;
    } while (st.claimed > 0);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json) {
        json_t *j = json_pack("{s:{s:I, s:I, s:I, s:I}}", "confirmation_mails", "sent",
                              (json_int_t)sum.sent, "deferred", (json_int_t)sum.deferred, "failed",
                              (json_int_t)sum.failed, "cancelled", (json_int_t)sum.cancelled);
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else
        printf("confirmation mails: sent %ld, deferred %ld, failed %ld, not sent %ld\n", sum.sent,
               sum.deferred, sum.failed, sum.cancelled);
    return 0;
}

int cmd_dispatch(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"once", no_argument, NULL, 'o'}, {NULL, 0, NULL, 0}};
    struct dispatch_opts o = {0};
    int first, rc;
    sigset_t set;

    rc = cli_getopt(cli, argc, argv, "o", lo, dispatch_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (o.once)
        return dispatch_once(cli, err);
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    db_free(db);
    block_stop_signals(&set);
    struct doi_mail_worker *w = doi_mail_worker_start(&cli->cfg, cli->data_dir, err);
    if (w == NULL)
        return -1;
    for (;;) {
        int sig = sigwaitinfo(&set, NULL);
        if (sig == SIGINT || sig == SIGTERM)
            break;
    }
    mo_log(MO_LOG_INFO, "stopping");
    stop_sender(w, DISPATCH_STOP_WAIT_MS, NULL);
    mo_log(MO_LOG_INFO, "stopped");
    return 0;
}
