"""The reporting views BI tools read: one `sql/view_<name>.sql` file each, created together after
every sync (they are views, so they always show the tables' current rows).

Their columns and descriptions are declared in `schema.VIEWS`, the source of the Dagster column
schemas and of `docs/tables.md`; a test compares those declarations with the real views.
"""

from __future__ import annotations

from typing import Final

from orders_connector.freshness import seed_terminal_statuses
from orders_connector.schema import VIEWS
from orders_connector.warehouse import Warehouse

# Creation order: a view comes after the views it reads.
VIEW_NAMES: Final[tuple[str, ...]] = tuple(VIEWS)

# The tables and views each view reads (tests check these against the SQL text). They become the
# Dagster lineage; `status_terminal` is the freshness module's table of final status values.
VIEW_SOURCES: Final[dict[str, tuple[str, ...]]] = {
    "orders_enriched": ("orders", "order_items"),
    "order_items_enriched": ("order_items", "orders_enriched", "products"),
    "daily_sales": ("orders_enriched",),
    "order_status_funnel": (
        "orders",
        "financial_statuses",
        "fulfillment_statuses",
        "return_statuses",
        "status_terminal",
    ),
    "order_status_crosstab": ("orders",),
    "order_status_durations": ("order_status_history",),
    "returns": ("orders_enriched",),
    "returns_by_product": ("order_items_enriched", "products"),
    "open_returns": ("order_status_history", "orders_enriched"),
    "stuck_returns": ("open_returns",),
    "contact_orders": ("orders_enriched",),
}

# Open returns held longer than this many days are "stuck" (sql/view_stuck_returns.sql says why).
STUCK_RETURN_DAYS: Final = 14


def view_sql_name(view: str) -> str:
    """The `sql/` file that creates `view`."""
    if view not in VIEWS:
        raise KeyError(f"no reporting view {view!r}; views: {', '.join(VIEW_NAMES)}")
    return f"view_{view}"


def create_views(warehouse: Warehouse) -> tuple[str, ...]:
    """Create or replace every reporting view (tables first, if missing); their names."""
    warehouse.ensure_schema()
    seed_terminal_statuses(warehouse)
    with warehouse.transaction():
        for view in VIEW_NAMES:
            warehouse.execute(view_sql_name(view))
    return VIEW_NAMES


def view_columns(warehouse: Warehouse, view: str) -> list[tuple[str, str]]:
    """(name, type) of each column of `view` as the database reports them, in order."""
    return [
        (str(name), str(kind))
        for name, kind in warehouse.fetch("reporting_view_columns", {"name": view})
    ]


def view_row_count(warehouse: Warehouse, view: str) -> int:
    """Rows `view` holds now."""
    view_sql_name(view)  # only names of reporting views reach query_table
    [(rows,)] = warehouse.fetch("reporting_view_rows", {"name": view})
    return int(rows)
