"""What handhelds send, read as products, pallets and locations, or refused by name."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shelfwise.barcodes import (
    BadCheckDigit,
    BadExpiry,
    BadLot,
    BadSerial,
    EmptyScan,
    ExpiredLot,
    ExpiryMismatch,
    MalformedBarcode,
    Scan,
    ScanError,
    ScanTooLong,
    TruncatedBarcode,
    WrongItem,
    WrongLot,
    check_digit,
    is_valid_gtin,
    is_valid_sscc,
    match_item_scan,
    parse_scan,
    to_gtin14,
    with_check_digit,
)

GS = "\x1d"
OAT_MILK = "09506000134352"  # GTIN-14 form of EAN-13 9506000134352
TEA = "05012345678900"
PALLET = "106141411234567897"  # SSCC-18
TODAY = date(2026, 3, 2)


# -- GS1 check digits -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("96385074", True),  # GTIN-8
        ("036000291452", True),  # UPC-A
        ("9506000134352", True),  # EAN-13
        (OAT_MILK, True),
        ("9506000134353", False),
    ],
)
def test_gtin_check_digit_is_gs1_mod_10(key: str, valid: bool) -> None:
    assert is_valid_gtin(key) is valid


def test_sscc_check_digit_is_computed_over_seventeen_digits() -> None:
    assert check_digit(PALLET[:-1]) == 7
    assert with_check_digit(PALLET[:-1]) == PALLET
    assert is_valid_sscc(PALLET)
    assert not is_valid_sscc(PALLET[:-1] + "8")


@pytest.mark.parametrize("gtin", ["9506000134352", "09506000134352", "0009506000134352"[2:]])
def test_any_gtin_length_normalises_to_gtin_14(gtin: str) -> None:
    assert to_gtin14(gtin) == OAT_MILK


def test_upc_a_and_its_ean_13_form_are_the_same_gtin_14() -> None:
    assert to_gtin14("036000291452") == to_gtin14("0036000291452") == "00036000291452"


# -- plain GTINs ----------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["9506000134352", OAT_MILK, "]E09506000134352", f"{OAT_MILK}\r\n"])
def test_ean_13_scan_is_a_gtin_in_14_digit_form(raw: str) -> None:
    scan = parse_scan(raw)
    assert scan.kind == "gtin"
    assert scan.gtin14 == OAT_MILK
    assert scan.raw == raw


def test_upc_a_and_ean_8_scans_are_gtins() -> None:
    assert parse_scan("036000291452").gtin14 == "00036000291452"
    assert parse_scan("]E496385074").gtin14 == "00000096385074"


def test_ean_13_with_add_on_keeps_only_the_gtin() -> None:
    assert parse_scan("]E3950600013435212").gtin14 == OAT_MILK


def test_gtin_with_wrong_check_digit_is_refused() -> None:
    with pytest.raises(BadCheckDigit) as refused:
        parse_scan("9506000134353")
    assert refused.value.code == "bad_check_digit"


@pytest.mark.parametrize("raw", ["950600013", "9506000134", "95060001343"])
def test_nine_to_eleven_digits_is_a_truncated_gtin(raw: str) -> None:
    with pytest.raises(TruncatedBarcode) as refused:
        parse_scan(raw)
    assert refused.value.code == "truncated_barcode"


# -- GS1 element strings in every form scanners send -----------------------------------


EXPECTED = Scan(kind="gs1", gtin14=OAT_MILK, lot="L2406A", expiry=date(2026, 6, 30))


@pytest.mark.parametrize(
    "raw",
    [
        f"]C101{OAT_MILK}10L2406A{GS}17260630",  # GS1-128 with symbology identifier
        f"]d2{GS}01{OAT_MILK}17260630" + "10L2406A",  # DataMatrix, FNC1 sent as leading GS
        f"]Q301{OAT_MILK}17260630" + "10L2406A",  # GS1 QR
        f"01{OAT_MILK}10L2406A{GS}17260630",  # no symbology identifier
        f"01{OAT_MILK}10L2406A<GS>17260630",  # GS spelled out by the wedge
        f"01{OAT_MILK}10L2406A\\x1d17260630",  # GS as a literal escape
        f"(01){OAT_MILK}(10)L2406A(17)260630",  # human-readable form
        f"(01) {OAT_MILK} (17) 260630 (10) L2406A",  # ... with spaces
    ],
)
def test_gs1_product_barcode_reads_the_same_in_every_scanner_form(raw: str) -> None:
    scan = parse_scan(raw)
    assert (scan.kind, scan.gtin14, scan.lot, scan.expiry) == (
        EXPECTED.kind,
        EXPECTED.gtin14,
        EXPECTED.lot,
        EXPECTED.expiry,
    )
    assert scan.raw == raw


def test_expiry_day_00_means_the_last_day_of_the_month() -> None:
    assert parse_scan(f"]C101{OAT_MILK}17260200").expiry == date(2026, 2, 28)
    assert parse_scan(f"]C101{OAT_MILK}17280200").expiry == date(2028, 2, 29)


def test_serial_and_count_are_read() -> None:
    scan = parse_scan(f"]C101{OAT_MILK}21SN0001{GS}3012")
    assert (scan.serial, scan.count) == ("SN0001", 12)


def test_sscc_with_contents_and_count_is_a_pallet_scan() -> None:
    scan = parse_scan(f"]C100{PALLET}02{TEA}3724")
    assert (scan.kind, scan.sscc, scan.gtin14, scan.count) == ("sscc", PALLET, TEA, 24)


@pytest.mark.parametrize("raw", [f"00{PALLET}", f"]C100{PALLET}", PALLET, f"(00){PALLET}"])
def test_sscc_scans_in_each_form(raw: str) -> None:
    scan = parse_scan(raw)
    assert (scan.kind, scan.sscc) == ("sscc", PALLET)


def test_sscc_with_wrong_check_digit_is_refused() -> None:
    with pytest.raises(BadCheckDigit):
        parse_scan(f"]C100{PALLET[:-1]}8")


def test_gtin_with_wrong_check_digit_inside_a_gs1_message_is_refused() -> None:
    # biip only records this as a soft gtin_error on the element
    with pytest.raises(BadCheckDigit):
        parse_scan(f"]C10109506000134353{GS}10L2406A")


@pytest.mark.parametrize(
    "raw",
    [
        f"]C101{OAT_MILK}1726",  # expiry cut short
        f"]C101{OAT_MILK}10",  # lot AI with no lot
        f"(01){OAT_MILK}(10)",
        "]C1010950600013",
    ],
)
def test_gs1_barcode_cut_short_is_truncated(raw: str) -> None:
    with pytest.raises(TruncatedBarcode):
        parse_scan(raw)


def test_gs1_message_without_symbology_id_cut_inside_a_field_is_truncated() -> None:
    with pytest.raises(TruncatedBarcode):
        parse_scan(f"01{OAT_MILK}172606")


@pytest.mark.parametrize("expiry", ["261301", "260231", "260000"])
def test_expiry_that_is_not_a_real_date_is_refused(expiry: str) -> None:
    with pytest.raises(BadExpiry) as refused:
        parse_scan(f"]C101{OAT_MILK}17{expiry}10L2406A")
    assert refused.value.code == "bad_expiry"


def test_lot_with_characters_outside_the_gs1_set_is_refused() -> None:
    with pytest.raises(BadLot) as refused:
        parse_scan(f"]C101{OAT_MILK}10L24 06A")
    assert refused.value.code == "bad_lot"


def test_lot_longer_than_twenty_characters_is_refused() -> None:
    with pytest.raises(BadLot):
        parse_scan(f"]C101{OAT_MILK}10" + "L2406A" * 4)


def test_lot_that_swallowed_an_expiry_for_lack_of_a_separator_is_refused() -> None:
    with pytest.raises(BadLot, match="separator"):
        parse_scan(f"01{OAT_MILK}10L2406A17260630")


def test_lot_that_swallowed_an_expiry_and_serial_is_refused() -> None:
    with pytest.raises(BadLot):
        parse_scan(f"01{OAT_MILK}10L2406A1726063021SN1")


def test_lot_that_swallowed_a_gtin_is_refused() -> None:
    with pytest.raises(BadLot):
        parse_scan(f"]C110L2406A01{OAT_MILK}")


def test_lot_ended_by_a_separator_may_contain_date_like_digits() -> None:
    scan = parse_scan(f"]C101{OAT_MILK}10B17260630{GS}17260630")
    assert scan.lot == "B17260630"


def test_serial_that_swallowed_a_date_is_refused() -> None:
    with pytest.raises(BadSerial) as refused:
        parse_scan(f"]C101{OAT_MILK}21SN117260630")
    assert refused.value.code == "bad_serial"


def test_conflicting_repeated_ai_is_malformed() -> None:
    with pytest.raises(MalformedBarcode):
        parse_scan(f"]C101{OAT_MILK}01{TEA}")


def test_gs1_symbology_with_unknown_ai_is_malformed() -> None:
    with pytest.raises(MalformedBarcode) as refused:
        parse_scan("]C1A-01-03-B")
    assert refused.value.code == "malformed_barcode"


# -- locations and other codes ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("A-01-03-B", "A-01-03-B"),
        ("LOC:DOCK-2", "LOC:DOCK-2"),
        ("10-02-03", "10-02-03"),  # starts like AI 10, but is a bin
        ("]C0A-01-03-B", "A-01-03-B"),  # plain Code 128 symbology identifier
        ("42", "42"),  # short numeric location check code
        ("A-01-03-B\r\n", "A-01-03-B"),
    ],
)
def test_anything_that_is_not_gs1_is_a_location_or_other_code(raw: str, code: str) -> None:
    scan = parse_scan(raw)
    assert (scan.kind, scan.code, scan.gtin14) == ("code", code, None)


# -- garbage ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "   ", "\r\n", "]C1", f"]d2{GS}"])
def test_empty_scan_is_refused(raw: str) -> None:
    with pytest.raises(EmptyScan) as refused:
        parse_scan(raw)
    assert refused.value.code == "empty_scan"


def test_scan_longer_than_200_characters_is_refused() -> None:
    with pytest.raises(ScanTooLong) as refused:
        parse_scan("A" * 201)
    assert refused.value.code == "scan_too_long"


@pytest.mark.parametrize("raw", ["A-01\x07-03", "A-01\t03", "\x00", "A\x7fB", "]X"])
def test_control_characters_and_broken_symbology_ids_are_malformed(raw: str) -> None:
    with pytest.raises(MalformedBarcode):
        parse_scan(raw)


def test_errors_carry_code_and_message_for_the_handheld() -> None:
    with pytest.raises(ScanError) as refused:
        parse_scan("9506000134353")
    assert refused.value.to_dict() == {
        "code": "bad_check_digit",
        "message": refused.value.message,
    }
    assert "9506000134353" in refused.value.message


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=220))
def test_any_text_is_either_a_scan_or_a_named_refusal(raw: str) -> None:
    try:
        assert isinstance(parse_scan(raw), Scan)
    except ScanError as error:
        assert error.code != ScanError.code


gs1_like = st.lists(
    st.sampled_from(["01", "10", "17", "21", "00", "30", "37", "(", ")", GS, "<GS>", "]C1"])
    | st.text(alphabet="0123456789", min_size=1, max_size=18)
    | st.text(alphabet="AL-_.", max_size=4),
    max_size=10,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(gs1_like)
def test_gs1_shaped_text_is_either_a_scan_or_a_named_refusal(raw: str) -> None:
    with contextlib.suppress(ScanError):
        assert isinstance(parse_scan(raw), Scan)


# -- matching a scan against a pick or receipt ----------------------------------------


def _product(lot: str | None = "L2406A", expiry: date | None = date(2026, 6, 30)) -> Scan:
    return Scan(kind="gs1", gtin14=OAT_MILK, lot=lot, expiry=expiry, raw="test")


def test_right_item_lot_and_expiry_is_accepted() -> None:
    match_item_scan(_product(), {"9506000134352"}, "L2406A", date(2026, 6, 30), TODAY)


def test_ean_13_scan_matches_an_item_listed_by_its_gtin_14() -> None:
    match_item_scan(parse_scan("9506000134352"), {OAT_MILK}, None, None, TODAY)


def test_pick_of_wrong_item_is_rejected() -> None:
    with pytest.raises(WrongItem) as refused:
        match_item_scan(_product(), {TEA}, None, None, TODAY)
    assert refused.value.code == "wrong_item"


def test_location_scanned_instead_of_product_is_wrong_item() -> None:
    with pytest.raises(WrongItem):
        match_item_scan(parse_scan("A-01-03-B"), {OAT_MILK}, None, None, TODAY)


def test_pick_of_wrong_lot_is_rejected() -> None:
    with pytest.raises(WrongLot) as refused:
        match_item_scan(_product(lot="L2407B"), {OAT_MILK}, "L2406A", None, TODAY)
    assert refused.value.code == "wrong_lot"


def test_scan_without_a_lot_cannot_prove_the_expected_lot() -> None:
    with pytest.raises(WrongLot):
        match_item_scan(parse_scan(OAT_MILK), {OAT_MILK}, "L2406A", None, TODAY)


def test_expired_lot_is_rejected() -> None:
    with pytest.raises(ExpiredLot) as refused:
        match_item_scan(_product(expiry=date(2026, 3, 1)), {OAT_MILK}, "L2406A", None, TODAY)
    assert refused.value.code == "expired_lot"


def test_lot_is_usable_on_its_expiry_date() -> None:
    match_item_scan(_product(expiry=TODAY), {OAT_MILK}, "L2406A", None, TODAY)


def test_recorded_expiry_applies_when_the_scan_has_none() -> None:
    with pytest.raises(ExpiredLot):
        match_item_scan(_product(expiry=None), {OAT_MILK}, "L2406A", date(2026, 1, 31), TODAY)


def test_label_expiry_different_from_the_recorded_one_is_a_mismatch() -> None:
    with pytest.raises(ExpiryMismatch) as refused:
        match_item_scan(_product(), {OAT_MILK}, "L2406A", date(2026, 7, 31), TODAY)
    assert refused.value.code == "expiry_mismatch"
