/*
 * mime.c - header encoding (RFC 2047), quoted-printable bodies (RFC 2045),
 * multipart/alternative assembly, base64 attachments in multipart/mixed.  It does not render
 * templates or sign.
 */
#include "mime.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sys/random.h>

#include <uuid/uuid.h>

#include "utf8.h"

#define MIME_LINE 76

void mime_init(struct mime_msg *m)
{
    buf_init(&m->head, 256 * 1024);
}

void mime_release(struct mime_msg *m)
{
    buf_release(&m->head);
}

static int is_ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
            return 0;
    return 1;
}

static int check_value(const char *name, const char *v, struct mo_err *err)
{
    if (strpbrk(v, "\r\n"))
        return mo_err_set(err, MO_E_INPUT, "header %s may not contain a line break", name);
    if (!utf8_valid(v, strlen(v)))
        return mo_err_set(err, MO_E_INPUT, "header %s is not valid UTF-8", name);
    return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const unsigned char *in, size_t n, struct buf *out)
{
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63]};
        buf_add(out, q, 4);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], '=', '='};
        buf_add(out, q, 4);
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], '='};
        buf_add(out, q, 4);
    }
}

/*
 * Appends v as encoded words, each at most 75 characters, split only at
 * UTF-8 character boundaries, separated by CRLF SP (folding).
 */
static void encode_words(struct buf *out, size_t col, const char *v)
{
    const unsigned char *p = (const unsigned char *)v;
    size_t n = strlen(v), i = 0;
    int first = 1;

    while (i < n) {
        /* a line holds at most 76 characters; "=?UTF-8?B?" + "?=" take 12 */
        size_t room = 76 - (first ? (col < 40 ? col : 40) : 1) - 12;
        size_t maxbytes = room / 4 * 3;
        size_t take = 0;
        while (i + take < n) {
            size_t clen = 1;
            unsigned c = p[i + take];
            if (c >= 0xF0)
                clen = 4;
            else if (c >= 0xE0)
                clen = 3;
            else if (c >= 0xC0)
                clen = 2;
            if (take + clen > maxbytes)
                break;
            take += clen;
        }
        if (!first)
            buf_puts(out, "\r\n ");
        buf_puts(out, "=?UTF-8?B?");
        b64_encode(p + i, take, out);
        buf_puts(out, "?=");
        i += take;
        first = 0;
    }
}

/*
 * Appends ASCII text (starting at column col) folded at spaces so lines stay
 * under 78 characters where its words allow; out NULL only measures.
 * Returns the length of the longest line.
 */
static size_t fold_ascii(struct buf *out, size_t col, const char *v)
{
    const char *p = v;
    size_t longest = col;
    while (*p) {
        size_t wl = strcspn(p + 1, " ") + 1; /* word with its leading space */
        if (col + wl > 76 && *p == ' ' && col > 1) {
            if (out)
                buf_puts(out, "\r\n");
            col = 0;
        }
        if (out)
            buf_add(out, p, wl);
        col += wl;
        p += wl;
        if (col > longest)
            longest = col;
    }
    return longest;
}

/*
 * 1 when the value can go into the header as it is: printable ASCII, nothing
 * that looks like an encoded word, and no word too long to fold into a line of
 * MIME_LINE + 2 characters.  Otherwise it becomes encoded words, which fold
 * anywhere, so no line ever passes RFC 5322's limit of 998.
 */
static int plain_ok(size_t col, const char *v)
{
    return is_ascii_printable(v) && strstr(v, "=?") == NULL && fold_ascii(NULL, col, v) <= 78;
}

static int valid_name(const char *name)
{
    if (*name == '\0')
        return 0;
    for (const char *p = name; *p; p++)
        if (*p <= 32 || *p >= 127 || *p == ':')
            return 0;
    return 1;
}

int mime_header_text(struct mime_msg *m, const char *name, const char *value, struct mo_err *err)
{
    if (!valid_name(name))
        return mo_err_set(err, MO_E_INTERNAL, "invalid header name '%s'", name);
    if (check_value(name, value, err) < 0)
        return -1;
    buf_printf(&m->head, "%s: ", name);
    if (plain_ok(strlen(name) + 2, value))
        fold_ascii(&m->head, strlen(name) + 2, value);
    else
        encode_words(&m->head, strlen(name) + 2, value);
    buf_puts(&m->head, "\r\n");
    return 0;
}

static int valid_addr_spec(const char *a)
{
    const char *at = strrchr(a, '@');
    if (at == NULL || at == a || at[1] == '\0' || strlen(a) > 254)
        return 0;
    for (const char *p = a; *p; p++)
        if (*p <= 32 || *p >= 127 || strchr("<>()[]\\,;:\"", *p))
            return 0;
    return 1;
}

/* Appends display as a quoted string when it fits a line, else as encoded words (which fold). */
static void put_phrase(struct buf *out, const char *name, const char *display)
{
    size_t quoted = strlen(name) + 4;
    for (const char *p = display; *p; p++)
        quoted += (*p == '"' || *p == '\\') ? 2 : 1;
    if (is_ascii_printable(display) && strstr(display, "=?") == NULL && quoted <= 78) {
        buf_putc(out, '"');
        for (const char *p = display; *p; p++) {
            if (*p == '"' || *p == '\\')
                buf_putc(out, '\\');
            buf_putc(out, *p);
        }
        buf_putc(out, '"');
    } else
        encode_words(out, strlen(name) + 2, display);
}

int mime_header_addr(struct mime_msg *m, const char *name, const char *display, const char *addr,
                     struct mo_err *err)
{
    if (!valid_addr_spec(addr))
        return mo_err_set(err, MO_E_INPUT, "invalid address '%s' for header %s", addr, name);
    if (display && *display && check_value(name, display, err) < 0)
        return -1;
    buf_printf(&m->head, "%s: ", name);
    if (display && *display) {
        put_phrase(&m->head, name, display);
        buf_printf(&m->head, " <%s>\r\n", addr);
    } else
        buf_printf(&m->head, "%s\r\n", addr);
    return 0;
}

int mime_header_phrase(struct mime_msg *m, const char *name, const char *phrase, const char *id,
                       struct mo_err *err)
{
    if (!valid_name(name))
        return mo_err_set(err, MO_E_INTERNAL, "invalid header name '%s'", name);
    if (!is_ascii_printable(id) || strpbrk(id, "<> ") || !*id)
        return mo_err_set(err, MO_E_INPUT, "header %s: invalid identifier '%s'", name, id);
    if (phrase && *phrase && check_value(name, phrase, err) < 0)
        return -1;
    buf_printf(&m->head, "%s: ", name);
    if (phrase && *phrase) {
        put_phrase(&m->head, name, phrase);
        buf_putc(&m->head, ' ');
    }
    buf_printf(&m->head, "<%s>\r\n", id);
    return 0;
}

int mime_header_raw(struct mime_msg *m, const char *name, const char *value, struct mo_err *err)
{
    if (!valid_name(name))
        return mo_err_set(err, MO_E_INTERNAL, "invalid header name '%s'", name);
    if (!is_ascii_printable(value))
        return mo_err_set(err, MO_E_INPUT, "header %s must be printable ASCII", name);
    buf_printf(&m->head, "%s: %s\r\n", name, value);
    return 0;
}

int mime_header_date(struct mime_msg *m, struct mo_err *err)
{
    char date[64];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    if (strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
        return mo_err_set(err, MO_E_INTERNAL, "cannot format the date");
    return mime_header_raw(m, "Date", date, err);
}

int mime_qp_encode(const char *in, struct buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    char line[96]; /* one encoded line: at most 75 characters, "=" and CRLF */
    size_t col = 0, n = 0;
    const unsigned char *p = (const unsigned char *)in;

    for (; *p; p++) {
        unsigned c = *p;
        if (c == '\r')
            continue;
        if (c == '\n') {
            line[n++] = '\r';
            line[n++] = '\n';
            if (buf_add(out, line, n) < 0)
                return -1;
            n = col = 0;
            continue;
        }
        int trailing_ws = (c == ' ' || c == '\t') && (p[1] == '\n' || p[1] == '\r' || p[1] == 0);
        int enc =
            c == '=' || c > 126 || (c < 32 && c != '\t') || trailing_ws || (c == '.' && col == 0);
        size_t need = enc ? 3 : 1;
        if (col + need > 75) {
            line[n++] = '=';
            line[n++] = '\r';
            line[n++] = '\n';
            if (buf_add(out, line, n) < 0)
                return -1;
            n = col = 0;
            if (c == '.') { /* now at the start of a line after all */
                enc = 1;
                need = 3;
            }
        }
        if (enc) {
            line[n++] = '=';
            line[n++] = hex[c >> 4];
            line[n++] = hex[c & 15];
        } else
            line[n++] = (char)c;
        col += need;
    }
    if (col) {
        line[n++] = '\r';
        line[n++] = '\n';
    }
    return n && buf_add(out, line, n) < 0 ? -1 : 0;
}

void mime_uuid(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[16];
    size_t got = 0;

    while (got < sizeof(r)) {
        ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    if (got < sizeof(r)) { /* not expected: fall back to libuuid */
        uuid_t u;
        uuid_generate_random(u);
        memcpy(r, u, sizeof(r));
    }
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40); /* version 4 */
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80); /* RFC 4122 variant */
    size_t o = 0;
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
}

static void boundary(char out[48])
{
    char s[37];
    mime_uuid(s);
    memcpy(out, "=_mo_", 5);
    memcpy(out + 5, s, 37);
}

int mime_base64(const void *data, size_t len, int wrap, struct buf *out)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const unsigned char *p = data;
    size_t start = out->len, col = 0;
    char q[4];

    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        q[0] = abc[v >> 18 & 63];
        q[1] = abc[v >> 12 & 63];
        q[2] = i + 1 < len ? abc[v >> 6 & 63] : '=';
        q[3] = i + 2 < len ? abc[v & 63] : '=';
        if (buf_add(out, q, 4) < 0)
            goto full;
        col += 4;
        if (wrap && col == MIME_LINE) {
            if (buf_add(out, "\r\n", 2) < 0)
                goto full;
            col = 0;
        }
    }
    if (wrap && col && buf_add(out, "\r\n", 2) < 0)
        goto full;
    return 0;
full:
    buf_truncate(out, start);
    return -1;
}

/* Appends the text part, or the text/HTML alternative, with its MIME headers. */
static int put_body(const char *text, const char *html, struct buf *out, struct mo_err *err)
{
    if (html == NULL) {
        buf_puts(out, "Content-Type: text/plain; charset=utf-8\r\n"
                      "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        if (mime_qp_encode(text, out) < 0)
            return mo_err_set(err, MO_E_INPUT, "message too large");
        return 0;
    }
    char b[48];
    boundary(b);
    buf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", b);
    buf_puts(out, "This is a multi-part message in MIME format.\r\n");
    buf_printf(out,
               "\r\n--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
               b);
    if (mime_qp_encode(text, out) < 0)
        return mo_err_set(err, MO_E_INPUT, "message too large");
    buf_printf(out,
               "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
               "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
               b);
    if (mime_qp_encode(html, out) < 0)
        return mo_err_set(err, MO_E_INPUT, "message too large");
    if (buf_printf(out, "\r\n--%s--\r\n", b) < 0)
        return mo_err_set(err, MO_E_INPUT, "message too large");
    return 0;
}

static int attachment_ok(const struct mime_attachment *a, struct mo_err *err)
{
    const char *slash = a->content_type ? strchr(a->content_type, '/') : NULL;

    if (a->filename == NULL || *a->filename == '\0' || !is_ascii_printable(a->filename) ||
        strpbrk(a->filename, "\"\\/") != NULL)
        return mo_err_set(err, MO_E_INPUT, "invalid attachment file name '%s'",
                          a->filename ? a->filename : "");
    if (slash == NULL || slash == a->content_type || slash[1] == '\0' ||
        !is_ascii_printable(a->content_type) || strpbrk(a->content_type, " ;\"\\") != NULL)
        return mo_err_set(err, MO_E_INPUT, "invalid attachment type '%s'",
                          a->content_type ? a->content_type : "");
    return 0;
}

int mime_finish_attach(struct mime_msg *m, const char *text, const char *html,
                       const struct mime_attachment *atts, size_t natts, struct buf *out,
                       struct mo_err *err)
{
    if (!utf8_valid(text, strlen(text)) || (html && !utf8_valid(html, strlen(html))))
        return mo_err_set(err, MO_E_INPUT, "message body is not valid UTF-8");
    for (size_t i = 0; i < natts; i++)
        if (attachment_ok(&atts[i], err) < 0)
            return -1;
    if (buf_add(out, m->head.s, m->head.len) < 0)
        return mo_err_set(err, MO_E_INPUT, "message too large");
    buf_puts(out, "MIME-Version: 1.0\r\n");
    if (natts == 0)
        return put_body(text, html, out, err);
    char b[48];
    boundary(b);
    buf_printf(out, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", b);
    buf_puts(out, "This is a multi-part message in MIME format.\r\n");
    buf_printf(out, "\r\n--%s\r\n", b);
    if (put_body(text, html, out, err) < 0)
        return -1;
    for (size_t i = 0; i < natts; i++) {
        if (buf_printf(out,
                       "\r\n--%s\r\nContent-Type: %s; name=\"%s\"\r\n"
                       "Content-Disposition: attachment; filename=\"%s\"\r\n"
                       "Content-Transfer-Encoding: base64\r\n\r\n",
                       b, atts[i].content_type, atts[i].filename, atts[i].filename) < 0 ||
            mime_base64(atts[i].data, atts[i].len, 1, out) < 0)
            return mo_err_set(err, MO_E_INPUT, "message too large");
    }
    if (buf_printf(out, "\r\n--%s--\r\n", b) < 0)
        return mo_err_set(err, MO_E_INPUT, "message too large");
    return 0;
}

int mime_finish(struct mime_msg *m, const char *text, const char *html, struct buf *out,
                struct mo_err *err)
{
    return mime_finish_attach(m, text, html, NULL, 0, out, err);
}
