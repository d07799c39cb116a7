"""944 Warehouse Stock Transfer Receipt Advice: writer and reader.

The 944 answers a 943 (or an ASN): it tells the depositor what the warehouse
actually received, so the depositor's books move stock into the 3PL and any
over/short against the 943 becomes visible. It therefore quotes the
depositor order number and shipment id the 943 carried, and reports one W07
per item and lot with the quantity counted at the dock.

Segment map: W17-01 reporting code, W17-02 receipt date, W17-03 warehouse
receipt number, W17-04 depositor order number, W17-05 shipment id; N1 loops
(``WH`` warehouse, ``SF`` ship from); LX line; W07-01 quantity, W07-02 unit,
W07-03 case code (``UA``), W07-04/05, 06/07, 10/11 product ids, W07-08 lot;
W14-01 total quantity received.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from shelfwise.integrations.edi.elements import (
    ProductId,
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
from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode
from shelfwise.integrations.edi.parties import Party, party_segments, read_parties
from shelfwise.integrations.edi.writer import SegmentValues, TradingPartner, render_interchange

_W07_IDS = ((4, 5), (6, 7), (10, 11))
_HEADER_OFFSET = 3


@dataclass(frozen=True, slots=True)
class ReceivedLine:
    """Whole units of one item (and lot) counted in at the dock."""

    product_ids: tuple[ProductId, ...]
    quantity_received: int
    unit: str = "EA"
    lot: str | None = None
    line_number: str | None = None


@dataclass(frozen=True, slots=True)
class ReceiptAdvice:
    """What the warehouse received against a depositor's stock transfer."""

    receipt_number: str
    receipt_date: date
    lines: tuple[ReceivedLine, ...]
    depositor_order_number: str | None = None
    shipment_id: str | None = None
    parties: tuple[Party, ...] = ()
    reporting_code: str = "F"
    control_number: str | None = None
    """ST02 of the 944 this was read from; ignored when writing."""

    @property
    def total_received(self) -> int:
        return sum(line.quantity_received for line in self.lines)


def write_944(
    advice: ReceiptAdvice,
    *,
    sender: TradingPartner | str,
    receiver: TradingPartner | str,
    control_number: int,
    clock: datetime,
) -> str:
    """A complete 944 interchange for ``advice``, with the W14 total computed."""
    body: list[SegmentValues] = [
        (
            "W17",
            advice.reporting_code,
            format_date(advice.receipt_date),
            advice.receipt_number,
            advice.depositor_order_number,
            advice.shipment_id,
        ),
    ]
    for party in advice.parties:
        body.extend(party_segments(party))
    for number, line in enumerate(advice.lines, start=1):
        body.append(("LX", line.line_number or str(number)))
        body.append(_w07(line, len(body) + 1 + _HEADER_OFFSET))
    body.append(("W14", format_quantity(advice.total_received)))
    return render_interchange(
        "944", body, sender=sender, receiver=receiver, control_number=control_number, clock=clock
    )


def _w07(line: ReceivedLine, position: int) -> SegmentValues:
    case_code = next((p.value for p in line.product_ids if p.qualifier == "UA"), None)
    others = [p for p in line.product_ids if p.qualifier != "UA"]
    if len(others) > len(_W07_IDS):
        raise EdiError(
            EdiErrorCode.BAD_ELEMENT,
            f"W07 has room for {len(_W07_IDS)} product ids, got {len(others)}",
            segment_id="W07",
            segment_position=position,
            element_position=_W07_IDS[-1][0],
        )
    values: list[str | None] = [None] * 11
    values[0], values[1], values[2] = format_quantity(line.quantity_received), line.unit, case_code
    values[7] = line.lot
    for (q, v), product in zip(_W07_IDS, others, strict=False):
        values[q - 1], values[v - 1] = product.qualifier, product.value
    return ("W07", *values)


def read_944(transaction: TransactionSet) -> ReceiptAdvice:
    """Map a 944 transaction set; raises :class:`EdiError` when unusable."""
    expect_set(transaction, "944")
    w17 = require_segment(transaction, "W17")
    body = transaction.body
    first_line = next((i for i, s in enumerate(body) if s.id in ("LX", "W07")), len(body))
    lines: list[ReceivedLine] = []
    line_number: str | None = None
    for segment in body[first_line:]:
        if segment.id == "LX":
            line_number = optional(segment, 1)
        elif segment.id == "W07":
            lines.append(
                ReceivedLine(
                    product_ids=product_ids(segment, _W07_IDS, case_code=3),
                    quantity_received=quantity(segment, 1),
                    unit=required(segment, 2),
                    lot=optional(segment, 8),
                    line_number=line_number,
                )
            )
            line_number = None
    if not lines:
        require_segment(transaction, "W07")
    w14 = first(body, "W14")
    if w14 is not None and quantity(w14, 1) != sum(x.quantity_received for x in lines):
        raise error_at(w14, 1, EdiErrorCode.BAD_ELEMENT, "W14-01 differs from the W07 total")
    receipt_date = date_value(w17, 2)
    if receipt_date is None:
        raise error_at(w17, 2, EdiErrorCode.MISSING_ELEMENT, "W17-02 receipt date is required")
    return ReceiptAdvice(
        receipt_number=required(w17, 3),
        receipt_date=receipt_date,
        lines=tuple(lines),
        depositor_order_number=optional(w17, 4),
        shipment_id=optional(w17, 5),
        parties=read_parties(body[:first_line]),
        reporting_code=required(w17, 1),
        control_number=transaction.control_number,
    )
