"""945 Warehouse Shipping Advice: writer, and a reader for partners' and our own 945s.

The 945 is how a 3PL tells the depositor that a 940 order left the dock: it
must echo the depositor order number and report ordered *and* shipped
quantity per line, because the depositor bills its customer from it and
chases short shipments from the difference. The writer computes the
difference (W12-04), the status (W12-01) and the W03 totals itself, so they
can never disagree with the lines.

Segment map: W06-01 reporting code, W06-02 depositor order number, W06-03
ship date, W06-04 shipment id (often the BOL), W06-06 PO; N1 loops; W27-01
transport method, W27-02 SCAC, W27-04 payment method; LX line number; W12-01
status, W12-02 ordered, W12-03 shipped, W12-05 unit, W12-06 case code
(``UA``), W12-07/08 one product id, W12-09 lot; N9 ``LV`` license plate;
W03-02/03 total weight and unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from shelfwise.integrations.edi.elements import (
    ProductId,
    date_value,
    decimal,
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
from shelfwise.integrations.edi.parties import Party, find_party, party_segments, read_parties
from shelfwise.integrations.edi.tokenizer import Segment
from shelfwise.integrations.edi.writer import SegmentValues, TradingPartner, render_interchange

_HEADER_OFFSET = 3
_LINE_END = frozenset({"LX", "W12", "W03", "SE"})


@dataclass(frozen=True, slots=True)
class ShippedLine:
    """One order line as shipped; W12 has room for the case code plus one product id."""

    product_ids: tuple[ProductId, ...]
    quantity_ordered: int
    quantity_shipped: int
    unit: str = "EA"
    lot: str | None = None
    line_number: str | None = None
    license_plate: str | None = None
    status: str | None = None
    """W12-01; when None the writer sends ``CC`` (complete) or ``CP`` (partial)."""

    @property
    def quantity_difference(self) -> int:
        return self.quantity_ordered - self.quantity_shipped


@dataclass(frozen=True, slots=True)
class ShippingAdvice:
    """The warehouse's report that a shipping order has shipped."""

    depositor_order_number: str
    ship_date: date
    shipment_id: str
    lines: tuple[ShippedLine, ...]
    purchase_order_number: str | None = None
    ship_to: Party | None = None
    ship_from: Party | None = None
    carrier_scac: str | None = None
    transport_method: str = "M"
    payment_method: str | None = None
    total_weight: Decimal | None = None
    weight_unit: str = "LB"
    reporting_code: str = "F"
    control_number: str | None = None
    """ST02 of the 945 this was read from; ignored when writing."""

    @property
    def total_shipped(self) -> int:
        return sum(line.quantity_shipped for line in self.lines)


def write_945(
    advice: ShippingAdvice,
    *,
    sender: TradingPartner | str,
    receiver: TradingPartner | str,
    control_number: int,
    clock: datetime,
) -> str:
    """A complete 945 interchange for ``advice``."""
    body: list[SegmentValues] = [
        (
            "W06",
            advice.reporting_code,
            advice.depositor_order_number,
            format_date(advice.ship_date),
            advice.shipment_id,
            None,
            advice.purchase_order_number,
        ),
    ]
    for party in (advice.ship_to, advice.ship_from):
        if party is not None:
            body.extend(party_segments(party))
    if advice.carrier_scac:
        body.append(
            ("W27", advice.transport_method, advice.carrier_scac, None, advice.payment_method)
        )
    for number, line in enumerate(advice.lines, start=1):
        body.append(("LX", line.line_number or str(number)))
        body.append(_w12(line, len(body) + 1 + _HEADER_OFFSET))
        if line.license_plate:
            body.append(("N9", "LV", line.license_plate))
    weight = None if advice.total_weight is None else str(advice.total_weight)
    body.append(
        (
            "W03",
            format_quantity(advice.total_shipped),
            weight,
            advice.weight_unit if weight else None,
        )
    )
    return render_interchange(
        "945", body, sender=sender, receiver=receiver, control_number=control_number, clock=clock
    )


def _w12(line: ShippedLine, position: int) -> SegmentValues:
    case_code = next((p.value for p in line.product_ids if p.qualifier == "UA"), None)
    others = [p for p in line.product_ids if p.qualifier != "UA"]
    if len(others) > 1:
        raise EdiError(
            EdiErrorCode.BAD_ELEMENT,
            f"W12 carries one product id besides the case code, got {len(others)}",
            segment_id="W12",
            segment_position=position,
            element_position=7,
        )
    status = line.status or ("CC" if line.quantity_shipped >= line.quantity_ordered else "CP")
    product = others[0] if others else None
    return (
        "W12",
        status,
        format_quantity(line.quantity_ordered),
        format_quantity(line.quantity_shipped),
        str(line.quantity_difference),
        line.unit,
        case_code,
        product.qualifier if product else None,
        product.value if product else None,
        line.lot,
    )


def read_945(transaction: TransactionSet) -> ShippingAdvice:
    """Map a 945 transaction set; raises :class:`EdiError` when unusable."""
    expect_set(transaction, "945")
    w06 = require_segment(transaction, "W06")
    body = transaction.body
    first_line = next((i for i, s in enumerate(body) if s.id in ("LX", "W12")), len(body))
    header = body[:first_line]
    parties = read_parties(header)
    w27 = first(header, "W27")
    w03 = first(body, "W03")
    lines = _lines(body[first_line:])
    if not lines:
        require_segment(transaction, "W12")
    ship_date = date_value(w06, 3)
    if ship_date is None:
        raise error_at(w06, 3, EdiErrorCode.MISSING_ELEMENT, "W06-03 ship date is required")
    return ShippingAdvice(
        depositor_order_number=required(w06, 2),
        ship_date=ship_date,
        shipment_id=required(w06, 4),
        lines=lines,
        purchase_order_number=optional(w06, 6),
        ship_to=find_party(parties, "ST"),
        ship_from=find_party(parties, "SF"),
        carrier_scac=optional(w27, 2) if w27 else None,
        transport_method=(optional(w27, 1) or "M") if w27 else "M",
        payment_method=optional(w27, 4) if w27 else None,
        total_weight=decimal(w03, 2) if w03 else None,
        weight_unit=(optional(w03, 3) or "LB") if w03 else "LB",
        reporting_code=required(w06, 1),
        control_number=transaction.control_number,
    )


def _lines(body: tuple[Segment, ...]) -> tuple[ShippedLine, ...]:
    lines: list[ShippedLine] = []
    line_number: str | None = None
    for index, segment in enumerate(body):
        if segment.id == "LX":
            line_number = optional(segment, 1)
        elif segment.id == "W12":
            end = index + 1
            while end < len(body) and body[end].id not in _LINE_END:
                end += 1
            plate = next(
                (
                    optional(s, 2)
                    for s in body[index + 1 : end]
                    if s.id == "N9" and s.element(1) == "LV"
                ),
                None,
            )
            lines.append(
                ShippedLine(
                    product_ids=product_ids(segment, ((7, 8),), case_code=6),
                    quantity_ordered=quantity(segment, 2),
                    quantity_shipped=quantity(segment, 3),
                    unit=required(segment, 5),
                    lot=optional(segment, 9),
                    line_number=line_number,
                    license_plate=plate,
                    status=required(segment, 1),
                )
            )
            line_number = None
    return tuple(lines)
