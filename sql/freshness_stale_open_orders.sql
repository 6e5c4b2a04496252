-- Open orders beyond the lookback, and how many of them sit in a window not re-read since
-- $stale_before (the promised revisit bound).
SELECT
    count(*) AS open_orders,
    count(*) FILTER (WHERE w.synced_at IS NULL OR w.synced_at < $stale_before) AS stale_open_orders
FROM open_orders AS o
LEFT JOIN sync_windows AS w ON w.window_date = o.window_date
WHERE o.window_date < $lookback_start;
