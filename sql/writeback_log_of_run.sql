-- The audit rows of one run, in the order a person reads a plan.
SELECT order_id, field, old_value, new_value, outcome, http_status, message, "at"
FROM writeback_log
WHERE run_id = $run_id
ORDER BY order_id, CASE field
    WHEN 'financial_status' THEN 1 WHEN 'fulfillment_status' THEN 2 ELSE 3 END;
