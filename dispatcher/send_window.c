/*
 * send_window.c - send windows (issue 11): parsing and printing a window,
 * storing it on a campaign, and moving queued rows whose recipient is
 * outside it to the next opening.
 *
 * It owns the --days and --hours syntax and the time zone name shape.  It
 * computes no local time itself: which zone a recipient is in and when a
 * window opens there are SQL functions (sql/0024_send_window.sql) on
 * PostgreSQL's zone database.  The claim and the run builder call the
 * defer functions; they decide nothing about the legal basis.
 */
#include "send_window.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "buf.h"
#include "xalloc.h"

static const char *const day_names[7] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

#define ALL_DAYS 0xfeu /* bits 1 .. 7 */

/* The value for a message: control characters escaped, at most 80 bytes. */
static int bad_value(struct mo_err *err, const char *what, const char *s, const char *expected)
{
    struct buf shown;
    int rc;

    buf_init(&shown, 0);
    buf_put_shown(&shown, s, strlen(s), 80);
    rc = mo_err_set(err, MO_E_INPUT, "invalid %s '%s': %s", what, shown.s, expected);
    buf_release(&shown);
    return rc;
}

/* 1 .. 7 for a three-letter weekday name (any case), else 0. */
static int day_of(const char *s, size_t n)
{
    if (n != 3)
        return 0;
    for (int d = 0; d < 7; d++)
        if (strncasecmp(s, day_names[d], 3) == 0)
            return d + 1;
    return 0;
}

int send_window_parse_days(const char *s, unsigned *days, struct mo_err *err)
{
    static const char expected[] =
        "expected weekdays mon, tue, wed, thu, fri, sat, sun, ranges and lists such as "
        "mon-fri or mon,wed,sat-sun";
    unsigned set = 0;
    const char *p = s;

    *days = 0;
    if (strlen(s) > SEND_WINDOW_SPEC_MAX)
        return bad_value(err, "--days", s, "too long");
    for (;;) {
        size_t n = strcspn(p, ",");
        const char *item = p, *dash;
        size_t len = n;
        int a, b;

        while (len && *item == ' ')
            item++, len--;
        while (len && item[len - 1] == ' ')
            len--;
        dash = memchr(item, '-', len);
        if (dash == NULL) {
            a = b = day_of(item, len);
        } else {
            a = day_of(item, (size_t)(dash - item));
            b = day_of(dash + 1, len - (size_t)(dash - item) - 1);
        }
        if (a == 0 || b == 0)
            return bad_value(err, "--days", s, expected);
        /* a range runs forward through the week and may wrap: fri-mon */
        for (int d = a;; d = d % 7 + 1) {
            set |= 1u << d;
            if (d == b)
                break;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    *days = set;
    return 0;
}

/* "HH:MM" at s (exactly 5 characters): minutes after midnight, 0 .. 1440, or -1. */
static int hhmm(const char *s)
{
    if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2] != ':' ||
        !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
        return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

int send_window_parse_hours(const char *s, int *start, int *end, struct mo_err *err)
{
    int a, b;

    *start = *end = 0;
    if (strlen(s) != 11 || s[5] != '-' || (a = hhmm(s)) < 0 || (b = hhmm(s + 6)) < 0)
        return bad_value(err, "--hours", s,
                         "expected local start and end HH:MM-HH:MM such as 09:00-17:00 "
                         "(00:00 to 24:00)");
    if (a == 1440)
        return bad_value(err, "--hours", s, "a window cannot open at 24:00");
    if (b <= a)
        return bad_value(err, "--hours", s,
                         "the end must be after the start: a window cannot cross midnight "
                         "(24:00 is the end of the day)");
    *start = a;
    *end = b;
    return 0;
}

void send_window_days_text(unsigned days, char *out, size_t n)
{
    struct buf b;

    buf_init(&b, 0);
    for (int d = 1; d <= 7; d++) {
        if (!(days & (1u << d)))
            continue;
        int e = d;
        while (e < 7 && (days & (1u << (e + 1))))
            e++;
        buf_printf(&b, "%s%s", b.len ? "," : "", day_names[d - 1]);
        if (e > d)
            buf_printf(&b, "-%s", day_names[e - 1]);
        d = e;
    }
    snprintf(out, n, "%s", b.s);
    buf_release(&b);
}

/* "HH:MM" of m minutes after midnight (clamped to 00:00 .. 24:00) into out[6]. */
static void hm_text(int m, char out[6])
{
    m = m < 0 ? 0 : m > 1440 ? 1440 : m;
    out[0] = (char)('0' + m / 600);
    out[1] = (char)('0' + m / 60 % 10);
    out[2] = ':';
    out[3] = (char)('0' + m % 60 / 10);
    out[4] = (char)('0' + m % 10);
    out[5] = '\0';
}

void send_window_hours_text(const struct send_window *w, char *out, size_t n)
{
    char a[6], b[6];

    hm_text(w->start, a);
    hm_text(w->end, b);
    snprintf(out, n, "%s-%s", a, b);
}

int send_window_zone_shape(const char *s)
{
    static const char *const refused[] = {"localtime", "posixrules", "Factory"};
    size_t n = strlen(s);
    int part_start = 1;

    if (n == 0 || n > SEND_WINDOW_ZONE_MAX)
        return 0;
    if (strncmp(s, "posix/", 6) == 0 || strncmp(s, "right/", 6) == 0)
        return 0;
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        if (strcmp(s, refused[i]) == 0)
            return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '/') {
            if (part_start)
                return 0; /* empty part */
            part_start = 1;
            continue;
        }
        if (i == 0 && !isalpha(c))
            return 0;
        if (!(isalnum(c) || c == '_' || c == '+' || c == '-'))
            return 0;
        part_start = 0;
    }
    return !part_start;
}

/* Reads "{1,2,5}" (window_days::text) into day bits; 0 for anything else. */
static unsigned days_from_sql(const char *s)
{
    unsigned days = 0;

    for (; *s; s++)
        if (*s >= '1' && *s <= '7')
            days |= 1u << (*s - '0');
    return days;
}

/* The SQL array text of day bits: "{1,2,3}" (room for 16 bytes). */
static void days_to_sql(unsigned days, char *out, size_t n)
{
    struct buf b;

    buf_init(&b, 0);
    buf_putc(&b, '{');
    for (int d = 1; d <= 7; d++)
        if (days & (1u << d))
            buf_printf(&b, "%s%d", b.len > 1 ? "," : "", d);
    buf_putc(&b, '}');
    snprintf(out, n, "%s", b.s);
    buf_release(&b);
}

static json_t *window_json(const struct send_window *w)
{
    char days[SEND_WINDOW_DAYS_TEXT], hours[16];

    if (w == NULL)
        return json_null();
    send_window_days_text(w->days, days, sizeof(days));
    send_window_hours_text(w, hours, sizeof(hours));
    return json_pack("{s:s, s:s}", "days", days, "hours", hours);
}

/* From a Q_WINDOW_GET row: 1 and *w filled when the campaign has a window, else 0. */
static int window_from_row(const PGresult *r, struct send_window *w)
{
    memset(w, 0, sizeof(*w));
    if (db_isnull(r, 0, "days"))
        return 0;
    w->days = days_from_sql(db_val(r, 0, "days"));
    const char *a = db_val(r, 0, "hstart"), *b = db_val(r, 0, "hend");
    w->start = strlen(a) == 5 ? hhmm(a) : 0;
    w->end = strlen(b) == 5 ? hhmm(b) : 1440;
    return 1;
}

int send_window_set(struct db *db, const char *name, const struct send_window *w, const char *actor,
                    long *moved, struct mo_err *err)
{
    PGresult *r = NULL;
    char id[24], days[16], start[6], end[6];
    int rc = -1;

    *moved = 0;
    if (w && (w->days == 0 || (w->days & ~ALL_DAYS) || w->start < 0 || w->end > 1440 ||
              w->end <= w->start))
        return mo_err_set(err, MO_E_INPUT, "invalid send window");
    if (db_begin(db, err) < 0)
        return -1;
    {
        const char *p[] = {name};
        if ((r = db_exec(db, Q_WINDOW_CAMPAIGN_LOCK, p, 1, err)) == NULL)
            goto out;
        if (PQntuples(r) == 0) {
            mo_err_set(err, MO_E_NOTFOUND, "unknown campaign '%s'", name);
            goto out;
        }
        snprintf(id, sizeof(id), "%s", db_val(r, 0, "id"));
        PQclear(r);
        r = NULL;
    }
    if (w) {
        days_to_sql(w->days, days, sizeof(days));
        hm_text(w->start, start);
        hm_text(w->end, end);
    }
    {
        const char *p[] = {id, w ? days : NULL, w ? start : NULL, w ? end : NULL};
        if (db_run(db, Q_WINDOW_SET, p, 4, err) < 0)
            goto out;
    }
    {
        const char *p[] = {id};
        if ((r = db_exec(db, Q_WINDOW_REQUEUE, p, 1, err)) == NULL)
            goto out;
        *moved = strtol(PQcmdTuples(r), NULL, 10);
        PQclear(r);
        r = NULL;
    }
    if (audit_append_json(
            db, actor, "campaign.window", name,
            json_pack("{s:o, s:I}", "window", window_json(w), "requeued", (json_int_t)*moved),
            err) < 0)
        goto out;
    if (db_commit(db, err) < 0)
        goto out;
    rc = 0;
out:
    PQclear(r);
    if (rc < 0) {
        db_rollback(db);
        *moved = 0;
    }
    return rc;
}

/* Q_WINDOW_GET for name: the result (caller clears) or NULL with err. */
static PGresult *get_window(struct db *db, const char *name, struct mo_err *err)
{
    const char *p[] = {name};
    PGresult *r = db_exec(db, Q_WINDOW_GET, p, 1, err);

    if (r != NULL && PQntuples(r) == 0) {
        PQclear(r);
        mo_err_set(err, MO_E_NOTFOUND, "unknown campaign '%s'", name);
        return NULL;
    }
    return r;
}

/* The campaign's runs and their waiting rows (newest first), or NULL with err. */
static PGresult *runs_waiting(struct db *db, const char *id, struct mo_err *err)
{
    const char *p[] = {id};
    return db_exec(db, Q_WINDOW_RUNS_WAITING, p, 1, err);
}

json_t *send_window_show(struct db *db, const char *name, struct mo_err *err)
{
    struct send_window w;
    PGresult *r, *q;
    json_t *out;
    long long waiting = 0;

    if ((r = get_window(db, name, err)) == NULL)
        return NULL;
    int has = window_from_row(r, &w);
    if ((q = runs_waiting(db, db_val(r, 0, "id"), err)) == NULL) {
        PQclear(r);
        return NULL;
    }
    for (int i = 0; i < PQntuples(q); i++)
        waiting += db_int(q, i, "n");
    PQclear(q);
    out =
        json_pack("{s:s, s:o, s:s, s:I}", "campaign", name, "window", window_json(has ? &w : NULL),
                  "zone", db_val(r, 0, "zone"), "waiting", (json_int_t)waiting);
    PQclear(r);
    if (out == NULL)
        mo_err_set(err, MO_E_INTERNAL, "cannot build the send window of campaign '%s'", name);
    return out;
}

int send_window_status(struct db *db, json_t *status, struct mo_err *err)
{
    const char *name = json_string_value(json_object_get(status, "campaign"));
    json_t *runs = json_object_get(status, "runs"), *run;
    PGresult *r, *q;
    size_t i;

    if (name == NULL)
        return mo_err_set(err, MO_E_INTERNAL, "campaign status without a campaign");
    if (json_array_size(runs) == 0)
        return 0;
    if ((r = get_window(db, name, err)) == NULL)
        return -1;
    q = runs_waiting(db, db_val(r, 0, "id"), err);
    PQclear(r);
    if (q == NULL)
        return -1;
    json_array_foreach(runs, i, run)
    {
        long long id = (long long)json_integer_value(json_object_get(run, "run")), n = 0;
        for (int k = 0; k < PQntuples(q); k++)
            if (db_int(q, k, "run") == id)
                n = db_int(q, k, "n");
        json_object_set_new(run, "window_wait", json_integer((json_int_t)n));
    }
    PQclear(q);
    return 0;
}

int send_window_defer_run(struct db *db, long long run_id, long *moved, struct mo_err *err)
{
    char run[24];

    snprintf(run, sizeof(run), "%lld", run_id);
    const char *p[] = {run};
    PGresult *r = db_exec(db, Q_WINDOW_DEFER_RUN, p, 1, err);
    if (r == NULL)
        return -1;
    *moved = strtol(PQcmdTuples(r), NULL, 10);
    PQclear(r);
    return 0;
}

int send_window_defer_claimed(struct db *db, long long worker_key, long long **ids, int *n,
                              struct mo_err *err)
{
    char k[24];

    *ids = NULL;
    *n = 0;
    snprintf(k, sizeof(k), "%lld", worker_key);
    const char *p[] = {k};
    PGresult *r = db_exec(db, Q_WINDOW_DEFER_CLAIMED, p, 1, err);
    if (r == NULL)
        return -1;
    int rows = PQntuples(r);
    if (rows > 0) {
        *ids = xcalloc((size_t)rows, sizeof(**ids));
        for (int i = 0; i < rows; i++)
            (*ids)[i] = db_int(r, i, "id");
        *n = rows;
    }
    PQclear(r);
    return 0;
}
