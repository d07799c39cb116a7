"""846 Inventory Inquiry/Advice: writer for stock snapshots, and a reader.

Depositors reconcile their books against the 3PL's with a periodic 846, so
each line states, per item (and lot), the physical quantity on hand and the
quantity available to promise (on hand minus holds). The writer adds the CTT
line count, and the reader checks it, because a dropped LIN loop would
otherwise look like stock that vanished.

Segment map: BIA-01 purpose, BIA-02 report type, BIA-03 reference, BIA-04
date, BIA-05 time; N1 loops; per item LIN-01 line id, LIN qualifier pairs
(``LT`` = lot); QTY-01 qualifier (17 on hand, 33 available), QTY-02 quantity,
QTY-03 unit (first component); CTT-01 number of LIN loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from shelfwise.integrations.edi.elements import (
    ProductId,
    check_line_count,
    date_value,
    error_at,
    expect_set,
    first,
    format_date,
    format_quantity,
    optional,
    product_ids,
    quantity,
    require_segment,
    required,
)
from shelfwise.integrations.edi.envelope import TransactionSet
from shelfwise.integrations.edi.errors import EdiErrorCode
from shelfwise.integrations.edi.parties import Party, party_segments, read_parties
from shelfwise.integrations.edi.tokenizer import Segment
from shelfwise.integrations.edi.writer import SegmentValues, TradingPartner, render_interchange

ON_HAND = "17"
AVAILABLE = "33"
_LIN_PAIRS = tuple((n, n + 1) for n in range(2, 32, 2))


@dataclass(frozen=True, slots=True)
class InventoryLine:
    """One item (and lot) in a snapshot; quantities in whole ``unit``s, None if unsent."""

    product_ids: tuple[ProductId, ...]
    unit: str = "EA"
    on_hand: int | None = None
    available: int | None = None
    lot: str | None = None
    other_quantities: tuple[tuple[str, int], ...] = ()
    """QTY qualifiers other than 17/33, kept so a reader loses nothing."""


@dataclass(frozen=True, slots=True)
class InventorySnapshot:
    """A point-in-time inventory advice for one depositor."""

    reference: str
    as_of: datetime
    lines: tuple[InventoryLine, ...]
    parties: tuple[Party, ...] = ()
    purpose: str = "00"
    report_type: str = "DD"
    control_number: str | None = None
    """ST02 of the 846 this was read from; ignored when writing."""


def write_846(
    snapshot: InventorySnapshot,
    *,
    sender: TradingPartner | str,
    receiver: TradingPartner | str,
    control_number: int,
    clock: datetime,
) -> str:
    """A complete 846 interchange for ``snapshot``."""
    body: list[SegmentValues] = [
        (
            "BIA",
            snapshot.purpose,
            snapshot.report_type,
            snapshot.reference,
            format_date(snapshot.as_of.date()),
            snapshot.as_of.strftime("%H%M"),
        ),
    ]
    for party in snapshot.parties:
        body.extend(party_segments(party))
    for number, line in enumerate(snapshot.lines, start=1):
        lin: list[str | None] = ["LIN", str(number)]
        for product in line.product_ids:
            lin += [product.qualifier, product.value]
        if line.lot:
            lin += ["LT", line.lot]
        body.append(tuple(lin))
        quantities = [(ON_HAND, line.on_hand), (AVAILABLE, line.available), *line.other_quantities]
        for qualifier, value in quantities:
            if value is not None:
                body.append(("QTY", qualifier, format_quantity(value), line.unit))
    body.append(("CTT", str(len(snapshot.lines))))
    return render_interchange(
        "846", body, sender=sender, receiver=receiver, control_number=control_number, clock=clock
    )


def read_846(transaction: TransactionSet) -> InventorySnapshot:
    """Map an 846 transaction set; raises :class:`EdiError` when unusable."""
    expect_set(transaction, "846")
    bia = require_segment(transaction, "BIA")
    body = transaction.body
    starts = [i for i, s in enumerate(body) if s.id == "LIN"]
    if not starts:
        require_segment(transaction, "LIN")
    lines = tuple(
        _line(body[start], body[start + 1 : end])
        for start, end in zip(starts, [*starts[1:], len(body)], strict=True)
    )
    check_line_count(first(body, "CTT"), len(lines), "LIN loops")
    as_of_date = date_value(bia, 4)
    if as_of_date is None:
        raise error_at(bia, 4, EdiErrorCode.MISSING_ELEMENT, "BIA-04 date is required")
    return InventorySnapshot(
        reference=required(bia, 3),
        as_of=datetime.combine(as_of_date, _time(bia, 5)),
        lines=lines,
        parties=read_parties(body[: starts[0]]),
        purpose=required(bia, 1),
        report_type=required(bia, 2),
        control_number=transaction.control_number,
    )


def _line(lin: Segment, details: tuple[Segment, ...]) -> InventoryLine:
    ids = product_ids(lin, _LIN_PAIRS)
    quantities: dict[str, int] = {}
    unit: str | None = None
    for qty in (s for s in details if s.id == "QTY"):
        qualifier = required(qty, 1)
        quantities[qualifier] = quantity(qty, 2)
        this_unit = qty.components(3)[0] if qty.components(3) else None
        if this_unit and unit and this_unit != unit:
            raise error_at(
                qty,
                3,
                EdiErrorCode.BAD_ELEMENT,
                f"unit {this_unit!r} differs from {unit!r} on the same item",
            )
        unit = unit or this_unit
    return InventoryLine(
        product_ids=tuple(p for p in ids if p.qualifier != "LT"),
        unit=unit or "EA",
        on_hand=quantities.pop(ON_HAND, None),
        available=quantities.pop(AVAILABLE, None),
        lot=next((p.value for p in ids if p.qualifier == "LT"), None),
        other_quantities=tuple(quantities.items()),
    )


def _time(segment: Segment, n: int) -> time:
    value = optional(segment, n)
    if value is None:
        return time(0, 0)
    if len(value) not in (4, 6) or not value.isdigit():
        raise error_at(segment, n, EdiErrorCode.BAD_ELEMENT, f"time {value!r} is not HHMM")
    try:
        return time(int(value[:2]), int(value[2:4]), int(value[4:6] or 0))
    except ValueError as exc:
        raise error_at(
            segment, n, EdiErrorCode.BAD_ELEMENT, f"time {value!r} does not exist"
        ) from exc
