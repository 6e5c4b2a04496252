-- Add every status value the orders carry that a dim does not know yet (label NULL, is_known
-- false), keep the earliest first_seen, and recount orders for every value. Reads all orders,
-- not only the normalized ones, so it also repairs dims after write-back edits.
INSERT INTO financial_statuses (code, label, is_known, first_seen, order_count)
SELECT financial_status, NULL, false, min(synced_at), 0
FROM orders
WHERE financial_status IS NOT NULL
GROUP BY financial_status
ON CONFLICT (code) DO UPDATE SET
    first_seen = least(financial_statuses.first_seen, excluded.first_seen);

INSERT INTO fulfillment_statuses (code, label, is_known, first_seen, order_count)
SELECT fulfillment_status, NULL, false, min(synced_at), 0
FROM orders
WHERE fulfillment_status IS NOT NULL
GROUP BY fulfillment_status
ON CONFLICT (code) DO UPDATE SET
    first_seen = least(fulfillment_statuses.first_seen, excluded.first_seen);

INSERT INTO return_statuses (code, label, is_known, first_seen, order_count)
SELECT return_status, NULL, false, min(synced_at), 0
FROM orders
WHERE return_status IS NOT NULL
GROUP BY return_status
ON CONFLICT (code) DO UPDATE SET
    first_seen = least(return_statuses.first_seen, excluded.first_seen);

UPDATE financial_statuses SET order_count = coalesce(counted.n, 0)
FROM (
    SELECT d.code, count(o.id) AS n
    FROM financial_statuses AS d
    LEFT JOIN orders AS o ON o.financial_status = d.code
    GROUP BY d.code
) AS counted
WHERE financial_statuses.code = counted.code;

UPDATE fulfillment_statuses SET order_count = coalesce(counted.n, 0)
FROM (
    SELECT d.code, count(o.id) AS n
    FROM fulfillment_statuses AS d
    LEFT JOIN orders AS o ON o.fulfillment_status = d.code
    GROUP BY d.code
) AS counted
WHERE fulfillment_statuses.code = counted.code;

UPDATE return_statuses SET order_count = coalesce(counted.n, 0)
FROM (
    SELECT d.code, count(o.id) AS n
    FROM return_statuses AS d
    LEFT JOIN orders AS o ON o.return_status = d.code
    GROUP BY d.code
) AS counted
WHERE return_statuses.code = counted.code;
