"""846 inventory advice: the sample reads, snapshots round-trip, CTT is checked."""

from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from shelfwise.integrations.edi import (
    EdiError,
    EdiErrorCode,
    InventoryLine,
    InventorySnapshot,
    Party,
    ProductId,
    parse_interchange,
    read_846,
    write_846,
)

DATA = Path(__file__).parents[2] / "data" / "edi"
CLOCK = datetime(2024, 3, 7, 6, 0)


def snapshot() -> InventorySnapshot:
    return InventorySnapshot(
        reference="INV-20240307",
        as_of=datetime(2024, 3, 7, 5, 45),
        parties=(Party("WH", "SHELFWISE PDX", "92", "PDX1"),),
        lines=(
            InventoryLine(
                (ProductId("UP", "036000291452"), ProductId("VN", "BOLT-M8")),
                on_hand=480,
                available=432,
                lot="L2403A",
            ),
            InventoryLine((ProductId("SK", "WASH-M8"),), unit="CA", on_hand=12, available=0),
        ),
    )


def test_sample_846_reads_available_quantity_per_item() -> None:
    tx = parse_interchange((DATA / "x12types_005010_846.edi").read_text()).transactions[0]
    result = read_846(tx)
    assert (result.reference, result.report_type, result.as_of) == (
        "REF1",
        "SI",
        datetime(2020, 1, 1),
    )
    assert result.parties[0].role == "SU"
    (line,) = result.lines
    assert (line.product_ids, line.available, line.on_hand, line.unit) == (
        (ProductId("VN", "ABC123"),),
        100,
        None,
        "EA",
    )


def test_written_846_round_trips_with_the_same_values() -> None:
    text = write_846(
        snapshot(), sender="SHELFWISE", receiver="ACME", control_number=846, clock=CLOCK
    )
    assert "QTY*17*480*EA~\nQTY*33*432*EA~" in text
    assert "CTT*2~" in text
    result = read_846(parse_interchange(text).transactions[0])
    assert result == replace(snapshot(), control_number="0846")


def test_ctt_that_does_not_count_the_lin_loops_is_a_bad_element() -> None:
    text = write_846(
        snapshot(), sender="SHELFWISE", receiver="ACME", control_number=846, clock=CLOCK
    ).replace("CTT*2~", "CTT*3~")
    with pytest.raises(EdiError) as caught:
        read_846(parse_interchange(text).transactions[0])
    assert (caught.value.code, caught.value.segment_id, caught.value.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "CTT",
        1,
    )


def test_two_units_for_one_item_are_refused() -> None:
    text = write_846(
        snapshot(), sender="SHELFWISE", receiver="ACME", control_number=846, clock=CLOCK
    ).replace("QTY*33*432*EA~", "QTY*33*432*CA~")
    with pytest.raises(EdiError) as caught:
        read_846(parse_interchange(text).transactions[0])
    assert (caught.value.segment_id, caught.value.element_position) == ("QTY", 3)


def test_non_numeric_quantity_in_qty_names_element_2() -> None:
    text = (DATA / "x12types_005010_846.edi").read_text().replace("QTY*33*100", "QTY*33*1OO")
    with pytest.raises(EdiError) as caught:
        read_846(parse_interchange(text).transactions[0])
    error = caught.value
    assert (error.code, error.segment_id, error.segment_position, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "QTY",
        7,
        2,
    )
