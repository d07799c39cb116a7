"""Putaway: where received stock should go, and the putaway task's states.

Slotting is a policy, so it is a chain of small rule functions passed in as a value:
each rule looks at one request and the facility's candidate locations and either names
a location or passes. The first rule that answers wins, and its name is kept on the
task so a supervisor sees *why* a bin was suggested. Capacity counts units already in
a bin plus units other open tasks are bringing to it, so two pallets are never sent
to the same last free slot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from shelfwise.domain.errors import Conflict, InvalidInput
from shelfwise.domain.locations import SELLABLE_KINDS, LocationKind


class PutawayState(StrEnum):
    OPEN = "open"  # stock waits at the dock (some may already be put away)
    DONE = "done"  # every unit of the task is in its destination
    CANCELLED = "cancelled"  # abandoned; what is left stays at the dock


class PutawayEvent(StrEnum):
    PUT_PART = "put_part"  # some units put away, some left
    PUT_ALL = "put_all"  # the last units put away
    CANCEL = "cancel"


#: The one table of allowed transitions: (state, event) -> next state.
TRANSITIONS: dict[tuple[PutawayState, PutawayEvent], PutawayState] = {
    (PutawayState.OPEN, PutawayEvent.PUT_PART): PutawayState.OPEN,
    (PutawayState.OPEN, PutawayEvent.PUT_ALL): PutawayState.DONE,
    (PutawayState.OPEN, PutawayEvent.CANCEL): PutawayState.CANCELLED,
}


def next_state(state: PutawayState | str, event: PutawayEvent, task_id: int) -> PutawayState:
    current = PutawayState(state)
    target = TRANSITIONS.get((current, event))
    if target is None:
        raise Conflict(
            f"putaway task {task_id} is {current}; it cannot {event}",
            code="invalid_state", state=str(current),
        )
    return target


@dataclass(frozen=True)
class Candidate:
    """A storage or pick-face location as the rules see it.

    ``occupied`` is every unit in the bin (any owner: a shelf is full whoever owns the
    boxes) plus units open tasks are bringing; ``holds`` the (item, lot) keys in it;
    ``pick_face_of`` the item whose fixed pick face it is, if any.
    """

    location_id: int
    kind: LocationKind
    zone_id: int | None
    capacity: int | None  # None: unlimited
    path_order: str
    occupied: int = 0
    holds: frozenset[tuple[int, str]] = frozenset()
    pick_face_of: int | None = None

    def room(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.occupied)

    def fits(self, qty: int) -> bool:
        room = self.room()
        return room is None or room >= qty


@dataclass(frozen=True)
class PutawayRequest:
    """Units of one item/lot at the dock that need a home.

    ``pick_face_id`` / ``pick_face_max`` / ``pick_face_qty`` describe the item's fixed
    pick face in this facility (if any); ``zones`` are the item's home zones.
    """

    item_id: int
    lot: str
    qty: int
    zones: frozenset[int] = frozenset()
    pick_face_id: int | None = None
    pick_face_max: int | None = None
    pick_face_qty: int = 0


@dataclass(frozen=True)
class Suggestion:
    location_id: int
    rule: str


Rule = Callable[[PutawayRequest, Sequence[Candidate]], int | None]


def fixed_pick_face(req: PutawayRequest, cands: Sequence[Candidate]) -> int | None:
    """The item's own pick face, if the whole quantity fits under its max and capacity."""
    if req.pick_face_id is None:
        return None
    for c in cands:
        if c.location_id == req.pick_face_id:
            limit = req.pick_face_max
            under_max = limit is None or req.pick_face_qty + req.qty <= limit
            return c.location_id if under_max and c.fits(req.qty) else None
    return None


def same_item_and_lot(req: PutawayRequest, cands: Sequence[Candidate]) -> int | None:
    """A location already holding this item and lot: keeps a lot together for picking."""
    for c in _walk(cands):
        if (req.item_id, req.lot) in c.holds and _free_for(c, req) and c.fits(req.qty):
            return c.location_id
    return None


def empty_in_zone(req: PutawayRequest, cands: Sequence[Candidate]) -> int | None:
    """An empty storage location in one of the item's home zones."""
    for c in _walk(cands):
        if (c.kind == LocationKind.STORAGE and c.zone_id in req.zones and c.occupied == 0
                and c.pick_face_of is None and c.fits(req.qty)):
            return c.location_id
    return None


def empty_anywhere(req: PutawayRequest, cands: Sequence[Candidate]) -> int | None:
    """Last resort: any empty storage location of the facility."""
    for c in _walk(cands):
        if (c.kind == LocationKind.STORAGE and c.occupied == 0 and c.pick_face_of is None
                and c.fits(req.qty)):
            return c.location_id
    return None


def _walk(cands: Iterable[Candidate]) -> list[Candidate]:
    """Candidates in walking-path order, so suggestions are stable and short to reach."""
    return sorted(cands, key=lambda c: (c.path_order, c.location_id))


def _free_for(c: Candidate, req: PutawayRequest) -> bool:
    return c.pick_face_of is None or c.pick_face_of == req.item_id


#: The default chain, in order of preference.
DEFAULT_RULES: tuple[tuple[str, Rule], ...] = (
    ("fixed_pick_face", fixed_pick_face),
    ("same_item_lot", same_item_and_lot),
    ("empty_in_zone", empty_in_zone),
    ("empty_anywhere", empty_anywhere),
)


def suggest(
    req: PutawayRequest,
    cands: Sequence[Candidate],
    rules: Sequence[tuple[str, Rule]] = DEFAULT_RULES,
) -> Suggestion | None:
    """The first rule's answer, named; ``None`` if no rule finds room."""
    for name, rule in rules:
        loc = rule(req, cands)
        if loc is not None:
            return Suggestion(loc, name)
    return None


def plan(
    reqs: Sequence[PutawayRequest],
    cands: Sequence[Candidate],
    rules: Sequence[tuple[str, Rule]] = DEFAULT_RULES,
) -> list[Suggestion | None]:
    """Suggest for several requests, each one seeing the bins the earlier ones filled."""
    pool = {c.location_id: c for c in cands}
    out: list[Suggestion | None] = []
    for req in reqs:
        s = suggest(req, list(pool.values()), rules)
        out.append(s)
        if s is not None:
            c = pool[s.location_id]
            pool[c.location_id] = replace(
                c, occupied=c.occupied + req.qty, holds=c.holds | {(req.item_id, req.lot)}
            )
    return out


def check_destination(
    *,
    suggested_id: int | None,
    scanned: Candidate | None,
    scanned_facility_ok: bool,
    reason: str,
) -> bool:
    """Decide whether the scanned destination may take the stock; True if an override.

    The suggestion is accepted as scanned. Anything else needs a reason and must be a
    storage or pick-face location of the same facility; refusals carry ``wrong_location``.
    """
    if scanned is not None and suggested_id is not None and scanned.location_id == suggested_id:
        return False
    if not reason.strip():
        raise InvalidInput(
            "scan the suggested location, or give a reason to put away elsewhere",
            code="wrong_location",
        )
    if scanned is None or not scanned_facility_ok or scanned.kind not in SELLABLE_KINDS:
        raise InvalidInput(
            "the scanned location is not a storage or pick-face location of this facility",
            code="wrong_location",
        )
    return True
