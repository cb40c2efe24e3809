-- 0007_consent_functions.sql: helpers the consent code shares, so every
-- writer applies the same rules.

CREATE FUNCTION iso_utc(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
$$;
COMMENT ON FUNCTION iso_utc(timestamptz) IS 'ISO 8601 UTC text of a timestamp, as mailout prints it';

CREATE FUNCTION consent_age_for(p_country text) RETURNS integer LANGUAGE sql STABLE AS $$
    SELECT consent_age FROM policy
     WHERE country = COALESCE(p_country, '*') OR country = '*'
     ORDER BY (country = '*') LIMIT 1
$$;
COMMENT ON FUNCTION consent_age_for(text) IS 'Consent age (GDPR Art. 8) for a country; unknown countries get the * default';

CREATE FUNCTION contact_is_minor(p_birth date, p_country text, p_at timestamptz)
    RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT p_birth IS NOT NULL
       AND p_birth > ((p_at AT TIME ZONE 'UTC')::date
                      - make_interval(years => consent_age_for(p_country)))::date
$$;
COMMENT ON FUNCTION contact_is_minor(date, text, timestamptz) IS
    'True when a person born on p_birth is under the consent age of p_country at p_at';

-- The latest decisive event for a topic (a confirmation, a grant, a
-- withdrawal or expiry of that topic, or an objection to all marketing)
-- decides: after an opt-out only the person's own new confirmation may
-- grant consent again; imports and admins may not (R-DOI-6).
CREATE FUNCTION consent_blocked(p_contact bigint, p_topic bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT COALESCE((
        SELECT kind IN ('withdrawn', 'objected', 'expired')
          FROM consent_events
         WHERE contact_id = p_contact
           AND ((topic_id = p_topic AND kind IN ('confirmed', 'granted', 'withdrawn', 'expired'))
                OR kind = 'objected')
         ORDER BY id DESC LIMIT 1), false)
$$;
COMMENT ON FUNCTION consent_blocked(bigint, bigint) IS
    'True when the contact opted out of the topic (or objected to all marketing) after its last confirmation';

GRANT DELETE ON suppression TO mailout_app;
