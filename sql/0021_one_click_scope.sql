-- 0021_one_click_scope.sql: how far an RFC 8058 one-click unsubscribe
-- reaches, per jurisdiction (RULES.md 10.1): by default it withdraws the
-- message's topic; 'all' makes it an objection to all marketing (GDPR
-- Art. 21) for operators who want the strictest reading.

ALTER TABLE policy
    ADD COLUMN one_click_scope text NOT NULL DEFAULT 'topic'
        CHECK (one_click_scope IN ('topic', 'all'));
COMMENT ON COLUMN policy.one_click_scope IS
    'What a one-click unsubscribe (RFC 8058 POST) withdraws: topic (the message''s topic, the default) or all (an objection to all marketing); the page always offers both';
