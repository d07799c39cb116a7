"""Integration tables: outbound webhook subscriptions and deliveries, read cursors,
inbound message de-duplication, channel configurations and links to outside documents.

These rows describe *conversations with other systems*; they never hold stock. The
outbox (written in the same transaction as every movement) stays the only source of
outbound events: a delivery row points back to its outbox id, which is also the stable
event id receivers use to de-duplicate (delivery is at-least-once).
"""

from __future__ import annotations

import sqlalchemy as sa

from shelfwise.storage.tables import TS, BigInt, metadata

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    # comma-separated topic patterns: "order.shipped", "order.*", "*"
    sa.Column("event_types", sa.String(500), nullable=False),
    sa.Column("url", sa.String(500), nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_webhook_subscriptions_owner", "owner_id"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("event_id", BigInt, nullable=False),  # the outbox id: stable across retries
    sa.Column("subscription_id", BigInt, sa.ForeignKey("webhook_subscriptions.id"),
              nullable=False),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the exact bytes signed and sent
    sa.Column("state", sa.String(12), nullable=False),  # pending, delivered, dead
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", TS, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("delivered_at", TS, nullable=True),
    sa.UniqueConstraint("subscription_id", "event_id", name="uq_webhook_deliveries_sub_event"),
    sa.Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
)

integration_cursors = sa.Table(
    "integration_cursors",
    metadata,
    sa.Column("name", sa.String(120), primary_key=True),
    sa.Column("position", BigInt, nullable=False, server_default="0"),
    sa.Column("last_run_at", TS, nullable=True),
    sa.Column("updated_at", TS, nullable=False),
)

inbound_messages = sa.Table(
    "inbound_messages",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("source", sa.String(120), nullable=False),  # "shopify:3", "edi:ZZ:ACMEFOODS"
    sa.Column("message_id", sa.String(200), nullable=False),  # webhook id, "ISA13:9221"
    sa.Column("owner_id", BigInt, nullable=True),
    sa.Column("result", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("source", "message_id", name="uq_inbound_messages_source_message"),
)

channel_configs = sa.Table(
    "channel_configs",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, sa.ForeignKey("owners.id"), nullable=False),
    sa.Column("facility_id", BigInt, sa.ForeignKey("facilities.id"), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),  # shopify, edi
    sa.Column("code", sa.String(32), nullable=False),  # prefix of order numbers
    sa.Column("shop_domain", sa.String(200), nullable=False, server_default=""),
    sa.Column("partner_id", sa.String(15), nullable=False, server_default=""),  # EDI ISA06
    sa.Column("shared_secret", sa.String(200), nullable=False, server_default=""),
    sa.Column("sync_url", sa.String(500), nullable=False, server_default=""),
    sa.Column("sync_interval_s", sa.Integer, nullable=False, server_default="60"),
    sa.Column("order_channel", sa.String(16), nullable=False, server_default="b2c"),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("owner_id", "code", name="uq_channel_configs_owner_code"),
    sa.Index("ix_channel_configs_partner", "channel", "partner_id"),
)

integration_links = sa.Table(
    "integration_links",
    metadata,
    sa.Column("id", BigInt, primary_key=True, autoincrement=True),
    sa.Column("owner_id", BigInt, nullable=False),
    sa.Column("channel_id", BigInt, sa.ForeignKey("channel_configs.id"), nullable=False),
    sa.Column("document_type", sa.String(32), nullable=False),  # order, receipt
    sa.Column("document_id", BigInt, nullable=False),
    sa.Column("external_ref", sa.String(200), nullable=False),  # Shopify id, 940 W05-02
    sa.Column("data", sa.Text, nullable=False, server_default="{}"),  # partner product ids
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("document_type", "document_id", name="uq_integration_links_document"),
    sa.Index("ix_integration_links_channel", "channel_id", "document_type"),
)
