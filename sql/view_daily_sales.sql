-- Sales per API-local order day and order_source. Money sums skip amounts that could not be
-- parsed (see order_data_issues); the four payment columns add up to net.
CREATE OR REPLACE VIEW daily_sales AS
SELECT
    order_day,
    order_source,
    count(*) AS orders,
    CAST(sum(item_lines) AS BIGINT) AS item_lines,
    CAST(sum(units) AS BIGINT) AS units,
    coalesce(sum(subtotal_price), 0) AS gross,
    coalesce(sum(total_discount), 0) AS discounts,
    coalesce(sum(shipping_fee), 0) AS shipping,
    coalesce(sum(total_tax), 0) AS tax,
    coalesce(sum(total_price), 0) AS net,
    count(*) FILTER (WHERE payment_state = 'paid') AS paid_orders,
    coalesce(sum(total_price) FILTER (WHERE payment_state = 'paid'), 0) AS paid_net,
    count(*) FILTER (WHERE payment_state = 'unpaid') AS unpaid_orders,
    coalesce(sum(total_price) FILTER (WHERE payment_state = 'unpaid'), 0) AS unpaid_net,
    count(*) FILTER (WHERE payment_state = 'refund') AS refund_orders,
    coalesce(sum(total_price) FILTER (WHERE payment_state = 'refund'), 0) AS refund_net,
    count(*) FILTER (WHERE payment_state = 'unknown') AS unknown_payment_orders,
    coalesce(sum(total_price) FILTER (WHERE payment_state = 'unknown'), 0) AS unknown_payment_net
FROM orders_enriched
GROUP BY order_day, order_source;
