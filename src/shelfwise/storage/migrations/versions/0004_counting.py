"""counting, transfers, returns, replenishment: floor documents

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "item_classes",
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "facility_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("abc_class", sa.String(length=1), nullable=False),
        sa.Column("basis", sa.String(length=8), nullable=False),
        sa.Column("moved", sa.BigInteger(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_item_classes_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_item_classes_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_item_classes_owner_id_owners")
        ),
        sa.PrimaryKeyConstraint("owner_id", "item_id", "facility_id", name=op.f("pk_item_classes")),
    )
    op.create_table(
        "rmas",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "facility_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("order_reference", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "receive_movement_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_rmas_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"], name=op.f("fk_rmas_owner_id_owners")),
        sa.ForeignKeyConstraint(
            ["receive_movement_id"],
            ["movements.id"],
            name=op.f("fk_rmas_receive_movement_id_movements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rmas")),
    )
    op.create_index(
        "ix_rmas_owner_reference", "rmas", ["owner_id", "order_reference"], unique=False
    )
    op.create_table(
        "transfer_orders",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "source_facility_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "dest_facility_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reference", sa.String(length=64), server_default="", nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "ship_movement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "receive_movement_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["dest_facility_id"],
            ["facilities.id"],
            name=op.f("fk_transfer_orders_dest_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_transfer_orders_owner_id_owners")
        ),
        sa.ForeignKeyConstraint(
            ["receive_movement_id"],
            ["movements.id"],
            name=op.f("fk_transfer_orders_receive_movement_id_movements"),
        ),
        sa.ForeignKeyConstraint(
            ["ship_movement_id"],
            ["movements.id"],
            name=op.f("fk_transfer_orders_ship_movement_id_movements"),
        ),
        sa.ForeignKeyConstraint(
            ["source_facility_id"],
            ["facilities.id"],
            name=op.f("fk_transfer_orders_source_facility_id_facilities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_orders")),
    )
    op.create_index(
        "ix_transfer_orders_dest", "transfer_orders", ["dest_facility_id", "state"], unique=False
    )
    op.create_index(
        "ix_transfer_orders_source",
        "transfer_orders",
        ["source_facility_id", "state"],
        unique=False,
    )
    op.create_table(
        "count_tasks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "facility_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("tolerance_units", sa.Integer(), nullable=False),
        sa.Column("tolerance_bp", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counted_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("device", sa.String(length=64), server_default="", nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column(
            "movement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_count_tasks_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_count_tasks_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movements.id"], name=op.f("fk_count_tasks_movement_id_movements")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_count_tasks_owner_id_owners")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["count_tasks.id"], name=op.f("fk_count_tasks_parent_id_count_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_tasks")),
    )
    op.create_index(
        "ix_count_tasks_location", "count_tasks", ["location_id", "owner_id", "state"], unique=False
    )
    op.create_index("ix_count_tasks_state", "count_tasks", ["facility_id", "state"], unique=False)
    op.create_table(
        "pick_face_settings",
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "facility_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("min_qty", sa.BigInteger(), nullable=False),
        sa.Column("max_qty", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "min_qty >= 0 AND max_qty > 0 AND min_qty <= max_qty",
            name=op.f("ck_pick_face_settings_min_max"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_pick_face_settings_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_pick_face_settings_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_pick_face_settings_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_pick_face_settings_owner_id_owners")
        ),
        sa.UniqueConstraint("location_id", name="uq_pick_face_settings_location"),
        sa.PrimaryKeyConstraint(
            "owner_id", "item_id", "location_id", name=op.f("pk_pick_face_settings")
        ),
    )
    op.create_index(
        "ix_pick_face_settings_facility",
        "pick_face_settings",
        ["facility_id", "owner_id"],
        unique=False,
    )
    op.create_table(
        "replenishment_tasks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "facility_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "from_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "to_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("lot", sa.String(length=20), server_default="", nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column(
            "movement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_replenishment_tasks_qty_positive")),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_replenishment_tasks_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["locations.id"],
            name=op.f("fk_replenishment_tasks_from_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_replenishment_tasks_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"],
            ["movements.id"],
            name=op.f("fk_replenishment_tasks_movement_id_movements"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["owners.id"], name=op.f("fk_replenishment_tasks_owner_id_owners")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["locations.id"],
            name=op.f("fk_replenishment_tasks_to_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replenishment_tasks")),
    )
    op.create_index(
        "ix_replenishment_tasks_face",
        "replenishment_tasks",
        ["to_location_id", "item_id", "state"],
        unique=False,
    )
    op.create_index(
        "ix_replenishment_tasks_facility",
        "replenishment_tasks",
        ["facility_id", "state"],
        unique=False,
    )
    op.create_table(
        "rma_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("rma_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot", sa.String(length=20), server_default="", nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("received_qty", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column(
            "received_location_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("disposition", sa.String(length=10), server_default="", nullable=False),
        sa.Column(
            "disposition_location_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("reason", sa.String(length=64), server_default="", nullable=False),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "movement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_rma_lines_qty_positive")),
        sa.ForeignKeyConstraint(
            ["disposition_location_id"],
            ["locations.id"],
            name=op.f("fk_rma_lines_disposition_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], name=op.f("fk_rma_lines_item_id_items")),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movements.id"], name=op.f("fk_rma_lines_movement_id_movements")
        ),
        sa.ForeignKeyConstraint(
            ["received_location_id"],
            ["locations.id"],
            name=op.f("fk_rma_lines_received_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(["rma_id"], ["rmas.id"], name=op.f("fk_rma_lines_rma_id_rmas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rma_lines")),
    )
    op.create_index("ix_rma_lines_rma", "rma_lines", ["rma_id"], unique=False)
    op.create_table(
        "transfer_lines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "transfer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot", sa.String(length=20), server_default="", nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column(
            "from_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "to_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_transfer_lines_qty_positive")),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["locations.id"],
            name=op.f("fk_transfer_lines_from_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_transfer_lines_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["locations.id"],
            name=op.f("fk_transfer_lines_to_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["transfer_id"],
            ["transfer_orders.id"],
            name=op.f("fk_transfer_lines_transfer_id_transfer_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_lines")),
    )
    op.create_index("ix_transfer_lines_transfer", "transfer_lines", ["transfer_id"], unique=False)
    op.create_table(
        "count_results",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("lot", sa.String(length=20), nullable=False),
        sa.Column("expected_qty", sa.BigInteger(), nullable=False),
        sa.Column("counted_qty", sa.BigInteger(), nullable=False),
        sa.Column("within_tolerance", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("counted_qty >= 0", name=op.f("ck_count_results_counted_not_negative")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["items.id"], name=op.f("fk_count_results_item_id_items")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["count_tasks.id"], name=op.f("fk_count_results_task_id_count_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_results")),
    )
    op.create_index(
        "ix_count_results_owner", "count_results", ["owner_id", "created_at"], unique=False
    )
    op.create_index("ix_count_results_task", "count_results", ["task_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_count_results_task", table_name="count_results")
    op.drop_index("ix_count_results_owner", table_name="count_results")
    op.drop_table("count_results")
    op.drop_index("ix_transfer_lines_transfer", table_name="transfer_lines")
    op.drop_table("transfer_lines")
    op.drop_index("ix_rma_lines_rma", table_name="rma_lines")
    op.drop_table("rma_lines")
    op.drop_index("ix_replenishment_tasks_facility", table_name="replenishment_tasks")
    op.drop_index("ix_replenishment_tasks_face", table_name="replenishment_tasks")
    op.drop_table("replenishment_tasks")
    op.drop_index("ix_pick_face_settings_facility", table_name="pick_face_settings")
    op.drop_table("pick_face_settings")
    op.drop_index("ix_count_tasks_state", table_name="count_tasks")
    op.drop_index("ix_count_tasks_location", table_name="count_tasks")
    op.drop_table("count_tasks")
    op.drop_index("ix_transfer_orders_source", table_name="transfer_orders")
    op.drop_index("ix_transfer_orders_dest", table_name="transfer_orders")
    op.drop_table("transfer_orders")
    op.drop_index("ix_rmas_owner_reference", table_name="rmas")
    op.drop_table("rmas")
    op.drop_table("item_classes")
