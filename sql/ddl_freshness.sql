-- Which status codes are terminal (see orders_connector/enums.py TERMINAL_STATUSES for why).
CREATE TABLE IF NOT EXISTS status_terminal (
    kind VARCHAR NOT NULL,
    code VARCHAR NOT NULL,
    PRIMARY KEY (kind, code)
);

-- Orders that can still change: any status field holds a non-terminal value. A NULL payment or
-- fulfillment status counts as open; a NULL return status means no return was ever started.
CREATE OR REPLACE VIEW open_orders AS
SELECT o.*
FROM orders AS o
WHERE NOT (
    coalesce(o.financial_status IN (
        SELECT code FROM status_terminal WHERE kind = 'financial_status'), false)
    AND coalesce(o.fulfillment_status IN (
        SELECT code FROM status_terminal WHERE kind = 'fulfillment_status'), false)
    AND (o.return_status IS NULL OR o.return_status IN (
        SELECT code FROM status_terminal WHERE kind = 'return_status'))
);
