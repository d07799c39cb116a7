"""billing: metering events, rate cards, invoices, invoice lines

Revision ID: 0009
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rate_cards",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("minimum_monthly_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rates", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), server_default="", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("minimum_monthly_cents >= 0",
                           name=op.f("ck_rate_cards_minimum_not_negative")),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"],
                                name=op.f("fk_rate_cards_owner_id_owners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_cards")),
        sa.UniqueConstraint("owner_id", "effective_from", name="uq_rate_cards_owner_from"),
    )
    op.create_table(
        "invoices",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("number", sa.String(length=96), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("rate_card_id", ID, nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("subtotal_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("minimum_topup_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total_cents", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("issued_at", TS, nullable=True),
        sa.CheckConstraint("state IN ('draft', 'issued')", name=op.f("ck_invoices_state")),
        sa.CheckConstraint("total_cents = subtotal_cents + minimum_topup_cents",
                           name=op.f("ck_invoices_total")),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"],
                                name=op.f("fk_invoices_owner_id_owners")),
        sa.ForeignKeyConstraint(["rate_card_id"], ["rate_cards.id"],
                                name=op.f("fk_invoices_rate_card_id_rate_cards")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
        sa.UniqueConstraint("owner_id", "period", name="uq_invoices_owner_period"),
    )
    op.create_table(
        "invoice_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("invoice_id", ID, nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("activity", sa.String(length=48), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.String(length=24), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("event_count", sa.BigInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"],
                                name=op.f("fk_invoice_lines_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint("invoice_id", "activity", name="uq_invoice_lines_invoice_activity"),
    )
    op.create_table(
        "metering_events",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("facility_id", ID, nullable=False),
        sa.Column("activity", sa.String(length=48), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.Column("source_type", sa.String(length=24), nullable=False),
        sa.Column("source_id", sa.String(length=160), nullable=False),
        sa.Column("billed_invoice_id", ID, nullable=True),
        sa.Column("invoice_line_id", ID, nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_metering_events_quantity_positive")),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"],
                                name=op.f("fk_metering_events_owner_id_owners")),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"],
                                name=op.f("fk_metering_events_facility_id_facilities")),
        sa.ForeignKeyConstraint(["billed_invoice_id"], ["invoices.id"],
                                name=op.f("fk_metering_events_billed_invoice_id_invoices")),
        sa.ForeignKeyConstraint(["invoice_line_id"], ["invoice_lines.id"],
                                name=op.f("fk_metering_events_invoice_line_id_invoice_lines")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metering_events")),
    )
    op.create_index("ix_metering_events_owner_time", "metering_events",
                    ["owner_id", "occurred_at"])
    not_movement = sa.text("source_type <> 'movement'")
    billed = sa.text("billed_invoice_id IS NOT NULL")
    op.create_index("uq_metering_events_source", "metering_events",
                    ["source_type", "source_id", "activity", "owner_id", "facility_id"],
                    unique=True, sqlite_where=not_movement, postgresql_where=not_movement)
    op.create_index("ix_metering_events_invoice", "metering_events",
                    ["billed_invoice_id", "activity"], sqlite_where=billed,
                    postgresql_where=billed)


def downgrade() -> None:
    op.drop_index("ix_metering_events_invoice", table_name="metering_events")
    op.drop_index("uq_metering_events_source", table_name="metering_events")
    op.drop_index("ix_metering_events_owner_time", table_name="metering_events")
    op.drop_table("metering_events")
    op.drop_table("invoice_lines")
    op.drop_table("invoices")
    op.drop_table("rate_cards")
