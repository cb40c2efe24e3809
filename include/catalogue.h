/*
 * catalogue.h - the catalogue (products, categories and their relations)
 * and orders: the existing-customer exception's inputs.  Each function owns
 * its transaction and writes its audit entry under the actor given.
 */
#ifndef MAILOUT_CATALOGUE_H
#define MAILOUT_CATALOGUE_H

#include "config.h"
#include "db.h"
#include "err.h"
#include "importer.h"

/* Longest sku (products.sku's CHECK) and category path, in bytes. */
#define CATALOGUE_SKU_MAX  128
#define CATALOGUE_PATH_MAX 200

/* 1 when s is a category path: lower-case segments [a-z0-9][a-z0-9_-]* joined by '/'. */
int catalogue_path_valid(const char *s);

/*
 * Imports products (columns sku, name, category) from a CSV file: creates
 * the category row of each path that has none (ancestors need no row),
 * creates or updates each sku.  All-or-nothing unless o->skip_invalid;
 * every bad row goes to report() as FILE:LINE: reason.  Audited as
 * product.import.  -1 with err (MO_E_INPUT for bad rows, MO_E_NOINPUT for a
 * missing file).  *st is filled on success and on failure.
 */
int catalogue_product_import(struct db *db, const char *path, const struct importer_opts *o,
                             struct import_stats *st, void (*report)(const char *msg, void *arg),
                             void *arg, struct mo_err *err);

/*
 * Relates two products, symmetrically (stored once, a < b).  *created is 0
 * when they were already related (nothing written).  MO_E_INPUT for a
 * product related to itself or a malformed sku, MO_E_NOTFOUND naming an
 * unknown sku.  Audited as product.relate when something changed.
 */
int catalogue_relate_products(struct db *db, const char *a, const char *b, const char *actor,
                              int *created, struct mo_err *err);

/*
 * Relates two category paths, symmetrically, creating the category row of
 * a path that has none.  A path under which no product sits is refused
 * with MO_E_NOTFOUND naming it; a malformed path or a path related to
 * itself is MO_E_INPUT.  *created as above; audited as
 * product.relate_category when something changed.
 */
int catalogue_relate_categories(struct db *db, const char *a, const char *b, const char *actor,
                                int *created, struct mo_err *err);

/*
 * Imports order lines (order_id, email, sku, ordered_at, legal_entity,
 * collected_in_sale, opt_out_offered) from a CSV file, upserting on
 * (order_id, sku).  An unknown email creates a contact without consent
 * (source: the file name), unless its keyed hash is suppressed: that row is
 * counted in st->suppressed and stored nowhere.  An unknown seller creates
 * the legal entity; an empty legal_entity means cfg->legal_entity.  Bad
 * rows, all-or-nothing and audit (order.import) as in
 * catalogue_product_import().
 */
int catalogue_order_import(struct db *db, const struct config *cfg, const char *path,
                           const struct importer_opts *o, struct import_stats *st,
                           void (*report)(const char *msg, void *arg), void *arg,
                           struct mo_err *err);

#endif
