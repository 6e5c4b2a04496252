-- Append a history row for every staged order whose statuses differ from its last history row
-- (or that has none yet). $observed_at NULL means "when the payload was fetched".
CREATE OR REPLACE TEMP TABLE nz_history AS
SELECT
    o.order_id,
    coalesce($observed_at::TIMESTAMPTZ, o.fetched_at) AS observed_at,
    o.financial_status,
    o.fulfillment_status,
    o.return_status,
    last.statuses.financial_status AS previous_financial_status,
    last.statuses.fulfillment_status AS previous_fulfillment_status,
    last.statuses.return_status AS previous_return_status,
    $source::VARCHAR AS source
FROM nz_orders AS o
LEFT JOIN (
    SELECT
        order_id,
        arg_max(
            {
                'financial_status': financial_status,
                'fulfillment_status': fulfillment_status,
                'return_status': return_status
            },
            seq
        ) AS statuses
    FROM order_status_history
    WHERE order_id IN (SELECT order_id FROM nz_orders)
    GROUP BY order_id
) AS last ON last.order_id = o.order_id
WHERE last.order_id IS NULL
    OR o.financial_status IS DISTINCT FROM last.statuses.financial_status
    OR o.fulfillment_status IS DISTINCT FROM last.statuses.fulfillment_status
    OR o.return_status IS DISTINCT FROM last.statuses.return_status;

INSERT INTO order_status_history (
    order_id, observed_at, financial_status, fulfillment_status, return_status,
    previous_financial_status, previous_fulfillment_status, previous_return_status, source
)
SELECT
    order_id, observed_at, financial_status, fulfillment_status, return_status,
    previous_financial_status, previous_fulfillment_status, previous_return_status, source
-- No ORDER BY: seq only orders the rows of one order, and each normalize adds at most one row
-- per order; sorting 1M rows made this the slowest step but two.
FROM nz_history;
