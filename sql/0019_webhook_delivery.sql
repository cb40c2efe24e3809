-- 0019_webhook_delivery.sql: what the CRM webhook deliverer (webhook.c)
-- keeps on each outbox row: the dead letter, the last HTTP status, the
-- failed attempts, and the lease a deliverer holds while it posts the row,
-- so that several deliverers (serve and run, on one host or several) share
-- the outbox without sending a row twice at the same time.
--
-- Only the deliverer and `webhook retry` write these columns; the consent
-- changes only insert rows, so a delivery never holds up a revocation.

ALTER TABLE webhook_outbox
    ADD COLUMN dead_at timestamptz,
    ADD COLUMN last_status integer,
    ADD COLUMN failures integer NOT NULL DEFAULT 0,
    ADD COLUMN last_attempt_at timestamptz,
    ADD COLUMN locked_until timestamptz,
    ADD COLUMN locked_by text;

COMMENT ON COLUMN webhook_outbox.dead_at IS 'When delivery was given up (a dead letter: 3xx or 4xx other than 429, or webhook_max_attempts failed); webhook retry queues it again';
COMMENT ON COLUMN webhook_outbox.last_status IS 'HTTP status of the last attempt; NULL when the receiver gave none (connect error, timeout)';
COMMENT ON COLUMN webhook_outbox.failures IS 'Failed attempts ever, also before a webhook retry (attempts counts since the last retry)';
COMMENT ON COLUMN webhook_outbox.last_attempt_at IS 'When the last attempt ended';
COMMENT ON COLUMN webhook_outbox.locked_until IS 'Lease: the deliverer in locked_by posts this row until then; after it any deliverer may claim the row again';
COMMENT ON COLUMN webhook_outbox.locked_by IS 'Lease holder (host:pid:random), NULL when no deliverer holds the row';

-- the due-claim: open rows (neither delivered nor dead) by due time
DROP INDEX webhook_outbox_due;
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id)
    WHERE delivered_at IS NULL AND dead_at IS NULL;
-- order per contact (is an older row of this contact still open?) and contact show
CREATE INDEX webhook_outbox_contact ON webhook_outbox (contact_id, id);
