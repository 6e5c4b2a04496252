-- Returns per API-local order day and order_source. A return counts once an order's
-- return_state leaves 'none' (see orders_enriched): open + refused + returned +
-- partially_returned = return_orders.
CREATE OR REPLACE VIEW returns AS
SELECT
    order_day,
    order_source,
    count(*) AS orders,
    count(*) FILTER (WHERE return_state <> 'none') AS return_orders,
    count(*) FILTER (WHERE return_state = 'open') AS open_return_orders,
    count(*) FILTER (WHERE return_state = 'refused') AS refused_return_orders,
    count(*) FILTER (WHERE return_state IN ('returned', 'partially_returned')) AS returned_orders,
    count(*) FILTER (WHERE return_state <> 'none') / count(*) AS return_rate
FROM orders_enriched
GROUP BY order_day, order_source;
