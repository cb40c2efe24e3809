-- 0005_audit_outbox_policy.sql: the hash-chained audit log, the webhook
-- outbox, the jurisdiction policy and the append-only guards.

CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq         bigint NOT NULL UNIQUE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    object      text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    prev_hash   text NOT NULL,
    hash        text NOT NULL
);
COMMENT ON TABLE audit_log IS 'Every admin action and maintenance job, hash-chained so that a rewrite is detectable (mailout audit verify)';
COMMENT ON COLUMN audit_log.id IS 'Surrogate key';
COMMENT ON COLUMN audit_log.seq IS 'Position in the chain, assigned under a lock';
COMMENT ON COLUMN audit_log.at IS 'When';
COMMENT ON COLUMN audit_log.actor IS 'Who: cli:USER, http, system';
COMMENT ON COLUMN audit_log.action IS 'What, e.g. contact.import, consent_text.add, maintenance.purge_pending';
COMMENT ON COLUMN audit_log.object IS 'What it was done to (name or id; never an address)';
COMMENT ON COLUMN audit_log.detail IS 'Counters and parameters (JSON)';
COMMENT ON COLUMN audit_log.prev_hash IS 'hash of the previous entry (64 zeros for the first)';
COMMENT ON COLUMN audit_log.hash IS 'SHA-256 over prev_hash, seq, at, actor, action, object and detail';

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last record;
BEGIN
    PERFORM pg_advisory_xact_lock(7233110512);
    SELECT seq, hash INTO last FROM audit_log ORDER BY seq DESC LIMIT 1;
    NEW.seq := COALESCE(last.seq, 0) + 1;
    NEW.prev_hash := COALESCE(last.hash, repeat('0', 64));
    NEW.at := date_trunc('milliseconds', clock_timestamp());
    NEW.hash := audit_log_hash(NEW.prev_hash, NEW.seq, NEW.at, NEW.actor, NEW.action,
                               NEW.object, NEW.detail);
    RETURN NEW;
END
$$;

CREATE FUNCTION audit_log_hash(prev text, seq bigint, at timestamptz, actor text, action text,
                               object text, detail jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(concat_ws('|', prev, seq::text,
        to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        actor, action, COALESCE(object, ''), detail::text), 'UTF8')), 'hex')
$$;
COMMENT ON FUNCTION audit_log_hash(text, bigint, timestamptz, text, text, text, jsonb) IS
    'The chain hash of one audit entry; audit verify recomputes it';

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- Append-only guards.  The grants already keep mailout_app from changing
-- history; these triggers stop the owner too.  Erasure (GDPR Art. 17) will
-- pseudonymise ledger and send rows through a reviewed function that sets
-- mailout.erasure for its own transaction; the audit log has no such door.
CREATE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME <> 'audit_log' AND TG_OP = 'UPDATE'
       AND current_setting('mailout.erasure', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER send_records_append_only BEFORE UPDATE OR DELETE ON send_records
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE ON consent_events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER send_records_no_truncate BEFORE TRUNCATE ON send_records
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();

CREATE TABLE webhook_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event           text NOT NULL CHECK (event IN ('confirmed', 'withdrawn', 'objected', 'erased', 'suppressed')),
    contact_id      bigint,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    attempts        integer NOT NULL DEFAULT 0,
    delivered_at    timestamptz,
    last_error      text
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL;
COMMENT ON TABLE webhook_outbox IS 'Consent changes to pass on to the CRM (GDPR Art. 19), written in the same transaction as the change';
COMMENT ON COLUMN webhook_outbox.id IS 'Delivery id, sent as the idempotency key';
COMMENT ON COLUMN webhook_outbox.event IS 'confirmed, withdrawn, objected, erased or suppressed';
COMMENT ON COLUMN webhook_outbox.contact_id IS 'The contact (no foreign key: erasure keeps the event)';
COMMENT ON COLUMN webhook_outbox.payload IS 'The JSON body to POST';
COMMENT ON COLUMN webhook_outbox.created_at IS 'When the change happened';
COMMENT ON COLUMN webhook_outbox.next_attempt_at IS 'Not before (backoff)';
COMMENT ON COLUMN webhook_outbox.attempts IS 'Attempts so far';
COMMENT ON COLUMN webhook_outbox.delivered_at IS 'When the receiver answered 2xx';
COMMENT ON COLUMN webhook_outbox.last_error IS 'Last failure';

CREATE TABLE policy (
    country             text PRIMARY KEY CHECK (country = '*' OR country ~ '^[A-Z]{2}$'),
    consent_age         integer NOT NULL CHECK (consent_age BETWEEN 13 AND 18),
    existing_customer_months integer NOT NULL CHECK (existing_customer_months BETWEEN 0 AND 24),
    inquiry_months      integer NOT NULL DEFAULT 0 CHECK (inquiry_months BETWEEN 0 AND 6),
    opt_out_regime      boolean NOT NULL DEFAULT false,
    double_opt_in       boolean NOT NULL DEFAULT true,
    note                text
);
COMMENT ON TABLE policy IS 'Jurisdiction policy per contact country (RULES.md section 9); * is the strictest default for unknown countries';
COMMENT ON COLUMN policy.country IS 'ISO 3166-1 alpha-2, or * for unknown';
COMMENT ON COLUMN policy.consent_age IS 'Age from which a person may consent alone (GDPR Art. 8)';
COMMENT ON COLUMN policy.existing_customer_months IS 'Window after the last qualifying purchase for the existing-customer basis (0 = none)';
COMMENT ON COLUMN policy.inquiry_months IS 'Window after an inquiry (CASL implied consent)';
COMMENT ON COLUMN policy.opt_out_regime IS 'Marketing without prior consent allowed (US CAN-SPAM); off until an admin switches it on';
COMMENT ON COLUMN policy.double_opt_in IS 'Consent must be confirmed by double opt-in';
COMMENT ON COLUMN policy.note IS 'Source of the values';

INSERT INTO policy (country, consent_age, existing_customer_months, inquiry_months, opt_out_regime, note) VALUES
    ('*', 16, 24, 0, false, 'strictest default (RULES.md 9)'),
    ('AT', 14, 24, 0, false, 'GDPR Art. 8, national age'),
    ('BE', 13, 24, 0, false, 'GDPR Art. 8, national age'),
    ('CZ', 15, 24, 0, false, 'GDPR Art. 8, national age'),
    ('DE', 16, 24, 0, false, 'GDPR Art. 8; UWG 7(3)'),
    ('DK', 13, 24, 0, false, 'GDPR Art. 8, national age'),
    ('FI', 13, 24, 0, false, 'GDPR Art. 8, national age'),
    ('FR', 15, 24, 0, false, 'GDPR Art. 8, national age'),
    ('IE', 16, 24, 0, false, 'GDPR Art. 8, national age'),
    ('IT', 14, 24, 0, false, 'GDPR Art. 8, national age'),
    ('GB', 13, 24, 0, false, 'UK GDPR, DPA 2018 s.9'),
    ('CA', 16, 24, 6, false, 'CASL s.10(10): purchase 2 years, inquiry 6 months'),
    ('US', 13, 24, 0, false, 'CAN-SPAM opt-out regime available, off by default');
