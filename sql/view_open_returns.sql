-- Orders whose return is still in flight (return_state 'open'), and since when at least.
--
-- status_since is an upper bound on when the order entered its current return_status, the
-- earlier of: the first observation (sync or write-back) that showed the status without a
-- change since, and the order's record updated_at (the CRM bumps it on every change, status
-- changes included). days_in_status is therefore a lower bound: "at least this long".
CREATE OR REPLACE VIEW open_returns AS
WITH history AS (
    SELECT
        order_id,
        seq,
        observed_at,
        row_number() OVER w = 1
        OR return_status IS DISTINCT FROM lag(return_status) OVER w AS is_entry
    FROM order_status_history
    WINDOW w AS (PARTITION BY order_id ORDER BY seq)
),
entered AS (
    SELECT order_id, arg_max(observed_at, seq) AS status_observed_since
    FROM history
    WHERE is_entry
    GROUP BY order_id
),
open AS (
    SELECT
        o.id AS order_id,
        o.order_number,
        o.order_source,
        o.contact_id,
        o.order_created_at,
        o.return_status,
        o.fulfillment_status,
        o.financial_status,
        e.status_observed_since,
        o.updated_at_utc,
        least(e.status_observed_since, o.updated_at_utc) AS status_since
    FROM orders_enriched AS o
    LEFT JOIN entered AS e ON e.order_id = o.id
    WHERE o.return_state = 'open'
)
SELECT
    *,
    epoch(current_timestamp - status_since) / 86400.0 AS days_in_status
FROM open;
