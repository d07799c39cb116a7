"""The demo's story has known faults in it: mis-picks and wrong-bin putaways in zone B of
WH1, unrecorded damage, a forecast biased low, a supplier slower than it says and a
channel split that starves B2C. ``shelfwise diagnose`` on the demo database must name
each of them, blame the right side (control or management), show the evidence, and
leave the healthy items alone.

The demo here is a smaller one (40 items per owner, four months, three floor days) so
the story seeds in well under a minute; the full demo runs the same code.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from shelfwise.cli import app
from shelfwise.demo import faults as fx
from shelfwise.demo.seed import DemoRun, run_demo
from shelfwise.services import diagnostics
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.storage.migrate import upgrade
from tests.conftest import FakeClock

SMALL = {"items_per_owner": 40, "days": 120, "floor_days": 3}
END = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, DemoRun, dict[str, Any]]:
    """The small demo seeded once for the module, and its diagnosis."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    engine = make_engine(url, synchronous="OFF")
    upgrade(engine)
    ctx = Context(engine, Settings(database_url=url, auth=False), FakeClock(END))
    try:
        run = run_demo(ctx, seed=7, **SMALL)
        result = diagnostics.diagnose(ctx, None)
    finally:
        engine.dispose()
    return url, run, result


def _calls(result: dict[str, Any]) -> dict[tuple[int, int], str]:
    return {(r["item_id"], r["facility_id"]): r["call"] for r in result["items"]}


def test_the_demo_lists_the_faults_it_injected(demo) -> None:
    _, run, _ = demo
    lines = run.summary["injected_faults"]
    assert lines == fx.describe(run.faults)
    assert [f.kind for f in run.faults] == [
        "zone_mispicks", "damage", "forecast_low", "late_supplier", "channel_fence"]
    assert "zone B of WH1" in lines[0] and lines[0].startswith("control")
    assert all(line.startswith("management") for line in lines[2:])
    assert run.summary["ledger_ok"]
    assert run.touched, "the faulty zone drifted no bin"
    assert set(run.seen) <= set(run.touched)


def test_the_diagnosis_blames_the_right_side_for_every_injected_fault(demo) -> None:
    _, run, result = demo
    score = fx.score(run.faults, run.facility_ids, run.touched, run.seen, run.hit,
                     _calls(result))
    assert score["precision"] >= 0.9, score
    assert score["recall"] >= 0.9, score
    # the healthy majority stays healthy
    assert score["healthy_flagged"] <= 0.05 * score["healthy_keys"], score
    calls = _calls(result)
    for f in run.faults:  # each fault found on at least one of its keys
        keys = [(i, run.facility_ids[fac]) for fac in f.facilities for i in f.item_ids]
        if f.kind == "zone_mispicks":
            keys = list(run.seen)
        assert any(f.side in fx.SIDES[calls.get(k, "healthy")] for k in keys), f


def test_planning_faults_show_stockouts_with_accurate_counts(demo) -> None:
    _, run, result = demo
    rows = {(r["item_id"], r["facility_id"]): r for r in result["items"]}
    planned = [rows[(i, run.facility_ids[fac])] for f in run.faults if f.side == "management"
               for fac in f.facilities for i in f.item_ids]
    called = [r for r in planned if r["call"] == "management"]
    assert called
    for r in called:
        assert r["evidence"][0].endswith(("counts accurate", "no count variances")), r
        assert any("stockout days" in e or "forecast bias" in e or "short" in e
                   for e in r["evidence"]), r
    fenced = next(f for f in run.faults if f.kind == "channel_fence")
    assert any(any("ring-fence" in e for e in rows[(i, run.facility_ids["WH2"])]["evidence"])
               for i in fenced.item_ids)


def test_the_faulty_zone_is_flagged_with_its_evidence(demo) -> None:
    _, run, result = demo
    zone = result["rollups"]["zone"]["WH1/B"]
    assert zone["call"] in ("control", "both")
    assert any("zone B" in e for e in zone["evidence"])
    others = {k: v for k, v in result["rollups"]["zone"].items() if k != "WH1/B"}
    assert not any(v.get("evidence") for v in others.values()), others
    look = [w for w in result["where_to_look"] if w["scope"] == "zone"]
    assert [w["label"] for w in look] == ["WH1 zone B"]
    assert "count zone B at WH1 again" in look[0]["action"]
    damaged = next(f for f in run.faults if f.kind == "damage")
    for r in result["items"]:  # every control call is in the faulty zone or damaged
        if r["call"] in ("control", "both"):
            key = (r["item_id"], r["facility_id"])
            in_zone = r["facility"] == "WH1" and "B" in r["zones"]
            assert key in run.touched or in_zone or r["item_id"] in damaged.item_ids, r


runner = CliRunner()


def _period() -> str:
    start = (END - timedelta(days=diagnostics.DEFAULT_WINDOW_DAYS)).date()
    return f"{start}..{(END + timedelta(days=1)).date()}"


def test_shelfwise_diagnose_on_the_demo_names_the_zone_and_the_items(demo) -> None:
    url, run, _ = demo
    r = runner.invoke(app, ["diagnose", "--database-url", url, "--period", _period()],
                      env={"COLUMNS": "240"})
    assert r.exit_code == 0, r.output
    assert "WH1 zone B" in r.output
    # the zone's evidence is its counts, its refused scans or both, depending on the run
    flat = " ".join(re.sub(r"[│┃║|─━┼┬┴┌┐└┘├┤]", " ", r.output).split())
    assert re.search(r"(refused scans per 1,000|\d+ of \d+ counts) in zone B", flat), flat
    skus = {s for f in run.faults for s in f.skus}
    assert any(s in r.output for s in skus), r.output
    assert "control" in r.output and "management" in r.output

    r = runner.invoke(app, ["diagnose", "--database-url", url, "--period", _period(),
                            "--facility", "WH2", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert {i["facility"] for i in out["items"]} == {"WH2"}
    fenced = next(f for f in run.faults if f.kind == "channel_fence")
    assert any(i["sku"] in fenced.skus and i["call"] == "management" for i in out["items"])


def test_the_demo_diagnosis_holds_on_postgresql(pg_engine) -> None:
    from tests.conftest import PG_URL, _truncate_pg

    _truncate_pg(pg_engine)
    ctx = Context(pg_engine, Settings(database_url=str(PG_URL), auth=False), FakeClock(END))
    run = run_demo(ctx, seed=7, **SMALL)
    assert run.summary["ledger_ok"]
    result = diagnostics.diagnose(ctx, None)
    score = fx.score(run.faults, run.facility_ids, run.touched, run.seen, run.hit,
                     _calls(result))
    assert score["precision"] >= 0.9 and score["recall"] >= 0.9, score
    assert result["rollups"]["zone"]["WH1/B"]["call"] in ("control", "both")


def test_the_walkthrough_the_demo_prints_works_as_printed(demo, tmp_path) -> None:
    """`shelfwise demo` prints the README's tour with this database's ids; each printed
    command must work when pasted (the ids depend on the day the demo was seeded)."""
    import shlex
    import shutil

    from shelfwise.demo import walkthrough

    url, _, _ = demo
    copy = tmp_path / "tour.db"
    shutil.copy(url.removeprefix("sqlite:///"), copy)
    engine = make_engine(f"sqlite:///{copy}")
    ctx = Context(engine, Settings(database_url=f"sqlite:///{copy}", auth=False), FakeClock(END))
    found = walkthrough.find(ctx)
    engine.dispose()
    assert "receipt" in found, found  # the small demo leaves no wave half picked
    env = {"SHELFWISE_DATABASE_URL": f"sqlite:///{copy}", "COLUMNS": "200"}
    ran = 0
    for line in walkthrough.commands(found):
        if not line.startswith("shelfwise ") or "<" in line:
            continue  # curl needs the server; the count line leaves the product to the reader
        args = shlex.split(line.split("#")[0])[1:]
        r = runner.invoke(app, args, env=env)
        assert r.exit_code == 0 and "refused" not in r.output, (line, r.output)
        ran += 1
    assert ran == 2 + ("pick" in found)  # receive, close (, pick)
