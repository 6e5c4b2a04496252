-- What re-reading each of the given windows is expected to cost (same model as window_costs).
SELECT
    w.window_date,
    greatest(w.pages, 1) + CASE WHEN w.items_source = 'endpoint' THEN w.orders ELSE 0 END
FROM sync_windows AS w
WHERE w.window_date BETWEEN $start AND $end;
