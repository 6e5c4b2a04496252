-- One row per status dim: how many values, how many unknown, and which.
SELECT
    'financial_statuses' AS dim,
    count(*) AS status_values,
    count(*) FILTER (WHERE NOT is_known) AS unknown_values,
    coalesce(sum(order_count) FILTER (WHERE NOT is_known), 0) AS orders_with_unknown_value,
    coalesce(string_agg(code, ', ' ORDER BY code) FILTER (WHERE NOT is_known), '') AS unknown_codes
FROM financial_statuses
UNION ALL
SELECT
    'fulfillment_statuses',
    count(*),
    count(*) FILTER (WHERE NOT is_known),
    coalesce(sum(order_count) FILTER (WHERE NOT is_known), 0),
    coalesce(string_agg(code, ', ' ORDER BY code) FILTER (WHERE NOT is_known), '')
FROM fulfillment_statuses
UNION ALL
SELECT
    'return_statuses',
    count(*),
    count(*) FILTER (WHERE NOT is_known),
    coalesce(sum(order_count) FILTER (WHERE NOT is_known), 0),
    coalesce(string_agg(code, ', ' ORDER BY code) FILTER (WHERE NOT is_known), '')
FROM return_statuses;
