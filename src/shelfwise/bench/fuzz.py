"""Fuzzed input through the HTTP API: never a 5xx, and a refused request writes nothing.

Hypothesis draws barcodes (GS1 element strings, wrong check digits, Unicode, empty and
very long strings), quantities (0, negative, huge, floats, NaN, strings), dates and
whole JSON bodies, and sends them to the endpoints a handheld uses: post a movement,
place a hold, scan a receipt, confirm a pick, confirm a putaway. Before and after each
refused request the stock-bearing tables are snapshotted; they must not change.
Refused scans are logged in ``scan_exceptions`` on purpose, so that table is left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.services import ledger, orders, picking, receiving
from shelfwise.services.context import Context

from . import sim_world

WATCHED = ("movements", "movement_lines", "balances", "stock_levels", "holds",
           "idempotency_keys", "receipts", "receipt_lines", "putaway_tasks", "pick_tasks",
           "orders", "order_lines", "lots", "outbox")
HUGE = 2**63


@dataclass
class Floor:
    """Ids of the documents the fuzzed requests aim at."""

    world: sim_world.World
    owner: int
    item: int
    lot_item: int
    facility: int
    bins: list[int]
    receipt: int
    putaway_task: int
    pick_task: int


def build_floor(ctx: Context) -> Floor:
    w = sim_world.build(ctx)
    b = w.buildings[0]
    tent, gas = sorted(w.items)[:2]
    owner = w.items[tent][0]
    ledger.post_movements(ctx, [
        MovementCommand(owner, MovementType.RECEIPT,
                        (LineCommand(tent, b.supplier, b.bins[0], 50),)),
        MovementCommand(owner, MovementType.RECEIPT,
                        (LineCommand(gas, b.supplier, b.bins[1], 30, "L2406A"),))])
    done = receiving.create_receipt(ctx, owner_id=owner, facility_id=b.id, type="purchase_order",
                                    reference="PO-FUZZ-1", lines=[{"item_id": tent,
                                                                   "expected_qty": 10}])
    receiving.receive_scan(ctx, done["id"], location_scan=w.barcodes[b.dock],
                           item_scan=w.item_scan(tent), qty=10)
    task = receiving.close_receipt(ctx, done["id"])["putaway_task_ids"][0]
    receipt = receiving.create_receipt(ctx, owner_id=owner, facility_id=b.id,
                                       type="purchase_order", reference="PO-FUZZ-2",
                                       lines=[{"item_id": tent, "expected_qty": 10},
                                              {"item_id": gas, "expected_qty": 10}])["id"]
    o = orders.create_orders(ctx, [orders.OrderSpec(owner, b.id, "SO-FUZZ-1", ((tent, 4),),
                                                    sim_world.SHIP_TO)])[0]["id"]
    orders.allocate_orders(ctx, [o])
    wave = picking.create_waves(ctx, b.id, order_ids=[o])[0]["id"]
    pick = picking.list_pick_tasks(ctx, wave)[0]["id"]
    return Floor(w, owner, tent, gas, b.id, b.bins, receipt, task, pick)


# -- strategies ----------------------------------------------------------------------------


def _gtins(valid: str) -> st.SearchStrategy[str]:
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    return st.sampled_from([valid, wrong, valid[1:], valid[:-3], "0" * 14, valid + "9"]) | \
        st.text("0123456789", min_size=0, max_size=18)


def barcodes(gtin: str) -> st.SearchStrategy[str]:
    """GS1 element strings (right and wrong), plain codes, Unicode, empty, very long."""
    ai_date = st.sampled_from(["271231", "270630", "991332", "000000", "2712", "2A1231"])
    lot = st.text(st.characters(codec="ascii", min_codepoint=32, max_codepoint=126),
                  max_size=25)
    element = st.tuples(st.sampled_from(["", "]C1", "]d2", "]Q3", "\x1d"]), _gtins(gtin),
                        ai_date, lot, st.sampled_from(["", "\x1d", "\x1d30", "\x1d3012",
                                                       "\x1d21SN1", "\x1d00123"]))
    gs1 = element.map(lambda t: f"{t[0]}01{t[1]}17{t[2]}10{t[3]}{t[4]}")
    return st.one_of(
        _gtins(gtin), gs1, st.just(""), st.text(max_size=40),
        st.text(min_size=200, max_size=3000), st.sampled_from([
            "A-01-01-A", "WH1-DOCK-01", "00" + "0" * 18, "00123456789012345675",
            "\u202e\u0000", "🙂" * 10, "'; DROP TABLE balances; --", "%s%s%s", "\x00"]))


QUANTITIES = st.one_of(
    st.sampled_from([0, -1, 1, 3, HUGE, -HUGE, 2**31, 10**30, 1.5, 0.0, -0.0, float("inf"),
                     float("nan"), "5", "", "NaN", None, True, False, [], {}]),
    st.integers(), st.floats(allow_nan=True), st.text(max_size=8))
DATES = st.one_of(st.dates().map(date.isoformat), st.sampled_from(
    ["2027-02-30", "", "tomorrow", "9999-12-31", "0000-01-01", "2027-13-01", "27-12-31"]),
    st.integers(), st.none())
IDS = st.one_of(st.integers(min_value=-3, max_value=40), st.sampled_from([HUGE, -HUGE, 10**30]),
                st.text(max_size=5), st.none(), st.floats())
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=10), c,
                                                                         max_size=4),
                    max_leaves=12)


def _field(valid: Any, fuzz: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.just(valid), fuzz)


def requests_for(f: Floor) -> st.SearchStrategy[tuple[str, Any]]:
    """(path, body) pairs: mostly well-formed bodies with fuzzed fields, some raw JSON."""
    w, gtin = f.world, f.world.items[f.item][1]
    code = barcodes(gtin)
    dock = w.barcodes[w.buildings[0].dock]
    line = st.fixed_dictionaries({
        "item_id": _field(f.item, IDS), "from_location_id": _field(f.bins[0], IDS),
        "to_location_id": _field(f.bins[2], IDS), "qty": _field(2, QUANTITIES),
    }, optional={"lot": _field("", st.text(max_size=30)), "colour": JSON})
    movement = st.fixed_dictionaries({
        "owner_id": _field(f.owner, IDS),
        "type": st.sampled_from(["move", "adjustment", "receipt", "", "teleport", "MOVE"]),
        "lines": st.one_of(st.lists(line, min_size=0, max_size=3), JSON),
    }, optional={"reason": st.text(max_size=80), "scans": st.lists(code, max_size=3),
                 "device": st.text(max_size=80)})
    hold = st.fixed_dictionaries({
        "owner_id": _field(f.owner, IDS), "item_id": _field(f.item, IDS),
        "facility_id": _field(f.facility, IDS), "qty": _field(1, QUANTITIES),
    }, optional={"location_id": _field(f.bins[0], IDS), "lot": st.text(max_size=30),
                 "expires_at": DATES})
    scan = st.fixed_dictionaries({
        "location_scan": _field(dock, code), "item_scan": code, "qty": _field(1, QUANTITIES),
    }, optional={"damaged": _field(False, JSON), "lot": st.text(max_size=30), "expiry": DATES,
                 "device": st.text(max_size=80)})
    pick = st.fixed_dictionaries({"location_scan": code}, optional={
        "item_scan": code, "qty": QUANTITIES, "device": st.text(max_size=80)})
    put = st.fixed_dictionaries({"location_scan": code, "item_scan": code}, optional={
        "qty": QUANTITIES, "reason": st.text(max_size=300)})
    ids = st.one_of(st.just(None), st.sampled_from([0, -1, HUGE, 10**30, "x"]))

    def path(template: str, real: int) -> st.SearchStrategy[str]:
        return ids.map(lambda i: template.format(real if i is None else i))

    return st.one_of(
        st.tuples(st.just("/api/movements"), movement | JSON),
        st.tuples(st.just("/api/holds"), hold | JSON),
        st.tuples(path("/api/receipts/{}/scans", f.receipt), scan | JSON),
        st.tuples(path("/api/pick-tasks/{}/confirm", f.pick_task), pick | JSON),
        st.tuples(path("/api/putaway-tasks/{}/confirm", f.putaway_task), put | JSON),
    )


# -- the loop ------------------------------------------------------------------------------


def snapshot(ctx: Context) -> dict[str, list[tuple]]:
    with ctx.read() as conn:
        return {t: sorted(tuple(map(str, r)) for r in conn.execute(sa.text(f"SELECT * FROM {t}")))
                for t in WATCHED}


@dataclass
class FuzzReport:
    examples: int = 0
    accepted: int = 0
    refused: int = 0
    server_errors: int = 0
    writes_by_refused: int = 0
    samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def encode(body: Any) -> bytes:
    """JSON as a careless client sends it: NaN and Infinity included."""
    return json.dumps(body, allow_nan=True).encode()


def run_fuzz(ctx: Context, examples: int = 200, fuzz_seed: int = 20261001) -> dict[str, Any]:
    """Send ``examples`` fuzzed requests (deterministic per seed) and count what happened."""
    from fastapi.testclient import TestClient

    from shelfwise.api.app import create_app

    floor = build_floor(ctx)
    client = TestClient(create_app(ctx), raise_server_exceptions=False)
    report = FuzzReport()
    state = {"before": snapshot(ctx)}

    @seed(fuzz_seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False,
              suppress_health_check=list(HealthCheck))
    @given(req=requests_for(floor), key=st.one_of(st.none(), st.text(max_size=140)))
    def one(req: tuple[str, Any], key: str | None) -> None:
        path, body = req
        headers = {"content-type": "application/json"}
        if key is not None and key.isprintable() and key.isascii():
            headers["Idempotency-Key"] = key
        r = client.post(path, content=encode(body), headers=headers)
        report.examples += 1
        after = snapshot(ctx)
        if r.status_code >= 500:
            report.server_errors += 1
            if len(report.samples) < 5:
                report.samples.append(f"{r.status_code} {path} {encode(body)[:200]!r}")
        elif r.status_code >= 400:
            report.refused += 1
            if after != state["before"]:
                report.writes_by_refused += 1
                changed = [t for t in WATCHED if after[t] != state["before"][t]]
                if len(report.samples) < 5:
                    report.samples.append(f"{r.status_code} {path} wrote {changed}")
        else:
            report.accepted += 1
        state["before"] = after

    one()
    return report.as_dict()
