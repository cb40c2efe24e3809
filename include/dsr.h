/*
 * dsr.h - the data-subject request log (GDPR Art. 12(3), R-GDPR-7).
 *
 * Owns the table dsr_requests (sql/0029): recording a request with its due
 * date, listing, the one extension by two further months, closing by hand,
 * and closing the matching open requests from inside the transaction of the
 * action that answered them (export, erase, an objection to all marketing).
 * The month arithmetic lives here and nowhere else (dsr_add_months()).
 * The address never enters the table, the audit log or the log: the person
 * is the contact id and the keyed hash of the normalized address.
 */
#ifndef MAILOUT_DSR_H
#define MAILOUT_DSR_H

#include <jansson.h>

#include "config.h"
#include "db.h"
#include "err.h"

struct buf;           /* buf.h */
struct doctor_report; /* doctor.h */

#define DSR_REASON_MAX 500 /* bytes of an extension reason */
#define DSR_CLOSED_MAX 16  /* request ids dsr_close_matching() reports */
#define DSR_DATE_LEN   11  /* "YYYY-MM-DD" and its NUL */

struct dsr_date {
    int y, m, d;
};

/*
 * Regulation 1182/71 Art. 3(2)(c): from a day, n months later is the same
 * day number in the month n months on, or that month's last day when it has
 * no such day (2026-01-31 + 1 -> 2026-02-28; 2028-01-31 + 1 -> 2028-02-29).
 * n >= 0; from must be a real calendar date.  Pure.
 */
struct dsr_date dsr_add_months(struct dsr_date from, int n);
/* Days in month m (1-12) of year y (proleptic Gregorian). */
int dsr_month_days(int y, int m);
/* Writes "YYYY-MM-DD" into out (DSR_DATE_LEN bytes). */
void dsr_date_format(struct dsr_date d, char out[DSR_DATE_LEN]);
/*
 * Parses a strict YYYY-MM-DD real calendar date (isodate_parse()) of year
 * 2000 or later; 0, or -1 with MO_E_INPUT naming the field.
 */
int dsr_date_parse(const char *s, const char *field, struct dsr_date *out, struct mo_err *err);
/* 1 for access, erasure, objection, rectification; else 0. */
int dsr_kind_valid(const char *kind);
/* 1 for email, web, post, phone, other; else 0. */
int dsr_channel_valid(const char *channel);
/*
 * Checks an extension reason: 1 to DSR_REASON_MAX bytes of UTF-8 without
 * control characters (CR, LF, TAB, ...) and without '@' (the log outlives
 * the person's erasure, so it must hold no address).  0, or -1 with
 * MO_E_INPUT.
 */
int dsr_reason_check(const char *reason, struct mo_err *err);

/* A new request as received. */
struct dsr_new {
    const char *email;    /* the requester's address as given */
    const char *kind;     /* access | erasure | objection | rectification */
    const char *channel;  /* NULL: email */
    const char *received; /* YYYY-MM-DD, NULL: today (UTC) */
    const char *actor;    /* audit actor */
};

/* One request as stored (dsr_add(), dsr_extend(), dsr_done()). */
struct dsr_info {
    long long id;
    long long contact_id; /* 0: an address mailout does not know */
    char received_on[DSR_DATE_LEN];
    char due_on[DSR_DATE_LEN];
    char extended_to[DSR_DATE_LEN]; /* "" when not extended */
};

/*
 * Records a request in one transaction with its audit entry (request.add,
 * object "request:ID", detail kind, channel, received_on, due_on,
 * contact_id): due on received + 1 month.  The contact is the live one with
 * the normalized address, else the tombstone with its keyed hash, else none
 * (still recorded).  cfg gives the suppression key.  -1 with err and nothing
 * written: MO_E_INPUT for an invalid address, kind, channel or date (not a
 * real date, before 2000, or after today UTC), the key's errors otherwise.
 */
int dsr_add(struct db *db, const struct config *cfg, const struct dsr_new *req,
            struct dsr_info *out, struct mo_err *err);

/*
 * Extends request id once by two further months (due = received + 3
 * months) with reason, in one transaction with its audit entry
 * (request.extend).  Refused (MO_E_INPUT, nothing written) for a bad
 * reason, a closed request, one already extended, or when today (UTC) is
 * after the due date; MO_E_NOTFOUND for an unknown id.
 */
int dsr_extend(struct db *db, long long id, const char *reason, const char *actor,
               struct dsr_info *out, struct mo_err *err);

/*
 * Closes request id by hand (closed_via manual) in one transaction with its
 * audit entry (request.done), which closed_audit_id links.  MO_E_NOTFOUND
 * for an unknown id, MO_E_INPUT when it is closed already.
 */
int dsr_done(struct db *db, long long id, const char *actor, struct mo_err *err);

/*
 * The requests as a JSON array (caller decrefs), oldest first; open_only:
 * only open ones; overdue_only: only open ones past their due date.  Each:
 * {id, kind, channel, contact_id, subject ("live", "erased", "unknown"),
 * email (live contacts only, else null), hash_prefix, received_on, due_on,
 * extended_to, extend_reason, extended_at, effective_due, days_left
 * (negative when overdue; null when closed), overdue, state, closed_at,
 * closed_by, closed_via, closed_audit_id, created_at, created_by}.  NULL
 * with err.
 */
json_t *dsr_list(struct db *db, int open_only, int overdue_only, struct mo_err *err);

/* The requests an action closed. */
struct dsr_closed {
    long long ids[DSR_CLOSED_MAX];
    size_t n;    /* ids filled */
    size_t more; /* closed beyond DSR_CLOSED_MAX */
};

/*
 * Inside the caller's transaction, after its audit entry (action, object
 * "contact:CONTACT_ID") is written: closes the open requests of kind for
 * this contact (by contact id or the contact's keyed hash) with closed_via
 * via and closed_audit_id that entry, and appends request.close per
 * request.  closed may be NULL.  0 or -1 with err.
 */
int dsr_close_matching(struct db *db, long long contact_id, const char *kind, const char *via,
                       const char *action, const char *actor, struct dsr_closed *closed,
                       struct mo_err *err);

/* The ids as a JSON array (caller decrefs). */
json_t *dsr_closed_json(const struct dsr_closed *closed);

/* Open and overdue request counts. */
struct dsr_totals {
    unsigned long long open, overdue;
};
/* Fills t in one statement.  -1 with err. */
int dsr_totals_read(struct db *db, struct dsr_totals *t, struct mo_err *err);
/*
 * Appends the gauges mailout_dsr_open and mailout_dsr_overdue.  0, or -1
 * when out's max would be exceeded.
 */
int dsr_metrics_render(const struct dsr_totals *t, struct buf *out);
/* Adds a doctor finding: a warning naming each overdue open request and its days overdue. */
void dsr_doctor_check(struct db *db, struct doctor_report *r);

#endif
