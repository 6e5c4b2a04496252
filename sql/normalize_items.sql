-- Replace the items of every staged order whose payload carries an items list (an empty list
-- empties them). An order without a readable list keeps the items it had.
DELETE FROM order_items
WHERE order_id IN (SELECT order_id FROM nz_orders WHERE item_count IS NOT NULL);

UPDATE order_items SET window_date = o.window_date
FROM nz_orders AS o
WHERE order_items.order_id = o.order_id
    AND o.item_count IS NULL
    AND order_items.window_date <> o.window_date;

INSERT INTO order_items (
    order_id, position, id, product_id, quantity,
    total_price_before_discounts, total_discount, total_price_after_discounts,
    product_name, product_sku, created_at, updated_at, window_date
)
SELECT
    order_id, position, id, product_id, quantity,
    total_price_before_discounts, total_discount, total_price_after_discounts,
    product_name, product_sku, created_at, updated_at, window_date
FROM nz_items;
