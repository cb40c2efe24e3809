/*
 * csvin.c - streaming RFC 4180 CSV reader over libcsv.
 *
 * Owns: reading the input in chunks, the BOM, physical line numbers (libcsv
 * knows none), per-row limits and UTF-8 checks, and turning libcsv's errors
 * into "NAME:LINE: reason".  It does not know what the columns mean (headers,
 * email addresses, consent fields are the importer's business) and never
 * loads a whole file.
 *
 * How lines are tracked: the input is fed to libcsv in segments that end just
 * after the next CR or LF (or at the end of the chunk).  libcsv only ends a
 * record on an unquoted CR or LF, so a record can only complete on the last
 * byte of a segment: after each segment at most one row is ready and we hand
 * it out before parsing further (the queue is one row deep).  A new record
 * starts on the first segment that does not begin with CR or LF after the
 * previous record ended, and every segment lies on one physical line (its
 * only '\n', if any, is its last byte), so the line of that segment is the
 * line the record starts on.
 */
#include "csvin.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <csv.h>

#include "buf.h"
#include "mime.h"
#include "utf8.h"
#include "xalloc.h"

/* Read size.  contrib/fuzz.sh builds with a tiny one, so that short fuzz inputs cross many
 * chunk boundaries. */
#ifndef CSVIN_CHUNK
#define CSVIN_CHUNK (64u * 1024)
#endif

struct csvin {
    char *name;
    FILE *fp;     /* NULL when reading a string */
    char *data;   /* the current chunk, or the whole string */
    size_t len;   /* bytes in data */
    size_t pos;   /* next byte to feed to libcsv */
    int eof;      /* nothing more will be read into data */
    int started;  /* the BOM check has been made */
    int finished; /* csv_fini has been called */
    struct csv_parser parser;

    unsigned long line;     /* physical line of data[pos] */
    int rec_open;           /* a record has begun and not yet ended */
    unsigned long rec_line; /* line the open record began on */
    int row_ready;          /* libcsv ended a record during the last segment */

    /* The record being built: field bytes, each followed by a NUL. */
    struct buf text;
    size_t nseen; /* fields libcsv delivered, including dropped ones */
    size_t offs[CSVIN_FIELDS_MAX];
    char *fieldv[CSVIN_FIELDS_MAX];
    size_t lenv[CSVIN_FIELDS_MAX];
    struct csvin_row row;

    struct mo_err fail; /* sticky: set once the input cannot be read further */
};

/* libcsv grows its field buffer through this; past the cap it gets NULL and
 * stops with CSV_ENOMEM, so a runaway quoted field cannot eat memory. */
static void *csvin_realloc(void *p, size_t n)
{
    if (n > CSVIN_BUFFER_MAX + 1) /* + 1: CSV_APPEND_NULL's terminator */
        return NULL;
    return xrealloc(p, n);
}

static int csvin_no_space(unsigned char ch)
{
    (void)ch;
    return 0; /* RFC 4180: spaces are part of a field */
}

static struct csvin *csvin_new(const char *name)
{
    struct csvin *c = xcalloc(1, sizeof(*c));

    c->name = xstrdup(name);
    c->line = 1;
    /* cannot fail: csv_init only fails for a NULL parser */
    csv_init(&c->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
    csv_set_space_func(&c->parser, csvin_no_space);
    csv_set_realloc_func(&c->parser, csvin_realloc);
    csv_set_blk_size(&c->parser, 4096);
    buf_init(&c->text, CSVIN_FIELDS_MAX * (CSVIN_FIELD_MAX + 1));
    mo_err_init(&c->fail);
    return c;
}

/* Skips a UTF-8 byte order mark at the very start of the input. */
static void csvin_skip_bom(struct csvin *c)
{
    if (c->started)
        return;
    c->started = 1;
    if (c->len - c->pos >= 3 && memcmp(c->data + c->pos, "\xEF\xBB\xBF", 3) == 0)
        c->pos += 3;
}

struct csvin *csvin_open(const char *path, struct mo_err *err)
{
    struct csvin *c = NULL;
    struct stat st;
    FILE *fp;

    fp = fopen(path, "rb");
    if (fp == NULL) {
        mo_err_set(err, MO_E_NOINPUT, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        mo_err_set(err, MO_E_NOINPUT, "cannot read '%s': %s", path, strerror(EISDIR));
        fclose(fp);
        return NULL;
    }
    c = csvin_new(path);
    c->fp = fp;
    c->data = xmalloc(CSVIN_CHUNK);
    return c;
}

struct csvin *csvin_open_string(const char *name, const char *data, size_t len, struct mo_err *err)
{
    struct csvin *c = csvin_new(name);

    (void)err;
    c->data = xmalloc(len ? len : 1);
    if (len)
        memcpy(c->data, data, len);
    c->len = len;
    c->eof = 1;
    csvin_skip_bom(c);
    return c;
}

const char *csvin_name(const struct csvin *c)
{
    return c->name;
}

void csvin_close(struct csvin *c)
{
    if (c == NULL)
        return;
    if (c->fp)
        fclose(c->fp);
    csv_free(&c->parser);
    buf_release(&c->text);
    free(c->data);
    free(c->name);
    free(c);
}

/* Records the file error once and returns -1; later calls repeat it. */
static int csvin_fail(struct csvin *c, struct mo_err *err, enum mo_err_code code, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static int csvin_fail(struct csvin *c, struct mo_err *err, enum mo_err_code code, const char *fmt,
                      ...)
{
    va_list ap;

    c->fail.code = code;
    va_start(ap, fmt);
    vsnprintf(c->fail.msg, sizeof(c->fail.msg), fmt, ap);
    va_end(ap);
    return mo_err_set(err, c->fail.code, "%s", c->fail.msg);
}

/* Sets the row's error unless it already has one (the first cause wins). */
static void csvin_row_error(struct csvin *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void csvin_row_error(struct csvin *c, const char *fmt, ...)
{
    va_list ap;

    if (c->row.error[0])
        return;
    va_start(ap, fmt);
    vsnprintf(c->row.error, sizeof(c->row.error), fmt, ap);
    va_end(ap);
}

static void csvin_row_reset(struct csvin *c)
{
    buf_reset(&c->text);
    c->nseen = 0;
    c->row_ready = 0;
    c->row.n = 0;
    c->row.fields = c->fieldv;
    c->row.lens = c->lenv;
    c->row.line = 0;
    c->row.error[0] = '\0';
}

/* libcsv's field callback: one complete field (NUL-terminated, len bytes). */
static void csvin_on_field(void *s, size_t len, void *data)
{
    struct csvin *c = data;
    const char *f = s ? s : "";
    size_t i = c->nseen++;
    int rc;

    if (i >= CSVIN_FIELDS_MAX) {
        csvin_row_error(c, "more than %d fields", CSVIN_FIELDS_MAX);
        return;
    }
    if (len > CSVIN_FIELD_MAX) {
        csvin_row_error(c, "field %zu longer than %d bytes", i + 1, CSVIN_FIELD_MAX);
        f = "";
        len = 0;
    } else if (memchr(f, '\0', len) != NULL) {
        csvin_row_error(c, "NUL byte in field %zu", i + 1);
    } else if (!utf8_valid(f, len)) {
        csvin_row_error(c, "invalid UTF-8 in field %zu", i + 1);
    }
    c->offs[i] = c->text.len;
    c->lenv[i] = len;
    /* the buffer's max fits CSVIN_FIELDS_MAX fields of CSVIN_FIELD_MAX bytes and their NULs */
    rc = buf_add(&c->text, f, len);
    rc |= buf_add(&c->text, "", 1);
    assert(rc == 0);
    (void)rc;
    c->row.n = i + 1;
}

/* libcsv's row callback: the record is complete. */
static void csvin_on_row(int term, void *data)
{
    struct csvin *c = data;

    (void)term;
    c->row_ready = 1;
    c->rec_open = 0;
    c->row.line = c->rec_line;
}

/*
 * Refills data from the file; 0, or -1 on a read error.  fread only returns a
 * short count at the end of the file, so the first chunk holds the whole BOM
 * if there is one.
 */
static int csvin_fill(struct csvin *c, struct mo_err *err)
{
    size_t n = fread(c->data, 1, CSVIN_CHUNK, c->fp);

    if (n < CSVIN_CHUNK) {
        if (ferror(c->fp))
            return csvin_fail(c, err, MO_E_NOINPUT, "cannot read '%s': %s", c->name,
                              strerror(errno ? errno : EIO));
        c->eof = 1;
    }
    c->len = n;
    c->pos = 0;
    csvin_skip_bom(c);
    return 0;
}

/* Turns a short csv_parse count at data[at] into the file error. */
static int csvin_parse_error(struct csvin *c, size_t at, struct mo_err *err)
{
    int code = csv_error(&c->parser);
    unsigned char ch = (unsigned char)c->data[at];

    if (code == CSV_ENOMEM)
        return csvin_fail(c, err, MO_E_INPUT, "%s:%lu: field longer than %u bytes", c->name,
                          c->rec_line, CSVIN_BUFFER_MAX);
    if (code != CSV_EPARSE)
        return csvin_fail(c, err, MO_E_INPUT, "%s:%lu: %s", c->name, c->line, csv_strerror(code));
    if (ch == '"')
        return csvin_fail(c, err, MO_E_INPUT, "%s:%lu: quote inside an unquoted field", c->name,
                          c->line);
    if (ch >= ' ' && ch < 0x7f)
        return csvin_fail(c, err, MO_E_INPUT, "%s:%lu: unexpected '%c' after a closing quote",
                          c->name, c->line, ch);
    return csvin_fail(c, err, MO_E_INPUT,
                      "%s:%lu: unexpected character 0x%02x after a closing quote", c->name, c->line,
                      ch);
}

/* Feeds libcsv the next segment; 0, or -1 on a syntax error. */
static int csvin_feed(struct csvin *c, struct mo_err *err)
{
    size_t end = c->pos;
    size_t seg, n;

    while (end < c->len && c->data[end] != '\n' && c->data[end] != '\r')
        end++;
    if (end < c->len)
        end++; /* the terminator belongs to the segment */
    seg = end - c->pos;
    if (!c->rec_open && c->data[c->pos] != '\n' && c->data[c->pos] != '\r') {
        c->rec_open = 1;
        c->rec_line = c->line;
    }
    n = csv_parse(&c->parser, c->data + c->pos, seg, csvin_on_field, csvin_on_row, c);
    if (n < seg)
        return csvin_parse_error(c, c->pos + n, err);
    if (c->data[end - 1] == '\n')
        c->line++;
    c->pos = end;
    return 0;
}

int csvin_next(struct csvin *c, const struct csvin_row **row, struct mo_err *err)
{
    *row = NULL;
    if (c->fail.code != MO_E_OK)
        return mo_err_set(err, c->fail.code, "%s", c->fail.msg);
    csvin_row_reset(c);
    while (!c->row_ready) {
        if (c->pos < c->len) {
            if (csvin_feed(c, err) < 0)
                return -1;
            continue;
        }
        if (!c->eof) {
            if (csvin_fill(c, err) < 0)
                return -1;
            continue;
        }
        if (c->finished)
            return 0;
        c->finished = 1;
        if (csv_fini(&c->parser, csvin_on_field, csvin_on_row, c) != 0)
            return csvin_fail(c, err, MO_E_INPUT, "%s:%lu: unterminated quoted field", c->name,
                              c->rec_line);
        if (!c->row_ready)
            return 0;
    }
    for (size_t i = 0; i < c->row.n; i++)
        c->fieldv[i] = c->text.s + c->offs[i];
    *row = &c->row;
    return 1;
}
