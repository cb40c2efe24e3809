/*
 * importer.h - what every CSV import shares: FILE:LINE reports, the header
 * map, trimmed fields, the COPY into a temporary table inside one
 * transaction, and the rows SQL reports back.
 *
 * An import streams its file with csvin, checks each row in C, COPYs the
 * good ones (CSV format) into a temporary table created ON COMMIT DROP, then
 * merges in SQL and commits; any failure rolls everything back.  The module
 * knows nothing of contacts, orders or activity: its callers own the table,
 * the checks and the merge.
 */
#ifndef MAILOUT_IMPORTER_H
#define MAILOUT_IMPORTER_H

#include <libpq-fe.h>

#include "buf.h"
#include "csvin.h"
#include "db.h"
#include "err.h"

/* A column in the header that is not one of the known names. */
#define IMPORTER_UNUSED (-1)

struct importer {
    struct db *db;    /* borrowed */
    const char *file; /* the path as given, for messages (borrowed) */
    const char *base; /* its last component, for the audit log and sources */
    void (*report)(const char *msg, void *arg);
    void *arg;
    struct buf copy;   /* COPY data not yet sent */
    struct buf fields; /* the trimmed known fields of the current row */
    struct buf shown;  /* importer_show() */
    int in_tx, in_copy;
    int ncols;                       /* columns in the header (importer_header) */
    int map[CSVIN_FIELDS_MAX];       /* header column -> known index or IMPORTER_UNUSED */
    char *colname[CSVIN_FIELDS_MAX]; /* trimmed lower-case header names */
    long dropped_columns;            /* columns not among the known ones */
};

/*
 * What a product, order or activity import did.  The summary line reads
 * loaded, rejected, suppressed and dropped; the rest is said after its
 * colon.  After a failure nothing is stored: loaded, created, updated and
 * the *_created counts are 0, the others say what the rows read were.
 */
struct import_stats {
    long rows;               /* data rows read */
    long loaded;             /* distinct records stored (new, changed or already there) */
    long rejected;           /* invalid rows, each reported as FILE:LINE */
    long suppressed;         /* valid rows for a suppressed address: stored nowhere */
    long dropped;            /* valid rows that may not be stored (activity without consent) */
    long unknown_contacts;   /* of the dropped rows: no such contact at all */
    long created;            /* new records */
    long updated;            /* records changed */
    long repeated;           /* valid rows already stored or repeated in the file */
    long contacts_created;   /* order import: contacts created without consent */
    long entities_created;   /* order import: legal entities created */
    long categories_created; /* product import: category rows created */
    long dropped_columns;    /* header columns not used */
};

/* Options every import takes. */
struct importer_opts {
    int skip_invalid;  /* load the good rows and report the bad ones */
    const char *actor; /* for the audit entry: "cli:USER" */
};

/* The shape of one kind of import file and its temporary table. */
struct importer_table {
    const char *const *known; /* column names */
    int nknown;
    unsigned required;      /* bit k: known[k] is required */
    const char *create_sql; /* CREATE TEMP TABLE ... ON COMMIT DROP */
    const char *copy_sql;   /* COPY ... FROM STDIN (FORMAT csv) */
};

/* Sets up an import of path over db; report (may be NULL) gets each message. */
void importer_init(struct importer *im, struct db *db, const char *path,
                   void (*report)(const char *msg, void *arg), void *arg);
/*
 * Ends a COPY still in flight, rolls back a transaction still open and frees
 * everything; after a successful importer_commit() it only frees.
 */
void importer_release(struct importer *im);

/* Reports "FILE:LINE: message" (line 0: "FILE: message"), built whole. */
void importer_reportf(struct importer *im, unsigned long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Reads the header row: names trimmed of spaces and lower-cased, each
 * matched against known[0..nknown-1].  A column twice, a header with a row
 * error or more columns than csvin allows is an error; so is a known column
 * whose index has its bit set in required (bit i = known[i]) but is missing.
 * Other columns are reported as not used and counted in dropped_columns.
 * -1 with err MO_E_INPUT "FILE:LINE: ...".
 */
int importer_header(struct importer *im, const struct csvin_row *row, const char *const *known,
                    int nknown, unsigned required, struct mo_err *err);

/*
 * Checks the row (csvin row error, field count) and fills v[k] with the
 * field of known column k, without surrounding spaces and tabs (NULL when
 * the file has no such column; borrowed until the next row).  -1 after
 * reporting the row as FILE:LINE.
 */
int importer_fields(struct importer *im, const struct csvin_row *row, const char **v, int nknown);

/* 1 when s holds a control character (line breaks and tabs included). */
int importer_has_control(const char *s);

/*
 * Begins the transaction, creates the temporary table (create_sql: CREATE
 * TEMP TABLE ... ON COMMIT DROP) and starts copy_sql (COPY ... FROM STDIN
 * (FORMAT csv)).  -1 with err.
 */
int importer_begin(struct importer *im, const char *create_sql, const char *copy_sql,
                   struct mo_err *err);
/* Appends one COPY field (NULL or "" as NULL, else quoted); last ends the row. */
void importer_field(struct importer *im, const char *v, int last);
/* Appends the line number as a COPY field. */
void importer_field_line(struct importer *im, unsigned long line);
/* Sends the buffered COPY data once it is large; -1 with err. */
int importer_flush(struct importer *im, struct mo_err *err);
/* Sends the rest and ends the COPY; -1 with err. */
int importer_copy_end(struct importer *im, struct mo_err *err);
/* Reports every (line, reason) row of r as FILE:LINE: reason; returns their number. */
long importer_report_rows(struct importer *im, const PGresult *r);
/* Runs q and reports its (line, reason) rows; their number, or -1 with err. */
long importer_report_query(struct importer *im, enum query_id q, struct mo_err *err);
/* The row count of a command (DELETE, INSERT ...); clears r. */
long importer_count_of(PGresult *r);
/* Runs q (no parameters) and returns its row count, or -1 with err. */
long importer_run_count(struct importer *im, enum query_id q, struct mo_err *err);
/*
 * The common first half of an import: checks the file name, opens the file,
 * maps the header, begins the transaction, creates the table and COPYs every
 * row check() accepts (check gets the trimmed fields of t->known, appends the
 * row with importer_field and returns 0, or reports the row and returns -1).
 * Counts st->rows and st->rejected.  Leaves the transaction open for the
 * merge; -1 with err (the caller still calls importer_release).
 */
int importer_load(struct importer *im, const struct importer_table *t,
                  int (*check)(struct importer *im, const struct csvin_row *row, const char **v,
                               void *ctx),
                  void *ctx, struct import_stats *st, struct mo_err *err);
/*
 * The value s quoted for a message (control characters escaped, at most 100
 * bytes shown); borrowed until the next call.
 */
const char *importer_show(struct importer *im, const char *s);
/* Commits the transaction; -1 with err. */
int importer_commit(struct importer *im, struct mo_err *err);

#endif
