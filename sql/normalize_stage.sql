-- Stage the orders of the windows $days: the latest raw row of every id touched, each payload
-- parsed exactly once (json_transform into text fields), items unnested. Later normalize_*.sql
-- files read only these nz_* temp tables, never the payloads again.

-- Parsing rules, inlined by DuckDB wherever they are used.
CREATE OR REPLACE TEMP MACRO nz_blank(v) AS v IS NULL OR trim(v) = '';

CREATE OR REPLACE TEMP MACRO nz_money(v) AS TRY_CAST(v AS DECIMAL(18, 2));

-- TRY_CAST('12.5' AS BIGINT) rounds to 13; a fraction has to make the value invalid instead.
CREATE OR REPLACE TEMP MACRO nz_int(v) AS CASE
    WHEN NOT contains(v, '.') THEN TRY_CAST(v AS BIGINT)
    WHEN TRY_CAST(v AS DECIMAL(38, 10)) = TRY_CAST(v AS BIGINT) THEN TRY_CAST(v AS BIGINT)
END;

CREATE OR REPLACE TEMP MACRO nz_int32(v) AS TRY_CAST(nz_int(v) AS INTEGER);

CREATE OR REPLACE TEMP MACRO nz_ts(v) AS try_strptime(v, '%Y-%m-%d %H:%M:%S');

-- json_transform renders an object or list as JSON text where text was asked for: such a value
-- starts with '{' or '[', and only those rows pay for asking the payload for the real type.
CREATE OR REPLACE TEMP MACRO nz_nested(v) AS left(v, 1) IN ('{', '[');

CREATE OR REPLACE TEMP MACRO nz_container(t) AS t IN ('OBJECT', 'ARRAY');

-- Every order id these windows hold now or held at the last normalize.
CREATE OR REPLACE TEMP TABLE nz_affected AS
SELECT order_id FROM raw_orders WHERE list_contains($days::DATE[], window_date)
UNION
SELECT id FROM orders WHERE list_contains($days::DATE[], window_date);

-- An id can sit in two windows when its order_created_at moved: the latest fetch wins.
CREATE OR REPLACE TEMP TABLE nz_orders AS
WITH latest AS (
    SELECT window_date, order_id
    FROM raw_orders
    WHERE order_id IN (SELECT order_id FROM nz_affected)
    QUALIFY row_number() OVER (
        PARTITION BY order_id ORDER BY fetched_at DESC, window_date DESC
    ) = 1
),
parsed AS (
    SELECT
        r.window_date,
        r.order_id,
        r.fetched_at,
        r.content_hash,
        r.payload,
        json_transform(r.payload, '{
            "order_source": "VARCHAR", "order_number": "VARCHAR", "contact_id": "VARCHAR",
            "order_name": "VARCHAR", "receiver_name": "VARCHAR", "receiver_address": "VARCHAR",
            "receiver_phone": "VARCHAR", "subtotal_price": "VARCHAR", "total_discount": "VARCHAR",
            "shipping_fee": "VARCHAR", "total_tax": "VARCHAR", "total_price": "VARCHAR",
            "financial_status": "VARCHAR", "fulfillment_status": "VARCHAR",
            "return_status": "VARCHAR", "note": "VARCHAR", "extra_info": "VARCHAR",
            "order_created_at": "VARCHAR", "order_updated_at": "VARCHAR",
            "created_at": "VARCHAR", "updated_at": "VARCHAR",
            "items": [{
                "id": "VARCHAR", "quantity": "VARCHAR", "product_id": "VARCHAR",
                "total_price_before_discounts": "VARCHAR", "total_discount": "VARCHAR",
                "total_price_after_discounts": "VARCHAR",
                "created_at": "VARCHAR", "updated_at": "VARCHAR",
                "product": {"id": "VARCHAR", "name": "VARCHAR", "sku": "VARCHAR", "price": "VARCHAR"}
            }]
        }') AS j
    FROM raw_orders AS r
    JOIN latest USING (window_date, order_id)
)
SELECT
    window_date,
    order_id,
    fetched_at,
    content_hash,
    j.order_source,
    j.order_number,
    j.contact_id,
    j.order_name,
    j.receiver_name,
    j.receiver_address,
    j.receiver_phone,
    j.subtotal_price,
    j.total_discount,
    j.shipping_fee,
    j.total_tax,
    j.total_price,
    j.financial_status,
    j.fulfillment_status,
    j.return_status,
    j.note,
    j.extra_info,
    j.order_created_at,
    j.order_updated_at,
    j.created_at,
    j.updated_at,
    j.items,
    -- Text fields whose value is really an object or a list.
    CASE
        WHEN nz_nested(j.order_source) OR nz_nested(j.order_number)
            OR nz_nested(j.order_name) OR nz_nested(j.receiver_name)
            OR nz_nested(j.receiver_address) OR nz_nested(j.receiver_phone)
            OR nz_nested(j.financial_status) OR nz_nested(j.fulfillment_status)
            OR nz_nested(j.return_status) OR nz_nested(j.note) OR nz_nested(j.extra_info)
        THEN list_filter(
            [
                'order_source', 'order_number', 'order_name', 'receiver_name',
                'receiver_address', 'receiver_phone', 'financial_status',
                'fulfillment_status', 'return_status', 'note', 'extra_info'
            ],
            lambda k: nz_container(json_type(payload, '$.' || k))
        )
    END AS nonstring_fields,
    -- items present but not a list (json_transform gave NULL): keep its text for the issue.
    CASE
        WHEN j.items IS NULL AND coalesce(json_type(payload, '$.items'), 'NULL') <> 'NULL'
        THEN json_extract_string(payload, '$.items')
    END AS items_not_a_list,
    -- Items that may not be objects, or whose product may not be one: json_transform turns a
    -- scalar into a struct of NULLs, so only all-NULL structs need their real type looked up.
    CASE
        WHEN list_bool_or(list_transform(j.items, lambda x: x IS NOT NULL AND (
            (x.id IS NULL AND x.quantity IS NULL AND x.product_id IS NULL
                AND x.total_price_before_discounts IS NULL AND x.total_discount IS NULL
                AND x.total_price_after_discounts IS NULL AND x.created_at IS NULL
                AND x.updated_at IS NULL AND x.product IS NULL)
            OR (x.product.id IS NULL AND x.product.name IS NULL AND x.product.sku IS NULL
                AND x.product.price IS NULL)
            OR nz_nested(x.product.name) OR nz_nested(x.product.sku)
        )))
        THEN list_transform(range(len(j.items)), lambda i: {
            'item_type': json_type(payload, '$.items[' || i || ']'),
            'item_text': json_extract_string(payload, '$.items[' || i || ']'),
            'product_type': json_type(payload, '$.items[' || i || '].product'),
            'product_text': json_extract_string(payload, '$.items[' || i || '].product'),
            'name_type': json_type(payload, '$.items[' || i || '].product.name'),
            'sku_type': json_type(payload, '$.items[' || i || '].product.sku')
        })
    END AS item_shapes
FROM parsed;

CREATE OR REPLACE TEMP TABLE nz_items AS
SELECT
    order_id,
    window_date,
    fetched_at,
    position,
    item,
    item_shapes[position + 1] AS shape
FROM (
    SELECT
        order_id,
        window_date,
        fetched_at,
        item_shapes,
        unnest(range(len(items)))::INTEGER AS position,
        unnest(items) AS item
    FROM nz_orders
    WHERE len(items) > 0
)
-- A JSON null in the list is no item; a scalar is reported by normalize_issues.sql.
WHERE item IS NOT NULL AND coalesce(item_shapes[position + 1].item_type, 'OBJECT') = 'OBJECT';

CREATE OR REPLACE TEMP TABLE nz_item_shape_issues AS
SELECT order_id, window_date, fetched_at, position, shape
FROM (
    SELECT
        order_id,
        window_date,
        fetched_at,
        unnest(range(len(item_shapes)))::INTEGER AS position,
        unnest(item_shapes) AS shape
    FROM nz_orders
    WHERE item_shapes IS NOT NULL
)
WHERE shape.item_type NOT IN ('OBJECT', 'NULL')
    OR (shape.item_type = 'OBJECT' AND shape.product_type NOT IN ('OBJECT', 'NULL'))
    OR nz_container(shape.name_type)
    OR nz_container(shape.sku_type);
