"""Receipts (purchase orders and ASNs): their states, and expected-versus-received math.

A receipt is a document of what a supplier is expected to deliver. Units are counted in
by scanning; each scan posts a movement supplier -> dock (or -> damaged) and adds to the
line's ``received`` figure. ``received`` counts every unit that arrived, damaged ones
included (the supplier did ship them); ``damaged`` says how many of those were unusable.
Over- and short-receipts are not errors: they are facts the discrepancy report shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from shelfwise.domain.errors import Conflict


class ReceiptType(StrEnum):
    PURCHASE_ORDER = "purchase_order"  # raised by the buyer; quantities as ordered
    ASN = "asn"  # advance ship notice from the supplier; quantities as shipped


class ReceiptState(StrEnum):
    OPEN = "open"  # expected: nothing scanned in yet
    RECEIVING = "receiving"  # at least one unit scanned in; more may come
    CLOSED = "closed"  # finished: discrepancies reported, nothing more can be received
    CANCELLED = "cancelled"  # dropped before anything arrived


class ReceiptEvent(StrEnum):
    RECEIVE = "receive"  # a unit was scanned in
    CLOSE = "close"  # the dock says the delivery is complete
    CANCEL = "cancel"  # the delivery will not come


#: The one table of allowed transitions: (state, event) -> next state.
TRANSITIONS: dict[tuple[ReceiptState, ReceiptEvent], ReceiptState] = {
    (ReceiptState.OPEN, ReceiptEvent.RECEIVE): ReceiptState.RECEIVING,
    (ReceiptState.RECEIVING, ReceiptEvent.RECEIVE): ReceiptState.RECEIVING,
    (ReceiptState.OPEN, ReceiptEvent.CLOSE): ReceiptState.CLOSED,
    (ReceiptState.RECEIVING, ReceiptEvent.CLOSE): ReceiptState.CLOSED,
    (ReceiptState.OPEN, ReceiptEvent.CANCEL): ReceiptState.CANCELLED,
}


def next_state(state: ReceiptState | str, event: ReceiptEvent, receipt_id: int) -> ReceiptState:
    """The state after ``event``, or ``Conflict(invalid_state)`` if the table forbids it."""
    current = ReceiptState(state)
    target = TRANSITIONS.get((current, event))
    if target is None:
        raise Conflict(
            f"receipt {receipt_id} is {current}; it cannot {event}",
            code="invalid_state", state=str(current),
        )
    return target


@dataclass(frozen=True)
class LineCount:
    """One receipt line's expected and counted quantities, in the item's base unit."""

    line_id: int
    item_id: int
    expected: int
    received: int = 0
    damaged: int = 0
    lot: str = ""
    expiry: date | None = None

    @property
    def good(self) -> int:
        """Units that went to the dock as sellable-to-be stock."""
        return self.received - self.damaged

    @property
    def over(self) -> int:
        return max(0, self.received - self.expected)

    @property
    def short(self) -> int:
        return max(0, self.expected - self.received)

    @property
    def status(self) -> str:
        if self.over:
            return "over"
        if self.short:
            return "short"
        if self.damaged:
            return "damaged"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "line_id": self.line_id, "item_id": self.item_id, "lot": self.lot,
            "expiry": self.expiry.isoformat() if self.expiry else None,
            "expected": self.expected, "received": self.received, "damaged": self.damaged,
            "good": self.good, "over": self.over, "short": self.short, "status": self.status,
        }


def received(line: LineCount, qty: int, damaged: bool) -> LineCount:
    """The line after ``qty`` more units were counted in (damaged or not)."""
    return LineCount(
        line.line_id, line.item_id, line.expected, line.received + qty,
        line.damaged + (qty if damaged else 0), line.lot, line.expiry,
    )


def discrepancy_report(receipt_id: int, lines: Iterable[LineCount]) -> dict[str, Any]:
    """Per line expected / received / damaged / over / short, with totals.

    ``clean`` is true only when every line arrived exactly as expected and undamaged,
    so a buyer can filter for the receipts that need a supplier claim.
    """
    rows = [ln.to_dict() for ln in sorted(lines, key=lambda ln: ln.line_id)]
    totals = {
        k: sum(r[k] for r in rows)
        for k in ("expected", "received", "damaged", "good", "over", "short")
    }
    return {
        "receipt_id": receipt_id,
        "lines": rows,
        "totals": totals,
        "clean": all(r["status"] == "ok" for r in rows),
        "discrepancies": [r for r in rows if r["status"] != "ok"],
    }


def pick_line(
    lines: Iterable[LineCount], item_id: int, lot: str
) -> LineCount | None:
    """The receipt line a scanned unit counts against.

    A line that names the scanned lot wins; otherwise a line for the item with no
    expected lot; a line expecting another lot is not a match (the caller refuses).
    """
    candidates = [ln for ln in lines if ln.item_id == item_id]
    for ln in candidates:
        if ln.lot and ln.lot == lot:
            return ln
    for ln in candidates:
        if not ln.lot:
            return ln
    return None
