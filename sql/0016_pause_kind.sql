-- 0016_pause_kind.sql: the ledger kind 'paused' (issue 10, pause all
-- marketing for N months).  Alone in its file: migrate.c runs each file in
-- its own transaction, and PostgreSQL refuses to use an enum value in the
-- transaction that added it; 0017 adds the column, its checks and the
-- engine's reason.

ALTER TYPE consent_event_kind ADD VALUE 'paused';
COMMENT ON TYPE consent_event_kind IS
    'requested: DOI started; confirmed: DOI link confirmed; granted: admin or import with evidence; withdrawn: topic unsubscribed; objected: Art. 21 objection to all marketing; expired: lapsed; paused: all marketing paused until consent_events.paused_until (a later paused event replaces it; one ending now is a resume), no opt-out';
