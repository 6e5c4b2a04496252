-- Replace the raw rows of one or more day windows in one go, in the caller's transaction (the
-- windows one search read land together).
-- $orders_path / $rejected_path / $windows_path: NDJSON files the warehouse wrote (one line per
-- order, rejected payload and window, each naming its window); values never enter the text.
DELETE FROM raw_orders WHERE list_contains($window_dates, window_date);

DELETE FROM raw_rejected WHERE list_contains($window_dates, window_date);

-- Their staged rows go with them; the landing stages the new rows right after it commits.
DELETE FROM staging.orders WHERE list_contains($window_dates, window_date);

DELETE FROM staging.items WHERE list_contains($window_dates, window_date);

INSERT INTO raw_orders (window_date, order_id, payload, fetched_at, content_hash)
SELECT window_date, order_id, payload, fetched_at, content_hash
-- One line is one order: 16 MB is far beyond any real one, and DuckDB reserves twice this
-- per scan inside its memory limit.
FROM read_json(
    $orders_path,
    format = 'newline_delimited',
    columns = {
        window_date: 'DATE',
        fetched_at: 'TIMESTAMPTZ',
        order_id: 'BIGINT',
        content_hash: 'VARCHAR',
        payload: 'JSON'
    },
    maximum_object_size = 16777216
);

INSERT INTO raw_rejected (window_date, payload, reason, fetched_at)
SELECT window_date, payload, reason, fetched_at
FROM read_json(
    $rejected_path,
    format = 'newline_delimited',
    columns = {window_date: 'DATE', fetched_at: 'TIMESTAMPTZ', reason: 'VARCHAR', payload: 'JSON'},
    maximum_object_size = 16777216
);

INSERT OR REPLACE INTO sync_windows (
    window_date, synced_at, meta_total, fetched_ids, orders, items, pages, requests, retries,
    throttled, drift_rereads, seconds, items_source, open_orders, rejected
)
SELECT
    window_date, synced_at, meta_total, fetched_ids, orders, items, pages, requests, retries,
    throttled, drift_rereads, seconds, items_source, open_orders, rejected
FROM read_json(
    $windows_path,
    format = 'newline_delimited',
    columns = {
        window_date: 'DATE',
        synced_at: 'TIMESTAMPTZ',
        meta_total: 'INTEGER',
        fetched_ids: 'INTEGER',
        orders: 'INTEGER',
        items: 'INTEGER',
        pages: 'INTEGER',
        requests: 'INTEGER',
        retries: 'INTEGER',
        throttled: 'INTEGER',
        drift_rereads: 'INTEGER',
        seconds: 'DOUBLE',
        items_source: 'VARCHAR',
        open_orders: 'INTEGER',
        rejected: 'INTEGER'
    }
);
