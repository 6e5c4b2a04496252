"""Extraction assets: raw orders per day window, then the normalized tables BI reads."""

from collections.abc import Iterator, Sequence
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_defs.partitions import windows_of
from dagster_defs.resources import OrdersApiResource, open_warehouse
from orders_connector.schema import TABLES
from orders_connector.sync import LandReport, land_windows, normalize

GROUP = "firstline_orders"
DUCKDB_POOL = "firstline_duckdb"
NORMALIZED_TABLES = (
    "orders",
    "order_items",
    "products",
    "order_data_issues",
    "order_status_history",
)
STATUS_TABLES = ("financial_statuses", "fulfillment_statuses", "return_statuses")


def column_schema(table: str) -> dg.TableSchema:
    """Dagster's column schema for a table, from the one schema source the DDL is tested against."""
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=c.name, type=c.type, description=c.description)
            for c in TABLES[table].columns
        ]
    )


def table_metadata(table: str) -> dict[str, Any]:
    return {"dagster/column_schema": column_schema(table), "dagster/table_name": table}


def extraction_metadata(report: LandReport) -> dict[str, Any]:
    """Numeric run figures (the UI plots them) plus a per-window table for ranges."""
    metadata: dict[str, Any] = {
        name: report.total(name)
        for name in (
            "orders",
            "items",
            "meta_total",
            "fetched_ids",
            "pages",
            "requests",
            "retries",
            "throttled",
            "drift_rereads",
            "rejected",
        )
    }
    metadata["windows"] = len(report.windows)
    metadata["seconds"] = round(report.seconds, 3)
    metadata["orders_per_second"] = round(report.orders_per_second, 1)
    if len(report.windows) > 1:
        metadata["per_window"] = dg.MetadataValue.md(per_window_markdown(report))
    return metadata


def per_window_markdown(report: LandReport) -> str:
    head = "| window | orders | items | meta.total | pages | requests | retries | 429s | drift |"
    rows = [head, "|" + " --- |" * 9]
    rows += [
        f"| {w.day} | {w.orders} | {w.items} | {w.meta_total} | {w.pages} | {w.requests} "
        f"| {w.retries} | {w.throttled} | {w.drift_rereads} |"
        for w in report.windows
    ]
    return "\n".join(rows)


def build_extraction_assets(
    partitions_def: dg.PartitionsDefinition[str],
) -> Sequence[dg.AssetsDefinition]:
    """The partitioned raw and normalized assets plus the unpartitioned status dimensions."""

    @dg.asset(
        name="raw_orders",
        group_name=GROUP,
        kinds={"python", "duckdb"},
        description=TABLES["raw_orders"].description,
        metadata=table_metadata("raw_orders"),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
    )
    def raw_orders(
        context: dg.AssetExecutionContext, orders_api: OrdersApiResource, duckdb: DuckDBResource
    ) -> Iterator[dg.MaterializeResult[Any]]:
        """Fetches each window's orders and replaces its raw rows in one transaction."""
        settings = orders_api.settings()
        windows = windows_of(context)
        with open_warehouse(duckdb, settings.timezone) as warehouse:
            report = land_windows(
                settings,
                warehouse,
                windows,
                items_mode=orders_api.items_mode,
                on_window=lambda w: context.log.info(
                    f"window {w.day}: {w.orders} orders, {w.items} items, {w.pages} pages, "
                    f"{w.requests} requests, {w.retries} retries, {w.throttled} x 429"
                ),
            )
        yield dg.MaterializeResult(metadata=extraction_metadata(report))

    @dg.multi_asset(
        name="normalized_orders",
        group_name=GROUP,
        specs=[
            dg.AssetSpec(
                table,
                deps=["raw_orders"],
                description=TABLES[table].description,
                metadata=table_metadata(table),
                kinds={"duckdb"},
                partitions_def=partitions_def,
            )
            for table in NORMALIZED_TABLES
        ],
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        pool=DUCKDB_POOL,
    )
    def normalized_orders(
        context: dg.AssetExecutionContext, orders_api: OrdersApiResource, duckdb: DuckDBResource
    ) -> Iterator[dg.MaterializeResult[Any]]:
        """Normalizes raw orders into orders, items, products, data issues and status history."""
        windows = windows_of(context)
        with open_warehouse(duckdb, orders_api.timezone) as warehouse:
            result = normalize(warehouse, windows)
        counts = {
            "orders": {"rows": result.orders},
            "order_items": {"rows": result.items},
            "products": {"rows": result.products},
            "order_data_issues": {"rows": result.issues},
            "order_status_history": {"status_changes": result.status_changes},
        }
        for table in NORMALIZED_TABLES:
            yield dg.MaterializeResult(
                asset_key=table, metadata={"windows": len(windows), **counts[table]}
            )

    @dg.multi_asset(
        name="status_dimensions",
        group_name=GROUP,
        specs=[
            dg.AssetSpec(
                table,
                deps=["orders"],
                description=TABLES[table].description,
                metadata=table_metadata(table),
                kinds={"duckdb"},
            )
            for table in STATUS_TABLES
        ],
        pool=DUCKDB_POOL,
    )
    def status_dimensions(
        orders_api: OrdersApiResource, duckdb: DuckDBResource
    ) -> Iterator[dg.MaterializeResult[Any]]:
        """Refreshes the three status enum tables' order counts and unknown values."""
        with open_warehouse(duckdb, orders_api.timezone) as warehouse:
            counts = warehouse.refresh_status_dimensions()
        for table in STATUS_TABLES:
            yield dg.MaterializeResult(asset_key=table, metadata=counts[table])

    return [raw_orders, normalized_orders, status_dimensions]
