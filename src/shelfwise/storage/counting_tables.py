"""Tables of the warehouse-floor documents: count tasks and results, item classes,
transfer orders, RMAs, pick-face settings and replenishment tasks.

Each document row carries its owner and a ``state``; states only change through
:func:`advance`, a conditional UPDATE, so two clients racing to approve or ship the same
document cannot both win.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.storage.tables import TS, BigInt, metadata

item_classes = sa.Table(
    "item_classes",
    metadata,
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("abc_class", sa.String(1), nullable=False),
    sa.Column("basis", sa.String(8), nullable=False),
    sa.Column("moved", sa.BigInteger, nullable=False),
    sa.Column("window_start", TS, nullable=False),
    sa.Column("window_end", TS, nullable=False),
    sa.Column("computed_at", TS, nullable=False),
    sa.PrimaryKeyConstraint("owner_id", "item_id", "facility_id"),
)

count_tasks = sa.Table(
    "count_tasks",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("parent_id", BigInt, sa.ForeignKey("count_tasks.id"), nullable=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("due_date", sa.Date, nullable=True),
    sa.Column("tolerance_units", sa.Integer, nullable=False),
    sa.Column("tolerance_bp", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("counted_at", TS, nullable=True),
    sa.Column("counted_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("device", sa.String(64), nullable=False, server_default=""),
    sa.Column("decided_at", TS, nullable=True),
    sa.Column("decided_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("movement_id", BigInt, sa.ForeignKey("movements.id"), nullable=True),
    sa.Index("ix_count_tasks_location", "location_id", "owner_id", "state"),
    sa.Index("ix_count_tasks_state", "facility_id", "state"),
)

count_results = sa.Table(
    "count_results",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("task_id", BigInt, sa.ForeignKey("count_tasks.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False),
    sa.Column("expected_qty", sa.BigInteger, nullable=False),
    sa.Column("counted_qty", sa.BigInteger, nullable=False),
    sa.Column("within_tolerance", sa.Boolean, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.CheckConstraint("counted_qty >= 0", name="counted_not_negative"),
    sa.Index("ix_count_results_task", "task_id"),
    sa.Index("ix_count_results_owner", "owner_id", "created_at"),
)

transfer_orders = sa.Table(
    "transfer_orders",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("source_facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("dest_facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False, server_default=""),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("shipped_at", TS, nullable=True),
    sa.Column("received_at", TS, nullable=True),
    sa.Column("cancelled_at", TS, nullable=True),
    sa.Column("ship_movement_id", BigInt, sa.ForeignKey("movements.id"), nullable=True),
    sa.Column("receive_movement_id", BigInt, sa.ForeignKey("movements.id"), nullable=True),
    sa.Index("ix_transfer_orders_source", "source_facility_id", "state"),
    sa.Index("ix_transfer_orders_dest", "dest_facility_id", "state"),
)

transfer_lines = sa.Table(
    "transfer_lines",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("transfer_id", BigInt, sa.ForeignKey("transfer_orders.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("from_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=True),
    sa.Column("to_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=True),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.Index("ix_transfer_lines_transfer", "transfer_id"),
)

rmas = sa.Table(
    "rmas",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("order_reference", sa.String(64), nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("received_at", TS, nullable=True),
    sa.Column("closed_at", TS, nullable=True),
    sa.Column("receive_movement_id", BigInt, sa.ForeignKey("movements.id"), nullable=True),
    sa.Index("ix_rmas_owner_reference", "owner_id", "order_reference"),
)

rma_lines = sa.Table(
    "rma_lines",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("rma_id", BigInt, sa.ForeignKey("rmas.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("received_qty", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("received_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=True),
    sa.Column("disposition", sa.String(10), nullable=False, server_default=""),
    sa.Column("disposition_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=True),
    sa.Column("reason", sa.String(64), nullable=False, server_default=""),
    sa.Column("inspected_at", TS, nullable=True),
    sa.Column("movement_id", BigInt, sa.ForeignKey("movements.id"), nullable=True),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.Index("ix_rma_lines_rma", "rma_id"),
)

pick_face_settings = sa.Table(
    "pick_face_settings",
    metadata,
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("min_qty", sa.BigInteger, nullable=False),
    sa.Column("max_qty", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("owner_id", "item_id", "location_id"),
    sa.CheckConstraint("min_qty >= 0 AND max_qty > 0 AND min_qty <= max_qty", name="min_max"),
    sa.Index("ix_pick_face_settings_facility", "facility_id", "owner_id"),
    sa.UniqueConstraint("location_id", name="uq_pick_face_settings_location"),
)

replenishment_tasks = sa.Table(
    "replenishment_tasks",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("from_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("to_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("closed_at", TS, nullable=True),
    sa.Column("closed_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("movement_id", BigInt, sa.ForeignKey("movements.id"), nullable=True),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.Index("ix_replenishment_tasks_face", "to_location_id", "item_id", "state"),
    sa.Index("ix_replenishment_tasks_facility", "facility_id", "state"),
)


def advance(
    conn: Connection,
    table: sa.Table,
    doc_id: int,
    allowed_from: Iterable[str],
    target: str,
    **values: Any,
) -> bool:
    """Move a document to ``target`` only if it is still in one of ``allowed_from``.

    One conditional UPDATE: a concurrent twin finds the state already changed and gets
    False, so a document is shipped, approved or received once.
    """
    res = conn.execute(
        sa.update(table)
        .where(table.c.id == doc_id, table.c.state.in_(list(allowed_from)))
        .values(state=target, **values)
    )
    return res.rowcount == 1
