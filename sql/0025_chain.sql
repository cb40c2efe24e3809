-- 0025_chain.sql: tamper evidence for the consent ledger and the send
-- records (issue 12).  Groundwork: the erasure mark the chain's verifier
-- and the erasure function (0026) share.  The chain tables follow below.

ALTER TABLE contacts ADD COLUMN erased_at timestamptz;
COMMENT ON COLUMN contacts.erased_at IS
    'When the person was erased (GDPR Art. 17): the row is then a tombstone holding only its id and addr_hmac; NULL for a live contact';

-- The chains.  A history row is appended on its hot path with one extra
-- row in chain_pending (no lock beyond the row itself); the sealer
-- (dispatcher/chain.c: a background thread of serve and run, the start of
-- audit verify, and erasure) links pending rows into chain_links in
-- batches under an advisory lock only sealers take.  Digests and keyed
-- hashes are computed in C: the key is derived from the suppression key,
-- which never enters the database.

CREATE TABLE chain_pending (
    chain   text NOT NULL CHECK (chain IN ('consent', 'send')),
    row_id  bigint NOT NULL,
    PRIMARY KEY (chain, row_id)
);
COMMENT ON TABLE chain_pending IS
    'History rows appended but not yet linked into their hash chain; the sealer links them and deletes them here';
COMMENT ON COLUMN chain_pending.chain IS 'consent (consent_events) or send (send_records)';
COMMENT ON COLUMN chain_pending.row_id IS 'The id of the history row';

CREATE TABLE chain_links (
    chain     text NOT NULL CHECK (chain IN ('consent', 'send')),
    seq       bigint NOT NULL CHECK (seq > 0),
    row_id    bigint NOT NULL,
    pii_mac   text NOT NULL CHECK (pii_mac ~ '^[0-9a-f]{64}$'),
    digest    text NOT NULL CHECK (digest ~ '^[0-9a-f]{64}$'),
    prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
    hash      text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    sealed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain, seq),
    UNIQUE (chain, row_id)
);
COMMENT ON TABLE chain_links IS
    'Hash chains over the consent ledger (chain consent) and the send records (chain send): one link per history row, append-only; mailout audit verify recomputes them';
COMMENT ON COLUMN chain_links.chain IS 'consent (consent_events) or send (send_records)';
COMMENT ON COLUMN chain_links.seq IS 'Position in the chain, from 1, without gaps';
COMMENT ON COLUMN chain_links.row_id IS 'The id of the history row this link seals';
COMMENT ON COLUMN chain_links.pii_mac IS
    'Hex HMAC-SHA-256, under a key derived from the suppression key, of the row''s personal columns (chain.h); kept when erasure nulls them';
COMMENT ON COLUMN chain_links.digest IS
    'Hex SHA-256 over every other column of the row and pii_mac, length-prefixed (chain.c)';
COMMENT ON COLUMN chain_links.prev_hash IS 'hash of the previous link of this chain (64 zeros for the first)';
COMMENT ON COLUMN chain_links.hash IS 'Hex SHA-256 of prev_hash|chain|seq|row_id|digest';
COMMENT ON COLUMN chain_links.sealed_at IS 'When the sealer linked the row (not covered by the hash)';

CREATE FUNCTION chain_pending_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO chain_pending (chain, row_id) VALUES (TG_ARGV[0], NEW.id);
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION chain_pending_add() IS
    'AFTER INSERT trigger of consent_events and send_records: queues the new row for the sealer (argument: the chain)';

CREATE TRIGGER consent_events_chain_pending AFTER INSERT ON consent_events
    FOR EACH ROW EXECUTE FUNCTION chain_pending_add('consent');
CREATE TRIGGER send_records_chain_pending AFTER INSERT ON send_records
    FOR EACH ROW EXECUTE FUNCTION chain_pending_add('send');
COMMENT ON TRIGGER consent_events_chain_pending ON consent_events IS
    'Queues every new ledger row for the consent chain';
COMMENT ON TRIGGER send_records_chain_pending ON send_records IS
    'Queues every new send record for the send chain';

CREATE FUNCTION chain_links_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'chain_links is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
COMMENT ON FUNCTION chain_links_refuse() IS
    'Keeps chain_links append-only, for the owner too (no erasure door: links hold no personal data)';
CREATE TRIGGER chain_links_append_only BEFORE UPDATE OR DELETE ON chain_links
    FOR EACH ROW EXECUTE FUNCTION chain_links_refuse();
CREATE TRIGGER chain_links_no_truncate BEFORE TRUNCATE ON chain_links
    FOR EACH STATEMENT EXECUTE FUNCTION chain_links_refuse();
COMMENT ON TRIGGER chain_links_append_only ON chain_links IS 'Refuses UPDATE and DELETE';
COMMENT ON TRIGGER chain_links_no_truncate ON chain_links IS 'Refuses TRUNCATE';

GRANT SELECT, INSERT, DELETE ON chain_pending TO mailout_app;
GRANT SELECT, INSERT ON chain_links TO mailout_app;
