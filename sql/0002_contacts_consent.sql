-- 0002_contacts_consent.sql: contacts, topics, consent texts, the consent
-- ledger (append-only), pending double-opt-in requests and suppression.

CREATE TABLE contacts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL,
    email_norm  text NOT NULL UNIQUE,
    name        text,
    country     char(2) CHECK (country ~ '^[A-Z]{2}$'),
    locale      text CHECK (locale ~ '^[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*$'),
    birth_date  date,
    attrs       jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(attrs) = 'object'),
    source      text NOT NULL DEFAULT 'unknown',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE contacts IS 'People mailout may consider: attributes only, never a consent by themselves';
COMMENT ON COLUMN contacts.id IS 'Surrogate key; logs name contacts by this id, not by address';
COMMENT ON COLUMN contacts.email IS 'The address as entered or imported';
COMMENT ON COLUMN contacts.email_norm IS 'Normalized address for matching: local part as given, domain lower-cased IDNA A-label';
COMMENT ON COLUMN contacts.name IS 'Display name';
COMMENT ON COLUMN contacts.country IS 'ISO 3166-1 alpha-2 country; selects the jurisdiction policy (never guessed from IP)';
COMMENT ON COLUMN contacts.locale IS 'Preferred language, e.g. de or en-GB; selects page and mail templates';
COMMENT ON COLUMN contacts.birth_date IS 'Birth date when known; decides the consent age (GDPR Art. 8)';
COMMENT ON COLUMN contacts.attrs IS 'Declared custom attributes (JSON object) from import columns';
COMMENT ON COLUMN contacts.source IS 'Where the contact came from: import file, subscribe form, admin';
COMMENT ON COLUMN contacts.created_at IS 'When the contact was first stored';
COMMENT ON COLUMN contacts.updated_at IS 'When attributes last changed';

CREATE TABLE topics (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_.-]{0,62}$'),
    title       text NOT NULL,
    reserved    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE topics IS 'Purposes people can subscribe to; one consent per topic (GDPR Art. 7(2))';
COMMENT ON COLUMN topics.id IS 'Surrogate key';
COMMENT ON COLUMN topics.name IS 'Stable identifier used on the command line and in forms';
COMMENT ON COLUMN topics.title IS 'Human title shown on pages and in confirmation mails';
COMMENT ON COLUMN topics.reserved IS 'True for topics mailout itself defines (tracking)';
COMMENT ON COLUMN topics.created_at IS 'When the topic was added';

INSERT INTO topics (name, title, reserved)
    VALUES ('tracking', 'Use of my web activity (viewed products, downloads) for offers', true);

CREATE TABLE consent_texts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic_id    bigint NOT NULL REFERENCES topics (id),
    locale      text NOT NULL DEFAULT 'en',
    version     integer NOT NULL CHECK (version > 0),
    body        text NOT NULL CHECK (length(body) > 0),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic_id, locale, version),
    UNIQUE (topic_id, locale, sha256)
);
COMMENT ON TABLE consent_texts IS 'The exact wording shown when asking for consent, versioned, stored once and referenced by hash';
COMMENT ON COLUMN consent_texts.id IS 'The id consent-text add prints and forms send as consent_text';
COMMENT ON COLUMN consent_texts.topic_id IS 'The topic this text asks consent for';
COMMENT ON COLUMN consent_texts.locale IS 'Language of the text';
COMMENT ON COLUMN consent_texts.version IS 'Version number per topic and locale, from 1';
COMMENT ON COLUMN consent_texts.body IS 'The text exactly as shown (UTF-8); must tell people they can withdraw';
COMMENT ON COLUMN consent_texts.sha256 IS 'Hex SHA-256 of body; consent events reference it';
COMMENT ON COLUMN consent_texts.created_at IS 'When this version was added';

CREATE TYPE consent_event_kind AS ENUM
    ('requested', 'confirmed', 'granted', 'withdrawn', 'objected', 'expired');
COMMENT ON TYPE consent_event_kind IS
    'requested: DOI started; confirmed: DOI link confirmed; granted: admin or import with evidence; withdrawn: topic unsubscribed; objected: Art. 21 objection to all marketing; expired: lapsed';

CREATE TABLE consent_events (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id          bigint NOT NULL REFERENCES contacts (id),
    topic_id            bigint REFERENCES topics (id),
    kind                consent_event_kind NOT NULL,
    occurred_at         timestamptz NOT NULL DEFAULT now(),
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    email_entered       text,
    ip                  inet,
    user_agent          text,
    source              text NOT NULL,
    channel             text NOT NULL,
    actor               text NOT NULL,
    consent_text_id     bigint REFERENCES consent_texts (id),
    consent_text_sha256 text CHECK (consent_text_sha256 ~ '^[0-9a-f]{64}$'),
    locale              text,
    privacy_notice      text,
    controller          text,
    request_id          bigint,
    token_sha256        text CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    age_attested        boolean,
    message_id          text,
    note                text,
    CHECK (kind = 'objected' OR topic_id IS NOT NULL),
    CHECK (kind NOT IN ('requested', 'confirmed', 'granted')
           OR (consent_text_id IS NOT NULL AND consent_text_sha256 IS NOT NULL)),
    CHECK (kind <> 'confirmed' OR token_sha256 IS NOT NULL),
    CHECK (kind <> 'granted' OR note IS NOT NULL)
);
CREATE INDEX consent_events_contact ON consent_events (contact_id, topic_id, id);
COMMENT ON TABLE consent_events IS 'The consent ledger: append-only proof of every consent, withdrawal and objection (GDPR Art. 7(1))';
COMMENT ON COLUMN consent_events.id IS 'Ledger order; later events win';
COMMENT ON COLUMN consent_events.contact_id IS 'Who';
COMMENT ON COLUMN consent_events.topic_id IS 'For which purpose; NULL only for an objection to all marketing';
COMMENT ON COLUMN consent_events.kind IS 'What happened';
COMMENT ON COLUMN consent_events.occurred_at IS 'When it happened (UTC); for imported proof the original consent time';
COMMENT ON COLUMN consent_events.recorded_at IS 'When mailout recorded it';
COMMENT ON COLUMN consent_events.email_entered IS 'The address exactly as the person entered it';
COMMENT ON COLUMN consent_events.ip IS 'Client IP at this step';
COMMENT ON COLUMN consent_events.user_agent IS 'Client user agent at this step';
COMMENT ON COLUMN consent_events.source IS 'Form, page, import file or command that produced the event';
COMMENT ON COLUMN consent_events.channel IS 'web, cli, import, one_click, page, mailto, admin, system';
COMMENT ON COLUMN consent_events.actor IS 'subject (the person), admin:NAME, import or system';
COMMENT ON COLUMN consent_events.consent_text_id IS 'The consent text version shown';
COMMENT ON COLUMN consent_events.consent_text_sha256 IS 'Hash of that text, so the wording is provable even if ids were reused';
COMMENT ON COLUMN consent_events.locale IS 'Language the person was addressed in';
COMMENT ON COLUMN consent_events.privacy_notice IS 'Version or URL of the privacy notice in force';
COMMENT ON COLUMN consent_events.controller IS 'The controller (legal entity) that asked for consent';
COMMENT ON COLUMN consent_events.request_id IS 'The double-opt-in request (doi_requests.id) this event belongs to';
COMMENT ON COLUMN consent_events.token_sha256 IS 'SHA-256 of the DOI token; the token itself is never stored';
COMMENT ON COLUMN consent_events.age_attested IS 'The person attested being at least the consent age (no birth date known)';
COMMENT ON COLUMN consent_events.message_id IS 'For withdrawals: the message whose link or header was used';
COMMENT ON COLUMN consent_events.note IS 'Evidence note for admin grants and imports; reason for withdrawals';

-- Objections to all marketing (topic NULL), latest per contact.
CREATE VIEW contact_objections AS
SELECT contact_id, max(occurred_at) AS since, max(id) AS event_id
  FROM consent_events WHERE kind = 'objected' GROUP BY contact_id;
COMMENT ON VIEW contact_objections IS 'Contacts who objected to all marketing (GDPR Art. 21), with their latest objection';

-- Current state per contact and topic, derived from the ledger; never stored.
-- The latest decisive event wins: a confirmation or grant for the topic, a
-- withdrawal or expiry of the topic, or an objection to all marketing.  A
-- request newer than that makes the state pending, except that it never
-- hides an existing confirmation.
CREATE VIEW consent_current AS
WITH d AS (
    SELECT DISTINCT ON (contact_id, topic_id) contact_id, topic_id, kind, occurred_at, id
      FROM consent_events
     WHERE topic_id IS NOT NULL AND kind <> 'requested'
     ORDER BY contact_id, topic_id, id DESC
), r AS (
    SELECT DISTINCT ON (contact_id, topic_id) contact_id, topic_id, occurred_at, id
      FROM consent_events
     WHERE kind = 'requested'
     ORDER BY contact_id, topic_id, id DESC
), k AS (
    SELECT contact_id, topic_id FROM d UNION SELECT contact_id, topic_id FROM r
)
SELECT k.contact_id, k.topic_id,
       CASE
           WHEN d.id IS NOT NULL AND d.id > COALESCE(o.event_id, 0)
                AND d.kind IN ('confirmed', 'granted') THEN 'confirmed'
           WHEN r.id IS NOT NULL AND r.id > GREATEST(COALESCE(d.id, 0), COALESCE(o.event_id, 0))
                THEN 'pending'
           WHEN o.event_id IS NOT NULL AND o.event_id > COALESCE(d.id, 0) THEN 'objected'
           ELSE d.kind::text
       END AS state,
       CASE
           WHEN d.id IS NOT NULL AND d.id > COALESCE(o.event_id, 0)
                AND d.kind IN ('confirmed', 'granted') THEN d.occurred_at
           WHEN r.id IS NOT NULL AND r.id > GREATEST(COALESCE(d.id, 0), COALESCE(o.event_id, 0))
                THEN r.occurred_at
           WHEN o.event_id IS NOT NULL AND o.event_id > COALESCE(d.id, 0) THEN o.since
           ELSE d.occurred_at
       END AS since,
       CASE WHEN d.kind IN ('confirmed', 'granted') AND d.id > COALESCE(o.event_id, 0)
            THEN d.id END AS consent_event_id
  FROM k
  LEFT JOIN d ON d.contact_id = k.contact_id AND d.topic_id = k.topic_id
  LEFT JOIN r ON r.contact_id = k.contact_id AND r.topic_id = k.topic_id
  LEFT JOIN contact_objections o ON o.contact_id = k.contact_id;
COMMENT ON VIEW consent_current IS 'State per contact and topic derived from the ledger: pending, confirmed, withdrawn, objected or expired; consent_event_id is the confirmation relied on';

CREATE VIEW unsubscribes AS
SELECT id, contact_id, topic_id, kind, occurred_at, channel, source, message_id, note
  FROM consent_events WHERE kind IN ('withdrawn', 'objected');
COMMENT ON VIEW unsubscribes IS 'Every unsubscribe and objection, read from the ledger';

CREATE TABLE doi_requests (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id      bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    token_sha256    text NOT NULL UNIQUE CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    ip              inet,
    user_agent      text,
    source          text NOT NULL,
    locale          text,
    age_attested    boolean NOT NULL DEFAULT false,
    mail_sent_at    timestamptz,
    confirmed_at    timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX doi_requests_contact ON doi_requests (contact_id, created_at);
COMMENT ON TABLE doi_requests IS 'Pending double-opt-in requests; deleted pending_retention after they expire (GDPR Art. 5(1)(e))';
COMMENT ON COLUMN doi_requests.id IS 'Surrogate key, copied into the ledger events';
COMMENT ON COLUMN doi_requests.contact_id IS 'Who asked';
COMMENT ON COLUMN doi_requests.token_sha256 IS 'SHA-256 of the emailed token; the token is never stored';
COMMENT ON COLUMN doi_requests.created_at IS 'When the request was made';
COMMENT ON COLUMN doi_requests.expires_at IS 'After this the token answers 410';
COMMENT ON COLUMN doi_requests.ip IS 'Client IP of the request';
COMMENT ON COLUMN doi_requests.user_agent IS 'Client user agent of the request';
COMMENT ON COLUMN doi_requests.source IS 'Form or command that made the request';
COMMENT ON COLUMN doi_requests.locale IS 'Language of the confirmation mail and pages';
COMMENT ON COLUMN doi_requests.age_attested IS 'The "I am at least N" box was ticked';
COMMENT ON COLUMN doi_requests.mail_sent_at IS 'When the confirmation mail was handed to the transport; NULL if held back by the rate limit';
COMMENT ON COLUMN doi_requests.confirmed_at IS 'When the person confirmed; the token is then used up';

CREATE TABLE doi_request_topics (
    request_id      bigint NOT NULL REFERENCES doi_requests (id) ON DELETE CASCADE,
    topic_id        bigint NOT NULL REFERENCES topics (id),
    consent_text_id bigint NOT NULL REFERENCES consent_texts (id),
    PRIMARY KEY (request_id, topic_id)
);
COMMENT ON TABLE doi_request_topics IS 'The topics one request asks for, each with its own consent text (GDPR Art. 7(2))';
COMMENT ON COLUMN doi_request_topics.request_id IS 'The request';
COMMENT ON COLUMN doi_request_topics.topic_id IS 'One topic asked for';
COMMENT ON COLUMN doi_request_topics.consent_text_id IS 'The consent text shown for that topic';

CREATE TABLE suppression (
    addr_hmac   text PRIMARY KEY CHECK (addr_hmac ~ '^[0-9a-f]{64}$'),
    reason      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE suppression IS 'Do-not-contact list: keyed hashes of normalized addresses (erasure, hard bounce, complaint); never reversed or exported';
COMMENT ON COLUMN suppression.addr_hmac IS 'HMAC-SHA-256 of the normalized address under the key in suppression_key_file (kept outside the database)';
COMMENT ON COLUMN suppression.reason IS 'erased, hard_bounce, complaint or admin';
COMMENT ON COLUMN suppression.created_at IS 'When the address was suppressed';

CREATE TABLE rate_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind        text NOT NULL,
    key_hash    text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_events_lookup ON rate_events (kind, key_hash, at);
COMMENT ON TABLE rate_events IS 'Abuse-limit counters (confirmation mails per address, subscribes per IP); rows older than a day are deleted';
COMMENT ON COLUMN rate_events.id IS 'Surrogate key';
COMMENT ON COLUMN rate_events.kind IS 'confirm_mail or subscribe_ip';
COMMENT ON COLUMN rate_events.key_hash IS 'SHA-256 of the address or IP, so the counter holds no plain personal data';
COMMENT ON COLUMN rate_events.at IS 'When it happened';
