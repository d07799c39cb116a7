"""The schema. Alembic migrations create it; nothing calls ``create_all`` in production.

Invariants are data here too: balances in guarded locations carry a CHECK that they
never go negative, stock levels a CHECK that allocation never exceeds sellable stock,
so even a bug in Python cannot write an oversold or negative row.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)

owners = sa.Table(
    "owners",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

facilities = sa.Table(
    "facilities",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(64), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("created_at", TS, nullable=False),
)

zones = sa.Table(
    "zones",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.UniqueConstraint("facility_id", "code", name="uq_zones_facility_code"),
)

locations = sa.Table(
    "locations",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("zone_id", BigInt, sa.ForeignKey("zones.id"), nullable=True),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("barcode", sa.String(64), nullable=False, unique=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("capacity_units", sa.Integer, nullable=True),
    sa.Column("path_order", sa.String(64), nullable=False, server_default=""),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("facility_id", "code", name="uq_locations_facility_code"),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("sku", sa.String(64), nullable=False),
    sa.Column("description", sa.String(200), nullable=False),
    sa.Column("base_unit", sa.String(16), nullable=False),
    sa.Column("case_pack", sa.Integer, nullable=False),
    sa.Column("lot_tracked", sa.Boolean, nullable=False),
    sa.Column("expiry_tracked", sa.Boolean, nullable=False),
    sa.Column("serial_tracked", sa.Boolean, nullable=False),
    sa.Column("weight_g", sa.BigInteger, nullable=False),
    sa.Column("length_mm", sa.Integer, nullable=False),
    sa.Column("width_mm", sa.Integer, nullable=False),
    sa.Column("height_mm", sa.Integer, nullable=False),
    sa.Column("unit_cost_cents", sa.BigInteger, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("owner_id", "sku", name="uq_items_owner_sku"),
)

item_gtins = sa.Table(
    "item_gtins",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("gtin", sa.String(14), nullable=False),
    sa.UniqueConstraint("owner_id", "gtin", name="uq_item_gtins_owner_gtin"),
    sa.Index("ix_item_gtins_item", "item_id"),
)

lots = sa.Table(
    "lots",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("code", sa.String(20), nullable=False),
    sa.Column("expiry", sa.Date, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("item_id", "code", name="uq_lots_item_code"),
)

movements = sa.Table(
    "movements",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    sa.Column("document_type", sa.String(32), nullable=False),
    sa.Column("document_id", sa.String(64), nullable=False),
    sa.Column("user_name", sa.String(64), nullable=False),
    sa.Column("device", sa.String(64), nullable=False),
    sa.Column("scans", sa.Text, nullable=False),
    sa.Column("note", sa.String(500), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_movements_document", "document_type", "document_id"),
)

movement_lines = sa.Table(
    "movement_lines",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("movement_id", BigInt, sa.ForeignKey("movements.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False),
    sa.Column("from_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("to_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.Index("ix_movement_lines_item", "item_id", "id"),
    sa.Index("ix_movement_lines_from", "from_location_id", "id"),
    sa.Index("ix_movement_lines_to", "to_location_id", "id"),
    sa.Index("ix_movement_lines_movement", "movement_id"),
)

balances = sa.Table(
    "balances",
    metadata,
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, nullable=False),
    sa.Column("location_id", BigInt, nullable=False),
    sa.Column("lot", sa.String(20), nullable=False),
    sa.Column("facility_id", BigInt, nullable=False),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("allocated", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("guarded", sa.Boolean, nullable=False),
    sa.PrimaryKeyConstraint("owner_id", "item_id", "location_id", "lot"),
    sa.CheckConstraint("NOT guarded OR qty >= 0", name="guarded_not_negative"),
    sa.CheckConstraint("allocated >= 0 AND allocated <= qty OR allocated = 0", name="alloc"),
    sa.Index("ix_balances_location", "location_id"),
    sa.Index("ix_balances_item_facility", "item_id", "facility_id"),
)

stock_levels = sa.Table(
    "stock_levels",
    metadata,
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, nullable=False),
    sa.Column("facility_id", BigInt, nullable=False),
    sa.Column("on_hand", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("sellable", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("receiving", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("in_process", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("held", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("in_transit", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("allocated", sa.BigInteger, nullable=False, server_default="0"),
    sa.PrimaryKeyConstraint("owner_id", "item_id", "facility_id"),
    sa.CheckConstraint(
        "on_hand >= 0 AND sellable >= 0 AND receiving >= 0 AND in_process >= 0 "
        "AND held >= 0 AND in_transit >= 0",
        name="not_negative",
    ),
    sa.CheckConstraint("allocated >= 0 AND allocated <= sellable", name="never_oversold"),
    sa.Index("ix_stock_levels_facility", "facility_id", "owner_id"),
)

holds = sa.Table(
    "holds",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("location_id", BigInt, sa.ForeignKey("locations.id"), nullable=True),
    sa.Column("lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("posted_qty", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("document_type", sa.String(32), nullable=False),
    sa.Column("document_id", sa.String(64), nullable=False),
    sa.Column("movement_id", BigInt, sa.ForeignKey("movements.id"), nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=True),
    sa.Column("closed_at", TS, nullable=True),
    sa.CheckConstraint("qty > 0", name="qty_positive"),
    sa.Index("ix_holds_state_expires", "state", "expires_at"),
    sa.Index("ix_holds_item", "owner_id", "item_id", "facility_id"),
    sa.Index("ix_holds_document", "document_type", "document_id"),
)

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("owner_id", BigInt, nullable=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("response", sa.Text, nullable=True),
    sa.Column("created_at", TS, nullable=False),
)

scan_exceptions = sa.Table(
    "scan_exceptions",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, nullable=True),
    sa.Column("facility_id", BigInt, nullable=True),
    sa.Column("task_type", sa.String(32), nullable=False),
    sa.Column("task_id", sa.String(64), nullable=False),
    sa.Column("expected", sa.String(200), nullable=False),
    sa.Column("scanned", sa.String(200), nullable=False),
    sa.Column("code", sa.String(64), nullable=False),
    sa.Column("message", sa.String(500), nullable=False),
    sa.Column("user_name", sa.String(64), nullable=False),
    sa.Column("device", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_scan_exceptions_created", "created_at"),
)
