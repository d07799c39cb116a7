"""Which bins and lots an order line takes its units from: allocation strategies.

A strategy is a value (a small object with a ``rank`` method), not a flag: FEFO for
expiry-tracked items, FIFO otherwise, and anything else a client contract asks for
can be passed in the same way. Allocation here is pure arithmetic over candidate bin
balances; the reservation itself is an atomic hold placed by the ledger, which may
still refuse a split if another allocator got there first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

PICK_FACE = "pick_face"


@dataclass(frozen=True)
class Candidate:
    """One bin balance an order line could take from. ``available`` = qty - allocated."""

    location_id: int
    lot: str
    available: int
    expiry: date | None = None
    received_at: datetime | None = None  # when the lot was first received (FIFO age)
    kind: str = "storage"
    path_order: str = ""


@dataclass(frozen=True)
class Split:
    location_id: int
    lot: str
    qty: int


@dataclass(frozen=True)
class Allocation:
    splits: tuple[Split, ...]
    requested: int

    @property
    def allocated(self) -> int:
        return sum(s.qty for s in self.splits)

    @property
    def short(self) -> int:
        return self.requested - self.allocated


class Strategy(Protocol):
    name: str

    def eligible(self, c: Candidate, today: date) -> bool: ...

    def rank(self, c: Candidate) -> tuple: ...


@dataclass(frozen=True)
class Fefo:
    """First expired, first out: the earliest expiry leaves first, so nothing rots on the
    shelf. Lots already expired (or with fewer than ``min_days_left`` days of shelf life,
    a common B2B contract clause) are never allocated. Within one expiry, pick faces
    first, then along the walking path."""

    min_days_left: int = 0
    name: str = "fefo"

    def eligible(self, c: Candidate, today: date) -> bool:
        if c.expiry is None:
            return True
        return (c.expiry - today).days >= self.min_days_left

    def rank(self, c: Candidate) -> tuple:
        return (c.expiry or date.max, c.kind != PICK_FACE, c.path_order, c.lot, c.location_id)


@dataclass(frozen=True)
class Fifo:
    """First in, first out: the oldest lot (by first receipt) leaves first. Without lot
    age to go by, pick faces come first (that is where pickers already are) and then
    the fullest reserve bins, so an order touches as few bins as possible."""

    name: str = "fifo"

    def eligible(self, c: Candidate, today: date) -> bool:
        return True

    def rank(self, c: Candidate) -> tuple:
        age = c.received_at.timestamp() if c.received_at is not None else float("inf")
        return (age, c.kind != PICK_FACE, -c.available, c.path_order, c.lot, c.location_id)


FEFO = Fefo()
FIFO = Fifo()


def strategy_for(expiry_tracked: bool) -> Strategy:
    """The default policy: FEFO when the item's lots carry expiry dates, else FIFO."""
    return FEFO if expiry_tracked else FIFO


def allocate(
    qty: int,
    candidates: Iterable[Candidate],
    strategy: Strategy,
    today: date,
    exclude_locations: frozenset[int] = frozenset(),
) -> Allocation:
    """Take up to ``qty`` units from the candidates in the strategy's order.

    Partial allocation is normal: ``short`` says how many units no candidate could give.
    """
    ranked = sorted(
        (c for c in candidates
         if c.available > 0 and c.location_id not in exclude_locations
         and strategy.eligible(c, today)),
        key=strategy.rank,
    )
    splits: list[Split] = []
    left = qty
    for c in ranked:
        if left <= 0:
            break
        take = min(left, c.available)
        splits.append(Split(c.location_id, c.lot, take))
        left -= take
    return Allocation(tuple(splits), qty)


def consume(candidates: Sequence[Candidate], splits: Iterable[Split]) -> list[Candidate]:
    """Candidates with the given splits taken off, for the next line of the same item."""
    taken: dict[tuple[int, str], int] = {}
    for s in splits:
        taken[(s.location_id, s.lot)] = taken.get((s.location_id, s.lot), 0) + s.qty
    out = []
    for c in candidates:
        t = taken.get((c.location_id, c.lot), 0)
        out.append(c if not t else Candidate(
            c.location_id, c.lot, c.available - t, c.expiry, c.received_at, c.kind,
            c.path_order,
        ))
    return out
