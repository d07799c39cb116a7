"""The ledger is append-only, and a seal chain catches tampering below the triggers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from shelfwise.services import stock
from tests.factories import build_world, stock_up


def test_ledger_rows_cannot_be_updated_or_deleted(ctx):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    for sql in ("UPDATE movement_lines SET qty = 11", "DELETE FROM movement_lines",
                "UPDATE movements SET user_name = 'mallory'"):
        with pytest.raises(sa.exc.DBAPIError, match="ledger_append_only"), ctx.write() as conn:
            conn.exec_driver_sql(sql)
    assert stock.verify(ctx)["ok"]


def test_a_seal_covers_new_lines_and_verify_checks_the_chain(ctx, clock):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    clock.advance(minutes=10)
    first = stock.seal(ctx)
    assert first is not None and first["line_count"] == 1
    assert stock.seal(ctx) is None  # nothing new
    stock_up(ctx, w, 5)
    clock.advance(minutes=10)
    second = stock.seal(ctx)
    assert second["prev_hash"] == first["hash"] and second["line_count"] == 1
    report = stock.verify(ctx)
    assert report["ok"] and report["seals"] == 2 and report["broken_seals"] == 0


def test_tampering_below_the_triggers_breaks_the_seal(ctx, clock):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    clock.advance(minutes=10)
    stock.seal(ctx)
    with ctx.write() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER movements_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE movements DISABLE TRIGGER movements_append_only")
        conn.exec_driver_sql("UPDATE movements SET user_name = 'mallory'")
        if conn.dialect.name != "sqlite":
            conn.exec_driver_sql("ALTER TABLE movements ENABLE TRIGGER movements_append_only")
    report = stock.verify(ctx)
    assert report["broken_seals"] == 1 and not report["ok"]
