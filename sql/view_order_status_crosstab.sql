-- Orders per (financial_status, fulfillment_status) pair, NULLs included, and the pair's share of
-- all orders: pivot it in the BI tool for the cross-tab.
CREATE OR REPLACE VIEW order_status_crosstab AS
SELECT
    financial_status,
    fulfillment_status,
    count(*) AS orders,
    count(*) / sum(count(*)) OVER () AS share
FROM orders
GROUP BY financial_status, fulfillment_status;
