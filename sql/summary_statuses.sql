-- Orders per status code, for `orders-connector demo`.
SELECT 'financial_status' AS kind, code, order_count, is_known FROM financial_statuses
WHERE order_count > 0
UNION ALL
SELECT 'fulfillment_status', code, order_count, is_known FROM fulfillment_statuses
WHERE order_count > 0
UNION ALL
SELECT 'return_status', code, order_count, is_known FROM return_statuses
WHERE order_count > 0
ORDER BY 1, 3 DESC, 2;
