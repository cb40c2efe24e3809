-- 0010_policy_keys.sql: the rest of the jurisdiction policy as data
-- (RULES.md section 9 and 10): consent lapse, frequency caps, the
-- advertisement label of the opt-out regime and room for the UK charity
-- soft opt-in; the EU/EEA countries without a national row get one.

ALTER TABLE policy
    ADD COLUMN consent_lapse_months integer NOT NULL DEFAULT 24
        CHECK (consent_lapse_months BETWEEN 0 AND 120),
    ADD COLUMN frequency_cap_day integer NOT NULL DEFAULT 0 CHECK (frequency_cap_day >= 0),
    ADD COLUMN frequency_cap_week integer NOT NULL DEFAULT 0 CHECK (frequency_cap_week >= 0),
    ADD COLUMN frequency_cap_month integer NOT NULL DEFAULT 0 CHECK (frequency_cap_month >= 0),
    ADD COLUMN opt_out_label text NOT NULL DEFAULT 'Advertisement'
        CHECK (length(opt_out_label) BETWEEN 1 AND 200),
    ADD COLUMN charity_soft_opt_in boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN policy.consent_lapse_months IS 'A consent with no marketing send for this many months lapses (consent_expired); 0: never';
COMMENT ON COLUMN policy.frequency_cap_day IS 'At most this many marketing messages per contact in 24 hours (0: no cap)';
COMMENT ON COLUMN policy.frequency_cap_week IS 'At most this many marketing messages per contact in 7 days (0: no cap)';
COMMENT ON COLUMN policy.frequency_cap_month IS 'At most this many marketing messages per contact in a month (0: no cap)';
COMMENT ON COLUMN policy.opt_out_label IS 'The advertisement notice of messages sent under the opt-out regime (CAN-SPAM 7704(a)(5)(A)(i))';
COMMENT ON COLUMN policy.charity_soft_opt_in IS 'UK charity soft opt-in (PECR reg. 22(3A), in force 5 Feb 2026); not yet used by the engine, stays off';

UPDATE policy SET note = 'CASL s.10(10): purchase 2 years, inquiry 6 months; express consent until withdrawn'
 WHERE country = 'CA';

INSERT INTO policy (country, consent_age, existing_customer_months, inquiry_months, opt_out_regime, note)
SELECT c, 16, 24, 0, false, 'EU/EEA default: GDPR Art. 8 age 16 until a national age is confirmed'
  FROM unnest(ARRAY['BG','CY','EE','ES','GR','HR','HU','IS','LI','LT','LU','LV','MT','NL',
                    'NO','PL','PT','RO','SE','SI','SK']) AS c
 WHERE NOT EXISTS (SELECT 1 FROM policy WHERE country = c);

GRANT INSERT, UPDATE ON policy TO mailout_app;

-- The latest decisive event for a topic: a confirmation, grant, withdrawal
-- or expiry of the topic, or an objection to all marketing (NULL: none).
-- "Current consent" (segments: subscribed() and the tracking gate of
-- viewed() and downloaded()) and "blocked" (imports and admins may not
-- grant after an opt-out, R-DOI-6) are both read from it.
CREATE FUNCTION consent_latest_decisive(p_contact bigint, p_topic bigint) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT kind::text
      FROM consent_events
     WHERE contact_id = p_contact
       AND ((topic_id = p_topic AND kind IN ('confirmed', 'granted', 'withdrawn', 'expired'))
            OR kind = 'objected')
     ORDER BY id DESC LIMIT 1
$$;
COMMENT ON FUNCTION consent_latest_decisive(bigint, bigint) IS
    'The kind of the latest event that decides the contact''s consent to the topic (an objection counts for every topic), or NULL';

CREATE FUNCTION consent_is_current(p_contact bigint, p_topic bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT COALESCE(consent_latest_decisive(p_contact, p_topic) IN ('confirmed', 'granted'), false)
$$;
COMMENT ON FUNCTION consent_is_current(bigint, bigint) IS
    'True when the contact has a confirmed or granted consent to the topic not withdrawn, expired or objected to since';

CREATE OR REPLACE FUNCTION consent_blocked(p_contact bigint, p_topic bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT COALESCE(consent_latest_decisive(p_contact, p_topic) IN ('withdrawn', 'objected', 'expired'),
                    false)
$$;
