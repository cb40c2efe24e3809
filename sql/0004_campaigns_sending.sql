-- 0004_campaigns_sending.sql: templates, segments, campaigns, schedules,
-- runs, the send queue, send records (append-only) and unsubscribe tokens.

CREATE TABLE templates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    kind        text NOT NULL DEFAULT 'marketing' CHECK (kind IN ('marketing', 'confirmation')),
    locale      text NOT NULL DEFAULT 'en',
    subject     text NOT NULL,
    text_body   text NOT NULL,
    html_body   text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE templates IS 'Logic-less message templates; marketing ones must carry the unsubscribe link and postal address';
COMMENT ON COLUMN templates.id IS 'Surrogate key';
COMMENT ON COLUMN templates.name IS 'Name used by campaign create';
COMMENT ON COLUMN templates.kind IS 'marketing or confirmation (no advertising allowed)';
COMMENT ON COLUMN templates.locale IS 'Language of the template';
COMMENT ON COLUMN templates.subject IS 'Subject line template';
COMMENT ON COLUMN templates.text_body IS 'Plain-text body template';
COMMENT ON COLUMN templates.html_body IS 'Optional HTML body template';
COMMENT ON COLUMN templates.created_at IS 'When added';

CREATE TABLE segments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    expr        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE segments IS 'Named recipient conditions; they choose whom to consider, the legal-basis engine decides who may be mailed';
COMMENT ON COLUMN segments.id IS 'Surrogate key';
COMMENT ON COLUMN segments.name IS 'Name used by campaign create';
COMMENT ON COLUMN segments.expr IS 'The segment expression as written';
COMMENT ON COLUMN segments.created_at IS 'When created';

CREATE TABLE campaigns (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE,
    topic_id        bigint NOT NULL REFERENCES topics (id),
    template_id     bigint NOT NULL REFERENCES templates (id),
    segment_id      bigint NOT NULL REFERENCES segments (id),
    legal_entity_id bigint NOT NULL REFERENCES legal_entities (id),
    promotes_skus   text[] NOT NULL DEFAULT '{}',
    promotes_categories text[] NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE campaigns IS 'What to send, to whom, about what, on whose behalf';
COMMENT ON COLUMN campaigns.id IS 'Surrogate key';
COMMENT ON COLUMN campaigns.name IS 'Name used on the command line';
COMMENT ON COLUMN campaigns.topic_id IS 'The topic recipients must have consented to';
COMMENT ON COLUMN campaigns.template_id IS 'The message template';
COMMENT ON COLUMN campaigns.segment_id IS 'The recipients considered';
COMMENT ON COLUMN campaigns.legal_entity_id IS 'The sender''s legal entity (for the existing-customer exception and the footer)';
COMMENT ON COLUMN campaigns.promotes_skus IS 'Products the campaign promotes';
COMMENT ON COLUMN campaigns.promotes_categories IS 'Categories the campaign promotes';
COMMENT ON COLUMN campaigns.created_at IS 'When created';

CREATE TABLE schedules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    kind        text NOT NULL CHECK (kind IN ('at', 'rrule', 'ics')),
    dtstart     timestamptz NOT NULL,
    tzid        text NOT NULL DEFAULT 'UTC',
    rrule       text,
    ics         text,
    next_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schedules IS 'When campaigns run (one time, or an iCalendar recurrence)';
COMMENT ON COLUMN schedules.id IS 'Surrogate key';
COMMENT ON COLUMN schedules.campaign_id IS 'The campaign';
COMMENT ON COLUMN schedules.kind IS 'at, rrule or ics';
COMMENT ON COLUMN schedules.dtstart IS 'First occurrence (UTC)';
COMMENT ON COLUMN schedules.tzid IS 'IANA zone the local times are read in';
COMMENT ON COLUMN schedules.rrule IS 'RFC 5545 recurrence rule';
COMMENT ON COLUMN schedules.ics IS 'The imported iCalendar text';
COMMENT ON COLUMN schedules.next_at IS 'Next occurrence not yet run; NULL when finished';
COMMENT ON COLUMN schedules.created_at IS 'When scheduled';

CREATE TABLE campaign_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    campaign_id bigint NOT NULL REFERENCES campaigns (id),
    state       text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'sending', 'paused', 'done', 'cancelled')),
    scheduled_for timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
COMMENT ON TABLE campaign_runs IS 'One sending of a campaign';
COMMENT ON COLUMN campaign_runs.id IS 'Run id';
COMMENT ON COLUMN campaign_runs.campaign_id IS 'The campaign';
COMMENT ON COLUMN campaign_runs.state IS 'queued, sending, paused, done or cancelled';
COMMENT ON COLUMN campaign_runs.scheduled_for IS 'The schedule occurrence this run is for, if any';
COMMENT ON COLUMN campaign_runs.created_at IS 'When the run was built';
COMMENT ON COLUMN campaign_runs.finished_at IS 'When the last message was settled';

CREATE TABLE send_queue (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      bigint NOT NULL REFERENCES campaign_runs (id),
    contact_id  bigint NOT NULL REFERENCES contacts (id),
    state       text NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'uncertain', 'excluded', 'cancelled')),
    basis       text NOT NULL,
    due_at      timestamptz NOT NULL DEFAULT now(),
    worker      text,
    lease_until timestamptz,
    attempts    integer NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, contact_id)
);
CREATE INDEX send_queue_due ON send_queue (due_at, id) WHERE state = 'queued';
CREATE INDEX send_queue_lease ON send_queue (lease_until) WHERE state = 'sending';
COMMENT ON TABLE send_queue IS 'One row per (run, recipient), created before any SMTP traffic; the work list of dispatch';
COMMENT ON COLUMN send_queue.id IS 'Queue id';
COMMENT ON COLUMN send_queue.run_id IS 'The run';
COMMENT ON COLUMN send_queue.contact_id IS 'The recipient';
COMMENT ON COLUMN send_queue.state IS 'queued, sending (claimed), sent, failed, uncertain (crash while sending), excluded (basis gone at claim), cancelled';
COMMENT ON COLUMN send_queue.basis IS 'Basis found when the run was built; re-checked at claim';
COMMENT ON COLUMN send_queue.due_at IS 'Not before';
COMMENT ON COLUMN send_queue.worker IS 'Worker holding the claim';
COMMENT ON COLUMN send_queue.lease_until IS 'Claim lease; an expired sending lease becomes uncertain, never queued';
COMMENT ON COLUMN send_queue.attempts IS 'Delivery attempts so far';
COMMENT ON COLUMN send_queue.updated_at IS 'Last state change';

CREATE TABLE send_records (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    queue_id    bigint REFERENCES send_queue (id),
    run_id      bigint NOT NULL REFERENCES campaign_runs (id),
    contact_id  bigint REFERENCES contacts (id),
    message_id  text,
    basis       text NOT NULL CHECK (basis IN ('consent', 'existing_customer', 'opt_out_regime',
                                                'b2b_corporate', 'b2b_professional')),
    evidence    jsonb NOT NULL DEFAULT '{}'::jsonb,
    status      text NOT NULL CHECK (status IN ('sent', 'failed', 'deferred', 'uncertain', 'bounced', 'complained')),
    smtp_code   integer,
    smtp_reply  text,
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX send_records_contact ON send_records (contact_id, occurred_at);
CREATE INDEX send_records_run ON send_records (run_id);
COMMENT ON TABLE send_records IS 'Append-only log of every send attempt with its legal basis and SMTP outcome';
COMMENT ON COLUMN send_records.id IS 'Record id';
COMMENT ON COLUMN send_records.queue_id IS 'The queue row';
COMMENT ON COLUMN send_records.run_id IS 'The run';
COMMENT ON COLUMN send_records.contact_id IS 'The recipient (NULL after erasure pseudonymised it)';
COMMENT ON COLUMN send_records.message_id IS 'Message-ID of the sent message';
COMMENT ON COLUMN send_records.basis IS 'The one legal basis the message was sent under (never NULL: GDPR Art. 6, R-GDPR-2)';
COMMENT ON COLUMN send_records.evidence IS 'What supports the basis: consent event id or order id and relation';
COMMENT ON COLUMN send_records.status IS 'sent, failed, deferred, uncertain, bounced or complained';
COMMENT ON COLUMN send_records.smtp_code IS 'SMTP reply code';
COMMENT ON COLUMN send_records.smtp_reply IS 'SMTP reply text';
COMMENT ON COLUMN send_records.occurred_at IS 'When';

CREATE TABLE unsubscribe_tokens (
    token_sha256 text PRIMARY KEY CHECK (token_sha256 ~ '^[0-9a-f]{64}$'),
    contact_id   bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    topic_id     bigint NOT NULL REFERENCES topics (id),
    run_id       bigint REFERENCES campaign_runs (id),
    message_id   text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE unsubscribe_tokens IS 'Per-recipient unsubscribe tokens (hash only); they do not expire (CAN-SPAM 30 days, CASL 60 days)';
COMMENT ON COLUMN unsubscribe_tokens.token_sha256 IS 'SHA-256 of the token in the link and List-Unsubscribe header';
COMMENT ON COLUMN unsubscribe_tokens.contact_id IS 'The recipient';
COMMENT ON COLUMN unsubscribe_tokens.topic_id IS 'The topic of the message';
COMMENT ON COLUMN unsubscribe_tokens.run_id IS 'The run that sent it';
COMMENT ON COLUMN unsubscribe_tokens.message_id IS 'The message it was in';
COMMENT ON COLUMN unsubscribe_tokens.created_at IS 'When issued';
