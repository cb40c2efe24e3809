/*
 * inbound.c - classifies one received mail message (inbound.h): complaint,
 * bounce, mailto unsubscribe or nothing of ours.
 *
 * Owns: the check that the input is a mail message at all, the MIME walk
 * (GMime), reading RFC 3464 delivery-status and RFC 5965 feedback-report
 * fields, the plain-text bounce formats, and finding the unsubscribe token
 * a message carries.  It does not look anything up or act: inbound_act.c
 * does, with the database.  Nothing here prints or logs; strings taken
 * from the message are bounded and made printable before they leave.
 */
#include "inbound.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "address.h"
#include "buf.h"
#include "crypto.h"

#define PART_READ_MAX (1024u * 1024) /* bytes of one part we read (report, headers, text) */
#define TEXT_SCAN_MAX (256u * 1024)  /* bytes of a text part scanned for a bounce format */
#define TEXT_PARTS    8              /* text parts scanned for a bounce format */
#define WALK_DEPTH    32             /* MIME levels we descend into */
#define FIELD_MAX     2048           /* an unfolded header field value */
#define LINE_WINDOW   512            /* bytes of a line looked at for a format's phrase */

/* --- GMime, once per process ---------------------------------------------- */

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
    g_mime_init();
}

/* --- small string helpers ------------------------------------------------- */

static int is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *n)
{
    while (*n && (is_wsp(**s) || **s == '\r' || **s == '\n')) {
        (*s)++;
        (*n)--;
    }
    while (*n && (is_wsp((*s)[*n - 1]) || (*s)[*n - 1] == '\r' || (*s)[*n - 1] == '\n'))
        (*n)--;
}

/* The first occurrence of the k bytes at needle in hay[0..n), or NULL. */
static const char *mem_find(const char *hay, size_t n, const char *needle, size_t k)
{
    if (k == 0 || k > n)
        return NULL;
    for (const char *p = hay; (p = memchr(p, needle[0], n - (size_t)(p - hay) - k + 1)) != NULL;
         p++) {
        if (memcmp(p, needle, k) == 0)
            return p;
        if ((size_t)(p - hay) + k >= n)
            break;
    }
    return NULL;
}

/* The first occurrence of needle (lower case) in the string hay, ignoring ASCII case. */
static const char *ci_find(const char *hay, const char *needle)
{
    size_t k = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, k) == 0)
            return p;
    return NULL;
}

/* 1 when the n bytes at s start with prefix (lower case), ignoring ASCII case. */
static int ci_starts(const char *s, size_t n, const char *prefix)
{
    size_t k = strlen(prefix);
    return n >= k && strncasecmp(s, prefix, k) == 0;
}

/*
 * Copies n bytes at s into out (size outsz) for storing and printing: runs
 * of white space and control characters become one space, bytes outside
 * printable ASCII become '?', ends trimmed, cut to fit.
 */
static void copy_printable(char *out, size_t outsz, const char *s, size_t n)
{
    size_t o = 0;
    int space = 0;

    for (size_t i = 0; i < n && o + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) {
            space = o > 0;
            continue;
        }
        if (space && o + 2 < outsz)
            out[o++] = ' ';
        space = 0;
        out[o++] = c < 0x7f ? (char)c : '?';
    }
    out[o] = '\0';
}

/*
 * A message id from a header value: the first <...>, else the whole value
 * trimmed; printable ASCII without spaces or angle brackets, with an '@',
 * shorter than INBOUND_ID_MAX.  "" when the value holds none.
 */
static void copy_msgid(char out[INBOUND_ID_MAX], const char *v)
{
    const char *s = v, *lt, *gt;
    size_t n;

    out[0] = '\0';
    if (v == NULL)
        return;
    if ((lt = strchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL) {
        s = lt + 1;
        n = (size_t)(gt - s);
    } else
        n = strlen(v);
    trim(&s, &n);
    if (n == 0 || n >= INBOUND_ID_MAX || memchr(s, '@', n) == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '<' ||
            s[i] == '>')
            return;
    memcpy(out, s, n);
    out[n] = '\0';
}

/*
 * An address from n bytes at s: trimmed, one pair of < > removed; valid
 * for address.h.  1 with out filled, else 0.
 */
static int take_addr(const char *s, size_t n, char out[INBOUND_ADDR_MAX])
{
    trim(&s, &n);
    if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
        s++;
        n -= 2;
        trim(&s, &n);
    }
    if (n == 0 || n >= INBOUND_ADDR_MAX)
        return 0;
    memcpy(out, s, n);
    out[n] = '\0';
    if (!address_valid(out)) {
        out[0] = '\0';
        return 0;
    }
    return 1;
}

/* --- is it a mail message? ------------------------------------------------ */

/*
 * The header section must come first: field lines "Name: value" (name of
 * printable ASCII without ':'), continuation lines starting with a blank,
 * no control characters but tab, up to an empty line or the end; one of
 * them names a sender (From, Sender, or Return-Path as an MTA adds it).  An mbox "From " line
 * before it is skipped (*start).
 */
static int check_header_section(const char *s, size_t n, size_t *start, struct mo_err *err)
{
    size_t pos = 0, lineno = 0;
    int fields = 0, from = 0;

    if (n == 0)
        return mo_err_set(err, MO_E_INPUT, "not a mail message: the input is empty");
    const char *nul = memchr(s, '\0', n);
    if (nul)
        return mo_err_set(err, MO_E_INPUT, "not a mail message: NUL byte at offset %zu",
                          (size_t)(nul - s));
    if (n >= 5 && memcmp(s, "From ", 5) == 0) {
        const char *nl = memchr(s, '\n', n);
        pos = nl ? (size_t)(nl - s) + 1 : n;
        lineno++;
    }
    *start = pos;
    while (pos < n) {
        const char *line = s + pos, *nl = memchr(line, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - line) : n - pos;

        lineno++;
        pos += len + (nl != NULL);
        if (len && line[len - 1] == '\r')
            len--;
        if (len == 0)
            break; /* end of the header section */
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)line[i];
            if ((c < 0x20 && c != '\t') || c == 0x7f)
                return mo_err_set(err, MO_E_INPUT,
                                  "not a mail message: control character in header line %zu",
                                  lineno);
        }
        if (is_wsp(line[0])) {
            if (fields == 0)
                return mo_err_set(err, MO_E_INPUT,
                                  "not a mail message: line %zu continues no header field", lineno);
            continue;
        }
        size_t k = 0;
        while (k < len && (unsigned char)line[k] > 0x20 && (unsigned char)line[k] < 0x7f &&
               line[k] != ':')
            k++;
        size_t name_len = k;
        while (k < len && is_wsp(line[k]))
            k++;
        if (name_len == 0 || k >= len || line[k] != ':')
            return mo_err_set(err, MO_E_INPUT, "not a mail message: line %zu is not a header field",
                              lineno);
        fields++;
        if ((name_len == 4 && strncasecmp(line, "From", 4) == 0) ||
            (name_len == 6 && strncasecmp(line, "Sender", 6) == 0) ||
            (name_len == 11 && strncasecmp(line, "Return-Path", 11) == 0))
            from = 1;
    }
    if (!from)
        return mo_err_set(err, MO_E_INPUT,
                          "not a mail message: it has no From, Sender or Return-Path field");
    return 0;
}

/* --- MIME tree ------------------------------------------------------------ */

/* The multiparts on the way to a part, and which child was taken in each. */
struct mime_path {
    int n;
    GMimeMultipart *mp[WALK_DEPTH];
    int idx[WALK_DEPTH];
};

struct parse {
    const char *raw; /* the whole input */
    size_t rawlen;
    GMimeMessage *msg;
    int nesting_overflow;
};

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
    struct parse *p = data;
    (void)offset;
    (void)item;
    if (code == GMIME_CRIT_NESTING_OVERFLOW)
        p->nesting_overflow = 1;
}

static int is_type(GMimeObject *o, const char *type, const char *sub)
{
    GMimeContentType *ct = o ? g_mime_object_get_content_type(o) : NULL;
    return ct && g_mime_content_type_is_type(ct, type, sub);
}

/* 1 when the raw input holds the close delimiter "--BOUNDARY--" of mp at a line start. */
static int multipart_closed(const struct parse *p, GMimeMultipart *mp)
{
    /*
     * The parameter as parsed: g_mime_multipart_get_boundary() makes one up
     * when it is missing, re-encoding the header, which took GMime 3.2.13
     * seconds on a fuzzed Content-Type with bytes that are not UTF-8.
     */
    GMimeContentType *ct = g_mime_object_get_content_type((GMimeObject *)mp);
    const char *b = ct ? g_mime_content_type_get_parameter(ct, "boundary") : NULL;
    size_t bl, off = 0;

    if (b == NULL || (bl = strlen(b)) == 0 || bl > 200)
        return 0;
    while (off + bl + 4 <= p->rawlen) {
        const char *hit = mem_find(p->raw + off, p->rawlen - off, b, bl);
        if (hit == NULL)
            return 0;
        size_t at = (size_t)(hit - p->raw);
        if (at >= 2 && p->raw[at - 1] == '-' && p->raw[at - 2] == '-' &&
            (at == 2 || p->raw[at - 3] == '\n') && at + bl + 2 <= p->rawlen &&
            p->raw[at + bl] == '-' && p->raw[at + bl + 1] == '-')
            return 1;
        off = at + 1;
    }
    return 0;
}

/*
 * 1 when the part at the end of path was not cut off: no multipart on the
 * way is missing its close delimiter with this part as its last child.
 */
static int path_complete(const struct parse *p, const struct mime_path *path)
{
    for (int k = 0; k < path->n; k++)
        if (path->idx[k] == g_mime_multipart_get_count(path->mp[k]) - 1 &&
            !multipart_closed(p, path->mp[k]))
            return 0;
    return 1;
}

/* The body of a message part's message, or NULL. */
static GMimeObject *inner_body(GMimeObject *o)
{
    GMimeMessage *m =
        GMIME_IS_MESSAGE_PART(o) ? g_mime_message_part_get_message((GMimeMessagePart *)o) : NULL;
    return m ? g_mime_message_get_mime_part(m) : NULL;
}

/*
 * Depth first from o: the first part of type/sub (sub NULL: any of
 * message/delivery-status and message/global-delivery-status when type is
 * "dsn"), with the multiparts on the way in *path.  into_messages: also
 * look inside attached messages.
 */
static GMimeObject *find_part(GMimeObject *o, const char *type, const char *sub, int into_messages,
                              struct mime_path *path, int depth)
{
    if (o == NULL || depth >= WALK_DEPTH)
        return NULL;
    if (strcmp(type, "dsn") == 0) {
        if (is_type(o, "message", "delivery-status") ||
            is_type(o, "message", "global-delivery-status"))
            return o;
    } else if (is_type(o, type, sub) && !GMIME_IS_MULTIPART(o))
        return o;
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = (GMimeMultipart *)o;
        int count = g_mime_multipart_get_count(mp);
        if (path->n >= WALK_DEPTH)
            return NULL;
        for (int i = 0; i < count; i++) {
            path->mp[path->n] = mp;
            path->idx[path->n] = i;
            path->n++;
            GMimeObject *hit = find_part(g_mime_multipart_get_part(mp, i), type, sub, into_messages,
                                         path, depth + 1);
            if (hit)
                return hit;
            path->n--;
        }
        return NULL;
    }
    if (into_messages && GMIME_IS_MESSAGE_PART(o))
        return find_part(inner_body(o), type, sub, into_messages, path, depth + 1);
    return NULL;
}

/* The decoded content of a leaf part (at most max bytes) into out; 0, or -1 if none. */
static int part_content(GMimeObject *o, struct buf *out, size_t max)
{
    GMimeDataWrapper *w;
    GMimeStream *ms;
    GByteArray *ba;

    buf_reset(out);
    if (!GMIME_IS_PART(o) || (w = g_mime_part_get_content((GMimePart *)o)) == NULL)
        return -1;
    ms = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, ms);
    ba = g_mime_stream_mem_get_byte_array((GMimeStreamMem *)ms);
    if (ba && ba->len)
        buf_add(out, ba->data, ba->len < max ? ba->len : max);
    g_object_unref(ms);
    return 0;
}

/* --- header blocks (delivery-status, feedback-report, rfc822-headers) ---- */

/*
 * The next block of s[0..n) from *pos: lines up to an empty or blank-only
 * line (RFC 3464 separates per-recipient fields so; some MTAs put a space
 * on that line).  0 with *bs, *bn set, or -1 at the end.
 */
static int next_block(const char *s, size_t n, size_t *pos, const char **bs, size_t *bn)
{
    size_t p = *pos;

    for (;;) { /* skip blank lines */
        if (p >= n) {
            *pos = p;
            return -1;
        }
        const char *nl = memchr(s + p, '\n', n - p);
        size_t end = nl ? (size_t)(nl - s) : n, q = p;
        while (q < end && (is_wsp(s[q]) || s[q] == '\r'))
            q++;
        if (q < end)
            break;
        p = end + 1;
    }
    size_t start = p;
    while (p < n) {
        const char *nl = memchr(s + p, '\n', n - p);
        size_t end = nl ? (size_t)(nl - s) : n, q = p;
        while (q < end && (is_wsp(s[q]) || s[q] == '\r'))
            q++;
        if (q == end)
            break;
        p = nl ? end + 1 : n;
    }
    *bs = s + start;
    *bn = p - start;
    *pos = p;
    return 0;
}

/*
 * Finds field name (case-insensitive) in the block s[0..n) and copies its
 * unfolded value, made printable, into out.  nth: 0 for the first field of
 * that name, 1 for the second, ...  1 found, 0 not.
 */
static int block_field(const char *s, size_t n, const char *name, int nth, char *out, size_t outsz)
{
    size_t nl_len = strlen(name), p = 0;
    struct buf v;
    int in = 0, found = 0;

    out[0] = '\0';
    buf_init(&v, FIELD_MAX);
    while (p < n) {
        const char *line = s + p, *nl = memchr(line, '\n', n - p);
        size_t len = nl ? (size_t)(nl - line) : n - p;
        p += len + (nl != NULL);
        if (len && line[len - 1] == '\r')
            len--;
        if (len && is_wsp(line[0])) {
            if (in) {
                buf_putc(&v, ' ');
                buf_add(&v, line, len);
            }
            continue;
        }
        if (in)
            break;
        size_t k = 0;
        while (k < len && line[k] != ':')
            k++;
        size_t nk = k;
        while (nk && is_wsp(line[nk - 1]))
            nk--;
        if (k < len && nk == nl_len && strncasecmp(line, name, nl_len) == 0 && nth-- == 0) {
            in = 1;
            buf_add(&v, line + k + 1, len - k - 1);
        }
    }
    if (in) {
        copy_printable(out, outsz, v.s, v.len);
        found = 1;
    }
    buf_release(&v);
    return found;
}

/* --- tokens ---------------------------------------------------------------- */

static int token_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
}

/* Copies the token at s (exactly CRYPTO_TOKEN_LEN token characters, then a non-token one). */
static int token_at(const char *s, size_t n, char out[INBOUND_TOKEN_MAX])
{
    size_t k = 0;
    while (k < n && token_char(s[k]))
        k++;
    if (k != CRYPTO_TOKEN_LEN)
        return 0;
    memcpy(out, s, k);
    out[k] = '\0';
    return crypto_token_wellformed(out);
}

/*
 * The token of a List-Unsubscribe value we wrote: the https URI's last
 * segment after "/u/", else the mailto's "subject=unsubscribe%20TOKEN".
 */
static void token_from_list_unsubscribe(const char *v, char out[INBOUND_TOKEN_MAX])
{
    size_t n = strlen(v);

    out[0] = '\0';
    for (const char *p = v; (p = strstr(p, "/u/")) != NULL; p += 3)
        if (token_at(p + 3, n - (size_t)(p + 3 - v), out))
            return;
    for (const char *p = v; (p = ci_find(p, "unsubscribe%20")) != NULL; p += 14)
        if (token_at(p + 14, n - (size_t)(p + 14 - v), out))
            return;
    out[0] = '\0';
}

/* The first word of text that is a well-formed token. */
static void token_from_words(const char *text, char out[INBOUND_TOKEN_MAX])
{
    size_t n = strlen(text);

    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!token_char(text[i]) || (i > 0 && token_char(text[i - 1])))
            continue;
        if (token_at(text + i, n - i, out))
            return;
    }
    out[0] = '\0';
}

/* --- the returned message of a report ------------------------------------- */

/* What a bounce or complaint says about the message it returns. */
struct returned {
    char message_id[INBOUND_ID_MAX];
    char token[INBOUND_TOKEN_MAX];
    char to[INBOUND_ADDR_MAX]; /* its single To address, "" when none or several */
    char jmrp_rcpt[INBOUND_ADDR_MAX];
};

/* The single mailbox of an address list, into out; 1, or 0 when not exactly one. */
static int single_mailbox(InternetAddressList *l, char out[INBOUND_ADDR_MAX])
{
    out[0] = '\0';
    if (l == NULL || internet_address_list_length(l) != 1)
        return 0;
    InternetAddress *a = internet_address_list_get_address(l, 0);
    if (!INTERNET_ADDRESS_IS_MAILBOX(a))
        return 0;
    const char *addr = internet_address_mailbox_get_addr((InternetAddressMailbox *)a);
    return addr && take_addr(addr, strlen(addr), out);
}

static void returned_from_message(GMimeMessage *rm, struct returned *r)
{
    const char *v;

    copy_msgid(r->message_id, g_mime_message_get_message_id(rm));
    if ((v = g_mime_object_get_header((GMimeObject *)rm, "List-Unsubscribe")) != NULL)
        token_from_list_unsubscribe(v, r->token);
    single_mailbox(g_mime_message_get_addresses(rm, GMIME_ADDRESS_TYPE_TO), r->to);
    if ((v = g_mime_object_get_header((GMimeObject *)rm, "X-HmXmrOriginalRecipient")) != NULL)
        take_addr(v, strlen(v), r->jmrp_rcpt);
}

static void returned_from_headers(const char *s, size_t n, struct returned *r)
{
    const char *bs;
    size_t bn, pos = 0;
    char v[FIELD_MAX];

    if (next_block(s, n, &pos, &bs, &bn) < 0)
        return;
    if (block_field(bs, bn, "Message-ID", 0, v, sizeof(v)))
        copy_msgid(r->message_id, v);
    if (block_field(bs, bn, "List-Unsubscribe", 0, v, sizeof(v)))
        token_from_list_unsubscribe(v, r->token);
    if (block_field(bs, bn, "To", 0, v, sizeof(v))) {
        InternetAddressList *l = internet_address_list_parse(NULL, v);
        single_mailbox(l, r->to);
        if (l)
            g_object_unref(l);
    }
}

/* The returned message beside the report part (a sibling in its multipart). */
static void find_returned(const struct mime_path *path, struct buf *tmp, struct returned *r)
{
    memset(r, 0, sizeof(*r));
    if (path->n == 0)
        return;
    GMimeMultipart *mp = path->mp[path->n - 1];
    int count = g_mime_multipart_get_count(mp);
    for (int i = 0; i < count; i++) {
        GMimeObject *o = g_mime_multipart_get_part(mp, i);
        if (i == path->idx[path->n - 1])
            continue;
        if (GMIME_IS_MESSAGE_PART(o)) {
            GMimeMessage *rm = g_mime_message_part_get_message((GMimeMessagePart *)o);
            if (rm) {
                returned_from_message(rm, r);
                return;
            }
        } else if ((is_type(o, "text", "rfc822-headers") ||
                    is_type(o, "message", "rfc822-headers")) &&
                   part_content(o, tmp, PART_READ_MAX) == 0) {
            returned_from_headers(tmp->s, tmp->len, r);
            return;
        }
    }
}

/* --- DSN (RFC 3464) -------------------------------------------------------- */

/* An rfc822 address of a recipient field "rfc822; addr" (or a bare "<addr>"). */
static int recipient_addr(const char *v, char out[INBOUND_ADDR_MAX])
{
    const char *semi = strchr(v, ';');

    out[0] = '\0';
    if (semi == NULL) {
        size_t n = strlen(v);
        const char *s = v;
        trim(&s, &n);
        return n >= 2 && s[0] == '<' && s[n - 1] == '>' && take_addr(s, n, out);
    }
    const char *t = v;
    size_t tn = (size_t)(semi - v);
    trim(&t, &tn);
    if (!(tn == 6 && strncasecmp(t, "rfc822", 6) == 0) &&
        !(tn == 5 && strncasecmp(t, "utf-8", 5) == 0))
        return 0;
    return take_addr(semi + 1, strlen(semi + 1), out);
}

/* "5.1.1" from a Status value, or "". */
static void copy_status(char out[16], const char *v)
{
    const char *p = v;
    int parts = 0;
    size_t o = 0;

    out[0] = '\0';
    while (is_wsp(*p))
        p++;
    if (*p != '2' && *p != '4' && *p != '5')
        return;
    while (parts < 3) {
        size_t digits = 0;
        while (isdigit((unsigned char)*p) && digits < 3 && o < 14) {
            out[o++] = *p++;
            digits++;
        }
        if (digits == 0 || isdigit((unsigned char)*p) || (parts == 0 && digits != 1)) {
            out[0] = '\0';
            return;
        }
        if (++parts < 3) {
            if (*p != '.') {
                out[0] = '\0';
                return;
            }
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
}

/* Adds a recipient, once per address (a permanent failure wins over a delay). */
static void add_rcpt(struct inbound_msg *m, const struct inbound_rcpt *r)
{
    for (size_t i = 0; i < m->nrcpt; i++)
        if (strcasecmp(m->rcpt[i].addr, r->addr) == 0) {
            if (r->permanent && !m->rcpt[i].permanent)
                m->rcpt[i] = *r;
            return;
        }
    if (m->nrcpt == INBOUND_RCPT_MAX) {
        m->skipped++;
        return;
    }
    m->rcpt[m->nrcpt++] = *r;
}

static void dsn_read(const char *s, size_t n, struct inbound_msg *m)
{
    size_t pos = 0, bn;
    const char *bs;
    char v[FIELD_MAX], orig[INBOUND_ADDR_MAX], fin[INBOUND_ADDR_MAX];

    while (next_block(s, n, &pos, &bs, &bn) == 0) {
        struct inbound_rcpt r;
        int has_orig = block_field(bs, bn, "Original-Recipient", 0, v, sizeof(v)),
            orig_ok = has_orig && recipient_addr(v, orig);
        int has_fin = block_field(bs, bn, "Final-Recipient", 0, v, sizeof(v)),
            fin_ok = has_fin && recipient_addr(v, fin);

        if (!has_orig && !has_fin) {
            if (!m->reporting_mta[0] && block_field(bs, bn, "Reporting-MTA", 0, v, sizeof(v))) {
                const char *semi = strchr(v, ';');
                const char *name = semi ? semi + 1 : v;
                copy_printable(m->reporting_mta, sizeof(m->reporting_mta), name, strlen(name));
            }
            continue;
        }
        memset(&r, 0, sizeof(r));
        if (block_field(bs, bn, "Status", 0, v, sizeof(v)))
            copy_status(r.status, v);
        if (block_field(bs, bn, "Action", 0, v, sizeof(v)) && v[0]) {
            if (ci_starts(v, strlen(v), "fail") || ci_starts(v, strlen(v), "error"))
                r.permanent = 1;
            else if (ci_starts(v, strlen(v), "delayed"))
                r.permanent = 0;
            else if (ci_starts(v, strlen(v), "delivered") || ci_starts(v, strlen(v), "relayed") ||
                     ci_starts(v, strlen(v), "expanded"))
                continue; /* not a failure */
            else if (r.status[0] == '5' || r.status[0] == '4')
                r.permanent = r.status[0] == '5';
            else
                continue;
        } else if (r.status[0] == '5' || r.status[0] == '4')
            r.permanent = r.status[0] == '5';
        else
            continue;
        if (!orig_ok && !fin_ok) {
            m->skipped++;
            continue;
        }
        snprintf(r.addr, sizeof(r.addr), "%s", orig_ok ? orig : fin); /* both < ADDR_MAX */
        if (orig_ok && fin_ok && strcasecmp(orig, fin) != 0)
            snprintf(r.alt, sizeof(r.alt), "%s", fin);
        if (block_field(bs, bn, "Diagnostic-Code", 0, v, sizeof(v)))
            copy_printable(r.diagnostic, sizeof(r.diagnostic), v, strlen(v));
        add_rcpt(m, &r);
    }
}

/* --- plain-text bounce formats ---------------------------------------------- */

enum line_form {
    FORM_ANGLE_COLON, /* "<addr>:" at the start of the line, the reason after it */
    FORM_ALONE,       /* the address alone on its line: "  addr", "<addr>", "addr:" */
    FORM_EXPANDED,    /* FORM_ALONE, or "(expanded from: addr)" */
    FORM_QUOTED,      /* "> addr" */
    FORM_BULLET,      /* "* addr" */
    FORM_ON_DATE,     /* "addr on DATE" at the start of the line */
    FORM_FIELD,       /* "Label: addr", no phrase needed, only from a mailer */
};

struct text_format {
    const char *name;
    const char *phrase[5]; /* lower case; the list of addresses follows the line holding one */
    enum line_form form;
    int indent;         /* most blanks before the address, -1 any */
    const char *end[3]; /* a trimmed line starting with one of these (lower case) ends the list */
    int end_on_other;   /* any other line after an address ends the list */
    int temporary;      /* a delay warning, not a failure */
    const char *label;  /* FORM_FIELD: the label with its colon, lower case */
    /*
     * A line (lower case, trimmed prefix) that marks the text as this
     * format's whole: then the list starts at the top, no phrase needed.
     */
    const char *marker;
};

/* Phrases and end marks in lower case; ANY: blanks before the address do not matter. */
#define ANY (-1)
static const struct text_format text_formats[] = {
    {.name = "postfix",
     .phrase = {"could not be delivered to one or more destinations",
                "this is the mail system at host", "this is the postfix program at host"},
     .form = FORM_ANGLE_COLON,
     .end = {"---"}},
    {.name = "qmail",
     .phrase = {"this is the qmail-send program",
                "to deliver your message to the following address",
                "unable to deliver message to the following address",
                "to the following address(es) could not be delivered",
                "your message could not be delivered"},
     .form = FORM_ANGLE_COLON,
     .end = {"---"}},
    {.name = "qmail",
     .phrase = {"not delivered to the following address",
                "problem with the e-mail address(es) you're trying to send to"},
     .form = FORM_ANGLE_COLON,
     .end = {"---"}},
    /* qmail's own words vary with the installation; its copy marker does not */
    {.name = "qmail",
     .form = FORM_ANGLE_COLON,
     .end = {"---"},
     .marker = "--- below this line is a copy of the message."},
    {.name = "exim",
     .phrase = {"address(es) failed:", "addresses failed:", "address failed:"},
     .form = FORM_ALONE,
     .indent = 2,
     .end = {"---"}},
    {.name = "exim",
     .phrase = {"has not yet been delivered is:", "has not yet been delivered are:",
                "has not yet been delivered to the following address"},
     .form = FORM_ALONE,
     .indent = 2,
     .end = {"no action is required", "---"},
     .temporary = 1},
    {.name = "sendmail",
     .phrase = {"addresses had permanent fatal errors"},
     .form = FORM_EXPANDED,
     .indent = ANY,
     .end = {"-----"}},
    {.name = "sendmail",
     .phrase = {"addresses had transient non-fatal errors"},
     .form = FORM_EXPANDED,
     .indent = ANY,
     .end = {"-----"},
     .temporary = 1},
    {.name = "mdaemon",
     .phrase = {"did not receive a copy of your message"},
     .form = FORM_QUOTED,
     .indent = ANY,
     .end = {"---"}},
    {.name = "exchange",
     .phrase = {"delivery to the following recipients failed"},
     .form = FORM_ALONE,
     .indent = ANY,
     .end = {"---"},
     .end_on_other = 1},
    {.name = "exchange",
     .phrase = {"delivery to the following recipients has been delayed"},
     .form = FORM_ALONE,
     .indent = ANY,
     .end = {"---"},
     .end_on_other = 1,
     .temporary = 1},
    {.name = "gmail",
     .phrase = {"delivery to the following recipient failed permanently"},
     .form = FORM_ALONE,
     .indent = ANY,
     .end = {"---"},
     .end_on_other = 1},
    {.name = "gmail",
     .phrase = {"delivery to the following recipient has been delayed"},
     .form = FORM_ALONE,
     .indent = ANY,
     .end = {"---"},
     .end_on_other = 1,
     .temporary = 1},
    {.name = "exchange-5.5",
     .phrase = {"did not reach the following recipient"},
     .form = FORM_ON_DATE,
     .end = {"---"}},
    {.name = "domino",
     .phrase = {"was not delivered to:"},
     .form = FORM_ALONE,
     .indent = ANY,
     .end = {"because:"},
     .end_on_other = 1},
    {.name = "netscape",
     .phrase = {"recipients did not receive your message"},
     .form = FORM_ALONE,
     .indent = ANY,
     .end = {"---"},
     .end_on_other = 1},
    {.name = "e500",
     .phrase = {"failed recipients ------"},
     .form = FORM_ANGLE_COLON,
     .end = {"---"}},
    {.name = "dsn-text",
     .phrase = {"to the following recipients failed permanently",
                "to the following recipients was aborted"},
     .form = FORM_BULLET,
     .indent = ANY,
     .end = {"==="},
     .end_on_other = 1},
    {.name = "hmailserver",
     .phrase = {"the following recipient(s) could not be reached:"},
     .form = FORM_ALONE,
     .end = {"---"},
     .end_on_other = 1},
    {.name = "mimesweeper",
     .phrase = {"a message could not be delivered to:"},
     .form = FORM_ALONE,
     .end = {"---"},
     .end_on_other = 1},
    {.name = "symantec",
     .phrase = {"could not be delivered to the following recipients:"},
     .form = FORM_ALONE,
     .end = {"---"},
     .end_on_other = 1},
    {.name = "phquery",
     .phrase = {"message not delivered to the following addresses"},
     .form = FORM_ALONE,
     .indent = ANY,
     .end = {"---"},
     .end_on_other = 1},
    /* a label and the address: only in mail from a mail system (from_mailer) */
    {.name = "hotpop", .form = FORM_FIELD, .indent = 2, .label = "undeliverable address:"},
    {.name = "imail", .form = FORM_FIELD, .indent = 2, .label = "unknown user:"},
    {.name = "imail", .form = FORM_FIELD, .indent = 2, .label = "undeliverable to"},
    {.name = "mailsite", .form = FORM_FIELD, .indent = 2, .label = "failed recipient:"},
    {.name = "lsmtp", .form = FORM_FIELD, .indent = 2, .label = "error-for:"},
    {.name = "usa.net", .form = FORM_FIELD, .indent = 2, .label = "intended recipient:"},
    {.name = "prodigy", .form = FORM_FIELD, .indent = 2, .label = "user's mailbox is full:"},
};
#define NFORMATS (sizeof(text_formats) / sizeof(text_formats[0]))

static const char *format_names[NFORMATS + 1];
static pthread_once_t format_names_once = PTHREAD_ONCE_INIT;

static void format_names_fill(void)
{
    size_t n = 0;

    for (size_t i = 0; i < NFORMATS; i++) {
        size_t j = 0;
        while (j < n && strcmp(format_names[j], text_formats[i].name) != 0)
            j++;
        if (j == n)
            format_names[n++] = text_formats[i].name;
    }
    format_names[n] = NULL;
}

const char *const *inbound_text_formats(void)
{
    pthread_once(&format_names_once, format_names_fill);
    return format_names;
}

static size_t blanks(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && is_wsp(s[k]))
        k++;
    return k;
}

/* The address alone on a line: blanks, [<]addr[>][:], blanks. */
static int alone(const char *s, size_t n, int indent, char out[INBOUND_ADDR_MAX])
{
    size_t k = blanks(s, n);

    if (indent >= 0 && k > (size_t)indent)
        return 0;
    s += k;
    n -= k;
    trim(&s, &n);
    if (n && s[n - 1] == ':')
        n--;
    return take_addr(s, n, out);
}

/* The address the line holds in format f's form, into out; 1 or 0. */
static int line_addr(const struct text_format *f, const char *s, size_t n,
                     char out[INBOUND_ADDR_MAX])
{
    size_t k;
    const char *e;

    switch (f->form) {
    case FORM_ANGLE_COLON:
        if (n < 3 || s[0] != '<' || (e = memchr(s, '>', n)) == NULL || (size_t)(e - s) + 1 >= n ||
            e[1] != ':')
            return 0;
        return take_addr(s + 1, (size_t)(e - s) - 1, out);
    case FORM_ALONE:
        return alone(s, n, f->indent, out);
    case FORM_EXPANDED:
        if (alone(s, n, -1, out))
            return 1;
        k = blanks(s, n);
        s += k;
        n -= k;
        trim(&s, &n);
        if (!ci_starts(s, n, "(expanded from:") || s[n - 1] != ')')
            return 0;
        return take_addr(s + 15, n - 16, out);
    case FORM_QUOTED:
    case FORM_BULLET:
        k = blanks(s, n);
        if (k >= n || s[k] != (f->form == FORM_QUOTED ? '>' : '*'))
            return 0;
        return take_addr(s + k + 1, n - k - 1, out);
    case FORM_ON_DATE:
        for (k = 0; k + 4 <= n; k++)
            if (memcmp(s + k, " on ", 4) == 0)
                return k > 0 && !is_wsp(s[0]) && take_addr(s, k, out);
        return 0;
    case FORM_FIELD:
        k = blanks(s, n);
        if ((f->indent >= 0 && k > (size_t)f->indent) || !ci_starts(s + k, n - k, f->label))
            return 0;
        k += strlen(f->label);
        return take_addr(s + k, n - k, out);
    }
    return 0;
}

/* 1 when the lower-cased window holds one of f's phrases. */
static int has_phrase(const struct text_format *f, const char *window)
{
    for (size_t i = 0; i < 5 && f->phrase[i]; i++)
        if (strstr(window, f->phrase[i]))
            return 1;
    return 0;
}

static int ends_list(const struct text_format *f, const char *s, size_t n)
{
    trim(&s, &n);
    for (size_t i = 0; i < 3 && f->end[i]; i++)
        if (ci_starts(s, n, f->end[i]))
            return 1;
    return 0;
}

/* Appends the lower-cased line (at most LINE_WINDOW bytes) to w. */
static void window_add(struct buf *w, const char *s, size_t n)
{
    trim(&s, &n);
    if (n > LINE_WINDOW)
        n = LINE_WINDOW;
    for (size_t i = 0; i < n; i++)
        buf_putc(w, (char)tolower((unsigned char)s[i]));
}

/*
 * Reads text (n bytes) as format f: after a line holding one of its
 * phrases (or a phrase wrapped onto the next line), the lines in its form
 * name the recipients, up to a line that ends the list; a later phrase
 * starts another list.  Returns the number of recipients added to m.
 */
static size_t scan_format(const struct text_format *f, const char *text, size_t n, int warning,
                          struct inbound_msg *m)
{
    struct buf prev, win;
    size_t pos = 0, found = 0, in_list = 0;
    int collecting = f->form == FORM_FIELD;

    if (f->marker) {
        const char *p = ci_find(text, f->marker);
        if (p == NULL || (p != text && p[-1] != '\n'))
            return 0;
        collecting = 1;
    }

    buf_init(&prev, 0);
    buf_init(&win, 0);
    while (pos < n) {
        const char *line = text + pos, *nl = memchr(line, '\n', n - pos);
        size_t len = nl ? (size_t)(nl - line) : n - pos;
        char addr[INBOUND_ADDR_MAX];

        pos += len + (nl != NULL);
        if (len && line[len - 1] == '\r')
            len--;
        if (!collecting) {
            buf_reset(&win);
            buf_add(&win, prev.s, prev.len);
            buf_putc(&win, ' ');
            window_add(&win, line, len);
            buf_reset(&prev);
            window_add(&prev, line, len);
            if (has_phrase(f, win.s) || has_phrase(f, prev.s)) {
                collecting = 1;
                in_list = 0;
            }
            continue;
        }
        if (f->form != FORM_FIELD && ends_list(f, line, len)) {
            collecting = 0;
            buf_reset(&prev);
            continue;
        }
        if (line_addr(f, line, len, addr)) {
            struct inbound_rcpt r;
            memset(&r, 0, sizeof(r));
            snprintf(r.addr, sizeof(r.addr), "%s", addr); /* fits: same size */
            r.permanent = !(f->temporary || warning);
            add_rcpt(m, &r);
            found++;
            in_list++;
            continue;
        }
        if (f->end_on_other && in_list && blanks(line, len) < len) {
            collecting = 0;
            buf_reset(&prev);
            window_add(&prev, line, len);
        }
    }
    buf_release(&prev);
    buf_release(&win);
    return found;
}

/* Text parts outside attached messages, depth first. */
struct text_parts {
    GMimeObject *part[TEXT_PARTS];
    struct mime_path path[TEXT_PARTS];
    int n;
};

static void collect_text(GMimeObject *o, struct mime_path *path, struct text_parts *tp, int depth)
{
    if (o == NULL || depth >= WALK_DEPTH || tp->n >= TEXT_PARTS)
        return;
    if (GMIME_IS_MULTIPART(o)) {
        GMimeMultipart *mp = (GMimeMultipart *)o;
        int count = g_mime_multipart_get_count(mp);
        if (path->n >= WALK_DEPTH)
            return;
        for (int i = 0; i < count && tp->n < TEXT_PARTS; i++) {
            path->mp[path->n] = mp;
            path->idx[path->n] = i;
            path->n++;
            collect_text(g_mime_multipart_get_part(mp, i), path, tp, depth + 1);
            path->n--;
        }
        return;
    }
    if (GMIME_IS_PART(o) && is_type(o, "text", "plain")) {
        tp->part[tp->n] = o;
        tp->path[tp->n] = *path;
        tp->n++;
    }
}

/* 1 when the message comes from a mail system: null Return-Path, or From a mailer account. */
static int from_mailer(GMimeMessage *msg)
{
    const char *rp = g_mime_object_get_header((GMimeObject *)msg, "Return-Path");
    char from[INBOUND_ADDR_MAX];

    if (rp) {
        size_t n = strlen(rp);
        trim(&rp, &n);
        if (n == 2 && rp[0] == '<' && rp[1] == '>')
            return 1;
    }
    if (!single_mailbox(g_mime_message_get_from(msg), from))
        return 0;
    return ci_starts(from, strlen(from), "mailer-daemon@") ||
           ci_starts(from, strlen(from), "postmaster@") ||
           ci_starts(from, strlen(from), "mail-daemon@");
}

/*
 * Looks for a plain-text bounce in the message's text parts.  1 found
 * (m->format set), 0 not, -1 with err when the part it was found in is cut
 * off.
 */
static int text_bounce(const struct parse *p, GMimeObject *root, struct inbound_msg *m,
                       struct buf *tmp, struct mo_err *err)
{
    struct text_parts tp;
    struct mime_path path = {0};
    int mailer = from_mailer(p->msg);

    memset(&tp, 0, sizeof(tp));
    collect_text(root, &path, &tp, 0);
    for (int i = 0; i < tp.n; i++) {
        if (part_content(tp.part[i], tmp, TEXT_SCAN_MAX) < 0)
            continue;
        /* a delay notice says that delivery goes on */
        int warn = ci_find(tmp->s, "this is a warning") ||
                   ci_find(tmp->s, "delivery attempts will continue") ||
                   ci_find(tmp->s, "will continue to try");
        for (size_t f = 0; f < NFORMATS; f++) {
            if (text_formats[f].form == FORM_FIELD && !mailer)
                continue;
            if (scan_format(&text_formats[f], tmp->s, tmp->len, warn, m) == 0)
                continue;
            if (!path_complete(p, &tp.path[i]))
                return mo_err_set(err, MO_E_INPUT,
                                  "truncated message: the bounce text is cut off before its "
                                  "multipart boundary closes");
            m->format = text_formats[f].name;
            return 1;
        }
    }
    return 0;
}

/* --- complaints ------------------------------------------------------------- */

static int arf(const struct parse *p, GMimeObject *root, struct inbound_msg *m, struct buf *tmp,
               struct mo_err *err)
{
    struct mime_path path = {0};
    struct returned r;
    GMimeObject *fb = find_part(root, "message", "feedback-report", 1, &path, 0);
    char v[FIELD_MAX];
    const char *bs;
    size_t bn, pos = 0;

    if (fb == NULL)
        return 0;
    if (!path_complete(p, &path))
        return mo_err_set(err, MO_E_INPUT,
                          "truncated message: the feedback report is cut off before its "
                          "multipart boundary closes");
    find_returned(&path, tmp, &r);
    if (part_content(fb, tmp, PART_READ_MAX) == 0 &&
        next_block(tmp->s, tmp->len, &pos, &bs, &bn) == 0) {
        if (block_field(bs, bn, "Feedback-Type", 0, v, sizeof(v))) {
            size_t k = 0;
            while (v[k] && k + 1 < sizeof(m->feedback_type) &&
                   (isalnum((unsigned char)v[k]) || v[k] == '-' || v[k] == '_')) {
                m->feedback_type[k] = (char)tolower((unsigned char)v[k]);
                k++;
            }
            m->feedback_type[k] = '\0';
        }
        for (int i = 0; i < 20 && !m->complainant[0]; i++) {
            if (!block_field(bs, bn, "Original-Rcpt-To", i, v, sizeof(v)))
                break;
            take_addr(v, strlen(v), m->complainant);
        }
    }
    if (!m->feedback_type[0])
        snprintf(m->feedback_type, sizeof(m->feedback_type), "abuse");
    if (!m->complainant[0] && r.to[0])
        memcpy(m->complainant, r.to, sizeof(m->complainant));
    memcpy(m->orig_message_id, r.message_id, sizeof(m->orig_message_id));
    memcpy(m->token, r.token, sizeof(m->token));
    static const char *const complaints[] = {"abuse", "fraud",   "virus",
                                             "other", "opt-out", "opt-out-list"};
    for (size_t i = 0; i < sizeof(complaints) / sizeof(complaints[0]); i++)
        if (strcmp(m->feedback_type, complaints[i]) == 0) {
            m->kind = INBOUND_COMPLAINT;
            m->format = "arf";
            return 1;
        }
    m->kind = INBOUND_IGNORED;
    m->format = strcmp(m->feedback_type, "not-spam") == 0       ? "arf not-spam report"
                : strcmp(m->feedback_type, "auth-failure") == 0 ? "arf auth-failure report"
                                                                : "arf report of another type";
    return 1;
}

/* Microsoft's JMRP: the complained-about message attached, naming its recipient. */
static int jmrp(GMimeObject *root, struct inbound_msg *m)
{
    if (!GMIME_IS_MULTIPART(root))
        return 0;
    GMimeMultipart *mp = (GMimeMultipart *)root;
    for (int i = 0; i < g_mime_multipart_get_count(mp) && i < 16; i++) {
        GMimeObject *o = g_mime_multipart_get_part(mp, i);
        GMimeMessage *rm;
        struct returned r;
        if (!GMIME_IS_MESSAGE_PART(o) ||
            (rm = g_mime_message_part_get_message((GMimeMessagePart *)o)) == NULL)
            continue;
        memset(&r, 0, sizeof(r));
        returned_from_message(rm, &r);
        if (!r.jmrp_rcpt[0])
            continue;
        m->kind = INBOUND_COMPLAINT;
        m->format = "jmrp";
        snprintf(m->feedback_type, sizeof(m->feedback_type), "abuse");
        memcpy(m->complainant, r.jmrp_rcpt, sizeof(m->complainant));
        memcpy(m->orig_message_id, r.message_id, sizeof(m->orig_message_id));
        memcpy(m->token, r.token, sizeof(m->token));
        return 1;
    }
    return 0;
}

/* --- bounces ----------------------------------------------------------------- */

static int dsn(const struct parse *p, GMimeObject *root, struct inbound_msg *m, struct buf *tmp,
               struct mo_err *err)
{
    struct mime_path path = {0};
    struct returned r;
    GMimeObject *ds = find_part(root, "dsn", NULL, 1, &path, 0);

    if (ds == NULL)
        return 0;
    if (!path_complete(p, &path))
        return mo_err_set(err, MO_E_INPUT,
                          "truncated message: the delivery status is cut off before its "
                          "multipart boundary closes");
    find_returned(&path, tmp, &r);
    memcpy(m->orig_message_id, r.message_id, sizeof(m->orig_message_id));
    memcpy(m->token, r.token, sizeof(m->token));
    if (part_content(ds, tmp, PART_READ_MAX) == 0)
        dsn_read(tmp->s, tmp->len, m);
    return 1;
}

/* --- mailto ------------------------------------------------------------------ */

struct mailto_addr {
    char local[INBOUND_ADDR_MAX];
    char domain[INBOUND_ADDR_MAX];
};

/* 1 when addr is the unsubscribe address or its local+TOKEN; token set from a well-formed +TOKEN.
 */
static int mailto_match(const struct mailto_addr *u, const char *addr,
                        char token[INBOUND_TOKEN_MAX])
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    size_t ll, ul = strlen(u->local);

    if (at == NULL || strcasecmp(at + 1, u->domain) != 0)
        return 0;
    ll = (size_t)(at - addr);
    if (ll < ul || strncasecmp(addr, u->local, ul) != 0)
        return 0;
    if (ll == ul)
        return 1;
    if (addr[ul] != '+')
        return 0;
    if (!token[0] && ll - ul - 1 == CRYPTO_TOKEN_LEN)
        token_at(addr + ul + 1, ll - ul - 1, token);
    return 1;
}

static int list_matches(const struct mailto_addr *u, InternetAddressList *l,
                        char token[INBOUND_TOKEN_MAX], int depth)
{
    int hit = 0;

    if (l == NULL || depth > 2)
        return 0;
    for (int i = 0; i < internet_address_list_length(l) && i < 100; i++) {
        InternetAddress *a = internet_address_list_get_address(l, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(a))
            hit |= mailto_match(u, internet_address_mailbox_get_addr((InternetAddressMailbox *)a),
                                token);
        else if (INTERNET_ADDRESS_IS_GROUP(a))
            hit |= list_matches(u, internet_address_group_get_members((InternetAddressGroup *)a),
                                token, depth + 1);
    }
    return hit;
}

static int parse_mailto_config(const char *cfg, struct mailto_addr *u)
{
    const char *at = cfg ? strrchr(cfg, '@') : NULL;

    if (at == NULL || at == cfg || at[1] == '\0' || (size_t)(at - cfg) >= sizeof(u->local) ||
        strlen(at + 1) >= sizeof(u->domain))
        return 0;
    memcpy(u->local, cfg, (size_t)(at - cfg));
    u->local[at - cfg] = '\0';
    snprintf(u->domain, sizeof(u->domain), "%s", at + 1); /* fits: checked above */
    return 1;
}

static int mailto(GMimeMessage *msg, const char *unsubscribe_mailto, struct inbound_msg *m)
{
    struct mailto_addr u;
    char token[INBOUND_TOKEN_MAX] = "";
    int hit = 0;

    if (!parse_mailto_config(unsubscribe_mailto, &u))
        return 0;
    hit |= list_matches(&u, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_TO), token, 0);
    hit |= list_matches(&u, g_mime_message_get_addresses(msg, GMIME_ADDRESS_TYPE_CC), token, 0);
    GMimeHeaderList *hl = g_mime_object_get_header_list((GMimeObject *)msg);
    for (int i = 0; hl && i < g_mime_header_list_get_count(hl) && i < 500; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h), *value = g_mime_header_get_value(h);
        if (name == NULL || value == NULL ||
            (strcasecmp(name, "Delivered-To") != 0 && strcasecmp(name, "X-Original-To") != 0))
            continue;
        InternetAddressList *l = internet_address_list_parse(NULL, value);
        hit |= list_matches(&u, l, token, 0);
        if (l)
            g_object_unref(l);
    }
    if (!hit)
        return 0;
    const char *auto_sub = g_mime_object_get_header((GMimeObject *)msg, "Auto-Submitted");
    if ((auto_sub && ci_starts(auto_sub, strlen(auto_sub), "auto-replied")) ||
        g_mime_object_get_header((GMimeObject *)msg, "X-Autoreply") ||
        g_mime_object_get_header((GMimeObject *)msg, "X-Autorespond")) {
        m->kind = INBOUND_IGNORED;
        m->format = "auto-reply to the unsubscribe address";
        return 1;
    }
    m->kind = INBOUND_MAILTO;
    m->format = "mailto";
    if (!token[0]) {
        const char *subject = g_mime_message_get_subject(msg);
        if (subject)
            token_from_words(subject, token);
    }
    memcpy(m->token, token, sizeof(m->token));
    single_mailbox(g_mime_message_get_from(msg), m->from);
    copy_msgid(m->orig_message_id, g_mime_object_get_header((GMimeObject *)msg, "In-Reply-To"));
    return 1;
}

/* --- the whole message --------------------------------------------------------- */

static int is_auto_reply(GMimeMessage *msg)
{
    const char *v = g_mime_object_get_header((GMimeObject *)msg, "Auto-Submitted");
    if (v && !ci_starts(v, strlen(v), "no"))
        return 1;
    v = g_mime_object_get_header((GMimeObject *)msg, "Precedence");
    return (v && ci_starts(v, strlen(v), "auto_reply")) ||
           g_mime_object_get_header((GMimeObject *)msg, "X-Autoreply") ||
           g_mime_object_get_header((GMimeObject *)msg, "X-Autorespond");
}

static int classify(struct parse *p, const char *unsubscribe_mailto, struct inbound_msg *m,
                    struct buf *tmp, struct mo_err *err)
{
    GMimeObject *root = g_mime_message_get_mime_part(p->msg);
    int rc;

    copy_msgid(m->message_id, g_mime_message_get_message_id(p->msg));
    if ((rc = arf(p, root, m, tmp, err)) != 0)
        return rc < 0 ? -1 : 0;
    if (jmrp(root, m))
        goto whole;
    if ((rc = dsn(p, root, m, tmp, err)) < 0)
        return -1;
    if (rc > 0 && m->nrcpt > 0) {
        m->kind = INBOUND_BOUNCE;
        m->format = "dsn";
        return 0;
    }
    int was_dsn = rc > 0;
    if (!was_dsn && mailto(p->msg, unsubscribe_mailto, m))
        goto whole;
    /* a DSN without a readable recipient may still say it in words */
    m->nrcpt = 0;
    if ((rc = text_bounce(p, root, m, tmp, err)) < 0)
        return -1;
    if (rc > 0) {
        m->kind = INBOUND_BOUNCE;
        return 0;
    }
    m->kind = INBOUND_IGNORED;
    m->format = was_dsn                 ? "delivery report without a failed recipient we can read"
                : is_auto_reply(p->msg) ? "auto-reply"
                                        : "not a bounce, complaint or unsubscribe";
whole:
    /* what we act on is the header or nothing: the message must still be whole */
    if (GMIME_IS_MULTIPART(root) && !multipart_closed(p, (GMimeMultipart *)root))
        return mo_err_set(err, MO_E_INPUT,
                          "truncated message: its multipart body ends before the closing boundary");
    return 0;
}

int inbound_parse(const char *data, size_t len, const char *unsubscribe_mailto,
                  struct inbound_msg *m, struct mo_err *err)
{
    struct parse p = {data, len, NULL, 0};
    GMimeStream *st = NULL;
    GMimeParser *parser = NULL;
    GMimeParserOptions *opts = NULL;
    struct buf tmp;
    size_t start = 0;
    int rc = -1;

    memset(m, 0, sizeof(*m));
    m->format = "";
    if (len > INBOUND_MAX_BYTES)
        return mo_err_set(err, MO_E_INPUT, "message too large: more than %u bytes",
                          INBOUND_MAX_BYTES);
    if (check_header_section(data, len, &start, err) < 0)
        return -1;
    pthread_once(&gmime_once, gmime_start);
    buf_init(&tmp, PART_READ_MAX + 1);
    st = g_mime_stream_mem_new_with_buffer(data + start, len - start);
    parser = g_mime_parser_new_with_stream(st);
    opts = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(opts, on_warning, &p);
    p.msg = g_mime_parser_construct_message(parser, opts);
    if (p.msg == NULL) {
        mo_err_set(err, MO_E_INPUT, "not a mail message: the MIME parser found no message");
        goto out;
    }
    if (p.nesting_overflow) {
        mo_err_set(err, MO_E_INPUT, "not a mail message we can read: MIME parts nested too deeply");
        goto out;
    }
    rc = classify(&p, unsubscribe_mailto, m, &tmp, err);
out:
    if (rc < 0) {
        memset(m, 0, sizeof(*m));
        m->format = "";
    }
    if (p.msg)
        g_object_unref(p.msg);
    g_mime_parser_options_free(opts);
    g_object_unref(parser);
    g_object_unref(st);
    buf_release(&tmp);
    return rc;
}
