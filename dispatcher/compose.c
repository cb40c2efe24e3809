/*
 * compose.c - renders templates and assembles a message with mime.c.  Owns
 * the order of headers and the Message-ID rule; it does not load template
 * files, decide what a template may contain (doi.c checks confirmation
 * templates) or send.
 */
#include "compose.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime.h"

#define SUBJECT_MAX (8 * 1024)
#define PART_MAX    (1024 * 1024)

/* Headers compose sets itself; an extra header may not repeat them. */
static const char *const own_headers[] = {
    "From",         "To",           "Reply-To",
    "Subject",      "Date",         "Message-ID",
    "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    "Sender",       "Cc",           "Bcc",
    "List-Id"};

void compose_msg_init(struct compose_msg *m)
{
    buf_init(&m->data, COMPOSE_MSG_MAX);
    m->message_id[0] = '\0';
}

void compose_msg_release(struct compose_msg *m)
{
    buf_release(&m->data);
    m->message_id[0] = '\0';
}

static int domain_usable(const char *d, size_t n)
{
    if (n == 0 || n > 253 || d[0] == '.' || d[0] == '-' || d[n - 1] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = d[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

void compose_message_id(const char *from_addr, char out[COMPOSE_ID_MAX + 1])
{
    char id[37];
    const char *at = from_addr ? strrchr(from_addr, '@') : NULL;
    const char *domain = at ? at + 1 : "";
    size_t n = strlen(domain);

    if (!domain_usable(domain, n)) {
        domain = "mailout.invalid";
        n = strlen(domain);
    }
    mime_uuid(id);
    /* 36 + 1 + at most 253 always fits COMPOSE_ID_MAX */
    size_t o = strlen(id);
    memcpy(out, id, o);
    out[o++] = '@';
    for (size_t i = 0; i < n; i++) {
        char c = domain[i];
        out[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    out[o] = '\0';
}

static int own_header(const char *name)
{
    for (size_t i = 0; i < sizeof(own_headers) / sizeof(own_headers[0]); i++)
        if (strcasecmp(name, own_headers[i]) == 0)
            return 1;
    return 0;
}

static int render(const char *what, const char *tmpl, const struct tmpl_vars *v,
                  enum tmpl_escape esc, struct buf *out, struct mo_err *err)
{
    if (tmpl_render(tmpl, v, esc, out, err) < 0) {
        mo_err_detail(err, "in the %s template", what);
        return -1;
    }
    return 0;
}

int compose_message(const struct compose_in *in, struct compose_msg *m, struct mo_err *err)
{
    struct buf subject, text, html, idh;
    struct mime_msg mm;
    int rc = -1;

    buf_reset(&m->data);
    m->message_id[0] = '\0';
    buf_init(&subject, SUBJECT_MAX);
    buf_init(&text, PART_MAX);
    buf_init(&html, PART_MAX);
    buf_init(&idh, COMPOSE_ID_MAX + 3);
    mime_init(&mm);
    if (in->from_addr == NULL || in->to_addr == NULL || in->subject == NULL || in->text == NULL) {
        mo_err_set(err, MO_E_INTERNAL, "compose: sender, recipient, subject and text are needed");
        goto out;
    }
    for (size_t i = 0; i < in->nheaders; i++)
        if (own_header(in->headers[i].name)) {
            mo_err_set(err, MO_E_INPUT, "header %s is set by mailout itself", in->headers[i].name);
            goto out;
        }
    if (in->prerendered) {
        if (buf_puts(&subject, in->subject) < 0 || buf_puts(&text, in->text) < 0 ||
            (in->html && buf_puts(&html, in->html) < 0)) {
            mo_err_set(err, MO_E_INPUT, "message part too large");
            goto out;
        }
    } else if (render("subject", in->subject, in->vars, TMPL_RAW, &subject, err) < 0 ||
               render("text", in->text, in->vars, TMPL_RAW, &text, err) < 0 ||
               (in->html && render("html", in->html, in->vars, TMPL_HTML, &html, err) < 0))
        goto out;
    compose_message_id(in->from_addr, m->message_id);
    if (buf_printf(&idh, "<%s>", m->message_id) < 0) {
        mo_err_set(err, MO_E_INTERNAL, "message id too long");
        goto out;
    }
    if (mime_header_addr(&mm, "From", in->from_name, in->from_addr, err) < 0 ||
        (in->reply_to_addr && *in->reply_to_addr &&
         mime_header_addr(&mm, "Reply-To", in->reply_to_name, in->reply_to_addr, err) < 0) ||
        mime_header_addr(&mm, "To", in->to_name, in->to_addr, err) < 0 ||
        mime_header_text(&mm, "Subject", subject.s, err) < 0 || mime_header_date(&mm, err) < 0 ||
        mime_header_raw(&mm, "Message-ID", idh.s, err) < 0 ||
        (in->list_id &&
         mime_header_phrase(&mm, "List-Id", in->list_id_phrase, in->list_id, err) < 0))
        goto out;
    for (size_t i = 0; i < in->nheaders; i++)
        if (mime_header_raw(&mm, in->headers[i].name, in->headers[i].value, err) < 0)
            goto out;
    if (mime_finish_attach(&mm, text.s, in->html ? html.s : NULL, in->attachments,
                           in->attachments ? in->nattachments : 0, &m->data, err) < 0)
        goto out;
    rc = 0;
out:
    if (rc < 0) {
        buf_reset(&m->data);
        m->message_id[0] = '\0';
    }
    mime_release(&mm);
    buf_release(&subject);
    buf_release(&text);
    buf_release(&html);
    buf_release(&idh);
    return rc;
}
