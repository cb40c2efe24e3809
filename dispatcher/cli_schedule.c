/*
 * cli_schedule.c - `mailout campaign schedule`: arguments and output only;
 * parsing, expansion and storage are in schedule.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "fileio.h"
#include "schedule.h"

#define ICS_FILE_MAX (256u * 1024)

enum sched_mode { MODE_NONE, MODE_AT, MODE_ICS, MODE_LIST, MODE_EXPORT, MODE_CLEAR };

struct sched_opts {
    enum sched_mode mode;
    int modes; /* how many of --at, --ics, --list, --export, --clear */
    const char *at, *tz, *rrule, *ics;
    long count;
    int count_given;
};

static int sched_opt(int c, const char *arg, void *ctx, struct mo_err *err)
{
    struct sched_opts *o = ctx;
    char *end;

    switch (c) {
    case 'a':
        o->mode = MODE_AT;
        o->modes++;
        o->at = arg;
        return 0;
    case 'i':
        o->mode = MODE_ICS;
        o->modes++;
        o->ics = arg;
        return 0;
    case 'l':
        o->mode = MODE_LIST;
        o->modes++;
        return 0;
    case 'e':
        o->mode = MODE_EXPORT;
        o->modes++;
        return 0;
    case 'x':
        o->mode = MODE_CLEAR;
        o->modes++;
        return 0;
    case 'z':
        o->tz = arg;
        return 0;
    case 'r':
        o->rrule = arg;
        return 0;
    case 'n':
        errno = 0;
        o->count = strtol(arg, &end, 10);
        if (errno || *end || end == arg || o->count < 0 || o->count > 1000)
            return mo_err_set(err, MO_E_USAGE, "--count takes a number from 0 to 1000");
        o->count_given = 1;
        return 0;
    default:
        return -1;
    }
}

/* Prints what was stored: the first occurrence in the zone and in UTC. */
static int print_set(struct cli *cli, const char *name, const struct schedule_spec *sp)
{
    char loc[64], utc[64], first_s[64];
    time_t first;
    struct tm tm;
    struct mo_err e2;
    int k;

    mo_err_init(&e2);
    k = schedule_next(sp->ics, time(NULL), &first, &e2);
    if (k <= 0)
        first = sp->dtstart;
    gmtime_r(&first, &tm);
    snprintf(utc, sizeof(utc), "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (schedule_format_local(sp->tzid, first, loc, sizeof(loc)) < 0)
        snprintf(loc, sizeof(loc), "%s", utc);
    snprintf(first_s, sizeof(first_s), "%s", loc);
    if (sp->note[0])
        fprintf(stderr, "note: %s\n", sp->note);
    if (cli->json)
        return cli_print_json(json_pack("{s:s, s:s, s:s, s:s?, s:{s:s, s:s}, s:s?}", "campaign",
                                        name, "kind", sp->kind, "tzid", sp->tzid, "rrule",
                                        sp->rrule, "next", "local", first_s, "utc", utc, "note",
                                        sp->note[0] ? sp->note : NULL));
    printf("campaign %s scheduled (%s%s%s): next %s (%s)\n", name, sp->tzid, sp->rrule ? ", " : "",
           sp->rrule ? sp->rrule : "", first_s, utc);
    return 0;
}

static void print_list(json_t *j, long count)
{
    json_t *a, *v;
    size_t i;
    const char *rrule = json_string_value(json_object_get(j, "rrule"));

    printf("campaign %s: %s schedule in %s%s%s\n",
           json_string_value(json_object_get(j, "campaign")),
           json_string_value(json_object_get(j, "kind")),
           json_string_value(json_object_get(j, "tzid")), rrule ? ", " : "", rrule ? rrule : "");
    a = json_object_get(j, "next");
    if (json_array_size(a) == 0) {
        if (count > 0) /* --count 0 asks for the recorded occurrences only */
            printf("no further occurrences\n");
    } else
        printf("next occurrences (%s, UTC):\n", json_string_value(json_object_get(j, "tzid")));
    json_array_foreach(a, i, v)
    {
        printf("  %-26s %s\n", json_string_value(json_object_get(v, "local")),
               json_string_value(json_object_get(v, "utc")));
    }
    a = json_object_get(j, "recorded");
    if (json_array_size(a) > 0)
        printf("recorded occurrences:\n");
    json_array_foreach(a, i, v)
    {
        const char *st = json_string_value(json_object_get(v, "state"));
        const char *reason = json_string_value(json_object_get(v, "reason"));
        json_t *run = json_object_get(v, "run");
        if (json_is_integer(run))
            printf("  %s %s (run %lld)\n", json_string_value(json_object_get(v, "occurs_at")), st,
                   (long long)json_integer_value(run));
        else
            printf("  %s %s%s%s%s\n", json_string_value(json_object_get(v, "occurs_at")), st,
                   reason ? " (" : "", reason ? reason : "", reason ? ")" : "");
    }
}

int cmd_campaign_schedule(struct cli *cli, int argc, char **argv, struct mo_err *err)
{
    static const struct option lo[] = {{"at", required_argument, NULL, 'a'},
                                       {"tz", required_argument, NULL, 'z'},
                                       {"rrule", required_argument, NULL, 'r'},
                                       {"ics", required_argument, NULL, 'i'},
                                       {"list", no_argument, NULL, 'l'},
                                       {"count", required_argument, NULL, 'n'},
                                       {"export", no_argument, NULL, 'e'},
                                       {"clear", no_argument, NULL, 'x'},
                                       {NULL, 0, NULL, 0}};
    struct sched_opts o;
    struct schedule_spec sp;
    struct db *db = NULL;
    struct buf text;
    const char *name;
    int first, rc;

    memset(&o, 0, sizeof(o));
    memset(&sp, 0, sizeof(sp));
    o.count = 10;
    rc = cli_getopt(cli, argc, argv, "a:z:r:i:ln:ex", lo, sched_opt, &o, &first, err);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (argc - first != 1 || o.modes != 1)
        return mo_err_set(err, MO_E_USAGE,
                          "usage: mailout %s (exactly one of --at, --ics, --list, --export, "
                          "--clear)",
                          cli->cmd->synopsis);
    if ((o.tz || o.rrule) && o.mode != MODE_AT)
        return mo_err_set(err, MO_E_USAGE, "--tz and --rrule go with --at");
    if (o.count_given && o.mode != MODE_LIST)
        return mo_err_set(err, MO_E_USAGE, "--count goes with --list");
    name = argv[first];

    if (o.mode == MODE_AT || o.mode == MODE_ICS) {
        if (o.mode == MODE_AT) {
            rc = schedule_parse_at(o.at, o.tz, o.rrule, time(NULL), &sp, err);
        } else {
            rc = fileio_read(o.ics, ICS_FILE_MAX, "calendar", &text, err);
            /* a NUL byte would silently end the calendar early */
            if (rc == 0 && memchr(text.s, '\0', text.len) != NULL)
                rc = mo_err_set(err, MO_E_INPUT, "calendar '%s' holds a NUL byte", o.ics);
            if (rc == 0)
                rc = schedule_parse_ics(text.s, time(NULL), &sp, err);
            buf_release(&text);
        }
        if (rc < 0)
            return -1;
        if ((db = cli_db(cli, err)) == NULL ||
            schedule_set(db, name, &sp, audit_cli_actor(), err) < 0)
            rc = -1;
        else
            rc = print_set(cli, name, &sp);
        schedule_spec_free(&sp);
        db_free(db);
        return rc;
    }
    if ((db = cli_db(cli, err)) == NULL)
        return -1;
    if (o.mode == MODE_CLEAR) {
        rc = schedule_clear(db, name, audit_cli_actor(), err);
        db_free(db);
        if (rc < 0)
            return -1;
        if (cli->json)
            return cli_print_json(json_pack("{s:s, s:b}", "campaign", name, "cleared", rc > 0));
        printf(rc > 0 ? "campaign %s: schedule cleared\n" : "campaign %s had no schedule\n", name);
        return 0;
    }
    if (o.mode == MODE_EXPORT) {
        char *ics = schedule_export(db, name, err);
        db_free(db);
        if (ics == NULL)
            return -1;
        fputs(ics, stdout);
        free(ics);
        return 0;
    }
    {
        json_t *j = schedule_list(db, name, (int)o.count, time(NULL), err);
        db_free(db);
        if (j == NULL)
            return -1;
        if (cli->json)
            return cli_print_json(j);
        print_list(j, o.count);
        json_decref(j);
    }
    return 0;
}
