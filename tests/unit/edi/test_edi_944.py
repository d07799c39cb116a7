"""944 receipt advice: written from what the dock counted, read back identically."""

from dataclasses import replace
from datetime import date, datetime

import pytest

from shelfwise.integrations.edi import (
    EdiError,
    EdiErrorCode,
    Party,
    ProductId,
    ReceiptAdvice,
    ReceivedLine,
    parse_interchange,
    read_944,
    write_944,
)

CLOCK = datetime(2024, 3, 4, 11, 20)


def advice() -> ReceiptAdvice:
    return ReceiptAdvice(
        receipt_number="RCV-000812",
        receipt_date=date(2024, 3, 4),
        depositor_order_number="TR-5521",
        shipment_id="SHP-88120",
        parties=(Party("WH", "SHELFWISE PDX", "92", "PDX1"), Party("SF", "ACME PLANT 2")),
        lines=(
            ReceivedLine(
                (
                    ProductId("UA", "000123450000"),
                    ProductId("VN", "BOLT-M8"),
                    ProductId("UP", "036000291452"),
                ),
                46,
                lot="L2403A",
            ),
            ReceivedLine((ProductId("VN", "NUT-M8"),), 24),
        ),
    )


def write(value: ReceiptAdvice) -> str:
    return write_944(value, sender="SHELFWISE", receiver="ACME", control_number=812, clock=CLOCK)


def test_written_944_round_trips_with_the_same_values() -> None:
    interchange = parse_interchange(write(advice()))
    assert interchange.groups[0].functional_id == "RE"
    result = read_944(interchange.transactions[0])
    numbered = tuple(replace(line, line_number=str(n)) for n, line in enumerate(advice().lines, 1))
    assert result == replace(advice(), lines=numbered, control_number="0812")
    assert result.total_received == 70


def test_written_944_quotes_the_943_references_and_the_total() -> None:
    text = write(advice())
    assert "W17*F*20240304*RCV-000812*TR-5521*SHP-88120~" in text
    assert "W07*46*EA*000123450000*VN*BOLT-M8*UP*036000291452*L2403A~" in text
    assert "W14*70~" in text


def test_w14_total_that_disagrees_with_the_lines_is_a_bad_element() -> None:
    text = write(advice()).replace("W14*70~", "W14*71~")
    with pytest.raises(EdiError) as caught:
        read_944(parse_interchange(text).transactions[0])
    assert (caught.value.code, caught.value.segment_id, caught.value.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "W14",
        1,
    )


def test_received_line_with_non_numeric_quantity_names_w07_element_1() -> None:
    text = write(advice()).replace("W07*24*EA", "W07*2X*EA")
    with pytest.raises(EdiError) as caught:
        read_944(parse_interchange(text).transactions[0])
    error = caught.value
    assert (error.code, error.segment_id, error.segment_position, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "W07",
        10,
        1,
    )
