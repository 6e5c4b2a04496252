-- Every synced window before the lookback, with its open orders and the requests a re-read costs.
-- `open_orders` is the view in ddl_freshness.sql.
WITH open_by_window AS (
    SELECT window_date, count(*) AS open_orders FROM open_orders GROUP BY window_date
)
SELECT
    w.window_date,
    w.synced_at,
    coalesce(oo.open_orders, 0) AS open_orders,
    -- A re-read costs what the last read cost: its pages, plus one items call per order when the
    -- tenant's list answers do not embed items.
    greatest(w.pages, 1) + CASE WHEN w.items_source = 'endpoint' THEN w.orders ELSE 0 END
        AS estimated_requests
FROM sync_windows AS w
LEFT JOIN open_by_window AS oo ON oo.window_date = w.window_date
WHERE w.window_date < $lookback_start
ORDER BY w.window_date;
