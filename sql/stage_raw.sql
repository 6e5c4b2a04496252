-- Parse and type the raw rows listed in the temp table stage_todo (window_date, order_id) into
-- staging.orders and staging.items, each payload parsed exactly once (json_transform into text
-- fields, then typed by the rules of parse_rules.sql). The landing runs this for the windows it
-- just landed; the normalize runs it for any raw row still missing its staged row.

CREATE OR REPLACE TEMP TABLE stage_parsed AS
WITH parsed AS (
    SELECT
        r.window_date,
        r.order_id,
        r.fetched_at,
        r.content_hash,
        r.payload,
        nz_payload(r.payload) AS j
    FROM raw_orders AS r
    JOIN stage_todo USING (window_date, order_id)
),
shaped AS (
    SELECT
        window_date,
        order_id,
        fetched_at,
        content_hash,
        j,
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
        -- scalar into a struct of NULLs, so only such all-NULL items or products (and nested
        -- product names / SKUs) need their real types looked up in the payload.
        CASE
            WHEN list_bool_or(list_transform(j.items, lambda x: x IS NOT NULL AND (
                (x.id IS NULL AND x.product_id IS NULL AND x.product IS NULL)
                OR (x.product.id IS NULL AND x.product.name IS NULL AND x.product IS NOT NULL)
                OR nz_nested(x.product.name)
                OR nz_nested(x.product.sku)
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
    FROM parsed
),
typed AS (
    SELECT
        *,
        nz_int(j.contact_id) AS contact_id,
        nz_money(j.subtotal_price) AS subtotal_price,
        nz_money(j.total_discount) AS total_discount,
        nz_money(j.shipping_fee) AS shipping_fee,
        nz_money(j.total_tax) AS total_tax,
        nz_money(j.total_price) AS total_price,
        nz_ts(j.order_created_at) AS order_created_at,
        nz_ts(j.order_updated_at) AS order_updated_at,
        nz_ts(j.created_at) AS created_at,
        nz_ts(j.updated_at) AS updated_at
    FROM shaped
)
SELECT
    order_id,
    window_date,
    fetched_at,
    content_hash,
    CASE WHEN list_contains(nonstring_fields, 'order_number') THEN NULL ELSE j.order_number END
        AS order_number,
    CASE WHEN list_contains(nonstring_fields, 'order_source') THEN NULL ELSE j.order_source END
        AS order_source,
    contact_id,
    CASE WHEN list_contains(nonstring_fields, 'order_name') THEN NULL ELSE j.order_name END
        AS order_name,
    CASE WHEN list_contains(nonstring_fields, 'receiver_name') THEN NULL ELSE j.receiver_name END
        AS receiver_name,
    CASE
        WHEN list_contains(nonstring_fields, 'receiver_address') THEN NULL
        ELSE j.receiver_address
    END AS receiver_address,
    CASE
        WHEN list_contains(nonstring_fields, 'receiver_phone') THEN NULL
        ELSE j.receiver_phone
    END AS receiver_phone,
    subtotal_price,
    total_discount,
    shipping_fee,
    total_tax,
    total_price,
    CASE
        WHEN list_contains(nonstring_fields, 'financial_status') OR nz_blank(j.financial_status)
        THEN NULL
        ELSE j.financial_status
    END AS financial_status,
    CASE
        WHEN list_contains(nonstring_fields, 'fulfillment_status')
            OR nz_blank(j.fulfillment_status)
        THEN NULL
        ELSE j.fulfillment_status
    END AS fulfillment_status,
    CASE
        WHEN list_contains(nonstring_fields, 'return_status') OR nz_blank(j.return_status)
        THEN NULL
        ELSE j.return_status
    END AS return_status,
    CASE WHEN list_contains(nonstring_fields, 'note') THEN NULL ELSE j.note END AS note,
    CASE WHEN list_contains(nonstring_fields, 'extra_info') THEN NULL ELSE j.extra_info END
        AS extra_info,
    order_created_at,
    order_updated_at,
    created_at,
    updated_at,
    len(j.items)::INTEGER AS item_count,
    j.items,
    item_shapes,
    -- The raw text of every field, kept only for the few orders normalize_issues.sql must
    -- report on; clean orders carry NULL here. Items are checked one by one in staging.items.
    CASE
        WHEN nonstring_fields IS NOT NULL
            OR j.items IS NULL
            OR item_shapes IS NOT NULL
            OR nz_bad(contact_id, j.contact_id)
            OR nz_bad(subtotal_price, j.subtotal_price)
            OR nz_bad(total_discount, j.total_discount)
            OR nz_bad(shipping_fee, j.shipping_fee)
            OR nz_bad(total_tax, j.total_tax)
            OR nz_bad(total_price, j.total_price)
            OR order_created_at IS NULL
            OR CAST(order_created_at AS DATE) <> window_date
            OR nz_bad(order_updated_at, j.order_updated_at)
            OR nz_bad(created_at, j.created_at)
            OR nz_bad(updated_at, j.updated_at)
        THEN j
    END AS raw,
    nonstring_fields,
    items_not_a_list
FROM typed;

INSERT INTO staging.orders BY NAME
SELECT * EXCLUDE (items) FROM stage_parsed;

-- One row per item object, typed; `raw_item` keeps the text only where a value did not parse.
INSERT INTO staging.items BY NAME
WITH listed AS (
    SELECT order_id, window_date, fetched_at, position, item, item_shapes[position + 1] AS shape
    FROM (
        SELECT
            order_id,
            window_date,
            fetched_at,
            unnest(range(len(items)))::INTEGER AS position,
            unnest(items) AS item,
            item_shapes
        FROM stage_parsed
        WHERE len(items) > 0
    )
),
typed AS (
    SELECT
        order_id,
        window_date,
        fetched_at,
        position,
        item,
        shape,
        nz_int(item.id) AS id,
        nz_int(item.product_id) AS product_id,
        nz_int32(item.quantity) AS quantity,
        nz_money(item.total_price_before_discounts) AS total_price_before_discounts,
        nz_money(item.total_discount) AS total_discount,
        nz_money(item.total_price_after_discounts) AS total_price_after_discounts,
        CASE WHEN nz_container(shape.name_type) THEN NULL ELSE item.product.name END
            AS product_name,
        CASE WHEN nz_container(shape.sku_type) THEN NULL ELSE item.product.sku END
            AS product_sku,
        nz_ts(item.created_at) AS created_at,
        nz_ts(item.updated_at) AS updated_at,
        nz_int(item.product.id) AS product_ref_id,
        nz_money(item.product.price) AS product_price
    FROM listed
    -- A JSON null in the list is no item; a scalar is reported by normalize_issues.sql.
    WHERE item IS NOT NULL AND coalesce(shape.item_type, 'OBJECT') = 'OBJECT'
)
SELECT
    order_id,
    window_date,
    fetched_at,
    position,
    id,
    product_id,
    quantity,
    total_price_before_discounts,
    total_discount,
    total_price_after_discounts,
    product_name,
    product_sku,
    created_at,
    updated_at,
    product_ref_id,
    product_price,
    CASE
        WHEN nz_bad(id, item.id)
            OR nz_bad(product_id, item.product_id)
            OR nz_bad(quantity, item.quantity)
            OR nz_bad(total_price_before_discounts, item.total_price_before_discounts)
            OR nz_bad(total_discount, item.total_discount)
            OR nz_bad(total_price_after_discounts, item.total_price_after_discounts)
            OR nz_bad(created_at, item.created_at)
            OR nz_bad(updated_at, item.updated_at)
            OR nz_bad(product_ref_id, item.product.id)
            OR nz_bad(product_price, item.product.price)
        THEN item
    END AS raw_item
FROM typed;

DROP TABLE stage_parsed;

DROP TABLE stage_todo;
