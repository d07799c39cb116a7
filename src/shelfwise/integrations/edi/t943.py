"""943 Warehouse Stock Transfer Shipment Advice -> :class:`ExpectedReceipt`.

A depositor sends a 943 when it ships its own stock into the warehouse, so
receiving can check the truck against it and answer with a 944. The 944 must
quote the depositor order number and shipment id from here.

Segment map: W06-02 depositor order number, W06-03 ship date, W06-04
shipment id, W06-06 PO; N1 loops (``SF`` ship from); G62 qualifier 17
estimated delivery; W27-02 carrier SCAC; N9 ``BM`` bill of lading; per line
W04-01 quantity, W04-02 unit, W04-03 case code (as ``UA``), W04-04/05, 06/07
and 14/15 product ids, and an N9 ``LT`` inside the line loop for the lot.
"""

from __future__ import annotations

from shelfwise.integrations.edi.elements import (
    date_value,
    expect_set,
    optional,
    product_ids,
    quantity,
    require_segment,
    required,
)
from shelfwise.integrations.edi.envelope import TransactionSet
from shelfwise.integrations.edi.parties import find_party, read_parties
from shelfwise.integrations.edi.receipts import ExpectedLine, ExpectedReceipt
from shelfwise.integrations.edi.tokenizer import Segment

_W04_IDS = ((4, 5), (6, 7), (14, 15))
_LINE_END = frozenset({"LX", "W04", "W03", "SE"})


def read_943(transaction: TransactionSet) -> ExpectedReceipt:
    """Map a validated 943 transaction set; raises :class:`EdiError` when unusable."""
    expect_set(transaction, "943")
    w06 = require_segment(transaction, "W06")
    body = transaction.body
    first_line = next((i for i, s in enumerate(body) if s.id in ("LX", "W04")), len(body))
    header = body[:first_line]
    parties = read_parties(header)
    dates = {s.element(1): s for s in header if s.id == "G62"}
    w27 = next((s for s in header if s.id == "W27"), None)
    lines = _lines(body[first_line:])
    if not lines:
        require_segment(transaction, "W04")
    po = optional(w06, 6)
    depositor_order = required(w06, 2)
    return ExpectedReceipt(
        source_set="943",
        control_number=transaction.control_number,
        shipment_id=optional(w06, 4) or depositor_order,
        depositor_order_number=depositor_order,
        purchase_order_numbers=(po,) if po else (),
        ship_date=date_value(w06, 3),
        expected_delivery_date=date_value(dates["17"], 2) if "17" in dates else None,
        ship_from=find_party(parties, "SF"),
        parties=parties,
        carrier_scac=optional(w27, 2) if w27 is not None else None,
        bill_of_lading=_n9(header, "BM"),
        lines=lines,
    )


def _n9(segments: tuple[Segment, ...], qualifier: str) -> str | None:
    for segment in segments:
        if segment.id == "N9" and segment.element(1) == qualifier:
            return optional(segment, 2)
    return None


def _lines(body: tuple[Segment, ...]) -> tuple[ExpectedLine, ...]:
    lines: list[ExpectedLine] = []
    line_number: str | None = None
    for index, segment in enumerate(body):
        if segment.id == "LX":
            line_number = optional(segment, 1)
        elif segment.id == "W04":
            end = index + 1
            while end < len(body) and body[end].id not in _LINE_END:
                end += 1
            details = body[index + 1 : end]
            lines.append(
                ExpectedLine(
                    quantity=quantity(segment, 1),
                    unit=required(segment, 2),
                    product_ids=product_ids(segment, _W04_IDS, case_code=3),
                    lot=_n9(details, "LT"),
                    line_number=line_number,
                )
            )
            line_number = None
    return tuple(lines)
