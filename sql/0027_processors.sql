-- 0027_processors.sql: third parties that receive personal data (issue 13).
--
-- R-GDPR-13: every SMTP relay and webhook host must belong to a registered
-- processor (or independent controller) before mailout hands it data.
-- R-GDPR-15: under the setting residency = eu (the default) a processor
-- outside the EEA needs an adequacy decision for its country
-- (adequacy_countries) or a recorded transfer mechanism; the check is made
-- in C when the processor is added and again when the setting changes
-- (doctor), because the setting lives in mailout.conf, not here.
-- `maildir:` and relays on loopback are the sender's own infrastructure and
-- need no entry.

CREATE TABLE processors (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200 AND name !~ '[[:cntrl:]]'),
    role text NOT NULL CHECK (role IN ('processor', 'controller')),
    country char(2) CHECK (country ~ '^[A-Z]{2}$'),
    hosts text[] NOT NULL DEFAULT '{}' CHECK (array_position(hosts, NULL) IS NULL),
    dpa text CHECK (length(dpa) <= 500 AND dpa !~ '[[:cntrl:]]'),
    mechanism text CHECK (mechanism IN ('adequacy', 'dpf', 'scc', 'bcr')),
    purpose text CHECK (length(purpose) <= 500 AND purpose !~ '[[:cntrl:]]'),
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by text NOT NULL
);
COMMENT ON TABLE processors IS 'Third parties that receive personal data (R-GDPR-13): SMTP relays, webhook/CRM receivers, hosting; rendered in audit ropa, export and /privacy-info';
COMMENT ON COLUMN processors.id IS 'Surrogate key';
COMMENT ON COLUMN processors.created_at IS 'When it was registered';
COMMENT ON COLUMN processors.name IS 'Legal name of the third party, unique';
COMMENT ON COLUMN processors.role IS 'processor (acts on our instructions, Art. 28) or controller (an independent recipient)';
COMMENT ON COLUMN processors.country IS 'ISO 3166-1 alpha-2 country where the data is processed; NULL only for rows that audit ropa reports as incomplete';
COMMENT ON COLUMN processors.hosts IS 'Lower-case host names (A-labels) or IP literals this party operates: SMTP relays, webhook hosts';
COMMENT ON COLUMN processors.dpa IS 'Reference of the data processing agreement (Art. 28(3)) or contract';
COMMENT ON COLUMN processors.mechanism IS 'Transfer mechanism for a country outside the EEA: adequacy (Art. 45), dpf (EU-US Data Privacy Framework, certified recipient), scc or bcr (Art. 46)';
COMMENT ON COLUMN processors.purpose IS 'What the party does with the data (free text, optional)';
COMMENT ON COLUMN processors.created_by IS 'Actor that registered it (audit actor)';

CREATE TABLE adequacy_countries (
    country char(2) PRIMARY KEY CHECK (country ~ '^[A-Z]{2}$'),
    kind text NOT NULL CHECK (kind IN ('eea', 'adequacy', 'dpf')),
    decision text NOT NULL
);
COMMENT ON TABLE adequacy_countries IS 'Seed data (R-GDPR-15): the EEA, countries with a Commission adequacy decision (Art. 45), and the US (only certified DPF recipients: mechanism dpf)';
COMMENT ON COLUMN adequacy_countries.country IS 'ISO 3166-1 alpha-2 country';
COMMENT ON COLUMN adequacy_countries.kind IS 'eea: no transfer; adequacy: Art. 45 decision; dpf: only recipients certified under the EU-US Data Privacy Framework';
COMMENT ON COLUMN adequacy_countries.decision IS 'The legal instrument';

INSERT INTO adequacy_countries (country, kind, decision)
SELECT c, 'eea', 'EEA member (no transfer)'
FROM unnest(ARRAY['AT','BE','BG','HR','CY','CZ','DK','EE','FI','FR','DE','GR','HU','IE','IT',
                  'LV','LT','LU','MT','NL','PL','PT','RO','SK','SI','ES','SE','IS','LI','NO']) AS c;
INSERT INTO adequacy_countries (country, kind, decision) VALUES
    ('AD', 'adequacy', 'Commission Decision 2010/625/EU (Andorra)'),
    ('AR', 'adequacy', 'Commission Decision 2003/490/EC (Argentina)'),
    ('CA', 'adequacy', 'Commission Decision 2002/2/EC (Canada, commercial organisations under PIPEDA)'),
    ('FO', 'adequacy', 'Commission Decision 2010/146/EU (Faroe Islands)'),
    ('GG', 'adequacy', 'Commission Decision 2003/821/EC (Guernsey)'),
    ('IL', 'adequacy', 'Commission Decision 2011/61/EU (Israel)'),
    ('IM', 'adequacy', 'Commission Decision 2004/411/EC (Isle of Man)'),
    ('JP', 'adequacy', 'Commission Implementing Decision (EU) 2019/419 (Japan)'),
    ('JE', 'adequacy', 'Commission Decision 2008/393/EC (Jersey)'),
    ('NZ', 'adequacy', 'Commission Implementing Decision 2013/65/EU (New Zealand)'),
    ('KR', 'adequacy', 'Commission Implementing Decision (EU) 2022/254 (Republic of Korea)'),
    ('CH', 'adequacy', 'Commission Decision 2000/518/EC (Switzerland)'),
    ('GB', 'adequacy', 'Commission Implementing Decision (EU) 2021/1772 (United Kingdom, GDPR)'),
    ('UY', 'adequacy', 'Commission Implementing Decision 2012/484/EU (Uruguay)'),
    ('US', 'dpf', 'Commission Implementing Decision (EU) 2023/1795 of 10 July 2023 (EU-US Data Privacy Framework, certified recipients only)');

GRANT SELECT, INSERT, UPDATE, DELETE ON processors TO mailout_app;
GRANT USAGE ON SEQUENCE processors_id_seq TO mailout_app;
GRANT SELECT ON adequacy_countries TO mailout_app;
