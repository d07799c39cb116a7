"""Customer returns (RMA): authorise, receive, inspect each line.

A return comes back from the customer virtual location onto a receiving dock; each
line is then inspected and goes back to sellable stock, to the damaged area, or to
scrap. The RMA is done when every received line has a disposition.
"""

from __future__ import annotations

from enum import StrEnum

from shelfwise.domain.errors import Conflict, InvalidInput
from shelfwise.domain.ledger import MovementType
from shelfwise.domain.locations import LocationKind


class RmaState(StrEnum):
    AUTHORISED = "authorised"  # the customer may send it back; nothing has arrived
    RECEIVED = "received"  # on the receiving dock, waiting for inspection
    CLOSED = "closed"  # every received line inspected and put where it belongs
    CANCELLED = "cancelled"  # withdrawn before anything arrived


TRANSITIONS: dict[RmaState, frozenset[RmaState]] = {
    RmaState.AUTHORISED: frozenset({RmaState.RECEIVED, RmaState.CANCELLED}),
    RmaState.RECEIVED: frozenset({RmaState.CLOSED}),
    RmaState.CLOSED: frozenset(),
    RmaState.CANCELLED: frozenset(),
}


class Disposition(StrEnum):
    RESTOCK = "restock"  # as new: back to sellable storage
    DAMAGED = "damaged"  # kept aside in the damaged area for a decision
    SCRAP = "scrap"  # written off to the scrap account


#: Per disposition: the movement type and the kinds the stock may go to.
DISPOSITION_RULES: dict[Disposition, tuple[MovementType, frozenset[LocationKind]]] = {
    Disposition.RESTOCK: (MovementType.PUTAWAY,
                          frozenset({LocationKind.STORAGE, LocationKind.PICK_FACE})),
    Disposition.DAMAGED: (MovementType.HOLD, frozenset({LocationKind.DAMAGED})),
    Disposition.SCRAP: (MovementType.SCRAP, frozenset({LocationKind.SCRAP})),
}


def check_transition(current: str, target: RmaState, rma_id: int) -> None:
    if target not in TRANSITIONS[RmaState(current)]:
        raise Conflict(f"RMA {rma_id} is {current}; it cannot become {target}",
                       code="invalid_rma_state")


def parse_disposition(value: str) -> Disposition:
    try:
        return Disposition(value)
    except ValueError:
        raise InvalidInput(f"unknown disposition {value!r}; use restock, damaged or scrap",
                           code="invalid_disposition") from None
