-- Per customer (contact_id): first and last order (API-local time), orders and lifetime value.
-- Orders without a contact_id (missing or unparseable) are left out.
CREATE OR REPLACE VIEW contact_orders AS
SELECT
    contact_id,
    count(*) AS orders,
    min(order_created_at) AS first_order_at,
    max(order_created_at) AS last_order_at,
    coalesce(sum(total_price), 0) AS lifetime_net,
    count(*) FILTER (WHERE payment_state = 'paid') AS paid_orders,
    coalesce(sum(total_price) FILTER (WHERE payment_state = 'paid'), 0) AS lifetime_paid_net
FROM orders_enriched
WHERE contact_id IS NOT NULL
GROUP BY contact_id;
