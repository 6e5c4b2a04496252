-- One row when the warehouse has a writeback_log table (a read-only open cannot create it).
SELECT 1 FROM information_schema.tables WHERE table_name = 'writeback_log';
