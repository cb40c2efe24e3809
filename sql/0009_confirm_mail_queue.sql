-- 0009_confirm_mail_queue.sql: confirmation mails of double opt-in are
-- queued in the subscribe transaction and sent afterwards by a sender
-- (`mailout serve`, `mailout dispatch`), so no HTTP answer waits for, or
-- reveals, what a relay says.  Also: a request is void once the contact
-- withdraws one of its topics or objects to all marketing after it.

CREATE TYPE confirm_mail_state AS ENUM ('queued', 'sent', 'failed', 'cancelled');
COMMENT ON TYPE confirm_mail_state IS
    'queued: waiting for (another) attempt; sent: the relay accepted it (2xx); failed: refused (5xx), or retries ran past the token''s expiry; cancelled: the request was confirmed, expired or voided before the mail went out';

-- The token in the mail is never stored.  The sender derives it again:
--   K     = HMAC-SHA-256(suppression key, "mailout doi token key v1")
--   token = base64url(HMAC-SHA-256(K, "doi:" || request_id || ":" || nonce))
-- The suppression key lives outside the database (suppression_key_file), so
-- the nonce below and doi_requests.token_sha256 = SHA-256(token) together
-- do not give the token away.
CREATE TABLE confirm_mail_queue (
    request_id      bigint PRIMARY KEY REFERENCES doi_requests (id) ON DELETE CASCADE,
    nonce           text CHECK (nonce ~ '^[A-Za-z0-9_-]{43}$'),
    state           confirm_mail_state NOT NULL DEFAULT 'queued',
    queued_at       timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz,
    locked_by       text,
    last_code       integer,
    last_reply      text,
    sent_at         timestamptz,
    message_id      text,
    CHECK (state <> 'queued' OR nonce IS NOT NULL),
    CHECK (state <> 'sent' OR sent_at IS NOT NULL)
);
CREATE INDEX confirm_mail_queue_due ON confirm_mail_queue (next_attempt_at)
    WHERE state = 'queued';
COMMENT ON TABLE confirm_mail_queue IS 'Confirmation mails of double opt-in waiting to be sent or sent: one row per request, deleted with it';
COMMENT ON COLUMN confirm_mail_queue.request_id IS 'The double-opt-in request this mail confirms';
COMMENT ON COLUMN confirm_mail_queue.nonce IS 'Random value from which, with a key kept outside the database, the sender derives the token (see the comment above the table); NULL only for rows from before this migration';
COMMENT ON COLUMN confirm_mail_queue.state IS 'queued, sent, failed or cancelled (see the type)';
COMMENT ON COLUMN confirm_mail_queue.queued_at IS 'When the mail was queued; the per-address limit (confirm_mail_limit per 24 h) counts these, not deliveries';
COMMENT ON COLUMN confirm_mail_queue.attempts IS 'SMTP attempts so far (claims)';
COMMENT ON COLUMN confirm_mail_queue.next_attempt_at IS 'Not claimed before this time: now when queued, later after a 4xx or a connection failure (exponential backoff)';
COMMENT ON COLUMN confirm_mail_queue.locked_until IS 'Lease: a sender claimed the row and may send until then; an expired lease lets another sender retry it';
COMMENT ON COLUMN confirm_mail_queue.locked_by IS 'The sender holding the lease (host:pid:random), NULL when free';
COMMENT ON COLUMN confirm_mail_queue.last_code IS 'SMTP reply code of the last attempt; NULL when the session failed before a reply';
COMMENT ON COLUMN confirm_mail_queue.last_reply IS 'Reply text of the last attempt, or why it failed (may name the address: deleted with the request)';
COMMENT ON COLUMN confirm_mail_queue.sent_at IS 'When the relay accepted the mail';
COMMENT ON COLUMN confirm_mail_queue.message_id IS 'Message-ID of the mail as sent';

-- Requests from before this migration: their mails were sent at once (or
-- failed); keep them counted by the per-address limit.
INSERT INTO confirm_mail_queue (request_id, state, queued_at, sent_at, last_reply)
SELECT id, CASE WHEN mail_sent_at IS NOT NULL THEN 'sent' ELSE 'failed' END::confirm_mail_state,
       COALESCE(mail_sent_at, created_at), mail_sent_at, 'sent before migration 0009'
  FROM doi_requests;
ALTER TABLE doi_requests DROP COLUMN mail_sent_at;

-- A request is void when, after its 'requested' events, the contact
-- withdrew one of its topics or objected to all marketing.  Every writer
-- of revocations appends to the ledger, so this covers them all.
CREATE FUNCTION doi_request_voided(p_request bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT EXISTS (
        SELECT 1
          FROM doi_requests r
          JOIN consent_events e ON e.contact_id = r.contact_id
         WHERE r.id = p_request
           AND e.id > COALESCE((SELECT max(q.id) FROM consent_events q
                                 WHERE q.contact_id = r.contact_id AND q.request_id = r.id
                                   AND q.kind = 'requested'), 0)
           AND (e.kind = 'objected'
                OR (e.kind = 'withdrawn'
                    AND e.topic_id IN (SELECT rt.topic_id FROM doi_request_topics rt
                                        WHERE rt.request_id = r.id))))
$$;
COMMENT ON FUNCTION doi_request_voided(bigint) IS
    'True when a withdrawal of one of the request''s topics, or an objection to all marketing, was recorded after the request: its token answers 410 and its mail is not sent';

GRANT SELECT, INSERT, UPDATE, DELETE ON confirm_mail_queue TO mailout_app;
