-- Orders per value of each status field (NULL included), with the value's label, whether it is
-- in the vendor's list, whether it is terminal, and its share of all orders.
CREATE OR REPLACE VIEW order_status_funnel AS
WITH counts AS (
    SELECT 'financial_status' AS status_field, financial_status AS status, count(*) AS orders
    FROM orders
    GROUP BY financial_status
    UNION ALL
    SELECT 'fulfillment_status', fulfillment_status, count(*)
    FROM orders
    GROUP BY fulfillment_status
    UNION ALL
    SELECT 'return_status', return_status, count(*)
    FROM orders
    GROUP BY return_status
),
labels AS (
    SELECT 'financial_status' AS status_field, code, label, is_known FROM financial_statuses
    UNION ALL
    SELECT 'fulfillment_status', code, label, is_known FROM fulfillment_statuses
    UNION ALL
    SELECT 'return_status', code, label, is_known FROM return_statuses
)
SELECT
    c.status_field,
    c.status,
    l.label,
    coalesce(l.is_known, false) AS is_known,
    -- Same rule as the open_orders view: a missing return status is terminal, other NULLs open.
    CASE
        WHEN c.status IS NULL THEN c.status_field = 'return_status'
        ELSE c.status IN (SELECT code FROM status_terminal AS t WHERE t.kind = c.status_field)
    END AS is_terminal,
    c.orders,
    c.orders / sum(c.orders) OVER (PARTITION BY c.status_field) AS share
FROM counts AS c
LEFT JOIN labels AS l ON l.status_field = c.status_field AND l.code = c.status;
