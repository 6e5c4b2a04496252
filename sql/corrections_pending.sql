-- Every correction row that asks for at least one field, oldest request first.
SELECT
    order_id,
    financial_status,
    fulfillment_status,
    return_status,
    reason,
    requested_at,
    expected_financial_status,
    expected_fulfillment_status,
    expected_return_status
FROM order_status_corrections
WHERE financial_status IS NOT NULL
    OR fulfillment_status IS NOT NULL
    OR return_status IS NOT NULL
ORDER BY requested_at NULLS FIRST, order_id;
