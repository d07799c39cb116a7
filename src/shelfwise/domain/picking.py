"""Waves, pick tasks and the rules of the pick walk.

Orders are released to the floor in waves: grouped by carrier cut-off (what must
leave on the same truck), then by priority, and capped in size so a wave is a shift's
worth of work. Inside a wave, each pick task is one hold on one bin and lot; a
picker's list is sorted along the walking path by the location's ``path_order``.
Waves and tasks are explicit state machines with one transition table each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from shelfwise.barcodes.errors import ScanMismatch
from shelfwise.barcodes.scan import Scan
from shelfwise.domain.errors import Conflict, InvalidInput


class WaveState(StrEnum):
    RELEASED = "released"  # pick tasks issued; nobody has picked yet
    PICKING = "picking"  # at least one task closed, some still open
    PICKED = "picked"  # every task closed: the goods are in staging
    SHIPPED = "shipped"  # every order of the wave has shipped
    CANCELLED = "cancelled"  # withdrawn before any pick; tasks cancelled


WAVE_TRANSITIONS: dict[WaveState, frozenset[WaveState]] = {
    WaveState.RELEASED: frozenset({WaveState.PICKING, WaveState.PICKED, WaveState.CANCELLED}),
    WaveState.PICKING: frozenset({WaveState.PICKED}),
    WaveState.PICKED: frozenset({WaveState.SHIPPED, WaveState.PICKING}),
    WaveState.SHIPPED: frozenset(),
    WaveState.CANCELLED: frozenset(),
}


class TaskState(StrEnum):
    OPEN = "open"  # the hold is pending; waiting for a picker
    PICKED = "picked"  # the full quantity moved to staging
    SHORT = "short"  # fewer units were found; the rest was released and re-allocated
    CANCELLED = "cancelled"  # the order was withdrawn; the hold was voided


TASK_TRANSITIONS: dict[TaskState, frozenset[TaskState]] = {
    TaskState.OPEN: frozenset({TaskState.PICKED, TaskState.SHORT, TaskState.CANCELLED}),
    TaskState.PICKED: frozenset(),
    TaskState.SHORT: frozenset(),
    TaskState.CANCELLED: frozenset(),
}

CLOSED_TASK_STATES = frozenset({TaskState.PICKED, TaskState.SHORT, TaskState.CANCELLED})


def check_wave_transition(current: WaveState, target: WaveState, wave_id: int) -> None:
    if target != current and target not in WAVE_TRANSITIONS[current]:
        raise Conflict(f"wave {wave_id} is {current}; it cannot become {target}",
                       code="invalid_wave_state")


def check_task_transition(current: TaskState, target: TaskState, task_id: int) -> None:
    if target not in TASK_TRANSITIONS[current]:
        raise Conflict(f"pick task {task_id} is {current}; it cannot become {target}",
                       code="invalid_task_state", task_id=task_id, state=str(current))


def wave_state_after(task_states: Iterable[TaskState]) -> WaveState:
    """A wave's state follows from its tasks' states."""
    states = list(task_states)
    if states and all(s == TaskState.CANCELLED for s in states):
        return WaveState.CANCELLED
    open_ = sum(1 for s in states if s == TaskState.OPEN)
    if open_ == 0:
        return WaveState.PICKED
    return WaveState.PICKING if open_ < len(states) else WaveState.RELEASED


# -- wave planning ---------------------------------------------------------------------


@dataclass(frozen=True)
class WaveOrder:
    """What wave planning needs to know of an allocated order."""

    order_id: int
    carrier: str
    cutoff_at: datetime | None
    priority: int
    lines: int
    created_at: datetime | None = None


@dataclass(frozen=True)
class WaveRules:
    """How to cut waves: at most ``max_orders`` orders and ``max_lines`` lines each,
    never mixing carriers or cut-offs (each wave fills one truck departure)."""

    max_orders: int = 200
    max_lines: int = 2000

    def __post_init__(self) -> None:
        if self.max_orders < 1 or self.max_lines < 1:
            raise InvalidInput("wave limits must be positive", code="invalid_wave_rules")


def plan_waves(orders: Sequence[WaveOrder], rules: WaveRules = WaveRules()) -> list[list[int]]:
    """Group orders into waves: earliest cut-off first, then highest priority, then oldest.

    Orders of one (carrier, cut-off) group stay together as far as the size caps allow.
    """
    far = datetime.max.replace(tzinfo=None)

    def naive(t: datetime | None) -> datetime:
        return far if t is None else t.replace(tzinfo=None)

    ordered = sorted(orders, key=lambda o: (naive(o.cutoff_at), o.carrier, -o.priority,
                                            naive(o.created_at), o.order_id))
    waves: list[list[int]] = []
    current: list[int] = []
    key: tuple | None = None
    lines = 0
    for o in ordered:
        k = (o.carrier, naive(o.cutoff_at))
        if current and (k != key or len(current) >= rules.max_orders
                        or lines + o.lines > rules.max_lines):
            waves.append(current)
            current, lines = [], 0
        current.append(o.order_id)
        key = k
        lines += o.lines
    if current:
        waves.append(current)
    return waves


# -- the walking path ------------------------------------------------------------------

_PART = re.compile(r"\d+|[A-Za-z]+")


@lru_cache(maxsize=65_536)
def path_key(path_order: str) -> tuple:
    """Sort key of a location's ``path_order`` (e.g. ``A-01-03-B`` = aisle, bay, level,
    position): numbers compare as numbers, so bay 10 comes after bay 9. Cached: a
    warehouse has a fixed set of bins and every pick list sorts them again."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.upper())
                 for p in _PART.findall(path_order or ""))


@dataclass(frozen=True)
class SequentialPath:
    """Walk every aisle in the same direction (one-way aisles, forklifts)."""

    name: str = "sequential"

    def key(self, path_order: str) -> tuple:
        return path_key(path_order)


@dataclass(frozen=True)
class SerpentinePath:
    """Up one aisle and down the next, so a picker never walks an aisle empty-handed:
    in every second aisle the bays are visited in reverse."""

    name: str = "serpentine"

    def key(self, path_order: str) -> tuple:
        k = path_key(path_order)
        if len(k) < 2:
            return k
        aisle_index = k[0][1] if k[0][0] == 0 else sum(map(ord, k[0][2]))
        bay = k[1]
        if aisle_index % 2 == 1:
            bay = (bay[0], -bay[1], bay[2])
        return (k[0], bay, *k[2:])


SEQUENTIAL = SequentialPath()
SERPENTINE = SerpentinePath()


@dataclass(frozen=True)
class TaskStop:
    task_id: int
    path_order: str
    lot: str = ""


def walk(tasks: Iterable[TaskStop], path: SequentialPath | SerpentinePath = SEQUENTIAL
         ) -> list[int]:
    """Task ids in walking order."""
    return [t.task_id for t in sorted(tasks, key=lambda t: (path.key(t.path_order), t.lot,
                                                            t.task_id))]


# -- scans and short picks -------------------------------------------------------------


class WrongLocation(ScanMismatch):
    code = "wrong_location"


def check_location_scan(scan: Scan, expected_barcode: str) -> None:
    """The picker must scan the bin they take from; anything else is refused."""
    if scan.kind != "code" or scan.code != expected_barcode:
        raise WrongLocation(f"scanned {scan.raw!r}; go to location {expected_barcode}")


@dataclass(frozen=True)
class ShortPick:
    """The outcome of a picker finding fewer units than the task asks for."""

    found: int
    missing: int

    @property
    def is_short(self) -> bool:
        return self.missing > 0


def short_pick(task_qty: int, found: int) -> ShortPick:
    """A picker may report fewer units than the task (the bin is short), never more:
    the surplus belongs to someone else's hold or to a count variance."""
    if isinstance(found, bool) or not isinstance(found, int) or found < 0:
        raise InvalidInput("the found quantity must be a whole number ≥ 0",
                           code="invalid_quantity")
    if found > task_qty:
        raise InvalidInput(f"the task is for {task_qty}; cannot pick {found}",
                           code="over_pick")
    return ShortPick(found, task_qty - found)
