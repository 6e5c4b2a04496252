-- Per connection: TIMESTAMPTZ values come back to Python as UTC instants.
SET TimeZone = 'UTC';

-- Each window lands in its own transaction. At DuckDB's default 16MB WAL threshold nearly every
-- landing checkpoints, and each checkpoint re-merges and re-compresses the row groups written so
-- far (landing 1M orders spent most of its CPU there). Checkpoints now come every ~1GB of WAL
-- and when the last connection closes.
SET checkpoint_threshold = '1GB';

-- Nothing here reads a table in the order its rows went in (every report and check sorts or
-- aggregates). Keeping that order makes DuckDB insert with one thread: the staging inserts of 1M
-- orders / 3M items took twice as long with it.
SET preserve_insertion_order = false;
