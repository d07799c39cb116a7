"""Billing tables: metering events, rate cards, invoices and their lines.

A metering event is written in the same transaction as the work it measures, so the
bill can never disagree with the ledger. Its ``(source_type, source_id, activity,
owner_id, facility_id)`` is unique: recording the same work twice (a retried scan, the
nightly storage snapshot run again) meters it once. An event belongs to at most one
invoice (``billed_invoice_id``) and to the line that priced it (``invoice_line_id``),
so every cent on an invoice traces back to the work behind it.
"""

from __future__ import annotations

import sqlalchemy as sa

from shelfwise.storage.tables import TS, BigInt, metadata

rate_cards = sa.Table(
    "rate_cards",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("effective_from", sa.Date, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("minimum_monthly_cents", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rates", sa.Text, nullable=False),  # json: activity -> cents per unit (text)
    sa.Column("updated_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("owner_id", "effective_from", name="uq_rate_cards_owner_from"),
    sa.CheckConstraint("minimum_monthly_cents >= 0", name="minimum_not_negative"),
)

invoices = sa.Table(
    "invoices",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("period", sa.String(7), nullable=False),
    sa.Column("number", sa.String(96), nullable=False, unique=True),
    sa.Column("state", sa.String(12), nullable=False),
    sa.Column("rate_card_id", BigInt, sa.ForeignKey("rate_cards.id"), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("subtotal_cents", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("minimum_topup_cents", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("total_cents", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("issued_at", TS, nullable=True),
    sa.UniqueConstraint("owner_id", "period", name="uq_invoices_owner_period"),
    sa.CheckConstraint("state IN ('draft', 'issued')", name="state"),
    sa.CheckConstraint("total_cents = subtotal_cents + minimum_topup_cents", name="total"),
)

invoice_lines = sa.Table(
    "invoice_lines",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("invoice_id", BigInt, sa.ForeignKey("invoices.id"), nullable=False),
    sa.Column("line_no", sa.Integer, nullable=False),
    sa.Column("activity", sa.String(48), nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("rate", sa.String(24), nullable=False),  # cents per unit, decimal text
    sa.Column("amount_cents", sa.BigInteger, nullable=False),
    sa.Column("event_count", sa.BigInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("invoice_id", "activity", name="uq_invoice_lines_invoice_activity"),
)

metering_events = sa.Table(
    "metering_events",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("activity", sa.String(48), nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("occurred_at", TS, nullable=False),
    sa.Column("source_type", sa.String(24), nullable=False),
    sa.Column("source_id", sa.String(160), nullable=False),
    sa.Column("billed_invoice_id", BigInt, sa.ForeignKey("invoices.id"), nullable=True),
    sa.Column("invoice_line_id", BigInt, sa.ForeignKey("invoice_lines.id"), nullable=True),
    sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    sa.Index("ix_metering_events_owner_time", "owner_id", "occurred_at"),
)
# Partial indexes keep metering cheap on the ledger's hot path: a movement's own events
# cannot repeat (each movement is posted once), so only sources that can recur (document
# lines, storage days, work orders) need the unique index; and only billed events are
# looked up by invoice.
_MOVEMENT = metering_events.c.source_type != "movement"
_BILLED = metering_events.c.billed_invoice_id.isnot(None)
sa.Index("uq_metering_events_source", metering_events.c.source_type,
         metering_events.c.source_id, metering_events.c.activity, metering_events.c.owner_id,
         metering_events.c.facility_id, unique=True, sqlite_where=_MOVEMENT,
         postgresql_where=_MOVEMENT)
sa.Index("ix_metering_events_invoice", metering_events.c.billed_invoice_id,
         metering_events.c.activity, sqlite_where=_BILLED, postgresql_where=_BILLED)
