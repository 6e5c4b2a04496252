-- What the normalize just did, for NormalizeResult.
SELECT
    (SELECT count(*) FROM nz_orders) AS orders,
    (SELECT count(*) FROM nz_items) AS items,
    (SELECT count(*) FROM nz_products) AS products,
    (SELECT count(*) FROM nz_issues) AS issues,
    (SELECT count(*) FROM nz_history) AS status_changes,
    (
        SELECT count(DISTINCT (field, raw_value))
        FROM nz_issues
        WHERE problem = 'unknown_enum'
    ) AS unknown_status_values,
    (SELECT count(*) FROM nz_removed) AS orders_removed;
