-- Windows synced since a run started (for `orders-connector refresh`).
SELECT window_date, orders, requests
FROM sync_windows
WHERE synced_at >= $since
ORDER BY window_date;
