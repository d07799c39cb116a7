"""Outbound tables: orders and their lines, waves, pick tasks, cartons, shipments,
and the count requests a short pick raises.

Quantities here are document figures (what an order asked for, what a task picked);
stock itself only ever changes through the ledger. ``pick_tasks.hold_id`` ties each
task to the ledger hold that reserves its units.
"""

from __future__ import annotations

import sqlalchemy as sa

from shelfwise.storage.tables import TS, BigInt, metadata

orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("number", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("state", sa.String(24), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("carrier", sa.String(32), nullable=False),
    sa.Column("service", sa.String(32), nullable=False, server_default="standard"),
    sa.Column("cutoff_at", TS, nullable=True),
    sa.Column("ship_to", sa.Text, nullable=False),
    sa.Column("wave_id", BigInt, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("owner_id", "number", name="uq_orders_owner_number"),
    sa.Index("ix_orders_state", "facility_id", "state"),
    sa.Index("ix_orders_wave", "wave_id"),
)

order_lines = sa.Table(
    "order_lines",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("order_id", BigInt, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("ordered", sa.BigInteger, nullable=False),
    sa.Column("allocated", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("picked", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("packed", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("shipped", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("backordered", sa.BigInteger, nullable=False, server_default="0"),
    sa.CheckConstraint("ordered > 0", name="ordered_positive"),
    sa.CheckConstraint(
        "allocated >= 0 AND picked >= 0 AND packed >= 0 AND shipped >= 0 AND backordered >= 0"
        " AND allocated + picked + backordered <= ordered AND packed <= picked"
        " AND shipped <= packed",
        name="figures",
    ),
    sa.UniqueConstraint("order_id", "line_no", name="uq_order_lines_order_line"),
)

waves = sa.Table(
    "waves",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("carrier", sa.String(32), nullable=False),
    sa.Column("cutoff_at", TS, nullable=True),
    sa.Column("staging_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("ix_waves_state", "facility_id", "state"),
)

pick_tasks = sa.Table(
    "pick_tasks",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("wave_id", BigInt, sa.ForeignKey("waves.id"), nullable=True),
    sa.Column("order_id", BigInt, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("order_line_id", BigInt, sa.ForeignKey("order_lines.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, nullable=False),
    sa.Column("hold_id", BigInt, sa.ForeignKey("holds.id"), nullable=False),
    sa.Column("location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("zone_id", BigInt, nullable=True),
    sa.Column("lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("picked_qty", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("path_order", sa.String(64), nullable=False, server_default=""),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("movement_id", BigInt, nullable=True),
    sa.Column("picked_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("picked_at", TS, nullable=True),
    sa.CheckConstraint("qty > 0 AND picked_qty >= 0 AND picked_qty <= qty", name="qty"),
    sa.UniqueConstraint("hold_id", name="uq_pick_tasks_hold_id"),
    sa.Index("ix_pick_tasks_wave", "wave_id", "state"),
    sa.Index("ix_pick_tasks_order", "order_id"),
)

cartons = sa.Table(
    "cartons",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("order_id", BigInt, sa.ForeignKey("orders.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("sscc", sa.String(18), nullable=True, unique=True),
    sa.Column("weight_g", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("shipment_id", BigInt, nullable=True),
    sa.Column("packed_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_cartons_order", "order_id"),
)

carton_lines = sa.Table(
    "carton_lines",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("carton_id", BigInt, sa.ForeignKey("cartons.id"), nullable=False),
    sa.Column("order_line_id", BigInt, sa.ForeignKey("order_lines.id"), nullable=False),
    sa.Column("item_id", BigInt, nullable=False),
    sa.Column("lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.Index("ix_carton_lines_carton", "carton_id"),
)

shipments = sa.Table(
    "shipments",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("order_id", BigInt, sa.ForeignKey("orders.id"), nullable=False, unique=True),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("carrier", sa.String(32), nullable=False),
    sa.Column("service", sa.String(32), nullable=False),
    sa.Column("tracking_number", sa.String(64), nullable=False),
    sa.Column("cost_cents", sa.BigInteger, nullable=False),
    sa.Column("label_format", sa.String(8), nullable=False),
    sa.Column("label", sa.LargeBinary, nullable=False),
    sa.Column("movement_id", BigInt, nullable=True),
    sa.Column("shipped_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("carrier", "tracking_number", name="uq_shipments_carrier_tracking"),
)

count_requests = sa.Table(
    "count_requests",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("facility_id", BigInt, nullable=False),
    sa.Column("location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("item_id", BigInt, nullable=False),
    sa.Column("lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("source", sa.String(64), nullable=False, server_default=""),
    sa.Column("state", sa.String(12), nullable=False, server_default="open"),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_count_requests_state", "facility_id", "state"),
)
