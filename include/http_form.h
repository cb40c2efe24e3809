/*
 * http_form.h - HTML form bodies: application/x-www-form-urlencoded and
 * multipart/form-data (RFC 7578), parsed from a whole body in memory.
 *
 * Every limit is an input error, never a cut: at most HTTP_FORM_BODY_MAX
 * bytes of body, HTTP_FORM_FIELDS_MAX fields, names of HTTP_FORM_NAME_MAX
 * and values of HTTP_FORM_VALUE_MAX bytes after decoding.  A NUL byte (raw
 * or %00) anywhere, or a name or value that is not UTF-8, refuses the whole
 * form: a NUL would cut a C string short and hide what follows.
 * Nothing here knows which fields a route wants.
 */
#ifndef MAILOUT_HTTP_FORM_H
#define MAILOUT_HTTP_FORM_H

#include <stddef.h>

#include "err.h"

#define HTTP_FORM_BODY_MAX     (16 * 1024)
#define HTTP_FORM_FIELDS_MAX   64
#define HTTP_FORM_NAME_MAX     128
#define HTTP_FORM_VALUE_MAX    1024
#define HTTP_FORM_BOUNDARY_MAX 70 /* RFC 2046 */

enum http_form_kind {
    HTTP_FORM_UNSUPPORTED = 0, /* no form, or one we do not read (JSON, text/plain, ...) */
    HTTP_FORM_URLENCODED,
    HTTP_FORM_MULTIPART,
};

struct http_form_field {
    char *name;  /* NUL-terminated UTF-8, no NUL inside */
    char *value; /* same */
};

/* The fields of a form in body order; repeated names stay repeated. */
struct http_form {
    struct http_form_field *fields;
    size_t n;
};

/*
 * What content_type (a Content-Type header value, NULL for none) names:
 * HTTP_FORM_URLENCODED, HTTP_FORM_MULTIPART (only with a usable boundary
 * parameter: 1-70 characters, quoted or not), else HTTP_FORM_UNSUPPORTED.
 * Media types and parameter names are case-insensitive.
 */
enum http_form_kind http_form_kind(const char *content_type);

/* An empty form. */
void http_form_init(struct http_form *f);
/* Frees the fields; the form is then empty again. */
void http_form_release(struct http_form *f);

/*
 * Parses body (len bytes, need not be NUL-terminated) sent with
 * content_type into f, which must be empty.  In urlencoded bodies "+" is a
 * space and %XX a byte; empty pairs ("a=1&&b=2") are skipped and a pair
 * without "=" is a name with an empty value.  In multipart bodies each part
 * needs Content-Disposition: form-data with a name; its content is the
 * value, verbatim (a filename is allowed and ignored); the body must end
 * with the closing delimiter.
 * Returns 0, or -1 with err MO_E_INPUT ("form: what", e.g. "form: field
 * value longer than 1024 bytes") and f empty.
 */
int http_form_parse(const char *content_type, const char *body, size_t len, struct http_form *f,
                    struct mo_err *err);

/* The value of the first field called name, borrowed from f; NULL if none. */
const char *http_form_get(const struct http_form *f, const char *name);

/*
 * Whether body (len bytes, need not be NUL-terminated) sent with
 * content_type (NULL for none) is the RFC 8058 one-click request, read
 * leniently as mail systems send it: 1 yes, 0 no.  Never fails.
 * - application/x-www-form-urlencoded, or no Content-Type: the body, less
 *   spaces, tabs, CRs and LFs around it, is the single pair
 *   List-Unsubscribe=One-Click (names and values case-insensitive, percent
 *   escapes decoded, empty pairs skipped).
 * - multipart/form-data: one part, Content-Disposition: form-data;
 *   name="List-Unsubscribe", whose content less surrounding white space is
 *   One-Click.  The delimiter is the body's first line, "--" boundary as
 *   RFC 2046 says or the boundary parameter itself as RFC 8058 section 8.3
 *   prints it (no usable parameter: any first line starting with "--");
 *   lines may end in LF or CRLF, and the closing delimiter may be missing.
 * Any other field or part, another type, a NUL byte or more than
 * HTTP_FORM_BODY_MAX bytes is no.
 */
int http_form_oneclick(const char *content_type, const char *body, size_t len);

#endif
