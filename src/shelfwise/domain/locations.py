"""Location kinds and what stock in each one means.

Every counterparty is a location (supplier, customer, adjustment, scrap, in transit),
so the books always balance. Whether a location may go negative is a property of its
kind, checked here once and backed by a database CHECK on balances.
"""

from __future__ import annotations

from enum import StrEnum


class LocationKind(StrEnum):
    RECEIVING = "receiving"  # inbound dock: received, not yet put away
    STORAGE = "storage"  # reserve storage: sellable
    PICK_FACE = "pick_face"  # forward pick location: sellable
    STAGING = "staging"  # picked, waiting to be packed: in process
    PACKING = "packing"  # on a pack bench: in process
    SHIPPING = "shipping"  # packed, on the outbound dock: in process
    QUARANTINE = "quarantine"  # held: not available until released
    DAMAGED = "damaged"  # held: damaged stock awaiting a decision
    # virtual counterparties
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ADJUSTMENT = "adjustment"
    SCRAP = "scrap"
    IN_TRANSIT = "in_transit"  # shipped from another facility to this one
    PRODUCTION = "production"


PHYSICAL_KINDS = frozenset(
    {
        LocationKind.RECEIVING,
        LocationKind.STORAGE,
        LocationKind.PICK_FACE,
        LocationKind.STAGING,
        LocationKind.PACKING,
        LocationKind.SHIPPING,
        LocationKind.QUARANTINE,
        LocationKind.DAMAGED,
    }
)
VIRTUAL_KINDS = frozenset(set(LocationKind) - PHYSICAL_KINDS)
SELLABLE_KINDS = frozenset({LocationKind.STORAGE, LocationKind.PICK_FACE})
IN_PROCESS_KINDS = frozenset({LocationKind.STAGING, LocationKind.PACKING, LocationKind.SHIPPING})
HELD_KINDS = frozenset({LocationKind.QUARANTINE, LocationKind.DAMAGED})
#: Virtual locations each facility gets automatically.
AUTO_VIRTUAL_KINDS = (
    LocationKind.SUPPLIER,
    LocationKind.CUSTOMER,
    LocationKind.ADJUSTMENT,
    LocationKind.SCRAP,
    LocationKind.IN_TRANSIT,
    LocationKind.PRODUCTION,
)

#: Stock-level columns a balance in each kind counts towards (besides ``on_hand``).
BUCKETS = ("on_hand", "sellable", "receiving", "in_process", "held", "in_transit")


def is_guarded(kind: LocationKind) -> bool:
    """True when stock here is real and so may never go negative.

    In-transit stock is not in any building but is real stock on a truck, so it is
    guarded too; suppliers, customers and adjustment accounts are not.
    """
    return kind in PHYSICAL_KINDS or kind == LocationKind.IN_TRANSIT


def buckets_for(kind: LocationKind) -> tuple[str, ...]:
    """The stock-level figures that a unit in a location of this kind adds to."""
    if kind in SELLABLE_KINDS:
        return ("on_hand", "sellable")
    if kind == LocationKind.RECEIVING:
        return ("on_hand", "receiving")
    if kind in IN_PROCESS_KINDS:
        return ("on_hand", "in_process")
    if kind in HELD_KINDS:
        return ("on_hand", "held")
    if kind == LocationKind.IN_TRANSIT:
        return ("in_transit",)
    return ()


def virtual_code(facility_code: str, kind: LocationKind) -> str:
    """Barcode/code of a facility's virtual location, e.g. ``WH1:SUPPLIER``."""
    return f"{facility_code}:{kind.value.upper()}"
