-- The published enumerations (bound from orders_connector/enums.py) into the three status dims.
-- Unknown values seen earlier stay; a value the list gains becomes known, one it drops unknown.
INSERT INTO financial_statuses (code, label, is_known, first_seen, order_count)
SELECT unnest($financial_codes::VARCHAR[]), unnest($financial_labels::VARCHAR[]), true, NULL, 0
ON CONFLICT (code) DO UPDATE SET label = excluded.label, is_known = true;

UPDATE financial_statuses SET is_known = false, label = NULL
WHERE is_known AND NOT list_contains($financial_codes::VARCHAR[], code);

INSERT INTO fulfillment_statuses (code, label, is_known, first_seen, order_count)
SELECT unnest($fulfillment_codes::VARCHAR[]), unnest($fulfillment_labels::VARCHAR[]), true, NULL, 0
ON CONFLICT (code) DO UPDATE SET label = excluded.label, is_known = true;

UPDATE fulfillment_statuses SET is_known = false, label = NULL
WHERE is_known AND NOT list_contains($fulfillment_codes::VARCHAR[], code);

INSERT INTO return_statuses (code, label, is_known, first_seen, order_count)
SELECT unnest($return_codes::VARCHAR[]), unnest($return_labels::VARCHAR[]), true, NULL, 0
ON CONFLICT (code) DO UPDATE SET label = excluded.label, is_known = true;

UPDATE return_statuses SET is_known = false, label = NULL
WHERE is_known AND NOT list_contains($return_codes::VARCHAR[], code);
