-- Targets that a run verified, or found already in place, and when it last did so: a correction
-- requested before that moment is settled and is not sent again.
SELECT order_id, field, new_value, max("at") AS settled_at
FROM writeback_log
WHERE outcome IN ('verified', 'skipped_equal') AND new_value IS NOT NULL
GROUP BY order_id, field, new_value;
