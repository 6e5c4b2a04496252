-- The local copy of an order takes the statuses the API confirmed after a write-back.
UPDATE orders
SET financial_status = $financial_status,
    fulfillment_status = $fulfillment_status,
    return_status = $return_status
WHERE id = $order_id
RETURNING id;
