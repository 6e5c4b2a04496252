-- Items whose order is not in `orders`.
SELECT count(*) AS orphan_items, count(DISTINCT i.order_id) AS missing_orders
FROM order_items AS i
LEFT JOIN orders AS o ON o.id = i.order_id
WHERE o.id IS NULL;
