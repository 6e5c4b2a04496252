-- Corrections that data teams ask write-back to make (see docs/writeback.md).
-- A NULL target leaves that field alone; expected_* (optional) is what the requester believes the
-- live value is now: when the live value differs, the correction is a conflict and is not sent.
-- Rows may stay after they were applied: a target equal to the live value sends nothing.
CREATE TABLE IF NOT EXISTS order_status_corrections (
    order_id BIGINT NOT NULL,
    financial_status VARCHAR,
    fulfillment_status VARCHAR,
    return_status VARCHAR,
    reason VARCHAR,
    requested_at TIMESTAMPTZ DEFAULT current_timestamp,
    expected_financial_status VARCHAR,
    expected_fulfillment_status VARCHAR,
    expected_return_status VARCHAR
);
