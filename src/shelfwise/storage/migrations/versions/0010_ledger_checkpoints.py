"""Ledger checkpoints: per-stock-key ledger sums up to a seal, so verify need not re-add
the whole ledger; one seal per starting line.

``ledger_checkpoint_sums`` holds, for every (owner, item, location, lot) with a non-zero
sum, the sum of the ledger lines up to the newest checkpoint's line. It is derived data,
rewritten in place by each seal. ``ledger_checkpoints`` is the append-only list of
checkpoints (one per seal), each with a sha256 digest of the sums as they were written,
so verify can prove the sums table was not edited since.

Revision ID: 0010_ledger_checkpoints
Revises: 0001
Depends on: 0006 (ledger_seals)
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_ledger_checkpoints"
down_revision = "0001"
branch_labels = None
depends_on = "0006"

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_checkpoints",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("seal_id", ID, sa.ForeignKey("ledger_seals.id"), nullable=False,
                  unique=True),
        sa.Column("through_line_id", sa.BigInteger(), nullable=False),
        sa.Column("keys", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "ledger_checkpoint_sums",
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("item_id", ID, nullable=False),
        sa.Column("location_id", ID, nullable=False),
        sa.Column("lot", sa.String(20), nullable=False),
        sa.Column("qty", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "item_id", "location_id", "lot",
                                name="pk_ledger_checkpoint_sums"),
        sqlite_with_rowid=False,
    )
    # two seals starting at the same line would be a fork of the chain
    op.create_index("ux_ledger_seals_from_line", "ledger_seals", ["from_line_id"], unique=True)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_checkpoints_no_{action.lower()} BEFORE {action} ON "
                "ledger_checkpoints BEGIN SELECT RAISE(ABORT, 'ledger_append_only: "
                "ledger_checkpoints rows cannot be changed'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON "
            "ledger_checkpoints FOR EACH ROW EXECUTE FUNCTION shelfwise_append_only()"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER ledger_checkpoints_no_{action}")
    else:
        op.execute("DROP TRIGGER ledger_checkpoints_append_only ON ledger_checkpoints")
    op.drop_index("ux_ledger_seals_from_line", table_name="ledger_seals")
    op.drop_table("ledger_checkpoint_sums")
    op.drop_table("ledger_checkpoints")
