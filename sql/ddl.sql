-- Every warehouse table. Idempotent: run on every open that may write.
-- orders_connector/schema.py lists the same columns; tests/test_warehouse.py keeps them equal.

CREATE TABLE IF NOT EXISTS raw_orders (
    window_date DATE NOT NULL,
    order_id BIGINT NOT NULL,
    payload JSON NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    content_hash VARCHAR NOT NULL,
    PRIMARY KEY (window_date, order_id)
);

CREATE TABLE IF NOT EXISTS raw_rejected (
    window_date DATE NOT NULL,
    payload JSON,
    reason VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS sync_windows (
    window_date DATE PRIMARY KEY,
    synced_at TIMESTAMPTZ NOT NULL,
    meta_total INTEGER,
    fetched_ids INTEGER,
    orders INTEGER NOT NULL,
    items INTEGER,
    pages INTEGER,
    requests INTEGER,
    retries INTEGER,
    throttled INTEGER,
    drift_rereads INTEGER,
    seconds DOUBLE,
    items_source VARCHAR,
    open_orders INTEGER,
    rejected INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS orders (
    id BIGINT PRIMARY KEY,
    order_number VARCHAR,
    order_source VARCHAR,
    contact_id BIGINT,
    order_name VARCHAR,
    receiver_name VARCHAR,
    receiver_address VARCHAR,
    receiver_phone VARCHAR,
    subtotal_price DECIMAL(18, 2),
    total_discount DECIMAL(18, 2),
    shipping_fee DECIMAL(18, 2),
    total_tax DECIMAL(18, 2),
    total_price DECIMAL(18, 2),
    financial_status VARCHAR,
    fulfillment_status VARCHAR,
    return_status VARCHAR,
    note VARCHAR,
    extra_info VARCHAR,
    order_created_at TIMESTAMP,
    order_updated_at TIMESTAMP,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    order_created_at_utc TIMESTAMPTZ,
    order_updated_at_utc TIMESTAMPTZ,
    created_at_utc TIMESTAMPTZ,
    updated_at_utc TIMESTAMPTZ,
    window_date DATE NOT NULL,
    item_count INTEGER,
    synced_at TIMESTAMPTZ NOT NULL,
    content_hash VARCHAR NOT NULL
);

-- No key: an item without a usable id still lands; (order_id, position) is unique by construction.
CREATE TABLE IF NOT EXISTS order_items (
    order_id BIGINT NOT NULL,
    position INTEGER NOT NULL,
    id BIGINT,
    product_id BIGINT,
    quantity INTEGER,
    total_price_before_discounts DECIMAL(18, 2),
    total_discount DECIMAL(18, 2),
    total_price_after_discounts DECIMAL(18, 2),
    product_name VARCHAR,
    product_sku VARCHAR,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    window_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS products (
    id BIGINT PRIMARY KEY,
    name VARCHAR,
    sku VARCHAR,
    price DECIMAL(18, 2),
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS financial_statuses (
    code VARCHAR PRIMARY KEY,
    label VARCHAR,
    is_known BOOLEAN NOT NULL,
    first_seen TIMESTAMPTZ,
    order_count BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS fulfillment_statuses (
    code VARCHAR PRIMARY KEY,
    label VARCHAR,
    is_known BOOLEAN NOT NULL,
    first_seen TIMESTAMPTZ,
    order_count BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS return_statuses (
    code VARCHAR PRIMARY KEY,
    label VARCHAR,
    is_known BOOLEAN NOT NULL,
    first_seen TIMESTAMPTZ,
    order_count BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS order_data_issues (
    order_id BIGINT NOT NULL,
    window_date DATE NOT NULL,
    field VARCHAR NOT NULL,
    raw_value VARCHAR,
    problem VARCHAR NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL
);

CREATE SEQUENCE IF NOT EXISTS order_status_history_seq;

CREATE TABLE IF NOT EXISTS order_status_history (
    order_id BIGINT NOT NULL,
    observed_at TIMESTAMPTZ NOT NULL,
    financial_status VARCHAR,
    fulfillment_status VARCHAR,
    return_status VARCHAR,
    previous_financial_status VARCHAR,
    previous_fulfillment_status VARCHAR,
    previous_return_status VARCHAR,
    source VARCHAR NOT NULL,
    -- No key: the sequence makes it unique, and an index would only slow the bulk appends.
    seq BIGINT NOT NULL DEFAULT nextval('order_status_history_seq')
);
