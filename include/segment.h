/*
 * segment.h - segment expressions (INTERFACE.md "Segment expressions"):
 * a recursive-descent parser into a tree, and the compiler from that tree
 * to one SQL condition in which every value is a parameter.  segment.c is
 * the one module besides queries.c that writes SQL text, and only from the
 * parse tree.  Also the use cases segment create and segment count.
 */
#ifndef MAILOUT_SEGMENT_H
#define MAILOUT_SEGMENT_H

#include "db.h"
#include "err.h"
#include "queries.h"

/* The longest expression accepted, in bytes. */
#define SEGMENT_EXPR_MAX (64 * 1024)

/*
 * A compiled segment: `where` is a boolean SQL condition over the alias c
 * (a row of contacts), e.g. "(c.country = $3 AND EXISTS (...))".  It refers
 * to the reference time ("now" for DAYS windows) as $<at_param>::timestamptz
 * and to its own values as $<first_param> ... $<first_param + nparams - 1>,
 * whose text is params[0 .. nparams - 1] (never NULL).  The caller puts it
 * into a statement such as
 *     SELECT c.id FROM contacts c WHERE <where>
 * and passes the reference time at index at_param and these values after
 * its own parameters.
 */
struct segment_sql {
    char *where;
    char **params;
    int nparams;
    int uses_at;   /* 1 when where refers to $<at_param>; when 0 the caller must still
                      give that parameter a type (e.g. paramTypes) if it passes it */
    char **topics; /* the distinct topic names subscribed() refers to, for checks */
    int ntopics;
    char **sensitive; /* the distinct sensitive attributes (NAME:sensitive) it uses */
    int nsensitive;
};

/*
 * Parses and compiles expr.  A syntax or semantic error (unknown field,
 * undeclared attribute, bad date) is MO_E_INPUT with the message
 * "LINE:COL: what was expected", e.g. "1:23: expected ')'"; anything after
 * a complete expression is an error.  attributes is the comma-separated
 * list of declared custom attributes (the key contact_attributes), or NULL.
 * Release with segment_sql_free().  Expressions are at most SEGMENT_EXPR_MAX
 * bytes, nest at most 100 levels and hold at most 10000 values; control
 * characters (other than tab, CR, LF between tokens) and invalid UTF-8
 * are errors.  Columns count UTF-8 characters.  On -1, *out is empty.
 */
int segment_compile(const char *expr, const char *attributes, int at_param, int first_param,
                    struct segment_sql *out, struct mo_err *err);
/*
 * segment_compile() for a campaign whose topic has the id topic_id (decimal
 * text), or NULL outside a campaign.  A predicate on a sensitive attribute
 * (contact_attributes NAME:sensitive) holds only for contacts whose current
 * consent for that topic (for any topic when NULL) was given under a consent
 * text explicit for the attribute (sql/0031: sensitive_allowed); web-activity
 * predicates (viewed, downloaded) never hold for known minors (under the
 * consent age of their country at the reference time).  out->sensitive lists
 * the sensitive attributes used, for the checks of campaign.c.
 */
int segment_compile_for(const char *expr, const char *attributes, const char *topic_id,
                        int at_param, int first_param, struct segment_sql *out, struct mo_err *err);
/* Frees what segment_compile() or segment_load() filled; the struct is then empty. */
void segment_sql_free(struct segment_sql *s);

/* 1 when name is a valid segment name ([a-z0-9][a-z0-9_.-]{0,62}), as for topics. */
int segment_name_valid(const char *name);

/*
 * The use case segment create: checks the name, compiles expr (MO_E_INPUT
 * "LINE:COL: ..."), checks that every topic of subscribed() exists
 * (MO_E_NOTFOUND "unknown topic 'x'"), stores name and expr and appends the
 * audit entry segment.create (object "segment:NAME", detail id and name,
 * never values) in one transaction.  A taken name is MO_E_CONFLICT
 * "segment 'X' exists".  *id gets the new id.  On error nothing is written.
 */
int segment_create(struct db *db, const char *name, const char *expr, const char *attributes,
                   const char *actor, long long *id, struct mo_err *err);

/*
 * Loads segment name's stored expression and compiles it; MO_E_NOTFOUND
 * for an unknown segment.
 */
int segment_load(struct db *db, const char *name, const char *attributes, int at_param,
                 int first_param, struct segment_sql *out, struct mo_err *err);
/* segment_load() compiled with segment_compile_for(). */
int segment_load_for(struct db *db, const char *name, const char *attributes, const char *topic_id,
                     int at_param, int first_param, struct segment_sql *out, struct mo_err *err);

/*
 * Runs query q, a query-table statement whose text holds the marker
 * {segment} where the compiled condition goes, with its own n parameters
 * followed by the segment's.  The segment must have been compiled with
 * at_param and first_param matching q (first_param = n + 1).  A result to
 * PQclear(), or NULL with err.
 */
PGresult *segment_exec(struct db *db, enum query_id q, const struct segment_sql *seg,
                       const char *const *params, int n, struct mo_err *err);

/*
 * Counts the contacts in segment name, with now() as the reference time
 * of DAYS windows: SELECT count(*) FROM contacts c WHERE <where>.  Writes
 * nothing.  MO_E_NOTFOUND for an unknown segment.
 */
int segment_count(struct db *db, const char *name, const char *attributes, long long *n,
                  struct mo_err *err);

#endif
