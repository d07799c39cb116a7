"""856 ASNs: inbound to ExpectedReceipt through the HL tree; outbound writer round-trips."""

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from shelfwise.integrations.edi import (
    Carton,
    CartonItem,
    EdiError,
    EdiErrorCode,
    OutboundShipment,
    Party,
    ProductId,
    ShipmentOrder,
    parse_interchange,
    read_856,
    write_856,
)
from shelfwise.integrations.edi.t856 import is_valid_sscc
from shelfwise.integrations.edi.writer import render_interchange

DATA = Path(__file__).parents[2] / "data" / "edi"
CLOCK = datetime(2024, 3, 6, 16, 45)
SSCC_1 = "006141411234567890"
SSCC_2 = "006141411234567906"
WAREHOUSE = Party(
    "SF", "SHELFWISE PDX", "92", "PDX1", ("400 NW FRONT AVE",), "PORTLAND", "OR", "97209", "US"
)
STORE = Party(
    "ST", "HARBOR HARDWARE", "92", "HH-009", ("18 DOCK ROAD",), "PORTLAND", "OR", "97217", "US"
)


def shipment() -> OutboundShipment:
    return OutboundShipment(
        shipment_id="SHP-24066-01",
        ship_date=date(2024, 3, 6),
        ship_from=WAREHOUSE,
        ship_to=STORE,
        carrier_scac="ODFL",
        bill_of_lading="BOL-330020",
        estimated_delivery_date=date(2024, 3, 8),
        orders=(
            ShipmentOrder(
                "PO-4471",
                (
                    Carton(
                        SSCC_1,
                        (
                            CartonItem(
                                (ProductId("UP", "036000291452"), ProductId("VN", "BOLT-M8")),
                                24,
                                lot="L2403A",
                            ),
                            CartonItem((ProductId("UP", "400638133393"),), 12),
                        ),
                    ),
                ),
            ),
            ShipmentOrder(
                "PO-4480",
                (Carton(SSCC_2, (CartonItem((ProductId("SK", "WASH-M8"),), 6, unit="CA"),)),),
            ),
        ),
    )


def test_crossdock_sample_maps_every_item_with_its_po_and_carton() -> None:
    text = (DATA / "edienginetests_856.Crossdock.OK.edi").read_text()
    receipt = read_856(parse_interchange(text).transactions[0])
    assert receipt.source_set == "856"
    assert (receipt.shipment_id, receipt.ship_date) == ("000009", date(2009, 9, 21))
    assert receipt.expected_delivery_date == date(2009, 9, 25)
    assert (receipt.carrier_scac, receipt.bill_of_lading) == ("OVNT", "000001")
    assert receipt.ship_from is not None and receipt.ship_from.name == "SOME COMPANY"
    assert receipt.purchase_order_numbers == ("POREF00", "POREF01")
    assert [(line.purchase_order_number, line.sscc, line.quantity) for line in receipt.lines] == [
        ("POREF00", "000715670002152360", 12),
        ("POREF00", "000715670002152377", 12),
        ("POREF00", "000715670002152384", 12),
        ("POREF00", "000715670002152391", 12),
        ("POREF01", "000715670002152111", 12),
    ]
    assert receipt.lines[1].product_ids == (ProductId("EN", "0000000000831"),)
    assert receipt.total_quantity == 60


def test_written_asn_round_trips_through_the_inbound_reader() -> None:
    text = write_856(
        shipment(), sender="SHELFWISE", receiver="HARBOR", control_number=3101, clock=CLOCK
    )
    interchange = parse_interchange(text)
    assert interchange.problems == ()
    receipt = read_856(interchange.transactions[0])
    assert receipt.shipment_id == "SHP-24066-01"
    assert (receipt.ship_date, receipt.expected_delivery_date) == (
        date(2024, 3, 6),
        date(2024, 3, 8),
    )
    assert (receipt.carrier_scac, receipt.bill_of_lading) == ("ODFL", "BOL-330020")
    assert receipt.ship_from == WAREHOUSE
    assert receipt.parties == (WAREHOUSE, STORE)
    assert [
        (x.purchase_order_number, x.sscc, x.quantity, x.unit, x.lot, x.product_ids)
        for x in receipt.lines
    ] == [
        (
            "PO-4471",
            SSCC_1,
            24,
            "EA",
            "L2403A",
            (ProductId("UP", "036000291452"), ProductId("VN", "BOLT-M8")),
        ),
        ("PO-4471", SSCC_1, 12, "EA", None, (ProductId("UP", "400638133393"),)),
        ("PO-4480", SSCC_2, 6, "CA", None, (ProductId("SK", "WASH-M8"),)),
    ]


def test_written_asn_carries_one_man_gm_per_carton_and_counts_hl_loops() -> None:
    text = write_856(
        shipment(), sender="SHELFWISE", receiver="HARBOR", control_number=3101, clock=CLOCK
    )
    assert text.count("MAN*GM*") == 2
    assert f"MAN*GM*{SSCC_1}~" in text
    assert "CTT*8~" in text
    assert "BSN*00*SHP-24066-01*20240306*1645*0001~" in text


def test_carton_with_a_bad_sscc_check_digit_is_refused_at_its_man_segment() -> None:
    bad_carton = Carton("006141411234567891", ())
    bad = replace(shipment(), orders=(ShipmentOrder("PO-1", (bad_carton,)),))
    with pytest.raises(EdiError) as caught:
        write_856(bad, sender="SHELFWISE", receiver="HARBOR", control_number=1, clock=CLOCK)
    assert (caught.value.code, caught.value.segment_id, caught.value.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "MAN",
        2,
    )
    assert not is_valid_sscc("006141411234567891")
    assert is_valid_sscc(SSCC_1)


def asn(*body: tuple[str | None, ...]):
    text = render_interchange(
        "856",
        [("BSN", "00", "ASN-1", "20240306", "1200"), *body],
        sender="SUPPLIER",
        receiver="SHELFWISE",
        control_number=5,
        clock=CLOCK,
    )
    return parse_interchange(text).transactions[0]


def error_of(tx) -> EdiError:
    with pytest.raises(EdiError) as caught:
        read_856(tx)
    return caught.value


def test_lot_and_expiry_on_the_item_level_are_read() -> None:
    receipt = read_856(
        asn(
            ("HL", "1", None, "S"),
            ("HL", "2", "1", "I"),
            ("LIN", "1", "UK", "10036000291459", "LT", "L2403A"),
            ("SN1", None, "10", "EA"),
            ("DTM", "036", "20250930"),
        )
    )
    (line,) = receipt.lines
    assert (line.lot, line.expiry_date, line.upc) == ("L2403A", date(2025, 9, 30), "10036000291459")


def test_item_whose_parent_hl_is_unknown_is_a_bad_hl02() -> None:
    error = error_of(asn(("HL", "1", None, "S"), ("HL", "2", "7", "I")))
    assert (error.code, error.segment_id, error.segment_position, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "HL",
        6,
        2,
    )


def test_item_without_sn1_is_a_missing_segment_at_its_hl() -> None:
    error = error_of(
        asn(("HL", "1", None, "S"), ("HL", "2", "1", "I"), ("LIN", None, "UP", "036000291452"))
    )
    assert (error.code, error.segment_id, error.segment_position) == (
        EdiErrorCode.MISSING_SEGMENT,
        "SN1",
        6,
    )


def test_non_numeric_shipped_quantity_names_sn1_element_2() -> None:
    error = error_of(
        asn(
            ("HL", "1", None, "S"),
            ("HL", "2", "1", "I"),
            ("LIN", None, "UP", "036000291452"),
            ("SN1", None, "ten", "EA"),
        )
    )
    assert (error.code, error.segment_id, error.segment_position, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "SN1",
        8,
        2,
    )


def test_ctt_that_does_not_count_the_hl_loops_is_a_bad_element() -> None:
    error = error_of(
        asn(
            ("HL", "1", None, "S"),
            ("HL", "2", "1", "I"),
            ("LIN", None, "UP", "036000291452"),
            ("SN1", None, "1", "EA"),
            ("CTT", "5"),
        )
    )
    assert (error.code, error.segment_id, error.element_position) == (
        EdiErrorCode.BAD_ELEMENT,
        "CTT",
        1,
    )


def test_asn_without_items_is_a_missing_segment() -> None:
    error = error_of(asn(("HL", "1", None, "S")))
    assert (error.code, error.segment_id) == (EdiErrorCode.MISSING_SEGMENT, "HL")
