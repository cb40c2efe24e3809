/*
 * cli_policy.c - policy show, policy set and template add: argument
 * handling and output only.  The use cases, with their transactions and
 * audit entries, are in policy.c and template.c; this file names the actor
 * (audit_cli_actor()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "fileio.h"
#include "policy.h"
#include "template.h"

/* --- policy show --- */

static long long jint(const json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

static const char *jbool(const json_t *o, const char *k)
{
    return json_is_true(json_object_get(o, k)) ? "true" : "false";
}

static void print_policy_table(const json_t *rows)
{
    size_t i;
    const json_t *o;

    printf("%-7s %3s %8s %7s %-7s %-5s %5s %7s %8s %9s %-7s %-9s %s\n", "COUNTRY", "AGE",
           "CUSTOMER", "INQUIRY", "OPT-OUT", "DOI", "LAPSE", "CAP/DAY", "CAP/WEEK", "CAP/MONTH",
           "CHARITY", "ONE-CLICK", "LABEL");
    json_array_foreach(rows, i, o)
    {
        printf("%-7s %3lld %8lld %7lld %-7s %-5s %5lld %7lld %8lld %9lld %-7s %-9s %s\n",
               json_string_value(json_object_get(o, "country")), jint(o, "consent_age"),
               jint(o, "existing_customer_months"), jint(o, "inquiry_months"),
               jbool(o, "opt_out_regime"), jbool(o, "double_opt_in"),
               jint(o, "consent_lapse_months"), jint(o, "frequency_cap_day"),
               jint(o, "frequency_cap_week"), jint(o, "frequency_cap_month"),
               jbool(o, "charity_soft_opt_in"),
               json_string_value(json_object_get(o, "one_click_scope")),
               json_string_value(json_object_get(o, "opt_out_label")));
    }
    printf("\nAGE consent_age, CUSTOMER existing_customer_months (0: no existing-customer\n"
           "exception), INQUIRY inquiry_months, OPT-OUT opt_out_regime, DOI double_opt_in,\n"
           "LABEL opt_out_label, LAPSE consent_lapse_months (0: never), CAP/DAY, CAP/WEEK,\n"
           "CAP/MONTH frequency_cap_day, _week, _month (0: none), CHARITY charity_soft_opt_in,\n"
           "ONE-CLICK one_click_scope (topic: the message's topic; all: all marketing).\n"
           "'*' applies to every country without a row of its own.\n");
}

int cmd_policy_show(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    char country[3];
    int first, rc, fallback = 0;
    json_t *rows;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first > 1)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    if (argc - first == 1 && policy_country_parse(argv[first], country, err) < 0)
        return -1;
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rows = policy_show(db, argc - first == 1 ? country : NULL, &fallback, err);
    db_free(db);
    if (rows == NULL)
        return -1;
    if (cli->json) {
        cli_print_json(rows);
        return 0;
    }
    if (fallback)
        printf("%s has no policy of its own: the '*' policy applies\n\n", country);
    print_policy_table(rows);
    json_decref(rows);
    return 0;
}

/* --- policy set --- */

int cmd_policy_set(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    struct policy_change ch;
    char country[3], canon[1024];
    int first, rc;

    rc = cli_getopt(cli, argc, argv, "", NULL, NULL, NULL, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 3)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    /* bad input is refused before connecting */
    if (policy_country_parse(argv[first], country, err) < 0 ||
        policy_value_parse(argv[first + 1], argv[first + 2], canon, sizeof(canon), err) < 0)
        return -1;
    struct db *db = cli_db(cli, err);
    if (db == NULL)
        return -1;
    rc = policy_set(db, country, argv[first + 1], argv[first + 2], audit_cli_actor(), &ch, err);
    db_free(db);
    if (rc < 0)
        return -1;
    if (cli->json) {
        json_t *o = json_loads(ch.old, JSON_DECODE_ANY, NULL);
        json_t *n = json_loads(ch.new_, JSON_DECODE_ANY, NULL);
        cli_print_json(json_pack("{s:s, s:s, s:o*, s:o*, s:b}", "country", ch.country, "key",
                                 argv[first + 1], "old", o, "new", n, "created", ch.created));
    } else {
        if (ch.created)
            printf("policy %s created as a copy of '*'\n", ch.country);
        printf("policy %s: %s %s -> %s\n", ch.country, argv[first + 1], ch.old, ch.new_);
    }
    policy_change_release(&ch);
    return 0;
}

/* --- template add --- */

struct template_opts {
    const char *subject, *text, *html, *locale;
};

static int template_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct template_opts *o = ctx;
    (void)err;
    switch (c) {
    case 's':
        o->subject = arg;
        return 0;
    case 't':
        o->text = arg;
        return 0;
    case 'H':
        o->html = arg;
        return 0;
    case 'l':
        o->locale = arg;
        return 0;
    default:
        return -1;
    }
}

/* One line on stderr for a part that got the standard footer. */
static void footer_note(const char *kind, const char *file, unsigned lacks, const char *locale)
{
    if (lacks == 0)
        return;
    fprintf(stderr, "template %s part '%s' has no %s: the standard footer (%s) is appended to it\n",
            kind, file,
            lacks == (TEMPLATE_LACKS_UNSUBSCRIBE | TEMPLATE_LACKS_POSTAL)
                ? "{{unsubscribe_url}} and no {{postal_address}}"
            : lacks == TEMPLATE_LACKS_UNSUBSCRIBE ? "{{unsubscribe_url}}"
                                                  : "{{postal_address}}",
            locale);
}

int cmd_template_add(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"subject", required_argument, NULL, 's'},
                                       {"text", required_argument, NULL, 't'},
                                       {"html", required_argument, NULL, 'H'},
                                       {"locale", required_argument, NULL, 'l'},
                                       {NULL, 0, NULL, 0}};
    struct template_opts o = {NULL, NULL, NULL, "en"};
    struct template_def t;
    struct template_added added;
    struct buf text, html;
    int first, rc = -1, have_html = 0;
    struct db *db = NULL;

    buf_init(&text, 0);
    buf_init(&html, 0);
    rc = cli_getopt(cli, argc, argv, "s:t:H:l:", lo, template_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || o.subject == NULL || o.text == NULL)
        return mo_err_set(err, MO_E_USAGE, "usage: mailout %s", cli->cmd->synopsis);
    rc = -1;
    if (fileio_read(o.text, TEMPLATE_BODY_MAX, "template text part", &text, err) < 0)
        goto out;
    if (o.html != NULL) {
        have_html = 1;
        if (fileio_read(o.html, TEMPLATE_BODY_MAX, "template html part", &html, err) < 0)
            goto out;
    }
    t = (struct template_def){.name = argv[first],
                              .subject = o.subject,
                              .text = text.s,
                              .text_len = text.len,
                              .text_file = o.text,
                              .html = have_html ? html.s : NULL,
                              .html_len = html.len,
                              .html_file = o.html,
                              .locale = o.locale,
                              .data_dir = cli->data_dir};
    /* the template is checked before touching the database */
    if (template_check(&t, err) < 0)
        goto out;
    db = cli_db(cli, err);
    if (db == NULL)
        goto out;
    if (template_add(db, &t, audit_cli_actor(), &added, err) < 0)
        goto out;
    footer_note("text", o.text, added.text_lacks, o.locale);
    if (have_html)
        footer_note("html", o.html, added.html_lacks, o.locale);
    if (cli->json) {
        json_t *j = json_pack("{s:s, s:I}", "template", t.name, "id", (json_int_t)added.id);
        cli_print_json(j);
    } else {
        printf("template %s added\n", t.name);
    }
    rc = 0;
out:
    db_free(db);
    buf_release(&text);
    buf_release(&html);
    return rc;
}
