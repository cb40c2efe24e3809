/*
 * send_window.h - send windows (issue 11): the weekdays and the span of
 * local time in which a campaign's mail may reach each recipient, read in
 * the recipient's own time zone (contacts.time_zone, else the country's
 * zone where unambiguous, else the campaign's schedule zone, else UTC).
 *
 * A window is stored on the campaign (sql/0024_send_window.sql); the zone
 * arithmetic is PostgreSQL's (send_window_next() in SQL).  A recipient
 * outside the window stays queued with due_at moved to the next opening:
 * when a run is built (send_window_defer_run), again at claim when the
 * window closed meanwhile (send_window_defer_claimed), and when the window
 * is changed (send_window_set).  The window only delays: the legal basis
 * is still checked when the row is finally claimed.
 */
#ifndef MAILOUT_SEND_WINDOW_H
#define MAILOUT_SEND_WINDOW_H

#include <stddef.h>

#include <jansson.h>

#include "db.h"
#include "err.h"

/* Longest --days or --hours value looked at; longer ones are refused. */
#define SEND_WINDOW_SPEC_MAX 64
/* Longest time zone name accepted (contacts.time_zone). */
#define SEND_WINDOW_ZONE_MAX 64
/* Room for send_window_days_text(): "mon,tue,wed,thu,fri,sat,sun". */
#define SEND_WINDOW_DAYS_TEXT 32

struct send_window {
    unsigned days; /* bit 1 << d for each ISO weekday d (1 Monday .. 7 Sunday) */
    int start;     /* minutes after local midnight, 0 .. 1439 */
    int end;       /* minutes after local midnight, start + 1 .. 1440 (24:00) */
};

/*
 * Parses --days: a comma-separated list of weekdays (mon, tue, wed, thu,
 * fri, sat, sun, any case) and ranges of them (mon-fri; a range may wrap
 * around the week end: fri-mon).  Sets *days (bits as in struct
 * send_window).  0, or -1 with MO_E_INPUT naming the value.
 */
int send_window_parse_days(const char *s, unsigned *days, struct mo_err *err);

/*
 * Parses --hours: "HH:MM-HH:MM", local start (inclusive) and end
 * (exclusive), 00:00 .. 24:00, the end after the start: a window never
 * crosses midnight.  0, or -1 with MO_E_INPUT naming the value.
 */
int send_window_parse_hours(const char *s, int *start, int *end, struct mo_err *err);

/* Writes days as the canonical text (mon-fri, mon,wed,fri, mon-sun) into
 * out (at least SEND_WINDOW_DAYS_TEXT bytes). */
void send_window_days_text(unsigned days, char *out, size_t n);

/* Writes the hours as "HH:MM-HH:MM" into out (at least 12 bytes). */
void send_window_hours_text(const struct send_window *w, char *out, size_t n);

/*
 * 1 when s has the shape of an IANA zone name (Europe/Berlin, UTC,
 * America/Argentina/Buenos_Aires, Etc/GMT+3): 1 to SEND_WINDOW_ZONE_MAX
 * characters, letters, digits, '_', '+' and '-' in '/'-separated parts
 * starting with a letter, and not the posix/ or right/ trees or
 * localtime, posixrules or Factory.  Whether the zone database knows it is
 * the database's question (the contact import asks it).
 */
int send_window_zone_shape(const char *s);

/*
 * Sets (w non-NULL) or clears (w NULL) the send window of campaign name,
 * in one transaction with its audit entry (campaign.window), and moves the
 * queued rows of its unfinished runs: rows waiting for the old window and
 * due rows outside the new one get due_at = their next opening (or now,
 * once no window holds them).  *moved: rows whose due_at changed.
 * MO_E_NOTFOUND for an unknown campaign.
 */
int send_window_set(struct db *db, const char *name, const struct send_window *w, const char *actor,
                    long *moved, struct mo_err *err);

/*
 * The campaign's window as JSON, caller frees: {"campaign": NAME,
 * "window": null | {"days": "mon-fri", "hours": "09:00-17:00"},
 * "zone": the campaign's zone (schedule zone or UTC), "waiting": N}, where
 * waiting counts the queued rows of its unfinished runs that wait for
 * their window.  NULL with err (MO_E_NOTFOUND for an unknown campaign).
 */
json_t *send_window_show(struct db *db, const char *name, struct mo_err *err);

/*
 * Adds to each run of a campaign_status() document (campaign_ctl.h) the key
 * "window_wait": its queued rows waiting for their window.  The document's
 * top-level keys stay as INTERFACE.md promises them.  0 or -1.
 */
int send_window_status(struct db *db, json_t *status, struct mo_err *err);

/*
 * Inside the caller's transaction: moves the queued rows of run run_id
 * whose recipient is outside the campaign's window to their next opening.
 * *moved gets the number moved (0 without a window).  0 or -1 with err.
 */
int send_window_defer_run(struct db *db, long long run_id, long *moved, struct mo_err *err);

/*
 * At claim: the rows worker_key holds in state claimed whose recipient is
 * outside the window now go back to queued, due at the next opening.
 * *ids (caller frees with free()) gets their queue ids, *n how many.
 * 0 or -1 with err (nothing moved).
 */
int send_window_defer_claimed(struct db *db, long long worker_key, long long **ids, int *n,
                              struct mo_err *err);

#endif
