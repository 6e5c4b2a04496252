-- How long orders hold a status before it changes, from order_status_history: per status field
-- and observed change from_status -> to_status, the number of changes and the median hours
-- between the observation that first showed from_status and the one that showed to_status.
-- Times are observation times (syncs, write-backs): a status the order already had when it was
-- first synced is measured from that first sync, and a change is dated by the sync that saw it.
CREATE OR REPLACE VIEW order_status_durations AS
WITH observed AS (
    SELECT order_id, seq, observed_at, 'financial_status' AS status_field,
        financial_status AS status
    FROM order_status_history
    UNION ALL
    SELECT order_id, seq, observed_at, 'fulfillment_status', fulfillment_status
    FROM order_status_history
    UNION ALL
    SELECT order_id, seq, observed_at, 'return_status', return_status
    FROM order_status_history
),
flagged AS (
    SELECT
        *,
        row_number() OVER w = 1
        OR status IS DISTINCT FROM lag(status) OVER w AS is_entry
    FROM observed
    WINDOW w AS (PARTITION BY order_id, status_field ORDER BY seq)
),
stints AS (
    SELECT
        status_field,
        status AS from_status,
        lead(status) OVER w AS to_status,
        epoch(lead(observed_at) OVER w - observed_at) / 3600.0 AS hours,
        lead(seq) OVER w AS next_seq
    FROM flagged
    WHERE is_entry
    WINDOW w AS (PARTITION BY order_id, status_field ORDER BY seq)
)
SELECT
    status_field,
    from_status,
    to_status,
    count(*) AS changes,
    median(hours) AS median_hours
FROM stints
WHERE next_seq IS NOT NULL
GROUP BY status_field, from_status, to_status;
