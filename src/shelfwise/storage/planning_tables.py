"""Planning tables: supply terms, plan runs, forecasts, suggestions, channel ring-fences.

A plan run is a snapshot: its forecasts and suggestions are written once and keep
what the plan said and why (the ``why`` JSON holds every number behind a suggestion).
Only a planner's decision changes a suggestion, through the state machine in
:mod:`shelfwise.domain.planning.suggestions`; approving one creates a real document
(a purchase order receipt or a transfer order) whose id the suggestion records.
"""

from __future__ import annotations

import sqlalchemy as sa

from shelfwise.storage.tables import TS, BigInt, metadata

supply_terms = sa.Table(
    "supply_terms",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("item_id", BigInt, sa.ForeignKey("items.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("supplier_code", sa.String(64), nullable=False),
    sa.Column("supplier_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("lead_time_days", sa.Float, nullable=False),
    sa.Column("lead_time_sd_days", sa.Float, nullable=False, server_default="0"),
    sa.Column("moq", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("order_multiple", sa.Integer, nullable=False, server_default="1"),
    sa.Column("case_pack", sa.Integer, nullable=False, server_default="1"),
    sa.Column("unit_cost_cents", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("ordering_cost_cents", sa.BigInteger, nullable=False, server_default="5000"),
    sa.Column("holding_rate", sa.Float, nullable=False, server_default="0.25"),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("owner_id", "item_id", "facility_id", name="uq_supply_terms_key"),
    sa.CheckConstraint(
        "lead_time_days >= 0 AND lead_time_sd_days >= 0 AND moq >= 0 AND order_multiple >= 1"
        " AND case_pack >= 1 AND unit_cost_cents >= 0 AND ordering_cost_cents >= 0"
        " AND holding_rate >= 0",
        name="terms",
    ),
)

planning_runs = sa.Table(
    "planning_runs",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, nullable=True),
    sa.Column("facility_id", BigInt, nullable=True),
    sa.Column("horizon", sa.Integer, nullable=False),
    sa.Column("service_level", sa.Float, nullable=False),
    sa.Column("review_period", sa.Integer, nullable=False),
    sa.Column("engine", sa.String(16), nullable=False),
    sa.Column("series", sa.Integer, nullable=False),
    sa.Column("history_days", sa.Integer, nullable=False),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
)

forecasts = sa.Table(
    "forecasts",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("run_id", BigInt, sa.ForeignKey("planning_runs.id"), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, nullable=False),
    sa.Column("facility_id", BigInt, nullable=False),
    sa.Column("method", sa.String(32), nullable=False),
    sa.Column("demand_class", sa.String(16), nullable=False),
    sa.Column("daily_mean", sa.Float, nullable=False),
    sa.Column("error_sd", sa.Float, nullable=False),
    sa.Column("wape", sa.Float, nullable=True),
    sa.Column("mase", sa.Float, nullable=True),
    sa.Column("bias", sa.Float, nullable=True),
    sa.Column("stockout_days", sa.Integer, nullable=False, server_default="0"),
    sa.Column("inventory_position", sa.Float, nullable=False),
    sa.Column("safety_stock", sa.Float, nullable=False),
    sa.Column("reorder_point", sa.Float, nullable=False),
    sa.Column("order_up_to", sa.Float, nullable=False),
    sa.Column("projected_stockout", sa.Date, nullable=True),
    sa.Index("ix_forecasts_run", "run_id", "owner_id", "item_id", "facility_id"),
)

suggestions = sa.Table(
    "suggestions",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("run_id", BigInt, sa.ForeignKey("planning_runs.id"), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, nullable=False),
    sa.Column("facility_id", BigInt, nullable=False),
    sa.Column("source_facility_id", BigInt, nullable=True),
    sa.Column("supplier_code", sa.String(64), nullable=False, server_default=""),
    sa.Column("supplier_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("group_ref", sa.String(64), nullable=False, server_default=""),
    sa.Column("proposed_qty", sa.BigInteger, nullable=False),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("due_date", sa.Date, nullable=False),
    sa.Column("arrival_date", sa.Date, nullable=True),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("document_type", sa.String(32), nullable=False, server_default=""),
    sa.Column("document_id", sa.String(64), nullable=False, server_default=""),
    sa.Column("decided_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("decided_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.CheckConstraint("proposed_qty >= 0 AND qty >= 0", name="qty"),
    sa.Index("ix_suggestions_run", "run_id", "kind"),
    sa.Index("ix_suggestions_state", "state", "kind"),
    sa.Index("ix_suggestions_key", "owner_id", "item_id", "facility_id"),
)

channel_allocations = sa.Table(
    "channel_allocations",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("run_id", BigInt, sa.ForeignKey("planning_runs.id"), nullable=False),
    sa.Column("suggestion_id", BigInt, nullable=True),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("item_id", BigInt, nullable=False),
    sa.Column("facility_id", BigInt, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("qty", sa.BigInteger, nullable=False),
    sa.Column("available", sa.BigInteger, nullable=False),
    sa.Column("policy", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", TS, nullable=False),
    sa.CheckConstraint("qty >= 0 AND qty <= available", name="qty"),
    sa.Index("ix_channel_allocations_key", "owner_id", "item_id", "facility_id", "active"),
    sa.Index("ix_channel_allocations_suggestion", "suggestion_id"),
)
