-- 0014_throttle.sql: the shared send rate, and the indexes campaign status
-- and /metrics read.
--
-- `rate` is a total across every worker on the database: one token bucket
-- row, refilled by the time elapsed since it was last taken from (at most
-- one second's worth, at least one token) and taken from per batch in one
-- UPDATE ... RETURNING, so no lock is held beyond that statement.

CREATE TABLE send_rate (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    tokens      double precision NOT NULL DEFAULT 0,
    granted     bigint NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE send_rate IS 'The token bucket of the key rate, shared by every dispatch worker on the database (one row)';
COMMENT ON COLUMN send_rate.id IS 'Always true: the table holds one row';
COMMENT ON COLUMN send_rate.tokens IS 'Messages that may be sent now, as of updated_at (at most one second''s worth of rate, at least 1)';
COMMENT ON COLUMN send_rate.granted IS 'Tokens the last take granted (read back by that take)';
COMMENT ON COLUMN send_rate.updated_at IS 'When tokens was last computed; the bucket refills by rate per second from here';
INSERT INTO send_rate DEFAULT VALUES;

CREATE FUNCTION send_rate_level(tokens double precision, updated_at timestamptz, rate bigint,
                                at timestamptz) RETURNS double precision
    LANGUAGE sql IMMUTABLE AS $$
    SELECT least(greatest(rate, 1)::double precision,
                 tokens + rate * greatest(0, extract(epoch FROM at - updated_at))::double precision)
$$;
COMMENT ON FUNCTION send_rate_level(double precision, timestamptz, bigint, timestamptz) IS 'Tokens in the bucket at time at: refilled by rate per second since updated_at, capped at one second''s worth (at least 1)';

GRANT SELECT, UPDATE ON send_rate TO mailout_app;

-- /metrics: the rows in flight or uncertain, index-only (queued rows are
-- counted through send_queue_due).  'queued' stays out of this index: with
-- the statistics of a run built a moment ago the planner took it for the
-- claim and sorted every queued row of the run on each claim (40 ms a claim
-- at 10,000 rows) instead of reading send_queue_due in order.  Messages per
-- status are counted from send_records as it is: an index on its few
-- statuses would cost every insert and lead the engine's per-contact reads
-- astray the same way.
CREATE INDEX send_queue_open ON send_queue (state)
    WHERE state IN ('claimed', 'sending', 'uncertain');
-- campaign status: rows deferred now (queued again after a 4xx) per run.
CREATE INDEX send_queue_deferred ON send_queue (run_id) WHERE state = 'queued' AND attempts > 0;
