/*
 * topic.h - topics (purposes people subscribe to) and the versioned consent
 * texts shown when asking for consent.
 *
 * topic_add and consent_text_add are use cases: each runs its own
 * transaction (call them outside one) with its audit entry, under the actor
 * the caller names ("cli:USER", "admin:NAME", ...).
 */
#ifndef MAILOUT_TOPIC_H
#define MAILOUT_TOPIC_H

#include "db.h"
#include "err.h"

#define CONSENT_TEXT_MAX (64 * 1024)

struct topic {
    long long id;
    char name[64];
    char title[256];
};

/* 1 when name is a valid topic name ([a-z0-9][a-z0-9_.-]{0,62}), else 0. */
int topic_name_valid(const char *name);
/* 1 when locale looks like en, de, en-GB, pt_BR; else 0. */
int topic_locale_valid(const char *locale);

/*
 * Adds a topic and its audit entry (topic.add, object "topic:NAME", detail id
 * and title) in one transaction; *id gets its id.  MO_E_CONFLICT "topic 'x'
 * already exists", MO_E_INPUT for a bad name or title: nothing is written.
 */
int topic_add(struct db *db, const char *name, const char *title, const char *actor, long long *id,
              struct mo_err *err);
/* Looks a topic up by name; MO_E_NOTFOUND "unknown topic 'x'". */
int topic_find(struct db *db, const char *name, struct topic *out, struct mo_err *err);

/* One box of the subscribe form: a topic and the consent text shown beside it. */
struct topic_form_entry {
    char *name;
    char *title;
    long long consent_text_id;
    char *consent_text;
};

/*
 * The topics of the subscribe form in display order, each with its newest
 * consent text in locale, else in English, else in any locale; topics
 * without any consent text are left out (nobody can consent to them).
 * On success *out holds *n entries (NULL when none) that the caller frees
 * with topic_form_list_free(); on -1 (err set) *out is NULL and *n 0.
 */
int topic_form_list(struct db *db, const char *locale, struct topic_form_entry **out, size_t *n,
                    struct mo_err *err);
/* Frees what topic_form_list() returned; NULL is a no-op. */
void topic_form_list_free(struct topic_form_entry *list, size_t n);

/*
 * Checks that a consent text tells people they can withdraw: it must contain
 * one of withdraw, revoke, unsubscribe, opt out / opt-out (English) or
 * widerruf, abmelden, abbestellen (German), case-insensitive.  0 or -1 (MO_E_INPUT).
 */
int consent_text_check(const char *body, size_t len, struct mo_err *err);

/*
 * Stores body as the next version of the topic's consent text in locale,
 * with its audit entry (consent_text.add, object "consent_text:ID", detail
 * topic, locale, version, sha256 and created), in one transaction; the same
 * text again returns the existing version (and is audited as not created).
 * *id receives the id, *created whether a new version was stored.  A bad
 * locale or text is MO_E_INPUT, an unknown topic MO_E_NOTFOUND: nothing is
 * written.
 */
int consent_text_add(struct db *db, const char *topic, const char *locale, const char *body,
                     size_t len, const char *actor, long long *id, int *created,
                     struct mo_err *err);

#endif
