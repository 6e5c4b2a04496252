-- One row per order with the derived fields every report shares, so that each rule lives once:
-- the API-local order day, payment_state, return_state and the item counts.
--
-- payment_state groups financial_status (see enums.FINANCIAL_STATUSES):
--   paid     paid (money received)
--   unpaid   pending, cod, remitted, failed (money not received, or never will be)
--   refund   pending_refund, pending_partial_refund, partial_refunded, refunded
--   unknown  NULL or a value outside the published list
-- return_state groups return_status (terminal sets: enums.TERMINAL_STATUSES):
--   none               NULL or no_need (no return was ever started)
--   refused            refused
--   returned           returned
--   partially_returned partial_return
--   open               any other value, unknown ones included (a return still in flight)
CREATE OR REPLACE VIEW orders_enriched AS
WITH item_totals AS (
    SELECT
        order_id,
        count(*) AS item_lines,
        CAST(coalesce(sum(quantity), 0) AS BIGINT) AS units
    FROM order_items
    GROUP BY order_id
)
SELECT
    o.id,
    o.order_number,
    o.order_source,
    o.contact_id,
    o.order_created_at,
    -- order_created_at is API-local wall-clock time, so its date is the API-local day; an
    -- unparseable time falls back to the day window the API listed the order under.
    coalesce(CAST(o.order_created_at AS DATE), o.window_date) AS order_day,
    o.order_created_at_utc,
    o.financial_status,
    o.fulfillment_status,
    o.return_status,
    CASE
        WHEN o.financial_status = 'paid' THEN 'paid'
        WHEN o.financial_status IN ('pending', 'cod', 'remitted', 'failed') THEN 'unpaid'
        WHEN o.financial_status IN (
            'pending_refund', 'pending_partial_refund', 'partial_refunded', 'refunded'
        ) THEN 'refund'
        ELSE 'unknown'
    END AS payment_state,
    CASE
        WHEN o.return_status IS NULL OR o.return_status = 'no_need' THEN 'none'
        WHEN o.return_status = 'refused' THEN 'refused'
        WHEN o.return_status = 'returned' THEN 'returned'
        WHEN o.return_status = 'partial_return' THEN 'partially_returned'
        ELSE 'open'
    END AS return_state,
    o.subtotal_price,
    o.total_discount,
    o.shipping_fee,
    o.total_tax,
    o.total_price,
    coalesce(i.item_lines, 0) AS item_lines,
    coalesce(i.units, 0) AS units,
    o.updated_at_utc
FROM orders AS o
LEFT JOIN item_totals AS i ON i.order_id = o.id;
