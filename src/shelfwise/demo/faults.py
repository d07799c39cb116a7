"""The faults the demo injects into its history, so ``shelfwise diagnose`` has real
problems to find, and the truth to check it against.

Execution faults (inventory *control*: the books stop matching the shelves), active on
the floor for the last ``FaultPlan.execution_days`` days:

* **mis-picks and wrong-bin putaways in one zone** (default zone B of WH1, new temporary
  staff): a share of the pick lines in the zone takes the item from the neighbouring
  bin, and a share of the putaways goes into the neighbouring bin. The handheld catches
  some (a refused scan, recorded as a scan exception, and the operator corrects it);
  the rest make the books and the shelves drift apart until a count finds it.
* **unrecorded damage**: a few fragile items at one facility get broken now and then and
  thrown away without a scrap movement, so counts find less than the books.

Planning faults (inventory *management*: the records are right, the plan is not),
active the whole year:

* **a forecast biased low** for chosen items at one facility (the planner's forecast is
  half the demand), so they stock out with accurate counts;
* **a supplier slower than quoted**: it quotes the planner's usual lead time and
  delivers days later, so its items stock out between deliveries;
* **a channel split that starves B2C**: most of the stock of chosen items is
  ring-fenced for B2B, which hardly orders them, while the planner counts the fenced
  stock as available and does not reorder.

The plan below is data. :func:`resolve` turns it into concrete :class:`Fault` records
(which SKUs, which facility) from the seeded catalogue, so the truth is reproducible from
the seed; :class:`Shelves` keeps the physical truth the execution faults create.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

CONTROL, MANAGEMENT = "control", "management"


@dataclass(frozen=True)
class ZoneFault:
    facility: str = "WH1"
    zone: str = "B"
    mispick_rate: float = 0.2  # share of the zone's pick lines taken from the next bin
    wrong_putaway_rate: float = 0.25  # share of the zone's putaways put in the next bin
    caught_share: float = 0.4  # share of those the handheld refuses (scan exception)


@dataclass(frozen=True)
class DamageFault:
    facility: str = "WH2"
    owner: str = "NORDIC"
    nouns: tuple[str, ...] = ("Ceramic vase", "Mirror", "Candle holder", "Table lamp",
                              "Pendant light")
    items: int = 3  # the fastest movers among those (fragile) nouns
    daily_chance: float = 0.35
    units: tuple[int, int] = (1, 3)


@dataclass(frozen=True)
class ForecastFault:
    facility: str = "WH2"
    owner: str = "NORDIC"
    items: int = 4  # the owner's fastest movers
    factor: float = 0.5  # the planner's forecast as a share of the real demand


@dataclass(frozen=True)
class LateSupplierFault:
    owner: str = "PEAK"
    supplier: str = "Alpine Co-Packing GmbH"
    items: int = 3  # the owner's fastest movers come from it (at both facilities)
    quoted_days: int = 4
    real_days: int = 20


@dataclass(frozen=True)
class ChannelFault:
    facility: str = "WH2"
    owner: str = "ACME"
    items: int = 3  # the owner's fastest movers
    b2b_share: float = 0.8  # of the planned stock level, ring-fenced for B2B


@dataclass(frozen=True)
class FaultPlan:
    zone: ZoneFault | None = ZoneFault()
    damage: DamageFault | None = DamageFault()
    forecast: ForecastFault | None = ForecastFault()
    late: LateSupplierFault | None = LateSupplierFault()
    channel: ChannelFault | None = ChannelFault()
    execution_days: int = 45  # execution faults (and the count programme) run this long



DEFAULT_PLAN = FaultPlan()
NO_FAULTS = FaultPlan(None, None, None, None, None)
#: A key counts as touched by an execution fault when its shelves and books differed by
#: at least this many units at some point (a one-unit slip is inside count tolerance).
MATERIAL_UNITS = 2


@dataclass(frozen=True)
class Fault:
    """One injected fault, resolved against the seeded catalogue."""

    kind: str  # zone_mispicks / damage / forecast_low / late_supplier / channel_fence
    side: str  # control or management
    facilities: tuple[str, ...]
    skus: tuple[str, ...] = ()
    item_ids: tuple[int, ...] = ()
    zone: str = ""
    text: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "side": self.side, "facilities": list(self.facilities),
                "zone": self.zone, "skus": list(self.skus), "text": self.text}


@dataclass(frozen=True)
class CatalogItem:
    """What :func:`resolve` needs to know of an item."""

    id: int
    owner: str
    sku: str
    noun: str
    rate: float


def _fastest(items: Iterable[CatalogItem], n: int, taken: set[int]) -> list[CatalogItem]:
    pool = sorted((i for i in items if i.id not in taken), key=lambda i: (-i.rate, i.id))
    out = pool[:n]
    taken.update(i.id for i in out)
    return out


def resolve(plan: FaultPlan, items: Sequence[CatalogItem], facilities: Sequence[str],
            in_faulty_zone: Iterable[int] = ()) -> list[Fault]:
    """Which SKUs each fault hits: the fastest movers that fit, so every fault shows
    within the diagnosis window; each item in at most one fault, and none stored in the
    faulty zone, so the story's problems stay apart."""
    taken: set[int] = set(in_faulty_zone)
    out: list[Fault] = []
    if (z := plan.zone) is not None:
        out.append(Fault("zone_mispicks", CONTROL, (z.facility,), zone=z.zone, text=(
            f"mis-picks ({z.mispick_rate:.0%} of pick lines) and wrong-bin putaways "
            f"({z.wrong_putaway_rate:.0%}) in zone {z.zone} of {z.facility}; "
            f"{z.caught_share:.0%} refused by the scanner, the rest unrecorded")))
    if (dm := plan.damage) is not None:
        hit = _fastest((i for i in items if i.owner == dm.owner and i.noun in dm.nouns),
                       dm.items, taken)
        out.append(Fault("damage", CONTROL, (dm.facility,), tuple(i.sku for i in hit),
                         tuple(i.id for i in hit), text=(
                             f"unrecorded damage of {dm.units[0]}-{dm.units[1]} units on "
                             f"{dm.daily_chance:.0%} of days at {dm.facility}")))
    if (fc := plan.forecast) is not None:
        hit = _fastest((i for i in items if i.owner == fc.owner), fc.items, taken)
        out.append(Fault("forecast_low", MANAGEMENT, (fc.facility,),
                         tuple(i.sku for i in hit), tuple(i.id for i in hit), text=(
                             f"forecast at {fc.factor:.0%} of demand at {fc.facility}")))
    if (lt := plan.late) is not None:
        hit = _fastest((i for i in items if i.owner == lt.owner), lt.items, taken)
        out.append(Fault("late_supplier", MANAGEMENT, tuple(facilities),
                         tuple(i.sku for i in hit), tuple(i.id for i in hit), text=(
                             f"{lt.supplier} quotes {lt.quoted_days} days, delivers in "
                             f"{lt.real_days}")))
    if (ch := plan.channel) is not None:
        hit = _fastest((i for i in items if i.owner == ch.owner), ch.items, taken)
        out.append(Fault("channel_fence", MANAGEMENT, (ch.facility,),
                         tuple(i.sku for i in hit), tuple(i.id for i in hit), text=(
                             f"{ch.b2b_share:.0%} of the planned stock ring-fenced for "
                             f"B2B at {ch.facility}, which hardly orders them; B2C "
                             "starved")))
    return out


def describe(faults: Sequence[Fault]) -> list[str]:
    """One line per fault, as ``shelfwise demo`` prints them."""
    out = []
    for f in faults:
        where = f"{'/'.join(f.facilities)}" + (f" zone {f.zone}" if f.zone else "")
        skus = f" {', '.join(f.skus)}" if f.skus else ""
        out.append(f"{f.side}: {f.kind} @ {where}{skus} - {f.text}")
    return out


Key = tuple[int, int]  # (item id, facility id)
Place = tuple[int, int, str]  # (location id, item id, lot)


@dataclass
class Shelves:
    """The physical truth where it differs from the books, and which keys each execution
    fault touched (the truth the diagnosis is scored against)."""

    drift: dict[Place, int] = field(default_factory=lambda: defaultdict(int))
    owner_of: dict[int, int] = field(default_factory=dict)  # item id -> owner id
    touched: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    seen: dict[Key, set[str]] = field(default_factory=lambda: defaultdict(set))
    why: dict[Place, str] = field(default_factory=dict)  # the fault behind a drift
    caught: int = 0
    uncaught: int = 0

    def move(self, place: Place, qty: int, facility_id: int, fault: str) -> None:
        """``qty`` more (or fewer) units physically at ``place`` than the books say."""
        if not qty:
            return
        self.drift[place] += qty
        if abs(self.drift[place]) >= MATERIAL_UNITS:
            self.touched[(place[1], facility_id)].add(fault)
            self.why[place] = fault

    def counted(self, location_id: int, facility_id: int, owner_id: int,
                book: Sequence[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
        """What a counter finds at a bin: ``(item, lot, qty)`` per book line adjusted by
        the drift, plus stock that is physically there but not on the books. A material
        difference a count sees is recorded in ``seen``."""
        out, booked = [], set()
        for item, lot, qty in book:
            booked.add((item, lot))
            found = max(0, qty + self.drift.get((location_id, item, lot), 0))
            out.append((item, lot, found))
            self._saw((location_id, item, lot), facility_id, qty, found)
        for (loc, item, lot), d in list(self.drift.items()):
            if loc == location_id and d > 0 and (item, lot) not in booked and \
                    self.owner_of.get(item) == owner_id:
                out.append((item, lot, d))
                self._saw((loc, item, lot), facility_id, 0, d)
        return out

    def _saw(self, place: Place, facility_id: int, book: int, found: int) -> None:
        """Beyond count tolerance (``MATERIAL_UNITS`` and 5 % of the books)?"""
        diff = abs(found - book)
        if diff >= MATERIAL_UNITS and diff * 20 > book and place in self.why:
            self.seen[(place[1], facility_id)].add(self.why[place])

    def settle(self, location_id: int, owner_id: int) -> None:
        """An approved count made the books match the shelves at this bin."""
        for place in [p for p in self.drift if p[0] == location_id
                      and self.owner_of.get(p[1]) == owner_id]:
            del self.drift[place]
            self.why.pop(place, None)


def coin(rng: random.Random, p: float) -> bool:
    return p > 0 and rng.random() < p


SIDES = {"healthy": frozenset(), "control": frozenset({CONTROL}),
         "management": frozenset({MANAGEMENT}), "both": frozenset({CONTROL, MANAGEMENT})}


def score(faults: Sequence[Fault], facility_ids: dict[str, int], touched: dict[Key, set[str]],
          seen: dict[Key, set[str]], hit: dict[Key, set[str]], calls: dict[Key, str]
          ) -> dict[str, Any]:
    """Precision and recall of a diagnosis' control/management calls against the truth.

    Each (key, side) is a label. A key *may* be called control when a fault drifted its
    books (or damaged it) and management when a planning fault was aimed at it. It
    *should* be: control when it was damaged or a count saw the drift a zone fault
    caused (a drift no count saw is invisible to any diagnosis); management when its
    forecast was biased (the bias is on record) or when a late supplier or a ring-fence
    cost it orders on two days or more (one that never bit left nothing to find).
    ``precision`` and ``recall`` score the faulty keys (the attribution);
    ``overall_precision`` also counts each healthy key the diagnosis flagged as wrong."""
    want: dict[Key, set[str]] = defaultdict(set)
    may: dict[Key, set[str]] = defaultdict(set)
    for f in faults:
        for fac in f.facilities:
            for item in f.item_ids:
                key = (item, facility_ids[fac])
                may[key].add(f.side)
                if f.kind in ("damage", "forecast_low") or f.kind in hit.get(key, ()):
                    want[key].add(f.side)
    for key in seen:
        want[key].add(CONTROL)
    for key in set(touched) | set(seen):
        may[key].add(CONTROL)
    right = wrong = found = missed = flagged_healthy = 0
    misses, mistakes = [], []
    for key in sorted(set(calls) | set(want) | set(may)):
        call = calls.get(key, "healthy")
        got = SIDES[call]
        if not may[key]:
            flagged_healthy += bool(got)
            continue
        right += len(got & may[key])
        wrong += len(got - may[key])
        found += len(want[key] & got)
        missed += len(want[key] - got)
        if want[key] - got:
            misses.append({"item_id": key[0], "facility_id": key[1],
                           "want": sorted(want[key]), "call": call})
        if got - may[key]:
            mistakes.append({"item_id": key[0], "facility_id": key[1],
                             "may": sorted(may[key]), "call": call})

    def ratio(a: int, b: int) -> float:
        return 1.0 if a + b == 0 else round(a / (a + b), 4)

    return {"precision": ratio(right, wrong), "recall": ratio(found, missed),
            "overall_precision": ratio(right, wrong + flagged_healthy),
            "healthy_keys": sum(1 for k in calls if not may[k]),
            "healthy_flagged": flagged_healthy, "faulty_keys": sum(1 for k in may if may[k]),
            "expected_labels": sum(len(v) for v in want.values()),
            "misses": misses, "mistakes": mistakes}
