"""Pick-face replenishment: keep each pick face between its min and max.

A pick face below ``min`` gets tasks that bring it up to ``max`` from reserve storage,
taking the bins that expire first (then the fullest) so reserve is used FEFO and in as
few trips as possible. Pure: storage finds the faces and bins, this decides the moves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from shelfwise.domain.errors import Conflict, InvalidInput


class ReplenishmentState(StrEnum):
    OPEN = "open"  # a move from reserve to the pick face is waiting for an operator
    DONE = "done"  # moved: the ledger carries a replenish movement
    CANCELLED = "cancelled"  # dropped; nothing moved


TRANSITIONS: dict[ReplenishmentState, frozenset[ReplenishmentState]] = {
    ReplenishmentState.OPEN: frozenset({ReplenishmentState.DONE, ReplenishmentState.CANCELLED}),
    ReplenishmentState.DONE: frozenset(),
    ReplenishmentState.CANCELLED: frozenset(),
}


def check_transition(current: str, target: ReplenishmentState, task_id: int) -> None:
    if target not in TRANSITIONS[ReplenishmentState(current)]:
        raise Conflict(f"replenishment task {task_id} is {current}; it cannot become {target}",
                       code="invalid_replenishment_state")


def check_levels(min_qty: int, max_qty: int) -> None:
    for v in (min_qty, max_qty):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise InvalidInput("min and max must be non-negative whole numbers",
                               code="invalid_quantity")
    if max_qty <= 0 or min_qty > max_qty:
        raise InvalidInput("need 0 <= min <= max and max > 0", code="invalid_min_max")


@dataclass(frozen=True)
class ReserveBin:
    location_id: int
    lot: str
    free: int  # on hand minus reserved
    expiry: date | None = None


@dataclass(frozen=True)
class Move:
    location_id: int
    lot: str
    qty: int


def plan_moves(on_face: int, min_qty: int, max_qty: int,
               reserve: Sequence[ReserveBin]) -> list[Move]:
    """Moves bringing the face from ``on_face`` to ``max_qty`` when it is below min.

    Nothing when the face is at or above min (replenishing at min-1 avoids a trip for
    every unit picked). Short reserve gives what there is.
    """
    if on_face >= min_qty:
        return []
    need = max_qty - on_face
    moves = []
    order = sorted(reserve, key=lambda b: (b.expiry is None, b.expiry or date.max, -b.free,
                                          b.location_id, b.lot))
    for b in order:
        if need <= 0:
            break
        take = min(need, b.free)
        if take > 0:
            moves.append(Move(b.location_id, b.lot, take))
            need -= take
    return moves
