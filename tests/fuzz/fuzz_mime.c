/*
 * fuzz_mime.c - header encoding, quoted-printable and message assembly.
 *
 * fuzz-options: -max_len=4096
 *
 * The input is cut at NUL bytes into subject, display name, address, text
 * body and (when present) HTML body.  Properties:
 *  - a refused header leaves the message as it was; each header added is
 *    "Name: " + value + CRLF, folded only with CRLF before a space, no line
 *    over 998 characters; unfolded it is the value itself (printable ASCII
 *    only), a quoted string of it, or RFC 2047 words (each at most 75
 *    characters and whole UTF-8 characters) that decode to it;
 *  - quoted-printable output decodes to the input (CRs dropped, a final line
 *    end added), has no line over 76 characters, no whitespace before a line
 *    end and no line starting with '.';
 *  - a finished message is 7-bit with CRLF line ends, no line over 998
 *    characters, body lines within 76, and a multipart boundary that occurs
 *    only where it belongs.
 */
#include "mime.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz.h"
#include "utf8.h"

static int is_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

static int b64_val(char c)
{
    const char *alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(alpha, c) : NULL;
    return p ? (int)(p - alpha) : -1;
}

/* Decodes n bytes of padded base64 at s onto out; 0, or -1 if malformed. */
static int b64_decode(const char *s, size_t n, struct buf *out)
{
    if (n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int k = 0; k < 4; k++) {
            v[k] = b64_val(s[i + k]);
            if (v[k] < 0 && !(s[i + k] == '=' && k >= 2 && i + 4 == n))
                return -1;
        }
        if (v[2] < 0 && v[3] >= 0)
            return -1;
        buf_putc(out, (char)(v[0] << 2 | v[1] >> 4));
        if (v[2] >= 0)
            buf_putc(out, (char)((v[1] & 15) << 4 | v[2] >> 2));
        if (v[3] >= 0)
            buf_putc(out, (char)((v[2] & 3) << 6 | v[3]));
    }
    return 0;
}

/*
 * Decodes s (n bytes): encoded words "=?UTF-8?B?...?=" separated by single
 * spaces, the whole of s.  Each word must be at most 75 characters and
 * decode to whole UTF-8 characters.  0, or -1 if s is not that.
 */
static int decode_words(const char *s, size_t n, struct buf *out)
{
    size_t i = 0;

    while (i < n) {
        const char *w = s + i;
        const char *end;
        size_t wl, before = out->len;

        if (n - i < 12 || strncmp(w, "=?UTF-8?B?", 10) != 0)
            return -1;
        end = strstr(w + 10, "?=");
        if (end == NULL || (size_t)(end - s) + 2 > n)
            return -1;
        wl = (size_t)(end + 2 - w);
        if (wl > 75)
            return -1;
        if (b64_decode(w + 10, wl - 12, out) < 0)
            return -1;
        if (!utf8_valid(out->s + before, out->len - before))
            return -1;
        i += wl;
        if (i < n) {
            if (s[i] != ' ')
                return -1;
            i++;
        }
    }
    return 0;
}

/*
 * Checks the header just added (head from offset at) and returns its value
 * unfolded, without "Name: " and the final CRLF (caller frees).
 */
static char *added_header(const struct buf *head, size_t at, const char *name)
{
    const char *h = head->s + at;
    size_t n = head->len - at, nl = strlen(name);
    struct buf u;

    FUZZ_CHECK(n >= nl + 4);
    FUZZ_CHECK(strncmp(h, name, nl) == 0 && h[nl] == ':' && h[nl + 1] == ' ');
    FUZZ_CHECK(h[n - 2] == '\r' && h[n - 1] == '\n');
    buf_init(&u, 0);
    size_t line = nl + 2;
    for (size_t i = nl + 2; i < n - 2; i++) {
        FUZZ_CHECK(h[i] != '\0' && (unsigned char)h[i] < 0x80);
        if (h[i] == '\r') {
            /* folding: CRLF then a space, never a bare CR or LF */
            FUZZ_CHECK(h[i + 1] == '\n' && (h[i + 2] == ' ' || h[i + 2] == '\t'));
            i++;
            line = 0;
            continue;
        }
        FUZZ_CHECK(h[i] != '\n');
        FUZZ_CHECK(++line <= 998);
        buf_putc(&u, h[i]);
    }
    return buf_detach(&u);
}

/* Checks a Subject-like header for value added at at. */
static void check_text_header(const struct buf *head, size_t at, const char *name,
                              const char *value)
{
    char *u = added_header(head, at, name);
    struct buf d;

    if (strcmp(u, value) == 0) {
        /* as it is: only text that cannot be mistaken for encoded words */
        FUZZ_CHECK(is_printable(value) && strstr(value, "=?") == NULL);
    } else {
        buf_init(&d, 0);
        FUZZ_CHECK(decode_words(u, strlen(u), &d) == 0);
        FUZZ_CHECK(strcmp(d.s, value) == 0);
        buf_release(&d);
    }
    free(u);
}

/* Checks an address header: [display] <addr> or addr. */
static void check_addr_header(const struct buf *head, size_t at, const char *name,
                              const char *display, const char *addr)
{
    char *u = added_header(head, at, name);
    size_t n = strlen(u), al = strlen(addr);
    struct buf d;

    buf_init(&d, 0);
    if (display == NULL || *display == '\0') {
        FUZZ_CHECK(strcmp(u, addr) == 0);
    } else {
        FUZZ_CHECK(n >= al + 3 && u[n - al - 3] == ' ' && u[n - al - 2] == '<');
        FUZZ_CHECK(strncmp(u + n - al - 1, addr, al) == 0 && u[n - 1] == '>');
        n -= al + 3;
        if (u[0] == '"') {
            /* a quoted string: only for text that cannot be mistaken for encoded words */
            FUZZ_CHECK(is_printable(display) && strstr(display, "=?") == NULL);
            FUZZ_CHECK(n >= 2 && u[n - 1] == '"');
            for (size_t i = 1; i < n - 1; i++) {
                FUZZ_CHECK(u[i] != '"');
                if (u[i] == '\\')
                    i++;
                FUZZ_CHECK(i < n - 1);
                buf_putc(&d, u[i]);
            }
        } else {
            FUZZ_CHECK(decode_words(u, n, &d) == 0);
        }
        FUZZ_CHECK(strcmp(d.s, display) == 0);
    }
    buf_release(&d);
    free(u);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Checks quoted-printable text q (len n) and decodes it onto out. */
static void qp_decode(const char *q, size_t n, struct buf *out)
{
    size_t line = 0;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)q[i];
        FUZZ_CHECK(c != 0 && c < 0x7f);
        if (c == '\r') {
            FUZZ_CHECK(i + 1 < n && q[i + 1] == '\n');
            FUZZ_CHECK(i == 0 || (q[i - 1] != ' ' && q[i - 1] != '\t'));
            buf_putc(out, '\n');
            i++;
            line = 0;
            continue;
        }
        FUZZ_CHECK(c != '\n');
        FUZZ_CHECK(!(line == 0 && c == '.'));
        if (c == '=') {
            if (i + 2 < n && q[i + 1] == '\r' && q[i + 2] == '\n') {
                FUZZ_CHECK(line + 1 <= 76);
                i += 2;
                line = 0;
                continue;
            }
            FUZZ_CHECK(i + 2 < n && hexval(q[i + 1]) >= 0 && hexval(q[i + 2]) >= 0);
            buf_putc(out, (char)(hexval(q[i + 1]) << 4 | hexval(q[i + 2])));
            i += 2;
            line += 3;
        } else {
            FUZZ_CHECK(c == '\t' || c >= 0x20);
            buf_putc(out, (char)c);
            line++;
        }
        FUZZ_CHECK(line <= 76);
    }
    FUZZ_CHECK(line == 0);
}

static void check_qp(const char *in, struct buf *q)
{
    struct buf want, got;

    buf_init(&want, 0);
    buf_init(&got, 0);
    for (const char *p = in; *p; p++)
        if (*p != '\r')
            buf_putc(&want, *p);
    if (want.len && want.s[want.len - 1] != '\n')
        buf_putc(&want, '\n');
    qp_decode(q->s, q->len, &got);
    FUZZ_CHECK(got.len == want.len && memcmp(got.s, want.s, got.len) == 0);
    buf_release(&want);
    buf_release(&got);
}

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0, n = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + n, needle))
        k++;
    return k;
}

/* Checks a finished message and that it carries the QP bodies qt (and qh). */
static void check_message(const struct buf *out, const char *qt, const char *qh)
{
    const char *body = strstr(out->s, "\r\n\r\n");
    size_t line = 0;

    FUZZ_CHECK(body != NULL);
    FUZZ_CHECK(strlen(out->s) == out->len);
    for (size_t i = 0; i < out->len; i++) {
        unsigned char c = (unsigned char)out->s[i];
        FUZZ_CHECK(c < 0x80);
        if (c == '\r') {
            FUZZ_CHECK(out->s[i + 1] == '\n');
            i++;
            line = 0;
            continue;
        }
        FUZZ_CHECK(c != '\n');
        line++;
        FUZZ_CHECK(line <= (out->s + i > body ? 76u : 998u));
    }
    FUZZ_CHECK(out->len >= 2 && out->s[out->len - 2] == '\r' && out->s[out->len - 1] == '\n');
    FUZZ_CHECK(strstr(body, qt) != NULL);
    if (qh) {
        const char *b = strstr(out->s, "boundary=\"");
        char delim[80];
        FUZZ_CHECK(b != NULL);
        b += 10;
        size_t bl = strcspn(b, "\"");
        FUZZ_CHECK(bl > 0 && bl < 70);
        int n = snprintf(delim, sizeof(delim), "\r\n--%.*s", (int)bl, b);
        FUZZ_CHECK(n > 0 && (size_t)n < sizeof(delim));
        FUZZ_CHECK(count(body, delim) == 3);
        FUZZ_CHECK(strstr(body, qh) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_parts p;
    struct mime_msg m;
    struct buf qt, qh, out;
    struct mo_err err;
    const char *subject, *display, *addr, *text, *html;
    size_t at;
    int ok = 1;

    fuzz_parts_split(&p, data, size, 5);
    subject = p.part[0];
    display = p.n > 1 ? p.part[1] : "";
    addr = p.n > 2 ? p.part[2] : "ada@example.com";
    text = p.n > 3 ? p.part[3] : subject;
    html = p.n > 4 ? p.part[4] : NULL;

    buf_init(&qt, 0);
    buf_init(&qh, 0);
    FUZZ_CHECK(mime_qp_encode(text, &qt) == 0);
    check_qp(text, &qt);
    if (html) {
        FUZZ_CHECK(mime_qp_encode(html, &qh) == 0);
        check_qp(html, &qh);
    }

    mime_init(&m);
    mo_err_init(&err);
    at = m.head.len;
    if (mime_header_text(&m, "Subject", subject, &err) == 0) {
        check_text_header(&m.head, at, "Subject", subject);
    } else {
        FUZZ_CHECK(err.code == MO_E_INPUT && m.head.len == at);
        FUZZ_CHECK(strpbrk(subject, "\r\n") || !utf8_valid(subject, strlen(subject)));
        ok = 0;
    }
    mo_err_init(&err);
    at = m.head.len;
    if (mime_header_text(&m, "X-A-Rather-Long-Header-Name-That-Shifts-The-Folding", subject,
                         &err) == 0)
        check_text_header(&m.head, at, "X-A-Rather-Long-Header-Name-That-Shifts-The-Folding",
                          subject);
    mo_err_init(&err);
    at = m.head.len;
    if (mime_header_addr(&m, "From", display, addr, &err) == 0) {
        check_addr_header(&m.head, at, "From", display, addr);
    } else {
        FUZZ_CHECK(err.code == MO_E_INPUT && m.head.len == at);
        ok = 0;
    }
    mo_err_init(&err);
    at = m.head.len;
    if (mime_header_addr(&m, "To", NULL, addr, &err) == 0)
        check_addr_header(&m.head, at, "To", NULL, addr);
    else
        ok = 0;

    buf_init(&out, 0);
    mo_err_init(&err);
    if (ok && mime_finish(&m, text, html, &out, &err) == 0)
        check_message(&out, qt.s, html ? qh.s : NULL);
    else if (ok)
        FUZZ_CHECK(err.code == MO_E_INPUT);

    buf_release(&out);
    mime_release(&m);
    buf_release(&qt);
    buf_release(&qh);
    fuzz_parts_free(&p);
    return 0;
}
