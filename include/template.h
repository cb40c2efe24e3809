/*
 * template.h - storing message templates (table templates).
 *
 * template_add is a use case: it checks the template, stores it and writes
 * its audit entry in one transaction (call it outside one).  Rendering is
 * tmpl.c's; the standard footer and the List-* checks are dispatch's.
 */
#ifndef MAILOUT_TEMPLATE_H
#define MAILOUT_TEMPLATE_H

#include <stddef.h>

#include "db.h"
#include "err.h"

#define TEMPLATE_BODY_MAX    (1024 * 1024) /* bytes of one body part */
#define TEMPLATE_SUBJECT_MAX 500           /* characters of the subject */

/* A template to add; every pointer borrowed for the call. */
struct template_def {
    const char *name;
    const char *subject;
    const char *text;      /* the text/plain part, NUL-terminated */
    size_t text_len;       /* its length in bytes */
    const char *text_file; /* where it came from, for messages */
    const char *html;      /* the text/html part, or NULL */
    size_t html_len;
    const char *html_file;
};

/* 1 when name is a valid template name ([a-z0-9][a-z0-9_.-]{0,62}), else 0. */
int template_name_valid(const char *name);

/*
 * Checks a template without touching the database: the name, the subject
 * (1-500 characters of UTF-8, no control characters, CR and LF included)
 * and each part (UTF-8 without NUL, at most TEMPLATE_BODY_MAX bytes, the
 * text part not empty), and that subject and parts parse as templates
 * (tmpl.h).  MO_E_INPUT with one line naming the part and the position,
 * e.g. "template text part 'news.txt': 3:14: unclosed section 'attr.vip'".
 */
int template_check(const struct template_def *t, struct mo_err *err);

/*
 * Checks t and stores it as a marketing template with its audit entry
 * (template.add, object "template:NAME", detail id, kind and each part's
 * size and SHA-256, never the bodies) in one transaction; *id gets its id.
 * MO_E_INPUT for a bad template, MO_E_CONFLICT "template 'x' already
 * exists": nothing is written.
 */
int template_add(struct db *db, const struct template_def *t, const char *actor, long long *id,
                 struct mo_err *err);

#endif
