-- Row counts printed by `orders-connector demo`.
SELECT
    (SELECT count(*) FROM orders),
    (SELECT count(*) FROM order_items),
    (SELECT count(*) FROM products),
    (SELECT count(*) FROM order_data_issues),
    (SELECT count(*) FROM order_status_history);
