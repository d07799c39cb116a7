"""Printable labels: location, SSCC pallet/carton, product (GS1 DataMatrix) and shipping.

Each label comes as a PDF (reportlab; ``bytes``) for office printers and as ZPL (``str``)
for Zebra thermal printers. The barcode images drawn into the PDF come from the public
``*_image`` functions, so a test can decode exactly what the PDF carries.

Data is checked before anything is drawn, because the barcode libraries are lenient:
python-barcode "corrects" a wrong check digit instead of refusing it, and a location
code that happens to look like a GTIN would scan back as a product. So every label's
barcode data must read back through ``parse_scan`` as what it claims to be; refusals
are the scan errors of ``shelfwise.barcodes`` (``BadCheckDigit``, ``BadLot``...).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date

import barcode
import numpy as np
import zxingcpp
from barcode.writer import ImageWriter
from PIL import Image
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from shelfwise.barcodes.errors import BadLot, MalformedBarcode
from shelfwise.barcodes.gs1 import to_gtin14, validate_sscc
from shelfwise.barcodes.scan import parse_scan

DPI = 300
ZPL_DOTS_PER_MM = 8  # 203 dpi printers
_CODE128_SAFE = re.compile(r"[ !-=?-\]_-}]+")  # printable ASCII without ^ ~ > (ZPL escapes)
_GS1_LOT = re.compile(r"[!%-?A-Z_a-z\"]{1,20}")  # GS1 AI 82 character set, 1-20 long
_FNC1 = "\xf1"  # python-barcode's FNC1 marker for GS1-128


@dataclass(frozen=True)
class Address:
    name: str
    lines: tuple[str, ...]
    city: str
    postcode: str
    country: str

    def text_lines(self) -> list[str]:
        return [self.name, *self.lines, f"{self.postcode} {self.city}", self.country]


# -- checked barcode data -------------------------------------------------------------


def location_barcode_data(code: str) -> str:
    """The Code 128 payload of a location label; it must scan back as this location."""
    if not _CODE128_SAFE.fullmatch(code) or code != code.strip():
        raise MalformedBarcode(f"location code {code!r} must be printable ASCII without ^ ~ >")
    scanned = parse_scan(code)
    if scanned.kind != "code" or scanned.code != code:
        raise MalformedBarcode(f"location code {code!r} would scan as a {scanned.kind}")
    return code


def sscc_element_string(sscc: str) -> str:
    """``00`` + the SSCC, after checking the check digit python-barcode would not."""
    return "00" + validate_sscc(sscc)


def product_element_string(gtin: str, lot: str, expiry: date) -> str:
    """AI 01 + 17 + 10; the lot goes last so it needs no FNC1 after it."""
    if not _GS1_LOT.fullmatch(lot) or "(" in lot or ")" in lot:
        # parentheses are GS1 characters but would break the bracketed (HRI) form
        raise BadLot(f"lot {lot!r} is not 1-20 GS1 characters (without parentheses)")
    return f"01{to_gtin14(gtin)}17{expiry:%y%m%d}10{lot}"


def product_hri(gtin: str, lot: str, expiry: date) -> str:
    product_element_string(gtin, lot, expiry)
    return f"(01) {to_gtin14(gtin)} (17) {expiry:%y%m%d} (10) {lot}"


def tracking_barcode_data(tracking_number: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9]{6,40}", tracking_number):
        raise MalformedBarcode(f"tracking number {tracking_number!r} must be 6-40 letters/digits")
    return tracking_number


# -- barcode images (what the PDF draws; what tests decode) ---------------------------


def code128_image(data: str, *, module_mm: float = 0.33) -> Image.Image:
    """A Code 128 symbol at 300 dpi, no text (the label prints its own)."""
    return _python_barcode_image("code128", data, module_mm)


def gs1_128_image(element_string: str, *, module_mm: float = 0.5) -> Image.Image:
    """A GS1-128 symbol (FNC1 first); ``element_string`` uses GS (ASCII 29) between fields.

    The 0.5 mm default X-dimension is inside GS1's range for logistic labels
    (0.495-1.016 mm), so a pallet label reads from a forklift.
    """
    return _python_barcode_image("gs1_128", element_string.replace("\x1d", _FNC1), module_mm)


def gs1_datamatrix_image(hri: str, *, scale: int = 8) -> Image.Image:
    """A GS1 DataMatrix (FNC1 first) via zxing-cpp, ``scale`` pixels per module.

    zxing-cpp's GS1 mode takes the bracketed form ``(01)...(17)...(10)...`` and inserts
    the separators itself.
    """
    compact = "".join(hri.split())
    symbol = zxingcpp.create_barcode(compact, zxingcpp.BarcodeFormat.DataMatrix, gs1=True)
    return Image.fromarray(np.asarray(symbol.to_image(scale=scale)))  # buffer protocol


def _python_barcode_image(kind: str, data: str, module_mm: float) -> Image.Image:
    symbol = barcode.get(kind, data, writer=ImageWriter())
    options = {
        "module_width": module_mm,
        "module_height": 15.0,
        "quiet_zone": 6.5,
        "dpi": DPI,
        "write_text": False,
    }
    return symbol.render(writer_options=options)


# -- PDF ------------------------------------------------------------------------------


def location_label_pdf(code: str) -> bytes:
    data = location_barcode_data(code)
    canvas, buffer = _canvas(100, 50)
    _draw_barcode(canvas, code128_image(data), 5, 20, DPI)
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawString(5 * mm, 8 * mm, data)
    return _finish(canvas, buffer)


def sscc_label_pdf(sscc: str) -> bytes:
    element = sscc_element_string(sscc)
    canvas, buffer = _canvas(100, 70)
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(5 * mm, 62 * mm, "SSCC")
    _draw_barcode(canvas, gs1_128_image(element), 5, 22, DPI)
    canvas.setFont("Helvetica", 12)
    canvas.drawString(5 * mm, 12 * mm, f"(00) {element[2:]}")
    return _finish(canvas, buffer)


def product_label_pdf(gtin: str, lot: str, expiry: date, description: str = "") -> bytes:
    product_element_string(gtin, lot, expiry)  # refuses a bad GTIN or lot before drawing
    canvas, buffer = _canvas(100, 50)
    # 8 pixels per module drawn as 0.5 mm modules
    matrix = gs1_datamatrix_image(product_hri(gtin, lot, expiry), scale=8)
    _draw_barcode(canvas, matrix, 5, 10, 8 / 0.5 * 25.4)
    canvas.setFont("Helvetica-Bold", 11)
    canvas.drawString(40 * mm, 40 * mm, description[:40])
    canvas.setFont("Helvetica", 10)
    canvas.drawString(40 * mm, 32 * mm, f"GTIN {to_gtin14(gtin)}")
    canvas.drawString(40 * mm, 26 * mm, f"LOT {lot}")
    canvas.drawString(40 * mm, 20 * mm, f"EXP {expiry.isoformat()}")
    canvas.setFont("Helvetica", 7)
    canvas.drawString(5 * mm, 4 * mm, product_hri(gtin, lot, expiry))
    return _finish(canvas, buffer)


def shipping_label_pdf(
    ship_to: Address, carrier: str, tracking_number: str, sscc: str, ship_from: Address
) -> bytes:
    tracking = tracking_barcode_data(tracking_number)
    element = sscc_element_string(sscc)
    canvas, buffer = _canvas(100, 150)
    canvas.setFont("Helvetica", 8)
    for i, line in enumerate(["FROM:", *ship_from.text_lines()]):
        canvas.drawString(5 * mm, (143 - i * 3.5) * mm, line)
    canvas.setFont("Helvetica-Bold", 12)
    for i, line in enumerate(["SHIP TO:", *ship_to.text_lines()]):
        canvas.drawString(5 * mm, (118 - i * 5.5) * mm, line)
    canvas.setFont("Helvetica-Bold", 14)
    canvas.drawString(5 * mm, 80 * mm, f"{carrier}  {tracking}")
    _draw_barcode(canvas, code128_image(tracking), 5, 58, DPI)
    _draw_barcode(canvas, gs1_128_image(element), 5, 12, DPI)
    canvas.setFont("Helvetica", 11)
    canvas.drawString(5 * mm, 6 * mm, f"(00) {element[2:]}")
    return _finish(canvas, buffer)


def _canvas(width_mm: float, height_mm: float) -> tuple[Canvas, io.BytesIO]:
    buffer = io.BytesIO()
    # invariant=1: no creation date or random id, so the same label gives the same bytes
    return Canvas(buffer, pagesize=(width_mm * mm, height_mm * mm), invariant=1), buffer


def _draw_barcode(canvas: Canvas, image: Image.Image, x_mm: float, y_mm: float, dpi: float) -> None:
    """Draw at true size (pixels / dpi) so the printed X-dimension is what we rendered."""
    width = image.width / dpi * 25.4 * mm
    height = image.height / dpi * 25.4 * mm
    canvas.drawImage(ImageReader(image), x_mm * mm, y_mm * mm, width, height)


def _finish(canvas: Canvas, buffer: io.BytesIO) -> bytes:
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# -- ZPL ------------------------------------------------------------------------------


def location_label_zpl(code: str) -> str:
    data = location_barcode_data(code)
    return _zpl(
        100,
        50,
        [
            f"^FO40,40^BY3^BCN,180,N,N,N^FD>:{data}^FS",
            _zpl_text(40, 250, 70, data),
        ],
    )


def sscc_label_zpl(sscc: str) -> str:
    element = sscc_element_string(sscc)
    return _zpl(
        100,
        70,
        [
            _zpl_text(40, 30, 30, "SSCC"),
            # >; = start subset C, >8 = FNC1: GS1-128 without mode D, which would compute
            # (and so hide) the check digit itself.
            f"^FO40,80^BY4^BCN,260,N,N,N^FD>;>8{element}^FS",
            _zpl_text(40, 370, 40, f"(00) {element[2:]}"),
        ],
    )


def product_label_zpl(gtin: str, lot: str, expiry: date, description: str = "") -> str:
    element = product_element_string(gtin, lot, expiry)
    # ^BX quality 200 with escape character "_" set explicitly; "_1" is FNC1, "__" a "_".
    matrix = element.replace("_", "__")
    return _zpl(
        100,
        50,
        [
            f"^FO40,40^BXN,8,200,,,,_^FD_1{matrix}^FS",
            _zpl_text(320, 40, 34, description[:40]),
            _zpl_text(320, 100, 30, f"GTIN {to_gtin14(gtin)}"),
            _zpl_text(320, 150, 30, f"LOT {lot}"),
            _zpl_text(320, 200, 30, f"EXP {expiry.isoformat()}"),
            _zpl_text(40, 330, 22, product_hri(gtin, lot, expiry)),
        ],
    )


def shipping_label_zpl(
    ship_to: Address, carrier: str, tracking_number: str, sscc: str, ship_from: Address
) -> str:
    tracking = tracking_barcode_data(tracking_number)
    element = sscc_element_string(sscc)
    fields = [
        _zpl_text(40, 30 + i * 28, 24, line)
        for i, line in enumerate(["FROM:", *ship_from.text_lines()])
    ]
    fields += [
        _zpl_text(40, 240 + i * 44, 40, line)
        for i, line in enumerate(["SHIP TO:", *ship_to.text_lines()])
    ]
    fields += [
        _zpl_text(40, 560, 48, f"{carrier}  {tracking}"),
        f"^FO40,630^BY2^BCN,180,N,N,N^FD>:{tracking}^FS",
        f"^FO40,880^BY4^BCN,220,N,N,N^FD>;>8{element}^FS",
        _zpl_text(40, 1120, 40, f"(00) {element[2:]}"),
    ]
    return _zpl(100, 150, fields)


def _zpl(width_mm: int, height_mm: int, fields: list[str]) -> str:
    width, height = width_mm * ZPL_DOTS_PER_MM, height_mm * ZPL_DOTS_PER_MM
    return "\n".join(["^XA", "^CI28", f"^PW{width}", f"^LL{height}", *fields, "^XZ"]) + "\n"


def _zpl_text(x: int, y: int, size: int, text: str) -> str:
    """A text field; ``^FH_`` hex-escapes ^ ~ _ and non-ASCII (UTF-8, ``^CI28``)."""
    return f"^FO{x},{y}^A0N,{size},{size}^FH_^FD{_zpl_escape(text)}^FS"


def _zpl_escape(text: str) -> str:
    out = []
    for char in text:
        if " " <= char <= "~" and char not in "^~_":
            out.append(char)
        else:
            out.extend(f"_{byte:02X}" for byte in char.encode("utf-8"))
    return "".join(out)
