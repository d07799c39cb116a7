"""Cycle counting rules: count frequency per class, an even daily schedule, tolerance,
the count task's state machine and inventory record accuracy (IRA).

Counts are blind: the counter never sees what the books expect, so the number they
report is what is on the shelf. A variance beyond tolerance is recounted before a
supervisor approves it; only an approved variance becomes an adjustment movement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import TypeVar

from shelfwise.domain.errors import Conflict, InvalidInput

K = TypeVar("K", bound=Hashable)  # a sortable location key

#: Days between counts of a location holding an item of each class.
DEFAULT_FREQUENCIES: Mapping[str, int] = {"A": 30, "B": 90, "C": 365}
CLASS_RANK = {"A": 0, "B": 1, "C": 2}
COUNT_REASON = "count_variance"


class CountState(StrEnum):
    OPEN = "open"  # waiting for a counter
    RECOUNT_REQUESTED = "recount_requested"  # counted, beyond tolerance: a recount task exists
    AWAITING_APPROVAL = "awaiting_approval"  # counted with a variance a supervisor must approve
    APPROVED = "approved"  # variance posted to the ledger as a count adjustment
    CLOSED = "closed"  # counted, no variance: nothing to post
    CANCELLED = "cancelled"  # withdrawn before approval; nothing posted


TRANSITIONS: dict[CountState, frozenset[CountState]] = {
    CountState.OPEN: frozenset({CountState.RECOUNT_REQUESTED, CountState.AWAITING_APPROVAL,
                                CountState.CLOSED, CountState.CANCELLED}),
    CountState.RECOUNT_REQUESTED: frozenset(),
    CountState.AWAITING_APPROVAL: frozenset({CountState.APPROVED, CountState.CANCELLED}),
    CountState.APPROVED: frozenset(),
    CountState.CLOSED: frozenset(),
    CountState.CANCELLED: frozenset(),
}

#: Task states whose results are the final word on a location (used for IRA).
FINAL_STATES = frozenset({CountState.AWAITING_APPROVAL, CountState.APPROVED, CountState.CLOSED})


def check_transition(current: str, target: CountState, task_id: int) -> None:
    if target not in TRANSITIONS[CountState(current)]:
        raise Conflict(f"count task {task_id} is {current}; it cannot become {target}",
                       code="invalid_count_state")


@dataclass(frozen=True)
class Tolerance:
    """How far a count may differ from the books and still be accurate.

    A variance is within tolerance when its size is at most ``units`` or at most
    ``basis_points`` / 10,000 of the expected quantity, whichever is larger; so 0/0 means
    exact counts only. Basis points keep the rule in integers.
    """

    units: int = 0
    basis_points: int = 0

    def __post_init__(self) -> None:
        for v in (self.units, self.basis_points):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise InvalidInput("tolerance must be non-negative whole numbers",
                                   code="invalid_tolerance")

    def allows(self, expected: int, counted: int) -> bool:
        diff = abs(counted - expected)
        return diff <= self.units or diff * 10_000 <= expected * self.basis_points


def frequencies(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Days between counts per class, defaults overridden; every value a positive int."""
    out = dict(DEFAULT_FREQUENCIES)
    for cls, days in (overrides or {}).items():
        if cls not in CLASS_RANK:
            raise InvalidInput(f"unknown class {cls!r}", code="invalid_class")
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
            raise InvalidInput(f"count frequency of class {cls} must be 1..3660 days",
                               code="invalid_frequency")
        out[cls] = days
    return out


def location_class(item_classes: Iterable[str]) -> str:
    """A location is counted as often as its most important item needs."""
    return min(item_classes, key=lambda c: CLASS_RANK.get(c, 2), default="C")


def count_schedule(
    entries: Sequence[tuple[K, str]],
    freq: Mapping[str, int],
    start: date,
    days: int,
) -> dict[date, list[K]]:
    """Which locations to count on each day of ``[start, start + days)``.

    The ``n`` locations of a class counted every ``f`` days get offsets ``i * f // n``,
    so each class's work is spread evenly over its cycle instead of landing on day one,
    and every location recurs exactly every ``f`` days. Keys (which must be sortable,
    e.g. location ids) are sorted first so the plan is the same however the input was
    ordered.
    """
    if days < 0:
        raise InvalidInput("days must not be negative", code="invalid_days")
    by_class: dict[str, list[K]] = defaultdict(list)
    for key, cls in entries:
        by_class[cls if cls in freq else "C"].append(key)
    plan: dict[date, list[K]] = {start + timedelta(d): [] for d in range(days)}
    for cls in sorted(by_class):
        keys = sorted(by_class[cls])
        f, n = freq[cls], len(keys)
        for i, key in enumerate(keys):
            offset = i * f // n
            for d in range(offset, days, f):
                plan[start + timedelta(d)].append(key)
    return plan


@dataclass(frozen=True)
class CountLine:
    """One stock key at the counted location: the books' quantity and the counted one."""

    item_id: int
    lot: str
    expected: int
    counted: int

    @property
    def variance(self) -> int:
        return self.counted - self.expected


def compare(expected: Mapping[tuple[int, str], int],
            counted: Mapping[tuple[int, str], int]) -> list[CountLine]:
    """Every key either side knows of; a key the counter did not report was counted 0."""
    keys = sorted(set(expected) | set(counted))
    return [CountLine(i, lot, expected.get((i, lot), 0), counted.get((i, lot), 0))
            for i, lot in keys]


def outcome(lines: Sequence[CountLine], tolerance: Tolerance, is_recount: bool) -> CountState:
    """What a submitted count leads to.

    No variance: closed. A first count beyond tolerance: recount (a miscount is likelier
    than lost stock). Otherwise the variance waits for a supervisor.
    """
    if all(ln.variance == 0 for ln in lines):
        return CountState.CLOSED
    if not is_recount and any(not tolerance.allows(ln.expected, ln.counted) for ln in lines):
        return CountState.RECOUNT_REQUESTED
    return CountState.AWAITING_APPROVAL


@dataclass(frozen=True)
class Accuracy:
    counts: int
    counts_within: int
    units: int
    units_within: int

    @property
    def by_counts(self) -> float | None:
        return self.counts_within / self.counts if self.counts else None

    @property
    def by_units(self) -> float | None:
        return self.units_within / self.units if self.units else None


def record_accuracy(results: Iterable[tuple[int, int, bool]]) -> Accuracy:
    """IRA from ``(expected, counted, within_tolerance)`` results.

    By counts: the share of count lines within tolerance. By units: the same share
    weighted by the units involved (the larger of expected and counted, so a line found
    where the books said nothing still weighs).
    """
    n = within = units = units_within = 0
    for expected, counted, ok in results:
        weight = max(expected, counted)
        n += 1
        units += weight
        if ok:
            within += 1
            units_within += weight
    return Accuracy(n, within, units, units_within)


def holds_to_void(allocated_holds: Sequence[tuple[int, int]], allocated: int,
                  remaining: int) -> list[int]:
    """Pending holds (``(hold_id, qty)``, newest first) to void so that what stays
    allocated fits in ``remaining`` units: a count that finds less than is promised
    must release promises before the stock can go."""
    out = []
    for hold_id, qty in allocated_holds:
        if allocated <= remaining:
            break
        out.append(hold_id)
        allocated -= qty
    return out
