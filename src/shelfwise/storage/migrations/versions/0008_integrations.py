"""integrations: webhook subscriptions and deliveries, cursors, inbound de-duplication,
channel configurations, links to outside documents

Revision ID: 0008
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0001"
branch_labels = None
depends_on = None

BigInt = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("event_types", sa.String(500), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("secret", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"],
                                name=op.f("fk_webhook_subscriptions_owner_id_owners")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_subscriptions")),
    )
    op.create_index("ix_webhook_subscriptions_owner", "webhook_subscriptions", ["owner_id"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("event_id", BigInt, nullable=False),
        sa.Column("subscription_id", BigInt, nullable=False),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=True),
        sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("delivered_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"], ["webhook_subscriptions.id"],
            name=op.f("fk_webhook_deliveries_subscription_id_webhook_subscriptions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("subscription_id", "event_id",
                            name="uq_webhook_deliveries_sub_event"),
    )
    op.create_index("ix_webhook_deliveries_due", "webhook_deliveries",
                    ["state", "next_attempt_at"])
    op.create_table(
        "integration_cursors",
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("position", BigInt, nullable=False, server_default="0"),
        sa.Column("last_run_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_integration_cursors")),
    )
    op.create_table(
        "inbound_messages",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(120), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("owner_id", BigInt, nullable=True),
        sa.Column("result", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("source", "message_id", name="uq_inbound_messages_source_message"),
    )
    op.create_table(
        "channel_configs",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("facility_id", BigInt, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("shop_domain", sa.String(200), nullable=False, server_default=""),
        sa.Column("partner_id", sa.String(15), nullable=False, server_default=""),
        sa.Column("shared_secret", sa.String(200), nullable=False, server_default=""),
        sa.Column("sync_url", sa.String(500), nullable=False, server_default=""),
        sa.Column("sync_interval_s", sa.Integer, nullable=False, server_default="60"),
        sa.Column("order_channel", sa.String(16), nullable=False, server_default="b2c"),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["owners.id"],
                                name=op.f("fk_channel_configs_owner_id_owners")),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"],
                                name=op.f("fk_channel_configs_facility_id_facilities")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_configs")),
        sa.UniqueConstraint("owner_id", "code", name="uq_channel_configs_owner_code"),
    )
    op.create_index("ix_channel_configs_partner", "channel_configs", ["channel", "partner_id"])
    op.create_table(
        "integration_links",
        sa.Column("id", BigInt, primary_key=True, autoincrement=True),
        sa.Column("owner_id", BigInt, nullable=False),
        sa.Column("channel_id", BigInt, nullable=False),
        sa.Column("document_type", sa.String(32), nullable=False),
        sa.Column("document_id", BigInt, nullable=False),
        sa.Column("external_ref", sa.String(200), nullable=False),
        sa.Column("data", sa.Text, nullable=False, server_default="{}"),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channel_configs.id"],
                                name=op.f("fk_integration_links_channel_id_channel_configs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_links")),
        sa.UniqueConstraint("document_type", "document_id",
                            name="uq_integration_links_document"),
    )
    op.create_index("ix_integration_links_channel", "integration_links",
                    ["channel_id", "document_type"])


def downgrade() -> None:
    op.drop_table("integration_links")
    op.drop_table("channel_configs")
    op.drop_table("inbound_messages")
    op.drop_table("integration_cursors")
    op.drop_table("webhook_deliveries")
    op.drop_table("webhook_subscriptions")
