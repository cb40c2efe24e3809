-- 0031_sensitive.sql: special categories of data (GDPR Art. 9) and
-- children's data (Art. 8) - issue 13, h-sensitive.
--
-- A consent text may be explicit for sensitive attributes (consent-text add
-- --explicit): the wording names them, so consent given under it is the
-- explicit consent of Art. 9(2)(a) for those attributes.  Segments and
-- templates use a sensitive attribute of a contact only when the contact's
-- current consent for the campaign's topic was given under such a text.

ALTER TABLE consent_texts ADD COLUMN explicit_attributes text[] NOT NULL DEFAULT '{}';
COMMENT ON COLUMN consent_texts.explicit_attributes IS
    'Sensitive attributes (contact_attributes NAME:sensitive) this text asks explicit consent for (GDPR Art. 9(2)(a)); the body names each';

-- The sensitive attributes the contact's current consent for the topic
-- covers: those of the text of the latest confirmation or grant, when the
-- consent is current; '{}' otherwise.
CREATE FUNCTION consent_explicit_attrs(p_contact bigint, p_topic bigint) RETURNS text[]
    LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN consent_is_current(p_contact, p_topic) THEN
        COALESCE((SELECT ct.explicit_attributes
                    FROM consent_events e JOIN consent_texts ct ON ct.id = e.consent_text_id
                   WHERE e.contact_id = p_contact AND e.topic_id = p_topic
                     AND e.kind IN ('confirmed', 'granted')
                   ORDER BY e.id DESC LIMIT 1), '{}')
    ELSE '{}'::text[] END
$$;
COMMENT ON FUNCTION consent_explicit_attrs(bigint, bigint) IS
    'Sensitive attributes covered by the consent text under which the contact''s current consent to the topic was given';

-- True when a segment may use the contact's sensitive attribute p_attr for
-- topic p_topic; p_topic NULL (segment count, outside a campaign): for any
-- topic.
CREATE FUNCTION sensitive_allowed(p_contact bigint, p_topic bigint, p_attr text) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM topics t
                    WHERE (p_topic IS NULL OR t.id = p_topic)
                      AND p_attr = ANY (consent_explicit_attrs(p_contact, t.id)))
$$;
COMMENT ON FUNCTION sensitive_allowed(bigint, bigint, text) IS
    'True when the contact consented to the topic (any topic when NULL) under a text explicit for the sensitive attribute (Art. 9(2)(a))';

-- The newest current consent text (the latest version of its locale) of the
-- topic that is explicit for p_attr, or NULL.
CREATE FUNCTION topic_explicit_text(p_topic bigint, p_attr text) RETURNS bigint
    LANGUAGE sql STABLE AS $$
    SELECT ct.id FROM consent_texts ct
     WHERE ct.topic_id = p_topic AND p_attr = ANY (ct.explicit_attributes)
       AND ct.version = (SELECT max(v.version) FROM consent_texts v
                          WHERE v.topic_id = ct.topic_id AND v.locale = ct.locale)
     ORDER BY ct.id DESC LIMIT 1
$$;
COMMENT ON FUNCTION topic_explicit_text(bigint, text) IS
    'The newest current consent text of the topic that is explicit for the sensitive attribute, or NULL';

GRANT EXECUTE ON FUNCTION consent_explicit_attrs(bigint, bigint), sensitive_allowed(bigint, bigint, text),
    topic_explicit_text(bigint, text) TO mailout_app;
