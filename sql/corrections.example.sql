-- Example of a user-supplied corrections query. Copy it to sql/corrections.sql (or point
-- ORDERS_CORRECTIONS_SQL at your own file) to make it active; write-back then reads its rows
-- together with the rows of the order_status_corrections table, on every run.
--
-- One SELECT. Columns are matched by name: order_id is required and at least one of the three
-- targets; reason, requested_at and expected_* are optional (missing = NULL). A NULL target
-- leaves that field alone.
--
-- This one: orders the carrier's delivery feed (a table your team loads, here
-- carrier_deliveries) shows as received, while the CRM still has them before delivery.
SELECT
    o.id AS order_id,
    NULL AS financial_status,
    'received' AS fulfillment_status,
    NULL AS return_status,
    'carrier feed: delivered ' || strftime(d.delivered_at, '%Y-%m-%d') AS reason,
    d.delivered_at AS requested_at,
    NULL AS expected_financial_status,
    o.fulfillment_status AS expected_fulfillment_status,
    NULL AS expected_return_status
FROM orders AS o
JOIN carrier_deliveries AS d ON d.order_number = o.order_number
WHERE o.fulfillment_status IN ('preparing', 'fulfilled', 'arrived');
