"""943 stock transfer shipment advice becomes an ExpectedReceipt."""

from datetime import date, datetime

import pytest

from shelfwise.integrations.edi import EdiError, EdiErrorCode, parse_interchange, read_943
from shelfwise.integrations.edi.writer import render_interchange

CLOCK = datetime(2024, 3, 1, 9, 30)
HEADER: list[tuple[str | None, ...]] = [
    ("W06", "N", "TR-5521", "20240301", "SHP-88120", None, "PO-4471"),
    ("N1", "SF", "ACME PLANT 2", "92", "AP2"),
    ("N1", "WH", "SHELFWISE PDX", "92", "PDX1"),
    ("N9", "BM", "BOL-330019"),
    ("G62", "17", "20240304"),
    ("W27", "M", "ODFL"),
]


def advice(*lines: tuple[str | None, ...], header=HEADER):
    text = render_interchange(
        "943",
        [*header, *lines, ("W03", "72")],
        sender="ACME",
        receiver="SHELFWISE",
        control_number=11,
        clock=CLOCK,
    )
    return parse_interchange(text).transactions[0]


def test_943_maps_to_an_expected_receipt_with_lots() -> None:
    receipt = read_943(
        advice(
            ("LX", "1"),
            ("W04", "48", "EA", "000123450000", "VN", "BOLT-M8", "UP", "036000291452"),
            ("N9", "LT", "L2403A"),
            ("LX", "2"),
            ("W04", "24", "EA", None, "VN", "NUT-M8"),
        )
    )
    assert receipt.source_set == "943"
    assert (receipt.shipment_id, receipt.depositor_order_number) == ("SHP-88120", "TR-5521")
    assert receipt.purchase_order_numbers == ("PO-4471",)
    assert (receipt.ship_date, receipt.expected_delivery_date) == (
        date(2024, 3, 1),
        date(2024, 3, 4),
    )
    assert receipt.ship_from is not None and receipt.ship_from.id == "AP2"
    assert (receipt.carrier_scac, receipt.bill_of_lading) == ("ODFL", "BOL-330019")
    first, second = receipt.lines
    assert (first.quantity, first.lot, first.upc, first.line_number) == (
        48,
        "L2403A",
        "036000291452",
        "1",
    )
    assert (second.vendor_part_number, second.lot) == ("NUT-M8", None)
    assert receipt.total_quantity == 72


def test_943_without_w06_is_a_missing_segment() -> None:
    with pytest.raises(EdiError) as caught:
        read_943(advice(("W04", "1", "EA", None, "VN", "X"), header=[]))
    assert (caught.value.code, caught.value.segment_id) == (EdiErrorCode.MISSING_SEGMENT, "W06")


def test_943_with_non_numeric_quantity_names_w04_element_1() -> None:
    with pytest.raises(EdiError) as caught:
        read_943(advice(("W04", "4O", "EA", None, "VN", "X")))
    error = caught.value
    assert (error.code, error.segment_id, error.segment_position, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "W04",
        10,
        1,
    )
