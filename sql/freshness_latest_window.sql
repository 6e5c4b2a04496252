-- The most recent window ever synced and when it was last synced.
SELECT window_date, synced_at
FROM sync_windows
ORDER BY window_date DESC
LIMIT 1;
