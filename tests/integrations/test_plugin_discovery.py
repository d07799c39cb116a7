"""A plug-in shipped as its own package (tests/plugins/shelfwise_test_plugin) is
discovered through its entry points and used -- Shelfwise itself is not changed."""

from __future__ import annotations

import importlib
import sys
import tomllib
from pathlib import Path

import pytest
from rich.console import Console

from shelfwise import plugins
from shelfwise.services import picking, shipping, stock
from shelfwise.services.orders import allocate_order, allocate_orders
from tests.outbound_world import build_floor, order

PLUGIN_DIR = Path(__file__).parents[1] / "plugins" / "shelfwise_test_plugin"


def install_plugin(target: Path) -> None:
    """What ``pip install`` leaves behind, without the network or a build: the package on
    the path and a ``.dist-info`` whose ``entry_points.txt`` comes from the plug-in's own
    ``pyproject.toml``."""
    project = tomllib.loads((PLUGIN_DIR / "pyproject.toml").read_text())["project"]
    dist = target / f"shelfwise_test_plugin-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    lines = []
    for group, eps in project["entry-points"].items():
        lines.append(f"[{group}]")
        lines += [f"{name} = {target_}" for name, target_ in eps.items()]
    (dist / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def installed(tmp_path, monkeypatch) -> plugins.Registry:
    install_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.syspath_prepend(str(PLUGIN_DIR))
    importlib.invalidate_caches()
    yield plugins.discover()
    sys.modules.pop("shelfwise_test_plugin", None)


def test_builtins_are_registered_as_plugins_too():
    reg = plugins.discover()
    assert {"shopify", "edi", "erp_csv", "webhooks"} <= set(
        reg.names("shelfwise.integrations"))
    assert reg.carrier("manual").code == "manual"
    assert {"allocation.fefo", "allocation.fifo", "putaway.fixed_pick_face"} <= set(
        reg.names("shelfwise.strategies"))
    assert all(p.builtin and p.error is None for p in reg.all())


def test_an_installed_plugin_is_discovered_and_a_broken_one_is_listed_not_fatal(installed):
    pigeon = installed.plugins[("shelfwise.carriers", "pigeon")]
    assert (pigeon.distribution, pigeon.version, pigeon.builtin) == (
        "shelfwise-test-plugin", "0.1.0", False)
    broken = installed.plugins[("shelfwise.integrations", "broken_feed")]
    assert broken.error is not None and "NOT_THERE" in broken.error
    with pytest.raises(RuntimeError, match="failed to load"):
        installed.get("shelfwise.integrations", "broken_feed")
    console = Console(record=True, width=200)
    console.print(plugins.plugins_table(installed))
    text = console.export_text()
    assert "pigeon" in text and "shelfwise-test-plugin 0.1.0" in text and "built-in" in text


def test_the_plugin_carrier_ships_an_order(ctx, installed):
    f = build_floor(ctx)
    assert "pigeon" in plugins.install_carriers(ctx, installed)
    o = order(ctx, f, "SO-7001", [(f.w.item, 2)], carrier="pigeon")
    allocate_order(ctx, o["id"])
    wave = picking.create_waves(ctx, f.w.facility, order_ids=[o["id"]], user="lead")[0]
    for t in picking.list_pick_tasks(ctx, wave["id"]):
        picking.confirm_pick(ctx, t["id"], t["location_barcode"], f.tent_gtin, user="ana")
    shipping.pack_carton(ctx, o["id"], [f.tent_gtin] * 2, weight_g=4_000, user="bo")
    shipped = shipping.ship_order(ctx, o["id"], user="bo")
    assert shipped["carrier"] == "pigeon" and shipped["tracking_number"].startswith("PGN")
    assert shipping.get_label(ctx, shipped["shipment_id"])[1] == "zpl"


def test_the_plugin_allocation_rule_changes_which_bin_is_picked(ctx, installed):
    f = build_floor(ctx)  # tents: 10 in A-01-01-A, 5 in A-03-05-B (the end of the walk)

    def reserved() -> dict[str, int]:
        return {b["location_code"]: b["allocated"]
                for b in stock.bin_balances(ctx, None, item_id=f.w.item)}

    rule = installed.allocation_strategy("smallest_bin_first")
    small = order(ctx, f, "SO-7002", [(f.w.item, 4)])
    allocate_orders(ctx, [small["id"]], strategies={f.w.item: rule})
    assert reserved() == {"A-01-01-A": 0, "A-03-05-B": 4}  # the plug-in's choice
    default = order(ctx, f, "SO-7003", [(f.w.item, 4)])
    allocate_orders(ctx, [default["id"]])
    assert reserved() == {"A-01-01-A": 4, "A-03-05-B": 4}  # FIFO along the path
