/*
 * fuzz_inbound.c - classifying received mail (GMime, DSN and ARF fields,
 * the plain-text bounce formats, the mailto match).
 *
 * fuzz-options: -max_len=16384
 *
 * The input is one message, parsed with unsubscribe_mailto
 * "unsubscribe@shop.example".  Properties: never a crash or a leak;
 * inbound_parse() returns 0, or -1 with MO_E_INPUT, a message, and *m
 * cleared; on success every string is NUL-terminated within its buffer,
 * message ids are printable ASCII without spaces, every address (bounce
 * recipients, their alternative, From, complainant) is valid for
 * address.h, a token is well-formed, a bounce has 1..INBOUND_RCPT_MAX
 * distinct recipients and nothing else has any, a status looks like
 * "5.1.1", and a diagnostic is printable ASCII.
 */
#include "inbound.h"

#include <stdint.h>
#include <strings.h>

#include "address.h"
#include "crypto.h"
#include "fuzz.h"

static void check_string(const char *s, size_t size)
{
    FUZZ_CHECK(memchr(s, '\0', size) != NULL);
}

static void check_printable(const char *s, size_t size, int spaces)
{
    check_string(s, size);
    for (; *s; s++)
        FUZZ_CHECK((unsigned char)*s >= (spaces ? 0x20 : 0x21) && (unsigned char)*s < 0x7f);
}

static void check_addr(const char *s, size_t size, int may_be_empty)
{
    check_string(s, size);
    if (*s == '\0')
        FUZZ_CHECK(may_be_empty);
    else
        FUZZ_CHECK(address_valid(s));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct inbound_msg *m = malloc(sizeof(*m));
    struct mo_err err;

    FUZZ_CHECK(m != NULL);
    mo_err_init(&err);
    if (inbound_parse((const char *)data, size, "unsubscribe@shop.example", m, &err) < 0) {
        FUZZ_CHECK(err.code == MO_E_INPUT && err.msg[0]);
        FUZZ_CHECK(m->kind == INBOUND_IGNORED && m->nrcpt == 0 && m->token[0] == '\0');
        free(m);
        return 0;
    }
    FUZZ_CHECK(m->kind >= INBOUND_IGNORED && m->kind <= INBOUND_COMPLAINT);
    FUZZ_CHECK(m->format != NULL && m->format[0]);
    check_printable(m->message_id, sizeof(m->message_id), 0);
    check_printable(m->orig_message_id, sizeof(m->orig_message_id), 0);
    check_string(m->token, sizeof(m->token));
    FUZZ_CHECK(m->token[0] == '\0' || crypto_token_wellformed(m->token));
    check_addr(m->from, sizeof(m->from), 1);
    check_addr(m->complainant, sizeof(m->complainant), 1);
    check_printable(m->feedback_type, sizeof(m->feedback_type), 0);
    check_printable(m->reporting_mta, sizeof(m->reporting_mta), 1);
    FUZZ_CHECK(m->nrcpt <= INBOUND_RCPT_MAX);
    FUZZ_CHECK(m->kind == INBOUND_BOUNCE ? m->nrcpt >= 1 : m->nrcpt == 0);
    for (size_t i = 0; i < m->nrcpt; i++) {
        const struct inbound_rcpt *r = &m->rcpt[i];
        check_addr(r->addr, sizeof(r->addr), 0);
        check_addr(r->alt, sizeof(r->alt), 1);
        FUZZ_CHECK(r->permanent == 0 || r->permanent == 1);
        check_printable(r->diagnostic, sizeof(r->diagnostic), 1);
        check_string(r->status, sizeof(r->status));
        if (r->status[0])
            FUZZ_CHECK(strchr("245", r->status[0]) && r->status[1] == '.');
        for (size_t k = 0; k < i; k++)
            FUZZ_CHECK(strcasecmp(m->rcpt[k].addr, r->addr) != 0);
    }
    free(m);
    return 0;
}
