-- 0008_suppression_key.sql: the fingerprint of the suppression key, so that
-- a lost or replaced key is refused instead of silently replaced, and each
-- contact's keyed hash, so that "suppressed" is a join.

CREATE TABLE suppression_key (
    id             boolean PRIMARY KEY DEFAULT true CHECK (id),
    fingerprint    text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    first_used_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE suppression_key IS 'The one suppression key in use, by fingerprint only (the key stays in suppression_key_file); once set, mailout refuses a missing or different key';
COMMENT ON COLUMN suppression_key.id IS 'Always true: the table holds at most one row';
COMMENT ON COLUMN suppression_key.fingerprint IS 'Hex HMAC-SHA-256 under the key of the text ''mailout suppression key fingerprint v1''; never the key';
COMMENT ON COLUMN suppression_key.first_used_at IS 'When mailout first used the key';

ALTER TABLE contacts ADD COLUMN addr_hmac text CHECK (addr_hmac ~ '^[0-9a-f]{64}$');
-- NOT VALID: rows stored before this migration may lack the hash until
-- mailout fills it (it does whenever a command loads the key); every row
-- inserted or updated from now on must carry it.
ALTER TABLE contacts ADD CONSTRAINT contacts_addr_hmac_present CHECK (addr_hmac IS NOT NULL) NOT VALID;
CREATE INDEX contacts_addr_hmac_idx ON contacts (addr_hmac);
COMMENT ON COLUMN contacts.addr_hmac IS 'HMAC-SHA-256 of email_norm under the suppression key (as suppression.addr_hmac), so the suppression check is a join; NULL only on rows that predate it until filled';

GRANT SELECT, INSERT ON suppression_key TO mailout_app;
