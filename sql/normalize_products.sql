-- Products from the items' nested product objects. Name, SKU and price follow the most recent
-- observation (ties between orders fetched together: the highest order id, then position);
-- first_seen / last_seen only ever widen.
CREATE OR REPLACE TEMP TABLE nz_products AS
SELECT
    id,
    latest.name,
    latest.sku,
    latest.price,
    first_seen,
    last_seen
FROM (
    SELECT
        product_ref_id AS id,
        -- One arg_max for the three fields: each arg_max over 3M items costs as much again.
        arg_max(
            {'name': product_name, 'sku': product_sku, 'price': product_price},
            (fetched_at, order_id, position)
        ) AS latest,
        min(fetched_at) AS first_seen,
        max(fetched_at) AS last_seen
    FROM nz_items
    WHERE product_ref_id IS NOT NULL
    GROUP BY product_ref_id
);

INSERT INTO products (id, name, sku, price, first_seen, last_seen)
SELECT id, name, sku, price, first_seen, last_seen FROM nz_products
ON CONFLICT (id) DO UPDATE SET
    name = CASE WHEN excluded.last_seen >= products.last_seen THEN excluded.name ELSE products.name END,
    sku = CASE WHEN excluded.last_seen >= products.last_seen THEN excluded.sku ELSE products.sku END,
    price = CASE
        WHEN excluded.last_seen >= products.last_seen THEN excluded.price ELSE products.price
    END,
    first_seen = least(products.first_seen, excluded.first_seen),
    last_seen = greatest(products.last_seen, excluded.last_seen);
