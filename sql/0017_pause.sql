-- 0017_pause.sql: pause all marketing for a while (issue 10).  A 'paused'
-- ledger event (kind added by 0016) carries paused_until; the legal-basis
-- engine excludes a contact whose latest pause runs past the decision time
-- with the reason 'paused'.
--
-- A pause is the person's wish to hear nothing for a while, not an
-- opt-out: it withdraws no consent and objects to nothing, so it neither
-- voids a pending confirmation nor blocks a new one (consent_blocked,
-- doi_request_voided and the views read only the opt-out kinds), lifts no
-- objection, and forgets no web activity.  It covers all marketing (topic
-- NULL).  It ends by time, or early by a later 'paused' event whose
-- paused_until is its own time (a resume); the latest pause event decides.
--
-- Order of the reasons: suppressed, objected, unsubscribed, paused, minor,
-- frequency_cap, then the bases.  The revocations the person made come
-- first, most lasting first: an objection or a withdrawal outlives any
-- pause, so a contact who did both is reported by the one that will still
-- hold when the pause is over.  The pause, the person's own choice, comes
-- before the facts about the person (minor) and about the sends
-- (frequency_cap).

ALTER TABLE consent_events ADD COLUMN paused_until timestamptz;
COMMENT ON COLUMN consent_events.paused_until IS
    'For a paused event: the end of the pause of all marketing (the event''s own time for a resume); NULL for every other kind';
-- 0002's unnamed check (kind = 'objected' OR topic_id IS NOT NULL) also
-- lets a pause be for all marketing; a pause is never for one topic.
ALTER TABLE consent_events DROP CONSTRAINT consent_events_check,
    ADD CONSTRAINT consent_events_topic_check
        CHECK (kind IN ('objected', 'paused') OR topic_id IS NOT NULL),
    ADD CONSTRAINT consent_events_pause_check
        CHECK (CASE WHEN kind = 'paused' THEN paused_until IS NOT NULL AND topic_id IS NULL
                    ELSE paused_until IS NULL END);
COMMENT ON CONSTRAINT consent_events_topic_check ON consent_events IS
    'Only an objection and a pause are for all marketing (topic NULL)';
COMMENT ON CONSTRAINT consent_events_pause_check ON consent_events IS
    'A paused event has paused_until and no topic; no other kind has paused_until';
COMMENT ON COLUMN consent_events.topic_id IS
    'For which purpose; NULL only for an objection to all marketing and a pause of all marketing';

-- When a pause of N months from now ends: UTC calendar months, in whole
-- seconds, the resolution of explain's --at and of the time campaign send
-- decides at, so a resume (0 months) is over for any decision taken after it.
CREATE FUNCTION pause_end(p_months integer) RETURNS timestamptz
    LANGUAGE sql STABLE AS $$
    SELECT date_trunc('second', (now() AT TIME ZONE 'UTC' + make_interval(months => p_months))
                                AT TIME ZONE 'UTC')
$$;
COMMENT ON FUNCTION pause_end(integer) IS
    'The end of a pause of p_months months from now (UTC calendar months, whole seconds); 0: now, a resume';

-- The CRM hears of a pause too (same name, so later migrations can replace it alike).
ALTER TABLE webhook_outbox DROP CONSTRAINT webhook_outbox_event_check,
    ADD CONSTRAINT webhook_outbox_event_check
        CHECK (event IN ('confirmed', 'withdrawn', 'objected', 'erased', 'suppressed', 'paused'));
COMMENT ON COLUMN webhook_outbox.event IS
    'confirmed, withdrawn, objected, erased, suppressed or paused (the payload''s paused_until; a resume has it at its own time)';

-- The facts gain the pause, read in the same per-contact pass over the
-- ledger as the objection and the topic event (0015's shape: one LATERAL
-- index read per contact, no new scan).  The result type changes, hence
-- DROP and CREATE; legal_basis and legal_basis_path (below) are its only
-- readers.
DROP FUNCTION legal_basis_facts(bigint, bigint[], timestamptz, boolean);
CREATE FUNCTION legal_basis_facts(p_campaign bigint, p_contacts bigint[], p_at timestamptz,
                                  p_detail boolean DEFAULT true)
    RETURNS TABLE (
        contact_id bigint,
        policy_country text,
        suppressed boolean,
        hash_missing boolean,
        objection_event bigint,
        objected_at timestamptz,
        objected boolean,
        topic_event bigint,
        topic_event_kind text,
        topic_event_at timestamptz,
        unsubscribed boolean,
        pause_event bigint,
        paused_until timestamptz,
        paused boolean,
        birth_date date,
        consent_age integer,
        minor boolean,
        sends_day bigint,
        sends_week bigint,
        sends_month bigint,
        cap_day integer,
        cap_week integer,
        cap_month integer,
        over_cap boolean,
        last_topic_send timestamptz,
        lapse_months integer,
        consent_current boolean,
        consent_lapsed boolean,
        ec_months integer,
        order_id text,
        order_sku text,
        order_at timestamptz,
        order_entity text,
        order_rank integer,
        relation text,
        opt_out_regime boolean
    )
    LANGUAGE plpgsql STABLE
    SET jit = off              -- compiling costs more than it saves here
    SET plan_cache_mode = force_custom_plan  -- a plan for 100 contacts is no plan for 100,000
    SET work_mem = '256MB'     -- the per-contact hashes and the order sort stay in memory
    AS $$
#variable_conflict use_column
DECLARE
    v_topic bigint;
    v_entity bigint;
    v_at_us bigint := (extract(epoch FROM p_at) * 1000000)::bigint;  -- exact (numeric)
BEGIN
    SELECT cm.topic_id, cm.legal_entity_id INTO v_topic, v_entity
      FROM campaigns cm WHERE cm.id = p_campaign;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'campaign % does not exist', p_campaign USING ERRCODE = 'no_data_found';
    END IF;
    RETURN QUERY
    WITH pol AS (              -- each policy with its cut-off times at p_at
        SELECT p.country, p.consent_age, p.existing_customer_months, p.opt_out_regime,
               p.consent_lapse_months, p.frequency_cap_day, p.frequency_cap_week,
               p.frequency_cap_month,
               ((p_at AT TIME ZONE 'UTC')::date - make_interval(years => p.consent_age))::date
                   AS born_after,
               p_at - make_interval(months => p.existing_customer_months) AS ec_since,
               p_at - make_interval(months => p.consent_lapse_months) AS lapse_before
          FROM policy p
    ), base AS (
        SELECT c.id, c.birth_date, c.addr_hmac IS NULL AS hash_missing,
               (c.addr_hmac IS NULL OR sup.addr_hmac IS NOT NULL) AS suppressed,
               pol.country AS pcountry, pol.consent_age, pol.existing_customer_months,
               pol.opt_out_regime AS oor, pol.consent_lapse_months, pol.frequency_cap_day,
               pol.frequency_cap_week, pol.frequency_cap_month, pol.born_after, pol.ec_since,
               pol.lapse_before
          FROM unnest(p_contacts) AS i(id)
          JOIN contacts c ON c.id = i.id
          LEFT JOIN suppression sup ON sup.addr_hmac = c.addr_hmac
          LEFT JOIN policy own ON own.country = c.country::text
          JOIN pol ON pol.country = COALESCE(own.country, '*')
    ), ev AS (                 -- per contact, through its index: the latest objection, topic event and pause
        SELECT b.id AS contact_id, x.obj_id, x.obj_at, x.t, x.p
          FROM base b
          CROSS JOIN LATERAL (
            SELECT max(e.id) FILTER (WHERE e.kind = 'objected') AS obj_id,
                   max(e.occurred_at) FILTER (WHERE e.kind = 'objected') AS obj_at,
                   max(ARRAY[e.id, CASE e.kind WHEN 'confirmed' THEN 1 WHEN 'granted' THEN 2
                                               WHEN 'withdrawn' THEN 3 ELSE 4 END,
                             (extract(epoch FROM e.occurred_at) * 1000000)::bigint])
                       FILTER (WHERE e.kind NOT IN ('objected', 'paused')) AS t,
                   -- the latest pause and its end, in microseconds (exact: extract is numeric)
                   max(ARRAY[e.id, (extract(epoch FROM e.paused_until) * 1000000)::bigint])
                       FILTER (WHERE e.kind = 'paused') AS p
              FROM consent_events e
             WHERE e.contact_id = b.id
               AND (e.kind IN ('objected', 'paused')
                    OR (e.topic_id = v_topic
                        AND e.kind IN ('confirmed', 'granted', 'withdrawn', 'expired')))) x
    ), sends AS (              -- per contact, through send_records_contact (contact_id, occurred_at)
        SELECT b.id AS contact_id, x.day, x.week, x.month
          FROM base b
          CROSS JOIN LATERAL (
            SELECT count(*) FILTER (WHERE s.occurred_at > p_at - interval '1 day') AS day,
                   count(*) FILTER (WHERE s.occurred_at > p_at - interval '7 days') AS week,
                   count(*) AS month
              FROM send_records s
             WHERE s.contact_id = b.id AND s.status = 'sent'
               AND s.occurred_at > p_at - interval '1 month') x
    ), topic_sends AS (
        SELECT b.id AS contact_id,
               (SELECT max(s.occurred_at)
                  FROM send_records s
                  JOIN campaign_runs r ON r.id = s.run_id
                  JOIN campaigns k ON k.id = r.campaign_id
                 WHERE s.contact_id = b.id AND s.status = 'sent' AND k.topic_id = v_topic) AS last
          FROM base b
    ), rel AS (
        SELECT * FROM campaign_related_skus(p_campaign)
    ), ordr AS (               -- every order with the first existing-customer check it fails (0: none)
        SELECT o.contact_id, o.order_id, o.sku, o.ordered_at, o.legal_entity_id, rel.relation,
               rel.prio,
               CASE WHEN rel.sku IS NULL THEN 1
                    WHEN b.existing_customer_months = 0 OR o.ordered_at < b.ec_since THEN 2
                    WHEN o.legal_entity_id <> v_entity THEN 3
                    WHEN NOT o.collected_in_sale THEN 4
                    WHEN NOT o.opt_out_offered THEN 5
                    ELSE 0 END AS rank
          FROM orders o JOIN base b ON b.id = o.contact_id
          LEFT JOIN rel ON rel.sku = o.sku
    ), ord AS (                -- per contact: a qualifying order, else the one that got furthest
        SELECT DISTINCT ON (ordr.contact_id) ordr.*
          FROM ordr
         ORDER BY ordr.contact_id, (ordr.rank + 5) % 6 DESC, COALESCE(ordr.prio, 9),
                  ordr.ordered_at DESC, ordr.order_id
    ), f AS (
        SELECT b.*, ev.obj_id, ev.obj_at, ev.t[1] AS tev_id,
               (ARRAY['confirmed', 'granted', 'withdrawn', 'expired'])[ev.t[2]] AS tev_kind,
               to_timestamp(ev.t[3] / 1000000.0) AS tev_at,
               ev.p[1] AS pev_id, ev.p[2] AS pev_until_us,
               COALESCE(sends.day, 0) AS sday, COALESCE(sends.week, 0) AS sweek,
               COALESCE(sends.month, 0) AS smonth, topic_sends.last AS tlast,
               ord.order_id AS oid, ord.sku AS osku, ord.ordered_at AS oat,
               le.name AS oentity, ord.rank AS orank, ord.relation AS orel
          FROM base b
          LEFT JOIN ev ON ev.contact_id = b.id
          LEFT JOIN sends ON sends.contact_id = b.id
          LEFT JOIN topic_sends ON topic_sends.contact_id = b.id
          LEFT JOIN ord ON ord.contact_id = b.id
          LEFT JOIN legal_entities le ON le.id = ord.legal_entity_id
    ), g AS (
        SELECT f.*,
               -- an objection stops everything but a topic the person confirmed again since
               (f.obj_id IS NOT NULL
                AND NOT COALESCE(f.tev_kind IN ('confirmed', 'granted') AND f.tev_id > f.obj_id,
                                 false)) AS is_objected
          FROM f
    )
    SELECT g.id, g.pcountry, g.suppressed, g.hash_missing,
           g.obj_id, CASE WHEN p_detail THEN g.obj_at END, g.is_objected,
           g.tev_id, g.tev_kind, CASE WHEN p_detail THEN g.tev_at END,
           (NOT g.is_objected AND g.tev_kind IS NOT DISTINCT FROM 'withdrawn'),
           g.pev_id,
           CASE WHEN p_detail THEN 'epoch'::timestamptz + g.pev_until_us * interval '1 microsecond' END,
           COALESCE(g.pev_until_us > v_at_us, false),
           CASE WHEN p_detail THEN g.birth_date END, CASE WHEN p_detail THEN g.consent_age END,
           COALESCE(g.birth_date > g.born_after, false),
           CASE WHEN p_detail THEN g.sday END, CASE WHEN p_detail THEN g.sweek END,
           CASE WHEN p_detail THEN g.smonth END, CASE WHEN p_detail THEN g.frequency_cap_day END,
           CASE WHEN p_detail THEN g.frequency_cap_week END,
           CASE WHEN p_detail THEN g.frequency_cap_month END,
           ((g.frequency_cap_day > 0 AND g.sday >= g.frequency_cap_day)
            OR (g.frequency_cap_week > 0 AND g.sweek >= g.frequency_cap_week)
            OR (g.frequency_cap_month > 0 AND g.smonth >= g.frequency_cap_month)),
           CASE WHEN p_detail THEN g.tlast END, CASE WHEN p_detail THEN g.consent_lapse_months END,
           COALESCE(NOT g.is_objected AND g.tev_kind IN ('confirmed', 'granted'), false),
           COALESCE(g.tev_kind = 'expired'
                    OR (NOT g.is_objected AND g.tev_kind IN ('confirmed', 'granted')
                        AND g.consent_lapse_months > 0
                        AND GREATEST(g.tev_at, g.tlast) < g.lapse_before), false),
           g.existing_customer_months,
           g.oid, CASE WHEN p_detail THEN g.osku END, CASE WHEN p_detail THEN g.oat END,
           CASE WHEN p_detail THEN g.oentity END,
           g.orank, g.orel,
           g.oor
      FROM g;
END
$$;
COMMENT ON FUNCTION legal_basis_facts(bigint, bigint[], timestamptz, boolean) IS
    'Every fact the legal-basis rules read, per contact of the set (distinct ids), for a campaign at a time (one set-based query, reading the ledger and send log per contact); without p_detail only what the decision needs, the descriptive columns NULL';

-- The decision: 'paused' after the opt-outs, before minor.
CREATE OR REPLACE FUNCTION legal_basis(p_campaign bigint, p_contacts bigint[], p_at timestamptz)
    RETURNS TABLE (contact_id bigint, basis text, reason text, consent_event_id bigint,
                   order_id text, relation text)
    LANGUAGE sql STABLE AS $$
    WITH d AS (
        SELECT f.*,
               CASE WHEN f.suppressed THEN 'suppressed'
                    WHEN f.objected THEN 'objected'
                    WHEN f.unsubscribed THEN 'unsubscribed'
                    WHEN f.paused THEN 'paused'
                    WHEN f.minor THEN 'minor'
                    WHEN f.over_cap THEN 'frequency_cap'
               END AS hard,
               f.consent_current AND NOT f.consent_lapsed AS consent_ok
          FROM legal_basis_facts(p_campaign, p_contacts, p_at, false) f
    )
    SELECT d.contact_id,
           CASE WHEN d.hard IS NOT NULL THEN NULL
                WHEN d.consent_ok THEN 'consent'
                WHEN d.order_rank = 0 THEN 'existing_customer'
                WHEN d.opt_out_regime THEN 'opt_out_regime'
           END,
           CASE WHEN d.hard IS NOT NULL THEN d.hard
                WHEN d.consent_ok OR d.order_rank = 0 OR d.opt_out_regime THEN NULL
                WHEN d.consent_lapsed THEN 'consent_expired'
                WHEN d.order_rank > 0 THEN legal_basis_order_reason(d.order_rank)
                ELSE 'no_basis'
           END,
           CASE WHEN d.hard IS NULL AND (d.consent_ok OR d.consent_lapsed)
                     AND d.topic_event_kind IN ('confirmed', 'granted')
                THEN d.topic_event END,
           CASE WHEN d.hard IS NULL AND NOT d.consent_ok THEN d.order_id END,
           CASE WHEN d.hard IS NULL AND NOT d.consent_ok THEN d.relation END
      FROM d
$$;

CREATE OR REPLACE FUNCTION legal_basis_keys() RETURNS TABLE (kind text, key text, ord integer)
    LANGUAGE sql IMMUTABLE AS $$
    VALUES ('basis', 'consent', 1), ('basis', 'existing_customer', 2), ('basis', 'opt_out_regime', 3),
           ('reason', 'suppressed', 4), ('reason', 'objected', 5), ('reason', 'unsubscribed', 6),
           ('reason', 'paused', 7), ('reason', 'minor', 8), ('reason', 'frequency_cap', 9),
           ('reason', 'consent_expired', 10), ('reason', 'unrelated_purchase', 11),
           ('reason', 'purchase_too_old', 12), ('reason', 'different_legal_entity', 13),
           ('reason', 'not_collected_in_sale', 14), ('reason', 'no_opt_out_offered', 15),
           ('reason', 'no_basis', 16)
$$;

-- One contact's path: a step 'paused' after 'unsubscribed' names the pause and its end.
CREATE OR REPLACE FUNCTION legal_basis_path(p_campaign bigint, p_contact bigint, p_at timestamptz)
    RETURNS TABLE (step integer, rule text, result text, detail text)
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    f record;
    d record;
    v_topic text;
    v_entity text;
    v_promotes text;
    n integer := 0;
BEGIN
    SELECT * INTO f FROM legal_basis_facts(p_campaign, ARRAY[p_contact], p_at);
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO d FROM legal_basis(p_campaign, ARRAY[p_contact], p_at);
    SELECT t.name, le.name,
           NULLIF(concat_ws(', ',
               CASE WHEN cardinality(cm.promotes_skus) > 0
                    THEN 'skus ' || array_to_string(cm.promotes_skus, ' ') END,
               CASE WHEN cardinality(cm.promotes_categories) > 0
                    THEN 'categories ' || array_to_string(cm.promotes_categories, ' ') END), '')
      INTO v_topic, v_entity, v_promotes
      FROM campaigns cm JOIN topics t ON t.id = cm.topic_id
      JOIN legal_entities le ON le.id = cm.legal_entity_id WHERE cm.id = p_campaign;

    n := n + 1; step := n; rule := 'suppressed';
    IF f.hash_missing THEN
        result := 'fail'; detail := 'no keyed hash stored for this contact yet; run mailout maintenance';
    ELSIF f.suppressed THEN
        result := 'fail'; detail := 'the address is on the suppression list';
    ELSE
        result := 'pass'; detail := 'not on the suppression list';
    END IF;
    RETURN NEXT;
    IF f.suppressed THEN RETURN; END IF;

    n := n + 1; step := n; rule := 'objected';
    IF f.objected THEN
        result := 'fail';
        detail := format('objected to all marketing on %s (consent event %s)', iso_utc(f.objected_at),
                         f.objection_event);
    ELSE
        result := 'pass';
        detail := CASE WHEN f.objection_event IS NULL THEN 'no objection to marketing'
                       ELSE format('objection of %s lifted for %s by a later confirmation',
                                   iso_utc(f.objected_at), v_topic) END;
    END IF;
    RETURN NEXT;
    IF f.objected THEN RETURN; END IF;

    n := n + 1; step := n; rule := 'unsubscribed';
    IF f.unsubscribed THEN
        result := 'fail';
        detail := format('withdrew topic %s on %s (consent event %s)', v_topic,
                         iso_utc(f.topic_event_at), f.topic_event);
    ELSE
        result := 'pass'; detail := format('no withdrawal of topic %s', v_topic);
    END IF;
    RETURN NEXT;
    IF f.unsubscribed THEN RETURN; END IF;

    n := n + 1; step := n; rule := 'paused';
    IF f.paused THEN
        result := 'fail';
        detail := format('all marketing paused until %s (consent event %s)', iso_utc(f.paused_until),
                         f.pause_event);
    ELSE
        result := 'pass';
        detail := CASE WHEN f.pause_event IS NULL THEN 'no pause of marketing'
                       ELSE format('the pause ended on %s (consent event %s)', iso_utc(f.paused_until),
                                   f.pause_event) END;
    END IF;
    RETURN NEXT;
    IF f.paused THEN RETURN; END IF;

    n := n + 1; step := n; rule := 'minor';
    IF f.birth_date IS NULL THEN
        result := 'pass';
        detail := format('no birth date known; consent age %s (policy %s)', f.consent_age, f.policy_country);
    ELSE
        result := CASE WHEN f.minor THEN 'fail' ELSE 'pass' END;
        detail := format('born %s, %s years old on %s; consent age %s (policy %s)', f.birth_date,
                         extract(year FROM age((p_at AT TIME ZONE 'UTC')::date, f.birth_date)),
                         to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), f.consent_age, f.policy_country);
    END IF;
    RETURN NEXT;
    IF f.minor THEN RETURN; END IF;

    n := n + 1; step := n; rule := 'frequency_cap';
    result := CASE WHEN f.over_cap THEN 'fail' ELSE 'pass' END;
    IF f.cap_day = 0 AND f.cap_week = 0 AND f.cap_month = 0 THEN
        detail := format('no frequency cap (policy %s)', f.policy_country);
    ELSE
        detail := format('%s sent in 24 hours, %s in 7 days, %s in a month; caps %s, %s, %s (0: none; policy %s)',
                         f.sends_day, f.sends_week, f.sends_month, f.cap_day, f.cap_week, f.cap_month,
                         f.policy_country);
    END IF;
    RETURN NEXT;
    IF f.over_cap THEN RETURN; END IF;

    n := n + 1; step := n; rule := 'consent';
    IF f.consent_current AND NOT f.consent_lapsed THEN
        result := 'pass';
        detail := format('%s consent to %s on %s (consent event %s)', f.topic_event_kind, v_topic,
                         iso_utc(f.topic_event_at), f.topic_event);
        RETURN NEXT;
        RETURN;
    END IF;
    result := 'fail';
    IF f.consent_lapsed AND f.topic_event_kind = 'expired' THEN
        detail := format('consent to %s expired on %s (consent event %s)', v_topic,
                         iso_utc(f.topic_event_at), f.topic_event);
    ELSIF f.consent_lapsed THEN
        detail := format('consent to %s of %s (consent event %s) lapsed: no marketing send since %s for %s months (policy %s)',
                         v_topic, iso_utc(f.topic_event_at), f.topic_event,
                         iso_utc(GREATEST(f.topic_event_at, f.last_topic_send)), f.lapse_months,
                         f.policy_country);
    ELSE
        detail := format('no current consent to %s', v_topic);
    END IF;
    RETURN NEXT;

    n := n + 1; step := n; rule := 'existing_customer';
    IF f.order_rank IS NULL THEN
        result := 'fail'; detail := 'no purchase on record';
    ELSE
        result := CASE WHEN f.order_rank = 0 THEN 'pass' ELSE 'fail' END;
        detail := format('order %s (sku %s, %s, sold by %s): ', f.order_id, f.order_sku,
                         iso_utc(f.order_at), f.order_entity)
            || CASE f.order_rank
                 WHEN 0 THEN format('%s; within %s months, seller %s, address collected in the sale, opt-out offered',
                                    f.relation, f.ec_months, v_entity)
                 WHEN 1 THEN format('not related to what the campaign promotes (%s)',
                                    COALESCE(v_promotes, 'nothing'))
                 WHEN 2 THEN CASE WHEN f.ec_months = 0
                                  THEN format('policy %s has no existing-customer exception', f.policy_country)
                                  ELSE format('%s, but older than %s months (policy %s)', f.relation,
                                              f.ec_months, f.policy_country) END
                 WHEN 3 THEN format('%s, but the campaign is sent by %s', f.relation, v_entity)
                 WHEN 4 THEN format('%s, but the address was not collected in the sale', f.relation)
                 ELSE format('%s, but no opt-out was offered at collection', f.relation)
               END;
    END IF;
    RETURN NEXT;
    IF f.order_rank = 0 THEN RETURN; END IF;

    n := n + 1; step := n; rule := 'opt_out_regime';
    result := CASE WHEN f.opt_out_regime THEN 'pass' ELSE 'fail' END;
    detail := format('policy %s %s the opt-out regime', f.policy_country,
                     CASE WHEN f.opt_out_regime THEN 'allows' ELSE 'does not allow' END);
    RETURN NEXT;
    IF f.opt_out_regime THEN RETURN; END IF;

    n := n + 1; step := n; rule := d.reason; result := 'fail';
    detail := CASE d.reason
                WHEN 'consent_expired' THEN 'the consent lapsed and no other basis holds'
                WHEN 'no_basis' THEN 'no consent, no qualifying purchase, no opt-out regime'
                ELSE 'the closest purchase failed this check' END;
    RETURN NEXT;
END
$$;
