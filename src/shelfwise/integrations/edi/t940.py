"""940 Warehouse Shipping Order -> :class:`ShippingOrder`.

A depositor (the 3PL's client) sends a 940 to ask the warehouse to ship
goods. The mapping keeps what allocation and picking need -- the depositor's
order number (the key the 945 must echo back), ship-to address, requested
ship date and lines with quantity, unit and every product id the partner sent
-- and rejects anything that would otherwise become a wrong pick silently
(missing W05, non-numeric or negative quantity).

Segment map: W05-01 purpose, W05-02 depositor order number, W05-03 purchase
order number; N1/N3/N4 parties; G62 dates (qualifier 10 = requested ship
date, 02 = requested delivery date); W66 carrier (W66-10 SCAC); LX line
number; W01-01 quantity, W01-02 unit, W01-03 U.P.C. case code (as ``UA``), W01-04/05,
06/07 and 15/16 product ids, W01-13 lot; N9 (``PO``) may carry the PO too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shelfwise.integrations.edi.elements import (
    ProductId,
    date_value,
    expect_set,
    find_product,
    optional,
    product_ids,
    quantity,
    require_segment,
    required,
)
from shelfwise.integrations.edi.envelope import TransactionSet
from shelfwise.integrations.edi.parties import Party, find_party, read_parties
from shelfwise.integrations.edi.tokenizer import Segment

_W01_IDS = ((4, 5), (6, 7), (15, 16))
_LINE_END = frozenset({"LX", "W01", "W76", "SE"})


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One ordered item: a whole quantity in ``unit`` and the partner's product ids."""

    line_number: str | None
    quantity: int
    unit: str
    product_ids: tuple[ProductId, ...]
    lot: str | None = None
    description: str | None = None

    @property
    def upc(self) -> str | None:
        return find_product(self.product_ids, "UP", "UK", "EN", "UA")

    @property
    def vendor_part_number(self) -> str | None:
        return find_product(self.product_ids, "VN", "VP", "VC")

    @property
    def sku(self) -> str | None:
        return find_product(self.product_ids, "SK", "IN", "BP")


@dataclass(frozen=True, slots=True)
class ShippingOrder:
    """The warehouse's view of a 940; ``control_number`` is the ST02 it came in."""

    control_number: str
    purpose: str
    depositor_order_number: str
    purchase_order_number: str | None
    ship_to: Party | None
    parties: tuple[Party, ...]
    requested_ship_date: date | None
    requested_delivery_date: date | None
    carrier_scac: str | None
    lines: tuple[OrderLine, ...]


def read_940(transaction: TransactionSet) -> ShippingOrder:
    """Map a validated 940 transaction set; raises :class:`EdiError` when unusable."""
    expect_set(transaction, "940")
    w05 = require_segment(transaction, "W05")
    header = _header(transaction.body)
    parties = read_parties(header)
    dates = {s.element(1): s for s in header if s.id == "G62"}
    w66 = next((s for s in header if s.id == "W66"), None)
    po = optional(w05, 3) or _n9(header, "PO")
    lines = _lines(transaction.body)
    if not lines:
        require_segment(transaction, "W01")
    return ShippingOrder(
        control_number=transaction.control_number,
        purpose=required(w05, 1),
        depositor_order_number=required(w05, 2),
        purchase_order_number=po,
        ship_to=find_party(parties, "ST"),
        parties=parties,
        requested_ship_date=date_value(dates["10"], 2) if "10" in dates else None,
        requested_delivery_date=date_value(dates["02"], 2) if "02" in dates else None,
        carrier_scac=optional(w66, 10) if w66 is not None else None,
        lines=lines,
    )


def _header(body: tuple[Segment, ...]) -> tuple[Segment, ...]:
    """Segments before the first line loop (LX or W01)."""
    for index, segment in enumerate(body):
        if segment.id in ("LX", "W01"):
            return body[:index]
    return body


def _n9(segments: tuple[Segment, ...], qualifier: str) -> str | None:
    for segment in segments:
        if segment.id == "N9" and segment.element(1) == qualifier:
            return optional(segment, 2)
    return None


def _lines(body: tuple[Segment, ...]) -> tuple[OrderLine, ...]:
    lines: list[OrderLine] = []
    line_number: str | None = None
    index = 0
    while index < len(body):
        segment = body[index]
        if segment.id == "LX":
            line_number = optional(segment, 1)
        elif segment.id == "W01":
            end = index + 1
            while end < len(body) and body[end].id not in _LINE_END:
                end += 1
            lines.append(_line(segment, body[index + 1 : end], line_number))
            line_number = None
            index = end
            continue
        index += 1
    return tuple(lines)


def _line(w01: Segment, details: tuple[Segment, ...], line_number: str | None) -> OrderLine:
    description = next((optional(s, 1) for s in details if s.id == "G69"), None)
    lot = optional(w01, 13) or _n9(details, "LT")
    return OrderLine(
        line_number=line_number,
        quantity=quantity(w01, 1),
        unit=required(w01, 2),
        product_ids=product_ids(w01, _W01_IDS, case_code=3),
        lot=lot,
        description=description,
    )
