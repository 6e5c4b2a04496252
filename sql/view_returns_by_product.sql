-- Returns per product: of the orders that contain the product, how many started a return.
-- Returns are recorded per order, not per item, so a return of a two-product order counts for
-- both products. Items without a product_id are left out.
CREATE OR REPLACE VIEW returns_by_product AS
WITH per_order AS (
    SELECT
        product_id,
        order_id,
        any_value(return_state) AS return_state,
        CAST(coalesce(sum(quantity), 0) AS BIGINT) AS units
    FROM order_items_enriched
    WHERE product_id IS NOT NULL
    GROUP BY product_id, order_id
)
SELECT
    r.product_id,
    p.name AS product_name,
    p.sku AS product_sku,
    count(*) AS orders,
    CAST(sum(r.units) AS BIGINT) AS units,
    count(*) FILTER (WHERE r.return_state <> 'none') AS return_orders,
    count(*) FILTER (WHERE r.return_state IN ('returned', 'partially_returned')) AS returned_orders,
    count(*) FILTER (WHERE r.return_state <> 'none') / count(*) AS return_rate
FROM per_order AS r
LEFT JOIN products AS p ON p.id = r.product_id
GROUP BY r.product_id, p.name, p.sku;
