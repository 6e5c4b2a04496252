-- Windows of the run that landed fewer distinct ids than the API's meta.total said it holds.
SELECT window_date, meta_total, fetched_ids
FROM sync_windows
WHERE window_date BETWEEN $start AND $end
  AND fetched_ids < meta_total
ORDER BY window_date;
