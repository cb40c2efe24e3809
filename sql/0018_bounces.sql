-- 0018_bounces.sql: bounces received by `mailout inbound` (issue 10:
-- h-inbound), and the index that finds the recipient of a message we sent
-- by its Message-ID (a complaint that returns only the message).
--
-- A hard bounce suppresses the address (suppression, reason hard_bounce);
-- this table is what names the report behind it: its Message-ID, format,
-- Status and Diagnostic-Code, and the message that bounced.  Soft bounces
-- are counted here; bounce_soft_limit of them within 30 days suppress the
-- address (reason soft_bounces).  The diagnostic text may quote the
-- address, so rows go with their contact (ON DELETE CASCADE, and erasure
-- may delete them).

CREATE TABLE bounces (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id    bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('hard', 'soft')),
    status        text CHECK (status ~ '^[245]\.[0-9]{1,3}\.[0-9]{1,3}$'),
    diagnostic    text CHECK (length(diagnostic) <= 1000),
    message_id    text,
    report_id     text,
    report_format text NOT NULL,
    reporting_mta text,
    received_at   timestamptz NOT NULL DEFAULT now()
);
-- a report piped twice counts once
CREATE UNIQUE INDEX bounces_report ON bounces (contact_id, report_id) WHERE report_id IS NOT NULL;
CREATE INDEX bounces_contact ON bounces (contact_id, kind, received_at);
COMMENT ON TABLE bounces IS 'Bounces received for known contacts (mailout inbound): hard ones suppress the address, soft ones are counted; each row names its report';
COMMENT ON COLUMN bounces.id IS 'Row id';
COMMENT ON COLUMN bounces.contact_id IS 'The contact whose address bounced';
COMMENT ON COLUMN bounces.kind IS 'hard (permanent failure: Action failed or Status 5.x.x) or soft (delayed: Status 4.x.x)';
COMMENT ON COLUMN bounces.status IS 'RFC 3463 status code the report gave, e.g. 5.1.1; NULL when none';
COMMENT ON COLUMN bounces.diagnostic IS 'The remote server''s answer (DSN Diagnostic-Code), printable ASCII; may quote the address';
COMMENT ON COLUMN bounces.message_id IS 'Message-ID of the message that bounced, as the report returned it';
COMMENT ON COLUMN bounces.report_id IS 'Message-ID of the bounce report itself (the DSN)';
COMMENT ON COLUMN bounces.report_format IS 'dsn (RFC 3464) or the plain-text format read (qmail, postfix, exim, ...)';
COMMENT ON COLUMN bounces.reporting_mta IS 'The mail server that wrote the report (DSN Reporting-MTA)';
COMMENT ON COLUMN bounces.received_at IS 'When mailout inbound read the report';

CREATE INDEX unsubscribe_tokens_message ON unsubscribe_tokens (message_id)
    WHERE message_id IS NOT NULL;

GRANT SELECT, INSERT, DELETE ON bounces TO mailout_app;
GRANT USAGE ON SEQUENCE bounces_id_seq TO mailout_app;
