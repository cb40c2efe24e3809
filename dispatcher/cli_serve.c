/*
 * cli_serve.c - the long-running commands.  `mailout serve` runs the HTTP
 * endpoints and the sender of confirmation mails until SIGINT or SIGTERM,
 * and purges expired pending requests once an hour.  `mailout dispatch`
 * works the send queues: the confirmation mails of double opt-in and the
 * campaign runs (dispatch.h), with a progress line on a terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "audit.h"
#include "chain.h"
#include "cli.h"
#include "contact.h"
#include "dispatch.h"
#include "dkim.h"
#include "doi.h"
#include "doi_mail.h"
#include "http.h"
#include "log.h"
#include "monotime.h"
#include "retention.h"
#include "scheduler.h"
#include "suppress.h"
#include "webhook.h"
#include "xalloc.h"

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

/*
 * Before a long-running command starts its threads: fails early on a
 * database that is not there or a lost suppression key, and stores the
 * keyed hash of older contacts that lack it.
 */
static int start_checks(struct cli *cli, struct mo_err *err)
{
    struct suppress_key key;
    long filled = 0;
    int rc;

    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = suppress_key_load(db, &cli->cfg, &key, err);
    if (rc == 0)
        rc = contact_backfill_hmac(db, &key, &filled, err);
    explicit_bzero(&key, sizeof(key));
    db_free(db);
    if (rc < 0)
        return -1;
    if (filled)
        mo_log(MO_LOG_INFO, "stored the keyed hash of %ld older contacts", filled);
    return 0;
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

/* What is left of SERVE_STOP_WAIT_MS since t0. */
static int stop_wait_left(long long t0)
{
    long spent = (long)(monotime_ms() - t0);
    return spent < SERVE_STOP_WAIT_MS ? SERVE_STOP_WAIT_MS - (int)spent : 0;
}

/*
 * Stops the confirmation sender and the webhook deliverer (issue 10:
 * h-webhook) within what is left of SERVE_STOP_WAIT_MS since t0.  A webhook
 * POST in flight has until the grace given at its stop request, then it is
 * cut short and its event is due again.  When a thread is still stuck, the
 * process ends here (stop_sender), with err's exit code when err is set.
 */
static void stop_workers(struct doi_mail_worker *w, struct webhook_worker *hw, long long t0,
                         const struct mo_err *err)
{
    doi_mail_worker_request_stop(w);
    webhook_worker_request_stop(hw, SERVE_STOP_WAIT_MS - 1500);
    int stuck = webhook_worker_stop(hw, stop_wait_left(t0));
    stop_sender(w, stop_wait_left(t0), err);
    if (!stuck)
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
    struct webhook_worker *hw = NULL;
    struct chain_worker *cw;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "serve takes no arguments");
    if (start_checks(cli, err) < 0)
        return -1;
    block_stop_signals(&set); /* before MHD and the sender start their threads */
    /* the deliverer reads its secret first: a bad one stops serve before anything runs */
    if (*cli->cfg.webhook_url && (hw = webhook_worker_start(&cli->cfg, err)) == NULL)
        return -1;
    w = doi_mail_worker_start(&cli->cfg, cli->data_dir, err);
    if (w == NULL) {
        stop_workers(NULL, hw, monotime_ms(), err);
        return -1;
    }
    s = http_start(&cli->cfg, cli->data_dir, err);
    if (s == NULL) {
        stop_workers(w, hw, monotime_ms(), err);
        return -1;
    }
    /* issue 12: links new ledger rows and send records into their hash chains */
    cw = chain_worker_start(&cli->cfg, err);
    if (cw == NULL) {
        http_stop(s);
        stop_workers(w, hw, monotime_ms(), err);
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
    /* the senders first: they finish their work while HTTP drains */
    long long t0 = monotime_ms();
    doi_mail_worker_request_stop(w);
    webhook_worker_request_stop(hw, SERVE_STOP_WAIT_MS - 1500);
    chain_worker_request_stop(cw);
    http_stop(s);
    /* a sealer stuck in the database is left to the process end (it borrows cli->cfg) */
    int cw_stuck = chain_worker_stop(cw, stop_wait_left(t0));
    stop_workers(w, hw, t0, NULL);
    if (cw_stuck) {
        mo_log(MO_LOG_WARN, "the chain sealer is still waiting for the database");
        mo_log(MO_LOG_INFO, "stopped");
        fflush(stdout);
        fflush(stderr);
        _exit(0);
    }
    mo_log(MO_LOG_INFO, "stopped");
    return 0;
}

/* --- dispatch --- */

struct dispatch_cli_opts {
    int once;
    int resend_uncertain;
    int sessions;
};

static int dispatch_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct dispatch_cli_opts *o = ctx;
    char *end;

    switch (c) {
    case 'o':
        o->once = 1;
        return 0;
    case 'R':
        o->resend_uncertain = 1;
        return 0;
    case 'j': {
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < 1 || v > DISPATCH_SESSIONS_MAX)
            return mo_err_set(err, MO_E_USAGE, "invalid --sessions '%s' (1 to %d)", arg,
                              DISPATCH_SESSIONS_MAX);
        o->sessions = (int)v;
        return 0;
    }
    default:
        return -1;
    }
}

/* Sends the confirmation mails until nothing is due. */
static int confirmations_once(struct cli *cli, struct doi_mail_stats *sum, struct mo_err *err)
{
    char owner[DOI_MAIL_OWNER_MAX];
    struct doi_mail_stats st;
    int rc = 0;

    memset(sum, 0, sizeof(*sum));
    if (doi_mail_owner_id(owner, err) < 0)
        return -1;
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    struct doi_mail_opts o = {DOI_MAIL_BATCH, owner, 0};
    do {
        if (doi_mail_run(db, &cli->cfg, cli->data_dir, &o, &st, err) < 0) {
            rc = -1;
            break;
        }
        sum->claimed += st.claimed;
        sum->sent += st.sent;
        sum->deferred += st.deferred;
        sum->failed += st.failed;
        sum->cancelled += st.cancelled;
    } while (st.claimed > 0);
    db_free(db);
    return rc;
}

/* The progress line on a terminal: at most every 0.5 s, "left" read every 2 s. */
struct progress {
    int on;
    struct db *db;
    long long t0, last_draw, last_count;
    long left;      /* rows left at the last count */
    long done_then; /* rows this process had settled at that count */
    int drawn;
};

static void progress_draw(struct progress *p, struct dispatch *d, int force)
{
    struct dispatch_stats st;
    long long now = monotime_ms();
    long unc;
    struct mo_err err;

    if (!p->on || (!force && now - p->last_draw < 500))
        return;
    mo_err_init(&err);
    dispatch_get_stats(d, &st);
    long done = st.sent + st.failed + st.deferred + st.excluded + st.uncertain + st.cancelled;
    if (p->db && (force || now - p->last_count >= 2000)) {
        if (dispatch_counts(p->db, &p->left, &unc, &err) < 0)
            p->left = -1;
        p->last_count = now;
        p->done_then = done;
    }
    p->last_draw = now;
    /* between two counts: what this process settled since */
    long left_now = p->left < 0 ? -1 : p->left - (done - p->done_then);
    if (p->left >= 0 && left_now < 0)
        left_now = 0;
    double secs = (double)(now - p->t0) / 1000.0;
    double rate = secs > 0.5 ? (double)(st.sent + st.failed) / secs : 0.0;
    char eta[32] = "-";
    if (rate > 0 && left_now >= 0) {
        long s = (long)((double)left_now / rate);
        snprintf(eta, sizeof(eta), "%ld:%02ld", s / 60, s % 60);
    }
    char left[24] = "?";
    if (left_now >= 0)
        snprintf(left, sizeof(left), "%ld", left_now);
    fprintf(stderr, "\r\033[Ksent %ld, failed %ld, left %s, %.0f msg/s, ETA %s", st.sent, st.failed,
            left, rate, eta);
    fflush(stderr);
    p->drawn = 1;
}

static void progress_end(struct progress *p, struct dispatch *d)
{
    if (!p->on)
        return;
    progress_draw(p, d, 1);
    if (p->drawn)
        fputc('\n', stderr);
    db_free(p->db);
    p->db = NULL;
}

/*
 * Runs the campaign workers: until nothing is due (once) or until SIGINT or
 * SIGTERM.  The confirmation sender runs beside them when w is given.
 */
static int campaigns_run(struct cli *cli, const struct dispatch_cli_opts *o, sigset_t *set,
                         struct doi_mail_worker *w, struct dispatch_stats *st, struct mo_err *err)
{
    struct dispatch_opts dopts = {o->sessions, o->once, DISPATCH_BATCH, cli->data_dir};
    struct progress p;
    struct mo_err derr;

    memset(&p, 0, sizeof(p));
    mo_err_init(&derr);
    struct dispatch *d = dispatch_start(&cli->cfg, &dopts, err);
    if (d == NULL) {
        if (w)
            stop_sender(w, DISPATCH_STOP_WAIT_MS, err);
        return -1;
    }
    p.on = isatty(2);
    p.t0 = monotime_ms();
    if (p.on)
        p.db = cli_db(cli, &derr);
    for (;;) {
        struct timespec ts = {0, 200000000L};
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (o->once && dispatch_finished(d))
            break;
        progress_draw(&p, d, 0);
    }
    if (!dispatch_finished(d))
        mo_log(MO_LOG_INFO, "stopping");
    dispatch_request_stop(d);
    doi_mail_worker_request_stop(w);
    /* the sessions in flight finish and are recorded; then the counts are final */
    for (long long until = monotime_ms() + DISPATCH_STOP_WAIT_MS;
         !dispatch_finished(d) && monotime_ms() < until;)
        nanosleep(&(struct timespec){0, 50000000L}, NULL);
    progress_end(&p, d);
    dispatch_get_stats(d, st);
    if (dispatch_stop(d, 1000, &derr) != 0) {
        /* a session is still running: its rows become uncertain, its claims queued */
        mo_log(MO_LOG_WARN, "a worker is still waiting for the relay: leaving without it");
        fflush(stdout);
        fflush(stderr);
        _exit(0);
    }
    if (w)
        stop_sender(w, SERVE_STOP_WAIT_MS, NULL);
    if (derr.code) {
        *err = derr;
        return -1;
    }
    return 0;
}

int cmd_dispatch(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"once", no_argument, NULL, 'o'},
                                       {"sessions", required_argument, NULL, 'j'},
                                       {"resend-uncertain", no_argument, NULL, 'R'},
                                       {NULL, 0, NULL, 0}};
    struct dispatch_cli_opts o = {0, 0, 2};
    struct dispatch_stats st;
    struct doi_mail_stats sum;
    struct mo_err cerr;
    long left = 0, uncertain = 0, resent = 0;
    int first, rc;
    sigset_t set;

    memset(&st, 0, sizeof(st));
    memset(&sum, 0, sizeof(sum));
    mo_err_init(&cerr);
    rc = cli_getopt(cli, argc, argv, "oj:", lo, dispatch_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    if (o.resend_uncertain && dispatch_resend_uncertain(db, &resent, err) < 0) {
        db_free(db);
        return -1;
    }
    db_free(db);
    if (o.resend_uncertain)
        mo_log(MO_LOG_INFO, "uncertain messages queued again on request: %ld", resent);
    block_stop_signals(&set); /* before any thread starts */
    if (!o.once) {
        struct doi_mail_worker *w = doi_mail_worker_start(&cli->cfg, cli->data_dir, err);
        if (w == NULL)
            return -1;
        rc = campaigns_run(cli, &o, &set, w, &st, err);
        mo_log(MO_LOG_INFO, "stopped sent=%ld failed=%ld deferred=%ld excluded=%ld", st.sent,
               st.failed, st.deferred, st.excluded);
        return rc;
    }
    if (confirmations_once(cli, &sum, err) < 0)
        return -1;
    rc = campaigns_run(cli, &o, &set, NULL, &st, &cerr);
    db = cli_db(cli, err);
    if (db == NULL || dispatch_counts(db, &left, &uncertain, err) < 0) {
        db_free(db);
        return -1;
    }
    db_free(db);
    if (cli->json) {
        json_t *j =
            json_pack("{s:{s:I, s:I, s:I, s:I}, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}",
                      "confirmation_mails", "sent", (json_int_t)sum.sent, "deferred",
                      (json_int_t)sum.deferred, "failed", (json_int_t)sum.failed, "cancelled",
                      (json_int_t)sum.cancelled, "campaign_mails", "sent", (json_int_t)st.sent,
                      "failed", (json_int_t)st.failed, "deferred", (json_int_t)st.deferred,
                      "excluded", (json_int_t)st.excluded, "cancelled", (json_int_t)st.cancelled,
                      "uncertain", (json_int_t)st.uncertain, "uncertain_total",
                      (json_int_t)uncertain, "left", (json_int_t)left);
        json_dumpf(j, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(j);
    } else {
        printf("confirmation mails: sent %ld, deferred %ld, failed %ld, not sent %ld\n", sum.sent,
               sum.deferred, sum.failed, sum.cancelled);
        printf("campaign mails: sent %ld, failed %ld, deferred %ld, excluded %ld, cancelled %ld\n",
               st.sent, st.failed, st.deferred, st.excluded, st.cancelled);
        if (uncertain)
            printf("uncertain (a worker stopped inside an SMTP session): %ld; send them again "
                   "with dispatch --resend-uncertain\n",
                   uncertain);
    }
    if (rc < 0) {
        *err = cerr;
        return -1;
    }
    return 0;
}

/* --- run: everything in one process --- */

/*
 * SIGTERM or SIGINT: everything stops within this (the SMTP sessions in
 * flight finish and are recorded), under systemd's TimeoutStopSec=35.
 */
#define RUN_STOP_WAIT_MS 25000
/*
 * Messages one dispatch session of `run` carries.  A stop waits for the
 * sessions in flight: at this size a relay may take about a second per
 * message and the session still ends within RUN_STOP_WAIT_MS.
 */
#define RUN_BATCH 20

/* The services of `run`, each borrowing cli->cfg and cli->data_dir. */
struct run_services {
    struct webhook_worker *hw;
    struct doi_mail_worker *w;
    struct dispatch *d;
    struct scheduler *sch;
    struct chain_worker *cw;       /* issue 12: the chain sealer */
    struct maintenance_worker *mw; /* issue 13: daily maintenance (h-retain) */
    struct http_server *s;
};

/* Configurations a stuck worker of an earlier reload still borrows: kept to the end. */
static struct config *run_retired[16];
static size_t run_nretired;

/* 1 when SIGINT or SIGTERM is pending (blocked, not yet taken). */
static int stop_pending(void)
{
    sigset_t p;

    return sigpending(&p) == 0 && (sigismember(&p, SIGTERM) == 1 || sigismember(&p, SIGINT) == 1);
}

static int ms_left(long long deadline)
{
    long long left = deadline - monotime_ms();
    return left > 0 ? (int)left : 0;
}

/*
 * Stops every service by deadline: the HTTP listener at once (running
 * requests finish), the SMTP sessions in flight finish and are recorded,
 * claimed rows go back to queued.  *stop_seen is set when SIGINT or SIGTERM
 * came meanwhile (the reload then does not start anything again).  Returns
 * 0 when everything ended (and was freed), 1 when a worker is still inside
 * a session that hangs: it keeps borrowing the configuration.
 */
static int run_stop(struct run_services *sv, long long deadline, int *stop_seen)
{
    int stuck = 0;

    scheduler_request_stop(sv->sch);
    chain_worker_request_stop(sv->cw);
    maintenance_worker_request_stop(sv->mw);
    if (sv->d)
        dispatch_request_stop(sv->d);
    doi_mail_worker_request_stop(sv->w);
    webhook_worker_request_stop(sv->hw, ms_left(deadline) - 1500);
    http_stop(sv->s);
    sv->s = NULL;
    while (sv->d && !dispatch_finished(sv->d) && monotime_ms() < deadline) {
        if (stop_seen && !*stop_seen && stop_pending())
            *stop_seen = 1;
        nanosleep(&(struct timespec){0, 50000000L}, NULL);
    }
    struct mo_err derr;
    mo_err_init(&derr);
    if (sv->d && dispatch_stop(sv->d, ms_left(deadline), &derr) != 0) {
        mo_log(MO_LOG_WARN, "a dispatch worker is still inside an SMTP session: its rows become "
                            "uncertain, its claims queued");
        stuck = 1;
    } else if (derr.code)
        mo_log(MO_LOG_ERROR, "dispatch: %s", derr.msg);
    sv->d = NULL;
    if (scheduler_stop(sv->sch, ms_left(deadline)) != 0) {
        mo_log(MO_LOG_WARN, "the scheduler is still waiting for the database");
        stuck = 1;
    }
    sv->sch = NULL;
    if (chain_worker_stop(sv->cw, ms_left(deadline)) != 0) {
        mo_log(MO_LOG_WARN, "the chain sealer is still waiting for the database");
        stuck = 1;
    }
    sv->cw = NULL;
    if (maintenance_worker_stop(sv->mw, ms_left(deadline)) != 0) {
        mo_log(MO_LOG_WARN, "maintenance is still waiting for the database");
        stuck = 1;
    }
    sv->mw = NULL;
    stuck |= webhook_worker_stop(sv->hw, ms_left(deadline));
    sv->hw = NULL;
    stuck |= doi_mail_worker_stop(sv->w, ms_left(deadline));
    sv->w = NULL;
    if (stop_seen && !*stop_seen && stop_pending())
        *stop_seen = 1;
    return stuck;
}

/* Leaves the process at once (a worker still borrows the configuration). */
static void run_exit_now(int code)
{
    mo_log(MO_LOG_INFO, "stopped");
    fflush(stdout);
    fflush(stderr);
    _exit(code);
}

/*
 * Starts every service on cli->cfg: the webhook deliverer (it reads its
 * secret first), the confirmation sender, the dispatch workers, the
 * scheduler, the HTTP listener.  0, or -1 with err and nothing running.
 */
static int run_start(struct cli *cli, int sessions, struct run_services *sv, struct mo_err *err)
{
    struct dispatch_opts dopts = {sessions, 0, RUN_BATCH, cli->data_dir};

    memset(sv, 0, sizeof(*sv));
    if ((*cli->cfg.webhook_url && (sv->hw = webhook_worker_start(&cli->cfg, err)) == NULL) ||
        (sv->w = doi_mail_worker_start(&cli->cfg, cli->data_dir, err)) == NULL ||
        (sv->d = dispatch_start(&cli->cfg, &dopts, err)) == NULL ||
        (sv->sch = scheduler_start(&cli->cfg, err)) == NULL ||
        (sv->cw = chain_worker_start(&cli->cfg, err)) == NULL ||
        (sv->mw = maintenance_worker_start(&cli->cfg, err)) == NULL ||
        (sv->s = http_start(&cli->cfg, cli->data_dir, err)) == NULL) {
        if (run_stop(sv, monotime_ms() + SERVE_STOP_WAIT_MS, NULL) != 0) {
            fprintf(stderr, "mailout: %s\n", err->msg);
            run_exit_now(mo_err_exit_code(err->code));
        }
        return -1;
    }
    return 0;
}

/* What reloading can check before anything stops: the keys and secrets the services read. */
static int run_check(const struct config *next, struct mo_err *err)
{
    struct dkim *dk = NULL;
    struct suppress_key key;
    int rc;

    if (dkim_open(next, &dk, err) < 0)
        return -1;
    dkim_free(dk);
    if (*next->webhook_url) {
        struct webhook_sender *ws = webhook_sender_new(next, err);
        if (ws == NULL)
            return -1;
        webhook_sender_free(ws);
    }
    struct db *db = db_connect(next, err);
    if (db == NULL)
        return -1;
    rc = suppress_key_load(db, next, &key, err);
    explicit_bzero(&key, sizeof(key));
    db_free(db);
    return rc;
}

/*
 * SIGHUP: reads the configuration file again.  A configuration that does
 * not load or whose keys and secrets cannot be read is refused and the
 * running one kept.  Otherwise the services stop as for SIGTERM (sessions in
 * flight finish, claims go back), the configuration is swapped and they
 * start again, the HTTP listener included (it borrows the configuration;
 * connections are refused for that moment).  When they do not start on the
 * new one, the old one is put back.  Returns 0 while running, 1 when a stop
 * signal came meanwhile (nothing runs any more), -1 with err when not even
 * the old configuration starts again.
 */
static int run_reload(struct cli *cli, int sessions, struct run_services *sv, struct mo_err *err)
{
    struct config next;
    struct mo_err rerr;
    int stop_seen = 0;
    char file[512];

    int fw = snprintf(file, sizeof(file), "%s", *cli->cfg.path ? cli->cfg.path : "(defaults)");
    if (fw < 0 || (size_t)fw >= sizeof(file))
        memcpy(file + sizeof(file) - 4, "...", 4); /* only for the log line */
    mo_err_init(&rerr);
    mo_log(MO_LOG_INFO, "SIGHUP: reloading the configuration file=%s", file);
    if (cli_config_reload(cli, &next, &rerr) < 0) {
        mo_log(MO_LOG_ERROR, "configuration refused, the running one is kept: %s", rerr.msg);
        return 0;
    }
    if (run_check(&next, &rerr) < 0) {
        mo_log(MO_LOG_ERROR, "configuration refused, the running one is kept: %s", rerr.msg);
        config_release(&next);
        return 0;
    }
    int stuck = run_stop(sv, monotime_ms() + RUN_STOP_WAIT_MS, &stop_seen);
    cli_config_swap(cli, &next); /* next now holds the old configuration */
    if (stuck) {
        /*
         * A worker stuck with a relay borrows &cli->cfg: the strings it already
         * read are the old configuration's, kept to the end of the process.
         */
        if (run_nretired == sizeof(run_retired) / sizeof(run_retired[0])) {
            mo_log(MO_LOG_ERROR, "too many workers stuck with a relay: exiting");
            run_exit_now(mo_err_exit_code(MO_E_UNAVAILABLE));
        }
        run_retired[run_nretired] = xmalloc(sizeof(struct config));
        *run_retired[run_nretired++] = next;
        memset(&next, 0, sizeof(next)); /* path NULL: no way back */
    }
    if (stop_seen) {
        if (next.path != NULL)
            config_release(&next);
        return 1;
    }
    if (run_start(cli, sessions, sv, &rerr) == 0) {
        mo_log(MO_LOG_INFO, "configuration reloaded file=%s log_level=%s listen=%s transport=%s",
               file, cli->cfg.log_level, cli->cfg.listen, cli->cfg.transport);
        if (next.path != NULL)
            config_release(&next);
        return 0;
    }
    mo_log(MO_LOG_ERROR, "configuration refused, the running one is kept: %s", rerr.msg);
    if (next.path == NULL) {
        /* the old one is retired (a stuck worker borrows it): no way back */
        *err = rerr;
        return -1;
    }
    cli_config_swap(cli, &next);
    config_release(&next);
    if (run_start(cli, sessions, sv, err) < 0)
        return -1;
    return 0;
}

static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP";
}

/* How often `run` deletes expired pending requests. */
#define RUN_PURGE_EVERY_MS (3600 * 1000LL)

int cmd_run(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"sessions", required_argument, NULL, 'j'},
                                       {NULL, 0, NULL, 0}};
    struct dispatch_cli_opts o = {0, 0, 2};
    struct run_services sv;
    int first, rc, sig = 0;
    sigset_t set;

    rc = cli_getopt(cli, argc, argv, "j:", lo, dispatch_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (start_checks(cli, err) < 0)
        return -1;
    block_stop_signals(&set); /* before any thread starts */
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (run_start(cli, o.sessions, &sv, err) < 0)
        return -1;
    mo_log(MO_LOG_INFO, "running pid=%ld sessions=%d listen=%s base_url=%s config=%s log_level=%s",
           (long)getpid(), o.sessions, cli->cfg.listen, cli->cfg.base_url,
           *cli->cfg.path ? cli->cfg.path : "(defaults)", cli->cfg.log_level);
    fflush(stderr);
    purge(cli);
    /* hourly by the clock, not an hour after the last signal: SIGHUPs must not put it off */
    long long next_purge = monotime_ms() + RUN_PURGE_EVERY_MS;
    for (;;) {
        long long left = next_purge - monotime_ms();
        if (left < 0)
            left = 0;
        struct timespec ts = {(time_t)(left / 1000), (long)(left % 1000) * 1000000L};
        sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            break;
        if (sig == SIGHUP) {
            rc = run_reload(cli, o.sessions, &sv, err);
            if (rc < 0) {
                mo_log(MO_LOG_ERROR, "not running any more: %s", err->msg);
                return -1;
            }
            if (rc == 1) { /* a stop signal came during the reload: already stopped */
                mo_log(MO_LOG_INFO, "stopped");
                return 0;
            }
        }
        if (monotime_ms() >= next_purge) {
            purge(cli);
            next_purge = monotime_ms() + RUN_PURGE_EVERY_MS;
        }
    }
    mo_log(MO_LOG_INFO, "stopping signal=%s", signal_name(sig));
    if (run_stop(&sv, monotime_ms() + RUN_STOP_WAIT_MS, NULL) != 0)
        run_exit_now(0);
    mo_log(MO_LOG_INFO, "stopped");
    return 0;
}
