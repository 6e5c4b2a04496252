-- Status fields that changed, as observed since a run started (first observations excluded).
SELECT order_id, field, before, after
FROM (
    SELECT order_id, observed_at, 'financial_status' AS field,
           previous_financial_status AS before, financial_status AS after
    FROM order_status_history WHERE observed_at >= $since AND source = 'sync'
    UNION ALL
    SELECT order_id, observed_at, 'fulfillment_status',
           previous_fulfillment_status, fulfillment_status
    FROM order_status_history WHERE observed_at >= $since AND source = 'sync'
    UNION ALL
    SELECT order_id, observed_at, 'return_status', previous_return_status, return_status
    FROM order_status_history WHERE observed_at >= $since AND source = 'sync'
) AS changes
WHERE before IS NOT NULL AND before IS DISTINCT FROM after
ORDER BY order_id, field;
