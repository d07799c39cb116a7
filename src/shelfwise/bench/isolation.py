"""Scripted two-session interleavings on PostgreSQL through our own storage code.

Each anomaly is provoked with both sessions inside their transactions at once. Our
code must show 0 anomalies and 0 deadlocks over many trials; a deliberately naive
version (read in Python, then write, or lock row by row in opposite orders) of each
check must show the bug, proving the check can see it. Every function returns counts,
so the tests assert on them and ``shelfwise bench reliability`` reports them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from shelfwise.domain.catalog import ItemSpec, with_check_digit
from shelfwise.domain.errors import InsufficientStock
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, holds, ledger, stock
from shelfwise.services.context import Context


@dataclass(frozen=True)
class Bay:
    """One owner's item in three bins and a staging lane of a facility."""

    owner: int
    facility: int
    item: int
    bins: tuple[int, int, int]
    staging: int
    supplier: int


def build_bay(ctx: Context, tag: str) -> Bay:
    owner = catalog.create_owner(ctx, f"ISO{tag}", f"Isolation Brand {tag}")["id"]
    fac = catalog.create_facility(ctx, f"IWH{tag}", f"Isolation DC {tag}")["id"]
    ids = catalog.create_locations(ctx, [
        {"facility_id": fac, "code": f"I{tag}-01-01-A", "kind": "storage"},
        {"facility_id": fac, "code": f"I{tag}-01-02-A", "kind": "storage"},
        {"facility_id": fac, "code": f"I{tag}-02-01-A", "kind": "pick_face"},
        {"facility_id": fac, "code": f"I{tag}-STAGE", "kind": "staging"},
    ])
    n = sum(map(ord, tag)) % 10_000
    item = catalog.create_item(ctx, ItemSpec(owner, f"TENT-{tag}", "Two-person tent",
                                             (with_check_digit(f"095060090{n:04d}"),)))["id"]
    return Bay(owner, fac, item, (ids[0], ids[1], ids[2]), ids[3],
               catalog.virtual_location(ctx, fac, LocationKind.SUPPLIER))


def _stock(ctx: Context, bay: Bay, qty: int, loc: int) -> None:
    ledger.post_movement(ctx, _move(bay, bay.supplier, loc, qty, MovementType.RECEIPT))


def _move(bay: Bay, src: int, dst: int, qty: int,
          type: MovementType = MovementType.MOVE) -> MovementCommand:
    return MovementCommand(bay.owner, type, (LineCommand(bay.item, src, dst, qty),), user="iso")


def two(fn_a: Callable[[], Any], fn_b: Callable[[], Any]) -> list[BaseException | None]:
    """Run two sessions at once; return what each raised (or None)."""
    errors: list[BaseException | None] = [None, None]

    def run(i: int, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every failure kind is counted
            errors[i] = e

    threads = [threading.Thread(target=run, args=(0, fn_a)),
               threading.Thread(target=run, args=(1, fn_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return errors


def _qty(ctx: Context, bay: Bay, loc: int) -> int:
    with ctx.read() as conn:
        return conn.execute(sa.text(
            "SELECT qty FROM balances WHERE item_id = :i AND location_id = :l"),
            {"i": bay.item, "l": loc}).scalar()


def _is_deadlock(e: BaseException | None) -> bool:
    return isinstance(e, DBAPIError) and getattr(e.orig, "sqlstate", "") == "40P01"


# -- lost update on a bin ----------------------------------------------------------------


def lost_update(ctx: Context, trials: int, tag: str = "LU") -> dict[str, int]:
    """Two pickers take one unit each from the same bin at the same moment."""
    bay = build_bay(ctx, tag)
    _stock(ctx, bay, 10_000, bay.bins[0])
    anomalies = 0
    for _ in range(trials):
        before = _qty(ctx, bay, bay.bins[0])
        two(lambda: ledger.post_movement(ctx, _move(bay, bay.bins[0], bay.bins[1], 1)),
            lambda: ledger.post_movement(ctx, _move(bay, bay.bins[0], bay.bins[2], 1)))
        anomalies += _qty(ctx, bay, bay.bins[0]) != before - 2
    return {"trials": trials, "anomalies": anomalies + (not stock.verify(ctx)["ok"])}


def naive_lost_update(ctx: Context, trials: int, tag: str = "NLU") -> dict[str, int]:
    """Read the bin in Python, then write the new figure: updates get lost."""
    bay = build_bay(ctx, tag)
    _stock(ctx, bay, 10_000, bay.bins[0])
    lost = 0
    for _ in range(trials):
        before = _qty(ctx, bay, bay.bins[0])
        barrier = threading.Barrier(2, timeout=10)

        def naive(barrier: threading.Barrier = barrier) -> None:
            with ctx.write() as conn:
                q = conn.execute(sa.text(
                    "SELECT qty FROM balances WHERE item_id = :i AND location_id = :l"),
                    {"i": bay.item, "l": bay.bins[0]}).scalar()
                barrier.wait()
                conn.execute(sa.text(
                    "UPDATE balances SET qty = :q WHERE item_id = :i AND location_id = :l"),
                    {"q": q - 1, "i": bay.item, "l": bay.bins[0]})

        two(naive, naive)
        lost += _qty(ctx, bay, bay.bins[0]) != before - 2
    return {"trials": trials, "anomalies": lost}


# -- write skew between two allocators ------------------------------------------------------


def allocators(ctx: Context, trials: int, tag: str = "AL") -> dict[str, int]:
    """Two orders for 3 units each race for the last 5: exactly one may win."""
    bay = build_bay(ctx, tag)
    _stock(ctx, bay, 5, bay.bins[0])
    anomalies = 0
    for n in range(trials):
        hold = dict(owner_id=bay.owner, item_id=bay.item, facility_id=bay.facility, qty=3,
                    document_type="order", document_id=f"SO-{tag}-{n}")
        errs = two(lambda h=hold: holds.place_hold(ctx, **h),
                   lambda h=hold: holds.place_hold(ctx, **h))
        wins = sum(e is None for e in errs)
        anomalies += wins != 1 or any(e is not None and not isinstance(e, InsufficientStock)
                                      for e in errs)
        with ctx.read() as conn:
            ids = [r[0] for r in conn.execute(sa.text(
                "SELECT id FROM holds WHERE state = 'pending' AND item_id = :i"),
                {"i": bay.item})]
        for hid in ids:
            holds.void_hold(ctx, hid)
    return {"trials": trials, "anomalies": anomalies + (not stock.verify(ctx)["ok"])}


def naive_allocators(ctx: Context, trials: int, tag: str = "NAL") -> dict[str, int]:
    """Check availability in Python, then grant: both see 5 free and both take 3."""
    bay = build_bay(ctx, tag)
    _stock(ctx, bay, 5, bay.bins[0])
    oversold = 0
    for _ in range(trials):
        barrier = threading.Barrier(2, timeout=10)
        granted: list[int] = []

        def naive(barrier: threading.Barrier = barrier, granted: list[int] = granted) -> None:
            with ctx.write() as conn:
                avail = conn.execute(sa.text(
                    "SELECT sellable - allocated FROM stock_levels WHERE item_id = :i"
                    " AND facility_id = :f"), {"i": bay.item, "f": bay.facility}).scalar()
                barrier.wait()
                if avail >= 3:
                    granted.append(3)  # a naive system would now hand out the stock

        two(naive, naive)
        oversold += sum(granted) > 5
    return {"trials": trials, "anomalies": oversold}


# -- two orders locking two bins in opposite orders ---------------------------------------


def _opposite(bay: Bay, first: int, second: int) -> MovementCommand:
    return MovementCommand(bay.owner, MovementType.MOVE, (
        LineCommand(bay.item, first, bay.staging, 1),
        LineCommand(bay.item, second, bay.staging, 1)), user="iso")


def opposite_locks(ctx: Context, trials: int, tag: str = "OL") -> dict[str, int]:
    """Two movements touch the same two bins listed in opposite orders: no deadlock."""
    bay = build_bay(ctx, tag)
    _stock(ctx, bay, 1_000, bay.bins[0])
    _stock(ctx, bay, 1_000, bay.bins[1])
    deadlocks = anomalies = 0
    a, b = bay.bins[0], bay.bins[1]
    for _ in range(trials):
        for e in two(lambda: ledger.post_movement(ctx, _opposite(bay, a, b)),
                     lambda: ledger.post_movement(ctx, _opposite(bay, b, a))):
            deadlocks += _is_deadlock(e)
            anomalies += e is not None and not _is_deadlock(e)
    anomalies += not stock.verify(ctx)["ok"]
    return {"trials": trials, "anomalies": anomalies, "deadlocks": deadlocks}


def naive_opposite_locks(ctx: Context, trials: int, tag: str = "NOL") -> dict[str, int]:
    """Update bins one row at a time in the order given: the two sessions deadlock."""
    bay = build_bay(ctx, tag)
    _stock(ctx, bay, 1_000, bay.bins[0])
    _stock(ctx, bay, 1_000, bay.bins[1])
    deadlocks = 0
    for _ in range(trials):
        barrier = threading.Barrier(2, timeout=10)

        def naive(first: int, second: int, barrier: threading.Barrier = barrier) -> None:
            with ctx.write() as conn:
                for n, loc in enumerate((first, second)):
                    conn.execute(sa.text(
                        "UPDATE balances SET qty = qty - 1 WHERE item_id = :i"
                        " AND location_id = :l"), {"i": bay.item, "l": loc})
                    if n == 0:
                        barrier.wait()

        errs = two(lambda: naive(bay.bins[0], bay.bins[1]),
                   lambda: naive(bay.bins[1], bay.bins[0]))
        deadlocks += sum(_is_deadlock(e) for e in errs)
    return {"trials": trials, "anomalies": deadlocks, "deadlocks": deadlocks}


CHECKS = (
    ("lost_update", lost_update, naive_lost_update),
    ("write_skew", allocators, naive_allocators),
    ("opposite_locks", opposite_locks, naive_opposite_locks),
)


def run_isolation(ctx: Context, trials: int = 15, naive_trials: int = 5) -> dict[str, Any]:
    """All three checks and their naive controls on one (PostgreSQL) database."""
    out: dict[str, Any] = {"checks": {}, "trials": 0, "anomalies": 0, "deadlocks": 0,
                           "naive_caught": 0, "naive_ran": 0}
    # Ours first: the naive controls corrupt their own balances on purpose, and the
    # checks' closing ``stock.verify`` looks at the whole database.
    for name, check, _ in CHECKS:
        ours = check(ctx, trials)
        out["checks"][name] = {"ours": ours}
        out["trials"] += ours["trials"]
        out["anomalies"] += ours["anomalies"]
        out["deadlocks"] += ours.get("deadlocks", 0)
    for name, _, naive in CHECKS:
        control = naive(ctx, naive_trials)
        out["checks"][name]["naive"] = control
        out["naive_ran"] += 1
        out["naive_caught"] += control["anomalies"] > 0
    return out
