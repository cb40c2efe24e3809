/*
 * http_form.c - the form body parser of http_form.h.
 *
 * Owns: reading Content-Type for a form encoding and its boundary,
 * urlencoded and multipart/form-data syntax, the limits on fields, and
 * refusing NUL bytes and non-UTF-8 names and values.  Does not own: which
 * fields a route reads or what their values mean (the routes), reading the
 * body off the connection and its framing (http.c), or file uploads (a
 * part's filename is ignored; its content is just a value).
 * Works on a whole body in memory (it is at most HTTP_FORM_BODY_MAX bytes),
 * so every step is a bounded scan with no state between calls.
 */
#include "http_form.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "utf8.h"
#include "xalloc.h"

static const char urlencoded_type[] = "application/x-www-form-urlencoded";
static const char multipart_type[] = "multipart/form-data";

static int form_is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* RFC 2046 bchars: what a boundary may hold (a space, but not at its end). */
static int form_is_bchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

/* RFC 9110 token characters (parameter names, unquoted values). */
static int form_is_tchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Whether s (n bytes) starts with the media type type, case-insensitive,
 * followed by its end, spaces or ';'.  Returns the length matched or 0.
 */
static size_t form_media_type(const char *s, const char *type)
{
    size_t tl = strlen(type);

    if (strncasecmp(s, type, tl) != 0)
        return 0;
    if (s[tl] != '\0' && s[tl] != ';' && !form_is_space(s[tl]))
        return 0;
    return tl;
}

/*
 * Reads the parameters after a media type, "; a=b; c="d"", and copies the
 * one called want (its value unquoted) into out (max bytes + NUL).
 * Returns 1 found, 0 not found, -1 malformed or too long.
 */
static int form_param(const char *p, const char *want, char *out, size_t max)
{
    int found = 0;

    for (;;) {
        const char *name, *val;
        size_t nlen, vlen;
        int quoted = 0;

        while (form_is_space(*p))
            p++;
        if (*p == '\0')
            return found;
        if (*p++ != ';')
            return -1;
        while (form_is_space(*p))
            p++;
        if (*p == '\0')
            return found; /* a trailing ';' */
        for (name = p; form_is_tchar(*p); p++)
            ;
        nlen = (size_t)(p - name);
        if (nlen == 0 || *p++ != '=')
            return -1;
        if (*p == '"') {
            quoted = 1;
            for (val = ++p; *p && *p != '"' && *p != '\\'; p++)
                ;
            if (*p != '"')
                return -1; /* unterminated, or an escape (no boundary needs one) */
            vlen = (size_t)(p - val);
            p++;
        } else {
            for (val = p; form_is_tchar(*p); p++)
                ;
            vlen = (size_t)(p - val);
        }
        if (strlen(want) == nlen && strncasecmp(name, want, nlen) == 0 && !found) {
            if (vlen > max || (vlen == 0 && !quoted))
                return -1;
            memcpy(out, val, vlen);
            out[vlen] = '\0';
            found = 1;
        }
    }
}

/* The boundary of a multipart/form-data Content-Type into out; 0, or -1 if none usable. */
static int form_boundary(const char *ct, char out[HTTP_FORM_BOUNDARY_MAX + 1])
{
    size_t n;

    while (form_is_space(*ct))
        ct++;
    n = form_media_type(ct, multipart_type);
    if (n == 0 || form_param(ct + n, "boundary", out, HTTP_FORM_BOUNDARY_MAX) != 1)
        return -1;
    n = strlen(out);
    if (n == 0 || out[n - 1] == ' ')
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!form_is_bchar(out[i]))
            return -1;
    return 0;
}

enum http_form_kind http_form_kind(const char *content_type)
{
    char boundary[HTTP_FORM_BOUNDARY_MAX + 1];
    const char *ct = content_type;
    size_t n;

    if (ct == NULL)
        return HTTP_FORM_UNSUPPORTED;
    while (form_is_space(*ct))
        ct++;
    n = form_media_type(ct, urlencoded_type);
    if (n > 0) {
        char charset[64];
        return form_param(ct + n, "charset", charset, sizeof(charset) - 1) < 0
                   ? HTTP_FORM_UNSUPPORTED
                   : HTTP_FORM_URLENCODED;
    }
    return form_boundary(ct, boundary) == 0 ? HTTP_FORM_MULTIPART : HTTP_FORM_UNSUPPORTED;
}

void http_form_init(struct http_form *f)
{
    f->fields = NULL;
    f->n = 0;
}

void http_form_release(struct http_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->fields[i].name);
        free(f->fields[i].value);
    }
    free(f->fields);
    http_form_init(f);
}

const char *http_form_get(const struct http_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return f->fields[i].value;
    return NULL;
}

static char *form_copy(const char *s, size_t n)
{
    char *c = xmalloc(n + 1);

    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* Appends one decoded field after the checks every field gets; 0 or -1 with err. */
static int form_add(struct http_form *f, const char *name, size_t nlen, const char *value,
                    size_t vlen, struct mo_err *err)
{
    if (f->n == HTTP_FORM_FIELDS_MAX)
        return mo_err_set(err, MO_E_INPUT, "form: more than %d fields", HTTP_FORM_FIELDS_MAX);
    if (nlen > HTTP_FORM_NAME_MAX)
        return mo_err_set(err, MO_E_INPUT, "form: field name longer than %d bytes",
                          HTTP_FORM_NAME_MAX);
    if (vlen > HTTP_FORM_VALUE_MAX)
        return mo_err_set(err, MO_E_INPUT, "form: field value longer than %d bytes",
                          HTTP_FORM_VALUE_MAX);
    if (memchr(name, '\0', nlen) || memchr(value, '\0', vlen))
        return mo_err_set(err, MO_E_INPUT, "form: NUL byte in a field");
    if (!utf8_valid(name, nlen) || !utf8_valid(value, vlen))
        return mo_err_set(err, MO_E_INPUT, "form: field not valid UTF-8");
    if (f->fields == NULL)
        f->fields = xcalloc(HTTP_FORM_FIELDS_MAX, sizeof(*f->fields));
    f->fields[f->n].name = form_copy(name, nlen);
    f->fields[f->n].value = form_copy(value, vlen);
    f->n++;
    return 0;
}

/* The value of a hex digit, either case; -1 for anything else. */
static int form_hex(char c)
{
    static const char digits[] = "0123456789abcdef";
    const char *d = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

    return d ? (int)(d - digits) : -1;
}

/*
 * Decodes n bytes of urlencoded s into out (room for max + 1 bytes): "+" is
 * a space, %XX a byte.  Returns the decoded length, -1 for a bad escape, or
 * max + 1 when the result would be longer than max (decoding stops there).
 */
static long form_unescape(const char *s, size_t n, char *out, size_t max)
{
    size_t o = 0;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (o == max)
            return (long)max + 1;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi, lo;
            if (i + 2 >= n)
                return -1; /* cut short */
            hi = form_hex(s[i + 1]);
            lo = form_hex(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        out[o++] = c;
    }
    return (long)o;
}

static int form_parse_urlencoded(const char *body, size_t len, struct http_form *f,
                                 struct mo_err *err)
{
    char name[HTTP_FORM_NAME_MAX + 1], value[HTTP_FORM_VALUE_MAX + 1];
    size_t i = 0;

    while (i < len) {
        const char *pair = body + i, *amp = memchr(pair, '&', len - i);
        size_t plen = amp ? (size_t)(amp - pair) : len - i;
        const char *eq = memchr(pair, '=', plen);
        size_t klen = eq ? (size_t)(eq - pair) : plen;
        long nl, vl;

        i += plen + 1;
        if (plen == 0)
            continue;
        nl = form_unescape(pair, klen, name, HTTP_FORM_NAME_MAX);
        vl = eq ? form_unescape(eq + 1, plen - klen - 1, value, HTTP_FORM_VALUE_MAX) : 0;
        if (nl < 0 || vl < 0)
            return mo_err_set(err, MO_E_INPUT, "form: invalid percent escape");
        if (form_add(f, name, (size_t)nl, value, (size_t)vl, err) < 0)
            return -1;
    }
    return 0;
}

/* The first occurrence of needle (nn bytes) in hay (hn bytes), or NULL. */
static const char *form_find(const char *hay, size_t hn, const char *needle, size_t nn)
{
    if (nn == 0 || hn < nn)
        return NULL;
    for (size_t i = 0; i + nn <= hn; i++) {
        const char *p = memchr(hay + i, needle[0], hn - nn + 1 - i);
        if (p == NULL)
            return NULL;
        i = (size_t)(p - hay);
        if (memcmp(p, needle, nn) == 0)
            return p;
    }
    return NULL;
}

/*
 * The name parameter of a Content-Disposition value (n bytes): "form-data;
 * name="x"; filename="y"".  Sets *name and *nlen (borrowed from v); 0, or -1
 * when it is not form-data or has no name.
 */
static int form_disposition_name(const char *v, size_t n, const char **name, size_t *nlen)
{
    const char *end = v + n;
    size_t tl = strlen("form-data");

    while (v < end && form_is_space(*v))
        v++;
    if ((size_t)(end - v) < tl || strncasecmp(v, "form-data", tl) != 0)
        return -1;
    v += tl;
    while (v < end) {
        const char *pn, *pv;
        size_t pnl, pvl;

        while (v < end && form_is_space(*v))
            v++;
        if (v == end)
            break;
        if (*v++ != ';')
            return -1;
        while (v < end && form_is_space(*v))
            v++;
        for (pn = v; v < end && form_is_tchar(*v); v++)
            ;
        pnl = (size_t)(v - pn);
        if (pnl == 0 || v == end || *v++ != '=')
            return -1;
        if (v < end && *v == '"') {
            /* browsers send '"' in a name as %22: no escapes to undo */
            for (pv = ++v; v < end && *v != '"'; v++)
                ;
            if (v == end)
                return -1;
            pvl = (size_t)(v - pv);
            v++;
        } else {
            for (pv = v; v < end && *v != ';' && !form_is_space(*v); v++)
                ;
            pvl = (size_t)(v - pv);
        }
        if (pnl == 4 && strncasecmp(pn, "name", 4) == 0 && *name == NULL) {
            *name = pv;
            *nlen = pvl;
        }
    }
    return *name ? 0 : -1;
}

static int form_parse_multipart(const char *ct, const char *body, size_t len, struct http_form *f,
                                struct mo_err *err)
{
    char boundary[HTTP_FORM_BOUNDARY_MAX + 1];
    char delim[HTTP_FORM_BOUNDARY_MAX + 5]; /* CRLF "--" boundary */
    const char *p, *end = body + len;
    size_t dl;

    if (form_boundary(ct, boundary) < 0)
        return mo_err_set(err, MO_E_INPUT, "form: unsupported content type");
    dl = (size_t)(strlen(boundary) + 4);
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, boundary, dl - 4);
    /* the first delimiter opens the body or follows a preamble's CRLF */
    if (len >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0)
        p = body + dl - 2;
    else if ((p = form_find(body, len, delim, dl)) != NULL)
        p += dl;
    else
        return mo_err_set(err, MO_E_INPUT, "form: multipart body without its boundary");

    for (;;) {
        const char *name = NULL, *hend, *next;
        size_t nlen = 0;

        /* after a delimiter: "--" closes the body, else padding and CRLF open a part */
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return 0;
        while (p < end && form_is_space(*p))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return mo_err_set(err, MO_E_INPUT, "form: malformed multipart delimiter");
        p += 2;
        /* the part's header lines, up to an empty line */
        for (;;) {
            const char *line = p, *colon;
            hend = form_find(p, (size_t)(end - p), "\r\n", 2);
            if (hend == NULL)
                return mo_err_set(err, MO_E_INPUT, "form: multipart body cut off");
            p = hend + 2;
            if (hend == line)
                break;
            colon = memchr(line, ':', (size_t)(hend - line));
            if (colon == NULL)
                return mo_err_set(err, MO_E_INPUT, "form: malformed multipart header");
            if ((size_t)(colon - line) == strlen("Content-Disposition") &&
                strncasecmp(line, "Content-Disposition", (size_t)(colon - line)) == 0 &&
                name == NULL &&
                form_disposition_name(colon + 1, (size_t)(hend - colon - 1), &name, &nlen) < 0)
                return mo_err_set(err, MO_E_INPUT, "form: multipart part without a form-data name");
        }
        if (name == NULL)
            return mo_err_set(err, MO_E_INPUT, "form: multipart part without a form-data name");
        next = form_find(p, (size_t)(end - p), delim, dl);
        if (next == NULL)
            return mo_err_set(err, MO_E_INPUT, "form: multipart body cut off");
        if (form_add(f, name, nlen, p, (size_t)(next - p), err) < 0)
            return -1;
        p = next + dl;
    }
}

int http_form_parse(const char *content_type, const char *body, size_t len, struct http_form *f,
                    struct mo_err *err)
{
    int rc;

    if (len > HTTP_FORM_BODY_MAX)
        return mo_err_set(err, MO_E_INPUT, "form: body larger than %d bytes", HTTP_FORM_BODY_MAX);
    if (len > 0 && memchr(body, '\0', len))
        return mo_err_set(err, MO_E_INPUT, "form: NUL byte in the body");
    switch (http_form_kind(content_type)) {
    case HTTP_FORM_URLENCODED:
        rc = form_parse_urlencoded(body, len, f, err);
        break;
    case HTTP_FORM_MULTIPART:
        rc = form_parse_multipart(content_type, body, len, f, err);
        break;
    case HTTP_FORM_UNSUPPORTED:
    default:
        return mo_err_set(err, MO_E_INPUT, "form: unsupported content type");
    }
    if (rc < 0)
        http_form_release(f);
    return rc;
}

/* --- RFC 8058 one-click, read leniently ----------------------------------- */

static const char oneclick_name[] = "List-Unsubscribe";
static const char oneclick_value[] = "One-Click";

/* Whether the n bytes at s are lit, ASCII case-insensitive. */
static int form_ieq(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && strncasecmp(s, lit, n) == 0;
}

static int form_is_white(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* s without spaces, tabs, CRs and LFs at either end: the new start, *n its length. */
static const char *form_trim(const char *s, size_t *n)
{
    while (*n && form_is_white(*s)) {
        s++;
        (*n)--;
    }
    while (*n && form_is_white(s[*n - 1]))
        (*n)--;
    return s;
}

/*
 * The next line of s (len bytes) from *pos: *line and *n (without its LF or
 * CRLF); *pos moves past it.  0 when *pos is at the end.
 */
static int form_line(const char *s, size_t len, size_t *pos, const char **line, size_t *n)
{
    const char *lf;

    if (*pos >= len)
        return 0;
    *line = s + *pos;
    lf = memchr(*line, '\n', len - *pos);
    *n = lf ? (size_t)(lf - *line) : len - *pos;
    *pos += *n + (lf ? 1 : 0);
    if (*n && (*line)[*n - 1] == '\r')
        (*n)--;
    return 1;
}

/* Whether f is exactly the one pair. */
static int oneclick_fields(const struct http_form *f)
{
    return f->n == 1 && form_ieq(f->fields[0].name, strlen(f->fields[0].name), oneclick_name) &&
           form_ieq(f->fields[0].value, strlen(f->fields[0].value), oneclick_value);
}

static int oneclick_urlencoded(const char *body, size_t len)
{
    struct http_form f;
    struct mo_err err;
    int yes;

    body = form_trim(body, &len);
    http_form_init(&f);
    mo_err_init(&err);
    yes = form_parse_urlencoded(body, len, &f, &err) == 0 && oneclick_fields(&f);
    http_form_release(&f);
    return yes;
}

static int oneclick_multipart(const char *ct, const char *body, size_t len)
{
    char boundary[HTTP_FORM_BOUNDARY_MAX + 1];
    const char *delim, *line, *name = NULL, *value;
    size_t dn, n, bl, nlen = 0, vlen, pos = 0;
    int ok;

    /* the first line is the delimiter */
    if (!form_line(body, len, &pos, &delim, &dn))
        return 0;
    while (dn && form_is_space(delim[dn - 1]))
        dn--; /* transport padding */
    if (form_boundary(ct, boundary) == 0) {
        bl = strlen(boundary);
        ok = (dn == bl + 2 && delim[0] == '-' && delim[1] == '-' &&
              memcmp(delim + 2, boundary, bl) == 0) ||
             (dn == bl && memcmp(delim, boundary, bl) == 0);
    } else {
        ok = dn > 2 && delim[0] == '-' && delim[1] == '-';
    }
    if (!ok)
        return 0;
    /* the part's header lines, up to an empty line */
    for (;;) {
        const char *colon;
        if (!form_line(body, len, &pos, &line, &n))
            return 0;
        if (n == 0)
            break;
        colon = memchr(line, ':', n);
        if (colon && form_ieq(line, (size_t)(colon - line), "Content-Disposition") &&
            (name != NULL ||
             form_disposition_name(colon + 1, n - (size_t)(colon - line) - 1, &name, &nlen) < 0))
            return 0;
    }
    if (name == NULL || !form_ieq(name, nlen, oneclick_name))
        return 0;
    /* the content: up to the closing delimiter, or the end when that is missing */
    value = body + pos;
    vlen = len - pos;
    while (form_line(body, len, &pos, &line, &n)) {
        if (n < dn || memcmp(line, delim, dn) != 0)
            continue;
        vlen = (size_t)(line - value);
        line += dn;
        n -= dn;
        while (n && form_is_space(line[n - 1]))
            n--;
        if (n != 2 || line[0] != '-' || line[1] != '-')
            return 0; /* another part: more than the one pair */
        break;        /* what follows the closing delimiter is an epilogue */
    }
    value = form_trim(value, &vlen);
    return form_ieq(value, vlen, oneclick_value);
}

int http_form_oneclick(const char *content_type, const char *body, size_t len)
{
    const char *ct = content_type ? content_type : "";

    if (len > HTTP_FORM_BODY_MAX || (len > 0 && memchr(body, '\0', len)))
        return 0;
    while (form_is_space(*ct))
        ct++;
    if (form_media_type(ct, multipart_type)) {
        struct http_form f;
        struct mo_err err;
        int yes;
        if (oneclick_multipart(ct, body, len))
            return 1;
        /* a well-formed body the lenient reading does not take, e.g. with a preamble */
        http_form_init(&f);
        mo_err_init(&err);
        yes = form_parse_multipart(ct, body, len, &f, &err) == 0 && oneclick_fields(&f);
        http_form_release(&f);
        return yes;
    }
    if (*ct == '\0' || form_media_type(ct, urlencoded_type))
        return oneclick_urlencoded(body, len);
    return 0;
}
