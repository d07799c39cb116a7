"""Two-phase holds (allocations).

A hold is placed, then posted (in full or in part, releasing the rest), voided, or
expires; it counts against availability from the moment it exists. Placing one is a
single conditional update in storage, so concurrent clients can never oversell.
"""

from __future__ import annotations

from enum import StrEnum

from shelfwise.domain.errors import Conflict


class HoldState(StrEnum):
    PENDING = "pending"  # reserved: counts against availability
    POSTED = "posted"  # picked: the reserved units moved, the rest released
    VOIDED = "voided"  # cancelled: all units released
    EXPIRED = "expired"  # timed out: all units released


#: The one table of allowed transitions.
TRANSITIONS: dict[HoldState, frozenset[HoldState]] = {
    HoldState.PENDING: frozenset({HoldState.POSTED, HoldState.VOIDED, HoldState.EXPIRED}),
    HoldState.POSTED: frozenset(),
    HoldState.VOIDED: frozenset(),
    HoldState.EXPIRED: frozenset(),
}


def check_transition(current: HoldState, target: HoldState, hold_id: int) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"hold {hold_id} is {current}; it cannot become {target}", code="invalid_hold_state"
        )
