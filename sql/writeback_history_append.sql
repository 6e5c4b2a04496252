-- A status change we made ourselves, marked 'writeback'. Normalization compares each order with
-- its latest history row (highest seq): the next sync then sees these same statuses and does not
-- count our change as one coming from the source.
INSERT INTO order_status_history (
    order_id, observed_at, financial_status, fulfillment_status, return_status,
    previous_financial_status, previous_fulfillment_status, previous_return_status, source
)
SELECT
    $order_id, $observed_at, $financial_status, $fulfillment_status, $return_status,
    latest.financial_status, latest.fulfillment_status, latest.return_status, 'writeback'
FROM (SELECT 1) AS one
LEFT JOIN (
    SELECT financial_status, fulfillment_status, return_status
    FROM order_status_history
    WHERE order_id = $order_id
    ORDER BY seq DESC
    LIMIT 1
) AS latest ON true;
