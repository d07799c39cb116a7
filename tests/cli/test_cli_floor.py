"""The floor commands on the terminal move stock by scans and refuse bad scans."""

from __future__ import annotations

from typer.testing import CliRunner

from shelfwise.cli import app
from shelfwise.services import catalog, stock
from tests.factories import build_world, gtin, stock_up

runner = CliRunner()


def _url(ctx) -> str:
    return ctx.engine.url.render_as_string(hide_password=False)


def test_move_by_scans_posts_one_movement(ctx, backend):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    src = catalog.get_location(ctx, w.bins[0])["barcode"]
    dst = catalog.get_location(ctx, w.bins[1])["barcode"]
    r = runner.invoke(app, ["move", "--owner", "ACME", "--item-scan", gtin(1), "--from", src,
                            "--to", dst, "--qty", "4", "--database-url", _url(ctx)])
    assert r.exit_code == 0, r.output
    rows = {b["location_id"]: b["qty"] for b in stock.bin_balances(ctx, None, item_id=w.item)}
    assert rows == {w.bins[0]: 6, w.bins[1]: 4}


def test_move_with_a_bad_check_digit_is_refused_and_moves_nothing(ctx, backend):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    bad = gtin(1)[:-1] + str((int(gtin(1)[-1]) + 1) % 10)
    r = runner.invoke(app, ["move", "--owner", "ACME", "--item-scan", bad, "--from",
                            "A-01-01-A", "--to", "A-01-02-A", "--database-url", _url(ctx)])
    assert r.exit_code == 1
    assert "bad_check_digit" in r.output
    assert stock.verify(ctx)["movements"] == 1


def test_another_owners_gtin_is_refused(ctx, backend):
    w = build_world(ctx)
    stock_up(ctx, w, 10)
    r = runner.invoke(app, ["move", "--owner", "ACME", "--item-scan", gtin(3), "--from",
                            "A-01-01-A", "--to", "A-01-02-A", "--database-url", _url(ctx)])
    assert r.exit_code == 1 and "unknown_gtin" in r.output
