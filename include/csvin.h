/*
 * csvin.h - streaming RFC 4180 CSV reader (over libcsv).
 *
 * Reads a file in 64 KiB chunks and hands out one record at a time, with the
 * physical line it starts on, so every error can name FILE:LINE.
 *
 * The dialect is strict RFC 4180: comma-separated, '"' quoting with "" for a
 * quote inside a quoted field, CR/LF/CRLF allowed inside quotes, records ended
 * by LF or CRLF (a lone CR also ends a record but does not count as a line).
 * Spaces are data: " a " is the three-byte field " a ", and a space between a
 * closing quote and the next comma is a syntax error.  A UTF-8 BOM at the very
 * start is skipped; empty lines are skipped and never returned as rows.
 *
 * Two kinds of error:
 *  - row errors (row->error non-empty): the record was parsed but is unusable
 *    (invalid UTF-8, a NUL byte, a field over CSVIN_FIELD_MAX bytes, more than
 *    CSVIN_FIELDS_MAX fields).  The row is still returned; report its line and
 *    go on with the next one.
 *  - file errors (csvin_next returns -1): a syntax error, an unterminated quote,
 *    a field so long that it is not worth buffering (over CSVIN_BUFFER_MAX), or
 *    a read error.  Nothing more can be read; further calls return -1 again.
 */
#ifndef MAILOUT_CSVIN_H
#define MAILOUT_CSVIN_H

#include <stddef.h>

#include "err.h"

/* Longest field a usable row may have, in bytes. */
#define CSVIN_FIELD_MAX 65536
/* Most fields a usable row may have. */
#define CSVIN_FIELDS_MAX 256
/* Longest field buffered at all; past it the file cannot be read further. */
#define CSVIN_BUFFER_MAX (1024u * 1024)

struct csvin;

struct csvin_row {
    size_t n;           /* number of fields (at most CSVIN_FIELDS_MAX) */
    char **fields;      /* NUL-terminated fields (borrowed, valid until the next csvin_next or
                           csvin_close); UTF-8 unless error is set */
    size_t *lens;       /* byte lengths of fields */
    unsigned long line; /* 1-based physical line the record starts on */
    char error[200];    /* non-empty when this row is unusable but the file can go on, e.g.
                           "invalid UTF-8 in field 3"; fields past the limits are then empty or
                           missing */
};

/*
 * Opens path for streaming.  Returns a reader (caller frees with csvin_close),
 * or NULL with err MO_E_NOINPUT "cannot read 'PATH': reason" when the file is
 * missing, unreadable or a directory.  path is also the name used in messages.
 */
struct csvin *csvin_open(const char *path, struct mo_err *err);

/*
 * Same over len bytes of data (copied; need not be NUL-terminated), named name
 * in messages.  Never fails; err is unused but kept for symmetry.
 */
struct csvin *csvin_open_string(const char *name, const char *data, size_t len, struct mo_err *err);

/*
 * Reads the next record.  Returns 1 with *row pointing at it (borrowed, valid
 * until the next csvin_next or csvin_close), 0 at the end of the input, or -1
 * when the input cannot be read further: err is then MO_E_INPUT
 * "NAME:LINE: reason" (e.g. "contacts.csv:7: unterminated quoted field") or,
 * for an I/O error, MO_E_NOINPUT "cannot read 'NAME': reason".
 */
int csvin_next(struct csvin *c, const struct csvin_row **row, struct mo_err *err);

/* The name given at open (borrowed, valid until csvin_close). */
const char *csvin_name(const struct csvin *c);

/* Closes the file and frees everything, including the last row; NULL is a no-op. */
void csvin_close(struct csvin *c);

#endif
