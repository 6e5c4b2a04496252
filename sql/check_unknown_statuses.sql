-- Orders of the run's windows that carry a status code outside the vendor's lists.
WITH known AS (
    SELECT 'financial_status' AS kind, code FROM financial_statuses WHERE is_known
    UNION ALL
    SELECT 'fulfillment_status', code FROM fulfillment_statuses WHERE is_known
    UNION ALL
    SELECT 'return_status', code FROM return_statuses WHERE is_known
),
seen AS (
    SELECT 'financial_status' AS kind, financial_status AS code
    FROM orders WHERE window_date BETWEEN $start AND $end
    UNION ALL
    SELECT 'fulfillment_status', fulfillment_status
    FROM orders WHERE window_date BETWEEN $start AND $end
    UNION ALL
    SELECT 'return_status', return_status
    FROM orders WHERE window_date BETWEEN $start AND $end
)
SELECT seen.kind, seen.code, count(*) AS orders
FROM seen
LEFT JOIN known ON known.kind = seen.kind AND known.code = seen.code
WHERE seen.code IS NOT NULL AND known.code IS NULL
GROUP BY seen.kind, seen.code
ORDER BY seen.kind, seen.code;
