-- 0003_catalogue_orders_activity.sql: legal entities, the product
-- catalogue with categories and relations, orders and web activity.

CREATE TABLE legal_entities (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (length(name) > 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE legal_entities IS 'Legal persons that sell or send; the existing-customer exception compares these ids, never brands (ePrivacy Art. 13(2))';
COMMENT ON COLUMN legal_entities.id IS 'Surrogate key compared by the legal-basis engine';
COMMENT ON COLUMN legal_entities.name IS 'Registered legal name, e.g. ACME GmbH';
COMMENT ON COLUMN legal_entities.created_at IS 'When first seen';

CREATE TABLE categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    path        text NOT NULL UNIQUE CHECK (path ~ '^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)*$'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE categories IS 'Product categories as slash paths; a category includes its descendants';
COMMENT ON COLUMN categories.id IS 'Surrogate key';
COMMENT ON COLUMN categories.path IS 'Path such as pumps/centrifugal';
COMMENT ON COLUMN categories.created_at IS 'When first seen';

CREATE TABLE products (
    sku         text PRIMARY KEY CHECK (length(sku) BETWEEN 1 AND 128),
    name        text,
    category_id bigint NOT NULL REFERENCES categories (id),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE products IS 'The catalogue: what a campaign may promote and what customers bought';
COMMENT ON COLUMN products.sku IS 'Stock keeping unit, the product identifier';
COMMENT ON COLUMN products.name IS 'Product name';
COMMENT ON COLUMN products.category_id IS 'The product''s category';
COMMENT ON COLUMN products.created_at IS 'When first imported';

CREATE TABLE product_relations (
    sku_a       text NOT NULL REFERENCES products (sku),
    sku_b       text NOT NULL REFERENCES products (sku),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (sku_a, sku_b),
    CHECK (sku_a < sku_b)
);
COMMENT ON TABLE product_relations IS 'Explicit "similar product" relations an admin made; symmetric, stored once with sku_a < sku_b';
COMMENT ON COLUMN product_relations.sku_a IS 'One product';
COMMENT ON COLUMN product_relations.sku_b IS 'The related product';
COMMENT ON COLUMN product_relations.created_at IS 'When the relation was made';

CREATE TABLE category_relations (
    category_a  bigint NOT NULL REFERENCES categories (id),
    category_b  bigint NOT NULL REFERENCES categories (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (category_a, category_b),
    CHECK (category_a < category_b)
);
COMMENT ON TABLE category_relations IS 'Explicit relations between categories; symmetric, stored once';
COMMENT ON COLUMN category_relations.category_a IS 'One category';
COMMENT ON COLUMN category_relations.category_b IS 'The related category';
COMMENT ON COLUMN category_relations.created_at IS 'When the relation was made';

CREATE TABLE orders (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id            text NOT NULL,
    contact_id          bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    sku                 text NOT NULL REFERENCES products (sku),
    ordered_at          timestamptz NOT NULL,
    legal_entity_id     bigint NOT NULL REFERENCES legal_entities (id),
    collected_in_sale   boolean NOT NULL DEFAULT true,
    opt_out_offered     boolean NOT NULL DEFAULT false,
    imported_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, sku)
);
CREATE INDEX orders_contact ON orders (contact_id, ordered_at);
COMMENT ON TABLE orders IS 'Purchases, used for marketing only through the existing-customer exception';
COMMENT ON COLUMN orders.id IS 'Surrogate key';
COMMENT ON COLUMN orders.order_id IS 'The shop''s order number (one row per order line)';
COMMENT ON COLUMN orders.contact_id IS 'The customer';
COMMENT ON COLUMN orders.sku IS 'The product bought';
COMMENT ON COLUMN orders.ordered_at IS 'When the sale was made';
COMMENT ON COLUMN orders.legal_entity_id IS 'The seller: only it may rely on this sale';
COMMENT ON COLUMN orders.collected_in_sale IS 'The address was obtained from the customer in this sale';
COMMENT ON COLUMN orders.opt_out_offered IS 'The customer was clearly offered to object at collection';
COMMENT ON COLUMN orders.imported_at IS 'When the row was imported';

CREATE TABLE web_activity (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id  bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('view', 'download')),
    item        text NOT NULL,
    at          timestamptz NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX web_activity_contact ON web_activity (contact_id, kind, at);
COMMENT ON TABLE web_activity IS 'Viewed products and downloaded documents, stored only for contacts with a current tracking consent (ePrivacy Art. 5(3))';
COMMENT ON COLUMN web_activity.id IS 'Surrogate key';
COMMENT ON COLUMN web_activity.contact_id IS 'Who';
COMMENT ON COLUMN web_activity.kind IS 'view or download';
COMMENT ON COLUMN web_activity.item IS 'The sku viewed or the document id downloaded';
COMMENT ON COLUMN web_activity.at IS 'When';
COMMENT ON COLUMN web_activity.imported_at IS 'When imported; rows are deleted after the retention period';
