/*
 * fileio.h - the one place that reads whole files: templates, consent
 * texts, migrations, configuration, and secret files (keys, passwords).
 *
 * Every read has a maximum; a larger file is an input error, never memory
 * exhaustion.  Secret files must not be readable by group or others.
 */
#ifndef MAILOUT_FILEIO_H
#define MAILOUT_FILEIO_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

/*
 * Reads the whole file at path ("-": standard input) into out, which is
 * initialised here with max as its cap (caller releases it, also on error).
 * A missing or unreadable file is MO_E_NOINPUT "cannot read WHAT 'PATH':
 * reason"; a file over max bytes is MO_E_INPUT.  what names the file for
 * the user ("template", "consent text"); NULL means "file".
 */
int fileio_read(const char *path, size_t max, const char *what, struct buf *out,
                struct mo_err *err);

/*
 * Reads the first line of a secret file (newline stripped) into out
 * (n bytes).  key names the configuration key for messages.  Refuses a file
 * that is readable or writable by group or others (MO_E_INPUT "'PATH' is
 * readable by group or others: chmod 600 it (key KEY)"), a missing file
 * (MO_E_NOINPUT), and a line longer than n - 1 (MO_E_INPUT).  The copy
 * read is wiped before returning.
 */
int fileio_read_secret(const char *path, const char *key, char *out, size_t n, struct mo_err *err);

/*
 * Reads a whole secret file (a PEM private key) into out, initialised here
 * with max as its cap (caller wipes and releases it, also on error), with
 * the checks of fileio_read_secret(): a regular file, not readable or
 * writable by group or others, MO_E_NOINPUT when missing, MO_E_INPUT when
 * larger than max; messages name the key.
 */
int fileio_read_secret_file(const char *path, const char *key, size_t max, struct buf *out,
                            struct mo_err *err);

/* 1 when path names an existing file (or anything else that exists), else 0. */
int fileio_exists(const char *path);

#endif
