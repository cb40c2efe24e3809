/*
 * template.h - storing message templates (table templates).
 *
 * template_add is a use case: it checks the template, appends the standard
 * footer where a part lacks {{unsubscribe_url}} or {{postal_address}},
 * stores it and writes its audit entry in one transaction (call it outside
 * one).  Rendering is tmpl.c's; what a message carries besides its template
 * (list headers, the footer fallback at render, the advertisement label) is
 * campaign_mail.c's.  A template cannot set a header: the subject is one
 * line (no CR or LF) and parts are bodies only.
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
    const char *locale;   /* "en" or "de" (the footer's language); NULL: "en" */
    const char *data_dir; /* where templates/LANG/footer.txt and footer.html are read */
};

/* What a part lacks; the standard footer is appended to it (template_add). */
#define TEMPLATE_LACKS_UNSUBSCRIBE 1 /* no {{unsubscribe_url}} */
#define TEMPLATE_LACKS_POSTAL      2 /* no {{postal_address}} */

struct template_added {
    long long id;
    unsigned text_lacks; /* TEMPLATE_LACKS_* of the text part: 0, or the footer was appended */
    unsigned html_lacks; /* the same for the HTML part */
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
 * A subject that starts like a reply or forward (Re:, Fwd:, Fw:, AW:, WG:,
 * any case, spaces allowed before the colon; R-MBP-7) and a locale other
 * than en or de are MO_E_INPUT too.
 */
int template_check(const struct template_def *t, struct mo_err *err);

/*
 * What the part body (checked, NUL-terminated) lacks of the way out:
 * TEMPLATE_LACKS_* bits for {{unsubscribe_url}} and {{postal_address}} used
 * as variables anywhere (a section may still hide them at render; then
 * campaign_mail.c appends the footer).  -1 on a syntax error.
 */
int template_part_lacks(const char *body, struct mo_err *err);

/*
 * Checks t, appends the standard footer of its locale to each part that
 * lacks the unsubscribe link or the postal address, and stores it as a
 * marketing template with its audit entry (template.add, object
 * "template:NAME", detail id, kind, locale, each stored part's size and
 * SHA-256 and the parts that got the footer, never the bodies) in one
 * transaction; res gets its id and what each part lacked.  MO_E_INPUT for
 * a bad template, MO_E_NOINPUT for a missing footer file, MO_E_CONFLICT
 * "template 'x' already exists": nothing is written.
 */
int template_add(struct db *db, const struct template_def *t, const char *actor,
                 struct template_added *res, struct mo_err *err);

#endif
