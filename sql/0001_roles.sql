-- 0001_roles.sql: the application role.
--
-- The schema belongs to the role that runs `mailout db migrate` (the owner).
-- mailout's long-running commands connect as, or SET ROLE to, mailout_app,
-- which may append to the consent ledger, the send records and the audit
-- log but never UPDATE or DELETE them (grants in 0006_grants.sql).
-- Creating the role needs CREATEROLE (or a superuser) the first time only.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mailout_app') THEN
        CREATE ROLE mailout_app NOLOGIN;
    END IF;
END
$$;

COMMENT ON ROLE mailout_app IS
    'mailout application role: may append to the consent ledger, send records and audit log, never rewrite them';
