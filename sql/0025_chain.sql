-- 0025_chain.sql: tamper evidence for the consent ledger and the send
-- records (issue 12).  Groundwork: the erasure mark the chain's verifier
-- and the erasure function (0026) share.  The chain tables follow below.

ALTER TABLE contacts ADD COLUMN erased_at timestamptz;
COMMENT ON COLUMN contacts.erased_at IS
    'When the person was erased (GDPR Art. 17): the row is then a tombstone holding only its id and addr_hmac; NULL for a live contact';
