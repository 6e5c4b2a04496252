-- Replace one day window's raw rows with a new landing, in the caller's transaction.
-- $orders_path / $rejected_path: NDJSON files the warehouse wrote; values never enter the text.
DELETE FROM raw_orders WHERE window_date = $window_date;

DELETE FROM raw_rejected WHERE window_date = $window_date;

-- Their staged rows go with them; the landing stages the new rows right after it commits.
DELETE FROM staging.orders WHERE window_date = $window_date;

DELETE FROM staging.items WHERE window_date = $window_date;

INSERT INTO raw_orders (window_date, order_id, payload, fetched_at, content_hash)
SELECT $window_date::DATE, order_id, payload, $fetched_at::TIMESTAMPTZ, content_hash
-- One line is one order: 16 MB is far beyond any real one, and DuckDB reserves twice this
-- per scan inside its memory limit.
FROM read_json(
    $orders_path,
    format = 'newline_delimited',
    columns = {order_id: 'BIGINT', content_hash: 'VARCHAR', payload: 'JSON'},
    maximum_object_size = 16777216
);

INSERT INTO raw_rejected (window_date, payload, reason, fetched_at)
SELECT $window_date::DATE, payload, reason, $fetched_at::TIMESTAMPTZ
FROM read_json(
    $rejected_path,
    format = 'newline_delimited',
    columns = {reason: 'VARCHAR', payload: 'JSON'},
    maximum_object_size = 16777216
);

INSERT OR REPLACE INTO sync_windows (
    window_date, synced_at, meta_total, fetched_ids, orders, items, pages, requests, retries,
    throttled, drift_rereads, seconds, items_source, open_orders, rejected
)
VALUES (
    $window_date::DATE,
    $fetched_at::TIMESTAMPTZ,
    CAST($meta_total AS INTEGER),
    CAST($fetched_ids AS INTEGER),
    CAST($orders AS INTEGER),
    CAST($items AS INTEGER),
    CAST($pages AS INTEGER),
    CAST($requests AS INTEGER),
    CAST($retries AS INTEGER),
    CAST($throttled AS INTEGER),
    CAST($drift_rereads AS INTEGER),
    CAST($seconds AS DOUBLE),
    CAST($items_source AS VARCHAR),
    CAST($open_orders AS INTEGER),
    CAST($rejected AS INTEGER)
);
