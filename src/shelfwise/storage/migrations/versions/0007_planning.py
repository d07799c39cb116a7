"""planning: supply terms, plan runs, forecasts, suggestions, channel allocations

Revision ID: 0007
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", BigInt, autoincrement=True, nullable=False)


def upgrade() -> None:
    op.create_table(
        "supply_terms",
        _id(),
        sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
        sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
        sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
        sa.Column("supplier_code", sa.String(64), nullable=False),
        sa.Column("supplier_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("lead_time_days", sa.Float(), nullable=False),
        sa.Column("lead_time_sd_days", sa.Float(), nullable=False, server_default="0"),
        sa.Column("moq", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("order_multiple", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("case_pack", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("unit_cost_cents", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("ordering_cost_cents", sa.BigInteger(), nullable=False, server_default="5000"),
        sa.Column("holding_rate", sa.Float(), nullable=False, server_default="0.25"),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_supply_terms"),
        sa.UniqueConstraint("owner_id", "item_id", "facility_id", name="uq_supply_terms_key"),
        sa.CheckConstraint(
            "lead_time_days >= 0 AND lead_time_sd_days >= 0 AND moq >= 0"
            " AND order_multiple >= 1 AND case_pack >= 1 AND unit_cost_cents >= 0"
            " AND ordering_cost_cents >= 0 AND holding_rate >= 0",
            name="ck_supply_terms_terms",
        ),
    )
    op.create_table(
        "planning_runs",
        _id(),
        sa.Column("owner_id", BigInt, nullable=True),
        sa.Column("facility_id", BigInt, nullable=True),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("service_level", sa.Float(), nullable=False),
        sa.Column("review_period", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(16), nullable=False),
        sa.Column("series", sa.Integer(), nullable=False),
        sa.Column("history_days", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_planning_runs"),
    )
    op.create_table(
        "forecasts",
        _id(),
        sa.Column("run_id", BigInt, sa.ForeignKey("planning_runs.id"), nullable=False),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("item_id", BigInt, nullable=False),
        sa.Column("facility_id", BigInt, nullable=False),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("demand_class", sa.String(16), nullable=False),
        sa.Column("daily_mean", sa.Float(), nullable=False),
        sa.Column("error_sd", sa.Float(), nullable=False),
        sa.Column("wape", sa.Float(), nullable=True),
        sa.Column("mase", sa.Float(), nullable=True),
        sa.Column("bias", sa.Float(), nullable=True),
        sa.Column("stockout_days", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("inventory_position", sa.Float(), nullable=False),
        sa.Column("safety_stock", sa.Float(), nullable=False),
        sa.Column("reorder_point", sa.Float(), nullable=False),
        sa.Column("order_up_to", sa.Float(), nullable=False),
        sa.Column("projected_stockout", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_forecasts"),
    )
    op.create_index("ix_forecasts_run", "forecasts",
                    ["run_id", "owner_id", "item_id", "facility_id"])
    op.create_table(
        "suggestions",
        _id(),
        sa.Column("run_id", BigInt, sa.ForeignKey("planning_runs.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("item_id", BigInt, nullable=False),
        sa.Column("facility_id", BigInt, nullable=False),
        sa.Column("source_facility_id", BigInt, nullable=True),
        sa.Column("supplier_code", sa.String(64), nullable=False, server_default=""),
        sa.Column("supplier_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("group_ref", sa.String(64), nullable=False, server_default=""),
        sa.Column("proposed_qty", sa.BigInteger(), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=True),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("why", sa.Text(), nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False, server_default=""),
        sa.Column("document_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("decided_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_suggestions"),
        sa.CheckConstraint("proposed_qty >= 0 AND qty >= 0", name="ck_suggestions_qty"),
    )
    op.create_index("ix_suggestions_run", "suggestions", ["run_id", "kind"])
    op.create_index("ix_suggestions_state", "suggestions", ["state", "kind"])
    op.create_index("ix_suggestions_key", "suggestions", ["owner_id", "item_id", "facility_id"])
    op.create_table(
        "channel_allocations",
        _id(),
        sa.Column("run_id", BigInt, sa.ForeignKey("planning_runs.id"), nullable=False),
        sa.Column("suggestion_id", BigInt, nullable=True),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("item_id", BigInt, nullable=False),
        sa.Column("facility_id", BigInt, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=False),
        sa.Column("policy", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_channel_allocations"),
        sa.CheckConstraint("qty >= 0 AND qty <= available", name="ck_channel_allocations_qty"),
    )
    op.create_index("ix_channel_allocations_key", "channel_allocations",
                    ["owner_id", "item_id", "facility_id", "active"])
    op.create_index("ix_channel_allocations_suggestion", "channel_allocations",
                    ["suggestion_id"])


def downgrade() -> None:
    for name in ("channel_allocations", "suggestions", "forecasts", "planning_runs",
                 "supply_terms"):
        op.drop_table(name)
