"""945 shipping advice: the sample reads, and our own 945 round-trips."""

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from shelfwise.integrations.edi import (
    EdiError,
    EdiErrorCode,
    Party,
    ProductId,
    ShippedLine,
    ShippingAdvice,
    TradingPartner,
    parse_interchange,
    read_945,
    write_945,
)

DATA = Path(__file__).parents[2] / "data" / "edi"
CLOCK = datetime(2024, 3, 6, 17, 5)
STORE = Party(
    "ST",
    "HARBOR HARDWARE",
    "92",
    "HH-009",
    ("18 DOCK ROAD", "UNIT 4"),
    "PORTLAND",
    "OR",
    "97217",
    "US",
)


def advice() -> ShippingAdvice:
    return ShippingAdvice(
        depositor_order_number="SO-1001",
        ship_date=date(2024, 3, 6),
        shipment_id="BOL-330020",
        purchase_order_number="PO-4471",
        ship_to=STORE,
        ship_from=Party("SF", "SHELFWISE PDX", "92", "PDX1"),
        carrier_scac="ODFL",
        payment_method="PP",
        total_weight=Decimal("182.5"),
        lines=(
            ShippedLine(
                (ProductId("UA", "000123450000"), ProductId("VN", "BOLT-M8")),
                quantity_ordered=24,
                quantity_shipped=24,
                lot="L2403A",
                license_plate="LPN-000311",
            ),
            ShippedLine(
                (ProductId("UP", "036000291452"),),
                quantity_ordered=12,
                quantity_shipped=9,
                unit="CA",
            ),
        ),
    )


def write(value: ShippingAdvice) -> str:
    return write_945(
        value,
        sender=TradingPartner("SHELFWISE", "ZZ"),
        receiver="ACME",
        control_number=945001,
        clock=CLOCK,
    )


def test_sample_945_reads_despite_its_wrong_segment_count_when_lenient() -> None:
    interchange = parse_interchange((DATA / "x12types_005010_945.edi").read_text(), strict=False)
    result = read_945(interchange.transactions[0])
    assert (result.depositor_order_number, result.shipment_id) == ("IF102", "BOL12345")
    assert (result.ship_date, result.purchase_order_number) == (date(2019, 6, 4), "PO9865")
    assert result.ship_to is not None and result.ship_to.postal_code == "66216-4563"
    assert (result.carrier_scac, result.payment_method) == ("NPLT", "PP")
    assert (result.total_weight, result.weight_unit) == (Decimal("15000"), "LB")
    (line,) = result.lines
    assert (line.quantity_ordered, line.quantity_shipped, line.status) == (3000, 3000, "CC")
    assert (line.product_ids, line.lot, line.license_plate, line.line_number) == (
        (ProductId("VN", "123456789"),),
        "LOT12314",
        "LPN6569",
        "10",
    )


def test_written_945_round_trips_with_the_same_values() -> None:
    interchange = parse_interchange(write(advice()))
    assert interchange.problems == ()
    assert (interchange.sender_id, interchange.receiver_id) == ("SHELFWISE", "ACME")
    assert interchange.control_numbers()[0].transaction == "945001"
    result = read_945(interchange.transactions[0])
    expected_lines = tuple(
        replace(line, line_number=str(n), status=status)
        for n, (line, status) in enumerate(zip(advice().lines, ("CC", "CP"), strict=True), 1)
    )
    assert result == replace(advice(), lines=expected_lines, control_number="945001")


def test_written_945_computes_difference_and_totals_from_the_lines() -> None:
    text = write(advice())
    assert "W12*CP*12*9*3*CA**UP*036000291452~" in text
    assert "W03*33*182.5*LB~" in text
    assert "GS*SW*SHELFWISE*ACME*20240306*1705*945001*X*005010~" in text


def test_line_with_two_product_ids_besides_the_case_code_is_refused() -> None:
    crowded = ShippedLine((ProductId("VN", "A"), ProductId("UP", "036000291452")), 1, 1)
    with pytest.raises(EdiError) as caught:
        write(replace(advice(), lines=(crowded,)))
    assert (caught.value.code, caught.value.segment_id, caught.value.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "W12",
        7,
    )


def test_value_containing_a_delimiter_is_refused_with_its_position() -> None:
    with pytest.raises(EdiError) as caught:
        write(replace(advice(), depositor_order_number="SO*1001"))
    error = caught.value
    assert (error.code, error.segment_id, error.segment_position, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "W06",
        4,
        2,
    )


def test_negative_shipped_quantity_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        write(replace(advice(), lines=(ShippedLine((ProductId("VN", "A"),), 1, -1),)))
