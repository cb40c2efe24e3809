-- 0011_activity_tracking.sql: web activity lives only as long as a
-- tracking consent does (ePrivacy Art. 5(3), RULES.md R-EP-6), and no
-- longer than activity_retention (R-GDPR-16).

CREATE FUNCTION web_activity_forget() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind = 'objected'
       OR (NEW.kind IN ('withdrawn', 'expired')
           AND NEW.topic_id = (SELECT id FROM topics WHERE name = 'tracking' AND reserved)) THEN
        DELETE FROM web_activity WHERE contact_id = NEW.contact_id;
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION web_activity_forget() IS
    'Trigger function: deletes a contact''s web activity when its tracking consent ends (withdrawn or expired tracking consent, or an objection to all marketing)';

CREATE TRIGGER consent_events_forget_activity
    AFTER INSERT ON consent_events
    FOR EACH ROW WHEN (NEW.kind IN ('withdrawn', 'expired', 'objected'))
    EXECUTE FUNCTION web_activity_forget();
COMMENT ON TRIGGER consent_events_forget_activity ON consent_events IS
    'A tracking consent that ends takes the contact''s stored web activity with it, in the same transaction';

CREATE INDEX web_activity_at ON web_activity (at);
COMMENT ON INDEX web_activity_at IS 'For the retention purge of mailout maintenance (activity_retention)';
