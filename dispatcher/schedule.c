/*
 * schedule.c - campaign schedules (schedule.h): libical arithmetic and the
 * stored schedule per campaign.
 *
 * issue 11 (h-ical): placeholder until the module lands.
 */
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

void schedule_spec_free(struct schedule_spec *s)
{
    free(s->rrule);
    free(s->ics);
    s->rrule = s->ics = NULL;
}

int schedule_parse_at(const char *at, const char *tz, const char *rrule, time_t now,
                      struct schedule_spec *out, struct mo_err *err)
{
    (void)at;
    (void)tz;
    (void)rrule;
    (void)now;
    memset(out, 0, sizeof(*out));
    return mo_err_set(err, MO_E_INTERNAL, "schedules are not built yet");
}

int schedule_parse_ics(const char *text, time_t now, struct schedule_spec *out,
                       struct mo_err *err)
{
    return schedule_parse_at(text, NULL, NULL, now, out, err);
}

/* Placeholder: a one-off schedule has no further occurrence. */
int schedule_next(const char *ics, time_t after, time_t *next, struct mo_err *err)
{
    (void)ics;
    (void)after;
    (void)next;
    (void)err;
    return 0;
}

int schedule_upcoming(const char *ics, time_t after, time_t *out, int max, struct mo_err *err)
{
    (void)ics;
    (void)after;
    (void)out;
    (void)max;
    (void)err;
    return 0;
}

int schedule_set(struct db *db, const char *campaign, const struct schedule_spec *s,
                 const char *actor, struct mo_err *err)
{
    (void)db;
    (void)campaign;
    (void)s;
    (void)actor;
    return mo_err_set(err, MO_E_INTERNAL, "schedules are not built yet");
}

int schedule_clear(struct db *db, const char *campaign, const char *actor, struct mo_err *err)
{
    return schedule_set(db, campaign, NULL, actor, err);
}

json_t *schedule_list(struct db *db, const char *campaign, int count, time_t now,
                      struct mo_err *err)
{
    (void)count;
    (void)now;
    schedule_set(db, campaign, NULL, NULL, err);
    return NULL;
}

char *schedule_export(struct db *db, const char *campaign, struct mo_err *err)
{
    schedule_set(db, campaign, NULL, NULL, err);
    return NULL;
}
