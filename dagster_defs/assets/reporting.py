"""The reporting views BI tools read, (re)created after every sync."""

from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_defs.assets.extraction import DUCKDB_POOL, GROUP
from dagster_defs.resources import OrdersApiResource, open_warehouse
from orders_connector.reporting import VIEW_NAMES, VIEW_SOURCES, create_views, view_row_count
from orders_connector.schema import TABLES, VIEWS

REPORTING_ASSET = "reporting_views"


def view_metadata(view: str) -> dict[str, Any]:
    """Column schema and table name of a view, from the schema source its test checks."""
    schema = dg.TableSchema(
        columns=[
            dg.TableColumn(name=c.name, type=c.type, description=c.description)
            for c in VIEWS[view].columns
        ]
    )
    return {"dagster/column_schema": schema, "dagster/table_name": view}


def view_deps(view: str) -> list[str]:
    """The assets a view reads (tables outside the asset graph, like status_terminal, left out)."""
    return [source for source in VIEW_SOURCES[view] if source in TABLES or source in VIEWS]


@dg.multi_asset(
    name=REPORTING_ASSET,
    group_name=GROUP,
    specs=[
        dg.AssetSpec(
            view,
            deps=view_deps(view),
            description=VIEWS[view].description,
            metadata=view_metadata(view),
            kinds={"duckdb"},
        )
        for view in VIEW_NAMES
    ],
    pool=DUCKDB_POOL,
)
def reporting_views(
    orders_api: OrdersApiResource, duckdb: DuckDBResource
) -> Iterator[dg.MaterializeResult[Any]]:
    """Creates or replaces the reporting views (sql/view_*.sql) over the normalized tables."""
    with open_warehouse(duckdb, orders_api.timezone) as warehouse:
        create_views(warehouse)
        rows = {view: view_row_count(warehouse, view) for view in VIEW_NAMES}
    for view in VIEW_NAMES:
        yield dg.MaterializeResult(asset_key=view, metadata={"dagster/row_count": rows[view]})
