/*
 * queries.c - the SQL text of every statement, in one table.
 */
#include "queries.h"

#include <assert.h>
#include <stddef.h>

#define Q(id, sql, n) [id] = {id, #id, sql, n}

/* issue 13: h-dsr - today in UTC, the day request due dates are counted against */
#define DSR_TODAY "(now() AT TIME ZONE 'UTC')::date"

#define DOI_LOOKUP_SQL                                                                             \
    "SELECT r.id, COALESCE(r.locale, 'en') AS locale, c.email,"                                    \
    " (SELECT string_agg(t.title, ', ' ORDER BY t.name) FROM doi_request_topics rt"                \
    "   JOIN topics t ON t.id = rt.topic_id WHERE rt.request_id = r.id) AS topics,"                \
    " iso_utc(r.expires_at) AS expires_at, r.confirmed_at IS NOT NULL AS used,"                    \
    " r.expires_at <= now() AS expired, doi_request_voided(r.id) AS voided,"                       \
    " r.contact_id, r.age_attested, r.source"                                                      \
    " FROM doi_requests r JOIN contacts c ON c.id = r.contact_id WHERE r.token_sha256 = $1"

/*
 * A queued mail may go out: a confirmation mail while its request is open,
 * a receipt once the request is confirmed, unless the address was
 * suppressed since.
 */
#define DOI_MAIL_OPEN                                                                                 \
    " CASE WHEN q.kind = 'receipt' THEN r.confirmed_at IS NOT NULL AND NOT EXISTS (SELECT 1"          \
    "  FROM contacts sc JOIN suppression s ON s.addr_hmac = sc.addr_hmac WHERE sc.id = r.contact_id)" \
    " ELSE r.confirmed_at IS NULL AND r.expires_at > now() AND NOT doi_request_voided(r.id) END"

/*
 * A deferred mail is given up when its next attempt would come after this:
 * a confirmation mail when its token expires, a receipt after five days
 * (as long as a mail server keeps retrying).
 */
#define DOI_MAIL_HORIZON                                                                           \
    "CASE WHEN q.kind = 'receipt' THEN q.queued_at + interval '5 days' ELSE r.expires_at END"

#define DOI_MAIL_CLAIMED                                                                           \
    " RETURNING q.request_id, q.kind, q.receipt, r.contact_id, q.nonce, q.attempts, c.email,"      \
    " COALESCE(r.locale, 'en') AS locale, iso_utc(r.expires_at) AS expires_at,"                    \
    " GREATEST(floor(extract(epoch FROM r.expires_at - now())), 0)::bigint AS ttl_left"

/* The settable columns of table policy (policy.c's key table). */
#define POLICY_KEYS                                                                                \
    "consent_age, existing_customer_months, inquiry_months, opt_out_regime, double_opt_in,"        \
    " consent_lapse_months, frequency_cap_day, frequency_cap_week, frequency_cap_month,"           \
    " opt_out_label, charity_soft_opt_in, one_click_scope"
#define POLICY_COLUMNS "country, " POLICY_KEYS ", note"

#define BAD_PROOF_WHERE                                                                            \
    " WHERE i.consent_topic IS NOT NULL AND NOT EXISTS (SELECT 1 FROM consent_texts ct"            \
    " JOIN topics t ON t.id = ct.topic_id WHERE ct.id = i.consent_text_id"                         \
    " AND t.name = i.consent_topic)"

#define PROOF_JOIN                                                                                 \
    " FROM import_contacts i JOIN contacts c ON c.email_norm = i.email_norm"                       \
    " JOIN topics t ON t.name = i.consent_topic JOIN consent_texts ct ON ct.id = i.consent_text_id"

#define CAMPAIGN_GET_SQL                                                                            \
    "SELECT cm.id, cm.name, t.name AS topic, t.id AS topic_id, s.name AS segment,"                  \
    " le.name AS legal_entity FROM campaigns cm JOIN topics t ON t.id = cm.topic_id"                \
    " JOIN segments s ON s.id = cm.segment_id JOIN legal_entities le ON le.id = cm.legal_entity_id" \
    " WHERE cm.name = $1"
/* dispatch (issue 9: h-dispatch): a worker is alive while its session holds
   the advisory lock (DISPATCH_LOCK_CLASS, worker_key) */
#define DISPATCH_LOCK_CLASS "1835100524"
#define DISPATCH_LIVE                                                                              \
    " live AS (SELECT l.objid::bigint AS k FROM pg_locks l WHERE l.locktype = 'advisory'"          \
    "  AND l.classid = " DISPATCH_LOCK_CLASS " AND l.objsubid = 2 AND l.granted)"
#define DISPATCH_EVIDENCE_COLS " q.basis, q.consent_event_id, q.order_id, q.relation"
#define DISPATCH_EVIDENCE                                                                          \
    " jsonb_strip_nulls(jsonb_build_object('consent_event', u.consent_event_id,"                   \
    " 'order_id', u.order_id, 'relation', u.relation))"
/* catalogue, orders and web activity (issue 8: h-import) */

/* The first row of the file for each sku, and later rows that say something else. */
#define PRODUCT_CONFLICT_FROM                                                                      \
    " (SELECT DISTINCT ON (sku) sku, line, name, category FROM import_products"                    \
    "  ORDER BY sku, line) f"
#define PRODUCT_CONFLICT_WHERE                                                                     \
    " f.sku = i.sku AND i.line > f.line"                                                           \
    " AND (i.name, i.category) IS DISTINCT FROM (f.name, f.category)"

#define ORDER_CONFLICT_FROM                                                                        \
    " (SELECT DISTINCT ON (order_id, sku) order_id, sku, line, email_norm, ordered_at,"            \
    "  legal_entity, collected_in_sale, opt_out_offered FROM import_orders"                        \
    "  ORDER BY order_id, sku, line) f"
#define ORDER_CONFLICT_WHERE                                                                       \
    " f.order_id = i.order_id AND f.sku = i.sku AND i.line > f.line"                               \
    " AND (i.email_norm, i.ordered_at, i.legal_entity, i.collected_in_sale, i.opt_out_offered)"    \
    " IS DISTINCT FROM"                                                                            \
    " (f.email_norm, f.ordered_at, f.legal_entity, f.collected_in_sale, f.opt_out_offered)"

#define UNKNOWN_SKU_WHERE " WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = i.sku)"

/* send windows (issue 11: h-window): the zone names PostgreSQL knows, without its
   posix/ and right/ copies */
#define WINDOW_BAD_ZONE_WHERE                                                                      \
    " WHERE i.time_zone IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_timezone_names n"             \
    "  WHERE n.name = i.time_zone AND n.name !~ '^(posix|right)/')"

#define TRACKING_TOPIC "(SELECT id FROM topics WHERE name = 'tracking' AND reserved)"

static const struct query queries[Q__COUNT] = {
    Q(Q_MIGRATION_LIST,
      "SELECT version, name, checksum,"
      " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS applied_at"
      " FROM mailout_migrations ORDER BY version",
      0),
    Q(Q_MIGRATION_APPLIED, "SELECT 1 FROM mailout_migrations WHERE version = $1::integer", 1),
    Q(Q_MIGRATION_INSERT,
      "INSERT INTO mailout_migrations (version, name, checksum) VALUES ($1::integer, $2, $3)", 3),
    Q(Q_AUDIT_APPEND,
      "INSERT INTO audit_log (actor, action, object, detail) VALUES ($1, $2, $3, $4::jsonb)", 4),
    Q(Q_SUPPRESSION_CHECK, "SELECT 1 FROM suppression WHERE addr_hmac = $1", 1),
    Q(Q_SUPPRESSION_LIFT, "DELETE FROM suppression WHERE addr_hmac = $1", 1),
    Q(Q_SUPPRESSION_KEY_GET, "SELECT fingerprint FROM suppression_key", 0),
    Q(Q_SUPPRESSION_KEY_RECORD,
      "INSERT INTO suppression_key (fingerprint) VALUES ($1) ON CONFLICT DO NOTHING"
      " RETURNING fingerprint",
      1),
    Q(Q_TOPIC_ADD, "INSERT INTO topics (name, title) VALUES ($1, $2) RETURNING id", 2),
    Q(Q_TOPIC_FIND, "SELECT id, name, title FROM topics WHERE name = $1", 1),
    Q(Q_CONSENT_TEXT_ADD,
      "WITH existing AS (SELECT id, version FROM consent_texts"
      "   WHERE topic_id = $1::bigint AND locale = $2 AND sha256 = $4),"
      " ins AS (INSERT INTO consent_texts (topic_id, locale, version, body, sha256)"
      "   SELECT $1::bigint, $2, COALESCE((SELECT max(version) FROM consent_texts"
      "     WHERE topic_id = $1::bigint AND locale = $2), 0) + 1, $3, $4"
      "   WHERE NOT EXISTS (SELECT 1 FROM existing) RETURNING id, version)"
      " SELECT id, version, true AS created FROM ins"
      " UNION ALL SELECT id, version, false FROM existing",
      4),
    Q(Q_CONSENT_TEXT_OF_TOPIC,
      "SELECT id FROM consent_texts WHERE id = $1::bigint AND topic_id = $2::bigint", 2),
    Q(Q_CONSENT_TEXT_LATEST,
      "SELECT id FROM consent_texts WHERE topic_id = $1::bigint"
      " ORDER BY (locale = $2) DESC, (locale = 'en') DESC, version DESC LIMIT 1",
      2),
    Q(Q_LEDGER_APPEND,
      "INSERT INTO consent_events (contact_id, topic_id, kind, occurred_at, email_entered, ip,"
      " user_agent, source, channel, actor, consent_text_id, consent_text_sha256, locale,"
      " privacy_notice, controller, request_id, token_sha256, age_attested, message_id, note,"
      " receipt_sha256)"
      " VALUES ($1::bigint, $2::bigint, $3::consent_event_kind, COALESCE($4::timestamptz, now()),"
      " $5, $6::inet, $7, $8, $9, $10, $11::bigint,"
      " (SELECT sha256 FROM consent_texts WHERE id = $11::bigint), $12, $13, $14, $15::bigint,"
      " $16, $17::boolean, $18, $19, $20) RETURNING id",
      20),
    Q(Q_LEDGER_REVOKE,
      "SELECT ledger_revoke($1::bigint, $2::bigint, $3, $4, $5, $6, $7, $8::inet, $9,"
      " $10::boolean) AS changed",
      10),
    Q(Q_OUTBOX_CONSENT,
      "INSERT INTO webhook_outbox (event, contact_id, payload)"
      " SELECT $1, c.id, jsonb_build_object('event', $1::text, 'contact_id', c.id,"
      "  'email', c.email, 'topics', (SELECT jsonb_agg(t.name ORDER BY t.name)"
      "   FROM doi_request_topics rt JOIN topics t ON t.id = rt.topic_id"
      "   WHERE rt.request_id = $3::bigint), 'at', iso_utc(now()))"
      " FROM contacts c WHERE c.id = $2::bigint",
      3),
    Q(Q_IMPORT_BAD_PROOF,
      "SELECT i.line, 'consent_text_id ' || i.consent_text_id"
      " || ' is not a consent text of topic ''' || i.consent_topic || '''' AS reason"
      " FROM import_contacts i" BAD_PROOF_WHERE " ORDER BY i.line",
      0),
    Q(Q_IMPORT_DROP_BAD_PROOF, "DELETE FROM import_contacts i" BAD_PROOF_WHERE, 0),
    Q(Q_IMPORT_DROP_SUPPRESSED,
      "DELETE FROM import_contacts WHERE addr_hmac IN (SELECT addr_hmac FROM suppression)", 0),
    Q(Q_IMPORT_MERGE,
      "WITH m AS (SELECT email_norm, (array_agg(email ORDER BY line DESC))[1] AS email,"
      "  (array_agg(name ORDER BY line DESC) FILTER (WHERE name IS NOT NULL))[1] AS name,"
      "  (array_agg(country ORDER BY line DESC) FILTER (WHERE country IS NOT NULL))[1] AS country,"
      "  (array_agg(locale ORDER BY line DESC) FILTER (WHERE locale IS NOT NULL))[1] AS locale,"
      "  (array_agg(time_zone ORDER BY line DESC) FILTER (WHERE time_zone IS NOT NULL))[1]"
      "   AS time_zone,"
      "  (array_agg(birth_date ORDER BY line DESC) FILTER (WHERE birth_date IS NOT NULL))[1]"
      "   AS birth_date, min(addr_hmac) AS addr_hmac"
      "  FROM import_contacts GROUP BY email_norm),"
      " a AS (SELECT i.email_norm, jsonb_object_agg(kv.key, kv.value ORDER BY i.line) AS attrs"
      "  FROM import_contacts i, jsonb_each(i.attrs) kv GROUP BY i.email_norm)"
      " INSERT INTO contacts (email, email_norm, name, country, locale, birth_date, attrs, source,"
      "  addr_hmac, time_zone)"
      " SELECT m.email, m.email_norm, m.name, m.country, m.locale, m.birth_date,"
      "  COALESCE(a.attrs, '{}'::jsonb), 'import:' || $1, m.addr_hmac, m.time_zone"
      " FROM m LEFT JOIN a USING (email_norm)"
      " ON CONFLICT (email_norm) DO UPDATE SET name = COALESCE(EXCLUDED.name, contacts.name),"
      "  addr_hmac = COALESCE(contacts.addr_hmac, EXCLUDED.addr_hmac),"
      "  country = COALESCE(EXCLUDED.country, contacts.country),"
      "  locale = COALESCE(EXCLUDED.locale, contacts.locale),"
      "  time_zone = COALESCE(EXCLUDED.time_zone, contacts.time_zone),"
      "  birth_date = COALESCE(EXCLUDED.birth_date, contacts.birth_date),"
      "  attrs = contacts.attrs || EXCLUDED.attrs, updated_at = now()",
      1),
    Q(Q_IMPORT_COUNT, "SELECT count(*) AS n FROM import_contacts", 0),
    Q(Q_IMPORT_PROOF_REFUSED,
      "SELECT i.line, CASE WHEN consent_blocked(c.id, t.id)"
      "  THEN 'consent to ''' || t.name || ''' not imported: the person opted out, and only"
      " their own new confirmation lifts that'"
      "  ELSE 'consent to ''' || t.name || ''' not imported: under the consent age'"
      " END AS reason" PROOF_JOIN " WHERE consent_blocked(c.id, t.id)"
      "  OR contact_is_minor(c.birth_date, c.country, i.consented_at)"
      " ORDER BY i.line",
      0),
    Q(Q_LEDGER_IMPORT_PROOF,
      "INSERT INTO consent_events (contact_id, topic_id, kind, occurred_at, email_entered, ip,"
      " source, channel, actor, consent_text_id, consent_text_sha256, locale, note)"
      " SELECT DISTINCT ON (c.id, t.id, i.consented_at, ct.id) c.id, t.id, 'granted',"
      "  i.consented_at, i.email, i.consent_ip, i.consent_source, 'import', 'import', ct.id,"
      "  ct.sha256, ct.locale, 'imported proof: ' || $1 || ' line ' || i.line" PROOF_JOIN
      " WHERE NOT consent_blocked(c.id, t.id)"
      "  AND NOT contact_is_minor(c.birth_date, c.country, i.consented_at)"
      "  AND NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.contact_id = c.id"
      "   AND e.topic_id = t.id AND e.kind = 'granted' AND e.channel = 'import'"
      "   AND e.occurred_at = i.consented_at AND e.consent_text_id = ct.id)"
      " ORDER BY c.id, t.id, i.consented_at, ct.id, i.line",
      1),
    Q(Q_CONTACT_ENSURE,
      "WITH ins AS (INSERT INTO contacts (email, email_norm, source, addr_hmac)"
      "  VALUES ($1, $2, $3, $4) ON CONFLICT (email_norm) DO NOTHING RETURNING id),"
      " fill AS (UPDATE contacts SET addr_hmac = $4 WHERE email_norm = $2 AND addr_hmac IS NULL"
      "  AND NOT EXISTS (SELECT 1 FROM ins))"
      " SELECT id, true AS created FROM ins UNION ALL"
      " SELECT id, false FROM contacts WHERE email_norm = $2 AND NOT EXISTS (SELECT 1 FROM ins)",
      4),
    Q(Q_CONTACT_FIND, "SELECT id FROM contacts WHERE email_norm = $1", 1),
    Q(Q_CONTACT_HMAC_MISSING,
      "SELECT id, email_norm FROM contacts WHERE addr_hmac IS NULL ORDER BY id LIMIT $1::integer",
      1),
    Q(Q_CONTACT_HMAC_FILL,
      "UPDATE contacts c SET addr_hmac = v.h FROM unnest($1::bigint[], $2::text[]) AS v(id, h)"
      " WHERE c.id = v.id AND c.addr_hmac IS NULL",
      2),
    Q(Q_CONTACT_GET,
      "SELECT id, email, email_norm, name, country, locale, time_zone,"
      " (SELECT z.zone FROM country_zones z WHERE z.country = contacts.country) AS country_zone,"
      " birth_date::text AS birth_date,"
      " attrs::text AS attrs, source, iso_utc(created_at) AS created_at FROM contacts"
      " WHERE email_norm = $1",
      1),
    Q(Q_CONTACT_STATES,
      "SELECT t.name AS topic, cc.state, iso_utc(cc.since) AS since, cc.consent_event_id"
      " FROM consent_current cc"
      " JOIN topics t ON t.id = cc.topic_id WHERE cc.contact_id = $1::bigint ORDER BY t.name",
      1),
    Q(Q_CONTACT_OBJECTION,
      "SELECT iso_utc(since) AS since FROM contact_objections WHERE contact_id = $1::bigint", 1),
    Q(Q_CONTACT_HISTORY,
      "SELECT e.id, e.kind::text AS kind, t.name AS topic, iso_utc(e.occurred_at) AS occurred_at,"
      " iso_utc(e.recorded_at) AS recorded_at, e.email_entered, host(e.ip) AS ip, e.user_agent,"
      " e.source, e.channel, e.actor, e.consent_text_id, ct.version AS consent_text_version,"
      " ct.locale AS consent_text_locale, e.consent_text_sha256, e.locale, e.privacy_notice,"
      " e.controller, e.request_id, e.token_sha256, e.age_attested, e.message_id, e.note,"
      " e.receipt_sha256 FROM consent_events e LEFT JOIN topics t ON t.id = e.topic_id"
      " LEFT JOIN consent_texts ct ON ct.id = e.consent_text_id"
      " WHERE e.contact_id = $1::bigint ORDER BY e.id",
      1),
    Q(Q_DOI_CONTACT_LOCK,
      "SELECT contact_is_minor(c.birth_date, c.country, now()) AS minor, c.birth_date,"
      " (SELECT count(*) FROM doi_requests r JOIN confirm_mail_queue q ON q.request_id = r.id"
      "   WHERE r.contact_id = c.id AND q.kind = 'confirm' AND q.queued_at > now() - $2::interval)"
      " AS recent_mails"
      " FROM contacts c WHERE c.id = $1::bigint FOR UPDATE",
      2),
    Q(Q_DOI_NEXT_ID, "SELECT nextval(pg_get_serial_sequence('doi_requests', 'id')) AS id", 0),
    Q(Q_DOI_REQUEST_INSERT,
      "INSERT INTO doi_requests (id, contact_id, token_sha256, expires_at, ip, user_agent, source,"
      " locale, age_attested) OVERRIDING SYSTEM VALUE VALUES ($1::bigint, $2::bigint, $3,"
      " now() + $4::interval, $5::inet, $6, $7, $8, $9::boolean)",
      9),
    Q(Q_DOI_REQUEST_TOPIC,
      "INSERT INTO doi_request_topics (request_id, topic_id, consent_text_id)"
      " VALUES ($1::bigint, $2::bigint, $3::bigint)",
      3),
    Q(Q_DOI_LOOKUP, DOI_LOOKUP_SQL, 1),
    Q(Q_DOI_LOOKUP_FOR_UPDATE, DOI_LOOKUP_SQL " FOR UPDATE OF r", 1),
    Q(Q_DOI_MARK_CONFIRMED,
      "UPDATE doi_requests SET confirmed_at = now() WHERE id = $1::bigint AND confirmed_at IS NULL",
      1),
    Q(Q_DOI_REQUEST_TITLES,
      "SELECT t.title FROM doi_request_topics rt JOIN topics t ON t.id = rt.topic_id"
      " WHERE rt.request_id = $1::bigint ORDER BY t.name",
      1),
    Q(Q_DOI_MAIL_QUEUE,
      "INSERT INTO confirm_mail_queue (request_id, nonce, locked_until, locked_by)"
      " VALUES ($1::bigint, $2, CASE WHEN $3::text IS NULL THEN NULL"
      "  ELSE now() + $4::interval END, $3)",
      4),
    Q(Q_DOI_MAIL_NOTIFY, "SELECT pg_notify('mailout_confirm_mail', '')", 0),
    Q(Q_DOI_MAIL_LISTEN, "LISTEN mailout_confirm_mail", 0),
    Q(Q_DOI_MAIL_CANCEL,
      "UPDATE confirm_mail_queue q SET state = 'cancelled', locked_until = NULL, locked_by = NULL,"
      " receipt = NULL, last_reply = CASE"
      "  WHEN q.kind = 'receipt' THEN 'address suppressed before the receipt was sent'"
      "  WHEN r.confirmed_at IS NOT NULL THEN 'request already confirmed'"
      "  WHEN r.expires_at <= now() THEN 'request expired before the mail was sent'"
      "  ELSE 'request void: withdrawn or objected to after it was made' END"
      " FROM doi_requests r WHERE r.id = q.request_id AND q.state = 'queued'"
      " AND (q.locked_until IS NULL OR q.locked_until <= now() OR q.locked_by = $1)"
      " AND NOT (" DOI_MAIL_OPEN ") RETURNING q.request_id, q.kind, r.contact_id",
      1),
    Q(Q_DOI_MAIL_CLAIM,
      "WITH due AS (SELECT q.request_id, q.kind FROM confirm_mail_queue q"
      "   JOIN doi_requests r ON r.id = q.request_id"
      "  WHERE q.state = 'queued' AND q.next_attempt_at <= now()"
      "   AND (q.locked_until IS NULL OR q.locked_until <= now()) AND" DOI_MAIL_OPEN
      "  ORDER BY q.next_attempt_at, q.request_id, q.kind LIMIT $1::integer"
      "  FOR UPDATE OF q SKIP LOCKED)"
      " UPDATE confirm_mail_queue q SET locked_until = now() + $2::interval, locked_by = $3,"
      "  attempts = q.attempts + 1 FROM due, doi_requests r, contacts c"
      " WHERE q.request_id = due.request_id AND q.kind = due.kind AND r.id = q.request_id"
      "  AND c.id = r.contact_id" DOI_MAIL_CLAIMED,
      3),
    Q(Q_DOI_MAIL_CLAIM_OWNED,
      "UPDATE confirm_mail_queue q SET locked_until = now() + $1::interval,"
      "  attempts = q.attempts + 1 FROM doi_requests r, contacts c"
      " WHERE q.locked_by = $2 AND q.state = 'queued' AND r.id = q.request_id"
      "  AND c.id = r.contact_id AND" DOI_MAIL_OPEN DOI_MAIL_CLAIMED,
      2),
    Q(Q_DOI_MAIL_SENT,
      "UPDATE confirm_mail_queue SET state = 'sent', sent_at = now(), last_code = $2::integer,"
      " last_reply = $3, message_id = $4, locked_until = NULL, locked_by = NULL, receipt = NULL"
      " WHERE request_id = $1::bigint AND kind = $6 AND locked_by = $5",
      6),
    Q(Q_DOI_MAIL_FAILED,
      "UPDATE confirm_mail_queue SET state = 'failed', last_code = $2::integer, last_reply = $3,"
      " locked_until = NULL, locked_by = NULL, receipt = NULL"
      " WHERE request_id = $1::bigint AND kind = $5 AND locked_by = $4",
      5),
    Q(Q_DOI_MAIL_DEFER,
      "UPDATE confirm_mail_queue q SET state = CASE WHEN now() + $4::interval >= " DOI_MAIL_HORIZON
      "  THEN 'failed'::confirm_mail_state ELSE 'queued'::confirm_mail_state END,"
      " receipt = CASE WHEN now() + $4::interval >= " DOI_MAIL_HORIZON
      " THEN NULL ELSE q.receipt END,"
      " next_attempt_at = now() + $4::interval, locked_until = NULL, locked_by = NULL,"
      " last_code = $2::integer, last_reply = $3 FROM doi_requests r"
      " WHERE r.id = q.request_id AND q.request_id = $1::bigint AND q.kind = $6"
      " AND q.locked_by = $5 RETURNING q.state::text AS state",
      6),
    Q(Q_DOI_MAIL_RELEASE,
      "UPDATE confirm_mail_queue SET locked_until = NULL, locked_by = NULL"
      " WHERE locked_by = $1 AND state = 'queued'",
      1),
    Q(Q_DOI_PURGE, "DELETE FROM doi_requests WHERE expires_at < now() - $1::interval", 1),
    Q(Q_RATE_PURGE, "DELETE FROM rate_events WHERE at < now() - interval '1 day'", 0),
    Q(Q_RATE_IP_CHECK,
      "WITH c AS (SELECT count(*) AS n FROM rate_events WHERE kind = 'subscribe_ip'"
      "   AND key_hash = $1 AND at > now() - interval '1 hour'),"
      " ins AS (INSERT INTO rate_events (kind, key_hash) SELECT 'subscribe_ip', $1 FROM c"
      "   WHERE c.n < $2::bigint RETURNING 1)"
      " SELECT (SELECT n FROM c) < $2::bigint AS allowed",
      2),
    Q(Q_SUBSCRIBE_FORM_TOPICS,
      "SELECT t.name, t.title, ct.id AS consent_text_id, ct.body AS consent_text FROM topics t"
      " JOIN LATERAL (SELECT id, body FROM consent_texts WHERE topic_id = t.id"
      "  ORDER BY (locale = $1) DESC, (locale = 'en') DESC, version DESC LIMIT 1) ct ON true"
      " ORDER BY t.reserved, t.name",
      1),
    /* campaigns and the legal-basis engine */
    Q(Q_CAMPAIGN_TEMPLATE_ID, "SELECT id FROM templates WHERE name = $1", 1),
    Q(Q_LEGAL_ENTITY_ENSURE,
      "WITH ins AS (INSERT INTO legal_entities (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
      "   RETURNING id)"
      " SELECT id, true AS created FROM ins"
      " UNION ALL SELECT id, false FROM legal_entities WHERE name = $1 LIMIT 1",
      1),
    Q(Q_CAMPAIGN_UNKNOWN_SKU,
      "SELECT s AS sku FROM unnest($1::text[]) AS s"
      " WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.sku = s) LIMIT 1",
      1),
    Q(Q_CAMPAIGN_EMPTY_CATEGORY,
      "SELECT pc AS path FROM unnest($1::text[]) AS pc"
      " WHERE NOT EXISTS (SELECT 1 FROM products p JOIN categories k ON k.id = p.category_id"
      "   WHERE k.path = pc OR starts_with(k.path, pc || '/')) LIMIT 1",
      1),
    Q(Q_CAMPAIGN_INSERT,
      "INSERT INTO campaigns (name, topic_id, template_id, segment_id, legal_entity_id,"
      " promotes_skus, promotes_categories) VALUES ($1, $2::bigint, $3::bigint, $4::bigint,"
      " $5::bigint, $6::text[], $7::text[]) RETURNING id",
      7),
    Q(Q_CAMPAIGN_GET, CAMPAIGN_GET_SQL, 1),
    Q(Q_CAMPAIGN_GET_FOR_UPDATE, CAMPAIGN_GET_SQL " FOR UPDATE OF cm", 1),
    Q(Q_CAMPAIGN_EXPLAIN,
      "WITH n AS (SELECT COALESCE(d.basis, d.reason) AS key, count(*) AS n"
      "   FROM legal_basis($1::bigint, ARRAY(SELECT c.id FROM contacts c"
      "                    WHERE c.erased_at IS NULL AND ({segment})),"
      "                    $2::timestamptz) d GROUP BY 1)"
      " SELECT k.kind, k.key, COALESCE(n.n, 0) AS n FROM legal_basis_keys() k"
      " LEFT JOIN n ON n.key = k.key ORDER BY k.ord",
      2),
    Q(Q_CAMPAIGN_IN_SEGMENT,
      "SELECT EXISTS (SELECT 1 FROM contacts c WHERE c.id = $1::bigint"
      " AND c.erased_at IS NULL AND $2::timestamptz IS NOT NULL AND ({segment})) AS member",
      2),
    Q(Q_CAMPAIGN_DECIDE_ONE,
      "SELECT basis, reason, consent_event_id, order_id, relation"
      " FROM legal_basis($1::bigint, ARRAY[$2::bigint], $3::timestamptz)",
      3),
    Q(Q_CAMPAIGN_PATH,
      "SELECT step, rule, result, detail"
      " FROM legal_basis_path($1::bigint, $2::bigint, $3::timestamptz) ORDER BY step",
      3),
    Q(Q_CAMPAIGN_LAST_RUN,
      "SELECT id, iso_utc(created_at) AS created_at, state FROM campaign_runs"
      " WHERE campaign_id = $1::bigint ORDER BY id DESC LIMIT 1",
      1),
    Q(Q_CAMPAIGN_SINCE,
      "WITH now AS (SELECT * FROM legal_basis($1::bigint,"
      "     ARRAY(SELECT c.id FROM contacts c WHERE c.erased_at IS NULL AND ({segment})),"
      "     $2::timestamptz)),"
      " last AS (SELECT * FROM campaign_run_decisions WHERE run_id = $3::bigint),"
      " diff AS (SELECT COALESCE(n.contact_id, l.contact_id) AS contact_id,"
      "     l.basis AS was_basis, COALESCE(l.basis, l.reason, 'not_in_segment') AS was,"
      "     n.basis AS now_basis, COALESCE(n.basis, n.reason, 'not_in_segment') AS now"
      "   FROM now n FULL JOIN last l ON l.contact_id = n.contact_id"
      "   WHERE n.basis IS DISTINCT FROM l.basis),"
      " cnt AS (SELECT count(*) FILTER (WHERE was_basis IS NULL) AS gained,"
      "     count(*) FILTER (WHERE now_basis IS NULL) AS lost,"
      "     count(*) FILTER (WHERE was_basis IS NOT NULL AND now_basis IS NOT NULL) AS changed"
      "   FROM diff)"
      " SELECT cnt.gained, cnt.lost, cnt.changed, x.email, x.was, x.now, x.was_basis,"
      "     x.now_basis FROM cnt"
      " LEFT JOIN LATERAL (SELECT c.email, diff.* FROM diff JOIN contacts c ON c.id = diff.contact_id"
      "   ORDER BY diff.contact_id LIMIT $4::bigint) x ON true",
      4),
    Q(Q_CAMPAIGN_OPEN_RUN,
      "SELECT id, state FROM campaign_runs WHERE campaign_id = $1::bigint"
      " AND state IN ('queued', 'sending', 'paused') ORDER BY id DESC LIMIT 1",
      1),
    Q(Q_CAMPAIGN_RUN_INSERT,
      "INSERT INTO campaign_runs (campaign_id, scheduled_for) VALUES ($1::bigint,"
      " $2::timestamptz) RETURNING id",
      2),
    Q(Q_CAMPAIGN_RUN_DECIDE,
      "INSERT INTO campaign_run_decisions (run_id, contact_id, basis, reason, consent_event_id,"
      " order_id, relation)"
      " SELECT $3::bigint, d.contact_id, d.basis, d.reason, d.consent_event_id, d.order_id,"
      " d.relation FROM legal_basis($1::bigint, ARRAY(SELECT c.id FROM contacts c"
      " WHERE c.erased_at IS NULL AND ({segment})),"
      " $2::timestamptz) d",
      3),
    Q(Q_CAMPAIGN_RUN_QUEUE,
      "INSERT INTO send_queue (run_id, contact_id, basis, consent_event_id, order_id, relation)"
      " SELECT run_id, contact_id, basis, consent_event_id, order_id, relation"
      " FROM campaign_run_decisions WHERE run_id = $1::bigint AND basis IS NOT NULL",
      1),
    Q(Q_CAMPAIGN_RUN_COUNTS,
      "SELECT count(*) AS considered, count(basis) AS queued FROM campaign_run_decisions"
      " WHERE run_id = $1::bigint",
      1),
    Q(Q_CAMPAIGN_RUN_DONE,
      "UPDATE campaign_runs SET state = 'done', finished_at = now() WHERE id = $1::bigint", 1),
    Q(Q_LEDGER_EXPIRE_RUN,
      "INSERT INTO consent_events (contact_id, topic_id, kind, source, channel, actor, note)"
      " SELECT d.contact_id, cm.topic_id, 'expired', $2, 'system', 'system',"
      "   'consent lapsed: no marketing send within consent_lapse_months (consent event '"
      "   || d.consent_event_id || ')'"
      " FROM campaign_run_decisions d JOIN campaign_runs r ON r.id = d.run_id"
      " JOIN campaigns cm ON cm.id = r.campaign_id"
      " WHERE d.run_id = $1::bigint AND d.reason = 'consent_expired'"
      " AND d.consent_event_id IS NOT NULL",
      2),
    /* issue 8, policy and template (policy.c, template.c) */
    Q(Q_POLICY_LIST, "SELECT " POLICY_COLUMNS " FROM policy ORDER BY country <> '*', country", 0),
    Q(Q_POLICY_FOR_COUNTRY,
      "SELECT " POLICY_COLUMNS " FROM policy WHERE country IN ($1, '*')"
      " ORDER BY country = '*' LIMIT 1",
      1),
    Q(Q_POLICY_COPY_DEFAULT,
      "INSERT INTO policy (country, " POLICY_KEYS ", note)"
      " SELECT $1, " POLICY_KEYS ", 'copied from * by policy set' FROM policy WHERE country = '*'"
      " ON CONFLICT (country) DO NOTHING RETURNING country",
      1),
    Q(Q_POLICY_VALUE_LOCK,
      "SELECT (to_jsonb(p) -> $2::text)::text AS value FROM policy p WHERE p.country = $1"
      " FOR UPDATE",
      2),
    /* the key is one of policy.c's table; the value its canonical text */
    Q(Q_POLICY_SET,
      "UPDATE policy AS p SET (" POLICY_KEYS ") = (SELECT " POLICY_KEYS
      " FROM jsonb_populate_record(p, jsonb_build_object($2::text, $3::text)))"
      " WHERE p.country = $1 RETURNING (to_jsonb(p) -> $2::text)::text AS value",
      3),
    Q(Q_TEMPLATE_ADD,
      "INSERT INTO templates (name, kind, subject, text_body, html_body, locale)"
      " VALUES ($1, 'marketing', $2, $3, $4, $5) RETURNING id",
      5),
    /* segments (issue 8, segment.c) */
    Q(Q_SEGMENT_CREATE, "INSERT INTO segments (name, expr) VALUES ($1, $2) RETURNING id", 2),
    Q(Q_SEGMENT_LOAD, "SELECT id, name, expr FROM segments WHERE name = $1", 1),
    /* the reference time is typed here, whether or not the segment uses it */
    Q(Q_SEGMENT_COUNT,
      "SELECT count(*) AS n FROM contacts c WHERE $1::timestamptz IS NOT NULL AND c.erased_at IS NULL"
      " AND ({segment})",
      1),
    /* catalogue, orders and web activity (issue 8: h-import) */
    Q(Q_PRODUCT_IMPORT_CONFLICTS,
      "SELECT i.line, 'sku ''' || i.sku || ''' is already on line ' || f.line"
      " || ' with another name or category' AS reason"
      " FROM import_products i JOIN" PRODUCT_CONFLICT_FROM " ON" PRODUCT_CONFLICT_WHERE
      " ORDER BY i.line",
      0),
    Q(Q_PRODUCT_IMPORT_DROP_CONFLICTS,
      "DELETE FROM import_products i USING" PRODUCT_CONFLICT_FROM " WHERE" PRODUCT_CONFLICT_WHERE,
      0),
    Q(Q_PRODUCT_IMPORT_CATEGORIES,
      "INSERT INTO categories (path) SELECT DISTINCT category FROM import_products"
      " ON CONFLICT (path) DO NOTHING",
      0),
    Q(Q_PRODUCT_IMPORT_MERGE,
      "WITH up AS (INSERT INTO products (sku, name, category_id)"
      "  SELECT DISTINCT ON (i.sku) i.sku, i.name, c.id FROM import_products i"
      "  JOIN categories c ON c.path = i.category ORDER BY i.sku, i.line"
      "  ON CONFLICT (sku) DO UPDATE SET name = COALESCE(EXCLUDED.name, products.name),"
      "   category_id = EXCLUDED.category_id"
      "  RETURNING (xmax = 0) AS created)"
      " SELECT count(*) AS n, count(*) FILTER (WHERE created) AS created FROM up",
      0),
    Q(Q_PRODUCT_EXISTS, "SELECT 1 FROM products WHERE sku = $1", 1),
    Q(Q_PRODUCT_RELATE,
      "INSERT INTO product_relations (sku_a, sku_b) VALUES (LEAST($1, $2), GREATEST($1, $2))"
      " ON CONFLICT DO NOTHING RETURNING sku_a",
      2),
    Q(Q_CATEGORY_COVERS,
      "SELECT EXISTS (SELECT 1 FROM products p JOIN categories c ON c.id = p.category_id"
      " WHERE c.path = $1 OR left(c.path, length($1) + 1) = $1 || '/') AS covers",
      1),
    Q(Q_CATEGORY_ENSURE,
      "WITH ins AS (INSERT INTO categories (path) VALUES ($1) ON CONFLICT (path) DO NOTHING"
      "  RETURNING id)"
      " SELECT id, true AS created FROM ins UNION ALL"
      " SELECT id, false FROM categories WHERE path = $1 AND NOT EXISTS (SELECT 1 FROM ins)",
      1),
    Q(Q_CATEGORY_RELATE,
      "INSERT INTO category_relations (category_a, category_b)"
      " VALUES (LEAST($1::bigint, $2::bigint), GREATEST($1::bigint, $2::bigint))"
      " ON CONFLICT DO NOTHING RETURNING category_a",
      2),
    Q(Q_ORDER_IMPORT_UNKNOWN_SKU,
      "SELECT i.line, 'unknown sku ''' || i.sku || '''' AS reason FROM import_orders i" UNKNOWN_SKU_WHERE
      " ORDER BY i.line",
      0),
    Q(Q_ORDER_IMPORT_DROP_UNKNOWN_SKU, "DELETE FROM import_orders i" UNKNOWN_SKU_WHERE, 0),
    Q(Q_ORDER_IMPORT_CONFLICTS,
      "SELECT i.line, 'order ''' || i.order_id || ''' sku ''' || i.sku || ''' is already on line '"
      " || f.line || ' with other values' AS reason"
      " FROM import_orders i JOIN" ORDER_CONFLICT_FROM " ON" ORDER_CONFLICT_WHERE
      " ORDER BY i.line",
      0),
    Q(Q_ORDER_IMPORT_DROP_CONFLICTS,
      "DELETE FROM import_orders i USING" ORDER_CONFLICT_FROM " WHERE" ORDER_CONFLICT_WHERE, 0),
    Q(Q_ORDER_IMPORT_DROP_SUPPRESSED,
      "DELETE FROM import_orders WHERE addr_hmac IN (SELECT addr_hmac FROM suppression)", 0),
    Q(Q_ORDER_IMPORT_ENTITIES,
      "INSERT INTO legal_entities (name) SELECT DISTINCT legal_entity FROM import_orders"
      " ON CONFLICT (name) DO NOTHING",
      0),
    Q(Q_ORDER_IMPORT_CONTACTS,
      "INSERT INTO contacts (email, email_norm, source, addr_hmac)"
      " SELECT DISTINCT ON (email_norm) email, email_norm, $1, addr_hmac FROM import_orders"
      " ORDER BY email_norm, line ON CONFLICT (email_norm) DO NOTHING",
      1),
    Q(Q_ORDER_IMPORT_COUNT, "SELECT count(DISTINCT (order_id, sku)) AS n FROM import_orders", 0),
    Q(Q_ORDER_IMPORT_MERGE,
      "WITH up AS (INSERT INTO orders (order_id, contact_id, sku, ordered_at, legal_entity_id,"
      "  collected_in_sale, opt_out_offered)"
      "  SELECT DISTINCT ON (i.order_id, i.sku) i.order_id, c.id, i.sku, i.ordered_at, l.id,"
      "   i.collected_in_sale, i.opt_out_offered"
      "  FROM import_orders i JOIN contacts c ON c.email_norm = i.email_norm"
      "  JOIN legal_entities l ON l.name = i.legal_entity ORDER BY i.order_id, i.sku, i.line"
      "  ON CONFLICT (order_id, sku) DO UPDATE SET contact_id = EXCLUDED.contact_id,"
      "   ordered_at = EXCLUDED.ordered_at, legal_entity_id = EXCLUDED.legal_entity_id,"
      "   collected_in_sale = EXCLUDED.collected_in_sale,"
      "   opt_out_offered = EXCLUDED.opt_out_offered, imported_at = now()"
      "  WHERE (orders.contact_id, orders.ordered_at, orders.legal_entity_id,"
      "   orders.collected_in_sale, orders.opt_out_offered) IS DISTINCT FROM"
      "   (EXCLUDED.contact_id, EXCLUDED.ordered_at, EXCLUDED.legal_entity_id,"
      "   EXCLUDED.collected_in_sale, EXCLUDED.opt_out_offered)"
      "  RETURNING (xmax = 0) AS created)"
      " SELECT count(*) FILTER (WHERE created) AS created,"
      "  count(*) FILTER (WHERE NOT created) AS updated FROM up",
      0),
    Q(Q_ACTIVITY_IMPORT_DROP,
      "WITH allowed AS (SELECT c.email_norm FROM contacts c"
      "  WHERE c.email_norm IN (SELECT DISTINCT email_norm FROM import_activity)"
      "  AND consent_is_current(c.id, " TRACKING_TOPIC ")"
      /* issue 13 (h-sensitive): known minors are never profiled (Art. 8, R-GDPR-6) */
      "  AND NOT contact_is_minor(c.birth_date, c.country, now())),"
      " gone AS (DELETE FROM import_activity i"
      "  WHERE i.email_norm NOT IN (SELECT email_norm FROM allowed) RETURNING i.email_norm)"
      " SELECT count(*) AS dropped, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM contacts c"
      "  WHERE c.email_norm = gone.email_norm)) AS unknown FROM gone",
      0),
    Q(Q_ACTIVITY_IMPORT_COUNT, "SELECT count(*) AS n FROM import_activity", 0),
    Q(Q_ACTIVITY_IMPORT_MERGE,
      "INSERT INTO web_activity (contact_id, kind, item, at)"
      " SELECT DISTINCT c.id, i.kind, i.item, i.at FROM import_activity i"
      " JOIN contacts c ON c.email_norm = i.email_norm"
      " WHERE NOT EXISTS (SELECT 1 FROM web_activity w WHERE w.contact_id = c.id"
      "  AND w.kind = i.kind AND w.at = i.at AND w.item = i.item)",
      0),
    Q(Q_ACTIVITY_PURGE, "DELETE FROM web_activity WHERE at < now() - $1::interval", 1),
    /* issue 9: campaign mail (h-mail) */
    Q(Q_CAMPAIGN_MAIL_LOAD,
      "SELECT cm.id, cm.name, t.id AS topic_id, t.name AS topic, t.title AS topic_title,"
      " le.name AS legal_entity, tp.subject, tp.text_body, tp.html_body, tp.locale"
      " FROM campaigns cm JOIN topics t ON t.id = cm.topic_id"
      " JOIN legal_entities le ON le.id = cm.legal_entity_id"
      " JOIN templates tp ON tp.id = cm.template_id WHERE cm.id = $1::bigint",
      1),
    Q(Q_CAMPAIGN_MAIL_LABELS, "SELECT country, opt_out_label FROM policy ORDER BY country", 0),
    Q(Q_CAMPAIGN_MAIL_FIND, "SELECT id FROM campaigns WHERE name = $1", 1),
    Q(Q_CAMPAIGN_MAIL_CONTACT,
      "SELECT id, email_norm AS email, name, country, locale, attrs::text AS attrs,"
      " consent_explicit_attrs(id, (SELECT topic_id FROM campaigns WHERE id = $2::bigint))::text"
      " AS explicit"
      " FROM contacts WHERE email_norm = $1",
      2),
    /* issue 9: dispatch (h-dispatch) */
    Q(Q_DISPATCH_LOCK, "SELECT pg_try_advisory_lock(" DISPATCH_LOCK_CLASS ", $1::integer) AS ok",
      1),
    /* rows of workers without a live session (and not of this process): claimed ones
       back to the queue, sending ones uncertain with a send record saying so */
    Q(Q_DISPATCH_RECOVER,
      "WITH " DISPATCH_LIVE ","
      " dead AS (SELECT q.id FROM send_queue q WHERE q.state IN ('claimed', 'sending')"
      "  AND NOT q.worker_key = ANY ($1::bigint[])"
      "  AND NOT EXISTS (SELECT 1 FROM live WHERE live.k = q.worker_key) FOR UPDATE SKIP LOCKED),"
      " u AS (UPDATE send_queue q"
      "  SET state = CASE WHEN q.state = 'claimed' THEN 'queued' ELSE 'uncertain' END,"
      "  reason = CASE WHEN q.state = 'sending' THEN 'the worker stopped during the SMTP session:"
      " the message may have been delivered' ELSE q.reason END,"
      "  worker_key = NULL, updated_at = now() FROM dead WHERE q.id = dead.id"
      "  RETURNING q.id, q.state, q.run_id, q.contact_id, q.message_id, q.reason," DISPATCH_EVIDENCE_COLS
      "),"
      " rec AS (INSERT INTO send_records (queue_id, run_id, contact_id, message_id, basis,"
      "  evidence, status, smtp_reply) SELECT u.id, u.run_id, u.contact_id, u.message_id, u.basis," DISPATCH_EVIDENCE
      ", 'uncertain', u.reason FROM u WHERE u.state = 'uncertain')"
      " SELECT count(*) FILTER (WHERE state = 'queued') AS released,"
      "  count(*) FILTER (WHERE state = 'uncertain') AS uncertain FROM u",
      1),
    /* the worker that settles a run's last row (or any worker's sweep) closes it */
    Q(Q_DISPATCH_RUNS_DONE,
      "UPDATE campaign_runs r SET state = 'done', finished_at = now()"
      " WHERE r.state IN ('queued', 'sending') AND NOT EXISTS (SELECT 1 FROM send_queue q"
      "  WHERE q.run_id = r.id AND q.state IN ('queued', 'claimed', 'sending')) RETURNING r.id",
      0),
    Q(Q_DISPATCH_CLAIM,
      "WITH c AS (SELECT q.id FROM send_queue q JOIN campaign_runs r ON r.id = q.run_id"
      "  WHERE q.state = 'queued' AND q.due_at <= now() AND r.state IN ('queued', 'sending')"
      "  ORDER BY q.due_at, q.id LIMIT $1::integer FOR UPDATE OF q SKIP LOCKED),"
      " u AS (UPDATE send_queue q SET state = 'claimed', worker_key = $2::bigint, updated_at = now()"
      "  FROM c WHERE q.id = c.id RETURNING q.id, q.run_id, q.contact_id, q.attempts),"
      " rs AS (UPDATE campaign_runs r SET state = 'sending'"
      "  WHERE r.state = 'queued' AND r.id IN (SELECT u.run_id FROM u))"
      " SELECT u.id, u.run_id, r.campaign_id, u.contact_id, u.attempts, ct.email, ct.name,"
      "  ct.country, ct.locale, ct.attrs::text AS attrs,"
      "  consent_explicit_attrs(ct.id, (SELECT cm.topic_id FROM campaigns cm"
      "   WHERE cm.id = r.campaign_id))::text AS explicit"
      " FROM u JOIN campaign_runs r ON r.id = u.run_id JOIN contacts ct ON ct.id = u.contact_id"
      " ORDER BY r.campaign_id, u.id",
      2),
    Q(Q_DISPATCH_ENGINE,
      "SELECT b.contact_id, b.basis, b.reason, b.consent_event_id, b.order_id, b.relation"
      " FROM legal_basis($1::bigint, $2::bigint[], now()) b",
      2),
    /* claimed rows that go nowhere near SMTP: excluded (no basis), failed (cannot be
       rendered: with a send record) or queued (given back) */
    Q(Q_DISPATCH_SETTLE,
      "WITH m AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],"
      "  $5::bigint[], $6::text[], $7::text[]) AS m(id, state, reason, basis, consent_event_id,"
      "  order_id, relation)),"
      " u AS (UPDATE send_queue q SET state = m.state, reason = COALESCE(m.reason, q.reason),"
      "  basis = COALESCE(m.basis, q.basis),"
      "  consent_event_id = CASE WHEN m.basis IS NULL THEN q.consent_event_id"
      "   ELSE m.consent_event_id END,"
      "  order_id = CASE WHEN m.basis IS NULL THEN q.order_id ELSE m.order_id END,"
      "  relation = CASE WHEN m.basis IS NULL THEN q.relation ELSE m.relation END,"
      "  worker_key = NULL, updated_at = now(),"
      "  attempts = q.attempts + CASE WHEN m.state = 'failed' THEN 1 ELSE 0 END"
      "  FROM m WHERE q.id = m.id AND q.worker_key = $8::bigint AND q.state = 'claimed'"
      "  RETURNING q.id, q.state, q.run_id, q.contact_id, q.reason," DISPATCH_EVIDENCE_COLS "),"
      " rec AS (INSERT INTO send_records (queue_id, run_id, contact_id, basis, evidence, status,"
      "  smtp_reply) SELECT u.id, u.run_id, u.contact_id, u.basis," DISPATCH_EVIDENCE ", 'failed',"
      "  u.reason FROM u WHERE u.state = 'failed')"
      " SELECT count(*) AS n FROM u",
      8),
    /* claimed -> sending for runs still sending (paused: back to the queue, cancelled:
       cancelled), with the basis found at claim, the Message-ID and the token */
    Q(Q_DISPATCH_HANDOVER,
      "WITH m AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[],"
      "  $5::bigint[], $6::text[], $7::text[]) AS m(id, message_id, token_sha256, basis,"
      "  consent_event_id, order_id, relation)),"
      " x AS (SELECT q.id, r.state AS run_state, r.campaign_id FROM send_queue q"
      "  JOIN campaign_runs r ON r.id = q.run_id"
      "  WHERE q.id IN (SELECT m.id FROM m) AND q.worker_key = $8::bigint AND q.state = 'claimed'"
      "  FOR UPDATE OF q),"
      " u AS (UPDATE send_queue q SET state = CASE x.run_state WHEN 'paused' THEN 'queued'"
      "   WHEN 'cancelled' THEN 'cancelled' ELSE 'sending' END,"
      "  worker_key = CASE WHEN x.run_state IN ('paused', 'cancelled') THEN NULL"
      "   ELSE q.worker_key END,"
      "  message_id = CASE WHEN x.run_state IN ('paused', 'cancelled') THEN q.message_id"
      "   ELSE m.message_id END,"
      "  basis = m.basis, consent_event_id = m.consent_event_id, order_id = m.order_id,"
      "  relation = m.relation, updated_at = now()"
      "  FROM x, m WHERE q.id = x.id AND m.id = x.id"
      "  RETURNING q.id, q.state, q.contact_id, q.run_id, x.campaign_id, m.token_sha256,"
      "  q.message_id),"
      " t AS (INSERT INTO unsubscribe_tokens (token_sha256, contact_id, topic_id, run_id, message_id)"
      "  SELECT u.token_sha256, u.contact_id, cm.topic_id, u.run_id, u.message_id FROM u"
      "  JOIN campaigns cm ON cm.id = u.campaign_id WHERE u.state = 'sending')"
      " SELECT u.id, u.state FROM u",
      8),
    Q(Q_DISPATCH_SENDING_MINE,
      "SELECT q.id FROM send_queue q WHERE q.worker_key = $1::bigint AND q.state = 'sending'"
      " AND q.id = ANY ($2::bigint[])",
      2),
    Q(Q_DISPATCH_RELEASE,
      "UPDATE send_queue SET state = 'queued', worker_key = NULL, updated_at = now()"
      " WHERE worker_key = $1::bigint AND state = 'claimed'",
      1),
    /* every outcome of one session: the queue row, one send record per attempt, and
       the hard bounces suppressed */
    Q(Q_DISPATCH_RECORD,
      "WITH m AS (SELECT * FROM unnest($1::bigint[], $2::text[], $3::integer[], $4::text[],"
      "  $5::integer[], $6::text[], $7::integer[], $8::boolean[]) AS m(id, state, code, reply,"
      "  delay, rec, att, bounce)),"
      " u AS (UPDATE send_queue q SET state = m.state, attempts = q.attempts + m.att,"
      "  last_code = NULLIF(m.code, 0), reason = CASE WHEN m.state = 'sent' THEN NULL ELSE m.reply END,"
      "  due_at = CASE WHEN m.state = 'queued' THEN now() + make_interval(secs => m.delay)"
      "   ELSE q.due_at END, worker_key = NULL, updated_at = now()"
      "  FROM m WHERE q.id = m.id AND q.worker_key = $9::bigint AND q.state IN ('sending', 'uncertain')"
      "  RETURNING q.id, q.run_id, q.contact_id, q.message_id, m.rec, m.code, m.reply, m.bounce," DISPATCH_EVIDENCE_COLS
      "),"
      " rec AS (INSERT INTO send_records (queue_id, run_id, contact_id, message_id, basis, evidence,"
      "  status, smtp_code, smtp_reply) SELECT u.id, u.run_id, u.contact_id, u.message_id, u.basis," DISPATCH_EVIDENCE
      ", u.rec, NULLIF(u.code, 0), u.reply FROM u WHERE u.rec IS NOT NULL),"
      " sup AS (INSERT INTO suppression (addr_hmac, reason) SELECT DISTINCT c.addr_hmac, 'hard_bounce'"
      "  FROM u JOIN contacts c ON c.id = u.contact_id WHERE u.bounce AND c.addr_hmac IS NOT NULL"
      "  ON CONFLICT DO NOTHING RETURNING addr_hmac),"
      /* the CRM hears of each new suppression, as suppress_add() tells it */
      " ob AS (INSERT INTO webhook_outbox (event, contact_id, payload)"
      "  SELECT 'suppressed', c.id, jsonb_build_object('event', 'suppressed', 'contact_id', c.id,"
      "   'email', c.email, 'reason', 'hard_bounce', 'at', iso_utc(now()))"
      "  FROM sup JOIN contacts c ON c.addr_hmac = sup.addr_hmac RETURNING 1)"
      " SELECT u.id, u.contact_id, u.run_id, u.bounce, (SELECT count(*) FROM sup) AS suppressed"
      " FROM u",
      9),
    Q(Q_DISPATCH_RESEND_UNCERTAIN,
      "WITH " DISPATCH_LIVE ","
      " u AS (UPDATE send_queue q SET state = 'queued', worker_key = NULL, due_at = now(),"
      "  reason = 're-sent on request (dispatch --resend-uncertain)', updated_at = now()"
      "  FROM campaign_runs r WHERE r.id = q.run_id AND q.state = 'uncertain'"
      "  AND r.state IN ('queued', 'sending', 'paused', 'done')"
      "  AND NOT EXISTS (SELECT 1 FROM live WHERE live.k = q.worker_key) RETURNING q.run_id),"
      " r AS (UPDATE campaign_runs r SET state = 'sending', finished_at = NULL"
      "  WHERE r.state = 'done' AND r.id IN (SELECT u.run_id FROM u))"
      " SELECT u.run_id, count(*) AS n FROM u GROUP BY u.run_id ORDER BY u.run_id",
      0),
    Q(Q_DISPATCH_COUNTS,
      "SELECT (SELECT count(*) FROM send_queue q JOIN campaign_runs r ON r.id = q.run_id"
      "  WHERE q.state IN ('queued', 'claimed', 'sending') AND r.state IN ('queued', 'sending'))"
      "  AS left_rows,"
      " (SELECT count(*) FROM send_queue WHERE state = 'uncertain') AS uncertain",
      0),
    /* issue 9: campaign control, status, rate (h-control) */
    Q(Q_CTL_CAMPAIGN_ID, "SELECT id FROM campaigns WHERE name = $1", 1),
    Q(Q_CTL_CAMPAIGN_LOCK, "SELECT id FROM campaigns WHERE name = $1 FOR SHARE", 1),
    Q(Q_CTL_LAST_RUN_LOCK,
      "SELECT id, state FROM campaign_runs WHERE campaign_id = $1::bigint"
      " ORDER BY id DESC LIMIT 1 FOR UPDATE",
      1),
    Q(Q_CTL_RUN_SET_STATE,
      "UPDATE campaign_runs SET state = $2,"
      " finished_at = CASE WHEN $2 = 'cancelled' THEN now() ELSE finished_at END"
      " WHERE id = $1::bigint",
      2),
    Q(Q_CTL_RUN_EVER_CLAIMED,
      "SELECT EXISTS (SELECT 1 FROM send_queue WHERE run_id = $1::bigint"
      "   AND (state <> 'queued' OR attempts > 0))"
      " OR EXISTS (SELECT 1 FROM send_records WHERE run_id = $1::bigint) AS claimed",
      1),
    Q(Q_CTL_QUEUE_CANCEL,
      "UPDATE send_queue SET state = 'cancelled', reason = 'campaign cancelled',"
      " updated_at = now() WHERE run_id = $1::bigint AND state = 'queued'",
      1),
    Q(Q_CTL_QUEUE_RETRY,
      "UPDATE send_queue SET state = 'queued', due_at = now(), reason = NULL, worker_key = NULL,"
      " worker = NULL, lease_until = NULL, updated_at = now()"
      " WHERE run_id = $1::bigint AND state = 'failed'",
      1),
    Q(Q_CTL_RUN_REOPEN,
      "UPDATE campaign_runs SET state = 'queued', finished_at = NULL"
      " WHERE id = $1::bigint AND state = 'done'",
      1),
    /* one GROUP BY per run over the (run_id, state) index; deferred from its partial index */
    Q(Q_CTL_STATUS,
      "SELECT r.id AS run, r.state AS run_state, iso_utc(r.created_at) AS created_at,"
      " iso_utc(r.finished_at) AS finished_at, q.state, COALESCE(q.n, 0) AS n,"
      " (SELECT count(*) FROM send_queue d WHERE d.run_id = r.id AND d.state = 'queued'"
      "   AND d.attempts > 0) AS deferred"
      " FROM campaign_runs r LEFT JOIN LATERAL (SELECT state, count(*) AS n FROM send_queue"
      "   WHERE run_id = r.id GROUP BY state) q ON true"
      " WHERE r.campaign_id = $1::bigint"
      " ORDER BY r.id DESC, q.state",
      1),
    /* /metrics: messages per status (all time) and open queue rows per state */
    Q(Q_CTL_METRICS,
      "SELECT 'record' AS kind, status AS key, count(*) AS n FROM send_records GROUP BY status"
      " UNION ALL SELECT 'queue', state, count(*) FROM send_queue"
      " WHERE state IN ('queued', 'claimed', 'sending', 'uncertain') GROUP BY state",
      0),
    Q(Q_THROTTLE_TAKE,
      "UPDATE send_rate SET"
      " granted = least($2::bigint,"
      "   floor(send_rate_level(tokens, updated_at, $1::bigint, statement_timestamp())))::bigint,"
      " tokens = send_rate_level(tokens, updated_at, $1::bigint, statement_timestamp())"
      "   - least($2::bigint,"
      "   floor(send_rate_level(tokens, updated_at, $1::bigint, statement_timestamp()))),"
      " updated_at = greatest(updated_at, statement_timestamp())"
      " WHERE id RETURNING granted,"
      " CASE WHEN granted > 0 THEN 0"
      "   ELSE greatest(1, ceil((1 - tokens) * 1000 / $1::bigint))::bigint END AS wait_ms",
      2),
    /* issue 9: doctor and DKIM (h-dkim) */
    Q(Q_DOCTOR_MIGRATIONS, "SELECT version FROM mailout_migrations ORDER BY version", 0),
    /* issue 9: transport (h-transport) */
    /* issue 10: shared (lead) */
    Q(Q_UNSUB_TOKEN_LOOKUP,
      "SELECT u.contact_id, u.topic_id, t.name AS topic, u.run_id, COALESCE(u.message_id, '')"
      " AS message_id FROM unsubscribe_tokens u JOIN topics t ON t.id = u.topic_id"
      " WHERE u.token_sha256 = $1",
      1),
    /* the outbox entry only for a known contact and a hash new on the list */
    Q(Q_SUPPRESSION_ADD,
      "WITH ins AS (INSERT INTO suppression (addr_hmac, reason) VALUES ($1, $2)"
      "  ON CONFLICT (addr_hmac) DO NOTHING RETURNING addr_hmac),"
      " ob AS (INSERT INTO webhook_outbox (event, contact_id, payload)"
      "  SELECT 'suppressed', c.id, jsonb_build_object('event', 'suppressed', 'contact_id', c.id,"
      "   'email', c.email, 'reason', $2::text, 'at', iso_utc(now()))"
      "  FROM contacts c, ins WHERE c.id = $3::bigint RETURNING 1)"
      " SELECT addr_hmac FROM ins",
      3),
    /* issue 10: unsubscribe pages, one-click, preferences (h-web) */
    Q(Q_TOKEN_REVOKE,
      "SELECT contact_id, topic_id, topic, topic_title, run_id, message_id, all_marketing, changed"
      " FROM token_revoke($1, $2::boolean, $3::boolean, $4, $5, $6::inet, $7, $8)",
      8),
    /* a token's recipient, locked for one change, with the one-click scope of the contact's
       country (else '*') */
    Q(Q_UNSUB_TOKEN_LOCK,
      "SELECT u.contact_id, u.topic_id, t.name AS topic, t.title AS topic_title, u.run_id,"
      " COALESCE(u.message_id, '') AS message_id,"
      " COALESCE((SELECT p.one_click_scope FROM policy p WHERE p.country IN (c.country, '*')"
      "   ORDER BY p.country = '*' LIMIT 1), 'topic') AS one_click_scope"
      " FROM unsubscribe_tokens u JOIN topics t ON t.id = u.topic_id"
      " JOIN contacts c ON c.id = u.contact_id"
      " WHERE u.token_sha256 = $1 FOR NO KEY UPDATE OF c",
      1),
    /*
     * The preference page of a token in one statement: one row per topic that has a consent
     * text, that the contact has an event for, or that the token names, with the contact's
     * state (as consent_current derives it, read per topic through the ledger's index) and
     * the newest consent text in $2, else English, else any.  No rows: unknown token.
     */
    Q(Q_UNSUB_PAGE,
      "SELECT u.contact_id, u.topic_id AS token_topic_id, t.id AS topic_id, t.name, t.title,"
      " CASE WHEN d.kind IN ('confirmed', 'granted') THEN 'confirmed'"
      "  WHEN EXISTS (SELECT 1 FROM consent_events r WHERE r.contact_id = u.contact_id"
      "   AND r.topic_id = t.id AND r.kind = 'requested' AND r.id > COALESCE(d.id, 0))"
      "   THEN 'pending'"
      "  ELSE COALESCE(d.kind, '') END AS state,"
      " tx.id AS consent_text_id, tx.body AS consent_text"
      " FROM unsubscribe_tokens u CROSS JOIN topics t"
      " LEFT JOIN LATERAL (SELECT e.id, e.kind::text AS kind FROM consent_events e"
      "  WHERE e.contact_id = u.contact_id AND ((e.topic_id = t.id"
      "   AND e.kind IN ('confirmed', 'granted', 'withdrawn', 'expired')) OR e.kind = 'objected')"
      "  ORDER BY e.id DESC LIMIT 1) d ON true"
      " LEFT JOIN LATERAL (SELECT ct.id, ct.body FROM consent_texts ct WHERE ct.topic_id = t.id"
      "  ORDER BY (ct.locale = $2) DESC, (ct.locale = 'en') DESC, ct.version DESC LIMIT 1) tx"
      "  ON true"
      " WHERE u.token_sha256 = $1"
      "  AND (tx.id IS NOT NULL OR t.id = u.topic_id"
      "   OR EXISTS (SELECT 1 FROM consent_events r WHERE r.contact_id = u.contact_id"
      "    AND r.topic_id = t.id))"
      " ORDER BY t.reserved, t.name",
      2),
    Q(Q_UNSUB_CONTACT_EMAIL, "SELECT email FROM contacts WHERE id = $1::bigint", 1),
    /* issue 10: pause and the engine (h-pause) */
    /* the pause already in force says the same: one running until at least now + $2
       months, or for a resume ($2 = 0) none running */
    Q(Q_PAUSE_SAME,
      "SELECT COALESCE((SELECT CASE WHEN $2::integer = 0 THEN e.paused_until <= now()"
      "   ELSE e.paused_until >= pause_end($2::integer) END"
      "  FROM consent_events e WHERE e.contact_id = $1::bigint AND e.kind = 'paused'"
      "  ORDER BY e.id DESC LIMIT 1), $2::integer = 0) AS same",
      2),
    /* the paused event and its webhook outbox entry (a resume: paused_until = now) */
    Q(Q_LEDGER_PAUSE,
      "WITH ev AS (INSERT INTO consent_events (contact_id, topic_id, kind, ip, user_agent, source,"
      "   channel, actor, message_id, note, paused_until)"
      "  VALUES ($1::bigint, NULL, 'paused', $3::inet, $4, $5, $6, $7, $8, $9,"
      "   pause_end($2::integer)) RETURNING id, contact_id, paused_until),"
      " ob AS (INSERT INTO webhook_outbox (event, contact_id, payload)"
      "  SELECT 'paused', c.id, jsonb_build_object('event', 'paused', 'contact_id', c.id,"
      "   'email', c.email, 'topics', '[\"*\"]'::jsonb, 'paused_until', iso_utc(ev.paused_until),"
      "   'resumed', $2::integer = 0, 'at', iso_utc(now()))"
      "  FROM ev JOIN contacts c ON c.id = ev.contact_id RETURNING 1)"
      " SELECT id, iso_utc(paused_until) AS paused_until FROM ev",
      9),
    /* every pause of a contact, oldest first; the last one decides */
    Q(Q_CONTACT_PAUSES,
      "SELECT id, iso_utc(occurred_at) AS since, iso_utc(paused_until) AS until,"
      " paused_until > now() AS running FROM consent_events"
      " WHERE contact_id = $1::bigint AND kind = 'paused' ORDER BY id",
      1),
    /* issue 10: inbound mail, bounces, complaints (h-inbound) */
    Q(Q_INBOUND_CONTACT_NORM, "SELECT email_norm FROM contacts WHERE id = $1::bigint", 1),
    /* the recipient of a message we sent, by its Message-ID (a complaint's returned message) */
    Q(Q_INBOUND_CONTACT_BY_MESSAGE,
      "SELECT contact_id FROM unsubscribe_tokens WHERE message_id = $1"
      " ORDER BY created_at DESC LIMIT 1",
      1),
    /* once per contact and report: a report piped twice is not counted twice */
    Q(Q_INBOUND_BOUNCE_ADD,
      "INSERT INTO bounces (contact_id, kind, status, diagnostic, message_id, report_id,"
      " report_format, reporting_mta) VALUES ($1::bigint, $2, $3, $4, $5, $6, $7, $8)"
      " ON CONFLICT DO NOTHING RETURNING id",
      8),
    Q(Q_INBOUND_SOFT_COUNT,
      "SELECT count(*) AS n FROM bounces WHERE contact_id = $1::bigint AND kind = 'soft'"
      " AND received_at > now() - interval '30 days'",
      1),
    /* issue 10: webhooks (h-webhook) */
    /* one due row whose contact has no older open row (order per contact), leased */
    Q(Q_WEBHOOK_CLAIM,
      "WITH due AS (SELECT o.id FROM webhook_outbox o"
      "  WHERE o.delivered_at IS NULL AND o.dead_at IS NULL AND o.next_attempt_at <= now()"
      "   AND (o.locked_until IS NULL OR o.locked_until <= now())"
      "   AND NOT EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.contact_id = o.contact_id"
      "    AND p.id < o.id AND p.delivered_at IS NULL AND p.dead_at IS NULL)"
      "  ORDER BY o.next_attempt_at, o.id LIMIT $1::integer FOR UPDATE OF o SKIP LOCKED)"
      " UPDATE webhook_outbox o SET locked_until = now() + $2::interval, locked_by = $3"
      " FROM due WHERE o.id = due.id"
      " RETURNING o.id, o.event, o.contact_id, o.attempts,"
      "  (o.payload || jsonb_build_object('id', o.id))::text AS body",
      3),
    /* a 2xx is a fact whoever holds the lease now */
    Q(Q_WEBHOOK_DELIVERED,
      "UPDATE webhook_outbox SET delivered_at = now(), attempts = attempts + 1,"
      " last_status = $2::integer, last_error = NULL, last_attempt_at = now(),"
      " locked_until = NULL, locked_by = NULL WHERE id = $1::bigint AND delivered_at IS NULL",
      2),
    Q(Q_WEBHOOK_FAILED,
      "UPDATE webhook_outbox SET attempts = attempts + 1, failures = failures + 1,"
      " last_status = $2::integer, last_error = $3, last_attempt_at = now(),"
      " next_attempt_at = now() + $4::interval, locked_until = NULL, locked_by = NULL,"
      " dead_at = CASE WHEN $6::boolean OR attempts + 1 >= $5::integer THEN now() END"
      " WHERE id = $1::bigint AND locked_by = $7 AND delivered_at IS NULL"
      " RETURNING attempts, dead_at IS NOT NULL AS dead",
      7),
    /* an attempt cut short by a stop: not counted, due again at once */
    Q(Q_WEBHOOK_RELEASE,
      "UPDATE webhook_outbox SET locked_until = NULL, locked_by = NULL"
      " WHERE id = $1::bigint AND locked_by = $2",
      2),
    Q(Q_WEBHOOK_RELEASE_OWNER,
      "UPDATE webhook_outbox SET locked_until = NULL, locked_by = NULL WHERE locked_by = $1", 1),
    Q(Q_WEBHOOK_TOTALS,
      "SELECT count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL) AS pending,"
      " count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL"
      "  AND locked_until > now()) AS in_flight,"
      " count(*) FILTER (WHERE delivered_at IS NOT NULL) AS delivered,"
      " count(*) FILTER (WHERE delivered_at IS NULL AND dead_at IS NOT NULL) AS dead,"
      " COALESCE(sum(failures), 0) AS failed_attempts,"
      " COALESCE(floor(extract(epoch FROM now() - min(created_at)"
      "  FILTER (WHERE delivered_at IS NULL AND dead_at IS NULL))), -1)::bigint AS oldest_age"
      " FROM webhook_outbox",
      0),
    Q(Q_WEBHOOK_DEAD_LIST,
      "SELECT id, event, contact_id, attempts, last_status, COALESCE(last_error, '') AS last_error,"
      " iso_utc(dead_at) AS dead_at FROM webhook_outbox"
      " WHERE dead_at IS NOT NULL AND delivered_at IS NULL ORDER BY id LIMIT $1::integer",
      1),
    /* dead letters (all, or the one with id $1) due again with a fresh round of attempts */
    Q(Q_WEBHOOK_RETRY,
      "WITH u AS (UPDATE webhook_outbox SET dead_at = NULL, attempts = 0, next_attempt_at = now(),"
      "  locked_until = NULL, locked_by = NULL WHERE dead_at IS NOT NULL AND delivered_at IS NULL"
      "  AND ($1::bigint IS NULL OR id = $1::bigint) RETURNING id)"
      " SELECT id FROM u ORDER BY id",
      1),
    Q(Q_WEBHOOK_CONTACT,
      "SELECT id, event, CASE WHEN delivered_at IS NOT NULL THEN 'delivered'"
      "  WHEN dead_at IS NOT NULL THEN 'dead' WHEN locked_until > now() THEN 'sending'"
      "  ELSE 'pending' END AS state, attempts, last_status, last_error,"
      " iso_utc(created_at) AS created_at, iso_utc(delivered_at) AS delivered_at,"
      " iso_utc(dead_at) AS dead_at FROM webhook_outbox WHERE contact_id = $1::bigint ORDER BY id",
      1),
    /* issue 10: consent receipt, admin opt-out (h-admin) */
    Q(Q_SUPPRESSION_REASON, "SELECT reason FROM suppression WHERE addr_hmac = $1", 1),
    Q(Q_RECEIPT_REQUEST,
      "SELECT iso_utc(r.created_at) AS requested_at, iso_utc(now()) AS confirmed_at, c.country"
      " FROM doi_requests r JOIN contacts c ON c.id = r.contact_id WHERE r.id = $1::bigint",
      1),
    Q(Q_RECEIPT_TOPICS,
      "SELECT rt.topic_id, t.name, t.title, rt.consent_text_id, ct.body, ct.sha256, ct.version,"
      " ct.locale FROM doi_request_topics rt JOIN topics t ON t.id = rt.topic_id"
      " JOIN consent_texts ct ON ct.id = rt.consent_text_id WHERE rt.request_id = $1::bigint"
      " ORDER BY t.name",
      1),
    Q(Q_RECEIPT_TOKEN_INSERT,
      "INSERT INTO unsubscribe_tokens (token_sha256, contact_id, topic_id)"
      " VALUES ($1, $2::bigint, $3::bigint)",
      3),
    Q(Q_RECEIPT_MAIL_QUEUE,
      "INSERT INTO confirm_mail_queue (request_id, kind, nonce, receipt)"
      " VALUES ($1::bigint, 'receipt', $2, $3)",
      3),
    /* through the (contact_id, ...) index, not a scan of the ledger */
    Q(Q_RECEIPT_HASH,
      "SELECT DISTINCT receipt_sha256 FROM consent_events WHERE contact_id = $1::bigint"
      " AND request_id = $2::bigint AND kind = 'confirmed' AND receipt_sha256 IS NOT NULL",
      2),
    /* issue 11: schedules, iCalendar (h-ical) */
    Q(Q_SCHED_CAMPAIGN, "SELECT id FROM campaigns WHERE name = $1", 1),
    Q(Q_SCHED_UPSERT,
      "INSERT INTO schedules (campaign_id, kind, dtstart, tzid, rrule, ics, next_at)"
      " VALUES ($1::bigint, $2, $3::timestamptz, $4, $5, $6, $7::timestamptz)"
      " ON CONFLICT (campaign_id) DO UPDATE SET kind = EXCLUDED.kind,"
      " dtstart = EXCLUDED.dtstart, tzid = EXCLUDED.tzid, rrule = EXCLUDED.rrule,"
      " ics = EXCLUDED.ics, next_at = EXCLUDED.next_at, created_at = now()",
      7),
    Q(Q_SCHED_DELETE, "DELETE FROM schedules WHERE campaign_id = $1::bigint RETURNING id", 1),
    Q(Q_SCHED_GET,
      "SELECT campaign_id, kind, tzid, rrule, ics,"
      " to_char(dtstart AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS dtstart_utc,"
      " to_char(next_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS next_at_utc"
      " FROM schedules WHERE campaign_id = $1::bigint",
      1),
    /* the last 100 handled occurrences, oldest first */
    Q(Q_SCHED_OCCURRENCES,
      "SELECT occurs_at_utc, state, reason, run_id FROM ("
      " SELECT to_char(occurs_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
      " AS occurs_at_utc, occurs_at, id, state, reason, run_id"
      " FROM schedule_occurrences WHERE campaign_id = $1::bigint"
      " ORDER BY occurs_at DESC, id DESC LIMIT 100) o ORDER BY occurs_at, id",
      1),
    /* issue 11: the scheduler (h-sched) */
    Q(Q_SCHED_DUE,
      "SELECT id FROM schedules WHERE next_at <= $1::timestamptz ORDER BY next_at, id"
      " LIMIT $2::int",
      2),
    /* re-checked on the locked row: a schedule another process moved on is not returned */
    Q(Q_SCHED_LOCK,
      "SELECT s.id, s.campaign_id, cm.name AS campaign, s.ics,"
      " extract(epoch FROM s.next_at)::bigint AS next_at"
      " FROM schedules s JOIN campaigns cm ON cm.id = s.campaign_id"
      " WHERE s.id = $1::bigint AND s.next_at <= $2::timestamptz"
      " FOR UPDATE OF s SKIP LOCKED",
      2),
    Q(Q_SCHED_OCC_FIND,
      "SELECT state FROM schedule_occurrences WHERE schedule_id = $1::bigint"
      " AND occurs_at = $2::timestamptz",
      2),
    Q(Q_SCHED_OCC_INSERT,
      "INSERT INTO schedule_occurrences (schedule_id, campaign_id, occurs_at, state, reason,"
      " run_id, recorded_by) VALUES ($1::bigint, $2::bigint, $3::timestamptz, $4, $5,"
      " $6::bigint, $7)",
      7),
    Q(Q_SCHED_ADVANCE, "UPDATE schedules SET next_at = $2::timestamptz WHERE id = $1::bigint", 2),
    /* issue 11: mailout run, signals, reload (h-run) */
    /* issue 11: send windows (h-window) */
    Q(Q_WINDOW_CAMPAIGN_LOCK, "SELECT id FROM campaigns WHERE name = $1 FOR UPDATE", 1),
    /* all three NULL clears the window */
    Q(Q_WINDOW_SET,
      "UPDATE campaigns SET window_days = $2::smallint[], window_start = $3::time,"
      " window_end = $4::time WHERE id = $1::bigint",
      4),
    /* after a change: rows waiting for the old window, and due rows outside the new one */
    Q(Q_WINDOW_REQUEUE,
      "WITH x AS (SELECT q.id, q.due_at, q.window_opens_at,"
      "  send_window_opens(r.campaign_id, q.contact_id, now()) AS opens"
      "  FROM send_queue q JOIN campaign_runs r ON r.id = q.run_id"
      "  WHERE r.campaign_id = $1::bigint AND r.state IN ('queued', 'sending', 'paused')"
      "  AND q.state = 'queued' AND (q.due_at <= now() OR q.due_at = q.window_opens_at))"
      " UPDATE send_queue q SET due_at = x.opens,"
      "  window_opens_at = CASE WHEN x.opens > now() THEN x.opens END, updated_at = now()"
      " FROM x WHERE q.id = x.id AND x.opens IS NOT NULL"
      "  AND (x.opens > now() OR x.due_at = x.window_opens_at)",
      1),
    Q(Q_WINDOW_GET,
      "SELECT cm.id, cm.window_days::text AS days, to_char(cm.window_start, 'HH24:MI') AS hstart,"
      " to_char(cm.window_end, 'HH24:MI') AS hend,"
      " COALESCE((SELECT s.tzid FROM schedules s WHERE s.campaign_id = cm.id), 'UTC') AS zone"
      " FROM campaigns cm WHERE cm.name = $1",
      1),
    Q(Q_WINDOW_RUNS_WAITING,
      "SELECT r.id AS run, (SELECT count(*) FROM send_queue q WHERE q.run_id = r.id"
      "  AND q.state = 'queued' AND q.due_at = q.window_opens_at AND q.due_at > now()) AS n"
      " FROM campaign_runs r WHERE r.campaign_id = $1::bigint ORDER BY r.id DESC",
      1),
    /* a new run: the next opening once per zone (and start), not per recipient */
    Q(Q_WINDOW_DEFER_RUN,
      "WITH cm AS (SELECT c.id, c.window_days, c.window_start, c.window_end FROM campaigns c"
      "  JOIN campaign_runs r ON r.campaign_id = c.id"
      "  WHERE r.id = $1::bigint AND c.window_days IS NOT NULL),"
      " x AS (SELECT q.id, send_window_zone(q.contact_id, cm.id) AS tz,"
      "  greatest(q.due_at, now()) AS from_at FROM send_queue q, cm"
      "  WHERE q.run_id = $1::bigint AND q.state = 'queued'),"
      " z AS (SELECT d.tz, d.from_at, send_window_next(d.tz, cm.window_days, cm.window_start,"
      "  cm.window_end, d.from_at) AS opens FROM (SELECT DISTINCT tz, from_at FROM x) d, cm)"
      " UPDATE send_queue q SET due_at = z.opens, window_opens_at = z.opens, updated_at = now()"
      " FROM x JOIN z ON z.tz = x.tz AND z.from_at = x.from_at"
      " WHERE q.id = x.id AND z.opens > x.from_at",
      1),
    /* claimed rows whose window closed: back to the queue, due at the next opening */
    Q(Q_WINDOW_DEFER_CLAIMED,
      "WITH x AS (SELECT q.id, COALESCE(send_window_opens(r.campaign_id, q.contact_id, now()),"
      "   now() + interval '1 day') AS opens"
      "  FROM send_queue q JOIN campaign_runs r ON r.id = q.run_id"
      "  JOIN campaigns cm ON cm.id = r.campaign_id"
      "  WHERE q.worker_key = $1::bigint AND q.state = 'claimed' AND cm.window_days IS NOT NULL)"
      " UPDATE send_queue q SET state = 'queued', worker_key = NULL, due_at = x.opens,"
      "  window_opens_at = x.opens, updated_at = now()"
      " FROM x WHERE q.id = x.id AND x.opens > now() RETURNING q.id",
      1),
    /* contact import: a time_zone the zone database does not know */
    Q(Q_WINDOW_IMPORT_BAD_ZONE,
      "SELECT i.line, 'unknown time_zone ''' || i.time_zone || ''' (column time_zone):"
      " expected an IANA zone name such as Europe/Berlin' AS reason"
      " FROM import_contacts i" WINDOW_BAD_ZONE_WHERE " ORDER BY i.line",
      0),
    Q(Q_WINDOW_IMPORT_DROP_BAD_ZONE, "DELETE FROM import_contacts i" WINDOW_BAD_ZONE_WHERE, 0),
    /* issue 12: hash chains, audit verify (h-chain) */
    Q(Q_CHAIN_UTC, "SELECT set_config('TimeZone', 'UTC', true) AS tz", 0),
    Q(Q_CHAIN_LOCK,
      "SELECT pg_advisory_xact_lock(72331105, CASE $1 WHEN 'consent' THEN 1 ELSE 2 END) AS locked",
      1),
    Q(Q_CHAIN_HEAD, "SELECT seq, hash FROM chain_links WHERE chain = $1 ORDER BY seq DESC LIMIT 1",
      1),
    Q(Q_CHAIN_COLUMNS,
      "SELECT c.relname::text AS tbl, a.attname::text AS col FROM pg_attribute a"
      " JOIN pg_class c ON c.oid = a.attrelid"
      " WHERE c.oid IN ('consent_events'::regclass, 'send_records'::regclass)"
      " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2",
      0),
    Q(Q_CHAIN_PENDING_CONSENT,
      "SELECT p.row_id, (t.id IS NULL) AS missing, j.key AS col, j.value #>> '{}' AS val"
      " FROM (SELECT row_id FROM chain_pending WHERE chain = $1 ORDER BY row_id LIMIT $2::int) p"
      " LEFT JOIN consent_events t ON t.id = p.row_id"
      " LEFT JOIN LATERAL jsonb_each(to_jsonb(t)) j ON true ORDER BY p.row_id",
      2),
    Q(Q_CHAIN_PENDING_SEND,
      "SELECT p.row_id, (t.id IS NULL) AS missing, j.key AS col, j.value #>> '{}' AS val"
      " FROM (SELECT row_id FROM chain_pending WHERE chain = $1 ORDER BY row_id LIMIT $2::int) p"
      " LEFT JOIN send_records t ON t.id = p.row_id"
      " LEFT JOIN LATERAL jsonb_each(to_jsonb(t)) j ON true ORDER BY p.row_id",
      2),
    Q(Q_CHAIN_LINK_INSERT,
      "INSERT INTO chain_links (chain, seq, row_id, pii_mac, digest, prev_hash, hash)"
      " SELECT $1, u.s, u.r, u.m, u.d, u.p, u.h FROM unnest($2::bigint[], $3::bigint[],"
      " $4::text[], $5::text[], $6::text[], $7::text[]) AS u(s, r, m, d, p, h)",
      7),
    Q(Q_CHAIN_PENDING_DELETE,
      "DELETE FROM chain_pending WHERE chain = $1 AND row_id = ANY($2::bigint[])", 2),
    /* a pending entry for a row already linked (only by tampering): dropped, not sealed twice */
    Q(Q_CHAIN_PENDING_STALE,
      "DELETE FROM chain_pending p USING chain_links l WHERE p.chain = $1 AND l.chain = $1"
      " AND l.row_id = p.row_id RETURNING p.row_id",
      1),
    Q(Q_CHAIN_LINKS_CONSENT,
      "SELECT l.seq, l.row_id, l.pii_mac, l.digest, l.prev_hash, l.hash,"
      " (t.id IS NULL) AS missing, (c.erased_at IS NOT NULL) AS erased, j.key AS col,"
      " j.value #>> '{}' AS val"
      " FROM (SELECT * FROM chain_links WHERE chain = $1 AND seq > $2::bigint ORDER BY seq"
      " LIMIT $3::int) l"
      " LEFT JOIN consent_events t ON t.id = l.row_id LEFT JOIN contacts c ON c.id = t.contact_id"
      " LEFT JOIN LATERAL jsonb_each(to_jsonb(t)) j ON true ORDER BY l.seq",
      3),
    Q(Q_CHAIN_LINKS_SEND,
      "SELECT l.seq, l.row_id, l.pii_mac, l.digest, l.prev_hash, l.hash,"
      " (t.id IS NULL) AS missing,"
      /* issue 13 (h-retain): a reply nulled by retention keeps its keyed hash too */
      " (c.erased_at IS NOT NULL OR EXISTS (SELECT 1 FROM retention_redactions rr"
      "   WHERE rr.send_record_id = t.id AND t.occurred_at < rr.cutoff)) AS erased,"
      " j.key AS col, j.value #>> '{}' AS val"
      " FROM (SELECT * FROM chain_links WHERE chain = $1 AND seq > $2::bigint ORDER BY seq"
      " LIMIT $3::int) l"
      " LEFT JOIN send_records t ON t.id = l.row_id LEFT JOIN contacts c ON c.id = t.contact_id"
      " LEFT JOIN LATERAL jsonb_each(to_jsonb(t)) j ON true ORDER BY l.seq",
      3),
    Q(Q_CHAIN_UNLINKED_CONSENT,
      "SELECT t.id FROM consent_events t WHERE NOT EXISTS (SELECT 1 FROM chain_links l"
      " WHERE l.chain = $1 AND l.row_id = t.id) AND NOT EXISTS (SELECT 1 FROM chain_pending p"
      " WHERE p.chain = $1 AND p.row_id = t.id) ORDER BY t.id LIMIT 1",
      1),
    Q(Q_CHAIN_UNLINKED_SEND,
      "SELECT t.id FROM send_records t WHERE NOT EXISTS (SELECT 1 FROM chain_links l"
      " WHERE l.chain = $1 AND l.row_id = t.id) AND NOT EXISTS (SELECT 1 FROM chain_pending p"
      " WHERE p.chain = $1 AND p.row_id = t.id) ORDER BY t.id LIMIT 1",
      1),
    Q(Q_CHAIN_AUDIT_BATCH,
      "SELECT id, seq, prev_hash, hash,"
      " audit_log_hash(prev_hash, seq, at, actor, action, object, detail) AS recomputed"
      " FROM audit_log WHERE seq > $1::bigint ORDER BY seq LIMIT $2::int",
      2),
    /* issue 12: audit contact/campaign/log, export (h-audit) */
    Q(Q_REPORT_SENDS,
      "SELECT s.id, iso_utc(s.occurred_at) AS occurred_at, s.run_id, c.name AS campaign,"
      " t.name AS topic, s.basis, s.evidence::text AS evidence, s.status, s.smtp_code,"
      " s.smtp_reply, s.message_id FROM send_records s JOIN campaign_runs r ON r.id = s.run_id"
      " JOIN campaigns c ON c.id = r.campaign_id JOIN topics t ON t.id = c.topic_id"
      " WHERE s.contact_id = $1::bigint ORDER BY s.id",
      1),
    /* a revocation's message: the send record with its Message-ID (angle brackets aside) */
    Q(Q_REPORT_REVOCATIONS,
      "SELECT e.id, e.kind::text AS kind, t.name AS topic, iso_utc(e.occurred_at) AS occurred_at,"
      " e.channel, e.source, e.actor, e.message_id, e.note, iso_utc(e.paused_until) AS paused_until,"
      " m.run_id, m.campaign FROM consent_events e LEFT JOIN topics t ON t.id = e.topic_id"
      " LEFT JOIN LATERAL (SELECT s.run_id, c.name AS campaign FROM send_records s"
      "  JOIN campaign_runs r ON r.id = s.run_id JOIN campaigns c ON c.id = r.campaign_id"
      "  WHERE e.message_id IS NOT NULL AND btrim(s.message_id, '<> ') = btrim(e.message_id, '<> ')"
      "  ORDER BY s.id LIMIT 1) m ON true"
      " WHERE e.contact_id = $1::bigint AND e.kind IN ('withdrawn', 'objected', 'paused')"
      " ORDER BY e.id",
      1),
    Q(Q_REPORT_SUPPRESSION,
      "SELECT s.reason, iso_utc(s.created_at) AS since FROM suppression s"
      " JOIN contacts c ON c.addr_hmac = s.addr_hmac WHERE c.id = $1::bigint",
      1),
    Q(Q_REPORT_CAMPAIGN,
      "SELECT c.id, c.name, t.name AS topic, tp.name AS template, sg.name AS segment,"
      " le.name AS legal_entity, iso_utc(c.created_at) AS created_at FROM campaigns c"
      " JOIN topics t ON t.id = c.topic_id JOIN templates tp ON tp.id = c.template_id"
      " JOIN segments sg ON sg.id = c.segment_id JOIN legal_entities le ON le.id = c.legal_entity_id"
      " WHERE c.name = $1",
      1),
    /*
     * Per run: the engine's decisions, the queue's final states, bounces
     * (bounce reports or send records) and revocations made from the run's
     * messages.  A complaint is an objection through channel complaint or
     * a send record marked complained; an unsubscribe is any other
     * withdrawal or objection carrying one of the run's Message-IDs.
     */
    Q(Q_REPORT_RUNS,
      "WITH runs AS (SELECT r.id, r.state, r.created_at, r.finished_at FROM campaign_runs r"
      "  WHERE r.campaign_id = $1::bigint),"
      " msgs AS (SELECT DISTINCT s.run_id, s.contact_id, btrim(s.message_id, '<> ') AS mid"
      "  FROM send_records s WHERE s.run_id IN (SELECT id FROM runs) AND s.message_id IS NOT NULL),"
      " revs AS (SELECT m.run_id, e.contact_id, e.channel FROM consent_events e"
      "  JOIN msgs m ON m.mid = btrim(e.message_id, '<> ')"
      "  WHERE e.kind IN ('withdrawn', 'objected'))"
      " SELECT r.id AS run_id, r.state, iso_utc(r.created_at) AS started_at,"
      " iso_utc(r.finished_at) AS finished_at,"
      " (SELECT count(*) FROM campaign_run_decisions d WHERE d.run_id = r.id) AS considered,"
      " (SELECT COALESCE(jsonb_object_agg(basis, n), '{}'::jsonb)::text FROM (SELECT d.basis,"
      "   count(*) AS n FROM campaign_run_decisions d WHERE d.run_id = r.id AND d.basis IS NOT NULL"
      "   GROUP BY d.basis) x) AS by_basis,"
      " (SELECT COALESCE(jsonb_object_agg(reason, n), '{}'::jsonb)::text FROM (SELECT d.reason,"
      "   count(*) AS n FROM campaign_run_decisions d WHERE d.run_id = r.id AND d.reason IS NOT NULL"
      "   GROUP BY d.reason) x) AS excluded,"
      " (SELECT count(*) FROM send_queue q WHERE q.run_id = r.id) AS recipients,"
      " (SELECT count(*) FROM send_queue q WHERE q.run_id = r.id AND q.state = 'sent') AS sent,"
      " (SELECT count(*) FROM send_queue q WHERE q.run_id = r.id AND q.state = 'failed') AS failed,"
      " (SELECT count(*) FROM send_queue q WHERE q.run_id = r.id AND q.state = 'uncertain')"
      "   AS uncertain,"
      " (SELECT count(DISTINCT x.contact_id) FROM (SELECT b.contact_id FROM bounces b"
      "   JOIN msgs m ON m.run_id = r.id AND m.mid = btrim(b.message_id, '<> ')"
      "   WHERE b.kind = 'hard'"
      "   UNION SELECT s.contact_id FROM send_records s WHERE s.run_id = r.id"
      "   AND s.status = 'bounced') x) AS bounced,"
      " (SELECT count(DISTINCT v.contact_id) FROM revs v WHERE v.run_id = r.id"
      "   AND v.channel <> 'complaint') AS unsubscribes,"
      " (SELECT count(DISTINCT x.contact_id) FROM (SELECT v.contact_id FROM revs v"
      "   WHERE v.run_id = r.id AND v.channel = 'complaint'"
      "   UNION SELECT s.contact_id FROM send_records s WHERE s.run_id = r.id"
      "   AND s.status = 'complained') x) AS complaints"
      " FROM runs r ORDER BY r.id",
      1),
    Q(Q_REPORT_LOG,
      "SELECT seq, iso_utc(at) AS at, actor, action, object, detail::text AS detail,"
      " detail->>'host' AS host FROM audit_log"
      " WHERE $1::timestamptz IS NULL OR at >= $1::timestamptz ORDER BY seq",
      1),
    Q(Q_REPORT_TOPICS, "SELECT t.name, t.title FROM topics t ORDER BY t.id", 0),
    Q(Q_REPORT_TEXTS,
      "SELECT ct.id, t.name AS topic, ct.locale, ct.version, ct.sha256, ct.body,"
      " iso_utc(ct.created_at) AS created_at FROM consent_texts ct JOIN topics t ON t.id = ct.topic_id"
      " WHERE ct.id IN (SELECT e.consent_text_id FROM consent_events e"
      "  WHERE e.contact_id = $1::bigint) ORDER BY ct.id",
      1),
    Q(Q_REPORT_ORDERS,
      "SELECT o.order_id, o.sku, p.name AS product, iso_utc(o.ordered_at) AS ordered_at,"
      " le.name AS seller, o.collected_in_sale, o.opt_out_offered,"
      " iso_utc(o.imported_at) AS imported_at FROM orders o"
      " LEFT JOIN products p ON p.sku = o.sku LEFT JOIN legal_entities le ON le.id = o.legal_entity_id"
      " WHERE o.contact_id = $1::bigint ORDER BY o.ordered_at, o.id",
      1),
    Q(Q_REPORT_ACTIVITY,
      "SELECT kind, item, iso_utc(at) AS at, iso_utc(imported_at) AS imported_at FROM web_activity"
      " WHERE contact_id = $1::bigint ORDER BY at, id",
      1),
    Q(Q_REPORT_POLICY,
      "SELECT to_jsonb(p)::text AS policy FROM policy p WHERE p.country = $1 OR p.country = '*'"
      " ORDER BY p.country = '*' LIMIT 1",
      1),
    Q(Q_REPORT_BOUNCES,
      "SELECT kind, status, message_id, iso_utc(received_at) AS received_at FROM bounces"
      " WHERE contact_id = $1::bigint ORDER BY id",
      1),
    /* a command-line entry also names the host it ran on */
    Q(Q_AUDIT_APPEND_HOST,
      "INSERT INTO audit_log (actor, action, object, detail)"
      " VALUES ($1, $2, $3, $4::jsonb || jsonb_build_object('host', $5::text))",
      5),
    /* issue 12: erasure (h-erase) */
    Q(Q_ERASE_FIND, "SELECT id FROM contacts WHERE email_norm = $1 AND erased_at IS NULL", 1),
    Q(Q_ERASE_TOMBSTONE,
      "SELECT id FROM contacts WHERE addr_hmac = $1 AND erased_at IS NOT NULL ORDER BY id LIMIT 1",
      1),
    Q(Q_ERASE_RUN, "SELECT erase_contact($1::bigint, $2, $3)::text AS counts", 3),
    /* issue 12: admin web view (h-admin) */
    /* every campaign with each run's recipients per basis and per exclusion reason */
    Q(Q_ADMIN_RUNS,
      "SELECT c.name AS campaign, r.id AS run_id, r.state AS state,"
      " to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS created_at,"
      " (SELECT COALESCE(jsonb_object_agg(x.k, x.n ORDER BY x.k), '{}'::jsonb)::text FROM"
      "   (SELECT d.basis AS k, count(*) AS n FROM campaign_run_decisions d"
      "    WHERE d.run_id = r.id AND d.basis IS NOT NULL GROUP BY d.basis) x) AS by_basis,"
      " (SELECT COALESCE(jsonb_object_agg(x.k, x.n ORDER BY x.k), '{}'::jsonb)::text FROM"
      "   (SELECT d.reason AS k, count(*) AS n FROM campaign_run_decisions d"
      "    WHERE d.run_id = r.id AND d.reason IS NOT NULL GROUP BY d.reason) x) AS excluded,"
      " (SELECT count(*) FROM send_records s WHERE s.run_id = r.id AND s.status = 'sent') AS sent,"
      " (SELECT count(*) FROM send_records s WHERE s.run_id = r.id"
      "   AND s.status IN ('failed', 'bounced')) AS failed"
      " FROM campaigns c LEFT JOIN campaign_runs r ON r.campaign_id = c.id"
      " WHERE $1::text IS NULL OR c.name = $1::text"
      " ORDER BY c.name, r.id DESC LIMIT 500",
      1),
    Q(Q_ADMIN_CAMPAIGN_NAMES, "SELECT name FROM campaigns ORDER BY name LIMIT 50", 0),
    /* a campaign's sends, failures and unsubscribes per hour (span up to 3 days), else per day */
    Q(Q_ADMIN_SERIES,
      "WITH runs AS (SELECT r.id FROM campaign_runs r JOIN campaigns c ON c.id = r.campaign_id"
      "   WHERE c.name = $1::text),"
      " ev AS (SELECT s.occurred_at AS t, CASE WHEN s.status = 'sent' THEN 's'"
      "   WHEN s.status IN ('failed', 'bounced') THEN 'f' END AS k"
      "   FROM send_records s WHERE s.run_id IN (SELECT id FROM runs)"
      "   AND s.status IN ('sent', 'failed', 'bounced')"
      "  UNION ALL SELECT e.occurred_at, 'u' FROM consent_events e"
      "   WHERE e.kind IN ('withdrawn', 'objected') AND e.message_id IN"
      "    (SELECT s.message_id FROM send_records s WHERE s.run_id IN (SELECT id FROM runs)"
      "     AND s.message_id IS NOT NULL)),"
      " span AS (SELECT CASE WHEN max(t) - min(t) <= interval '72 hours' THEN 'hour'"
      "   WHEN max(t) - min(t) <= interval '400 days' THEN 'day' ELSE 'week' END AS unit,"
      "   min(t AT TIME ZONE 'UTC') AS lo, max(t AT TIME ZONE 'UTC') AS hi FROM ev),"
      " agg AS (SELECT date_trunc(span.unit, ev.t AT TIME ZONE 'UTC') AS b,"
      "   count(*) FILTER (WHERE ev.k = 's') AS sent, count(*) FILTER (WHERE ev.k = 'f') AS failed,"
      "   count(*) FILTER (WHERE ev.k = 'u') AS unsubscribed FROM ev, span GROUP BY 1)"
      " SELECT span.unit AS unit,"
      " to_char(g, CASE WHEN span.unit = 'hour' THEN 'YYYY-MM-DD HH24:00' ELSE 'YYYY-MM-DD' END)"
      "  AS bucket, COALESCE(agg.sent, 0) AS sent, COALESCE(agg.failed, 0) AS failed,"
      " COALESCE(agg.unsubscribed, 0) AS unsubscribed"
      " FROM span, generate_series(date_trunc(span.unit, span.lo), date_trunc(span.unit, span.hi),"
      "  ('1 ' || span.unit)::interval) g LEFT JOIN agg ON agg.b = g"
      " WHERE span.lo IS NOT NULL ORDER BY g",
      1),
    /* issue 13: processors and host checks (h-proc) */
    Q(Q_PROC_COUNTRY_KIND, "SELECT kind FROM adequacy_countries WHERE country = $1", 1),
    /* a host belongs to one processor: writers take turns */
    Q(Q_PROC_LOCK, "LOCK TABLE processors IN SHARE ROW EXCLUSIVE MODE", 0),
    Q(Q_PROC_GET, "SELECT id, array_to_json(hosts)::text AS hosts FROM processors WHERE name = $1",
      1),
    Q(Q_PROC_HOST_TAKEN,
      "SELECT p.name, h AS host FROM processors p, unnest(p.hosts) h"
      " WHERE h = ANY($1::text[]) ORDER BY 1, 2 LIMIT 1",
      1),
    Q(Q_PROC_INSERT,
      "INSERT INTO processors (name, role, country, hosts, dpa, mechanism, purpose, created_by)"
      " VALUES ($1, $2, $3, $4::text[], $5, $6, $7, $8) RETURNING id",
      8),
    Q(Q_PROC_DELETE, "DELETE FROM processors WHERE name = $1", 1),
    Q(Q_PROC_LIST,
      "SELECT p.name, p.role, p.country, a.kind, array_to_json(p.hosts)::text AS hosts, p.dpa,"
      " p.mechanism, p.purpose, iso_utc(p.created_at) AS created_at, p.created_by"
      " FROM processors p LEFT JOIN adequacy_countries a ON a.country = p.country"
      " WHERE $1::text IS NULL OR p.name = $1 ORDER BY p.name",
      1),
    Q(Q_PROC_BY_HOST,
      "SELECT p.name, p.country, a.kind, p.mechanism"
      " FROM processors p LEFT JOIN adequacy_countries a ON a.country = p.country"
      " WHERE $1 = ANY(p.hosts) ORDER BY p.id LIMIT 1",
      1),
    /* doctor: the register exists (migration 0027 applied) */
    Q(Q_PROC_TABLE, "SELECT to_regclass('processors') IS NOT NULL AS present", 0),
    /* issue 13: audit ropa, /privacy-info (h-ropa) */
    Q(Q_ROPA_NOW, "SELECT iso_utc(now()) AS now", 0),
    Q(Q_ROPA_LEGAL_ENTITIES,
      "SELECT name, iso_utc(created_at) AS created_at FROM legal_entities ORDER BY name", 0),
    /* every topic with its data subjects by current state (consent_current) */
    Q(Q_ROPA_TOPICS,
      "SELECT t.name, t.title, t.reserved,"
      " count(c.contact_id) FILTER (WHERE c.state = 'confirmed') AS subscribers,"
      " count(c.contact_id) FILTER (WHERE c.state = 'pending') AS pending"
      " FROM topics t LEFT JOIN consent_current c ON c.topic_id = t.id"
      " GROUP BY t.id ORDER BY t.reserved, t.name",
      0),
    Q(Q_ROPA_TOPICS_NO_COUNTS,
      "SELECT t.name, t.title, t.reserved, NULL::bigint AS subscribers, NULL::bigint AS pending"
      " FROM topics t ORDER BY t.reserved, t.name",
      0),
    /* the current (highest) version of each topic's text per locale */
    Q(Q_ROPA_TEXTS,
      "SELECT DISTINCT ON (ct.topic_id, ct.locale) t.name AS topic, ct.id, ct.version, ct.locale,"
      " ct.sha256 FROM consent_texts ct JOIN topics t ON t.id = ct.topic_id"
      " ORDER BY ct.topic_id, ct.locale, ct.version DESC",
      0),
    Q(Q_ROPA_POLICY,
      "SELECT country, existing_customer_months, inquiry_months, opt_out_regime,"
      " consent_lapse_months, consent_age FROM policy ORDER BY country = '*' DESC, country",
      0),
    Q(Q_ROPA_COUNTS,
      "SELECT (SELECT count(*) FROM contacts WHERE erased_at IS NULL) AS contacts,"
      " (SELECT count(*) FROM contacts WHERE erased_at IS NOT NULL) AS erased,"
      " (SELECT count(DISTINCT contact_id) FROM orders) AS customers,"
      " (SELECT count(*) FROM orders) AS orders,"
      " (SELECT count(*) FROM product_relations) AS product_relations,"
      " (SELECT count(*) FROM category_relations) AS category_relations,"
      " (SELECT count(DISTINCT contact_id) FROM web_activity) AS tracked,"
      " (SELECT count(*) FROM suppression) AS suppressed,"
      " (SELECT count(*) FROM send_records) AS sends,"
      " (SELECT count(*) FROM consent_events) AS consent_events",
      0),
    Q(Q_ROPA_SOURCES,
      "SELECT source, count(*) AS contacts FROM contacts WHERE erased_at IS NULL"
      " GROUP BY source ORDER BY count(*) DESC, source",
      0),
    /* country_kind: eea, adequacy, dpf, or NULL for a third country without a decision */
    Q(Q_ROPA_PROCESSORS,
      "SELECT p.name, p.role, p.country, array_to_json(p.hosts)::text AS hosts, p.dpa,"
      " p.mechanism, p.purpose, a.kind AS country_kind, a.decision"
      " FROM processors p LEFT JOIN adequacy_countries a ON a.country = p.country"
      " ORDER BY p.name",
      0),
    Q(Q_ROPA_ROLES,
      "SELECT rolname AS role FROM pg_roles WHERE rolname IN ('mailout_app', 'mailout_eraser')"
      " ORDER BY rolname",
      0),
    /* the tables whose rows are never updated or deleted (refuse_history_change triggers) */
    Q(Q_ROPA_APPEND_ONLY,
      "SELECT DISTINCT c.relname AS tbl FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
      " WHERE NOT t.tgisinternal AND t.tgname LIKE '%\\_append\\_only' ORDER BY 1",
      0),
    /* issue 13: data-subject request log (h-dsr) */
    Q(Q_DSR_TODAY, "SELECT to_char(" DSR_TODAY ", 'YYYY-MM-DD') AS today", 0),
    Q(Q_DSR_FIND_CONTACT,
      "SELECT id, erased_at IS NOT NULL AS erased FROM contacts"
      " WHERE (email_norm = $1 AND erased_at IS NULL) OR (addr_hmac = $2 AND erased_at IS NOT NULL)"
      " ORDER BY erased_at IS NOT NULL, id LIMIT 1",
      2),
    Q(Q_DSR_INSERT,
      "INSERT INTO dsr_requests (contact_id, addr_hmac, kind, channel, received_on, due_on,"
      " created_by) VALUES ($1::bigint, $2, $3, $4, $5::date, $6::date, $7) RETURNING id",
      7),
    Q(Q_DSR_LOCK,
      "SELECT id, state, contact_id, to_char(received_on, 'YYYY-MM-DD') AS received_on,"
      " to_char(due_on, 'YYYY-MM-DD') AS due_on, extended_to IS NOT NULL AS extended,"
      " to_char(extended_to, 'YYYY-MM-DD') AS extended_to,"
      " " DSR_TODAY " > due_on AS past_due, to_char(" DSR_TODAY ", 'YYYY-MM-DD') AS today"
      " FROM dsr_requests WHERE id = $1::bigint FOR UPDATE",
      1),
    Q(Q_DSR_EXTEND,
      "UPDATE dsr_requests SET extended_to = $2::date, extend_reason = $3, extended_at = now()"
      " WHERE id = $1::bigint AND state = 'open' AND extended_to IS NULL",
      3),
    Q(Q_DSR_DONE,
      "UPDATE dsr_requests SET state = 'done', closed_at = now(), closed_by = $2,"
      " closed_via = 'manual', closed_audit_id = (SELECT a.id FROM audit_log a"
      "  WHERE a.action = 'request.done' AND a.object = 'request:' || $1::bigint"
      "  ORDER BY a.id DESC LIMIT 1)"
      " WHERE id = $1::bigint AND state = 'open'",
      2),
    /* the subject: the contact recorded, else one that has the keyed hash now */
    Q(Q_DSR_LIST,
      "SELECT r.id, r.kind, r.channel, c.id AS contact_id,"
      " CASE WHEN c.erased_at IS NULL THEN c.email END AS email,"
      " CASE WHEN c.id IS NULL THEN 'unknown' WHEN c.erased_at IS NOT NULL THEN 'erased'"
      "  ELSE 'live' END AS subject, left(r.addr_hmac, 12) AS hash_prefix,"
      " to_char(r.received_on, 'YYYY-MM-DD') AS received_on,"
      " to_char(r.due_on, 'YYYY-MM-DD') AS due_on,"
      " to_char(r.extended_to, 'YYYY-MM-DD') AS extended_to, r.extend_reason,"
      " iso_utc(r.extended_at) AS extended_at,"
      " to_char(COALESCE(r.extended_to, r.due_on), 'YYYY-MM-DD') AS effective_due,"
      " CASE WHEN r.state = 'open' THEN COALESCE(r.extended_to, r.due_on) - " DSR_TODAY " END"
      "  AS days_left,"
      " r.state = 'open' AND COALESCE(r.extended_to, r.due_on) < " DSR_TODAY " AS overdue,"
      " r.state, iso_utc(r.closed_at) AS closed_at, r.closed_by, r.closed_via, r.closed_audit_id,"
      " iso_utc(r.created_at) AS created_at, r.created_by"
      " FROM dsr_requests r LEFT JOIN contacts c ON c.id = COALESCE(r.contact_id,"
      "  (SELECT x.id FROM contacts x WHERE x.addr_hmac = r.addr_hmac"
      "   ORDER BY x.erased_at IS NOT NULL, x.id LIMIT 1))"
      " WHERE (NOT $1::boolean OR r.state = 'open')"
      " AND (NOT $2::boolean OR (r.state = 'open' AND COALESCE(r.extended_to, r.due_on) < " DSR_TODAY
      "))"
      " ORDER BY r.id",
      2),
    /* after the action's audit entry, in its transaction: that entry is the newest */
    Q(Q_DSR_CLOSE_MATCHING,
      "UPDATE dsr_requests r SET state = 'done', closed_at = now(), closed_by = $4,"
      " closed_via = $3, closed_audit_id = (SELECT a.id FROM audit_log a WHERE a.action = $5"
      "  AND a.object = 'contact:' || $1::bigint ORDER BY a.id DESC LIMIT 1)"
      " WHERE r.state = 'open' AND r.kind = $2 AND (r.contact_id = $1::bigint"
      "  OR r.addr_hmac = (SELECT c.addr_hmac FROM contacts c WHERE c.id = $1::bigint))"
      " RETURNING r.id, r.closed_audit_id",
      5),
    Q(Q_DSR_TOTALS,
      "SELECT count(*) AS open, count(*) FILTER (WHERE COALESCE(extended_to, due_on) < " DSR_TODAY
      ") AS overdue FROM dsr_requests WHERE state = 'open'",
      0),
    Q(Q_DSR_OVERDUE,
      "SELECT id, kind, " DSR_TODAY " - COALESCE(extended_to, due_on) AS days FROM dsr_requests"
      " WHERE state = 'open' AND COALESCE(extended_to, due_on) < " DSR_TODAY
      " ORDER BY id LIMIT 50",
      0),
    /* issue 13: retention maintenance (h-retain) */
    /* erase_contact_id(): the locks erase_contact() takes, in its order */
    Q(Q_ERASE_LOCK_QUEUE,
      "SELECT id FROM send_queue WHERE contact_id = $1::bigint ORDER BY id FOR UPDATE", 1),
    Q(Q_ERASE_LOCK_CONTACT,
      "SELECT id FROM contacts WHERE id = $1::bigint AND erased_at IS NULL FOR UPDATE", 1),
    /* live contacts ($1: one id, or NULL for all) stored, ordering, active, mailed and acting in
       the ledger last longer than $2 months ago, without a current consent (a lapse recorded
       by a campaign run, kind expired, is no act of the person's and does not count) */
    Q(Q_RETENTION_CONTACTS,
      "WITH cut AS (SELECT now() - make_interval(months => $2::int) AS t)"
      " SELECT c.id, c.email, c.email_norm FROM contacts c, cut"
      " WHERE c.erased_at IS NULL AND ($1::bigint IS NULL OR c.id = $1::bigint)"
      " AND c.created_at < cut.t"
      " AND NOT EXISTS (SELECT 1 FROM topics tp WHERE consent_is_current(c.id, tp.id))"
      " AND NOT EXISTS (SELECT 1 FROM consent_events e WHERE e.contact_id = c.id"
      "   AND e.kind <> 'expired' AND e.occurred_at >= cut.t)"
      " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.contact_id = c.id"
      "   AND o.ordered_at >= cut.t)"
      " AND NOT EXISTS (SELECT 1 FROM web_activity w WHERE w.contact_id = c.id AND w.at >= cut.t)"
      " AND NOT EXISTS (SELECT 1 FROM send_records s WHERE s.contact_id = c.id"
      "   AND s.occurred_at >= cut.t)"
      " AND NOT EXISTS (SELECT 1 FROM doi_requests d WHERE d.contact_id = c.id"
      "   AND d.expires_at >= cut.t)"
      /* an open data-subject request holds the data until it is answered (Art. 12(3)) */
      " AND NOT EXISTS (SELECT 1 FROM dsr_requests q WHERE q.state = 'open'"
      "   AND (q.contact_id = c.id OR q.addr_hmac = c.addr_hmac))"
      " ORDER BY c.id",
      2),
    Q(Q_RETENTION_DOI_COUNT,
      "SELECT count(*) AS n FROM doi_requests WHERE expires_at < now() - $1::interval", 1),
    Q(Q_RETENTION_ACTIVITY_COUNT,
      "SELECT count(*) AS n FROM web_activity WHERE at < now() - $1::interval", 1),
    Q(Q_RETENTION_REPLY_CUTOFF,
      "SELECT (now() - make_interval(months => $1::int))::text AS cutoff,"
      " iso_utc(now() - make_interval(months => $1::int)) AS cutoff_utc",
      1),
    Q(Q_RETENTION_REPLY_COUNT,
      "SELECT count(*) AS n FROM send_records WHERE smtp_reply IS NOT NULL"
      " AND occurred_at < now() - make_interval(months => $1::int)",
      1),
    Q(Q_RETENTION_REDACT, "SELECT redact_old_replies($1::timestamptz, $2::int) AS n", 2),
    /* issue 13: sensitive attributes, minors (h-sensitive) */
    Q(Q_SENSITIVE_TEXT_ADD,
      "WITH existing AS (SELECT id, version, explicit_attributes FROM consent_texts"
      "   WHERE topic_id = $1::bigint AND locale = $2 AND sha256 = $4),"
      " ins AS (INSERT INTO consent_texts (topic_id, locale, version, body, sha256,"
      "   explicit_attributes)"
      "   SELECT $1::bigint, $2, COALESCE((SELECT max(version) FROM consent_texts"
      "     WHERE topic_id = $1::bigint AND locale = $2), 0) + 1, $3, $4, $5::text[]"
      "   WHERE NOT EXISTS (SELECT 1 FROM existing) RETURNING id, version, explicit_attributes)"
      " SELECT id, version, true AS created, true AS same, explicit_attributes::text AS explicit"
      " FROM ins UNION ALL SELECT id, version, false,"
      " explicit_attributes @> $5::text[] AND explicit_attributes <@ $5::text[],"
      " explicit_attributes::text FROM existing",
      5),
    Q(Q_SENSITIVE_TOPIC_TEXT, "SELECT topic_explicit_text($1::bigint, $2) AS id", 2),
    Q(Q_SENSITIVE_CAMPAIGN_TEMPLATE,
      "SELECT tp.subject, tp.text_body, tp.html_body FROM campaigns cm"
      " JOIN templates tp ON tp.id = cm.template_id WHERE cm.id = $1::bigint",
      1),
};

const struct query *query_get(enum query_id id)
{
    assert(id < Q__COUNT && queries[id].sql != NULL);
    return &queries[id];
}
