/*
 * cli_mail.c - `mailout test-mail`: checks the transport with plain test
 * messages, built by compose.c like every other mail, sent over one session.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "compose.h"
#include "dkim.h"
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

static const char *outcome_word(const struct transport_msg *m)
{
    switch (transport_classify(m)) {
    case TRANSPORT_SENT:
        return "delivered";
    case TRANSPORT_DEFERRED:
        return "deferred";
    case TRANSPORT_FAILED:
        return "refused";
    case TRANSPORT_NOT_ATTEMPTED:
        break;
    }
    return m->data_sent ? "unanswered (handed over, may have arrived)" : "not sent";
}

int cmd_transport_test(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option longopts[] = {{"count", required_argument, NULL, 'n'},
                                             {"from", required_argument, NULL, 'f'},
                                             {NULL, 0, NULL, 0}};
    struct test_mail_opts o = {1, NULL};
    struct transport *t = NULL;
    struct transport_msg *msgs = NULL;
    struct compose_msg *bodies = NULL;
    struct dkim *dkim = NULL;
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

    /* signed like every other mail, so the test shows what receivers will see */
    if (dkim_open(&cli->cfg, &dkim, err) < 0)
        return -1;
    msgs = xcalloc((size_t)o.count, sizeof(*msgs));
    bodies = xcalloc((size_t)o.count, sizeof(*bodies));
    for (long i = 0; i < o.count; i++)
        compose_msg_init(&bodies[i]);
    for (long i = 0; i < o.count; i++) {
        char subj[64];
        if (snprintf(subj, sizeof(subj), "mailout test message %ld of %ld", i + 1, o.count) >=
            (int)sizeof(subj))
            goto out;
        /* no variables: the texts are literal (they hold no tags) */
        struct compose_in in = {
            .from_name = from_name,
            .from_addr = from,
            .to_addr = to,
            .subject = subj,
            .text = "This message checks mailout's mail transport. It needs no action.\n",
        };
        if (compose_message(&in, &bodies[i], err) < 0)
            goto out;
        if (dkim && dkim_sign(dkim, &bodies[i].data, err) < 0)
            goto out;
        msgs[i].envelope_from = from;
        msgs[i].rcpt = to;
        msgs[i].data = bodies[i].data.s;
        msgs[i].len = bodies[i].data.len;
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
            json_array_append_new(
                arr, json_pack("{s:b, s:s, s:i, s:s}", "delivered", msgs[i].delivered, "outcome",
                               transport_result_name(transport_classify(&msgs[i])), "code",
                               msgs[i].code, "reply", msgs[i].reply));
        else
            printf("%ld: %s %d %s\n", i + 1, outcome_word(&msgs[i]), msgs[i].code, msgs[i].reply);
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
    dkim_free(dkim);
    if (bodies)
        for (long i = 0; i < o.count; i++)
            compose_msg_release(&bodies[i]);
    free(bodies);
    free(msgs);
    return rc;
}
