"""receiving: receipts, receipt lines, putaway tasks, item pick faces

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "receipts",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("facility_id", BigInt, nullable=False),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("supplier", sa.String(200), server_default="", nullable=False),
        sa.Column("expected_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("discrepancy_report", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(64), server_default="", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"], name="fk_receipts_owner_id_owners"),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name="fk_receipts_facility_id_facilities"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_receipts"),
        sa.UniqueConstraint("owner_id", "type", "reference", name="uq_receipts_owner_reference"),
    )
    op.create_index("ix_receipts_facility_state", "receipts", ["facility_id", "state"])

    op.create_table(
        "receipt_lines",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("receipt_id", BigInt, nullable=False),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("item_id", BigInt, nullable=False),
        sa.Column("expected_qty", sa.BigInteger(), nullable=False),
        sa.Column("received_qty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("damaged_qty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("expected_lot", sa.String(20), server_default="", nullable=False),
        sa.Column("expected_expiry", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "expected_qty > 0 AND received_qty >= 0 AND damaged_qty >= 0 "
            "AND damaged_qty <= received_qty",
            name="ck_receipt_lines_quantities",
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name="fk_receipt_lines_receipt_id_receipts"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name="fk_receipt_lines_item_id_items"),
        sa.PrimaryKeyConstraint("id", name="pk_receipt_lines"),
        sa.UniqueConstraint(
            "receipt_id", "item_id", "expected_lot", name="uq_receipt_lines_item_lot"
        ),
    )

    op.create_table(
        "putaway_tasks",
        sa.Column("id", BigInt, autoincrement=True, nullable=False),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("facility_id", BigInt, nullable=False),
        sa.Column("receipt_id", BigInt, nullable=False),
        sa.Column("item_id", BigInt, nullable=False),
        sa.Column("lot", sa.String(20), server_default="", nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("qty_done", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("from_location_id", BigInt, nullable=False),
        sa.Column("suggested_location_id", BigInt, nullable=True),
        sa.Column("rule", sa.String(32), server_default="", nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("confirmed_location_id", BigInt, nullable=True),
        sa.Column("override_reason", sa.String(200), server_default="", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.CheckConstraint(
            "qty > 0 AND qty_done >= 0 AND qty_done <= qty", name="ck_putaway_tasks_quantities"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name="fk_putaway_tasks_owner_id_owners"
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name="fk_putaway_tasks_facility_id_facilities"
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"], ["receipts.id"], name="fk_putaway_tasks_receipt_id_receipts"
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name="fk_putaway_tasks_item_id_items"),
        sa.ForeignKeyConstraint(
            ["from_location_id"], ["locations.id"],
            name="fk_putaway_tasks_from_location_id_locations",
        ),
        sa.ForeignKeyConstraint(
            ["suggested_location_id"], ["locations.id"],
            name="fk_putaway_tasks_suggested_location_id_locations",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_location_id"], ["locations.id"],
            name="fk_putaway_tasks_confirmed_location_id_locations",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_putaway_tasks"),
    )
    op.create_index("ix_putaway_tasks_receipt", "putaway_tasks", ["receipt_id"])
    op.create_index("ix_putaway_tasks_facility_state", "putaway_tasks", ["facility_id", "state"])



def downgrade() -> None:
    op.drop_index("ix_putaway_tasks_facility_state", table_name="putaway_tasks")
    op.drop_index("ix_putaway_tasks_receipt", table_name="putaway_tasks")
    op.drop_table("putaway_tasks")
    op.drop_table("receipt_lines")
    op.drop_index("ix_receipts_facility_state", table_name="receipts")
    op.drop_table("receipts")
