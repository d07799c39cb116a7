"""``shelfwise bench diagnose``: inject known faults into a small simulated operation and
check that the diagnosis blames the right side.

The simulator builds its own world through the services (one owner, two facilities with
zones A and B, eight items stocked in both) and drives ~60 days of receipts, orders
(created and allocated by the order service, shipped by posting their holds), blind
cycle counts (counting service) and a planner's replenishment with forecasts written to
the planning ``forecasts`` table. It keeps the *physical* truth apart from the books, so
execution faults make them drift exactly as on a real floor:

* control faults: mis-picks and wrong-location putaways in zone B of the first facility
  (some caught as refused scans, the rest drifting into count variances), and
  unrecorded damage of one item at the second facility;
* management faults: a forecast biased low (stockouts with accurate counts), a supplier
  slower than the planner assumes, and a B2B ring-fence that starves B2C.

``run_diagnose_bench`` reports precision and recall of the control/management
attribution against the injected truth, per seed and overall.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from shelfwise.domain.catalog import ItemSpec, with_check_digit
from shelfwise.domain.counting import Tolerance
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, counting, holds, ledger, orders, scans
from shelfwise.services import diagnostics as diag
from shelfwise.services.context import Context
from shelfwise.settings import Settings
from shelfwise.storage.engine import make_engine
from shelfwise.storage.migrate import upgrade
from shelfwise.storage.outbound_tables import pick_tasks
from shelfwise.storage.planning_tables import channel_allocations, forecasts, planning_runs

ADDRESS = {"name": "Trail Shop", "city": "Boise", "postcode": "83702", "country": "US"}
CONTROL, MANAGEMENT = "control", "management"


@dataclass(frozen=True)
class Scenario:
    """The injected faults and their strengths (the default scenario of the test)."""

    days: int = 60
    items: int = 8
    mispick_rate: float = 0.25  # share of pick lines in the faulty zone taken wrong
    wrong_putaway_rate: float = 0.4  # share of receipts in the faulty zone put in a wrong bin
    caught_share: float = 0.5  # share of those wrong scans the handheld refuses
    damage_prob: float = 0.4  # daily chance of unrecorded damage of the damaged item
    forecast_bias: float = -0.5  # the low-biased forecast
    lead_time: int = 3  # what the planner assumes
    late_extra: int = 6  # how much slower the slow supplier really is
    count_every: int = 7  # days between counts of a bin
    safety_days: float = 2.5  # safety stock the planner holds, in days of forecast


class _Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class _Key:
    item: int
    facility: int
    fac_code: str
    gtin: str
    bin: int
    barcode: str
    zone: str
    mean: float
    roles: set[str] = field(default_factory=set)


class Simulation:
    """One seeded run of the simulated operation with faults injected."""

    def __init__(self, ctx: Context, clock: _Clock, seed: int, sc: Scenario) -> None:
        self.ctx, self.clock, self.sc = ctx, clock, sc
        self.rng = np.random.default_rng(seed)
        self.physical: dict[tuple[int, int], int] = {}  # (bin, item) -> units really there
        self.pipeline: list[tuple[int, _Key, int]] = []  # (arrival day, key, qty)
        self.demand: dict[tuple[int, int], list[int]] = {}
        self.order_no = 0

    # -------------------------------------------------------------- world
    def build(self) -> None:
        ctx, rng = self.ctx, self.rng
        self.owner = catalog.create_owner(ctx, "TRAIL", "Trailhead Gear")["id"]
        self.keys: list[_Key] = []
        self.spares: dict[tuple[int, str], list[tuple[int, str]]] = {}
        item_ids = []
        for n in range(self.sc.items):
            gt = with_check_digit(f"0950611{n:06d}")
            iid = catalog.create_item(ctx, ItemSpec(self.owner, f"TRL-{n + 1:03d}",
                                                    f"Trail item {n + 1}", (gt,),
                                                    unit_cost_cents=int(rng.integers(800, 6000))
                                                    ))["id"]
            item_ids.append((iid, gt))
        self.facilities = []
        for fno, code in enumerate(("DX1", "DX2")):
            fid = catalog.create_facility(ctx, code, f"Diagnostics DC {fno + 1}")["id"]
            self.facilities.append(fid)
            zone_ids = {z: catalog.create_zone(ctx, fid, z, f"Zone {z}")["id"] for z in "AB"}
            specs, placed = [], []
            for n, (iid, gt) in enumerate(item_ids):
                zone = "B" if n < 3 else "A"
                specs.append({"facility_id": fid, "code": f"{zone}-{fno + 1:02d}-{n + 1:02d}-A",
                              "kind": "storage", "zone_id": zone_ids[zone]})
                placed.append((iid, gt, zone))
            for z in "AB":
                specs.append({"facility_id": fid, "code": f"{z}-{fno + 1:02d}-99-A",
                              "kind": "storage", "zone_id": zone_ids[z]})
            loc_ids = catalog.create_locations(ctx, specs)
            barcodes = [catalog.get_location(ctx, i)["barcode"] for i in loc_ids]
            for (iid, gt, zone), lid, bc in zip(placed, loc_ids, barcodes, strict=False):
                self.keys.append(_Key(iid, fid, code, gt, lid, bc, zone,
                                      float(rng.uniform(4, 9))))
            for z, lid, bc in zip("AB", loc_ids[-2:], barcodes[-2:], strict=True):
                self.spares[(fid, z)] = [(lid, bc)]
        self.customer = {f: catalog.virtual_location(ctx, f, LocationKind.CUSTOMER)
                         for f in self.facilities}
        self.supplier = {f: catalog.virtual_location(ctx, f, LocationKind.SUPPLIER)
                         for f in self.facilities}
        self._assign_faults()

    def _assign_faults(self) -> None:
        """Roles per key; the truth is which side each role belongs to."""
        f1, f2 = self.facilities
        by = {(k.item, k.facility): k for k in self.keys}
        ids = [k.item for k in self.keys if k.facility == f1]
        zone_b = ids[:3]
        others = list(self.rng.permutation(ids[3:]))
        for i in zone_b:
            by[(i, f1)].roles.add("mispick")
        by[(others[0], f2)].roles.add("damage")
        by[(int(self.rng.choice(zone_b)), f1)].roles.add("forecast_low")
        by[(others[1], f2)].roles.add("forecast_low")
        by[(others[2], f1)].roles.add("late_supplier")
        by[(others[3], f2)].roles.add("channel_fence")

    def truth(self) -> dict[tuple[int, int], set[str]]:
        side = {"mispick": CONTROL, "damage": CONTROL, "forecast_low": MANAGEMENT,
                "late_supplier": MANAGEMENT, "channel_fence": MANAGEMENT}
        return {(k.item, k.facility): {side[r] for r in k.roles} for k in self.keys}

    # -------------------------------------------------------------- helpers
    def forecast_mean(self, k: _Key) -> float:
        if "channel_fence" in k.roles:
            return k.mean * 0.7  # B2C's share: this key has no B2B demand
        return k.mean * (1 + self.sc.forecast_bias if "forecast_low" in k.roles else 1)

    def target(self, k: _Key) -> float:
        """Order-up-to level: lead time plus a day's review plus safety, in forecast days."""
        return self.forecast_mean(k) * (self.sc.lead_time + 1 + self.sc.safety_days)

    def initial(self, k: _Key) -> int:
        return int(self.target(k) + 4 * self.forecast_mean(k))

    def _move(self, bin_id: int, item: int, qty: int) -> None:
        self.physical[(bin_id, item)] = max(0, self.physical.get((bin_id, item), 0) + qty)

    def _receive(self, arrivals: list[tuple[_Key, int]]) -> None:
        cmds = []
        for k, qty in arrivals:
            cmds.append(MovementCommand(
                owner_id=self.owner, type=MovementType.RECEIPT,
                lines=(LineCommand(k.item, self.supplier[k.facility], k.bin, qty),),
                reason="purchase", document_type="receipt", document_id=f"PO-{k.item}",
                user="dock", scans=(k.gtin, k.barcode)))
            dest = k.bin
            if "mispick" in k.roles and self.rng.random() < self.sc.wrong_putaway_rate:
                spare, spare_bc = self.spares[(k.facility, k.zone)][0]
                if self.rng.random() < self.sc.caught_share:
                    scans.record_exception(
                        self.ctx, code="wrong_location", message="scanned the wrong bin",
                        task_type="putaway", task_id=f"PO-{k.item}", expected=k.barcode,
                        scanned=spare_bc, owner_id=self.owner, facility_id=k.facility,
                        user="putaway")
                else:
                    dest = spare
            self._move(dest, k.item, qty)
        if cmds:
            ledger.post_movements(self.ctx, cmds)

    # -------------------------------------------------------------- one day
    def day(self, d: int) -> None:
        due = [(k, q) for (a, k, q) in self.pipeline if a == d]
        self.pipeline = [p for p in self.pipeline if p[0] != d]
        self._receive(due)
        self._orders(d)
        for k in self.keys:
            if "damage" in k.roles and self.rng.random() < self.sc.damage_prob:
                self._move(k.bin, k.item, -int(self.rng.integers(2, 5)))
        self._counts(d)
        self._replenish(d)

    def _orders(self, d: int) -> None:
        specs = []
        for fid in self.facilities:
            for channel, share, n_orders in (("b2c", 0.7, 1), ("b2b", 0.3, 1)):
                lines: list[dict[int, int]] = [{} for _ in range(n_orders)]
                for k in self.keys:
                    if k.facility != fid or (channel == "b2b" and "channel_fence" in k.roles):
                        continue
                    q = int(self.rng.poisson(k.mean * share))
                    self.demand.setdefault((k.item, k.facility), [0] * self.sc.days)[d] += q
                    for _ in range(q):
                        o = lines[int(self.rng.integers(n_orders))]
                        o[k.item] = o.get(k.item, 0) + 1
                for o in lines:
                    if o:
                        self.order_no += 1
                        specs.append(orders.OrderSpec(
                            self.owner, fid, f"SO-{self.order_no:06d}",
                            tuple(sorted(o.items())), ADDRESS, channel=channel))
        if not specs:
            return
        ids = [o["id"] for o in orders.create_orders(self.ctx, specs)]
        orders.allocate_orders(self.ctx, ids)
        with self.ctx.read() as conn:
            tasks = conn.execute(sa.select(pick_tasks).where(
                pick_tasks.c.order_id.in_(ids), pick_tasks.c.state == "open")
                .order_by(pick_tasks.c.id)).all()
        loc_fac = {k.bin: k.facility for k in self.keys}
        loc_fac.update({s[0][0]: f for (f, _), s in self.spares.items()})
        by_key = {(k.item, k.facility): k for k in self.keys}
        posts = []
        for t in tasks:
            k = by_key[(t.item_id, loc_fac[t.location_id])]
            taken = (t.location_id, t.item_id)
            if "mispick" in k.roles and self.rng.random() < self.sc.mispick_rate:
                other = [o for o in self.keys if o.facility == k.facility and o.zone == k.zone
                         and o.item != k.item]
                wrong = other[int(self.rng.integers(len(other)))]
                if self.rng.random() < self.sc.caught_share:
                    scans.record_exception(
                        self.ctx, code="wrong_item", message="scanned another item",
                        task_type="pick", task_id=t.id, expected=k.gtin, scanned=wrong.gtin,
                        owner_id=self.owner, facility_id=k.facility, user="picker")
                else:
                    taken = (wrong.bin if t.location_id == k.bin else t.location_id, wrong.item)
            self._move(*taken, -int(t.qty))
            posts.append(holds.HoldPost(
                t.hold_id, int(t.qty), self.customer[k.facility], user="picker",
                scans=(k.barcode, k.gtin), movement_type=MovementType.SHIP))
        if posts:
            holds.post_holds(self.ctx, posts)

    def _counts(self, d: int) -> None:
        bins = sorted({k.bin for k in self.keys} | {s[0][0] for s in self.spares.values()})
        due = [b for b in bins if b % self.sc.count_every == d % self.sc.count_every]
        if not due:
            return
        tasks = counting.create_count_tasks(self.ctx, owner_id=self.owner, location_ids=due,
                                            tolerance=Tolerance(1_000_000, 0))
        gtins = {k.item: k.gtin for k in self.keys}
        for t in tasks:
            lines = [counting.CountedLine(gtins[i], q) for (b, i), q in
                     sorted(self.physical.items()) if b == t["location_id"] and q > 0]
            out = counting.submit_count(self.ctx, t["id"], location_scan=t["location_barcode"],
                                        lines=lines, user="counter")
            if out["state"] == "awaiting_approval":
                counting.approve_count(self.ctx, t["id"], user="supervisor")

    def _replenish(self, d: int) -> None:
        with self.ctx.read() as conn:
            from shelfwise.storage.tables import stock_levels as sl
            on_hand = {(r.item_id, r.facility_id): int(r.on_hand) for r in conn.execute(
                sa.select(sl.c.item_id, sl.c.facility_id, sl.c.on_hand)
                .where(sl.c.owner_id == self.owner))}
        for k in self.keys:
            pipe = sum(q for (_, pk, q) in self.pipeline if pk is k)
            position = on_hand.get((k.item, k.facility), 0) + pipe
            if position < self.target(k):
                qty = int(round(self.target(k) - position + 4 * self.forecast_mean(k)))
                lead = self.sc.lead_time + (self.sc.late_extra if "late_supplier" in k.roles
                                            else 0)
                self.pipeline.append((d + lead, k, qty))

    # -------------------------------------------------------------- start and end
    def start(self) -> None:
        self._receive([(k, self.initial(k)) for k in self.keys])
        for k in self.keys:
            if "channel_fence" in k.roles:
                self._fence(k)

    def _fence(self, k: _Key) -> None:
        """A B2B ring-fence far beyond B2B's need: B2C sees almost nothing available."""
        qty = self.initial(k) - 2
        with self.ctx.write() as conn:
            run = conn.execute(sa.insert(planning_runs).returning(planning_runs.c.id), _run_row(
                self.ctx.now(), "fence")).scalar_one()
            conn.execute(sa.insert(channel_allocations), {
                "run_id": run, "owner_id": self.owner, "item_id": k.item,
                "facility_id": k.facility, "channel": "b2b", "qty": qty, "available": qty,
                "policy": "fixed_share b2b 100%", "active": True, "created_at": self.ctx.now()})
        holds.place_hold(self.ctx, owner_id=self.owner, item_id=k.item,
                          facility_id=k.facility, qty=qty, document_type="channel_allocation",
                          document_id=f"B2B-{k.item}")

    def write_forecasts(self) -> None:
        """The planner's forecasts and their accuracy against the demand that came."""
        rows = []
        for k in self.keys:
            actual = np.array(self.demand.get((k.item, k.facility), [0] * self.sc.days), float)
            # the planner's forecast: a trailing 14-day mean of the demand seen so far,
            # scaled by the injected bias (so an unfaulted forecast is unbiased in fact)
            seen = np.concatenate([[k.mean], actual[:-1]])
            fc = np.array([seen[max(0, t - 13):t + 1].mean() for t in range(len(actual))])
            fc *= self.forecast_mean(k) / (0.7 * k.mean if "channel_fence" in k.roles
                                           else k.mean)
            total = max(actual.sum(), 1.0)
            naive = np.abs(np.diff(actual)).mean() or 1.0
            rows.append({
                "owner_id": self.owner, "item_id": k.item, "facility_id": k.facility,
                "method": "sim", "demand_class": "smooth", "daily_mean": float(fc[0]),
                "error_sd": float(np.std(actual - fc)),
                "wape": float(np.abs(fc - actual).sum() / total),
                "mase": float(np.abs(fc - actual).mean() / naive),
                "bias": float((fc.sum() - actual.sum()) / total),
                "inventory_position": 0.0, "safety_stock": 0.0,
                "reorder_point": float(self.target(k)), "order_up_to": float(self.target(k)),
            })
        with self.ctx.write() as conn:
            run = conn.execute(sa.insert(planning_runs).returning(planning_runs.c.id),
                               _run_row(self.ctx.now(), "sim")).scalar_one()
            conn.execute(sa.insert(forecasts), [{**r, "run_id": run} for r in rows])

    def run(self) -> None:
        self.build()
        self.start()
        for d in range(self.sc.days):
            self.day(d)
            self.clock.now += timedelta(days=1)
        self.write_forecasts()


def _run_row(now: datetime, engine: str) -> dict[str, Any]:
    return {"owner_id": None, "facility_id": None, "horizon": 28, "service_level": 0.95,
            "review_period": 1, "engine": engine, "series": 0, "history_days": 60,
            "seconds": 0.0, "summary": "{}", "created_by": "bench", "created_at": now}


def score(truth: dict[tuple[int, int], set[str]], calls: dict[tuple[int, int], str]
          ) -> dict[str, Any]:
    """Precision and recall of the attribution: each (key, side) is one label."""
    sides = {"healthy": set(), "control": {CONTROL}, "management": {MANAGEMENT},
             "both": {CONTROL, MANAGEMENT}}
    tp = fp = fn = 0
    misses = []
    for key, want in truth.items():
        got = sides[calls.get(key, "healthy")]
        tp += len(want & got)
        fp += len(got - want)
        fn += len(want - got)
        if want != got:
            misses.append({"item_id": key[0], "facility_id": key[1], "truth": sorted(want),
                           "call": calls.get(key, "healthy")})
    return {"tp": tp, "fp": fp, "fn": fn,
            "precision": 1.0 if tp + fp == 0 else tp / (tp + fp),
            "recall": 1.0 if tp + fn == 0 else tp / (tp + fn), "misses": misses}


def run_on(ctx: Context, clock: Any, seed: int, sc: Scenario = Scenario()
           ) -> dict[str, Any]:
    """Simulate one seed on ``ctx`` (a migrated, empty database whose clock has a
    settable ``now``) and score the diagnosis of its whole history."""
    sim = Simulation(ctx, clock, seed, sc)
    t0 = time.perf_counter()
    sim.run()
    simulate = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = diag.diagnose(ctx, None)
    seconds = time.perf_counter() - t0
    calls = {(r["item_id"], r["facility_id"]): r["call"] for r in result["items"]}
    return {"seed": seed, **score(sim.truth(), calls), "seconds_to_diagnose": round(seconds, 3),
            "seconds_to_simulate": round(simulate, 2), "keys": len(calls),
            "items": result["items"], "where_to_look": result["where_to_look"][:5]}


def run_seed(seed: int, database_url: str | None = None, sc: Scenario = Scenario()
             ) -> dict[str, Any]:
    """One seed on a fresh database: a temporary SQLite file by default; a PostgreSQL
    URL is wiped (schema dropped) first, so give it a database of its own."""
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'diagnose.db'}"
        engine = make_engine(url, synchronous="OFF")
        try:
            if database_url:
                _reset(engine)
            upgrade(engine)
            clock = _Clock(datetime(2026, 9, 1, 8, 0, tzinfo=UTC))
            ctx = Context(engine, Settings(database_url=url, auth=False), clock)
            return run_on(ctx, clock, seed, sc)
        finally:
            engine.dispose()


def run_demo_score(seed: int = 7, now: datetime | None = None) -> dict[str, Any]:
    """The demo itself (full size, on a temporary SQLite file, ending ``now``): seed it
    with its injected faults, diagnose it, and score the calls against those faults
    (:func:`shelfwise.demo.faults.score`) - the figure the README gives for the demo."""
    from shelfwise.demo import faults as fx
    from shelfwise.demo.seed import run_demo

    end = now or datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        engine = make_engine(url, synchronous="OFF")
        try:
            upgrade(engine)
            ctx = Context(engine, Settings(database_url=url, auth=False), lambda: end)
            t0 = time.perf_counter()
            run = run_demo(ctx, seed=seed)
            t1 = time.perf_counter()
            result = diag.diagnose(ctx, None)
            t2 = time.perf_counter()
        finally:
            engine.dispose()
    calls = {(r["item_id"], r["facility_id"]): r["call"] for r in result["items"]}
    out = fx.score(run.faults, run.facility_ids, run.touched, run.seen, run.hit, calls)
    return {"seed": seed, "ends": end.date().isoformat(), **out,
            "seconds_to_seed": round(t1 - t0, 1), "seconds_to_diagnose": round(t2 - t1, 2)}


def _reset(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")


def run_diagnose_bench(seeds: tuple[int, ...] = (1, 2, 3), database_url: str | None = None,
                       sc: Scenario = Scenario()) -> dict[str, Any]:
    """Several seeds; overall precision and recall pool the labels of all seeds."""
    per = [run_seed(s, database_url, sc) for s in seeds]
    for p in per:
        p.pop("items", None)
    tp, fp, fn = (sum(p[x] for p in per) for x in ("tp", "fp", "fn"))
    return {
        "precision": 1.0 if tp + fp == 0 else round(tp / (tp + fp), 4),
        "recall": 1.0 if tp + fn == 0 else round(tp / (tp + fn), 4),
        "seconds_to_diagnose": max(p["seconds_to_diagnose"] for p in per),
        "per_seed": per,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--database-url", default=None)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    out = run_diagnose_bench(tuple(int(s) for s in a.seeds.split(",")), a.database_url)
    if a.json:
        print(json.dumps(out, indent=2, default=str))
    else:
        print(f"precision {out['precision']:.3f}  recall {out['recall']:.3f}  "
              f"diagnose {out['seconds_to_diagnose']:.3f}s")
        for s in out["per_seed"]:
            print(f"  seed {s['seed']}: precision {s['precision']:.3f} recall {s['recall']:.3f}"
                  f" misses {s['misses']}")


if __name__ == "__main__":
    main()
