"""A small world with six weeks of shipments, for planning tests.

WH1 sells ten tents a day and is nearly out; WH2 sells one a day and holds far more
than it needs, so the plan should buy for WH1 and move stock from WH2.
"""

from __future__ import annotations

from dataclasses import dataclass

from shelfwise.domain.ledger import MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog, ledger
from shelfwise.services.context import Context
from tests.factories import World, build_world, move


@dataclass
class PlanningWorld:
    w: World
    customer2: int
    supplier2: int


def seed_planning_world(ctx: Context, clock, *, days: int = 42, wh1_start: int = 450,
                        wh2_start: int = 1000, wh1_daily: int = 10) -> PlanningWorld:
    w = build_world(ctx)
    customer2 = catalog.virtual_location(ctx, w.facility2, LocationKind.CUSTOMER)
    supplier2 = catalog.virtual_location(ctx, w.facility2, LocationKind.SUPPLIER)
    clock.advance(days=-days - 1)
    ledger.post_movements(ctx, [
        move(w.owner, w.item, w.supplier, w.bins[0], wh1_start, type=MovementType.RECEIPT),
        move(w.owner, w.item, supplier2, w.bins2[0], wh2_start, type=MovementType.RECEIPT),
    ])
    left = wh1_start
    for day in range(days):
        clock.advance(days=1)
        qty = min(left, wh1_daily + (3 if day % 7 in (4, 5) else 0) - (2 if day % 7 == 0 else 0))
        left -= qty
        cmds = [move(w.owner, w.item, w.bins2[0], customer2, 1, type=MovementType.SHIP)]
        if qty > 0:  # an empty shelf ships nothing: the demand history must see through it
            cmds.append(move(w.owner, w.item, w.bins[0], w.customer, qty, type=MovementType.SHIP))
        ledger.post_movements(ctx, cmds)
    clock.advance(days=1)
    return PlanningWorld(w, customer2, supplier2)
