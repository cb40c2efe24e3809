/*
 * webhook_suppress.c - a helper of tests/integration/webhook.sh (not a test
 * itself): puts a known contact on the suppression list through
 * suppress_add(), as an admin or bounce handler does, so the test sees the
 * 'suppressed' outbox event that call writes in the same transaction.
 *
 * usage: webhook_suppress EMAIL REASON   (configuration from $MAILOUT_CONFIG)
 * exit 0 when the address is now suppressed, 1 on any error.
 */
#include <stdio.h>
#include <stdlib.h>

#include "address.h"
#include "config.h"
#include "contact.h"
#include "db.h"
#include "err.h"
#include "suppress.h"

int main(int argc, char **argv)
{
    struct config cfg;
    struct mo_err err;
    struct suppress_key key;
    char hash[65], *norm = NULL;
    long long id = 0;
    int added = 0, rc = 1;

    mo_err_init(&err);
    if (argc != 3) {
        fprintf(stderr, "usage: webhook_suppress EMAIL REASON\n");
        return 1;
    }
    if (config_load(&cfg, NULL, &err) < 0) {
        fprintf(stderr, "webhook_suppress: %s\n", err.msg);
        config_release(&cfg);
        return 1;
    }
    struct db *db = db_connect(&cfg, &err);
    if (db == NULL || address_normalize(argv[1], &norm, &err) < 0 ||
        suppress_key_load(db, &cfg, &key, &err) < 0 || contact_find_id(db, norm, &id, &err) < 0)
        goto out;
    suppress_hash(&key, norm, hash);
    if (db_begin(db, &err) < 0 || suppress_add(db, hash, id, argv[2], &added, &err) < 0 ||
        db_commit(db, &err) < 0) {
        db_rollback(db);
        goto out;
    }
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "webhook_suppress: %s\n", err.msg);
    free(norm);
    db_free(db);
    config_release(&cfg);
    return rc;
}
