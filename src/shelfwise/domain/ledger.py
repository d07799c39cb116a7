"""The ledger's rules: movements, their validation, and the balance deltas they cause.

A movement is double-entry: each line takes ``qty`` of one stock key out of a ``from``
location and puts it into a ``to`` location, so summed over all locations every item's
quantity is always zero. Quantities are integers in the item's base unit.
This module decides *what* a movement changes; storage applies it atomically.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.locations import LocationKind, buckets_for, is_guarded

#: Largest quantity one line may carry: far beyond any real warehouse move, small enough
#: that sums over millions of lines stay inside a 64-bit integer.
MAX_LINE_QTY = 1_000_000_000
MAX_LINES = 1_000


class MovementType(StrEnum):
    RECEIPT = "receipt"  # supplier -> receiving dock
    PUTAWAY = "putaway"  # receiving -> storage
    MOVE = "move"  # any internal relocation
    PICK = "pick"  # storage -> staging (posts a hold)
    PACK = "pack"  # staging -> packing/shipping
    SHIP = "ship"  # shipping -> customer
    TRANSFER_OUT = "transfer_out"  # storage -> in transit
    TRANSFER_IN = "transfer_in"  # in transit -> receiving
    RETURN = "return"  # customer -> receiving/returns
    ADJUSTMENT = "adjustment"  # adjustment account <-> location, with a reason
    COUNT = "count"  # count variance posted to/from the adjustment account
    HOLD = "hold"  # to quarantine/damaged
    RELEASE = "release"  # from quarantine back to storage
    SCRAP = "scrap"
    REPLENISH = "replenish"  # reserve -> pick face


#: Movement types that must name why (auditors ask for it).
REASON_REQUIRED = frozenset({MovementType.ADJUSTMENT, MovementType.COUNT, MovementType.SCRAP})


@dataclass(frozen=True)
class LineCommand:
    item_id: int
    from_location_id: int
    to_location_id: int
    qty: int
    lot: str = ""


@dataclass(frozen=True)
class MovementCommand:
    """A request to post one movement. ``owner_id`` is part of every key."""

    owner_id: int
    type: MovementType
    lines: tuple[LineCommand, ...]
    reason: str = ""
    document_type: str = ""
    document_id: str = ""
    user: str = ""
    device: str = ""
    scans: tuple[str, ...] = ()
    note: str = ""
    idempotency_key: str | None = None


@dataclass(frozen=True)
class LocationFacts:
    """What the ledger needs to know of a location to post to it."""

    id: int
    facility_id: int
    kind: LocationKind


@dataclass(frozen=True)
class ItemFacts:
    id: int
    owner_id: int
    lot_tracked: bool


def validate_quantity(qty: object, what: str = "qty") -> int:
    """Refuse anything but a positive integer of sane size (no bools, floats or strings)."""
    if isinstance(qty, bool) or not isinstance(qty, int):
        raise InvalidInput(f"{what} must be a whole number of base units", code="invalid_quantity")
    if qty <= 0:
        raise InvalidInput(f"{what} must be positive, got {qty}", code="invalid_quantity")
    if qty > MAX_LINE_QTY:
        raise InvalidInput(f"{what} {qty} exceeds {MAX_LINE_QTY}", code="quantity_too_large")
    return qty


def validate_movement(
    cmd: MovementCommand,
    items: Mapping[int, ItemFacts],
    locations: Mapping[int, LocationFacts],
) -> None:
    """Check a movement against the catalog facts before anything is written.

    Raises a named error for the first rule broken; stock sufficiency is checked by
    storage at write time (atomically), not here.
    """
    if not cmd.lines:
        raise InvalidInput("a movement needs at least one line", code="empty_movement")
    if len(cmd.lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} lines per movement", code="too_many_lines")
    if cmd.type in REASON_REQUIRED and not cmd.reason:
        raise InvalidInput(f"a {cmd.type} movement needs a reason code", code="reason_required")
    for n, line in enumerate(cmd.lines):
        validate_quantity(line.qty, f"lines[{n}].qty")
        item = items.get(line.item_id)
        if item is None or item.owner_id != cmd.owner_id:
            raise_not_found_item(line.item_id)
        for loc_id in (line.from_location_id, line.to_location_id):
            if loc_id not in locations:
                raise NotFound(f"location {loc_id} does not exist", code="location_not_found")
        if line.from_location_id == line.to_location_id:
            raise InvalidInput(
                f"lines[{n}] moves stock from a location to itself", code="same_location"
            )
        if item.lot_tracked and not line.lot:
            raise InvalidInput(
                f"item {line.item_id} is lot-tracked: lines[{n}] needs a lot", code="lot_required"
            )
        if not item.lot_tracked and line.lot:
            raise InvalidInput(
                f"item {line.item_id} is not lot-tracked: lines[{n}] must not name a lot",
                code="lot_not_tracked",
            )


def raise_not_found_item(item_id: int) -> None:
    """Unknown item and another owner's item look the same, so ids don't leak."""
    raise NotFound(f"item {item_id} does not exist", code="item_not_found")


BalanceKey = tuple[int, int, int, str]  # owner, item, location, lot
LevelKey = tuple[int, int, int]  # owner, item, facility


@dataclass
class Deltas:
    """Net effect of a set of movements: per balance key and per stock-level figure."""

    balances: dict[BalanceKey, int] = field(default_factory=lambda: defaultdict(int))
    levels: dict[LevelKey, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    outflows: dict[BalanceKey, int] = field(default_factory=lambda: defaultdict(int))


def compute_deltas(
    commands: Iterable[MovementCommand], locations: Mapping[int, LocationFacts]
) -> Deltas:
    """Sum what the movements add to and take from each balance and stock figure."""
    d = Deltas()
    for cmd in commands:
        for line in cmd.lines:
            src = locations[line.from_location_id]
            dst = locations[line.to_location_id]
            d.balances[(cmd.owner_id, line.item_id, src.id, line.lot)] -= line.qty
            d.balances[(cmd.owner_id, line.item_id, dst.id, line.lot)] += line.qty
            d.outflows[(cmd.owner_id, line.item_id, src.id, line.lot)] += line.qty
            for bucket in buckets_for(src.kind):
                d.levels[(cmd.owner_id, line.item_id, src.facility_id)][bucket] -= line.qty
            for bucket in buckets_for(dst.kind):
                d.levels[(cmd.owner_id, line.item_id, dst.facility_id)][bucket] += line.qty
    return d


def guarded_keys(keys: Iterable[BalanceKey], locations: Mapping[int, LocationFacts]) -> set:
    """The balance keys whose location may never go negative."""
    return {k for k in keys if is_guarded(locations[k[2]].kind)}


def sorted_keys(keys: Sequence[tuple]) -> list[tuple]:
    """Rows are always written in key order so concurrent writers never deadlock."""
    return sorted(keys)
