-- The audit of every write-back run: one row per (run, order, field) that a correction targets.
-- outcome: dry_run, applied, verified, skipped_equal, conflict, invalid, refused_transition,
-- failed, capped (see docs/writeback.md). http_status is the API's answer when there was one.
CREATE TABLE IF NOT EXISTS writeback_log (
    run_id VARCHAR NOT NULL,
    order_id BIGINT NOT NULL,
    field VARCHAR NOT NULL,
    old_value VARCHAR,
    new_value VARCHAR,
    outcome VARCHAR NOT NULL,
    http_status INTEGER,
    message VARCHAR,
    "at" TIMESTAMPTZ NOT NULL,  -- quoted: AT is a keyword in DuckDB
    PRIMARY KEY (run_id, order_id, field)
);
