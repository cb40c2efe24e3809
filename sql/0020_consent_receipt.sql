-- 0020_consent_receipt.sql: the consent receipt (issue 10).  After a
-- double-opt-in confirmation the person gets a receipt (JSON, in the style
-- of ISO/IEC 29184 notices and the Kantara consent receipt) on the page and
-- by mail.  The ledger keeps its SHA-256 on each 'confirmed' event; the mail
-- goes through the queue of the confirmation mails, as a second kind.

ALTER TABLE consent_events
    ADD COLUMN receipt_sha256 text CHECK (receipt_sha256 ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT consent_events_receipt_confirmed CHECK (receipt_sha256 IS NULL OR kind = 'confirmed');
COMMENT ON COLUMN consent_events.receipt_sha256 IS 'For a double-opt-in confirmation: hex SHA-256 of the exact consent receipt (JSON bytes) shown on the confirmed page and mailed to the person; every confirmed event of one request carries the same hash';

-- One queue, two kinds of mail: the confirmation mail of a request and,
-- once it is confirmed, its receipt.  Both derive their tokens from the
-- row's nonce with the key kept outside the database (see 0009): the
-- receipt's preference links are base_url/u/TOKEN with
--   token = base64url(HMAC-SHA-256(K, "receipt:" || request_id || ":" || topic || ":" || nonce))
-- and only SHA-256(token) is stored (unsubscribe_tokens).
ALTER TABLE confirm_mail_queue
    ADD COLUMN kind text NOT NULL DEFAULT 'confirm' CHECK (kind IN ('confirm', 'receipt')),
    ADD COLUMN receipt text,
    ADD CHECK (kind = 'receipt' OR receipt IS NULL),
    ADD CHECK (kind <> 'receipt' OR state <> 'queued' OR (receipt IS NOT NULL AND nonce IS NOT NULL)),
    DROP CONSTRAINT confirm_mail_queue_pkey,
    ADD PRIMARY KEY (request_id, kind);
COMMENT ON TABLE confirm_mail_queue IS 'Mails of double opt-in waiting to be sent or sent: per request its confirmation mail (kind confirm) and, once confirmed, its consent receipt (kind receipt); deleted with the request';
COMMENT ON COLUMN confirm_mail_queue.request_id IS 'The double-opt-in request this mail belongs to';
COMMENT ON COLUMN confirm_mail_queue.kind IS 'confirm: the confirmation mail with the confirm link; receipt: the consent receipt sent after the confirmation (not marketing: no List-Unsubscribe)';
COMMENT ON COLUMN confirm_mail_queue.receipt IS 'Receipt mails only: the receipt as JSON without its preference links (their tokens are derived from nonce again, never stored); the sender rebuilds the exact receipt and checks it against consent_events.receipt_sha256.  Cleared once the mail is sent, failed or cancelled';
COMMENT ON COLUMN confirm_mail_queue.nonce IS 'Random value from which, with a key kept outside the database, the sender derives the token of the confirm link or of the receipt''s preference links (see the comments in 0009 and 0020); NULL only for rows from before 0009';
