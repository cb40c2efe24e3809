/*
 * ledger.h - the consent ledger: append-only events with their proof.
 *
 * Current state is never stored: it is derived by the consent_current view.
 * This module appends events and reads history; it does not decide whether
 * an event is allowed (doi.c, contact.c and the legal-basis engine do).
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
};

/* Appends one event inside the caller's transaction; *id (may be NULL) gets its id. */
int ledger_append(struct db *db, const struct ledger_event *ev, long long *id, struct mo_err *err);

/*
 * Records an opt-out in one transaction: 'withdrawn' for topic (topic_id > 0)
 * or 'objected' to all marketing (topic_id 0), plus the CRM webhook outbox
 * entry.  Idempotent per request in effect: a repeat simply appends again
 * unless skip_if_same is set and the state is already that.  *changed tells
 * whether an event was written.
 */
int ledger_revoke(struct db *db, long long contact_id, long long topic_id, const char *channel,
                  const char *source, const char *actor, const char *note, const char *message_id,
                  int skip_if_same, int *changed, struct mo_err *err);

#endif
