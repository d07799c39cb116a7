"""Transfer orders between facilities: the document's states and its rules.

Shipping moves stock from a source bin into the *destination's* in-transit location,
so the destination sees it coming (stock level ``in_transit``) while the source's
on-hand drops at once; receiving moves it from in-transit into a destination location.
"""

from __future__ import annotations

from enum import StrEnum

from shelfwise.domain.errors import Conflict, InvalidInput


class TransferState(StrEnum):
    DRAFT = "draft"  # planned: nothing has moved, lines may still be cancelled
    SHIPPED = "shipped"  # left the source: stock sits in the destination's in-transit
    RECEIVED = "received"  # arrived: stock is in a destination location
    CANCELLED = "cancelled"  # withdrawn before shipping; nothing moved


TRANSITIONS: dict[TransferState, frozenset[TransferState]] = {
    TransferState.DRAFT: frozenset({TransferState.SHIPPED, TransferState.CANCELLED}),
    TransferState.SHIPPED: frozenset({TransferState.RECEIVED}),
    TransferState.RECEIVED: frozenset(),
    TransferState.CANCELLED: frozenset(),
}


def check_transition(current: str, target: TransferState, transfer_id: int) -> None:
    if target not in TRANSITIONS[TransferState(current)]:
        raise Conflict(f"transfer {transfer_id} is {current}; it cannot become {target}",
                       code="invalid_transfer_state")


def check_facilities(source_facility_id: int, dest_facility_id: int) -> None:
    if source_facility_id == dest_facility_id:
        raise InvalidInput("a transfer needs two different facilities", code="same_facility")
