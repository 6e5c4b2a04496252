-- A status change we made ourselves, marked 'writeback': the next sync sees the same statuses as
-- this latest history row and does not count the change as coming from the source.
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
    ORDER BY observed_at DESC, seq DESC
    LIMIT 1
) AS latest ON true;
