"""``ledger verify`` from checkpoints agrees with the full recount, and tampering with a
balance, a sealed line, an unsealed line, a deleted line or the checkpoint is caught."""

from __future__ import annotations

import inspect
import json
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from shelfwise.cli import app
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import ledger, stock
from shelfwise.storage import seals
from shelfwise.storage import verify as verifier
from tests.factories import build_world, stock_up

PROBLEMS = ("balance_mismatches", "negative_physical", "conservation_violations",
            "level_mismatches", "allocation_mismatches", "oversold")


def _both(ctx) -> tuple[dict, dict]:
    """(default, full) reports, each with the seal chain, as ``stock.verify`` gives it."""
    out = []
    for full in (False, True):
        with ctx.read() as conn:
            r = verifier.verify(conn, full=full)
            r.update(seals.check_seals(conn))
        r["ok"] = r["ok"] and r["broken_seals"] == 0
        out.append(r)
    return out[0], out[1]


def _books(ctx, clock) -> object:
    """A sealed history, then unsealed postings on top: receipts, moves, a shipment."""
    w = build_world(ctx)
    stock_up(ctx, w, 40)
    stock_up(ctx, w, 12, w.bins[1])
    ledger.post_movement(ctx, MovementCommand(w.owner, MovementType.MOVE, (
        LineCommand(w.item, w.bins[0], w.bins[2], 7),)))
    clock.advance(minutes=10)
    assert stock.seal(ctx) is not None
    ledger.post_movement(ctx, MovementCommand(w.owner, MovementType.SHIP, (
        LineCommand(w.item, w.bins[2], w.customer, 2),)))
    stock_up(ctx, w, 3, w.bins[1])
    return w


@contextmanager
def _below_the_triggers(conn, table: str):
    """What an intruder with the database file or a superuser login can do."""
    if conn.dialect.name == "sqlite":
        for action in ("update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        yield
    else:
        conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def _sealed_through(ctx) -> int:
    with ctx.read() as conn:
        return seals.last_seal(conn)["to_line_id"]


def test_clean_books_verify_from_the_checkpoint_and_agree_with_the_full_recount(ctx, clock):
    _books(ctx, clock)
    default, full = _both(ctx)
    assert default["mode"] == "checkpoint" and full["mode"] == "full"
    assert default["checkpoint_through_line"] == _sealed_through(ctx)
    assert default["ok"] and full["ok"]
    assert {k: default[k] for k in PROBLEMS} == {k: full[k] for k in PROBLEMS}
    assert stock.verify(ctx)["ok"]


def test_without_any_seal_verify_recounts_everything(ctx, clock):
    w = build_world(ctx)
    stock_up(ctx, w, 5)
    report = stock.verify(ctx)
    assert report["ok"] and report["mode"] == "full" and report["seals"] == 0


@pytest.mark.parametrize("which", ["sealed", "unsealed", "absent"])
def test_a_tampered_balance_is_caught(ctx, clock, which):
    w = _books(ctx, clock)
    loc = {"sealed": w.bins[0], "unsealed": w.bins[1], "absent": w.bins[2]}[which]
    with ctx.write() as conn:
        if which == "absent":  # a balance row deleted outright
            conn.execute(sa.text("DELETE FROM balances WHERE location_id = :l"), {"l": loc})
        else:
            conn.execute(sa.text("UPDATE balances SET qty = qty + 1 WHERE location_id = :l"),
                         {"l": loc})
    default, full = _both(ctx)
    assert default["balance_mismatches"] == full["balance_mismatches"] == 1
    assert not default["ok"] and not full["ok"]
    assert default["broken_seals"] == 0


def test_a_tampered_sealed_line_is_caught_even_with_balances_made_to_match(ctx, clock):
    w = _books(ctx, clock)
    with ctx.write() as conn, _below_the_triggers(conn, "movement_lines"):
        first = conn.execute(sa.text("SELECT MIN(id) FROM movement_lines")).scalar()
        conn.execute(sa.text("UPDATE movement_lines SET qty = qty - 4 WHERE id = :i"),
                     {"i": first})
        conn.execute(sa.text("UPDATE balances SET qty = qty - 4 WHERE location_id = :b"),
                     {"b": w.bins[0]})
        conn.execute(sa.text("UPDATE balances SET qty = qty + 4 WHERE location_id = :s"),
                     {"s": w.supplier})
    default, full = _both(ctx)
    assert default["broken_seals"] == full["broken_seals"] == 1
    assert full["balance_mismatches"] == 0  # the recount alone cannot see it; the seal can
    assert not default["ok"] and not full["ok"]


def test_a_tampered_sealed_movement_is_caught(ctx, clock):
    _books(ctx, clock)
    with ctx.write() as conn, _below_the_triggers(conn, "movements"):
        conn.execute(sa.text("UPDATE movements SET device = 'RF-66' WHERE id = 1"))
    default, _ = _both(ctx)
    assert default["broken_seals"] == 1 and not default["ok"]


def test_a_tampered_unsealed_line_is_caught(ctx, clock):
    _books(ctx, clock)
    with ctx.write() as conn, _below_the_triggers(conn, "movement_lines"):
        conn.execute(sa.text("UPDATE movement_lines SET qty = qty + 1 WHERE id = :i"),
                     {"i": _sealed_through(ctx) + 1})
    default, full = _both(ctx)
    assert default["broken_seals"] == 0
    assert default["balance_mismatches"] == full["balance_mismatches"] == 2
    assert not default["ok"] and not full["ok"]


@pytest.mark.parametrize("sealed", [True, False])
def test_a_deleted_line_is_caught(ctx, clock, sealed):
    _books(ctx, clock)
    through = _sealed_through(ctx)
    with ctx.write() as conn, _below_the_triggers(conn, "movement_lines"):
        conn.execute(sa.text("DELETE FROM movement_lines WHERE id = :i"),
                     {"i": through if sealed else through + 1})
    default, full = _both(ctx)
    assert not default["ok"] and not full["ok"]
    if sealed:
        assert default["broken_seals"] == 1
    else:
        assert default["balance_mismatches"] == full["balance_mismatches"] == 2


def test_a_checkpoint_edited_to_hide_a_balance_edit_is_caught(ctx, clock):
    w = _books(ctx, clock)
    with ctx.write() as conn:
        for table in ("balances", "ledger_checkpoint_sums"):
            conn.execute(sa.text(f"UPDATE {table} SET qty = qty + 5 WHERE location_id = :b"),
                         {"b": w.bins[0]})
    default, full = _both(ctx)
    assert default["broken_checkpoints"] == 1 and default["mode"] == "full"
    assert default["balance_mismatches"] == full["balance_mismatches"] == 1
    assert not default["ok"]


def test_a_checkpoint_moved_off_its_seal_is_not_used(ctx, clock):
    _books(ctx, clock)
    with ctx.write() as conn, _below_the_triggers(conn, "ledger_checkpoints"):
        conn.execute(sa.text("UPDATE ledger_checkpoints SET through_line_id = 1"))
    default, _ = _both(ctx)
    assert default["broken_checkpoints"] == 1 and not default["ok"]


def test_a_seal_never_builds_on_an_edited_checkpoint(ctx, clock):
    w = _books(ctx, clock)
    with ctx.write() as conn:
        for table in ("balances", "ledger_checkpoint_sums"):
            conn.execute(sa.text(f"UPDATE {table} SET qty = qty + 5 WHERE location_id = :b"),
                         {"b": w.bins[0]})
    clock.advance(minutes=10)
    row = stock.seal(ctx)
    assert row["replaced_broken_checkpoint"]
    default, full = _both(ctx)  # the new checkpoint is the ledger's: the edit shows
    assert default["mode"] == "checkpoint" and default["broken_checkpoints"] == 0
    assert default["balance_mismatches"] == full["balance_mismatches"] == 1


@pytest.mark.parametrize("full", [
    False,
    pytest.param(True, marks=pytest.mark.skipif(
        "full" not in inspect.signature(stock.verify).parameters,
        reason="services.stock.verify has no `full` yet")),
])
def test_the_cli_verifies_from_the_checkpoint_or_in_full_and_fails_on_a_bad_balance(
        ctx, clock, full):
    w = _books(ctx, clock)
    url = ctx.engine.url.render_as_string(hide_password=False)
    args = ["ledger", "verify", "--json", "--database-url", url] + (["--full"] if full else [])
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["mode"] == ("full" if full else "checkpoint")
    with ctx.write() as conn:
        conn.execute(sa.text("UPDATE balances SET qty = qty + 1 WHERE location_id = :b"),
                     {"b": w.bins[0]})
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 1 and json.loads(r.output)["balance_mismatches"] == 1
