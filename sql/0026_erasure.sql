-- 0026_erasure.sql: erasure (GDPR Art. 17) through one audited function.
--
-- erase_contact() is SECURITY DEFINER and owned by mailout_eraser, a
-- NOLOGIN role nothing else uses.  Only that role may UPDATE the history
-- tables, only their personal columns, and only to NULL: the append-only
-- trigger checks all three, so the mailout.erasure setting no longer opens
-- anything (0005 let anyone who set it rewrite the ledger).  The audit log
-- has no door at all.
--
-- Personal columns of the history tables (h-chain's keyed hash covers
-- exactly these; its verifier accepts them NULL once contacts.erased_at is
-- set):
--   consent_events: email_entered, ip, user_agent
--   send_records:   smtp_reply
-- (send_records.message_id and evidence hold our own Message-ID and the
-- consent event or order id; no rendered address is stored there.)
--
-- Migrating: creating mailout_eraser needs CREATEROLE (or a superuser) the
-- first time; ALTER FUNCTION ... OWNER TO mailout_eraser needs a superuser
-- or a migrating role that is a member of mailout_eraser (PostgreSQL 16:
-- with the SET option), and mailout_eraser needs CREATE on the schema only
-- for that statement (granted and revoked below).  A non-superuser owner
-- that stays a member of mailout_eraser can SET ROLE to it and null the
-- personal columns by hand, nothing more; revoke the membership after
-- migrating (REVOKE mailout_eraser FROM owner) where that matters.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mailout_eraser') THEN
        CREATE ROLE mailout_eraser NOLOGIN;
    END IF;
END
$$;

COMMENT ON ROLE mailout_eraser IS
    'mailout erasure role: owns erase_contact() and nothing else; the only role that may null the personal columns of consent_events and send_records';

-- A tombstone keeps its id, addr_hmac, created_at and erased_at only.
ALTER TABLE contacts ALTER COLUMN email DROP NOT NULL,
                     ALTER COLUMN email_norm DROP NOT NULL;
ALTER TABLE contacts ADD CONSTRAINT contacts_live_has_address
    CHECK (erased_at IS NOT NULL OR (email IS NOT NULL AND email_norm IS NOT NULL));
ALTER TABLE contacts ADD CONSTRAINT contacts_tombstone_empty
    CHECK (erased_at IS NULL
           OR (email IS NULL AND email_norm IS NULL AND name IS NULL AND country IS NULL
               AND locale IS NULL AND birth_date IS NULL AND time_zone IS NULL
               AND attrs = '{}'::jsonb AND source = 'erased' AND addr_hmac IS NOT NULL));
COMMENT ON CONSTRAINT contacts_live_has_address ON contacts IS
    'Only a tombstone (erased_at set) has no address';
COMMENT ON CONSTRAINT contacts_tombstone_empty ON contacts IS
    'A tombstone holds no personal field: only id, addr_hmac and dates (source reads erased)';
COMMENT ON COLUMN contacts.email IS 'Address as entered (NULL on a tombstone)';
COMMENT ON COLUMN contacts.email_norm IS 'Normalized address, unique (NULL on a tombstone)';

-- The append-only guard, now without the mailout.erasure door.
CREATE OR REPLACE FUNCTION refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    personal text[];
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME IN ('consent_events', 'send_records')
       AND current_user = 'mailout_eraser' THEN
        personal := CASE TG_TABLE_NAME
                        WHEN 'consent_events' THEN ARRAY['email_entered', 'ip', 'user_agent']
                        ELSE ARRAY['smtp_reply'] END;
        IF (to_jsonb(OLD) - personal) IS DISTINCT FROM (to_jsonb(NEW) - personal) THEN
            RAISE EXCEPTION '% is append-only: erasure may change only %', TG_TABLE_NAME,
                array_to_string(personal, ', ')
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF EXISTS (SELECT 1 FROM jsonb_each(to_jsonb(NEW)) AS j(k, v)
                    WHERE j.k = ANY (personal) AND j.v <> 'null'::jsonb) THEN
            RAISE EXCEPTION '% is append-only: erasure may only set % to NULL', TG_TABLE_NAME,
                array_to_string(personal, ', ')
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION refuse_history_change() IS
    'Append-only guard of consent_events, send_records and audit_log: refuses UPDATE, DELETE and TRUNCATE, except an UPDATE by mailout_eraser (inside erase_contact) that only sets the personal columns to NULL';

CREATE FUNCTION erase_contact(p_contact_id bigint, p_addr_hmac text, p_actor text)
    RETURNS jsonb LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    c        record;
    v_norm   text;
    v_email  text;
    v_keys   text[];
    n        bigint;
    counts   jsonb := '{}'::jsonb;
    pending  boolean := false;
BEGIN
    IF p_addr_hmac IS NULL OR p_addr_hmac !~ '^[0-9a-f]{64}$' THEN
        RAISE EXCEPTION 'erase_contact: invalid keyed hash' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- the queue rows first, then the contact: the order a dispatcher's
    -- record statement takes them in (queue row, then the contact through
    -- the send record's foreign key), so the two never deadlock
    PERFORM 1 FROM send_queue WHERE contact_id = p_contact_id ORDER BY id FOR UPDATE;
    SELECT * INTO c FROM contacts WHERE id = p_contact_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'erase_contact: no contact %', p_contact_id USING ERRCODE = 'no_data_found';
    END IF;
    IF c.erased_at IS NOT NULL THEN
        -- object_in_use: erase.c retries and then finds the tombstone (a
        -- concurrent erase of the same address won while this one waited)
        RAISE EXCEPTION 'erase_contact: contact % is already erased', p_contact_id
            USING ERRCODE = 'object_in_use';
    END IF;
    IF c.addr_hmac IS NOT NULL AND c.addr_hmac <> p_addr_hmac THEN
        RAISE EXCEPTION 'erase_contact: keyed hash does not match contact %', p_contact_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- the chain must have sealed this person's rows (their personal columns
    -- enter it as a keyed hash): chain_seal() runs first
    IF to_regclass('chain_pending') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM chain_pending p JOIN consent_events e'
                ' ON p.chain = ''consent'' AND e.id = p.row_id WHERE e.contact_id = $1)'
                ' OR EXISTS (SELECT 1 FROM chain_pending p JOIN send_records s'
                ' ON p.chain = ''send'' AND s.id = p.row_id WHERE s.contact_id = $1)'
            INTO pending USING p_contact_id;
        IF pending THEN
            RAISE EXCEPTION 'erase_contact: contact % has history rows not yet sealed into the chain',
                p_contact_id USING ERRCODE = 'object_in_use',
                HINT = 'run chain_seal() first';
        END IF;
    END IF;
    v_email := lower(c.email);
    v_norm := lower(c.email_norm);

    -- rate-limit counters keyed by a hash of the address or of an IP the
    -- person used (a shared IP's counter restarts: erasure wins)
    DELETE FROM rate_events r
     WHERE r.key_hash IN (
           SELECT encode(sha256(convert_to(x, 'UTF8')), 'hex')
             FROM (SELECT c.email AS x UNION SELECT c.email_norm UNION SELECT v_email
                   UNION SELECT host(e.ip) FROM consent_events e
                    WHERE e.contact_id = p_contact_id AND e.ip IS NOT NULL
                   UNION SELECT host(d.ip) FROM doi_requests d
                    WHERE d.contact_id = p_contact_id AND d.ip IS NOT NULL) s
            WHERE x IS NOT NULL);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('rate_events', n);

    DELETE FROM confirm_mail_queue q USING doi_requests d
     WHERE q.request_id = d.id AND d.contact_id = p_contact_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('confirm_mails', n);
    DELETE FROM doi_request_topics t USING doi_requests d
     WHERE t.request_id = d.id AND d.contact_id = p_contact_id;
    DELETE FROM doi_requests WHERE contact_id = p_contact_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('doi_requests', n);

    DELETE FROM web_activity WHERE contact_id = p_contact_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('activity', n);
    -- our copy of the person's orders exists only to establish the
    -- existing-customer basis: deleted (the shop's own records stay there)
    DELETE FROM orders WHERE contact_id = p_contact_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('orders', n);
    DELETE FROM unsubscribe_tokens WHERE contact_id = p_contact_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('unsubscribe_tokens', n);
    DELETE FROM bounces WHERE contact_id = p_contact_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('bounces', n);

    -- queue rows: those a send record points to stay (they hold no personal
    -- field once reason, which may quote an SMTP reply, is cleared) and are
    -- settled; the others go
    DELETE FROM send_queue q
     WHERE q.contact_id = p_contact_id
       AND NOT EXISTS (SELECT 1 FROM send_records s WHERE s.queue_id = q.id);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('send_queue', n);
    UPDATE send_queue
       SET reason = CASE WHEN state IN ('queued', 'claimed', 'sending') THEN 'erased' END,
           state = CASE WHEN state IN ('queued', 'claimed', 'sending') THEN 'cancelled'
                        ELSE state END,
           worker = NULL, worker_key = NULL, lease_until = NULL, updated_at = now()
     WHERE contact_id = p_contact_id;

    -- the history: personal columns only, to NULL (the trigger checks it)
    UPDATE consent_events SET email_entered = NULL, ip = NULL, user_agent = NULL
     WHERE contact_id = p_contact_id
       AND (email_entered IS NOT NULL OR ip IS NOT NULL OR user_agent IS NOT NULL);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('consent_events', n);
    UPDATE send_records SET smtp_reply = NULL
     WHERE contact_id = p_contact_id AND smtp_reply IS NOT NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('send_records', n);

    -- CRM webhook payloads (pending or delivered) and their last errors:
    -- the address and name keys go; a payload that still names the address
    -- anywhere is replaced by its event and contact id
    v_keys := ARRAY['email', 'email_norm', 'name', 'email_entered', 'ip', 'user_agent'];
    UPDATE webhook_outbox o
       SET payload = o.payload - v_keys, last_error = NULL
     WHERE o.contact_id = p_contact_id
        OR (v_email IS NOT NULL AND strpos(lower(o.payload::text), v_email) > 0)
        OR (v_norm IS NOT NULL AND strpos(lower(o.payload::text), v_norm) > 0);
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('webhook_payloads', n);
    UPDATE webhook_outbox o
       SET payload = jsonb_build_object('event', o.event, 'contact_id', o.contact_id,
                                        'redacted', true)
     WHERE (v_email IS NOT NULL AND strpos(lower(o.payload::text), v_email) > 0)
        OR (v_norm IS NOT NULL AND strpos(lower(o.payload::text), v_norm) > 0);
    UPDATE webhook_outbox o SET last_error = NULL
     WHERE (v_email IS NOT NULL AND strpos(lower(o.last_error), v_email) > 0)
        OR (v_norm IS NOT NULL AND strpos(lower(o.last_error), v_norm) > 0);

    -- erasure is also an objection to all marketing (Art. 21): the ledger
    -- says so, so the tombstone never counts as consenting even if the
    -- suppression is later lifted by a new person's own double opt-in
    INSERT INTO consent_events (contact_id, topic_id, kind, source, channel, actor, note)
        VALUES (p_contact_id, NULL, 'objected', 'erasure', 'cli', p_actor, 'erasure');

    UPDATE contacts
       SET email = NULL, email_norm = NULL, name = NULL, country = NULL, locale = NULL,
           birth_date = NULL, time_zone = NULL, attrs = '{}'::jsonb, source = 'erased',
           addr_hmac = p_addr_hmac, erased_at = now(), updated_at = now()
     WHERE id = p_contact_id;

    INSERT INTO suppression (addr_hmac, reason) VALUES (p_addr_hmac, 'erased')
        ON CONFLICT (addr_hmac) DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    counts := counts || jsonb_build_object('suppression_added', n);

    INSERT INTO webhook_outbox (event, contact_id, payload)
        VALUES ('erased', p_contact_id,
                jsonb_build_object('event', 'erased', 'contact_id', p_contact_id,
                                   'at', iso_utc(now())));

    INSERT INTO audit_log (actor, action, object, detail)
        VALUES (COALESCE(p_actor, 'system'), 'contact.erase', 'contact:' || p_contact_id, counts);
    RETURN counts;
END
$$;
COMMENT ON FUNCTION erase_contact(bigint, text, text) IS
    'Erases one contact (GDPR Art. 17) inside the caller''s transaction: tombstone row (id, addr_hmac, erased_at), personal rows deleted, personal history columns nulled, webhook payloads stripped, suppression entry, erased webhook, objection event, audit entry; returns the counts.  Refuses while chain_pending holds the contact''s rows.  Called by erase.c only.';

-- History appended for a tombstone after its erasure (a dispatcher that was
-- in an SMTP session with the person when erase ran, a late webhook, a
-- future path) arrives without its personal columns: the SMTP reply may
-- quote the address.  The chain hashes whatever the row holds when sealed,
-- so a NULL here is sealed as NULL and verifies.
CREATE FUNCTION history_erased_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.contact_id IS NOT NULL
       AND EXISTS (SELECT 1 FROM contacts c WHERE c.id = NEW.contact_id AND c.erased_at IS NOT NULL) THEN
        IF TG_TABLE_NAME = 'send_records' THEN
            NEW.smtp_reply := NULL;
        ELSE
            NEW.email_entered := NULL;
            NEW.ip := NULL;
            NEW.user_agent := NULL;
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION history_erased_guard() IS
    'BEFORE INSERT trigger of send_records and consent_events: a row for an erased contact (tombstone) is stored with its personal columns NULL';
CREATE TRIGGER send_records_erased_guard BEFORE INSERT ON send_records
    FOR EACH ROW EXECUTE FUNCTION history_erased_guard();
CREATE TRIGGER consent_events_erased_guard BEFORE INSERT ON consent_events
    FOR EACH ROW EXECUTE FUNCTION history_erased_guard();
COMMENT ON TRIGGER send_records_erased_guard ON send_records IS
    'A send record for a tombstone keeps no SMTP reply';
COMMENT ON TRIGGER consent_events_erased_guard ON consent_events IS
    'A ledger row for a tombstone keeps no address, IP or user agent';

-- What the function needs, as mailout_eraser.
GRANT SELECT, UPDATE ON contacts TO mailout_eraser;
GRANT SELECT, INSERT ON consent_events TO mailout_eraser;
GRANT UPDATE (email_entered, ip, user_agent) ON consent_events TO mailout_eraser;
GRANT SELECT ON send_records TO mailout_eraser;
GRANT UPDATE (smtp_reply) ON send_records TO mailout_eraser;
GRANT SELECT, INSERT ON audit_log, suppression TO mailout_eraser;
GRANT SELECT, INSERT, UPDATE ON webhook_outbox TO mailout_eraser;
GRANT SELECT, UPDATE, DELETE ON send_queue TO mailout_eraser;
GRANT SELECT, DELETE ON rate_events, confirm_mail_queue, doi_request_topics, doi_requests,
    web_activity, orders, unsubscribe_tokens, bounces TO mailout_eraser;
GRANT SELECT ON topics TO mailout_eraser;
DO $$
BEGIN
    IF to_regclass('chain_pending') IS NOT NULL THEN
        GRANT SELECT, INSERT ON chain_pending TO mailout_eraser;
    END IF;
END
$$;

-- The schema is the one the migration runs in (public in the tests), named
-- in the function's search_path so that nobody's objects shadow ours.
DO $$
BEGIN
    EXECUTE format('ALTER FUNCTION erase_contact(bigint, text, text)'
                   ' SET search_path = pg_catalog, %I, pg_temp', current_schema());
    EXECUTE format('GRANT CREATE ON SCHEMA %I TO mailout_eraser', current_schema());
    ALTER FUNCTION erase_contact(bigint, text, text) OWNER TO mailout_eraser;
    EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM mailout_eraser', current_schema());
END
$$;
REVOKE ALL ON FUNCTION erase_contact(bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erase_contact(bigint, text, text) TO mailout_app;
