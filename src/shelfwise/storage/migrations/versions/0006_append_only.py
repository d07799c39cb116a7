"""The ledger is append-only: triggers refuse UPDATE/DELETE; seals chain its hash.

Revision ID: 0006
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None

LEDGER_TABLES = ("movements", "movement_lines")


def upgrade() -> None:
    op.create_table(
        "ledger_seals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("from_line_id", sa.BigInteger(), nullable=False),
        sa.Column("to_line_id", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in LEDGER_TABLES + ("ledger_seals",):
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'ledger_append_only: {table} rows cannot be "
                    f"changed; post a correcting movement'); END"
                )
    else:
        op.execute(
            "CREATE FUNCTION shelfwise_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'ledger_append_only: % rows cannot be changed; post a correcting "
            "movement', TG_TABLE_NAME; END $$ LANGUAGE plpgsql"
        )
        for table in LEDGER_TABLES + ("ledger_seals",):
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION shelfwise_append_only()"
            )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for table in LEDGER_TABLES + ("ledger_seals",):
            for action in ("update", "delete"):
                op.execute(f"DROP TRIGGER {table}_no_{action}")
    else:
        for table in LEDGER_TABLES + ("ledger_seals",):
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION shelfwise_append_only()")
    op.drop_table("ledger_seals")
