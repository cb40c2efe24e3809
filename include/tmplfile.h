/*
 * tmplfile.h - finds and reads template files under data_dir/templates.
 */
#ifndef MAILOUT_TMPLFILE_H
#define MAILOUT_TMPLFILE_H

#include "err.h"

#define TMPLFILE_MAX (256 * 1024)

/*
 * Reads data_dir/templates/LOCALE/NAME, falling back to the en directory.
 * Only the language part of locale is used ("de-AT" -> "de").  Caller frees.
 * A missing file is NULL with err (MO_E_NOINPUT) unless optional, when it is
 * NULL with err untouched.
 */
char *tmplfile_load(const char *data_dir, const char *locale, const char *name, int optional,
                    struct mo_err *err);
/*
 * Splits a template that starts with a "Name: value" line and a blank line
 * (a mail's "Subject:", a page's "Title:") into the value and the rest, in
 * place.  -1 with err (MO_E_INPUT) naming what is missing.
 */
int tmplfile_split_header(char *s, const char *name, const char *what, char **value, char **body,
                          struct mo_err *err);

/* Writes the language part of locale ("de-AT" -> "de") into out; "en" if invalid. */
void tmplfile_lang(const char *locale, char out[8]);

#endif
