-- 0015_engine_per_contact.sql: the legal-basis facts read the ledger and
-- the send log per contact, through their (contact_id, ...) indexes.
--
-- 0012 joined the whole of consent_events and send_records to the contact
-- set and let the planner choose.  For the small sets dispatch re-checks at
-- claim (about 100 contacts) it often chose to scan every send record: a
-- cost that grows with every message ever sent (measured: 40,000 records,
-- 23 ms a batch of 100, most of it that scan).  Per-contact index lookups
-- cost the same whatever the log's size.  Same columns, same decisions.
-- Each call is planned for its own contact set: after five calls PL/pgSQL
-- may switch to a generic plan, and the generic plan of a worker's batches
-- of 100 ran for minutes on a set of 10,000.

CREATE OR REPLACE FUNCTION legal_basis_facts(p_campaign bigint, p_contacts bigint[], p_at timestamptz,
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
    ), ev AS (                 -- per contact, through its index: the latest objection, the latest topic event
        SELECT b.id AS contact_id, x.obj_id, x.obj_at, x.t
          FROM base b
          CROSS JOIN LATERAL (
            SELECT max(e.id) FILTER (WHERE e.kind = 'objected') AS obj_id,
                   max(e.occurred_at) FILTER (WHERE e.kind = 'objected') AS obj_at,
                   max(ARRAY[e.id, CASE e.kind WHEN 'confirmed' THEN 1 WHEN 'granted' THEN 2
                                               WHEN 'withdrawn' THEN 3 ELSE 4 END,
                             (extract(epoch FROM e.occurred_at) * 1000000)::bigint])
                       FILTER (WHERE e.kind <> 'objected') AS t
              FROM consent_events e
             WHERE e.contact_id = b.id
               AND (e.kind = 'objected'
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
