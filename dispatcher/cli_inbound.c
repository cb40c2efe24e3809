/*
 * cli_inbound.c - `mailout inbound`: one mail message on standard input,
 * as an MTA's pipe delivers it; exit codes an MTA understands (INTERFACE.md:
 * 0 handled or recognised and ignored, 65 not a mail message or nobody to
 * attribute it to, 75 only when the database cannot be reached).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cli.h"
#include "inbound.h"
#include "inbound_act.h"

#define READ_CHUNK (64 * 1024)

/* Reads all of stdin into b (capped at INBOUND_MAX_BYTES + 1 to notice more). */
static int read_stdin(struct buf *b, struct mo_err *err)
{
    char chunk[READ_CHUNK];
    size_t n;

    while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        if (buf_add(b, chunk, n) < 0)
            return mo_err_set(err, MO_E_INPUT, "message too large: more than %u bytes",
                              INBOUND_MAX_BYTES);
    if (ferror(stdin))
        return mo_err_set(err, MO_E_INTERNAL, "cannot read the message from standard input");
    return 0;
}

static const char *kind_name(enum inbound_kind k)
{
    switch (k) {
    case INBOUND_MAILTO:
        return "mailto";
    case INBOUND_BOUNCE:
        return "bounce";
    case INBOUND_COMPLAINT:
        return "complaint";
    case INBOUND_IGNORED:
        break;
    }
    return "ignored";
}

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* The JSON report; res NULL for --dry-run. */
static json_t *report_json(const struct inbound_msg *m, const struct inbound_result *res)
{
    json_t *j = json_pack("{s:s, s:s}", "kind", kind_name(m->kind), "format", m->format);

    json_object_set_new(j, "message_id", str_or_null(m->message_id));
    json_object_set_new(j, "returned_message_id", str_or_null(m->orig_message_id));
    json_object_set_new(j, "token", json_boolean(m->token[0] != '\0'));
    if (m->kind == INBOUND_MAILTO)
        json_object_set_new(j, "from", str_or_null(m->from));
    if (m->kind == INBOUND_COMPLAINT) {
        json_object_set_new(j, "feedback_type", json_string(m->feedback_type));
        json_object_set_new(j, "complainant", str_or_null(m->complainant));
    }
    if (m->kind == INBOUND_BOUNCE) {
        json_t *a = json_array();
        for (size_t i = 0; i < m->nrcpt; i++) {
            const struct inbound_rcpt *r = &m->rcpt[i];
            json_t *o = json_pack("{s:s, s:b}", "address",
                                  res && res->rcpt[i].addr ? res->rcpt[i].addr : r->addr,
                                  "permanent", r->permanent);
            json_object_set_new(o, "status", str_or_null(r->status));
            json_object_set_new(o, "diagnostic", str_or_null(r->diagnostic));
            if (res) {
                json_object_set_new(o, "contact",
                                    res->rcpt[i].contact_id ? json_integer(res->rcpt[i].contact_id)
                                                            : json_null());
                json_object_set_new(o, "outcome",
                                    json_string(inbound_rcpt_outcome_name(res->rcpt[i].outcome)));
            }
            json_array_append_new(a, o);
        }
        json_object_set_new(j, "recipients", a);
        json_object_set_new(j, "skipped", json_integer((json_int_t)m->skipped));
        json_object_set_new(j, "reporting_mta", str_or_null(m->reporting_mta));
    }
    if (res && (m->kind == INBOUND_MAILTO || m->kind == INBOUND_COMPLAINT)) {
        json_object_set_new(j, "via", str_or_null(res->via));
        json_object_set_new(j, "contact",
                            res->contact_id ? json_integer(res->contact_id) : json_null());
        json_object_set_new(j, "topic", str_or_null(res->topic));
        json_object_set_new(j, "changed", json_boolean(res->changed));
        if (m->kind == INBOUND_COMPLAINT)
            json_object_set_new(j, "suppressed", json_boolean(res->suppressed));
    }
    return j;
}

static void report_text(const struct inbound_msg *m, const struct inbound_result *res)
{
    switch (m->kind) {
    case INBOUND_IGNORED:
        fprintf(stderr, "mailout: recognised and ignored: %s\n", m->format);
        return;
    case INBOUND_MAILTO:
        if (res == NULL)
            printf("mailto: %s\n", m->token[0] ? "with a token" : m->from);
        else if (res->topic[0])
            printf("mailto: contact %lld withdrew topic %s%s\n", res->contact_id, res->topic,
                   res->changed ? "" : " (already recorded)");
        else
            printf("mailto: contact %lld objected to all marketing%s\n", res->contact_id,
                   res->changed ? "" : " (already recorded)");
        return;
    case INBOUND_COMPLAINT:
        if (res == NULL)
            printf("complaint (%s, %s): %s\n", m->format, m->feedback_type,
                   m->complainant[0] ? m->complainant : "recipient not named");
        else if (res->contact_id)
            printf("complaint (%s, %s): contact %lld objected to all marketing%s, %s\n", m->format,
                   m->feedback_type, res->contact_id, res->changed ? "" : " (already recorded)",
                   res->suppressed ? "address suppressed" : "address already suppressed");
        else
            fprintf(stderr,
                    "mailout: recognised and ignored: complaint about '%s', no contact has that "
                    "address\n",
                    m->complainant);
        return;
    case INBOUND_BOUNCE:
        for (size_t i = 0; i < m->nrcpt; i++) {
            const struct inbound_rcpt *r = &m->rcpt[i];
            const char *addr = res && res->rcpt[i].addr ? res->rcpt[i].addr : r->addr;
            if (res && res->rcpt[i].outcome == INBOUND_RCPT_UNKNOWN)
                fprintf(stderr,
                        "mailout: recognised and ignored: bounce (%s) for '%s', no contact has "
                        "that address\n",
                        m->format, addr);
            else
                printf("bounce (%s): %s %s%s%s%s%s\n", m->format, addr,
                       r->permanent ? "permanent" : "temporary", r->status[0] ? " " : "", r->status,
                       res ? ": " : "", res ? inbound_rcpt_outcome_name(res->rcpt[i].outcome) : "");
        }
        if (m->skipped)
            fprintf(stderr, "mailout: %zu recipient%s of the bounce not read\n", m->skipped,
                    cli_plural((long)m->skipped));
        return;
    }
}

/* 1 when the failure means the database is out of reach (the MTA retries then). */
static int unreachable(struct db *db, const struct mo_err *err)
{
    if (err->code == MO_E_TEMPFAIL)
        return 1;
    if (db == NULL)
        return err->code == MO_E_UNAVAILABLE;
    return PQstatus(db_conn(db)) != CONNECTION_OK ||
           (err->code == MO_E_UNAVAILABLE && err->sqlstate[0] &&
            (strncmp(err->sqlstate, "08", 2) == 0 || strcmp(err->sqlstate, "57P01") == 0 ||
             strcmp(err->sqlstate, "53300") == 0));
}

static int inbound_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    (void)arg;
    (void)err;
    if (c != 'n')
        return -1;
    *(int *)ctx = 1;
    return 0;
}

int cmd_inbound(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"dry-run", no_argument, NULL, 'n'}, {NULL, 0, NULL, 0}};
    struct inbound_msg *m = NULL;
    struct inbound_result *res = NULL;
    struct db *db = NULL;
    struct buf in;
    int first, dry = 0, rc;

    rc = cli_getopt(cli, argc, argv, "n", lo, inbound_opt, &dry, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc != first)
        return mo_err_set(err, MO_E_USAGE,
                          "inbound takes no arguments: the message comes on "
                          "standard input");
    buf_init(&in, INBOUND_MAX_BYTES + 1);
    m = calloc(1, sizeof(*m));
    res = calloc(1, sizeof(*res));
    rc = -1;
    if (m == NULL || res == NULL) {
        mo_err_set(err, MO_E_INTERNAL, "out of memory");
        goto out;
    }
    if (read_stdin(&in, err) < 0 ||
        inbound_parse(in.s, in.len, cli->cfg.unsubscribe_mailto, m, err) < 0)
        goto out;
    if (dry || m->kind == INBOUND_IGNORED) {
        if (cli->json)
            cli_print_json(report_json(m, NULL));
        else
            report_text(m, NULL);
        rc = 0;
        goto out;
    }
    if ((db = cli_db(cli, err)) == NULL || inbound_apply(db, &cli->cfg, m, res, err) < 0) {
        if (unreachable(db, err))
            err->code = MO_E_TEMPFAIL;
        goto out;
    }
    if (cli->json)
        cli_print_json(report_json(m, res));
    else
        report_text(m, res);
    rc = 0;
out:
    db_free(db);
    buf_release(&in);
    free(m);
    free(res);
    return rc;
}
