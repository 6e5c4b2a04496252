-- The parsing rules, as macros DuckDB inlines wherever they are used: nz_payload (a payload's
-- one parse) and the typing of its text values. stage_raw.sql types with them and
-- normalize_issues.sql names what they rejected; the warehouse runs this file before either.

CREATE OR REPLACE TEMP MACRO nz_blank(v) AS v IS NULL OR trim(v) = '';

-- TRY_CAST('1.005' AS DECIMAL(18, 2)) rounds to 1.01; an amount the column cannot hold exactly
-- has to make the value invalid instead (NULL and an issue), never change it silently.
CREATE OR REPLACE TEMP MACRO nz_money(v) AS CASE
    WHEN TRY_CAST(v AS DECIMAL(38, 10)) = TRY_CAST(v AS DECIMAL(18, 2))
    THEN TRY_CAST(v AS DECIMAL(18, 2))
END;

-- TRY_CAST('12.5' AS BIGINT) rounds to 13; a fraction has to make the value invalid instead.
CREATE OR REPLACE TEMP MACRO nz_int(v) AS CASE
    WHEN NOT contains(v, '.') THEN TRY_CAST(v AS BIGINT)
    WHEN TRY_CAST(v AS DECIMAL(38, 10)) = TRY_CAST(v AS BIGINT) THEN TRY_CAST(v AS BIGINT)
END;

CREATE OR REPLACE TEMP MACRO nz_int32(v) AS TRY_CAST(nz_int(v) AS INTEGER);

-- try_strptime also takes 'infinity' and the like; an API time is exactly 19 characters.
CREATE OR REPLACE TEMP MACRO nz_ts(v) AS CASE
    WHEN length(v) = 19 THEN try_strptime(v, '%Y-%m-%d %H:%M:%S')
END;

-- json_transform renders an object or list as JSON text where text was asked for: such a value
-- starts with '{' or '[', and only those rows pay for asking the payload for the real type.
CREATE OR REPLACE TEMP MACRO nz_nested(v) AS left(v, 1) IN ('{', '[');

CREATE OR REPLACE TEMP MACRO nz_container(t) AS t IN ('OBJECT', 'ARRAY');

-- A value that was there (not null, not blank) and did not parse.
CREATE OR REPLACE TEMP MACRO nz_bad(parsed, raw) AS parsed IS NULL AND NOT nz_blank(raw);

-- Every field the connector reads, as text for the rules above to type: a payload's one parse.
CREATE OR REPLACE TEMP MACRO nz_payload(payload) AS json_transform(payload, '{
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
}');
