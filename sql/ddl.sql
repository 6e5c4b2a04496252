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

-- Schema `staging`: every raw row parsed and typed, written when it lands (while the next
-- search downloads), so that normalizing only picks each order's latest row and upserts it.
-- Internal, not for BI: a raw row without its staged row is staged again by the normalize.
CREATE SCHEMA IF NOT EXISTS staging;

CREATE TABLE IF NOT EXISTS staging.orders (
    window_date DATE NOT NULL,
    order_id BIGINT NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    content_hash VARCHAR NOT NULL,
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
    item_count INTEGER,
    -- The columns below are NULL for a clean order: stage_raw.sql keeps them for the few orders
    -- normalize_issues.sql has to report on.
    item_shapes STRUCT(
        item_type VARCHAR, item_text VARCHAR, product_type VARCHAR, product_text VARCHAR,
        name_type VARCHAR, sku_type VARCHAR
    )[],
    raw STRUCT(
        order_source VARCHAR, order_number VARCHAR, contact_id VARCHAR, order_name VARCHAR,
        receiver_name VARCHAR, receiver_address VARCHAR, receiver_phone VARCHAR,
        subtotal_price VARCHAR, total_discount VARCHAR, shipping_fee VARCHAR, total_tax VARCHAR,
        total_price VARCHAR, financial_status VARCHAR, fulfillment_status VARCHAR,
        return_status VARCHAR, note VARCHAR, extra_info VARCHAR, order_created_at VARCHAR,
        order_updated_at VARCHAR, created_at VARCHAR, updated_at VARCHAR,
        items STRUCT(
            id VARCHAR, quantity VARCHAR, product_id VARCHAR,
            total_price_before_discounts VARCHAR, total_discount VARCHAR,
            total_price_after_discounts VARCHAR, created_at VARCHAR, updated_at VARCHAR,
            product STRUCT(id VARCHAR, name VARCHAR, sku VARCHAR, price VARCHAR)
        )[]
    ),
    nonstring_fields VARCHAR[],
    items_not_a_list VARCHAR
);

CREATE TABLE IF NOT EXISTS staging.items (
    window_date DATE NOT NULL,
    order_id BIGINT NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
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
    product_ref_id BIGINT,
    product_price DECIMAL(18, 2),
    raw_item STRUCT(
        id VARCHAR, quantity VARCHAR, product_id VARCHAR, total_price_before_discounts VARCHAR,
        total_discount VARCHAR, total_price_after_discounts VARCHAR, created_at VARCHAR,
        updated_at VARCHAR, product STRUCT(id VARCHAR, name VARCHAR, sku VARCHAR, price VARCHAR)
    )
);
