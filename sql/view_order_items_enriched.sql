-- One row per order item with its product and its order's day and statuses.
-- product_name / product_sku are as the order carried them; product_price is the product's
-- latest unit price (products keeps the last observation).
CREATE OR REPLACE VIEW order_items_enriched AS
SELECT
    i.order_id,
    i.position,
    i.id AS item_id,
    i.product_id,
    i.product_name,
    i.product_sku,
    p.price AS product_price,
    i.quantity,
    i.total_price_before_discounts,
    i.total_discount,
    i.total_price_after_discounts,
    o.order_number,
    o.order_source,
    o.contact_id,
    o.order_created_at,
    o.order_day,
    o.financial_status,
    o.fulfillment_status,
    o.return_status,
    o.payment_state,
    o.return_state
FROM order_items AS i
JOIN orders_enriched AS o ON o.id = i.order_id
LEFT JOIN products AS p ON p.id = i.product_id;
