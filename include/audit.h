/*
 * audit.h - appends to the hash-chained audit log.
 *
 * The chain itself (seq, prev_hash, hash) is computed by the database
 * trigger, so every writer produces the same chain; this module only names
 * the actor and describes the action.  Never put an address in object or
 * detail: use contact ids.
 */
#ifndef MAILOUT_AUDIT_H
#define MAILOUT_AUDIT_H

#include <jansson.h>

#include "db.h"
#include "err.h"

/*
 * The actor for command-line actions: "cli:USER", or "cli:uid:N" when the
 * user has no name or one too long to keep whole (borrowed, static).
 */
const char *audit_cli_actor(void);

/*
 * The host name command-line entries are recorded with (gethostname(), or
 * "unknown"; borrowed, static).
 */
const char *audit_cli_host(void);

/*
 * Appends one entry inside the caller's transaction.  detail_json is a JSON
 * object text (NULL for {}).  For a command-line actor ("cli:..."), the
 * key "host" (audit_cli_host()) is added to the detail.  An object, or a
 * string anywhere in the detail, that contains '@' (so could be an address:
 * a file name, a remote Message-ID) is stored as "[withheld]"; the audit
 * log can never be scrubbed.  0 or -1 with err.
 */
int audit_append(struct db *db, const char *actor, const char *action, const char *object,
                 const char *detail_json, struct mo_err *err);

/*
 * Same with the detail as a JSON object, which this function takes over
 * (it is freed whatever happens; NULL, e.g. from a failed json_pack, is
 * MO_E_INTERNAL).
 */
int audit_append_json(struct db *db, const char *actor, const char *action, const char *object,
                      json_t *detail, struct mo_err *err);

#endif
