-- Order ids that appear more than once in `orders`, or whose raw rows sit in more than one
-- of the run's windows (an order must belong to exactly one order_created_at day).
SELECT
    (SELECT count(*) - count(DISTINCT id) FROM orders) AS duplicate_order_rows,
    (
        SELECT count(*) FROM (
            SELECT order_id
            FROM raw_orders
            WHERE order_id IN (
                SELECT order_id FROM raw_orders WHERE window_date BETWEEN $start AND $end
            )
            GROUP BY order_id
            HAVING count(DISTINCT window_date) > 1
        )
    ) AS ids_in_several_windows;
