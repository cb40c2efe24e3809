-- 0012_legal_basis.sql: the legal-basis engine (DESIGN.md "Legal-basis
-- engine", "One definition").  One set-based query gathers, per contact
-- of a campaign, every fact a rule needs (legal_basis_facts); the decision
-- (legal_basis) and the per-contact path of explain (legal_basis_path) both
-- read those facts, so explain, building a run and the re-check at claim
-- decide alike.  Also the per-run record of every decision.

-- The order of DESIGN.md: hard exclusions first, then the bases, then the
-- reason that failed last.  Ranks of the existing-customer failures, in the
-- order their checks run on one order.
CREATE FUNCTION legal_basis_order_reason(p_rank integer) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT (ARRAY['unrelated_purchase', 'purchase_too_old', 'different_legal_entity',
                  'not_collected_in_sale', 'no_opt_out_offered'])[p_rank]
$$;
COMMENT ON FUNCTION legal_basis_order_reason(integer) IS
    'The exclusion reason of an order that failed the existing-customer check at rank 1..5';

-- Every sku a campaign's promotion covers, with the closest relation:
-- 1 the same sku, 2 in a promoted category (or below it), 3 an explicit
-- product relation to a promoted sku, 4 in a category explicitly related to
-- a category that covers a promoted sku or category.  Never "anything we
-- sell": a campaign that promotes nothing covers nothing.
CREATE FUNCTION campaign_related_skus(p_campaign bigint)
    RETURNS TABLE (sku text, relation text, prio integer)
    LANGUAGE sql STABLE AS $$
    WITH cm AS (
        SELECT promotes_skus, promotes_categories FROM campaigns WHERE id = p_campaign
    ), prod AS (
        SELECT p.sku, k.path FROM products p JOIN categories k ON k.id = p.category_id
    ), promoted_paths AS (      -- categories the promotion touches: promoted ones, and those of promoted skus
        SELECT unnest(cm.promotes_categories) AS path FROM cm
        UNION
        SELECT prod.path FROM prod, cm WHERE prod.sku = ANY (cm.promotes_skus)
    ), crel AS (               -- category relations, both directions, by path
        SELECT a.path AS near, b.path AS far FROM category_relations r
          JOIN categories a ON a.id = r.category_a JOIN categories b ON b.id = r.category_b
        UNION ALL
        SELECT b.path, a.path FROM category_relations r
          JOIN categories a ON a.id = r.category_a JOIN categories b ON b.id = r.category_b
    ), cand AS (
        SELECT prod.sku, 'same sku' AS relation, 1 AS prio
          FROM prod, cm WHERE prod.sku = ANY (cm.promotes_skus)
        UNION ALL
        SELECT prod.sku, 'category ' || pc, 2
          FROM prod, cm, unnest(cm.promotes_categories) AS pc
         WHERE prod.path = pc OR starts_with(prod.path, pc || '/')
        UNION ALL
        SELECT CASE WHEN r.sku_a = s THEN r.sku_b ELSE r.sku_a END, 'related sku ' || s, 3
          FROM product_relations r, cm, unnest(cm.promotes_skus) AS s
         WHERE s IN (r.sku_a, r.sku_b)
        UNION ALL
        SELECT prod.sku, 'related category ' || crel.far, 4
          FROM crel JOIN prod ON prod.path = crel.near OR starts_with(prod.path, crel.near || '/')
         WHERE EXISTS (SELECT 1 FROM promoted_paths pp
                        WHERE pp.path = crel.far OR starts_with(pp.path, crel.far || '/'))
    )
    SELECT DISTINCT ON (cand.sku) cand.sku, cand.relation, cand.prio
      FROM cand ORDER BY cand.sku, cand.prio, cand.relation
$$;
COMMENT ON FUNCTION campaign_related_skus(bigint) IS
    'Skus a campaign''s promotion covers, each with its closest relation (same sku, category, related sku, related category)';

-- The facts of every rule for a set of contacts, at a given time.  The time
-- moves the clock of the windows (consent age, purchase window, lapse,
-- frequency caps); every event recorded so far counts whatever its time, so
-- deciding "as of" an earlier time never undoes an opt-out.
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
    ), ev AS (                 -- one pass over the ledger: the latest objection, the latest topic event
        SELECT e.contact_id,
               max(e.id) FILTER (WHERE e.kind = 'objected') AS obj_id,
               max(e.occurred_at) FILTER (WHERE e.kind = 'objected') AS obj_at,
               max(ARRAY[e.id, CASE e.kind WHEN 'confirmed' THEN 1 WHEN 'granted' THEN 2
                                           WHEN 'withdrawn' THEN 3 ELSE 4 END,
                         (extract(epoch FROM e.occurred_at) * 1000000)::bigint])
                   FILTER (WHERE e.kind <> 'objected') AS t
          FROM consent_events e JOIN base ON base.id = e.contact_id
         WHERE e.kind = 'objected'
            OR (e.topic_id = v_topic AND e.kind IN ('confirmed', 'granted', 'withdrawn', 'expired'))
         GROUP BY e.contact_id
    ), sends AS (
        SELECT s.contact_id,
               count(*) FILTER (WHERE s.occurred_at > p_at - interval '1 day') AS day,
               count(*) FILTER (WHERE s.occurred_at > p_at - interval '7 days') AS week,
               count(*) AS month
          FROM send_records s JOIN base ON base.id = s.contact_id
         WHERE s.status = 'sent' AND s.occurred_at > p_at - interval '1 month'
         GROUP BY s.contact_id
    ), topic_sends AS (
        SELECT s.contact_id, max(s.occurred_at) AS last
          FROM send_records s JOIN base ON base.id = s.contact_id
          JOIN campaign_runs r ON r.id = s.run_id
          JOIN campaigns k ON k.id = r.campaign_id
         WHERE s.status = 'sent' AND k.topic_id = v_topic
         GROUP BY s.contact_id
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
    'Every fact the legal-basis rules read, per contact of the set (distinct ids), for a campaign at a time (one set-based query); without p_detail only what the decision needs, the descriptive columns NULL';

-- The decision: exactly one basis or the first failing reason, with its evidence.
CREATE FUNCTION legal_basis(p_campaign bigint, p_contacts bigint[], p_at timestamptz)
    RETURNS TABLE (contact_id bigint, basis text, reason text, consent_event_id bigint,
                   order_id text, relation text)
    LANGUAGE sql STABLE AS $$
    WITH d AS (
        SELECT f.*,
               CASE WHEN f.suppressed THEN 'suppressed'
                    WHEN f.objected THEN 'objected'
                    WHEN f.unsubscribed THEN 'unsubscribed'
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
COMMENT ON FUNCTION legal_basis(bigint, bigint[], timestamptz) IS
    'Per contact of the set (distinct ids): exactly one basis (consent, existing_customer, opt_out_regime) or the first failing reason, with evidence';

-- Every reason and basis, in the order of DESIGN.md, for reports that list all.
CREATE FUNCTION legal_basis_keys() RETURNS TABLE (kind text, key text, ord integer)
    LANGUAGE sql IMMUTABLE AS $$
    VALUES ('basis', 'consent', 1), ('basis', 'existing_customer', 2), ('basis', 'opt_out_regime', 3),
           ('reason', 'suppressed', 4), ('reason', 'objected', 5), ('reason', 'unsubscribed', 6),
           ('reason', 'minor', 7), ('reason', 'frequency_cap', 8), ('reason', 'consent_expired', 9),
           ('reason', 'unrelated_purchase', 10), ('reason', 'purchase_too_old', 11),
           ('reason', 'different_legal_entity', 12), ('reason', 'not_collected_in_sale', 13),
           ('reason', 'no_opt_out_offered', 14), ('reason', 'no_basis', 15)
$$;
COMMENT ON FUNCTION legal_basis_keys() IS 'Every basis and exclusion reason of the engine, in the order of its checks';

-- One contact's decision path, rule by rule, from the same facts.
CREATE FUNCTION legal_basis_path(p_campaign bigint, p_contact bigint, p_at timestamptz)
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
COMMENT ON FUNCTION legal_basis_path(bigint, bigint, timestamptz) IS
    'One contact''s decision path for a campaign at a time: each rule checked, pass or fail, with its detail';

-- No foreign keys: a run writes a million rows at once, written only by
-- campaign send from the run it just created and contacts the engine read;
-- the checks would double the time to build a run.
CREATE TABLE campaign_run_decisions (
    run_id           bigint NOT NULL,
    contact_id       bigint NOT NULL,
    basis            text CHECK (basis IN ('consent', 'existing_customer', 'opt_out_regime')),
    reason           text,
    consent_event_id bigint,
    order_id         text,
    relation         text,
    PRIMARY KEY (run_id, contact_id),
    CHECK ((basis IS NULL) <> (reason IS NULL))
);
COMMENT ON TABLE campaign_run_decisions IS 'What the legal-basis engine decided for every contact of the segment when a run was built (explain --since-last-run compares with it)';
COMMENT ON COLUMN campaign_run_decisions.run_id IS 'The run (campaign_runs.id)';
COMMENT ON COLUMN campaign_run_decisions.contact_id IS 'The contact considered (contacts.id)';
COMMENT ON COLUMN campaign_run_decisions.basis IS 'The basis found, or NULL when excluded';
COMMENT ON COLUMN campaign_run_decisions.reason IS 'The exclusion reason, or NULL when a basis was found';
COMMENT ON COLUMN campaign_run_decisions.consent_event_id IS 'Evidence: the consent event relied on';
COMMENT ON COLUMN campaign_run_decisions.order_id IS 'Evidence: the order number relied on (or the closest one that failed)';
COMMENT ON COLUMN campaign_run_decisions.relation IS 'Evidence: how that order relates to the promotion';

ALTER TABLE send_queue ADD COLUMN consent_event_id bigint, ADD COLUMN order_id text,
    ADD COLUMN relation text;
COMMENT ON COLUMN send_queue.consent_event_id IS 'Evidence found when the run was built: the consent event';
COMMENT ON COLUMN send_queue.order_id IS 'Evidence found when the run was built: the order number';
COMMENT ON COLUMN send_queue.relation IS 'Evidence found when the run was built: the order''s relation to the promotion';

CREATE INDEX campaign_runs_campaign ON campaign_runs (campaign_id, id);

GRANT SELECT, INSERT, DELETE ON campaign_run_decisions TO mailout_app;
