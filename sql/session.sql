-- Per connection: TIMESTAMPTZ values come back to Python as UTC instants.
SET TimeZone = 'UTC';

-- Each window lands in its own transaction. At DuckDB's default 16MB WAL threshold nearly every
-- landing checkpoints, and each checkpoint re-merges and re-compresses the row groups written so
-- far (landing 1M orders spent most of its CPU there). Checkpoints now come every ~1GB of WAL
-- and when the last connection closes.
SET checkpoint_threshold = '1GB';
