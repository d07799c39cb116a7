"""An index on ``item_gtins(item_id)``: every pick, pack and putaway confirmation looks
up the expected item's GTINs by item; the unique (owner, gtin) index cannot serve that.

Revision ID: 0011_item_gtins_by_item
Revises: 0001
"""

from alembic import op

revision = "0011_item_gtins_by_item"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_item_gtins_item", "item_gtins", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_item_gtins_item", table_name="item_gtins")
