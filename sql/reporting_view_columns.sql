-- The columns of one view or table as the database reports them, in order.
SELECT column_name, data_type
FROM information_schema.columns
WHERE table_name = $name AND table_schema = current_schema()
ORDER BY ordinal_position;
