"""Planning suggestions: what kinds exist and the one table of their state changes.

A suggestion is the planner's to decide: the plan proposes, a person approves (as
proposed or with an adjusted quantity) or rejects. Only an approval turns it into a
real document (a purchase order, a transfer order, active channel ring-fences) that
the floor then executes; a decided suggestion never changes again, so the record of
what the plan said and what the planner did stays true.
"""

from __future__ import annotations

from enum import StrEnum

from shelfwise.domain.errors import Conflict, InvalidInput


class SuggestionKind(StrEnum):
    PURCHASE = "purchase"  # buy from a supplier into a facility (becomes a purchase order)
    TRANSFER = "transfer"  # move stock between facilities (becomes a transfer order)
    CHANNEL_SPLIT = "channel_split"  # ring-fence available stock per sales channel


class SuggestionState(StrEnum):
    PROPOSED = "proposed"  # written by a plan run; nothing real exists yet
    APPROVED = "approved"  # accepted as proposed; its document was created
    ADJUSTED = "adjusted"  # accepted with a planner's quantity; its document was created
    REJECTED = "rejected"  # declined; nothing was created


class SuggestionEvent(StrEnum):
    APPROVE = "approve"
    ADJUST = "adjust"
    REJECT = "reject"


#: The one table of allowed transitions: (state, event) -> next state.
TRANSITIONS: dict[tuple[SuggestionState, SuggestionEvent], SuggestionState] = {
    (SuggestionState.PROPOSED, SuggestionEvent.APPROVE): SuggestionState.APPROVED,
    (SuggestionState.PROPOSED, SuggestionEvent.ADJUST): SuggestionState.ADJUSTED,
    (SuggestionState.PROPOSED, SuggestionEvent.REJECT): SuggestionState.REJECTED,
}


def next_state(state: str, event: SuggestionEvent, suggestion_id: int) -> SuggestionState:
    """The state after ``event``, or ``Conflict(suggestion_decided)`` if the table forbids it."""
    current = SuggestionState(state)
    target = TRANSITIONS.get((current, event))
    if target is None:
        raise Conflict(
            f"suggestion {suggestion_id} is {current}; it cannot {event}",
            code="suggestion_decided", state=str(current),
        )
    return target


def approval_event(kind: str, proposed_qty: int, qty: int | None) -> tuple[SuggestionEvent, int]:
    """Which event an approval is, and the quantity the document gets.

    ``qty`` None (or equal to the proposal) approves as proposed; any other positive
    integer adjusts. Channel splits are a set of quantities, so they cannot be adjusted
    through a single number.
    """
    if qty is None or qty == proposed_qty:
        return SuggestionEvent.APPROVE, proposed_qty
    if isinstance(qty, bool) or not isinstance(qty, int) or qty <= 0:
        raise InvalidInput("an adjusted quantity must be a positive integer", code="invalid_qty")
    if SuggestionKind(kind) is SuggestionKind.CHANNEL_SPLIT:
        raise InvalidInput("a channel split cannot be adjusted by one quantity",
                           code="not_adjustable")
    return SuggestionEvent.ADJUST, qty
