-- Upsert the staged orders; drop orders whose raw rows are all gone (they left these windows
-- and were landed nowhere else). $tz is the API's timezone for the *_utc columns.
CREATE OR REPLACE TEMP TABLE nz_removed AS
SELECT order_id FROM nz_affected
EXCEPT
SELECT order_id FROM nz_orders;

DELETE FROM order_items WHERE order_id IN (SELECT order_id FROM nz_removed);

-- Delete and insert rather than INSERT OR REPLACE: the same upsert at about half the cost.
DELETE FROM orders WHERE id IN (SELECT order_id FROM nz_affected);

INSERT INTO orders (
    id, order_number, order_source, contact_id, order_name, receiver_name, receiver_address,
    receiver_phone, subtotal_price, total_discount, shipping_fee, total_tax, total_price,
    financial_status, fulfillment_status, return_status, note, extra_info,
    order_created_at, order_updated_at, created_at, updated_at,
    order_created_at_utc, order_updated_at_utc, created_at_utc, updated_at_utc,
    window_date, item_count, synced_at, content_hash
)
SELECT
    order_id,
    order_number,
    order_source,
    contact_id,
    order_name,
    receiver_name,
    receiver_address,
    receiver_phone,
    subtotal_price,
    total_discount,
    shipping_fee,
    total_tax,
    total_price,
    financial_status,
    fulfillment_status,
    return_status,
    note,
    extra_info,
    order_created_at,
    order_updated_at,
    created_at,
    updated_at,
    timezone($tz::VARCHAR, order_created_at),
    timezone($tz::VARCHAR, order_updated_at),
    timezone($tz::VARCHAR, created_at),
    timezone($tz::VARCHAR, updated_at),
    window_date,
    item_count,
    fetched_at,
    content_hash
FROM nz_staged_orders;
