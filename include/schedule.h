/*
 * schedule.h - campaign schedules: the iCalendar arithmetic (libical does
 * every recurrence and time-zone step: RRULE, EXDATE, RDATE, TZID, DST) and
 * the one stored schedule per campaign (sql/0023_schedule.sql).
 *
 * Whatever the user gave (--at TIME [--tz ZONE] [--rrule RULE], or --ics
 * FILE), it is turned into one canonical VCALENDAR with one VEVENT, stored
 * in schedules.ics; every later question (the next occurrence after t, the
 * next N) is answered from that text.
 *
 * Time zones and DST follow RFC 5545 3.3.5: an ambiguous local time is its
 * first instance, a local time inside a spring-forward gap is read with the
 * offset before the gap (a DTSTART there is refused).  Floating DTSTARTs
 * are refused.  Only FREQ=DAILY, WEEKLY, MONTHLY and YEARLY rules (no
 * BYSECOND, BYMINUTE; COUNT at most 10000).  Every function may be called
 * from any thread (libical is used under one lock).
 */
#ifndef MAILOUT_SCHEDULE_H
#define MAILOUT_SCHEDULE_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "err.h"

#define SCHEDULE_TZID_MAX 64
#define SCHEDULE_NOTE_MAX 256

/* A parsed schedule, ready to store. */
struct schedule_spec {
    char kind[8];                 /* "at", "rrule" or "ics" */
    char tzid[SCHEDULE_TZID_MAX]; /* IANA zone of the local times ("UTC") */
    time_t dtstart;               /* the first occurrence (UTC) */
    char *rrule;                  /* the RRULE value, NULL for none (owned) */
    char *ics;                    /* canonical VCALENDAR text (owned) */
    char note[SCHEDULE_NOTE_MAX]; /* what the user should hear, e.g. an ambiguous
                                     local time that took its first instance; "" */
};

void schedule_spec_free(struct schedule_spec *s);

/*
 * --at TIME [--tz ZONE] [--rrule RULE]: TIME is ISO 8601
 * YYYY-MM-DDTHH:MM[:SS], read in tz (NULL: UTC) unless it ends in Z or an
 * offset.  MO_E_INPUT (exit 65) with a clear message for a bad TIME, an
 * unknown zone, an invalid rule, a local time inside a spring-forward gap,
 * or a schedule with no occurrence after now.  An ambiguous local time
 * (fall-back) takes the first instance and says so in note.
 */
int schedule_parse_at(const char *at, const char *tz, const char *rrule, time_t now,
                      struct schedule_spec *out, struct mo_err *err);

/* --ics: text holds a VCALENDAR (or a bare VEVENT); the same checks. */
int schedule_parse_ics(const char *text, time_t now, struct schedule_spec *out, struct mo_err *err);

/*
 * The first occurrence strictly after `after`, from canonical ics text:
 * 1 with *next set, 0 when the recurrence has ended, -1 with err.
 */
int schedule_next(const char *ics, time_t after, time_t *next, struct mo_err *err);

/*
 * Up to max occurrences strictly after `after` into out[], ascending;
 * returns how many (0 when ended), -1 with err.  Occurrences are looked for
 * up to 25 years after `after` (or after DTSTART, if later): libical would
 * otherwise scan to the year 2582 for a rule that never occurs again.
 */
int schedule_upcoming(const char *ics, time_t after, time_t *out, int max, struct mo_err *err);

/*
 * Instant u as local time in the IANA zone tzid with its offset, e.g.
 * "2027-03-01T09:00:00+01:00" (out, n bytes; 40 suffice); -1 for an
 * unknown zone.
 */
int schedule_format_local(const char *tzid, time_t u, char *out, size_t n);

/* --- storage (one schedule per campaign) --- */

/*
 * Sets (replaces) the campaign's schedule; next_at becomes the first
 * occurrence after now.  MO_E_NOTFOUND for an unknown campaign.  Audited
 * (campaign.schedule).
 */
int schedule_set(struct db *db, const char *campaign, const struct schedule_spec *s,
                 const char *actor, struct mo_err *err);

/*
 * Removes the schedule (past occurrences stay recorded).  Audited when one
 * was removed.  1 removed, 0 the campaign had none, -1 with err
 * (MO_E_NOTFOUND for an unknown campaign).
 */
int schedule_clear(struct db *db, const char *campaign, const char *actor, struct mo_err *err);

/*
 * --list: {"campaign", "kind", "tzid", "dtstart", "rrule", "next_at", "next": [{"local": ISO with
 * offset, "utc": ISO Z}...] (count of them), "recorded": [{"occurs_at", "state", "reason",
 * "run"}...]} (the occurrences handled so far, skipped ones with their reason).  MO_E_NOTFOUND for
 * an unknown campaign or no schedule.
 */
json_t *schedule_list(struct db *db, const char *campaign, int count, time_t now,
                      struct mo_err *err);

/* --export: the stored VCALENDAR text (malloc'd). */
char *schedule_export(struct db *db, const char *campaign, struct mo_err *err);

#endif
