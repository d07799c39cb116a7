"""What "bad input changes nothing" means, as a value tests can compare.

A snapshot is every row of every table a ledger command may write (movements and their
lines, balances, stock levels, holds, outbox, idempotency keys, lots), in primary-key
order. Two snapshots are equal only when not one byte of the ledger changed.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa

from shelfwise.services.context import Context
from shelfwise.storage.tables import (
    balances,
    holds,
    idempotency_keys,
    lots,
    movement_lines,
    movements,
    outbox,
    stock_levels,
)

LEDGER_TABLES = (movements, movement_lines, balances, stock_levels, holds, outbox,
                 idempotency_keys, lots)

#: Backends for modules that mark their PostgreSQL runs ``postgres`` (skipped, and shown
#: as skipped, when no server is configured).
BACKEND_PARAMS = [
    "sqlite",
    pytest.param(
        "postgres",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(not os.environ.get("SHELFWISE_TEST_POSTGRES_URL"),
                               reason="SHELFWISE_TEST_POSTGRES_URL not set"),
        ],
    ),
]


def snapshot(ctx: Context) -> dict[str, list[tuple[Any, ...]]]:
    """Every ledger row, table by table, in primary-key order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with ctx.read() as conn:
        for table in LEDGER_TABLES:
            order = list(table.primary_key.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def counts(ctx: Context) -> dict[str, int]:
    """Row counts of the ledger tables (cheap, for concurrency tests)."""
    with ctx.read() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in LEDGER_TABLES
        }
