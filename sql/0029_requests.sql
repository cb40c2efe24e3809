-- 0029_requests.sql: the data-subject request log (issue 13, R-GDPR-7).
--
-- Every access, erasure, objection or rectification request is recorded
-- with its due date: one month from receipt, extended at most once by two
-- further months (Art. 12(3)), the month arithmetic of Regulation 1182/71
-- Art. 3(2)(c) (31 Jan -> 28 Feb).  The dates are computed in C (dsr.c),
-- one place only; this table only checks their order.
--
-- The log never holds an address: the person is named by contact_id (a
-- contact is tombstoned, not deleted, on erasure) and the keyed hash of the
-- normalized address (suppress.h), so a request for an address mailout does
-- not know is recorded too (contact_id NULL) and the log survives the
-- person's erasure without naming them.  The extension reason is refused
-- when it contains '@'.

CREATE TABLE dsr_requests (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id bigint REFERENCES contacts (id) ON DELETE SET NULL,
    addr_hmac text NOT NULL CHECK (addr_hmac ~ '^[0-9a-f]{64}$'),
    kind text NOT NULL CHECK (kind IN ('access', 'erasure', 'objection', 'rectification')),
    channel text NOT NULL DEFAULT 'email'
        CHECK (channel IN ('email', 'web', 'post', 'phone', 'other')),
    received_on date NOT NULL,
    due_on date NOT NULL,
    extended_to date,
    extend_reason text CHECK (length(extend_reason) BETWEEN 1 AND 500
                              AND extend_reason !~ '[[:cntrl:]]'
                              AND strpos(extend_reason, '@') = 0),
    extended_at timestamptz,
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done')),
    closed_at timestamptz,
    closed_by text,
    closed_via text CHECK (closed_via IN ('export', 'erase', 'objection', 'manual')),
    closed_audit_id bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL,
    CONSTRAINT dsr_requests_due_after_receipt CHECK (due_on > received_on),
    CONSTRAINT dsr_requests_extension_later CHECK (extended_to IS NULL OR extended_to > due_on),
    CONSTRAINT dsr_requests_extension_complete
        CHECK ((extended_to IS NULL) = (extend_reason IS NULL)
               AND (extended_to IS NULL) = (extended_at IS NULL)),
    CONSTRAINT dsr_requests_closed_complete
        CHECK ((state = 'open') = (closed_at IS NULL)
               AND (closed_at IS NULL) = (closed_by IS NULL)
               AND (closed_at IS NULL) = (closed_via IS NULL))
);
CREATE INDEX dsr_requests_open ON dsr_requests (due_on) WHERE state = 'open';
CREATE INDEX dsr_requests_contact ON dsr_requests (contact_id);
CREATE INDEX dsr_requests_addr_hmac ON dsr_requests (addr_hmac);

COMMENT ON TABLE dsr_requests IS 'Data-subject requests (GDPR Art. 12(3), R-GDPR-7): access, erasure, objection, rectification, each with its due date; holds no address (keyed hash only), so it stays after the person''s erasure';
COMMENT ON COLUMN dsr_requests.id IS 'Surrogate key, the ID of mailout request extend/done';
COMMENT ON COLUMN dsr_requests.contact_id IS 'The contact (live or tombstone) the address belonged to when the request was recorded; NULL for an address mailout did not know';
COMMENT ON COLUMN dsr_requests.addr_hmac IS 'HMAC-SHA-256 (hex) of the normalized address under the suppression key: the requester, without the address';
COMMENT ON COLUMN dsr_requests.kind IS 'access (Art. 15), erasure (Art. 17), objection (Art. 21) or rectification (Art. 16)';
COMMENT ON COLUMN dsr_requests.channel IS 'How the request arrived: email, web, post, phone or other';
COMMENT ON COLUMN dsr_requests.received_on IS 'Day of receipt (the one-month period runs from it)';
COMMENT ON COLUMN dsr_requests.due_on IS 'Received + 1 month (Reg. 1182/71 Art. 3(2)(c): the same day number, or the month''s last day when it has none)';
COMMENT ON COLUMN dsr_requests.extended_to IS 'Received + 3 months when extended by two further months (Art. 12(3)); NULL when not extended';
COMMENT ON COLUMN dsr_requests.extend_reason IS 'The reasons given to the person for the extension (no address, no control characters)';
COMMENT ON COLUMN dsr_requests.extended_at IS 'When the extension was recorded (on or before due_on)';
COMMENT ON COLUMN dsr_requests.state IS 'open or done';
COMMENT ON COLUMN dsr_requests.closed_at IS 'When it was closed';
COMMENT ON COLUMN dsr_requests.closed_by IS 'Actor that closed it (audit actor)';
COMMENT ON COLUMN dsr_requests.closed_via IS 'export (mailout export), erase (mailout erase), objection (an objection to all marketing) or manual (mailout request done)';
COMMENT ON COLUMN dsr_requests.closed_audit_id IS 'audit_log.id of the entry of the action that answered it (contact.export, contact.erase, consent.object, request.done)';
COMMENT ON COLUMN dsr_requests.created_at IS 'When it was recorded';
COMMENT ON COLUMN dsr_requests.created_by IS 'Actor that recorded it (audit actor)';
COMMENT ON CONSTRAINT dsr_requests_due_after_receipt ON dsr_requests IS 'The due date follows receipt';
COMMENT ON CONSTRAINT dsr_requests_extension_later ON dsr_requests IS 'An extension moves the due date later';
COMMENT ON CONSTRAINT dsr_requests_extension_complete ON dsr_requests IS 'An extension has its date, reason and time';
COMMENT ON CONSTRAINT dsr_requests_closed_complete ON dsr_requests IS 'A closed request has its time, actor and way';
COMMENT ON INDEX dsr_requests_open IS 'Open requests by due date (list --open, /metrics, doctor)';
COMMENT ON INDEX dsr_requests_contact IS 'Requests of one contact (closing on export, erase, objection)';
COMMENT ON INDEX dsr_requests_addr_hmac IS 'Requests of one keyed hash (closing on export, erase, objection)';

GRANT SELECT, INSERT, UPDATE ON dsr_requests TO mailout_app;
