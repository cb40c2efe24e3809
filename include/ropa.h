/*
 * ropa.h - the records of processing activities (GDPR Art. 30(1)) drawn
 * from the configuration and the database (issue 13, R-GDPR-14): the data
 * behind `mailout audit ropa` and the public page GET /privacy-info.
 *
 * Shape of ropa_report() (keys documented in mailout(1), RECORDS OF
 * PROCESSING; times ISO 8601 UTC, absent values null):
 *   {"format": "mailout-ropa/1", "generated_at",
 *    "a_controller": {"article", "legal_entity", "from", "email",
 *       "reply_to", "postal_address", "privacy_url", "imprint_url",
 *       "legal_entities": [{"name", "created_at"}]},
 *    "b_purposes": {"article", "topics": [{"name", "title", "reserved",
 *       "consent_texts": [{"id", "version", "locale", "sha256"}]}],
 *       "existing_customer": {"policies": [{"country",
 *       "existing_customer_months", "inquiry_months", "opt_out_regime",
 *       "consent_lapse_months", "consent_age"}], "product_relations",
 *       "category_relations"}, "tracking": {"topic", "consent_texts",
 *       "description"}},
 *    "c_categories": {"article", "data_subjects": [{"category", "topic",
 *       "count"}], "contacts_by_source": [{"source", "count"}],
 *       "data": [{"category", "fields"}], "attributes": [{"name",
 *       "sensitive"}]},
 *    "d_recipients": {"article", "processors": [{"name", "role",
 *       "country", "hosts", "dpa", "mechanism", "purpose"}],
 *       "own_infrastructure": TEXT | null},
 *    "e_transfers": {"article", "residency", "transfers": [{"name",
 *       "country", "mechanism", "decision"}], "summary"},
 *    "f_retention": {"article", "token_ttl_seconds",
 *       "pending_retention_seconds", "activity_retention_seconds",
 *       "contact_retention_months", "reply_retention_months",
 *       "rules": [{"data", "kept"}]},
 *    "g_security": {"article", "measures": [{"measure", "detail"}]},
 *    "missing": [TEXT]}
 * "missing" lists the required values that are absent, each as one line
 * ("legal_entity is not set", "processor 'X' has no country", "processor
 * 'X' (CN) has no transfer mechanism"); `audit ropa` exits 65 on the first.
 */
#ifndef MAILOUT_ROPA_H
#define MAILOUT_ROPA_H

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "err.h"
#include "tmpl.h"

/*
 * The records of processing in one read-only transaction.  Returns a new
 * object (caller decrefs), also when values are missing (see "missing"),
 * or NULL with err when the database fails.  cfg is borrowed.  Without
 * with_counts (the public page) nothing is counted: every count is null,
 * contacts_by_source is empty, and the ledger is not scanned.
 */
json_t *ropa_report(struct db *db, const struct config *cfg, int with_counts, struct mo_err *err);

/*
 * Fills v (the caller's) with the variables of page_privacy.html from a
 * ropa_report() result, in lang ("en" or "de": durations are written out
 * in it).  No counts and no contact sources: nothing on the page is
 * personal data.  Values are plain text; the template escapes them.
 */
void ropa_page_vars(const json_t *rep, const char *lang, struct tmpl_vars *v);

#endif
