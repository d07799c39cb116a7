"""Inbound documents: receipts and their lines, putaway tasks, fixed pick faces.

Quantities on these documents are *counts of what happened*, written in the same
transaction as the ledger movement that moved the stock, so a receipt line's
``received_qty`` always equals what the ledger took in for it. The ledger stays the
only source of stock; these rows never decide a balance.
"""

from __future__ import annotations

import sqlalchemy as sa

from shelfwise.storage.tables import TS, BigInt, metadata

receipts = sa.Table(
    "receipts",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("type", sa.String(20), nullable=False),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("supplier", sa.String(200), nullable=False, server_default=""),
    sa.Column("expected_date", sa.Date, nullable=True),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("discrepancy_report", sa.Text, nullable=True),
    sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("closed_at", TS, nullable=True),
    sa.UniqueConstraint("owner_id", "type", "reference", name="uq_receipts_owner_reference"),
    sa.Index("ix_receipts_facility_state", "facility_id", "state"),
)

receipt_lines = sa.Table(
    "receipt_lines",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("receipt_id", BigInt, sa.ForeignKey("receipts.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("expected_qty", sa.BigInteger, nullable=False),
    sa.Column("received_qty", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("damaged_qty", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("expected_lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("expected_expiry", sa.Date, nullable=True),
    sa.UniqueConstraint("receipt_id", "item_id", "expected_lot", name="uq_receipt_lines_item_lot"),
    sa.CheckConstraint(
        "expected_qty > 0 AND received_qty >= 0 AND damaged_qty >= 0 "
        "AND damaged_qty <= received_qty",
        name="quantities",
    ),
)

putaway_tasks = sa.Table(
    "putaway_tasks",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("receipt_id", BigInt, sa.ForeignKey("receipts.id"), nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("lot", sa.String(20), nullable=False, server_default=""),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("qty_done", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("from_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=False),
    sa.Column("suggested_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=True),
    sa.Column("rule", sa.String(32), nullable=False, server_default=""),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("confirmed_location_id", BigInt, sa.ForeignKey("locations.id"), nullable=True),
    sa.Column("override_reason", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("closed_at", TS, nullable=True),
    sa.CheckConstraint("qty > 0 AND qty_done >= 0 AND qty_done <= qty", name="quantities"),
    sa.Index("ix_putaway_tasks_receipt", "receipt_id"),
    sa.Index("ix_putaway_tasks_facility_state", "facility_id", "state"),
)
