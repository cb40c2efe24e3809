/*
 * cli_serve.c - `mailout serve`: runs the HTTP endpoints until SIGINT or
 * SIGTERM, and purges expired pending requests once an hour.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cli.h"
#include "contact.h"
#include "doi.h"
#include "http.h"
#include "log.h"
#include "suppress.h"

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

int cmd_serve(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    int first, rc;
    sigset_t set;
    struct http_server *s;

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
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before MHD starts its threads */
    s = http_start(&cli->cfg, cli->data_dir, err);
    if (s == NULL)
        return -1;
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
    http_stop(s);
    return 0;
}
