/*
 * schedule.c - campaign schedules (schedule.h): libical arithmetic and the
 * stored schedule per campaign.
 *
 * Owns: reading --at/--tz/--rrule and iCalendar input into one canonical
 * VCALENDAR, expanding it (libical's recurrence iterator, EXDATE, RDATE,
 * libical's zones from the system tzdata), and the schedules row of a
 * campaign.  Does not own: turning due occurrences into runs or recording
 * them (scheduler.c), printing (cli_schedule.c).
 *
 * How local times become instants.  The recurrence is expanded in floating
 * wall-clock time (libical's iterator with a zone attached moves the wall
 * clock after a spring-forward day in 3.0.16) and every wall-clock time is
 * then placed in the zone with the offsets libical reads from tzdata.
 * libical 3.0.16 itself resolves the two DST edge cases the opposite way
 * to RFC 5545 section 3.3.5 (it takes the later offset), so local_to_utc()
 * applies the RFC: an ambiguous local time (fall-back) is its first
 * instance; a local time inside a spring-forward gap is read with the
 * offset before the gap.  A DTSTART (or --at TIME) inside a gap is refused;
 * an ambiguous one is taken as its first instance and reported in the note.
 * Floating DTSTARTs (no TZID, no Z) are refused, never guessed.
 *
 * Threads: the scheduler thread and the CLI both call in; libical's
 * built-in zones are shared, lazily loaded and lazily expanded, so every
 * use of libical here holds ical_mu (see LIBRARIES.md).
 */
#include "schedule.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libical/ical.h>
#include <uuid/uuid.h>

#include "audit.h"
#include "buf.h"
#include "isotime.h"
#include "utf8.h"
#include "xalloc.h"

#define ICS_MAX            (256u * 1024)       /* an imported calendar */
#define DATES_MAX          1000                /* EXDATE and RDATE values, each */
#define COUNT_MAX          10000               /* RRULE COUNT */
#define SCAN_MAX           100000              /* iterator steps per question */
#define RRULE_MAX          1000                /* RRULE text */
#define SKIP_MARGIN        (3 * 86400)         /* how far before `after` the iterator restarts */
#define HORIZON            (25 * 366 * 86400L) /* occurrences are looked for this far ahead */
#define EDGE_WINDOW        43200               /* DST transitions are looked for within 12 h */
#define YEAR_MIN           1970                /* years libical writes and reads back */
#define YEAR_MAX           2199
#define DEFAULT_SUMMARY    "mailout campaign"
#define PRODID             "-//mailout//campaign schedule//EN"
#define SCHEDULE_SHOWN_MAX 80

static pthread_mutex_t ical_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t ical_once = PTHREAD_ONCE_INIT;

static void ical_init(void)
{
    icalerror_set_errors_are_fatal(0);
}

static void ical_lock(void)
{
    pthread_once(&ical_once, ical_init);
    pthread_mutex_lock(&ical_mu);
}

static void ical_unlock(void)
{
    pthread_mutex_unlock(&ical_mu);
}

/* A schedule read from iCalendar text or built from --at. */
struct sched {
    icaltimezone *zone; /* built-in (never freed), or libical's UTC zone */
    char tzid[SCHEDULE_TZID_MAX];
    struct icaltimetype start; /* DTSTART wall clock in zone, floating */
    time_t start_utc;
    int has_rule;
    struct icalrecurrencetype rule; /* UNTIL kept as given (UTC, or floating) */
    time_t *ex;
    int nex;
    time_t *rd;
    int nrd;
    char uid[201];
    char summary[201];
};

static void sched_release(struct sched *s)
{
    free(s->ex);
    free(s->rd);
    s->ex = s->rd = NULL;
    s->nex = s->nrd = 0;
}

/* --- zones and instants --- */

static int is_utc_zone(const icaltimezone *z)
{
    return z == icaltimezone_get_utc_timezone();
}

/* The zone's UTC offset (seconds east) at instant u. */
static int offset_at(icaltimezone *zone, time_t u)
{
    struct icaltimetype t;

    if (is_utc_zone(zone))
        return 0;
    t = icaltime_from_timet_with_zone(u, 0, icaltimezone_get_utc_timezone());
    return icaltimezone_get_utc_offset_of_utc_time(zone, &t, NULL);
}

/* The fields of a wall-clock time read as if they were UTC. */
static time_t wall_seconds(struct icaltimetype w)
{
    w.zone = NULL;
    w.is_date = 0;
    return icaltime_as_timet(w);
}

/* The wall clock of instant u in zone (floating). */
static struct icaltimetype wall_of(icaltimezone *zone, time_t u)
{
    struct icaltimetype w = icaltime_from_timet_with_zone(u, 0, zone);
    w.zone = NULL;
    return w;
}

enum edge { EDGE_NONE, EDGE_AMBIGUOUS, EDGE_GAP };

struct edge_info {
    enum edge kind;
    int off_before, off_after; /* the offsets around the transition */
    time_t change;             /* the transition instant (EDGE_GAP and EDGE_AMBIGUOUS) */
    time_t later;              /* EDGE_AMBIGUOUS: the second instance */
};

/* The instant where the zone's offset changes from a (at lo) to another (at hi). */
static time_t find_change(icaltimezone *zone, time_t lo, time_t hi, int a)
{
    while (hi - lo > 1) {
        time_t mid = lo + (hi - lo) / 2;
        if (offset_at(zone, mid) == a)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/*
 * Places wall-clock time w in zone (RFC 5545 3.3.5): the first instance of
 * an ambiguous time; the offset before the gap for a time inside one.
 */
static time_t local_to_utc(icaltimezone *zone, struct icaltimetype w, struct edge_info *ei)
{
    time_t ln = wall_seconds(w), u0, best = 0;
    int o_lib, cand[3], nvalid = 0;
    struct icaltimetype lw = w;

    if (ei)
        memset(ei, 0, sizeof(*ei));
    if (is_utc_zone(zone))
        return ln;
    lw.zone = zone;
    o_lib = icaltimezone_get_utc_offset(zone, &lw, NULL);
    u0 = ln - o_lib;
    cand[0] = offset_at(zone, u0 - EDGE_WINDOW);
    cand[1] = o_lib;
    cand[2] = offset_at(zone, u0 + EDGE_WINDOW);
    for (int i = 0; i < 3; i++) {
        time_t u = ln - cand[i];
        int dup = 0;
        for (int j = 0; j < i; j++)
            dup |= cand[j] == cand[i];
        if (dup || offset_at(zone, u) != cand[i])
            continue;
        if (nvalid == 0 || u < best) {
            if (nvalid > 0 && ei)
                ei->later = best;
            best = u;
        } else if (ei) {
            ei->later = u;
        }
        nvalid++;
    }
    if (nvalid == 1)
        return best;
    if (ei) {
        ei->kind = nvalid == 0 ? EDGE_GAP : EDGE_AMBIGUOUS;
        ei->off_before = cand[0];
        ei->off_after = cand[2];
        ei->change = find_change(zone, u0 - EDGE_WINDOW, u0 + EDGE_WINDOW, cand[0]);
    }
    if (nvalid == 0)
        return ln - cand[0]; /* inside a gap: the offset before it */
    return best;
}

/* 1 when every field of a date-time is in range (libical's parser lets month 37 through). */
static int valid_fields(struct icaltimetype t)
{
    if (t.year < YEAR_MIN || t.year > YEAR_MAX || t.month < 1 || t.month > 12 || t.day < 1 ||
        t.day > icaltime_days_in_month(t.month, t.year))
        return 0;
    return t.is_date || (t.hour >= 0 && t.hour <= 23 && t.minute >= 0 && t.minute <= 59 &&
                         t.second >= 0 && t.second <= 59);
}

/* --- formatting --- */

/* "YYYY-MM-DDTHH:MM:SS" of the fields of w. */
static void fmt_wall(char *out, size_t n, struct icaltimetype w)
{
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", w.year, w.month, w.day, w.hour, w.minute,
             w.second);
}

/* "HH:MM" of the fields of u read as UTC. */
static void fmt_hm(char *out, size_t n, time_t u)
{
    struct tm tm;
    gmtime_r(&u, &tm);
    snprintf(out, n, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

static void fmt_offset(char *out, size_t n, int off)
{
    int a = off < 0 ? -off : off;
    snprintf(out, n, "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

static void fmt_utc(char *out, size_t n, time_t u)
{
    struct tm tm;
    gmtime_r(&u, &tm);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* u as local time in zone with its offset, e.g. 2027-03-01T09:00:00+01:00. */
static void fmt_local(char *out, size_t n, icaltimezone *zone, time_t u)
{
    char w[32], o[16];
    fmt_wall(w, sizeof(w), wall_of(zone, u));
    fmt_offset(o, sizeof(o), offset_at(zone, u));
    snprintf(out, n, "%s%s", w, o);
}

/* A value from outside, quoted safely for a one-line message. */
static const char *shown(struct buf *b, const char *s)
{
    buf_reset(b);
    if (buf_put_shown(b, s, strlen(s), SCHEDULE_SHOWN_MAX) < 0)
        buf_reset(b);
    return b->s;
}

/* --- zones by name --- */

/* A built-in zone for an IANA name ("UTC" included); NULL when unknown. */
static icaltimezone *zone_by_name(const char *name)
{
    icaltimezone *z;

    if (name == NULL || *name == '\0' || strlen(name) >= SCHEDULE_TZID_MAX)
        return NULL;
    /* tzdata's posix/ and right/ copies are no IANA names (right/ counts leap seconds) */
    if (strncmp(name, "posix/", 6) == 0 || strncmp(name, "right/", 6) == 0)
        return NULL;
    /* tzdata files that name no place: the host's zone, a template, and "-00" */
    if (strcmp(name, "localtime") == 0 || strcmp(name, "posixrules") == 0 ||
        strcmp(name, "Factory") == 0)
        return NULL;
    if (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0 || strcmp(name, "Z") == 0)
        return icaltimezone_get_utc_timezone();
    z = icaltimezone_get_builtin_timezone(name);
    if (z == NULL && name[0] == '/')
        z = icaltimezone_get_builtin_timezone_from_tzid(name);
    return z;
}

/* The IANA name of a zone: "UTC" or its location. */
static const char *zone_name(icaltimezone *z)
{
    const char *loc;
    if (is_utc_zone(z))
        return "UTC";
    loc = icaltimezone_get_location(z);
    return loc ? loc : icaltimezone_get_tzid(z);
}

/*
 * The zone a TZID parameter names: an IANA name, libical's own TZIDs, or a
 * VTIMEZONE of the calendar whose LOCATION/X-LIC-LOCATION is an IANA name.
 */
static icaltimezone *zone_for_tzid(icalcomponent *root, const char *tzid)
{
    icaltimezone *z = zone_by_name(tzid);
    icalcomponent *vt;

    if (z != NULL || root == NULL)
        return z;
    for (vt = icalcomponent_get_first_component(root, ICAL_VTIMEZONE_COMPONENT); vt != NULL;
         vt = icalcomponent_get_next_component(root, ICAL_VTIMEZONE_COMPONENT)) {
        icalproperty *p = icalcomponent_get_first_property(vt, ICAL_TZID_PROPERTY);
        const char *id = p ? icalproperty_get_tzid(p) : NULL;
        char *loc;
        if (id == NULL || strcmp(id, tzid) != 0)
            continue;
        loc = icaltimezone_get_location_from_vtimezone(vt);
        if (loc != NULL) {
            z = zone_by_name(loc);
            icalmemory_free_buffer(loc);
        }
        return z;
    }
    return NULL;
}

static const char *tzid_param(icalproperty *p)
{
    icalparameter *par = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    return par ? icalparameter_get_tzid(par) : NULL;
}

/* The error for a start time w inside a spring-forward gap; -1. */
static int gap_error(const struct sched *s, struct icaltimetype w, const struct edge_info *ei,
                     struct mo_err *err)
{
    char lw[32], from[8], to[8];

    fmt_wall(lw, sizeof(lw), w);
    fmt_hm(from, sizeof(from), ei->change + ei->off_before);
    fmt_hm(to, sizeof(to), ei->change + ei->off_after);
    return mo_err_set(err, MO_E_INPUT,
                      "local time %.16s does not exist in %s: on %.10s the clocks jump from %s to "
                      "%s (the gap is %s to %s)",
                      lw, s->tzid, lw, from, to, from, to);
}

/* The note for an ambiguous start time w: the first instance was taken. */
static void ambiguous_note(char *note, size_t n, const struct sched *s, struct icaltimetype w,
                           const struct edge_info *ei)
{
    char lw[32], first[40], fu[24], later[16];
    struct buf b;

    fmt_wall(lw, sizeof(lw), w);
    fmt_local(first, sizeof(first), s->zone, s->start_utc);
    fmt_utc(fu, sizeof(fu), s->start_utc);
    fmt_offset(later, sizeof(later), ei->off_after);
    buf_init(&b, 0);
    buf_printf(&b,
               "local time %.16s occurs twice in %s (the clocks go back): taking the first, %s "
               "(%s), not the one at %s",
               lw, s->tzid, first, fu, later);
    if (snprintf(note, n, "%s", b.s) >= (int)n && n > 4)
        memcpy(note + n - 4, "...", 4);
    buf_release(&b);
}

/* --- rules --- */

static const char *const rule_parts[] = {
    "FREQ",  "UNTIL",      "COUNT",     "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR",
    "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH",  "BYSETPOS", "WKST"};

/* Names the first part of text libical refuses; err set. */
static int rule_blame(const char *text, struct mo_err *err)
{
    struct buf b, part;
    const char *p = text;
    int rc = -1, has_freq = 0, has_count = 0, has_until = 0;

    buf_init(&b, 0);
    buf_init(&part, RRULE_MAX + 16);
    while (*p) {
        const char *end = strchr(p, ';');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        size_t known = 0;
        buf_reset(&part);
        buf_add(&part, p, n);
        if (n == 0) {
            p = end ? end + 1 : p + n;
            continue;
        }
        if (eq != NULL)
            for (size_t i = 0; i < sizeof(rule_parts) / sizeof(rule_parts[0]); i++)
                if (strlen(rule_parts[i]) == (size_t)(eq - p) &&
                    strncasecmp(p, rule_parts[i], (size_t)(eq - p)) == 0)
                    known = i + 1;
        if (!known) {
            mo_err_set(
                err, MO_E_INPUT,
                "invalid RRULE: unknown part '%s' (parts are NAME=VALUE: FREQ, UNTIL, COUNT, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYSETPOS, ...)",
                shown(&b, part.s));
            goto out;
        }
        has_freq |= known == 1;
        has_until |= known == 2;
        has_count |= known == 3;
        {
            struct buf probe;
            struct icalrecurrencetype r;
            buf_init(&probe, RRULE_MAX + 32);
            if (known != 1)
                buf_puts(&probe, "FREQ=DAILY;");
            buf_puts(&probe, part.s);
            icalerror_clear_errno();
            r = icalrecurrencetype_from_string(probe.s);
            buf_release(&probe);
            if (r.freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
                icalerror_clear_errno();
                mo_err_set(err, MO_E_INPUT, "invalid RRULE part '%s'", shown(&b, part.s));
                goto out;
            }
        }
        p = end ? end + 1 : p + n;
    }
    if (!has_freq)
        mo_err_set(err, MO_E_INPUT, "invalid RRULE '%s': FREQ is missing (e.g. FREQ=WEEKLY)",
                   shown(&b, text));
    else if (has_count && has_until)
        mo_err_set(err, MO_E_INPUT, "RRULE '%s': COUNT and UNTIL cannot both be given",
                   shown(&b, text));
    else
        mo_err_set(err, MO_E_INPUT, "invalid RRULE '%s'", shown(&b, text));
out:
    buf_release(&part);
    buf_release(&b);
    return rc;
}

/* Checks what mailout accepts of a rule libical parsed; err set when refused. */
static int rule_check(const struct icalrecurrencetype *r, const char *text, struct mo_err *err)
{
    struct buf b;
    int rc = -1;

    buf_init(&b, 0);
    if (r->freq != ICAL_DAILY_RECURRENCE && r->freq != ICAL_WEEKLY_RECURRENCE &&
        r->freq != ICAL_MONTHLY_RECURRENCE && r->freq != ICAL_YEARLY_RECURRENCE) {
        mo_err_set(err, MO_E_INPUT,
                   "RRULE '%s': FREQ=%s is not supported: a campaign runs at most daily "
                   "(FREQ=DAILY, WEEKLY, MONTHLY or YEARLY; BYHOUR for several times a day)",
                   shown(&b, text), icalrecur_freq_to_string(r->freq));
        goto out;
    }
    if (r->by_second[0] != ICAL_RECURRENCE_ARRAY_MAX ||
        r->by_minute[0] != ICAL_RECURRENCE_ARRAY_MAX) {
        mo_err_set(err, MO_E_INPUT,
                   "RRULE '%s': BYSECOND and BYMINUTE are not supported (the minute comes from "
                   "the start time)",
                   shown(&b, text));
        goto out;
    }
    if (!icaltime_is_null_time(r->until) && !valid_fields(r->until)) {
        mo_err_set(err, MO_E_INPUT, "RRULE '%s': invalid UNTIL (a date-time from %d to %d)",
                   shown(&b, text), YEAR_MIN, YEAR_MAX);
        goto out;
    }
    if (r->count < 0 || r->count > COUNT_MAX) {
        mo_err_set(err, MO_E_INPUT, "RRULE '%s': COUNT must be 1 to %d", shown(&b, text),
                   COUNT_MAX);
        goto out;
    }
    if (r->count > 0 && !icaltime_is_null_time(r->until)) {
        mo_err_set(err, MO_E_INPUT, "RRULE '%s': COUNT and UNTIL cannot both be given",
                   shown(&b, text));
        goto out;
    }
    if (r->interval < 1 || r->interval > 1000) {
        mo_err_set(err, MO_E_INPUT, "RRULE '%s': INTERVAL must be 1 to 1000", shown(&b, text));
        goto out;
    }
    {
        /* occurrences further apart than the horizon would end the schedule after its first */
        long days = r->freq == ICAL_DAILY_RECURRENCE     ? 1
                    : r->freq == ICAL_WEEKLY_RECURRENCE  ? 7
                    : r->freq == ICAL_MONTHLY_RECURRENCE ? 31
                                                         : 366;
        if (days * r->interval * 86400L > HORIZON) {
            mo_err_set(err, MO_E_INPUT,
                       "RRULE '%s': INTERVAL=%d puts occurrences more than %ld years apart "
                       "(mailout looks that far ahead)",
                       shown(&b, text), (int)r->interval, HORIZON / (366 * 86400L));
            goto out;
        }
    }
    rc = 0;
out:
    buf_release(&b);
    return rc;
}

/* Parses rule text with libical; err names what is wrong. */
static int rule_parse(const char *text, struct icalrecurrencetype *out, struct mo_err *err)
{
    struct buf b;

    if (strlen(text) > RRULE_MAX) {
        buf_init(&b, 0);
        mo_err_set(err, MO_E_INPUT, "RRULE '%s' is longer than %d characters", shown(&b, text),
                   RRULE_MAX);
        buf_release(&b);
        return -1;
    }
    if (strncasecmp(text, "RRULE:", 6) == 0)
        text += 6;
    icalerror_clear_errno();
    *out = icalrecurrencetype_from_string(text);
    if (out->freq == ICAL_NO_RECURRENCE || icalerrno != ICAL_NO_ERROR) {
        icalerror_clear_errno();
        return rule_blame(text, err);
    }
    return rule_check(out, text, err);
}

/* --- expansion --- */

static int cmp_time(const void *a, const void *b)
{
    time_t x = *(const time_t *)a, y = *(const time_t *)b;
    return x < y ? -1 : x > y;
}

static int excluded(const struct sched *s, time_t u)
{
    return s->nex > 0 && bsearch(&u, s->ex, (size_t)s->nex, sizeof(time_t), cmp_time) != NULL;
}

/* The rule's occurrences (or DTSTART alone) one by one. */
struct rule_src {
    const struct sched *s;
    icalrecur_iterator *it;
    int steps;
    int done;
};

/* 1 with *u set, 0 when the rule has no more occurrences. */
static int rule_next(struct rule_src *rs, time_t *u)
{
    struct icaltimetype o;

    if (rs->done)
        return 0;
    if (rs->it == NULL) { /* no rule: DTSTART once */
        rs->done = 1;
        *u = rs->s->start_utc;
        return 1;
    }
    if (++rs->steps > SCAN_MAX || icaltime_is_null_time(o = icalrecur_iterator_next(rs->it))) {
        rs->done = 1;
        return 0;
    }
    *u = local_to_utc(rs->s->zone, o, NULL);
    return 1;
}

/*
 * Up to max occurrences strictly after `after`, ascending, without
 * duplicates: the rule's (or DTSTART alone), plus RDATEs, less EXDATEs.
 */
static int expand(const struct sched *s, time_t after, time_t *out, int max, struct mo_err *err)
{
    struct rule_src rs = {s, NULL, 0, 0};
    int n = 0, ri = 0, have;
    time_t rv = 0, last = 0;

    if (max <= 0)
        return 0;
    if (s->has_rule) {
        struct icalrecurrencetype r = s->rule;
        struct icaltimetype cap =
            wall_of(s->zone, (after > s->start_utc ? after : s->start_utc) + HORIZON);
        if (!icaltime_is_null_time(r.until) && icaltime_is_utc(r.until))
            r.until = wall_of(s->zone,
                              icaltime_as_timet(r.until)); /* the iterator compares wall clocks */
        /* a rule that never occurs again would make libical scan to the year 2582 */
        if (icaltime_is_null_time(r.until) || icaltime_compare(r.until, cap) > 0)
            r.until = cap;
        rs.it = icalrecur_iterator_new(r, s->start);
        icalerror_clear_errno();
        if (rs.it == NULL)
            return mo_err_set(err, MO_E_INPUT,
                              "the schedule's RRULE cannot be expanded from its DTSTART");
        if (r.count == 0 && after - SKIP_MARGIN > s->start_utc)
            icalrecur_iterator_set_start(rs.it, wall_of(s->zone, after - SKIP_MARGIN));
    }
    have = rule_next(&rs, &rv);
    while (n < max && (have || ri < s->nrd)) {
        time_t cand;
        if (have && (ri >= s->nrd || rv <= s->rd[ri])) {
            cand = rv;
            have = rule_next(&rs, &rv);
        } else {
            cand = s->rd[ri++];
        }
        if (cand <= after || excluded(s, cand) || (n > 0 && cand <= last))
            continue;
        out[n++] = last = cand;
    }
    if (rs.it != NULL)
        icalrecur_iterator_free(rs.it);
    return n;
}

/* --- reading iCalendar --- */

/* Appends a date-time property's value (EXDATE/RDATE) as an instant. */
static int add_date(icalcomponent *root, const struct sched *s, icalproperty *p,
                    struct icaltimetype t, const char *what, time_t **arr, int *n,
                    struct mo_err *err)
{
    icaltimezone *z;
    const char *tzid = tzid_param(p);
    struct buf b;
    int rc = -1;

    buf_init(&b, 0);
    if (*n >= DATES_MAX) {
        mo_err_set(err, MO_E_INPUT, "more than %d %s values", DATES_MAX, what);
        goto out;
    }
    if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t)) {
        mo_err_set(err, MO_E_INPUT, "invalid %s value", what);
        goto out;
    }
    if (!valid_fields(t)) {
        mo_err_set(err, MO_E_INPUT, "invalid %s value (a date-time from %d to %d)", what, YEAR_MIN,
                   YEAR_MAX);
        goto out;
    }
    if (t.is_date) {
        mo_err_set(
            err, MO_E_INPUT,
            "%s %04d-%02d-%02d is a date without a time of day: give a date-time such as %04d%02d%02dT090000",
            what, t.year, t.month, t.day, t.year, t.month, t.day);
        goto out;
    }
    if (icaltime_is_utc(t))
        z = icaltimezone_get_utc_timezone();
    else if (tzid != NULL) {
        if ((z = zone_for_tzid(root, tzid)) == NULL) {
            mo_err_set(err, MO_E_INPUT, "unknown time zone '%s' (%s TZID)", shown(&b, tzid), what);
            goto out;
        }
    } else {
        z = s->zone; /* floating: read in DTSTART's zone */
    }
    if (*n == 0)
        *arr = xmalloc(DATES_MAX * sizeof(time_t));
    (*arr)[(*n)++] = local_to_utc(z, t, NULL);
    rc = 0;
out:
    buf_release(&b);
    return rc;
}

/* Sorts and removes duplicates. */
static void sort_unique(time_t *a, int *n)
{
    int k = 0;
    if (*n == 0)
        return;
    qsort(a, (size_t)*n, sizeof(time_t), cmp_time);
    for (int i = 1; i < *n; i++)
        if (a[i] != a[k])
            a[++k] = a[i];
    *n = k + 1;
}

/*
 * 1 when a TEXT value may be stored and exported: no control character but
 * tab (and line feed, written back as \\n, when lf): RFC 5545 3.3.11.
 */
static int text_ok(const char *m, int lf)
{
    for (const unsigned char *c = (const unsigned char *)m; *c; c++)
        if ((*c < 0x20 && *c != '\t' && !(lf && *c == '\n')) || *c == 0x7f)
            return 0;
    return 1;
}

/* The first X-LIC-ERROR message of c or its children, or NULL. */
static const char *first_error(icalcomponent *c)
{
    icalproperty *p = icalcomponent_get_first_property(c, ICAL_XLICERROR_PROPERTY);
    icalcomponent *k;
    if (p != NULL)
        return icalproperty_get_xlicerror(p);
    for (k = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); k != NULL;
         k = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
        const char *m = first_error(k);
        if (m != NULL)
            return m;
    }
    return NULL;
}

/*
 * Reads iCalendar text into s (a VCALENDAR with one VEVENT, or a bare
 * VEVENT).  With edges, a DTSTART in a gap is refused and an ambiguous one
 * noted (note, n bytes).
 */
static int sched_read(const char *text, struct sched *s, char *note, size_t n, struct mo_err *err)
{
    icalcomponent *root = NULL, *ev = NULL;
    icalproperty *p;
    struct icaltimetype t;
    struct buf b;
    const char *tzid, *m;
    int rc = -1, nev = 0;

    memset(s, 0, sizeof(*s));
    buf_init(&b, 0);
    if (strlen(text) > ICS_MAX) {
        mo_err_set(err, MO_E_INPUT, "calendar larger than %u bytes", ICS_MAX);
        goto out;
    }
    if (!utf8_valid_str(text)) {
        mo_err_set(err, MO_E_INPUT, "calendar is not valid UTF-8 (RFC 5545 text is UTF-8)");
        goto out;
    }
    icalerror_clear_errno();
    root = icalparser_parse_string(text);
    icalerror_clear_errno();
    if (root == NULL) {
        mo_err_set(err, MO_E_INPUT,
                   "not an iCalendar object (expected BEGIN:VCALENDAR or BEGIN:VEVENT)");
        goto out;
    }
    if (icalcomponent_isa(root) == ICAL_VEVENT_COMPONENT) {
        ev = root;
        nev = 1;
    } else if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
        for (icalcomponent *c = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT);
             c != NULL; c = icalcomponent_get_next_component(root, ICAL_VEVENT_COMPONENT)) {
            if (nev++ == 0)
                ev = c;
        }
    }
    if (nev != 1) {
        mo_err_set(err, MO_E_INPUT, "the calendar must hold exactly one VEVENT (it holds %d)", nev);
        goto out;
    }
    if (icalcomponent_count_errors(root) > 0) {
        m = first_error(root);
        mo_err_set(err, MO_E_INPUT, "invalid iCalendar: %s",
                   shown(&b, m ? m : "a malformed property"));
        goto out;
    }
    if (icalcomponent_get_first_property(ev, ICAL_EXRULE_PROPERTY) != NULL) {
        mo_err_set(err, MO_E_INPUT, "EXRULE is not supported (use EXDATE)");
        goto out;
    }
    if ((p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY)) == NULL) {
        mo_err_set(err, MO_E_INPUT, "the VEVENT has no DTSTART");
        goto out;
    }
    if (icalcomponent_get_next_property(ev, ICAL_DTSTART_PROPERTY) != NULL) {
        mo_err_set(err, MO_E_INPUT, "the VEVENT has more than one DTSTART");
        goto out;
    }
    t = icalproperty_get_dtstart(p);
    if (icaltime_is_null_time(t) || !icaltime_is_valid_time(t)) {
        mo_err_set(err, MO_E_INPUT, "invalid DTSTART");
        goto out;
    }
    if (!valid_fields(t)) {
        mo_err_set(err, MO_E_INPUT, "invalid DTSTART (a date-time from %d to %d)", YEAR_MIN,
                   YEAR_MAX);
        goto out;
    }
    if (t.is_date) {
        mo_err_set(
            err, MO_E_INPUT,
            "DTSTART %04d-%02d-%02d is a date without a time of day (an all-day event): give DTSTART;TZID=Zone:%04d%02d%02dT090000",
            t.year, t.month, t.day, t.year, t.month, t.day);
        goto out;
    }
    tzid = tzid_param(p);
    if (icaltime_is_utc(t)) {
        s->zone = icaltimezone_get_utc_timezone();
    } else if (tzid != NULL) {
        if ((s->zone = zone_for_tzid(root, tzid)) == NULL) {
            mo_err_set(
                err, MO_E_INPUT,
                "unknown time zone '%s' (DTSTART TZID): use an IANA name such as Europe/Paris",
                shown(&b, tzid));
            goto out;
        }
    } else {
        mo_err_set(
            err, MO_E_INPUT,
            "DTSTART is a floating time (no TZID, no Z): mailout does not guess its zone; give DTSTART;TZID=Zone:... or a UTC time ending in Z");
        goto out;
    }
    snprintf(s->tzid, sizeof(s->tzid), "%s", zone_name(s->zone));
    t.zone = NULL;
    s->start = t;
    {
        struct edge_info ei;
        char w[32];
        s->start_utc = local_to_utc(s->zone, t, &ei);
        fmt_wall(w, sizeof(w), t);
        if (ei.kind == EDGE_GAP && note != NULL) {
            gap_error(s, t, &ei, err);
            goto out;
        }
        if (ei.kind == EDGE_AMBIGUOUS && note != NULL)
            ambiguous_note(note, n, s, t, &ei);
    }
    if ((p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY)) != NULL) {
        char *txt;
        if (icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY) != NULL) {
            mo_err_set(err, MO_E_INPUT, "more than one RRULE is not supported");
            goto out;
        }
        s->rule = icalproperty_get_rrule(p);
        txt = icalrecurrencetype_as_string_r(&s->rule);
        rc = txt ? rule_check(&s->rule, txt, err) : mo_err_set(err, MO_E_INPUT, "invalid RRULE");
        icalmemory_free_buffer(txt);
        if (rc < 0)
            goto out;
        rc = -1;
        s->has_rule = 1;
    }
    for (p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p != NULL;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY))
        if (add_date(root, s, p, icalproperty_get_exdate(p), "EXDATE", &s->ex, &s->nex, err) < 0)
            goto out;
    for (p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p != NULL;
         p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY)) {
        struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
        struct icaltimetype rt = icaltime_is_null_time(dp.time) ? dp.period.start : dp.time;
        if (add_date(root, s, p, rt, "RDATE", &s->rd, &s->nrd, err) < 0)
            goto out;
    }
    sort_unique(s->ex, &s->nex);
    sort_unique(s->rd, &s->nrd);
    if ((p = icalcomponent_get_first_property(ev, ICAL_UID_PROPERTY)) != NULL &&
        (m = icalproperty_get_uid(p)) != NULL) {
        if (!text_ok(m, 0)) {
            mo_err_set(err, MO_E_INPUT, "UID '%s' holds a control character", shown(&b, m));
            goto out;
        }
        if (strlen(m) < sizeof(s->uid))
            snprintf(s->uid, sizeof(s->uid), "%s", m);
    }
    if ((p = icalcomponent_get_first_property(ev, ICAL_SUMMARY_PROPERTY)) != NULL &&
        (m = icalproperty_get_summary(p)) != NULL) {
        if (!text_ok(m, 1)) {
            mo_err_set(err, MO_E_INPUT, "SUMMARY '%s' holds a control character", shown(&b, m));
            goto out;
        }
        if (strlen(m) < sizeof(s->summary))
            snprintf(s->summary, sizeof(s->summary), "%s", m);
    }
    rc = 0;
out:
    if (root != NULL)
        icalcomponent_free(root);
    if (rc < 0)
        sched_release(s);
    buf_release(&b);
    icalerror_clear_errno();
    return rc;
}

/* --- writing the canonical calendar --- */

/* A date-time property in the schedule's zone (DTSTART;TZID=, or UTC with Z). */
static void set_zoned(icalproperty *p, const struct sched *s)
{
    if (!is_utc_zone(s->zone))
        icalproperty_add_parameter(p, icalparameter_new_tzid(s->tzid));
}

static struct icaltimetype zoned_value(const struct sched *s, struct icaltimetype w)
{
    if (is_utc_zone(s->zone))
        return icaltime_from_timet_with_zone(wall_seconds(w), 0, icaltimezone_get_utc_timezone());
    w.zone = NULL;
    return w;
}

/* The canonical VCALENDAR text (malloc'd). */
static char *sched_render(const struct sched *s, time_t now)
{
    icalcomponent *cal, *ev;
    icalproperty *p;
    char *txt, *out;
    char uid[sizeof(s->uid)];

    if (s->uid[0]) {
        snprintf(uid, sizeof(uid), "%s", s->uid);
    } else {
        uuid_t u;
        char us[37];
        uuid_generate_random(u);
        uuid_unparse_lower(u, us);
        snprintf(uid, sizeof(uid), "%s@mailout", us);
    }
    ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    icalcomponent_add_property(ev, icalproperty_new_uid(uid));
    icalcomponent_add_property(ev, icalproperty_new_dtstamp(icaltime_from_timet_with_zone(
                                       now, 0, icaltimezone_get_utc_timezone())));
    p = icalproperty_new_dtstart(zoned_value(s, s->start));
    set_zoned(p, s);
    icalcomponent_add_property(ev, p);
    if (s->has_rule) {
        struct icalrecurrencetype r = s->rule;
        if (!icaltime_is_null_time(r.until) && !icaltime_is_utc(r.until) && !r.until.is_date) {
            /* RFC 5545: with a zoned DTSTART, UNTIL is given in UTC */
            time_t uu = local_to_utc(s->zone, r.until, NULL);
            r.until = icaltime_from_timet_with_zone(uu, 0, icaltimezone_get_utc_timezone());
        }
        icalcomponent_add_property(ev, icalproperty_new_rrule(r));
    }
    for (int i = 0; i < s->nex; i++) {
        p = icalproperty_new_exdate(zoned_value(s, wall_of(s->zone, s->ex[i])));
        set_zoned(p, s);
        icalcomponent_add_property(ev, p);
    }
    for (int i = 0; i < s->nrd; i++) {
        struct icaldatetimeperiodtype dp;
        memset(&dp, 0, sizeof(dp));
        dp.time = zoned_value(s, wall_of(s->zone, s->rd[i]));
        dp.period = icalperiodtype_null_period();
        p = icalproperty_new_rdate(dp);
        set_zoned(p, s);
        icalcomponent_add_property(ev, p);
    }
    icalcomponent_add_property(
        ev, icalproperty_new_summary(s->summary[0] ? s->summary : DEFAULT_SUMMARY));
    cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_prodid(PRODID),
                              icalproperty_new_version("2.0"), ev, (void *)0);
    txt = icalcomponent_as_ical_string_r(cal);
    out = xstrdup(txt ? txt : "");
    icalmemory_free_buffer(txt);
    icalcomponent_free(cal);
    return out;
}

/* Fills the spec from s (ics rendered here). */
static void spec_fill(struct schedule_spec *out, const char *kind, const struct sched *s,
                      time_t now)
{
    snprintf(out->kind, sizeof(out->kind), "%s", kind);
    snprintf(out->tzid, sizeof(out->tzid), "%s", s->tzid);
    out->dtstart = s->start_utc;
    if (s->has_rule) {
        struct icalrecurrencetype r = s->rule;
        char *txt;
        if (!icaltime_is_null_time(r.until) && !icaltime_is_utc(r.until) && !r.until.is_date) {
            time_t uu = local_to_utc(s->zone, r.until, NULL);
            r.until = icaltime_from_timet_with_zone(uu, 0, icaltimezone_get_utc_timezone());
        }
        txt = icalrecurrencetype_as_string_r(&r);
        out->rrule = xstrdup(txt ? txt : "");
        icalmemory_free_buffer(txt);
    }
    out->ics = sched_render(s, now);
}

/* The checks every new schedule passes: something happens after now. */
static int check_future(const struct sched *s, time_t now, char *note, size_t n, struct mo_err *err)
{
    time_t first;
    int k = expand(s, now, &first, 1, err);
    char w[32], u[24];

    if (k < 0)
        return -1;
    fmt_wall(w, sizeof(w), s->start);
    fmt_utc(u, sizeof(u), s->start_utc);
    if (k == 0) {
        if (s->has_rule || s->nrd > 0)
            return mo_err_set(err, MO_E_INPUT,
                              "the schedule has no occurrence after now: starting %s %s (%s), "
                              "its rule has ended or never occurs",
                              w, s->tzid, u);
        return mo_err_set(err, MO_E_INPUT, "time %s %s (%s) is in the past", w, s->tzid, u);
    }
    if (s->has_rule && s->nrd == 0 && s->start_utc > now && first != s->start_utc &&
        !excluded(s, s->start_utc) && note != NULL && note[0] == '\0') {
        char f[40];
        fmt_local(f, sizeof(f), s->zone, first);
        snprintf(note, n, "the start time %s does not match the rule: the first occurrence is %s",
                 w, f);
    }
    return 0;
}

/* --- public: parsing --- */

void schedule_spec_free(struct schedule_spec *s)
{
    free(s->rrule);
    free(s->ics);
    s->rrule = s->ics = NULL;
}

/* Reads YYYY-MM-DDTHH:MM[:SS] with an optional Z or +HH:MM; -1 if malformed. */
static int parse_time(const char *at, struct icaltimetype *w, int *has_off, int *off)
{
    char date[11];
    const char *p;
    int y, mo, d, h, mi, s = 0;

    memset(w, 0, sizeof(*w));
    *has_off = 0;
    *off = 0;
    if (strlen(at) < 16 || (at[10] != 'T' && at[10] != 't' && at[10] != ' '))
        return -1;
    memcpy(date, at, 10);
    date[10] = '\0';
    if (isodate_parse(date, &y, &mo, &d) < 0)
        return -1;
    p = at + 11;
#define DIG2(q) ((q)[0] >= '0' && (q)[0] <= '9' && (q)[1] >= '0' && (q)[1] <= '9')
    if (!DIG2(p) || p[2] != ':' || !DIG2(p + 3))
        return -1;
    h = (p[0] - '0') * 10 + (p[1] - '0');
    mi = (p[3] - '0') * 10 + (p[4] - '0');
    p += 5;
    if (*p == ':') {
        if (!DIG2(p + 1))
            return -1;
        s = (p[1] - '0') * 10 + (p[2] - '0');
        p += 3;
    }
    if (*p == 'Z' || *p == 'z') {
        *has_off = 1;
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om = 0, sign = *p == '-' ? -1 : 1;
        if (!DIG2(p + 1))
            return -1;
        oh = (p[1] - '0') * 10 + (p[2] - '0');
        p += 3;
        if (*p == ':')
            p++;
        if (*p) {
            if (!DIG2(p))
                return -1;
            om = (p[0] - '0') * 10 + (p[1] - '0');
            p += 2;
        }
        if (oh > 14 || om > 59)
            return -1;
        *has_off = 1;
        *off = sign * (oh * 3600 + om * 60);
    }
#undef DIG2
    if (*p != '\0' || h > 23 || mi > 59 || s > 59)
        return -1;
    w->year = y;
    w->month = mo;
    w->day = d;
    w->hour = h;
    w->minute = mi;
    w->second = s;
    return 0;
}

static int parse_at_locked(const char *at, const char *tz, const char *rrule, time_t now,
                           struct schedule_spec *out, struct mo_err *err)
{
    struct sched s;
    struct icaltimetype w;
    struct buf b;
    int has_off, off, rc = -1;

    memset(&s, 0, sizeof(s));
    buf_init(&b, 0);
    if (parse_time(at, &w, &has_off, &off) < 0) {
        mo_err_set(err, MO_E_INPUT,
                   "invalid time '%s' (--at): expected YYYY-MM-DDTHH:MM[:SS], optionally ending "
                   "in Z or an offset such as +01:00",
                   shown(&b, at));
        goto out;
    }
    if (w.year < YEAR_MIN || w.year > YEAR_MAX) {
        mo_err_set(err, MO_E_INPUT, "time '%s' (--at): the year must be %d to %d", shown(&b, at),
                   YEAR_MIN, YEAR_MAX);
        goto out;
    }
    if (tz != NULL) {
        if ((s.zone = zone_by_name(tz)) == NULL) {
            mo_err_set(err, MO_E_INPUT,
                       "unknown time zone '%s' (--tz): use an IANA name such as Europe/Paris",
                       shown(&b, tz));
            goto out;
        }
    } else {
        s.zone = icaltimezone_get_utc_timezone();
    }
    snprintf(s.tzid, sizeof(s.tzid), "%s", zone_name(s.zone));
    if (rrule != NULL) {
        if (rule_parse(rrule, &s.rule, err) < 0)
            goto out;
        s.has_rule = 1;
    }
    if (has_off) {
        /* an instant: shown in the zone, whose wall clock the rule keeps */
        time_t u = wall_seconds(w) - off;
        s.start = wall_of(s.zone, u);
        s.start_utc = local_to_utc(s.zone, s.start, NULL);
        if (s.start_utc != u) {
            char lw[32];
            fmt_wall(lw, sizeof(lw), s.start);
            if (s.has_rule) {
                mo_err_set(err, MO_E_INPUT,
                           "time '%s' is the second %.16s in %s (the clocks go back) and a rule "
                           "repeats wall-clock times, which name the first: give another time",
                           shown(&b, at), lw, s.tzid);
                goto out;
            }
            /* a one-off: kept exactly, in UTC */
            s.zone = icaltimezone_get_utc_timezone();
            snprintf(s.tzid, sizeof(s.tzid), "UTC");
            s.start = wall_of(s.zone, u);
            s.start_utc = u;
        }
    } else {
        struct edge_info ei;
        char lw[32];
        s.start = w;
        s.start_utc = local_to_utc(s.zone, w, &ei);
        fmt_wall(lw, sizeof(lw), w);
        if (ei.kind == EDGE_GAP) {
            gap_error(&s, w, &ei, err);
            goto out;
        }
        if (ei.kind == EDGE_AMBIGUOUS)
            ambiguous_note(out->note, sizeof(out->note), &s, w, &ei);
    }
    if (check_future(&s, now, out->note, sizeof(out->note), err) < 0)
        goto out;
    spec_fill(out, s.has_rule ? "rrule" : "at", &s, now);
    rc = 0;
out:
    sched_release(&s);
    buf_release(&b);
    icalerror_clear_errno();
    return rc;
}

int schedule_parse_at(const char *at, const char *tz, const char *rrule, time_t now,
                      struct schedule_spec *out, struct mo_err *err)
{
    int rc;

    memset(out, 0, sizeof(*out));
    ical_lock();
    rc = parse_at_locked(at, tz, rrule, now, out, err);
    ical_unlock();
    if (rc < 0)
        schedule_spec_free(out);
    return rc;
}

int schedule_parse_ics(const char *text, time_t now, struct schedule_spec *out, struct mo_err *err)
{
    struct sched s;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    ical_lock();
    if (sched_read(text, &s, out->note, sizeof(out->note), err) < 0)
        goto out;
    if (check_future(&s, now, out->note, sizeof(out->note), err) == 0) {
        spec_fill(out, "ics", &s, now);
        rc = 0;
    }
    sched_release(&s);
out:
    ical_unlock();
    if (rc < 0)
        schedule_spec_free(out);
    return rc;
}

/* --- public: expansion --- */

int schedule_upcoming(const char *ics, time_t after, time_t *out, int max, struct mo_err *err)
{
    struct sched s;
    int n;

    ical_lock();
    if (sched_read(ics, &s, NULL, 0, err) < 0) {
        ical_unlock();
        return -1;
    }
    n = expand(&s, after, out, max, err);
    sched_release(&s);
    ical_unlock();
    return n;
}

int schedule_next(const char *ics, time_t after, time_t *next, struct mo_err *err)
{
    int n = schedule_upcoming(ics, after, next, 1, err);
    return n < 0 ? -1 : n > 0;
}

int schedule_format_local(const char *tzid, time_t u, char *out, size_t n)
{
    icaltimezone *z;
    int rc = -1;

    ical_lock();
    if ((z = zone_by_name(tzid)) != NULL) {
        fmt_local(out, n, z, u);
        rc = 0;
    }
    ical_unlock();
    return rc;
}

/* --- storage --- */

static void iso_utc(char *out, size_t n, time_t u)
{
    fmt_utc(out, n, u);
}

/* The campaign's id into cid; MO_E_NOTFOUND when unknown. */
static int campaign_id(struct db *db, const char *campaign, char cid[24], struct mo_err *err)
{
    const char *p[] = {campaign};
    PGresult *r = db_exec(db, Q_SCHED_CAMPAIGN, p, 1, err);
    if (r == NULL)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return mo_err_set(err, MO_E_NOTFOUND, "unknown campaign '%s'", campaign);
    }
    snprintf(cid, 24, "%s", db_val(r, 0, "id"));
    PQclear(r);
    return 0;
}

int schedule_set(struct db *db, const char *campaign, const struct schedule_spec *s,
                 const char *actor, struct mo_err *err)
{
    char cid[24], dtstart[32], next_s[32];
    time_t now = time(NULL), next;
    int k;

    if (s == NULL || s->ics == NULL)
        return mo_err_set(err, MO_E_INTERNAL, "schedule_set without a schedule");
    if ((k = schedule_next(s->ics, now, &next, err)) < 0)
        return -1;
    if (k == 0)
        return mo_err_set(err, MO_E_INPUT, "the schedule has no occurrence after now");
    iso_utc(dtstart, sizeof(dtstart), s->dtstart);
    iso_utc(next_s, sizeof(next_s), next);
    if (db_begin(db, err) < 0)
        return -1;
    if (campaign_id(db, campaign, cid, err) < 0)
        goto fail;
    {
        const char *p[] = {cid, s->kind, dtstart, s->tzid, s->rrule, s->ics, next_s};
        if (db_run(db, Q_SCHED_UPSERT, p, 7, err) < 0)
            goto fail;
    }
    if (audit_append_json(db, actor, "campaign.schedule", campaign,
                          json_pack("{s:s, s:s, s:s, s:s?, s:s}", "kind", s->kind, "tzid", s->tzid,
                                    "dtstart", dtstart, "rrule", s->rrule, "next_at", next_s),
                          err) < 0)
        goto fail;
    return db_commit(db, err);
fail:
    db_rollback(db);
    return -1;
}

int schedule_clear(struct db *db, const char *campaign, const char *actor, struct mo_err *err)
{
    char cid[24];
    PGresult *r;
    int had;

    if (db_begin(db, err) < 0)
        return -1;
    if (campaign_id(db, campaign, cid, err) < 0)
        goto fail;
    {
        const char *p[] = {cid};
        if ((r = db_exec(db, Q_SCHED_DELETE, p, 1, err)) == NULL)
            goto fail;
        had = PQntuples(r) > 0;
        PQclear(r);
    }
    if (had &&
        audit_append_json(db, actor, "campaign.schedule_clear", campaign, json_pack("{}"), err) < 0)
        goto fail;
    if (db_commit(db, err) < 0)
        return -1;
    return had;
fail:
    db_rollback(db);
    return -1;
}

/* The stored schedule of a campaign (Q_SCHED_GET), or NULL with err. */
static PGresult *schedule_row(struct db *db, const char *campaign, struct mo_err *err)
{
    char cid[24];
    PGresult *r;

    if (campaign_id(db, campaign, cid, err) < 0)
        return NULL;
    const char *p[] = {cid};
    if ((r = db_exec(db, Q_SCHED_GET, p, 1, err)) == NULL)
        return NULL;
    if (PQntuples(r) == 0) {
        PQclear(r);
        mo_err_set(err, MO_E_NOTFOUND, "campaign '%s' has no schedule", campaign);
        return NULL;
    }
    return r;
}

json_t *schedule_list(struct db *db, const char *campaign, int count, time_t now,
                      struct mo_err *err)
{
    char cid[24];
    PGresult *r = NULL;
    json_t *j = NULL, *next, *rec;
    time_t *occ = NULL;
    int n;

    if (count < 0 || count > 1000) {
        mo_err_set(err, MO_E_USAGE, "--count must be 0 to 1000");
        return NULL;
    }
    if ((r = schedule_row(db, campaign, err)) == NULL)
        return NULL;
    snprintf(cid, sizeof(cid), "%s", db_val(r, 0, "campaign_id"));
    occ = xcalloc((size_t)(count > 0 ? count : 1), sizeof(time_t));
    if ((n = schedule_upcoming(db_val(r, 0, "ics"), now, occ, count, err)) < 0)
        goto fail;
    j = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:o, s:o}", "campaign", campaign, "kind",
                  db_val(r, 0, "kind"), "tzid", db_val(r, 0, "tzid"), "dtstart",
                  db_val(r, 0, "dtstart_utc"), "rrule",
                  db_isnull(r, 0, "rrule") ? NULL : db_val(r, 0, "rrule"), "next", json_array(),
                  "recorded", json_array());
    if (j == NULL) {
        mo_err_set(err, MO_E_INTERNAL, "out of memory building the schedule list");
        goto fail;
    }
    json_object_set_new(j, "next_at",
                        db_isnull(r, 0, "next_at_utc") ? json_null()
                                                       : json_string(db_val(r, 0, "next_at_utc")));
    next = json_object_get(j, "next");
    for (int i = 0; i < n; i++) {
        char loc[48], utc[24];
        if (schedule_format_local(db_val(r, 0, "tzid"), occ[i], loc, sizeof(loc)) < 0)
            fmt_utc(loc, sizeof(loc), occ[i]);
        fmt_utc(utc, sizeof(utc), occ[i]);
        json_array_append_new(next, json_pack("{s:s, s:s}", "local", loc, "utc", utc));
    }
    PQclear(r);
    {
        const char *p[] = {cid};
        if ((r = db_exec(db, Q_SCHED_OCCURRENCES, p, 1, err)) == NULL)
            goto fail;
    }
    rec = json_object_get(j, "recorded");
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *o = json_pack("{s:s, s:s}", "occurs_at", db_val(r, i, "occurs_at_utc"), "state",
                              db_val(r, i, "state"));
        json_object_set_new(o, "reason",
                            db_isnull(r, i, "reason") ? json_null()
                                                      : json_string(db_val(r, i, "reason")));
        json_object_set_new(o, "run",
                            db_isnull(r, i, "run_id") ? json_null()
                                                      : json_integer(db_int(r, i, "run_id")));
        json_array_append_new(rec, o);
    }
    PQclear(r);
    free(occ);
    return j;
fail:
    if (r != NULL)
        PQclear(r);
    json_decref(j);
    free(occ);
    return NULL;
}

/* The stored calendar with a VTIMEZONE for its zone, so calendar applications import it. */
static char *with_vtimezone(const char *ics, struct mo_err *err)
{
    icalcomponent *root, *ev, *cal;
    icalproperty *p;
    char *txt, *out = NULL;
    const char *tzid = NULL;

    icalerror_clear_errno();
    root = icalparser_parse_string(ics);
    if (root == NULL || icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT ||
        (ev = icalcomponent_get_first_component(root, ICAL_VEVENT_COMPONENT)) == NULL) {
        if (root)
            icalcomponent_free(root);
        mo_err_set(err, MO_E_INTERNAL, "the stored schedule is not a calendar");
        return NULL;
    }
    cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_prodid(PRODID),
                              icalproperty_new_version("2.0"),
                              icalproperty_new_method(ICAL_METHOD_PUBLISH), (void *)0);
    if ((p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY)) != NULL)
        tzid = tzid_param(p);
    if (tzid != NULL) {
        icaltimezone *z = zone_by_name(tzid);
        icalcomponent *vt = z && !is_utc_zone(z) ? icaltimezone_get_component(z) : NULL;
        struct sched s;
        if (vt != NULL && sched_read(ics, &s, NULL, 0, err) == 0) {
            icalcomponent *copy = icalcomponent_new_clone(vt);
            icalproperty *tp = icalcomponent_get_first_property(copy, ICAL_TZID_PROPERTY);
            time_t from = s.nrd > 0 && s.rd[0] < s.start_utc ? s.rd[0] : s.start_utc;
            /* the zone's rules from a year before the first occurrence on */
            icaltimezone_truncate_vtimezone(
                copy,
                icaltime_from_timet_with_zone(from - 366 * 86400, 0,
                                              icaltimezone_get_utc_timezone()),
                icaltime_null_time(), 0);
            if (tp != NULL)
                icalproperty_set_tzid(tp, tzid); /* the IANA name the VEVENT uses */
            icalcomponent_add_component(cal, copy);
            sched_release(&s);
        }
    }
    icalcomponent_remove_component(root, ev);
    icalcomponent_add_component(cal, ev);
    txt = icalcomponent_as_ical_string_r(cal);
    out = xstrdup(txt ? txt : "");
    icalmemory_free_buffer(txt);
    icalcomponent_free(cal);
    icalcomponent_free(root);
    icalerror_clear_errno();
    return out;
}

char *schedule_export(struct db *db, const char *campaign, struct mo_err *err)
{
    char *out;
    PGresult *r;

    if ((r = schedule_row(db, campaign, err)) == NULL)
        return NULL;
    ical_lock();
    out = with_vtimezone(db_val(r, 0, "ics"), err);
    ical_unlock();
    PQclear(r);
    return out;
}
