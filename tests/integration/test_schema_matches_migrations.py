"""The tables the code declares (``storage.*_tables``) and the schema the migrations
build must not drift apart: a column, index or constraint added on one side only would
pass every test that builds its database one way and fail on a real upgrade."""

from __future__ import annotations

import importlib
import pkgutil

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import shelfwise.storage as storage
from shelfwise.storage.tables import metadata

# The seal chain and its checkpoints are written with plain SQL (storage/seals.py) and
# live only in their migrations.
SQL_ONLY = {"ledger_seals", "ledger_checkpoints", "ledger_checkpoint_sums"}


def _table_of(diff: tuple) -> str:
    obj = diff[1] if len(diff) > 1 else None
    if isinstance(obj, sa.Table):
        return obj.name
    table = getattr(obj, "table", None)
    return getattr(table, "name", "") or ""


def test_migrated_schema_matches_the_declared_tables(engine: sa.Engine) -> None:
    for m in pkgutil.iter_modules(storage.__path__):
        if m.name.endswith("tables"):
            importlib.import_module(f"{storage.__name__}.{m.name}")
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    drift = [d for d in diffs if not (isinstance(d, tuple) and _table_of(d) in SQL_ONLY)]
    assert drift == [], drift
