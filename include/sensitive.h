/*
 * sensitive.h - special categories of data (GDPR Art. 9(1)) in campaigns.
 *
 * A sensitive attribute (contact_attributes NAME:sensitive; attrs.h) is
 * used by a campaign's segment or template only under explicit consent
 * (Art. 9(2)(a)): the campaign's topic must have a current consent text
 * that is explicit for it (consent-text add --explicit), and per recipient
 * only contacts whose consent was given under such a text match a sensitive
 * predicate (segment.c: sensitive_allowed) or get it rendered (campaign_mail.c).
 */
#ifndef MAILOUT_SENSITIVE_H
#define MAILOUT_SENSITIVE_H

#include <stddef.h>

#include <jansson.h>

#include "db.h"
#include "err.h"

/*
 * The use case consent-text add --explicit: as consent_text_add(), and the
 * text is explicit for the attributes of explicit_csv (a comma list; NULL or
 * "" for none).  Each must be declared sensitive in declared (the key
 * contact_attributes) and be named in the body (case-insensitive), so the
 * person was told: MO_E_INPUT naming the attribute otherwise.  The same body
 * already stored with other explicit attributes is MO_E_CONFLICT (change the
 * wording: a text's meaning never changes).  Nothing is written on error.
 */
int sensitive_text_add(struct db *db, const char *declared, const char *topic, const char *locale,
                       const char *body, size_t len, const char *explicit_csv, const char *actor,
                       long long *id, int *created, struct mo_err *err);

/*
 * The sensitive attributes a template body uses ({{attr.NAME}} or a
 * section {{#attr.NAME}}, any spacing and case): declared sensitive in
 * declared or named like special-category data (attrs_is_sensitive),
 * appended to *names (distinct; *n entries).
 */
void sensitive_template_uses(const char *body, const char *declared, char ***names, int *n);

/*
 * Checks the sensitive attributes a campaign uses (seg_attrs from its
 * segment, those of its template) against the current consent texts of the
 * topic (topic_id): returns a JSON array with one object per attribute
 * {"attribute", "used_by": "segment"|"template", "allowed": bool,
 *  "consent_text": ID|null, "message"} (messages as `campaign explain`
 * prints them), and sets *refused to the count without an explicit text.
 * NULL with err on a database error.
 */
json_t *sensitive_campaign_check(struct db *db, const char *declared, long long campaign_id,
                                 long long topic_id, const char *topic, char **seg_attrs, int nseg,
                                 int *refused, struct mo_err *err);

/* 1 when attr appears in the PostgreSQL text-array literal arr ("{a,b}"). */
int sensitive_in_array(const char *arr, const char *attr);

#endif
