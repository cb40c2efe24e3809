/*
 * ledger.h - the consent ledger: append-only events with their proof.
 *
 * Current state is never stored: it is derived by the consent_current view.
 * This module is the only writer of consent_events; it does not decide
 * whether an event is allowed (doi.c, consent.c, contact.c and the
 * legal-basis engine do).
 */
#ifndef MAILOUT_LEDGER_H
#define MAILOUT_LEDGER_H

#include "db.h"
#include "err.h"

struct ledger_event {
    long long contact_id;
    long long topic_id;      /* 0: none (objection to all marketing) */
    const char *kind;        /* requested, confirmed, granted, withdrawn, objected, expired */
    const char *occurred_at; /* ISO 8601, NULL = now */
    const char *email_entered;
    const char *ip;
    const char *user_agent;
    const char *source;
    const char *channel;
    const char *actor;
    long long consent_text_id; /* 0: none; its hash is looked up and stored */
    const char *locale;
    const char *privacy_notice;
    const char *controller;
    long long request_id; /* 0: none */
    const char *token_sha256;
    int age_attested; /* -1 unknown, 0, 1 */
    const char *message_id;
    const char *note;
    const char *receipt_sha256; /* 'confirmed' only: hex SHA-256 of the consent receipt */
};

/* Appends one event inside the caller's transaction; *id (may be NULL) gets its id. */
int ledger_append(struct db *db, const struct ledger_event *ev, long long *id, struct mo_err *err);

/* One opt-out to record (ledger_revoke).  Strings borrowed; NULL: none. */
struct ledger_revocation {
    long long contact_id;
    long long topic_id;     /* > 0: 'withdrawn' for that topic; 0: 'objected' to all marketing */
    const char *channel;    /* one_click, page, mailto, complaint, admin, ... */
    const char *source;     /* what produced it (page, command, inbound message) */
    const char *actor;      /* subject, admin:NAME, inbound, system */
    const char *note;       /* reason kept with the event */
    const char *message_id; /* the message whose link, header or reply was used */
    const char *ip;         /* client address (web channels) */
    const char *user_agent; /* client user agent (web channels) */
    int skip_if_same;       /* write nothing when the state is already that */
};

/*
 * Records an opt-out inside the caller's transaction: 'withdrawn' for the
 * topic or 'objected' to all marketing, plus the CRM webhook outbox entry.
 * With skip_if_same a repeat writes nothing.  *changed tells whether an
 * event was written.
 */
int ledger_revoke(struct db *db, const struct ledger_revocation *rv, int *changed,
                  struct mo_err *err);

/* The longest pause ledger_pause() records, in months. */
#define LEDGER_PAUSE_MONTHS_MAX 24

/*
 * Records a pause of all marketing until now + months (1..24, UTC calendar
 * months, to the second: SQL pause_end()) inside the caller's transaction: a
 * 'paused' ledger event (topic NULL) with paused_until, which the legal-basis
 * engine reads as the exclusion reason 'paused' until then, and a 'paused'
 * CRM webhook outbox entry (payload: paused_until, resumed).  months 0 ends a
 * pause at once (resume: paused_until = now).  The
 * latest paused event decides; a pause withdraws no consent and lifts no
 * opt-out.  Provenance as in rv (topic_id ignored).  With skip_if_same
 * nothing is written when the pause in force already says as much: one
 * running until at least now + months, or for a resume none running.
 * *changed as ledger_revoke().  Errors: MO_E_INPUT for months outside
 * 0..24 (nothing written).  (issue 10: h-pause)
 */
int ledger_pause(struct db *db, const struct ledger_revocation *rv, int months, int *changed,
                 struct mo_err *err);

/*
 * Records the consent proof of a contact import: one 'granted' event per
 * proof (channel and actor 'import', note "imported proof: FILE_LABEL line
 * N", the original time, IP, source and consent text).  Reads the rows that
 * contact_import() staged in its temporary table import_contacts, inside the
 * caller's transaction.  Skips a proof already recorded, and one that an
 * opt-out or the consent age forbids (contact_import reports those).  *n gets
 * the number of events written.
 */
int ledger_import_proofs(struct db *db, const char *file_label, long *n, struct mo_err *err);

/*
 * Records the 'expired' event of every consent that run_id's decisions found
 * lapsed (reason consent_expired with the consent still in force), inside
 * the caller's transaction; source names the run.  *n gets the count.
 */
int ledger_expire_run(struct db *db, long long run_id, const char *source, long long *n,
                      struct mo_err *err);

#endif
