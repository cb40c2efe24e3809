-- 0022_revoke_functions.sql: an opt-out in one round trip.
--
-- ledger.c recorded an opt-out in three statements (the "same already?"
-- check, the ledger event, the webhook outbox row) and the unsubscribe
-- endpoints added BEGIN, the token lookup with its row lock, and COMMIT:
-- six round trips and as many wake-ups per one-click POST.  Measured with
-- contrib/bench/unsubscribe.sh on 2 cores: about 1,150 durable one-clicks
-- per second, CPU-bound in the round trips.  The same steps now run inside
-- one function call.  In a VOLATILE PL/pgSQL function each statement takes
-- a fresh snapshot (READ COMMITTED), so a concurrent repeat that waited on
-- the contact's row lock still sees the first one's event and writes
-- nothing.

CREATE FUNCTION ledger_revoke(p_contact bigint, p_topic bigint, p_channel text, p_source text,
                              p_actor text, p_note text, p_message_id text, p_ip inet,
                              p_user_agent text, p_skip_if_same boolean)
    RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_kind consent_event_kind := CASE WHEN p_topic IS NULL THEN 'objected' ELSE 'withdrawn' END;
BEGIN
    -- the latest decisive event already says so: an objection (or, for a
    -- topic, a withdrawal) newer than any consent or request for it
    IF p_skip_if_same AND COALESCE((
           SELECT CASE WHEN p_topic IS NULL THEN e.kind = 'objected'
                       ELSE e.kind IN ('withdrawn', 'objected') END
             FROM consent_events e
            WHERE e.contact_id = p_contact
              AND (e.kind = 'objected'
                   OR (e.topic_id = p_topic
                       AND e.kind IN ('confirmed', 'granted', 'withdrawn', 'requested')))
            ORDER BY e.id DESC LIMIT 1), false) THEN
        RETURN false;
    END IF;
    INSERT INTO consent_events (contact_id, topic_id, kind, ip, user_agent, source, channel,
                                actor, message_id, note)
        VALUES (p_contact, p_topic, v_kind, p_ip, p_user_agent, COALESCE(p_source, 'unknown'),
                COALESCE(p_channel, 'cli'), COALESCE(p_actor, 'system'), p_message_id, p_note);
    INSERT INTO webhook_outbox (event, contact_id, payload)
        SELECT v_kind::text, c.id,
               jsonb_build_object('event', v_kind::text, 'contact_id', c.id, 'email', c.email,
                   'topics', CASE WHEN p_topic IS NULL THEN '["*"]'::jsonb
                             ELSE (SELECT jsonb_build_array(t.name) FROM topics t
                                    WHERE t.id = p_topic) END,
                   'at', iso_utc(now()))
          FROM contacts c WHERE c.id = p_contact;
    RETURN true;
END
$$;
COMMENT ON FUNCTION ledger_revoke(bigint, bigint, text, text, text, text, text, inet, text, boolean) IS
    'Records an opt-out inside the caller''s transaction: withdrawn for p_topic, or objected to all marketing when p_topic is NULL, with the CRM webhook outbox row; with p_skip_if_same nothing when the ledger already says so.  True when an event was written.  Called by ledger.c only.';

CREATE FUNCTION token_revoke(p_token_sha256 text, p_all boolean, p_one_click boolean,
                             p_channel text, p_source text, p_ip inet, p_user_agent text,
                             p_note text)
    RETURNS TABLE (contact_id bigint, topic_id bigint, topic text, topic_title text,
                   run_id bigint, message_id text, all_marketing boolean, changed boolean)
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_scope text;
BEGIN
    SELECT u.contact_id, u.topic_id, t.name, t.title, u.run_id, COALESCE(u.message_id, ''),
           COALESCE((SELECT p.one_click_scope FROM policy p WHERE p.country IN (c.country, '*')
                      ORDER BY p.country = '*' LIMIT 1), 'topic')
      INTO contact_id, topic_id, topic, topic_title, run_id, message_id, v_scope
      FROM unsubscribe_tokens u
      JOIN topics t ON t.id = u.topic_id
      JOIN contacts c ON c.id = u.contact_id
     WHERE u.token_sha256 = p_token_sha256
       FOR NO KEY UPDATE OF c;     -- concurrent repeats for one contact take turns
    IF NOT FOUND THEN
        RETURN;                    -- unknown token: no row, nothing written
    END IF;
    all_marketing := p_all OR (p_one_click AND v_scope = 'all');
    changed := ledger_revoke(token_revoke.contact_id,
                             CASE WHEN all_marketing THEN NULL ELSE token_revoke.topic_id END,
                             p_channel, p_source, 'subject',
                             CASE WHEN p_one_click AND v_scope = 'all' AND NOT p_all
                                  THEN 'one_click_scope all' ELSE p_note END,
                             NULLIF(token_revoke.message_id, ''), p_ip, p_user_agent, true);
    RETURN NEXT;
END
$$;
COMMENT ON FUNCTION token_revoke(text, boolean, boolean, text, text, inet, text, text) IS
    'The opt-out an unsubscribe token grants, for its own recipient only: locks the contact, reads one_click_scope (the contact''s country, else *) when p_one_click, and calls ledger_revoke; no row for an unknown token.  Called by consent.c only.';
