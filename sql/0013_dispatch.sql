-- 0013_dispatch.sql: the states and columns campaign dispatch needs.
--
-- A queue row moves queued -> claimed (leased by a live worker, not yet
-- handed to SMTP) -> sending (handed to an SMTP session) -> sent | failed |
-- queued again (deferred: later due_at, attempts + 1).  A claim re-checks
-- the legal basis: excluded.  A worker that dies leaves claimed rows
-- (given back: queued) and sending rows (uncertain: never re-sent without
-- dispatch --resend-uncertain).  A worker is alive while its database
-- session holds the advisory lock (classid 1835100524 ('mail'), objid worker_key).

ALTER TABLE send_queue DROP CONSTRAINT send_queue_state_check;
ALTER TABLE send_queue ADD CONSTRAINT send_queue_state_check
    CHECK (state IN ('queued', 'claimed', 'sending', 'sent', 'failed', 'uncertain', 'excluded',
                     'cancelled'));
COMMENT ON COLUMN send_queue.state IS 'queued (due at due_at), claimed (leased, not yet handed to SMTP), sending (inside an SMTP session), sent, failed, uncertain (a worker died while sending), excluded (no basis at claim), cancelled';

ALTER TABLE send_queue
    ADD COLUMN worker_key bigint,
    ADD COLUMN reason text,
    ADD COLUMN message_id text,
    ADD COLUMN last_code integer;
COMMENT ON COLUMN send_queue.worker_key IS 'Advisory-lock key of the worker holding a claimed or sending row; the worker is alive while its session holds that lock';
COMMENT ON COLUMN send_queue.reason IS 'Why the row is excluded (the engine''s reason), failed or deferred (the SMTP reply or the rendering error)';
COMMENT ON COLUMN send_queue.message_id IS 'Message-ID of the last message handed to SMTP for this row';
COMMENT ON COLUMN send_queue.last_code IS 'SMTP reply code of the last attempt';

CREATE INDEX send_queue_run_state ON send_queue (run_id, state);
CREATE INDEX send_queue_worker ON send_queue (worker_key) WHERE state IN ('claimed', 'sending');

-- Liveness is the advisory lock, not a lease time: nothing reads
-- lease_until any more, and its index cost every handover an entry.
DROP INDEX send_queue_lease;
COMMENT ON COLUMN send_queue.lease_until IS 'Unused since 0013 (a worker is alive while it holds its advisory lock); always NULL';
