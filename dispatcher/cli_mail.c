/*
 * cli_mail.c - `mailout test-mail`: checks the transport with plain test
 * messages sent over one session.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "mime.h"
#include "transport.h"
#include "xalloc.h"

struct test_mail_opts {
    long count;
    const char *from;
};

static int on_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct test_mail_opts *o = ctx;
    char *end;

    switch (c) {
    case 'n':
        errno = 0;
        o->count = strtol(arg, &end, 10);
        if (errno || *end || o->count < 1 || o->count > 100)
            return mo_err_set(err, MO_E_USAGE, "invalid --count '%s': expected 1 to 100", arg);
        return 0;
    case 'f':
        o->from = arg;
        return 0;
    }
    return -1;
}

int cmd_transport_test(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option longopts[] = {{"count", required_argument, NULL, 'n'},
                                             {"from", required_argument, NULL, 'f'},
                                             {NULL, 0, NULL, 0}};
    struct test_mail_opts o = {1, NULL};
    struct transport *t = NULL;
    struct transport_msg *msgs = NULL;
    struct buf *bodies = NULL;
    int first, rc = -1;

    int g = cli_getopt(cli, argc, argv, "n:f:", longopts, on_opt, &o, &first, err);
    if (g != 0)
        return g < 0 ? -1 : 0;
    if (argc - first != 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    const char *to = argv[first];
    const char *from = o.from ? o.from : cli->cfg.from_addr;
    const char *from_name = o.from || *cli->cfg.from_name == '\0' ? "mailout" : cli->cfg.from_name;
    if (*from == '\0')
        return mo_err_set(err, MO_E_USAGE, "no sender: set the key from or pass --from");
    const char *domain = strrchr(from, '@') ? strrchr(from, '@') + 1 : "mailout.invalid";

    msgs = xcalloc((size_t)o.count, sizeof(*msgs));
    bodies = xcalloc((size_t)o.count, sizeof(*bodies));
    for (long i = 0; i < o.count; i++) {
        struct mime_msg m;
        char subj[64];
        mime_init(&m);
        buf_init(&bodies[i], 0);
        snprintf(subj, sizeof(subj), "mailout test message %ld of %ld", i + 1, o.count);
        if (mime_header_addr(&m, "From", from_name, from, err) < 0 ||
            mime_header_addr(&m, "To", NULL, to, err) < 0 ||
            mime_header_text(&m, "Subject", subj, err) < 0 ||
            mime_header_date_and_id(&m, domain, err) < 0 ||
            mime_finish(&m, "This message checks mailout's mail transport. It needs no action.\n",
                        NULL, &bodies[i], err) < 0) {
            mime_release(&m);
            goto out;
        }
        mime_release(&m);
        msgs[i].envelope_from = from;
        msgs[i].rcpt = to;
        msgs[i].data = bodies[i].s;
        msgs[i].len = bodies[i].len;
    }
    t = transport_new(&cli->cfg, err);
    if (t == NULL)
        goto out;
    int sent = transport_send(t, msgs, (size_t)o.count, err);
    long delivered = 0;
    json_t *arr = json_array();
    for (long i = 0; i < o.count; i++) {
        delivered += msgs[i].delivered;
        if (cli->json)
            json_array_append_new(arr, json_pack("{s:b, s:i, s:s}", "delivered", msgs[i].delivered,
                                                 "code", msgs[i].code, "reply", msgs[i].reply));
        else
            printf("%ld: %s %d %s\n", i + 1,
                   msgs[i].delivered ? "delivered"
                   : msgs[i].code    ? "refused"
                                     : "not sent",
                   msgs[i].code, msgs[i].reply);
    }
    if (cli->json) {
        json_t *root = json_pack("{s:s, s:I, s:I, s:o}", "transport", transport_describe(t), "sent",
                                 (json_int_t)delivered, "refused",
                                 (json_int_t)(o.count - delivered), "messages", arr);
        json_dumpf(root, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(root);
    } else {
        json_decref(arr);
        printf("%ld of %ld delivered via %s\n", delivered, o.count, transport_describe(t));
    }
    if (sent < 0)
        goto out;
    if (delivered < o.count) {
        mo_err_set(err, MO_E_TEMPFAIL, "%ld of %ld messages refused", o.count - delivered, o.count);
        goto out;
    }
    rc = 0;
out:
    transport_free(t);
    if (bodies)
        for (long i = 0; i < o.count; i++)
            buf_release(&bodies[i]);
    free(bodies);
    free(msgs);
    return rc;
}
