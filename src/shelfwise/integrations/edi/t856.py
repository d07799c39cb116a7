"""856 Ship Notice/Manifest (ASN): inbound -> :class:`ExpectedReceipt`, outbound writer.

An ASN is a tree of HL loops -- Shipment, Order, Tare (pallet), Pack
(carton), Item -- linked by HL02 parent ids. Receiving needs each item's
quantity together with the PO of its order and the SSCC of its carton, so the
reader resolves every Item loop's ancestors instead of reading segments in
sequence. The writer produces the common S/O/P/I layout with one SSCC per
carton in ``MAN*GM``, which is what retailers' docks scan.

Segment map: BSN-02 shipment id, BSN-03 date; shipment level DTM 011
shipped / 017 estimated delivery, REF ``BM`` bill of lading, TD5-03 SCAC, N1
loops; order level PRF-01 PO; tare/pack level MAN ``GM`` SSCC; item level
LIN qualifier pairs (``LT`` = lot), SN1-02 quantity, SN1-03 unit, DTM 036
expiry, REF ``LT`` lot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

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
from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode
from shelfwise.integrations.edi.parties import Party, find_party, party_segments, read_parties
from shelfwise.integrations.edi.receipts import ExpectedLine, ExpectedReceipt
from shelfwise.integrations.edi.tokenizer import Segment
from shelfwise.integrations.edi.writer import SegmentValues, TradingPartner, render_interchange

_LIN_PAIRS = tuple((n, n + 1) for n in range(2, 32, 2))
_HEADER_OFFSET = 3  # ISA, GS, ST precede the body when writing


@dataclass(frozen=True, slots=True)
class _Level:
    """One HL loop: its ids, level code and the segments inside it."""

    hl: Segment
    id: str
    parent: str | None
    code: str
    segments: tuple[Segment, ...]


def read_856(transaction: TransactionSet) -> ExpectedReceipt:
    """Map an inbound ASN; every Item loop becomes one :class:`ExpectedLine`."""
    expect_set(transaction, "856")
    bsn = require_segment(transaction, "BSN")
    levels = _levels(transaction.body)
    check_line_count(first(transaction.body, "CTT"), len(levels), "HL loops")
    by_id = {level.id: level for level in levels}
    shipment = next((level for level in levels if level.code == "S"), None)
    head = shipment.segments if shipment is not None else ()
    parties = read_parties(head)
    lines = tuple(_item_line(level, by_id) for level in levels if level.code == "I")
    if not lines:
        raise EdiError(
            EdiErrorCode.MISSING_SEGMENT,
            "an ASN needs at least one item (HL03 = I) loop",
            segment_id="HL",
            segment_position=transaction.segments[-1].position,
        )
    pos = tuple(
        dict.fromkeys(line.purchase_order_number for line in lines if line.purchase_order_number)
    )
    td5 = first(head, "TD5")
    return ExpectedReceipt(
        source_set="856",
        control_number=transaction.control_number,
        shipment_id=required(bsn, 2),
        depositor_order_number=None,
        purchase_order_numbers=pos,
        ship_date=_dtm(head, "011") or date_value(bsn, 3),
        expected_delivery_date=_dtm(head, "017"),
        ship_from=find_party(parties, "SF"),
        parties=parties,
        carrier_scac=optional(td5, 3) if td5 is not None else None,
        bill_of_lading=_ref(head, "BM"),
        lines=lines,
    )


def _levels(body: tuple[Segment, ...]) -> tuple[_Level, ...]:
    """HL loops in order; a parent must be declared before its children."""
    levels: list[_Level] = []
    seen: set[str] = set()
    starts = [i for i, segment in enumerate(body) if segment.id == "HL"]
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(body)
        hl = body[start]
        hl_id, parent, code = required(hl, 1), optional(hl, 2), required(hl, 3)
        if hl_id in seen:
            raise error_at(hl, 1, EdiErrorCode.BAD_ELEMENT, f"HL id {hl_id!r} repeats")
        if parent is not None and parent not in seen:
            raise error_at(hl, 2, EdiErrorCode.BAD_ELEMENT, f"HL parent {parent!r} is unknown")
        seen.add(hl_id)
        inner = tuple(s for s in body[start + 1 : end] if s.id != "CTT")
        levels.append(_Level(hl, hl_id, parent, code, inner))
    return tuple(levels)


def _item_line(item: _Level, by_id: dict[str, _Level]) -> ExpectedLine:
    lin = first(item.segments, "LIN")
    sn1 = first(item.segments, "SN1")
    if lin is None or sn1 is None:
        missing = "LIN" if lin is None else "SN1"
        raise EdiError(
            EdiErrorCode.MISSING_SEGMENT,
            f"item loop {item.id} has no {missing}",
            segment_id=missing,
            segment_position=item.hl.position,
        )
    ids = product_ids(lin, _LIN_PAIRS)
    lot = next((p.value for p in ids if p.qualifier == "LT"), None) or _ref(item.segments, "LT")
    ancestors = _ancestors(item, by_id)
    po = next(
        (optional(s, 1) for level in ancestors for s in level.segments if s.id == "PRF"), None
    )
    sscc = next(
        (
            _sscc(s)
            for level in ancestors
            for s in level.segments
            if s.id == "MAN" and s.element(1) == "GM"
        ),
        None,
    )
    return ExpectedLine(
        quantity=quantity(sn1, 2),
        unit=required(sn1, 3),
        product_ids=tuple(p for p in ids if p.qualifier != "LT"),
        lot=lot,
        expiry_date=_dtm(item.segments, "036"),
        purchase_order_number=po,
        sscc=sscc,
        line_number=optional(lin, 1),
    )


def _ancestors(level: _Level, by_id: dict[str, _Level]) -> list[_Level]:
    """The item itself, then its parents up to the shipment (nearest first)."""
    chain = [level]
    while chain[-1].parent is not None:
        chain.append(by_id[chain[-1].parent])
    return chain


def _sscc(man: Segment) -> str:
    """MAN02 with an ``00`` application identifier prefix removed if present."""
    value = required(man, 2)
    return value[2:] if len(value) == 20 and value.startswith("00") else value


def _dtm(segments: Sequence[Segment], qualifier: str) -> date | None:
    dtm = next((s for s in segments if s.id == "DTM" and s.element(1) == qualifier), None)
    return date_value(dtm, 2) if dtm is not None else None


def _ref(segments: Sequence[Segment], qualifier: str) -> str | None:
    ref = next((s for s in segments if s.id == "REF" and s.element(1) == qualifier), None)
    return optional(ref, 2) if ref is not None else None


# -- outbound ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CartonItem:
    """Whole units of one item (and lot) packed in a carton."""

    product_ids: tuple[ProductId, ...]
    quantity: int
    unit: str = "EA"
    lot: str | None = None


@dataclass(frozen=True, slots=True)
class Carton:
    """A shipping container identified by its 18-digit SSCC."""

    sscc: str
    items: tuple[CartonItem, ...]


@dataclass(frozen=True, slots=True)
class ShipmentOrder:
    """The cartons shipped against one purchase order."""

    purchase_order_number: str
    cartons: tuple[Carton, ...]


@dataclass(frozen=True, slots=True)
class OutboundShipment:
    """What the warehouse tells a consignee is on its way."""

    shipment_id: str
    ship_date: date
    ship_from: Party
    ship_to: Party
    orders: tuple[ShipmentOrder, ...]
    carrier_scac: str | None = None
    bill_of_lading: str | None = None
    estimated_delivery_date: date | None = None
    purpose: str = "00"
    extra_parties: tuple[Party, ...] = field(default=())


def sscc_check_digit(first_17: str) -> int:
    """GS1 mod-10 check digit: weights 3,1,3,... from the right of the 17 digits."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first_17)))
    return (10 - total % 10) % 10


def is_valid_sscc(value: str) -> bool:
    return len(value) == 18 and value.isdigit() and sscc_check_digit(value[:17]) == int(value[17])


def write_856(
    shipment: OutboundShipment,
    *,
    sender: TradingPartner | str,
    receiver: TradingPartner | str,
    control_number: int,
    clock: datetime,
) -> str:
    """A complete ASN interchange (HL S/O/P/I) for ``shipment``."""
    body: list[SegmentValues] = [
        (
            "BSN",
            shipment.purpose,
            shipment.shipment_id,
            format_date(clock.date()),
            clock.strftime("%H%M"),
            "0001",
        ),
        ("HL", "1", None, "S"),
    ]
    if shipment.carrier_scac:
        body.append(("TD5", None, "2", shipment.carrier_scac))
    if shipment.bill_of_lading:
        body.append(("REF", "BM", shipment.bill_of_lading))
    body.append(("DTM", "011", format_date(shipment.ship_date)))
    if shipment.estimated_delivery_date:
        body.append(("DTM", "017", format_date(shipment.estimated_delivery_date)))
    for party in (shipment.ship_from, shipment.ship_to, *shipment.extra_parties):
        body.extend(party_segments(party))
    hl_count = 1
    for order in shipment.orders:
        hl_count += 1
        order_hl = hl_count
        body += [("HL", str(order_hl), "1", "O"), ("PRF", order.purchase_order_number)]
        for carton in order.cartons:
            hl_count += 1
            pack_hl = hl_count
            body.append(("HL", str(pack_hl), str(order_hl), "P"))
            if not is_valid_sscc(carton.sscc):
                raise EdiError(
                    EdiErrorCode.BAD_ELEMENT,
                    f"SSCC {carton.sscc!r} is not 18 digits with a valid check digit",
                    segment_id="MAN",
                    segment_position=len(body) + 1 + _HEADER_OFFSET,
                    element_position=2,
                )
            body.append(("MAN", "GM", carton.sscc))
            for item in carton.items:
                hl_count += 1
                body.append(("HL", str(hl_count), str(pack_hl), "I"))
                body.append(_lin(item))
                body.append(("SN1", None, format_quantity(item.quantity), item.unit))
    body.append(("CTT", str(hl_count)))
    return render_interchange(
        "856", body, sender=sender, receiver=receiver, control_number=control_number, clock=clock
    )


def _lin(item: CartonItem) -> SegmentValues:
    values: list[str | None] = ["LIN", None]
    for product in item.product_ids:
        values += [product.qualifier, product.value]
    if item.lot:
        values += ["LT", item.lot]
    return tuple(values)
