-- Per-window summary printed by `orders-connector sync`.
SELECT
    w.window_date,
    w.orders,
    w.items,
    w.meta_total,
    (SELECT count(*) FROM order_data_issues AS i WHERE i.window_date = w.window_date) AS issues,
    w.requests
FROM sync_windows AS w
WHERE w.window_date BETWEEN $start AND $end
ORDER BY w.window_date;
