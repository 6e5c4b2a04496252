-- Upsert the staged orders; drop orders whose raw rows are all gone (they left these windows
-- and were landed nowhere else). $tz is the API's timezone for the *_utc columns.
CREATE OR REPLACE TEMP TABLE nz_removed AS
SELECT order_id FROM nz_affected
EXCEPT
SELECT order_id FROM nz_orders;

DELETE FROM order_items WHERE order_id IN (SELECT order_id FROM nz_removed);

DELETE FROM orders WHERE id IN (SELECT order_id FROM nz_removed);

INSERT OR REPLACE INTO orders (
    id, order_number, order_source, contact_id, order_name, receiver_name, receiver_address,
    receiver_phone, subtotal_price, total_discount, shipping_fee, total_tax, total_price,
    financial_status, fulfillment_status, return_status, note, extra_info,
    order_created_at, order_updated_at, created_at, updated_at,
    order_created_at_utc, order_updated_at_utc, created_at_utc, updated_at_utc,
    window_date, item_count, synced_at, content_hash
)
SELECT
    order_id,
    CASE WHEN list_contains(nonstring_fields, 'order_number') THEN NULL ELSE order_number END,
    CASE WHEN list_contains(nonstring_fields, 'order_source') THEN NULL ELSE order_source END,
    nz_int(contact_id),
    CASE WHEN list_contains(nonstring_fields, 'order_name') THEN NULL ELSE order_name END,
    CASE WHEN list_contains(nonstring_fields, 'receiver_name') THEN NULL ELSE receiver_name END,
    CASE
        WHEN list_contains(nonstring_fields, 'receiver_address') THEN NULL
        ELSE receiver_address
    END,
    CASE WHEN list_contains(nonstring_fields, 'receiver_phone') THEN NULL ELSE receiver_phone END,
    nz_money(subtotal_price),
    nz_money(total_discount),
    nz_money(shipping_fee),
    nz_money(total_tax),
    nz_money(total_price),
    CASE
        WHEN list_contains(nonstring_fields, 'financial_status') OR nz_blank(financial_status)
        THEN NULL
        ELSE financial_status
    END,
    CASE
        WHEN list_contains(nonstring_fields, 'fulfillment_status') OR nz_blank(fulfillment_status)
        THEN NULL
        ELSE fulfillment_status
    END,
    CASE
        WHEN list_contains(nonstring_fields, 'return_status') OR nz_blank(return_status)
        THEN NULL
        ELSE return_status
    END,
    CASE WHEN list_contains(nonstring_fields, 'note') THEN NULL ELSE note END,
    CASE WHEN list_contains(nonstring_fields, 'extra_info') THEN NULL ELSE extra_info END,
    nz_ts(order_created_at),
    nz_ts(order_updated_at),
    nz_ts(created_at),
    nz_ts(updated_at),
    timezone($tz::VARCHAR, nz_ts(order_created_at)),
    timezone($tz::VARCHAR, nz_ts(order_updated_at)),
    timezone($tz::VARCHAR, nz_ts(created_at)),
    timezone($tz::VARCHAR, nz_ts(updated_at)),
    window_date,
    len(items)::INTEGER,
    fetched_at,
    content_hash
FROM nz_orders;
