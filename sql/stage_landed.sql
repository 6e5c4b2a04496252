-- The raw rows of the windows just landed, for stage_raw.sql.
CREATE OR REPLACE TEMP TABLE stage_todo AS
SELECT window_date, order_id FROM raw_orders WHERE list_contains($window_dates, window_date);
