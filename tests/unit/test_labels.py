"""Printed labels scan back as what they say they are.

No PDF rasteriser (pdftoppm, ghostscript) is installed, so the tests pull the barcode
images out of the PDF itself and decode them with zxing-cpp, in the text mode a
keyboard-wedge scanner uses (plain text, GS between fields), then read that scan with
``parse_scan`` as a handheld would.
"""

from __future__ import annotations

import base64
import re
import zlib
from datetime import date

import pytest
import zxingcpp
from PIL import Image

from shelfwise.barcodes import BadCheckDigit, BadLot, MalformedBarcode, Scan, parse_scan
from shelfwise.labels import (
    Address,
    code128_image,
    gs1_128_image,
    gs1_datamatrix_image,
    location_label_pdf,
    location_label_zpl,
    product_label_pdf,
    product_label_zpl,
    shipping_label_pdf,
    shipping_label_zpl,
    sscc_element_string,
    sscc_label_pdf,
    sscc_label_zpl,
)

OAT_MILK = "09506000134352"
PALLET = "106141411234567897"
WAREHOUSE = Address("Shelfwise DC North", ("Unit 7, Canal Way",), "Leeds", "LS11 5QR", "GB")
CUSTOMER = Address("Harbour Foods Ltd", ("Quay Road 4", "Dock 2"), "Bristol", "BS1 5TT", "GB")


def _pdf_streams(pdf: bytes) -> list[tuple[bytes, bytes]]:
    """(dictionary, decoded data) of each stream reportlab wrote (ASCII85 + Flate)."""
    streams = []
    for match in re.finditer(rb"<<((?:(?!>>).)*?)>>\s*stream\r?\n(.*?)endstream", pdf, re.S):
        header, data = match.group(1), match.group(2).strip()
        if b"ASCII85Decode" in header:
            data = base64.a85decode(data.removesuffix(b"~>"), adobe=False)
        if b"FlateDecode" in header:
            data = zlib.decompress(data)
        streams.append((header, data))
    return streams


def _pdf_images(pdf: bytes) -> list[Image.Image]:
    images = []
    for header, data in _pdf_streams(pdf):
        if b"/Image" not in header:
            continue
        width = int(re.search(rb"/Width (\d+)", header).group(1))
        height = int(re.search(rb"/Height (\d+)", header).group(1))
        mode = "RGB" if b"DeviceRGB" in header else "L"
        images.append(Image.frombytes(mode, (width, height), data))
    return images


def _pdf_text(pdf: bytes) -> bytes:
    return b"".join(data for header, data in _pdf_streams(pdf) if b"/Image" not in header)


def _scan(image: Image.Image) -> Scan:
    """Decode as a handheld would send it: symbology identifier + plain text."""
    found = zxingcpp.read_barcode(image, text_mode=zxingcpp.TextMode.Plain)
    assert found is not None, "barcode did not decode"
    return parse_scan(found.symbology_identifier + found.text)


def _scans(pdf: bytes) -> list[Scan]:
    assert pdf.startswith(b"%PDF-")
    return [_scan(image) for image in _pdf_images(pdf)]


# -- location ---------------------------------------------------------------------------


def test_location_label_scans_back_as_its_bin() -> None:
    (scan,) = _scans(location_label_pdf("A-01-03-B"))
    assert (scan.kind, scan.code) == ("code", "A-01-03-B")
    assert scan.raw.startswith("]C0")  # plain Code 128, not GS1


def test_location_label_pdf_is_the_same_bytes_every_time() -> None:
    assert location_label_pdf("A-01-03-B") == location_label_pdf("A-01-03-B")


def test_location_that_would_scan_as_a_product_is_refused() -> None:
    with pytest.raises(MalformedBarcode):
        location_label_pdf("9506000134352")


@pytest.mark.parametrize("code", ["A^01", "A~01", "A>01", "Bin é", ""])
def test_location_with_characters_zpl_cannot_print_is_refused(code: str) -> None:
    with pytest.raises(MalformedBarcode):
        location_label_zpl(code)


def test_location_label_zpl_encodes_the_bin_in_code_128() -> None:
    zpl = location_label_zpl("A-01-03-B")
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "^BCN,180,N,N,N^FD>:A-01-03-B^FS" in zpl


# -- SSCC -------------------------------------------------------------------------------


def test_sscc_label_scans_back_as_the_pallet() -> None:
    (scan,) = _scans(sscc_label_pdf(PALLET))
    assert (scan.kind, scan.sscc) == ("sscc", PALLET)
    assert scan.raw.startswith("]C1")  # GS1-128


def test_sscc_label_with_wrong_check_digit_is_refused_not_corrected() -> None:
    with pytest.raises(BadCheckDigit):
        sscc_label_pdf(PALLET[:-1] + "8")
    with pytest.raises(BadCheckDigit):
        sscc_label_zpl(PALLET[:-1] + "8")


def test_sscc_label_zpl_starts_gs1_128_with_fnc1_and_prints_its_own_check_digit() -> None:
    zpl = sscc_label_zpl(PALLET)
    assert f"^FD>;>800{PALLET}^FS" in zpl
    assert f"(00) {PALLET}" in zpl


# -- product ----------------------------------------------------------------------------


def test_product_label_datamatrix_carries_gtin_lot_and_expiry() -> None:
    pdf = product_label_pdf("9506000134352", "L2406A", date(2026, 6, 30), "Oat drink 1 L")
    (scan,) = _scans(pdf)
    assert (scan.kind, scan.gtin14, scan.lot, scan.expiry) == (
        "gs1",
        OAT_MILK,
        "L2406A",
        date(2026, 6, 30),
    )
    assert scan.raw.startswith("]d2")  # GS1 DataMatrix, not plain DataMatrix


def test_product_label_with_bad_lot_is_refused() -> None:
    with pytest.raises(BadLot):
        product_label_pdf(OAT_MILK, "LOT 24/06", date(2026, 6, 30))
    with pytest.raises(BadLot):
        product_label_zpl(OAT_MILK, "L" * 21, date(2026, 6, 30))


def test_product_label_with_bad_gtin_is_refused() -> None:
    with pytest.raises(BadCheckDigit):
        product_label_pdf("9506000134353", "L2406A", date(2026, 6, 30))


def test_product_label_zpl_is_a_gs1_datamatrix_with_fnc1_first() -> None:
    zpl = product_label_zpl(OAT_MILK, "L_24", date(2026, 6, 30), "Oat drink 1 L")
    assert f"^BXN,8,200,,,,_^FD_101{OAT_MILK}1726063010L__24^FS" in zpl
    assert "^FDLOT L_5F24^FS" in zpl  # text fields hex-escape the _ of ^FH_


# -- shipping ---------------------------------------------------------------------------


def test_shipping_label_carries_tracking_number_and_sscc() -> None:
    pdf = shipping_label_pdf(CUSTOMER, "DHL", "JD014600006281234567", PALLET, WAREHOUSE)
    tracking, pallet = _scans(pdf)
    assert (tracking.kind, tracking.code) == ("code", "JD014600006281234567")
    assert (pallet.kind, pallet.sscc) == ("sscc", PALLET)
    text = _pdf_text(pdf)
    assert b"(Harbour Foods Ltd) Tj" in text
    assert b"(DHL  JD014600006281234567) Tj" in text


def test_shipping_label_zpl_escapes_address_text() -> None:
    odd = Address("Café ^Mocha~", ("Rue d_Or 5",), "Liège", "4000", "BE")
    zpl = shipping_label_zpl(odd, "UPS", "1Z999AA10123456784", PALLET, WAREHOUSE)
    assert "^FDCaf_C3_A9 _5EMocha_7E^FS" in zpl
    assert "^CI28" in zpl
    assert f"^FD>;>800{PALLET}^FS" in zpl
    assert "^FD>:1Z999AA10123456784^FS" in zpl


def test_shipping_label_with_unprintable_tracking_number_is_refused() -> None:
    with pytest.raises(MalformedBarcode):
        shipping_label_zpl(CUSTOMER, "DHL", "JD01 4600", PALLET, WAREHOUSE)


# -- the image functions the PDF draws -------------------------------------------------


def test_barcode_images_decode_directly() -> None:
    assert _scan(code128_image("LOC:DOCK-2")).code == "LOC:DOCK-2"
    assert _scan(gs1_128_image(sscc_element_string(PALLET))).sscc == PALLET
    hri = f"(01){OAT_MILK}(17)260600(10)L2406A"
    assert _scan(gs1_datamatrix_image(hri)).expiry == date(2026, 6, 30)


def test_gs1_128_image_with_lot_in_the_middle_keeps_the_separator() -> None:
    scan = _scan(gs1_128_image(f"01{OAT_MILK}10L2406A\x1d17260630"))
    assert (scan.lot, scan.expiry) == ("L2406A", date(2026, 6, 30))
