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
            ("seq",),
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
    "missing": "order_created_at absent, null or blank",
    "outside_window": "order_created_at on another day than the window it was fetched for",
}
