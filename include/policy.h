/*
 * policy.h - the jurisdiction policies as data (RULES.md section 9, table
 * policy): one row per ISO 3166 alpha-2 country plus '*', the strictest,
 * for every country without a row of its own.
 *
 * policy_set is a use case: it runs its own transaction (call it outside
 * one) with its audit entry, under the actor the caller names.  Reading the
 * policy for the engine is the engine's SQL, not this module's.
 */
#ifndef MAILOUT_POLICY_H
#define MAILOUT_POLICY_H

#include <jansson.h>

#include "db.h"
#include "err.h"

/*
 * Checks a country operand: '*' or an assigned ISO 3166 alpha-2 code, in
 * either case; out receives it upper-cased ("*" or "DE").  MO_E_INPUT
 * "invalid country 'x': ..." otherwise.
 */
int policy_country_parse(const char *in, char out[3], struct mo_err *err);

/*
 * The settable keys, in display order, NULL-terminated (borrowed, static).
 */
const char *const *policy_key_names(void);

/*
 * Checks value for key and writes its canonical text to out (n bytes):
 * integers in decimal, booleans "true"/"false", the label as given.
 * MO_E_INPUT with one line naming the key and the allowed values (an
 * unknown key lists the keys).
 */
int policy_value_parse(const char *key, const char *value, char *out, size_t n, struct mo_err *err);

/*
 * The policy rows as a JSON array of objects, each with country, every key
 * of policy_key_names() (typed: numbers, booleans, strings) and note (string
 * or null).  country NULL: every row, '*' first, then by country.  Otherwise
 * the one row that applies to that country (already parsed with
 * policy_country_parse): its own, or '*' with an extra member
 * "fallback_for": COUNTRY, and *fallback set to 1 (else 0).
 * Caller frees with json_decref(); NULL with err.
 */
json_t *policy_show(struct db *db, const char *country, int *fallback, struct mo_err *err);

/* What policy_set changed (old and new are JSON texts such as 16, true, "Ad"). */
struct policy_change {
    char country[3];
    int created; /* the country's row was created as a copy of '*' */
    char *old;   /* caller frees with policy_change_release() */
    char *new_;
};

/* Frees the strings of a change (safe on a zeroed or released one). */
void policy_change_release(struct policy_change *c);

/*
 * Sets key to value for country, in one transaction with its audit entry
 * (policy.set, object "policy:COUNTRY", detail {key, old, new}, plus
 * "created_from": "*" when the row was created).  A country without a row
 * gets one copied from '*' first.  A bad country, key or value is
 * MO_E_INPUT and nothing is written.  On success *out is filled (release it
 * with policy_change_release()).
 */
int policy_set(struct db *db, const char *country, const char *key, const char *value,
               const char *actor, struct policy_change *out, struct mo_err *err);

#endif
