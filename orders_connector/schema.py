"""Every warehouse table's columns: the one list that the DDL, the Dagster column metadata and the
README column dictionary are all checked against.

`sql/ddl.sql` creates the tables; a test reads `information_schema.columns` after
`Warehouse.ensure_schema()` and asserts it equals `TABLES` (names, order, types), so neither side
can drift. Types are spelled as DuckDB reports them in `information_schema.columns.data_type`.

Timestamps: the API sends `YYYY-MM-DD HH:MM:SS` in its local time without an offset. Those land
unchanged as `TIMESTAMP` (API-local wall clock); each has a `*_utc` twin of type `TIMESTAMPTZ`
(an absolute instant, computed in SQL from the configured API timezone). Bookkeeping times
(`fetched_at`, `synced_at`, `observed_at`, `first_seen`, `last_seen`) are instants, `TIMESTAMPTZ`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

TIMESTAMPTZ: Final = "TIMESTAMP WITH TIME ZONE"
MONEY: Final = "DECIMAL(18,2)"


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class TableSchema:
    name: str
    description: str
    primary_key: tuple[str, ...]
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")


def _table(
    name: str, description: str, primary_key: tuple[str, ...], *columns: tuple[str, str, str]
) -> TableSchema:
    return TableSchema(name, description, primary_key, tuple(Column(*c) for c in columns))


def _status_dim(name: str, field: str) -> TableSchema:
    return _table(
        name,
        f"Every `{field}` value: the published enumeration plus each unknown value seen.",
        ("code",),
        ("code", "VARCHAR", f"The `{field}` value as the API sends it"),
        ("label", "VARCHAR", "The vendor's label; NULL for a value outside the published list"),
        ("is_known", "BOOLEAN", "Whether the value is in the vendor's published enumeration"),
        ("first_seen", TIMESTAMPTZ, "Fetch time of the first landed order carrying the value"),
        ("order_count", "BIGINT", "Orders that carry the value now (recounted every normalize)"),
    )


_LOCAL_TS = "API-local time, no offset, as the API sent it"
_UTC_TS = "converted from API-local time with the configured timezone"

TABLES: Final[dict[str, TableSchema]] = {
    t.name: t
    for t in (
        _table(
            "raw_orders",
            "Each order payload exactly as landed, one row per (window, order id).",
            ("window_date", "order_id"),
            ("window_date", "DATE", "API-local day of order_created_at that the sync asked for"),
            ("order_id", "BIGINT", "The payload's `id`"),
            ("payload", "JSON", "The order object as the API returned it (items included)"),
            ("fetched_at", TIMESTAMPTZ, "When the sync fetched the window"),
            ("content_hash", "VARCHAR", "MD5 of the payload's JSON text (change detection)"),
        ),
        _table(
            "raw_rejected",
            "Payloads that could not be keyed by order id, kept so that nothing is lost.",
            (),
            ("window_date", "DATE", "API-local day the sync asked for"),
            ("payload", "JSON", "The payload as the API returned it"),
            ("reason", "VARCHAR", "Why it was not landed in raw_orders"),
            ("fetched_at", TIMESTAMPTZ, "When the sync fetched the window"),
        ),
        _table(
            "sync_windows",
            "The last sync of each day window and what it cost.",
            ("window_date",),
            ("window_date", "DATE", "API-local day of order_created_at"),
            ("synced_at", TIMESTAMPTZ, "When the window's payloads were fetched"),
            ("meta_total", "INTEGER", "`meta.total` the API reported for the window"),
            ("fetched_ids", "INTEGER", "Distinct order ids the pages returned"),
            ("orders", "INTEGER", "Orders landed in raw_orders for the window"),
            ("items", "INTEGER", "Order items carried by the landed orders"),
            ("pages", "INTEGER", "Pages read"),
            ("requests", "INTEGER", "HTTP requests sent, retries included"),
            ("retries", "INTEGER", "Requests that were retried"),
            ("throttled", "INTEGER", "429 answers received"),
            ("drift_rereads", "INTEGER", "Times the window was re-read because it shifted"),
            ("seconds", "DOUBLE", "Wall-clock seconds the fetch took"),
            ("items_source", "VARCHAR", "Where items came from: 'embedded' or 'endpoint'"),
            ("open_orders", "INTEGER", "Orders whose statuses may still change"),
            ("rejected", "INTEGER", "Payloads put in raw_rejected"),
        ),
        _table(
            "orders",
            "One row per order: the latest landed payload of each id, parsed.",
            ("id",),
            ("id", "BIGINT", "Order id"),
            ("order_number", "VARCHAR", "Order number"),
            ("order_source", "VARCHAR", "Order source (no published list; e.g. 'cyberbiz')"),
            ("contact_id", "BIGINT", "The customer (contact) the order belongs to"),
            ("order_name", "VARCHAR", "Display name of the order"),
            ("receiver_name", "VARCHAR", "Recipient's name"),
            ("receiver_address", "VARCHAR", "Recipient's address"),
            ("receiver_phone", "VARCHAR", "Recipient's phone number"),
            ("subtotal_price", MONEY, "Sum of item prices before discounts, tax, shipping"),
            ("total_discount", MONEY, "Total of all discounts"),
            ("shipping_fee", MONEY, "Shipping fee"),
            ("total_tax", MONEY, "Tax amount"),
            ("total_price", MONEY, "Final total (not checked against the parts)"),
            ("financial_status", "VARCHAR", "Payment status code (unknown values kept)"),
            ("fulfillment_status", "VARCHAR", "Fulfillment status code (unknown values kept)"),
            ("return_status", "VARCHAR", "Return status code (unknown values kept)"),
            ("note", "VARCHAR", "Order notes"),
            ("extra_info", "VARCHAR", "Supplementary information"),
            ("order_created_at", "TIMESTAMP", f"Order creation time, {_LOCAL_TS}"),
            ("order_updated_at", "TIMESTAMP", f"Order last update time, {_LOCAL_TS}"),
            ("created_at", "TIMESTAMP", f"Record creation time, {_LOCAL_TS}"),
            ("updated_at", "TIMESTAMP", f"Record update time, {_LOCAL_TS}"),
            ("order_created_at_utc", TIMESTAMPTZ, f"order_created_at as an instant, {_UTC_TS}"),
            ("order_updated_at_utc", TIMESTAMPTZ, f"order_updated_at as an instant, {_UTC_TS}"),
            ("created_at_utc", TIMESTAMPTZ, f"created_at as an instant, {_UTC_TS}"),
            ("updated_at_utc", TIMESTAMPTZ, f"updated_at as an instant, {_UTC_TS}"),
            ("window_date", "DATE", "Day window whose raw row this order was parsed from"),
            ("item_count", "INTEGER", "Length of the payload's items list; NULL if not a list"),
            ("synced_at", TIMESTAMPTZ, "When that raw row was fetched"),
            ("content_hash", "VARCHAR", "content_hash of that raw row"),
        ),
        _table(
            "order_items",
            "The items of each order (unique by order_id, position; no declared key so that "
            "bulk replaces stay cheap), replaced whenever the order's payload carries a list.",
            (),
            ("order_id", "BIGINT", "The order the item belongs to"),
            ("position", "INTEGER", "0-based index in the payload's items list"),
            ("id", "BIGINT", "Order item id"),
            ("product_id", "BIGINT", "The item's product_id"),
            ("quantity", "INTEGER", "Quantity"),
            ("total_price_before_discounts", MONEY, "Line total before discounts"),
            ("total_discount", MONEY, "Line discount"),
            ("total_price_after_discounts", MONEY, "Line total after discounts"),
            ("product_name", "VARCHAR", "Nested product's name at the time of the order"),
            ("product_sku", "VARCHAR", "Nested product's SKU at the time of the order"),
            ("created_at", "TIMESTAMP", f"Item record creation time, {_LOCAL_TS}"),
            ("updated_at", "TIMESTAMP", f"Item record update time, {_LOCAL_TS}"),
            ("window_date", "DATE", "The order's day window"),
        ),
        _table(
            "products",
            "Products as last seen nested in order items.",
            ("id",),
            ("id", "BIGINT", "Product id"),
            ("name", "VARCHAR", "Product name (latest observation)"),
            ("sku", "VARCHAR", "SKU (latest observation)"),
            ("price", MONEY, "Unit price (latest observation)"),
            ("first_seen", TIMESTAMPTZ, "Fetch time of the first landed order that carried it"),
            ("last_seen", TIMESTAMPTZ, "Fetch time of the latest landed order that carried it"),
        ),
        _status_dim("financial_statuses", "financial_status"),
        _status_dim("fulfillment_statuses", "fulfillment_status"),
        _status_dim("return_statuses", "return_status"),
        _table(
            "order_data_issues",
            "One row per payload value that could not be parsed (the order lands with NULL).",
            (),
            ("order_id", "BIGINT", "The order carrying the value"),
            ("window_date", "DATE", "The order's day window (re-normalizing it replaces these)"),
            ("field", "VARCHAR", "Field path, e.g. total_price or items[0].quantity"),
            ("raw_value", "VARCHAR", "The value as text (JSON text for objects and lists)"),
            ("problem", "VARCHAR", "What is wrong: see ISSUE_PROBLEMS"),
            ("observed_at", TIMESTAMPTZ, "Fetch time of the payload that carried it"),
        ),
        _table(
            "order_status_history",
            "One row each time a normalize sees an order's statuses change (first sight too).",
            (),
            ("order_id", "BIGINT", "The order"),
            ("observed_at", TIMESTAMPTZ, "When the change was observed"),
            ("financial_status", "VARCHAR", "Payment status now"),
            ("fulfillment_status", "VARCHAR", "Fulfillment status now"),
            ("return_status", "VARCHAR", "Return status now"),
            ("previous_financial_status", "VARCHAR", "Payment status before; NULL at first sight"),
            ("previous_fulfillment_status", "VARCHAR", "Fulfillment status before"),
            ("previous_return_status", "VARCHAR", "Return status before"),
            ("source", "VARCHAR", "What observed it: 'sync' or 'writeback'"),
            ("seq", "BIGINT", "Insertion order (ties in observed_at are ordered by it)"),
        ),
    )
}

STATUS_DIM_TABLES: Final[dict[str, str]] = {
    "financial_status": "financial_statuses",
    "fulfillment_status": "fulfillment_statuses",
    "return_status": "return_statuses",
}

ISSUE_PROBLEMS: Final[dict[str, str]] = {
    "invalid_decimal": "money or price that is not a plain decimal number ('N/A', '1,234.00')",
    "invalid_integer": "id, contact_id or quantity that is not a whole number ('12a', 1.5)",
    "invalid_timestamp": "not a real 'YYYY-MM-DD HH:MM:SS' time ('0000-00-00 00:00:00')",
    "not_a_string": "an object or a list where text is expected",
    "not_a_list": "items that is not a list",
    "not_an_object": "an item or an item's product that is not an object",
    "unknown_enum": "a status value outside the vendor's published enumeration (kept as is)",
    "missing": "order_created_at absent, null or blank; or items absent or null",
    "outside_window": "order_created_at on another day than the window it was fetched for",
}


# --- reporting views ----------------------------------------------------------------------------
# The views BI tools read, created from `sql/view_<name>.sql` by `orders_connector.reporting`; a
# test reads their real columns and asserts they equal these. `primary_key` holds each view's grain
# (the columns that make a row unique). Listed in creation order: a view comes after those it reads.

MONEY_SUM: Final = "DECIMAL(38,2)"
_DAY = "API-local day of order_created_at (the sync window's day when that time is unparseable)"
_PAYMENT_STATE = "financial_status grouped: 'paid', 'unpaid', 'refund' or 'unknown'"
_RETURN_STATE = (
    "return_status grouped: 'none', 'open', 'refused', 'returned' or 'partially_returned'"
)
_NET_PARSED = "total_price summed over the orders whose total parsed"


def _rate(what: str) -> tuple[str, str, str]:
    return ("return_rate", "DOUBLE", f"return_orders / orders (0..1), {what}")


def _open_returns(name: str, description: str, days: str) -> TableSchema:
    return _table(
        name,
        description,
        ("order_id",),
        ("order_id", "BIGINT", "Order id"),
        ("order_number", "VARCHAR", "Order number"),
        ("order_source", "VARCHAR", "Order source"),
        ("contact_id", "BIGINT", "The customer"),
        ("order_created_at", "TIMESTAMP", f"Order creation time, {_LOCAL_TS}"),
        ("return_status", "VARCHAR", "Return status (not final)"),
        ("fulfillment_status", "VARCHAR", "Fulfillment status"),
        ("financial_status", "VARCHAR", "Payment status"),
        (
            "status_observed_since",
            TIMESTAMPTZ,
            "First observation (sync or write-back) showing the current return status",
        ),
        ("updated_at_utc", TIMESTAMPTZ, "The order record's last update in the CRM"),
        (
            "status_since",
            TIMESTAMPTZ,
            "The earlier of the two: the return status was entered at this time or before",
        ),
        ("days_in_status", "DOUBLE", days),
    )


VIEWS: Final[dict[str, TableSchema]] = {
    v.name: v
    for v in (
        _table(
            "orders_enriched",
            "One row per order with the derived fields every report shares: the API-local "
            "order day, payment and return state, item lines and units.",
            ("id",),
            ("id", "BIGINT", "Order id"),
            ("order_number", "VARCHAR", "Order number"),
            ("order_source", "VARCHAR", "Order source"),
            ("contact_id", "BIGINT", "The customer (contact)"),
            ("order_created_at", "TIMESTAMP", f"Order creation time, {_LOCAL_TS}"),
            ("order_day", "DATE", _DAY),
            ("order_created_at_utc", TIMESTAMPTZ, "order_created_at as an instant"),
            ("financial_status", "VARCHAR", "Payment status code"),
            ("fulfillment_status", "VARCHAR", "Fulfillment status code"),
            ("return_status", "VARCHAR", "Return status code"),
            (
                "payment_state",
                "VARCHAR",
                "'paid' (paid); 'unpaid' (pending, cod, remitted, failed); 'refund' "
                "(pending_refund, pending_partial_refund, partial_refunded, refunded); "
                "'unknown' (NULL or a value outside the published list)",
            ),
            (
                "return_state",
                "VARCHAR",
                "'none' (NULL or no_need); 'refused'; 'returned'; 'partially_returned' "
                "(partial_return); 'open' (any other value, unknown ones included)",
            ),
            ("subtotal_price", MONEY, "Sum of item prices before discounts, tax, shipping"),
            ("total_discount", MONEY, "Total of all discounts"),
            ("shipping_fee", MONEY, "Shipping fee"),
            ("total_tax", MONEY, "Tax amount"),
            ("total_price", MONEY, "Final total (net)"),
            ("item_lines", "BIGINT", "Rows in order_items for the order"),
            ("units", "BIGINT", "Sum of the items' quantity"),
            ("updated_at_utc", TIMESTAMPTZ, "Record update time as an instant"),
        ),
        _table(
            "order_items_enriched",
            "One row per order item with its product and its order's day and statuses.",
            ("order_id", "position"),
            ("order_id", "BIGINT", "The order"),
            ("position", "INTEGER", "0-based index in the order's items list"),
            ("item_id", "BIGINT", "Order item id"),
            ("product_id", "BIGINT", "Product id"),
            ("product_name", "VARCHAR", "Product name as the order carried it"),
            ("product_sku", "VARCHAR", "SKU as the order carried it"),
            ("product_price", MONEY, "The product's latest unit price (products.price)"),
            ("quantity", "INTEGER", "Quantity"),
            ("total_price_before_discounts", MONEY, "Line total before discounts"),
            ("total_discount", MONEY, "Line discount"),
            ("total_price_after_discounts", MONEY, "Line total after discounts"),
            ("order_number", "VARCHAR", "The order's number"),
            ("order_source", "VARCHAR", "The order's source"),
            ("contact_id", "BIGINT", "The order's customer"),
            ("order_created_at", "TIMESTAMP", f"The order's creation time, {_LOCAL_TS}"),
            ("order_day", "DATE", _DAY),
            ("financial_status", "VARCHAR", "The order's payment status"),
            ("fulfillment_status", "VARCHAR", "The order's fulfillment status"),
            ("return_status", "VARCHAR", "The order's return status"),
            ("payment_state", "VARCHAR", _PAYMENT_STATE),
            ("return_state", "VARCHAR", _RETURN_STATE),
        ),
        _table(
            "daily_sales",
            "Sales per API-local order day and order source: orders, items, money, and net "
            "split by payment state (the four splits add up to net).",
            ("order_day", "order_source"),
            ("order_day", "DATE", _DAY),
            ("order_source", "VARCHAR", "Order source (NULL when the order has none)"),
            ("orders", "BIGINT", "Orders"),
            ("item_lines", "BIGINT", "Order item rows"),
            ("units", "BIGINT", "Sum of item quantities"),
            ("gross", MONEY_SUM, "Sum of subtotal_price"),
            ("discounts", MONEY_SUM, "Sum of total_discount"),
            ("shipping", MONEY_SUM, "Sum of shipping_fee"),
            ("tax", MONEY_SUM, "Sum of total_tax"),
            ("net", MONEY_SUM, "Sum of total_price"),
            ("paid_orders", "BIGINT", "Orders with payment_state 'paid'"),
            ("paid_net", MONEY_SUM, "Net of those orders"),
            ("unpaid_orders", "BIGINT", "Orders with payment_state 'unpaid'"),
            ("unpaid_net", MONEY_SUM, "Net of those orders"),
            ("refund_orders", "BIGINT", "Orders with payment_state 'refund'"),
            ("refund_net", MONEY_SUM, "Net of those orders"),
            ("unknown_payment_orders", "BIGINT", "Orders with payment_state 'unknown'"),
            ("unknown_payment_net", MONEY_SUM, "Net of those orders"),
        ),
        _table(
            "order_status_funnel",
            "Orders per value of each status field, with label, known and terminal flags, "
            "and the value's share of all orders.",
            ("status_field", "status"),
            (
                "status_field",
                "VARCHAR",
                "'financial_status', 'fulfillment_status' or 'return_status'",
            ),
            ("status", "VARCHAR", "The status value (NULL: orders without one)"),
            ("label", "VARCHAR", "The vendor's label; NULL for an unknown value"),
            ("is_known", "BOOLEAN", "Whether the value is in the vendor's published list"),
            (
                "is_terminal",
                "BOOLEAN",
                "Whether the value is final (enums.TERMINAL_STATUSES; a missing return status "
                "is final, other missing values are not)",
            ),
            ("orders", "BIGINT", "Orders holding the value now"),
            ("share", "DOUBLE", "orders / all orders (0..1)"),
        ),
        _table(
            "order_status_crosstab",
            "Orders per (financial_status, fulfillment_status) pair: the cross-tab, long form.",
            ("financial_status", "fulfillment_status"),
            ("financial_status", "VARCHAR", "Payment status (NULL included)"),
            ("fulfillment_status", "VARCHAR", "Fulfillment status (NULL included)"),
            ("orders", "BIGINT", "Orders holding both values now"),
            ("share", "DOUBLE", "orders / all orders (0..1)"),
        ),
        _table(
            "order_status_durations",
            "Observed status changes per field and from -> to pair, with the median time the "
            "order held the earlier status (from order_status_history observation times).",
            ("status_field", "from_status", "to_status"),
            (
                "status_field",
                "VARCHAR",
                "'financial_status', 'fulfillment_status' or 'return_status'",
            ),
            ("from_status", "VARCHAR", "The status before the change"),
            ("to_status", "VARCHAR", "The status after the change"),
            ("changes", "BIGINT", "Changes observed"),
            (
                "median_hours",
                "DOUBLE",
                "Median hours from the first observation of from_status to the observation "
                "of to_status (a status held at first sync counts from that sync)",
            ),
        ),
        _table(
            "returns",
            "Returns per API-local order day and order source: orders, returns by state, "
            "return rate.",
            ("order_day", "order_source"),
            ("order_day", "DATE", _DAY),
            ("order_source", "VARCHAR", "Order source (NULL when the order has none)"),
            ("orders", "BIGINT", "Orders"),
            ("return_orders", "BIGINT", "Orders whose return_state is not 'none'"),
            ("open_return_orders", "BIGINT", "Orders whose return is still in flight"),
            ("refused_return_orders", "BIGINT", "Orders whose return was refused"),
            ("returned_orders", "BIGINT", "Orders returned in full or in part"),
            _rate("per day and source"),
        ),
        _table(
            "returns_by_product",
            "Returns per product: orders containing it and how many of them started a return "
            "(returns are per order, so a return counts for every product in the order).",
            ("product_id",),
            ("product_id", "BIGINT", "Product id (items without one are left out)"),
            ("product_name", "VARCHAR", "Product name (latest observation)"),
            ("product_sku", "VARCHAR", "SKU (latest observation)"),
            ("orders", "BIGINT", "Orders containing the product"),
            ("units", "BIGINT", "Units of the product in those orders"),
            ("return_orders", "BIGINT", "Of those, orders whose return_state is not 'none'"),
            ("returned_orders", "BIGINT", "Of those, orders returned in full or in part"),
            _rate("per product"),
        ),
        _open_returns(
            "open_returns",
            "Orders whose return is still in flight (return_state 'open'), with how long "
            "they have held their return status at least.",
            "Days from status_since to now (a lower bound)",
        ),
        _open_returns(
            "stuck_returns",
            "Open returns whose status has not moved for more than 14 days (open_returns "
            "filtered; query open_returns for another threshold).",
            "Days from status_since to now (a lower bound); more than 14",
        ),
        _table(
            "contact_orders",
            "Per customer (contact_id): first and last order, orders and lifetime net value.",
            ("contact_id",),
            ("contact_id", "BIGINT", "The customer (orders without one are left out)"),
            ("orders", "BIGINT", "Orders"),
            ("first_order_at", "TIMESTAMP", f"First order_created_at, {_LOCAL_TS}"),
            ("last_order_at", "TIMESTAMP", f"Last order_created_at, {_LOCAL_TS}"),
            ("lifetime_net", MONEY_SUM, _NET_PARSED),
            ("paid_orders", "BIGINT", "Orders with payment_state 'paid'"),
            ("lifetime_paid_net", MONEY_SUM, "Net of those orders"),
        ),
    )
}
