-- 0006_grants.sql: what the application role may do.  History tables
-- (consent_events, send_records, audit_log) get SELECT and INSERT only.

GRANT SELECT, INSERT ON consent_events, send_records, audit_log TO mailout_app;
GRANT SELECT, INSERT ON consent_texts, suppression TO mailout_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    contacts, topics, doi_requests, doi_request_topics, rate_events,
    legal_entities, categories, products, product_relations, category_relations,
    orders, web_activity, templates, segments, campaigns, schedules, campaign_runs,
    send_queue, unsubscribe_tokens, webhook_outbox
    TO mailout_app;
GRANT SELECT ON policy, mailout_migrations, consent_current, contact_objections, unsubscribes
    TO mailout_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO mailout_app;
