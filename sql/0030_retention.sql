-- 0030_retention.sql: storage limitation (GDPR Art. 5(1)(e), R-GDPR-16).
--
-- SMTP replies of send records are kept reply_retention_months (default
-- 24): a reply may quote the address or a mailbox detail.  send_records is
-- append-only and only mailout_eraser may set its personal column to NULL
-- (0026), so the nulling runs in redact_old_replies(), SECURITY DEFINER and
-- owned by mailout_eraser like erase_contact().  Each nulled row is listed
-- in retention_redactions with the cutoff it was nulled under: the send
-- chain (chain.c, audit verify) keeps a row's stored keyed hash of its
-- personal column only when that column is NULL and the contact is erased
-- or the row is listed here with occurred_at before its cutoff.  The list
-- is append-only and only mailout_eraser may add to it, so nulling a reply
-- by hand, even as the owner with triggers off, still breaks the chain
-- unless the forger also writes a redaction row (which a superuser can; the
-- audit log's maintenance.purge_replies entries then disagree with it).
--
-- Contacts idle for contact_retention_months are erased through
-- erase_contact() (0026) by the maintenance job; nothing new is needed here.

CREATE TABLE retention_redactions (
    send_record_id bigint PRIMARY KEY REFERENCES send_records (id),
    cutoff         timestamptz NOT NULL,
    redacted_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT retention_redactions_cutoff_past CHECK (cutoff <= redacted_at)
);
COMMENT ON TABLE retention_redactions IS
    'Append-only list of send records whose smtp_reply maintenance set to NULL after reply_retention_months (written only by redact_old_replies); audit verify accepts the NULL reply of a listed row';
COMMENT ON COLUMN retention_redactions.send_record_id IS 'The send record whose SMTP reply was nulled';
COMMENT ON COLUMN retention_redactions.cutoff IS 'Replies of records that occurred before this were nulled (now minus reply_retention_months)';
COMMENT ON COLUMN retention_redactions.redacted_at IS 'When';
COMMENT ON CONSTRAINT retention_redactions_cutoff_past ON retention_redactions IS
    'A cutoff lies in the past: only replies already older than the retention period are nulled';

CREATE TRIGGER retention_redactions_append_only BEFORE UPDATE OR DELETE ON retention_redactions
    FOR EACH ROW EXECUTE FUNCTION refuse_history_change();
CREATE TRIGGER retention_redactions_no_truncate BEFORE TRUNCATE ON retention_redactions
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_change();
COMMENT ON TRIGGER retention_redactions_append_only ON retention_redactions IS
    'The redaction list is append-only';
COMMENT ON TRIGGER retention_redactions_no_truncate ON retention_redactions IS
    'The redaction list is never truncated';

CREATE FUNCTION redact_old_replies(p_cutoff timestamptz, p_limit integer)
    RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    n bigint;
BEGIN
    -- reply_retention_months is at least 1: a cutoff closer than a month
    -- is not a retention period but a mistake
    IF p_cutoff IS NULL OR p_cutoff > now() - interval '1 month' THEN
        RAISE EXCEPTION 'redact_old_replies: cutoff must lie at least a month in the past'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 100000 THEN
        RAISE EXCEPTION 'redact_old_replies: batch size must be 1 to 100000'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    WITH s AS (
        SELECT id FROM send_records
         WHERE smtp_reply IS NOT NULL AND occurred_at < p_cutoff
         ORDER BY id LIMIT p_limit FOR UPDATE
    ), u AS (
        UPDATE send_records r SET smtp_reply = NULL FROM s WHERE r.id = s.id RETURNING r.id
    )
    INSERT INTO retention_redactions (send_record_id, cutoff) SELECT id, p_cutoff FROM u;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION redact_old_replies(timestamptz, integer) IS
    'Sets smtp_reply to NULL on up to p_limit send records that occurred before p_cutoff and lists each in retention_redactions; returns how many (0: none left).  Runs in the caller''s transaction; called by the maintenance job (retention.c) only';

GRANT SELECT, INSERT ON retention_redactions TO mailout_eraser;
GRANT SELECT ON retention_redactions TO mailout_app;

DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION redact_old_replies(timestamptz, integer)'
                   ' SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('GRANT CREATE ON SCHEMA %I TO mailout_eraser', current_schema());
    ALTER FUNCTION redact_old_replies(timestamptz, integer) OWNER TO mailout_eraser;
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM mailout_eraser', current_schema());
END
$$;
REVOKE ALL ON FUNCTION redact_old_replies(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION redact_old_replies(timestamptz, integer) TO mailout_app;
