"""940 shipping orders map to ShippingOrder; bad lines fail with a located error."""

from datetime import date, datetime
from pathlib import Path

import pytest

from shelfwise.integrations.edi import (
    EdiError,
    EdiErrorCode,
    ProductId,
    parse_interchange,
    read_940,
)
from shelfwise.integrations.edi.writer import render_interchange

DATA = Path(__file__).parents[2] / "data" / "edi"
CLOCK = datetime(2024, 3, 1, 9, 30)


def order(*lines: tuple[str | None, ...], header: list[tuple[str | None, ...]] | None = None):
    """A 940 whose body is ``header`` then ``lines``; positions start at 4 (after ST)."""
    default_header: list[tuple[str | None, ...]] = [
        ("W05", "N", "SO-1001", "PO-4471"),
        ("N1", "ST", "HARBOR HARDWARE", "92", "HH-009"),
        ("N3", "18 DOCK ROAD", "UNIT 4"),
        ("N4", "PORTLAND", "OR", "97217", "US"),
        ("G62", "10", "20240305"),
        ("G62", "02", "20240308"),
        ("W66", "PP", "M", None, None, "UPS GROUND", None, None, None, None, "UPSN"),
    ]
    body = [*(default_header if header is None else header), *lines]
    text = render_interchange(
        "940", body, sender="ACME", receiver="SHELFWISE", control_number=7, clock=CLOCK
    )
    return parse_interchange(text).transactions[0]


def error_of(tx) -> EdiError:
    with pytest.raises(EdiError) as caught:
        read_940(tx)
    return caught.value


def test_sample_940_maps_order_number_po_carrier_and_line() -> None:
    tx = parse_interchange((DATA / "edienginetests_940.2.OK.edi").read_text()).transactions[0]
    order_ = read_940(tx)
    assert order_.control_number == "20066"
    assert (order_.purpose, order_.depositor_order_number) == ("N", "35131")
    assert order_.purchase_order_number == "POMAIL"
    assert order_.carrier_scac == "UPSN"
    (line,) = order_.lines
    assert (line.line_number, line.quantity, line.unit) == ("1", 1, "EA")
    assert line.product_ids == (
        ProductId("UA", "000100022220"),
        ProductId("VC", "110220"),
        ProductId("UP", "871209028795"),
    )
    assert line.upc == "871209028795"
    assert line.vendor_part_number == "110220"


def test_ship_to_dates_and_several_lines_are_mapped() -> None:
    tx = order(
        ("LX", "1"),
        ("W01", "24", "EA", None, "VN", "BOLT-M8", "UP", "036000291452"),
        ("G69", "HEX BOLT M8 ZINC"),
        ("LX", "2"),
        ("W01", "6", "CA", None, "SK", "WASH-M8", *[None] * 7, "L2403A"),
    )
    result = read_940(tx)
    assert result.ship_to is not None
    assert result.ship_to.name == "HARBOR HARDWARE"
    assert result.ship_to.address_lines == ("18 DOCK ROAD", "UNIT 4")
    assert (result.ship_to.city, result.ship_to.state, result.ship_to.postal_code) == (
        "PORTLAND",
        "OR",
        "97217",
    )
    assert result.requested_ship_date == date(2024, 3, 5)
    assert result.requested_delivery_date == date(2024, 3, 8)
    first, second = result.lines
    assert (first.quantity, first.upc, first.description) == (
        24,
        "036000291452",
        "HEX BOLT M8 ZINC",
    )
    assert (second.quantity, second.unit, second.sku, second.lot) == (6, "CA", "WASH-M8", "L2403A")


def test_po_may_come_from_an_n9_reference() -> None:
    header = [("W05", "N", "SO-1002"), ("N9", "PO", "PO-9001")]
    result = read_940(order(("W01", "1", "EA", None, "VN", "X1"), header=header))
    assert result.purchase_order_number == "PO-9001"
    assert result.ship_to is None


def test_non_numeric_quantity_names_w01_element_1() -> None:
    error = error_of(order(("LX", "1"), ("W01", "TWELVE", "EA", None, "VN", "BOLT-M8")))
    assert (error.code, error.segment_id, error.segment_position, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "W01",
        12,
        1,
    )


def test_negative_quantity_is_rejected() -> None:
    error = error_of(order(("W01", "-3", "EA", None, "VN", "BOLT-M8")))
    assert (error.code, error.element_position) == (EdiErrorCode.BAD_ELEMENT, 1)
    assert "negative" in error.message


def test_fractional_quantity_is_rejected_rather_than_rounded() -> None:
    error = error_of(order(("W01", "2.5", "EA", None, "VN", "BOLT-M8")))
    assert "fractional" in error.message


def test_decimal_point_on_a_whole_quantity_is_accepted() -> None:
    assert read_940(order(("W01", "12.0", "EA", None, "VN", "B"))).lines[0].quantity == 12


def test_missing_unit_of_measure_is_a_missing_element() -> None:
    error = error_of(order(("W01", "5", None, None, "VN", "BOLT-M8")))
    assert (error.code, error.segment_id, error.element_position) == (
        EdiErrorCode.MISSING_ELEMENT,
        "W01",
        2,
    )


def test_qualifier_without_a_product_id_is_a_missing_element() -> None:
    error = error_of(order(("W01", "5", "EA", None, "VN")))
    assert (error.code, error.element_position) == (EdiErrorCode.MISSING_ELEMENT, 5)


def test_order_without_w05_is_a_missing_segment() -> None:
    error = error_of(order(("W01", "5", "EA", None, "VN", "B"), header=[]))
    assert (error.code, error.segment_id) == (EdiErrorCode.MISSING_SEGMENT, "W05")


def test_order_without_lines_is_a_missing_segment() -> None:
    error = error_of(order())
    assert (error.code, error.segment_id) == (EdiErrorCode.MISSING_SEGMENT, "W01")


def test_impossible_requested_date_is_a_bad_element() -> None:
    header = [("W05", "N", "SO-1003"), ("G62", "10", "20240231")]
    error = error_of(order(("W01", "1", "EA", None, "VN", "B"), header=header))
    assert (error.code, error.segment_id, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "G62",
        2,
    )


def test_reading_an_846_as_a_940_is_refused() -> None:
    tx = parse_interchange((DATA / "x12types_005010_846.edi").read_text()).transactions[0]
    error = error_of(tx)
    assert (error.code, error.segment_id, error.element_position) == (
        EdiErrorCode.UNKNOWN_TRANSACTION_SET,
        "ST",
        1,
    )
