-- 0023_schedule.sql: campaign schedules and the record of every occurrence
-- (issue 11).
--
-- A campaign has at most one schedule.  Whatever the command line gave
-- (--at, --at with --rrule, --ics), the schedule is stored as one
-- iCalendar VEVENT (schedules.ics) that libical expands; dtstart, tzid and
-- rrule are kept beside it for reading.  next_at is the next occurrence
-- not yet handled, NULL when the recurrence has ended.
--
-- The scheduler of `mailout run` handles an occurrence in one transaction:
-- it locks the schedule row (FOR UPDATE SKIP LOCKED, so several processes
-- never take the same one), records the occurrence here (a unique key on
-- schedule and occurrence: a run is made once), builds its run or records
-- why it was skipped, and moves next_at on.

-- schedules was not used before this migration
DELETE FROM schedules;
ALTER TABLE schedules ADD CONSTRAINT schedules_campaign_key UNIQUE (campaign_id);
ALTER TABLE schedules ALTER COLUMN ics SET NOT NULL;
CREATE INDEX schedules_due ON schedules (next_at) WHERE next_at IS NOT NULL;
COMMENT ON COLUMN schedules.ics IS 'The schedule as one iCalendar VEVENT (DTSTART;TZID, RRULE, EXDATE, RDATE), whatever form it was given in; libical expands it';
COMMENT ON COLUMN schedules.rrule IS 'RFC 5545 recurrence rule, NULL for a one-off';

CREATE TABLE schedule_occurrences (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    schedule_id  bigint REFERENCES schedules (id) ON DELETE SET NULL,
    campaign_id  bigint NOT NULL REFERENCES campaigns (id),
    occurs_at    timestamptz NOT NULL,
    state        text NOT NULL CHECK (state IN ('run', 'skipped')),
    reason       text CHECK (length(reason) <= 200),
    run_id       bigint REFERENCES campaign_runs (id),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    recorded_by  text NOT NULL CHECK (length(recorded_by) <= 200),
    UNIQUE (schedule_id, occurs_at),
    CHECK ((state = 'run') = (run_id IS NOT NULL))
);
CREATE INDEX schedule_occurrences_campaign ON schedule_occurrences (campaign_id, occurs_at);
COMMENT ON TABLE schedule_occurrences IS 'Every schedule occurrence handled: the run it made, or why it was skipped; one row per schedule and occurrence';
COMMENT ON COLUMN schedule_occurrences.id IS 'Row id';
COMMENT ON COLUMN schedule_occurrences.schedule_id IS 'The schedule (NULL once it was cleared)';
COMMENT ON COLUMN schedule_occurrences.campaign_id IS 'The campaign';
COMMENT ON COLUMN schedule_occurrences.occurs_at IS 'The occurrence (UTC)';
COMMENT ON COLUMN schedule_occurrences.state IS 'run (a run was built) or skipped';
COMMENT ON COLUMN schedule_occurrences.reason IS 'Why it was skipped (e.g. missed: every service was down longer than schedule_grace), NULL for a run';
COMMENT ON COLUMN schedule_occurrences.run_id IS 'The run built for it';
COMMENT ON COLUMN schedule_occurrences.recorded_at IS 'When the scheduler handled it';
COMMENT ON COLUMN schedule_occurrences.recorded_by IS 'The process that handled it (host:pid)';

GRANT SELECT, INSERT ON schedule_occurrences TO mailout_app;
GRANT USAGE ON SEQUENCE schedule_occurrences_id_seq TO mailout_app;
