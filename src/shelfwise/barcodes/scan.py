"""What a keyboard-wedge handheld sent, read as a product, pallet or location scan.

``parse_scan`` turns one scan into a ``Scan`` or refuses it with a named ``ScanError``;
it never lets another exception out. The forms accepted, as scanners really send them:

- an optional AIM symbology identifier (``]C1`` GS1-128, ``]d2`` GS1 DataMatrix,
  ``]Q3`` GS1 QR, ``]e0`` GS1 DataBar, ``]E0``/``]E4`` EAN/UPC, ``]I1`` ITF-14; a
  non-GS1 identifier such as ``]C0`` or ``]A0`` means "plain text": a location/other code);
- FNC1 sent as the ASCII 29 group separator (GS), or spelled ``<GS>`` or ``\\x1d`` by
  scanners/emulators that cannot type control characters; a leading GS (FNC1 in first
  position) and trailing GS are ignored;
- GS1 element strings (AIs 00, 01, 02, 10, 17, 21, 30, 37; other AIs are checked and
  ignored), or their human-readable form ``(01)...(17)...(10)...``;
- plain GTIN-8/12/13/14 (UPC-A, EAN-13...) digits, and a bare 18-digit SSCC;
- anything else is a location or other code (``A-01-03-B``, ``LOC:DOCK-2``, a short
  numeric location check code), returned as ``Scan(kind="code", code=...)``.

Without a symbology identifier, text is read as GS1 only if it contains a GS, starts
with ``(NN)``, is all digits of a GTIN/SSCC length, or starts with ``01``/``02`` + 14
digits or ``00`` + 18 digits; so a bin named ``10-02-03`` is a code, not lot "-02-03".

Element strings are split with biip. We do not call ``biip.parse()`` on unmarked input:
it runs every parser and keeps the errors of those that did not apply (a good GS1
message comes back with ``sscc_error`` and ``upc_error`` set), while a *bad* GTIN inside
a message is only a soft ``gtin_error`` on the element. So we choose the format
ourselves and treat any ``*_error`` biip sets on an element as a refusal.

A lot (AI 10) or serial (AI 21) is variable length and must be ended by FNC1 unless it
is the last field. A label printed without that separator makes the lot silently
swallow what follows. Heuristic, applied only to a lot/serial not ended by a separator:

1. it ran into the 20-character limit with more data after it -> refused;
2. it contains a date AI (11, 13, 15, 16, 17) followed by a valid YYMMDD, where the
   date ends the field or is followed by ``10``, ``21``, ``30`` or ``37`` -> refused;
3. it contains ``01`` + 14 digits with a valid check digit (a swallowed GTIN) -> refused.

A genuine lot such as ``B17240101`` in last position is refused too (a false positive
we accept: the cost is a rescan/keyed entry, the alternative is a wrong expiry on stock).
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Literal

from biip import ParseConfig, ParseError
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.sscc import Sscc
from biip.symbology import GS1Symbology, SymbologyIdentifier

from shelfwise.barcodes.errors import (
    BadCheckDigit,
    BadExpiry,
    BadLot,
    BadSerial,
    EmptyScan,
    ExpiredLot,
    ExpiryMismatch,
    MalformedBarcode,
    ScanError,
    ScanTooLong,
    TruncatedBarcode,
    WrongItem,
    WrongLot,
)
from shelfwise.barcodes.gs1 import (
    SSCC_LENGTH,
    has_valid_check_digit,
    is_digits,
    to_gtin14,
    validate_sscc,
)

MAX_SCAN_LENGTH = 200
SCAN_CACHE_SIZE = 16_384  # distinct labels remembered: at most ~7 MB
GS = "\x1d"

ScanKind = Literal["gtin", "gs1", "sscc", "code"]

_CONFIG = ParseConfig(separator_chars=(GS,))
_GS_SPELLINGS = re.compile(r"<GS>|\\x1d|\\u001d", re.IGNORECASE)
_HRI_START = re.compile(r"\(\s*\d{2,4}\s*\)")
_HRI_FULL = re.compile(r"(?:\(\d{2,4}\)[^()]+)+")
_IMPLICIT_GS1 = re.compile(r"0[12]\d{14}|00\d{18}")
_FIXED_FORMAT = re.compile(r"N(\d+)$")
_SWALLOWED_DATE = re.compile(r"(?=(1[1-7])(\d{6})($|10|21|30|37))")
_SWALLOWED_GTIN = re.compile(r"(?=01(\d{14}))")
_VARIABLE_TEXT_AIS = frozenset({"10", "21"})
_DATE_AIS = frozenset({"11", "13", "15", "16", "17"})


@dataclass(frozen=True, kw_only=True)
class Scan:
    """One accepted scan. ``gtin14`` is always the 14-digit form; ``raw`` is as received."""

    kind: ScanKind
    gtin14: str | None = None
    lot: str | None = None
    expiry: date | None = None
    serial: str | None = None
    sscc: str | None = None
    count: int | None = None
    code: str | None = None
    raw: str = ""


def parse_scan(raw: str) -> Scan:
    """Read one scan; return a ``Scan`` or raise a ``ScanError`` subclass, nothing else."""
    try:
        # exact type: a str subclass could carry state the cache key would not see
        return _parse_cached(raw) if type(raw) is str else _parse(raw)
    except ScanError:
        raise
    except Exception as exc:  # a biip corner we did not foresee must not crash a handheld
        raise MalformedBarcode(f"unreadable scan ({type(exc).__name__}: {exc})") from exc


@lru_cache(maxsize=SCAN_CACHE_SIZE)
def _parse_cached(raw: str) -> Scan:
    """The parse is a pure function of the text and ``Scan`` is frozen, so a floor that
    scans the same bins and products all day reads each label once. Refusals raise and
    so are never cached."""
    return _parse(raw)


def match_item_scan(
    scan: Scan,
    expected_gtins: set[str],
    expected_lot: str | None,
    expected_expiry: date | None,
    today: date,
) -> None:
    """Refuse a scan that is not the expected item/lot, or whose stock has expired.

    ``expected_gtins`` may hold any GTIN length; they are compared as GTIN-14. A scan
    without a lot cannot prove the lot, so it is refused when a lot is expected. The
    expiry checked against ``today`` is the scanned one, else the recorded one; a
    product is usable through its expiry date.
    """
    wanted = {_loose_gtin14(g) for g in expected_gtins}
    if scan.gtin14 is None:
        raise WrongItem(f"scan {scan.raw!r} carries no GTIN; scan the product barcode")
    if scan.gtin14 not in wanted:
        raise WrongItem(f"scanned GTIN {scan.gtin14} is not the expected item")
    if expected_lot is not None:
        if scan.lot is None:
            raise WrongLot(f"scan carries no lot; expected lot {expected_lot!r}")
        if scan.lot != expected_lot:
            raise WrongLot(f"scanned lot {scan.lot!r}, expected lot {expected_lot!r}")
    if expected_expiry is not None and scan.expiry is not None and scan.expiry != expected_expiry:
        raise ExpiryMismatch(
            f"label expiry {scan.expiry.isoformat()} differs from recorded "
            f"{expected_expiry.isoformat()}"
        )
    expiry = scan.expiry or expected_expiry
    if expiry is not None and expiry < today:
        raise ExpiredLot(f"lot expired on {expiry.isoformat()}")


def _loose_gtin14(gtin: str) -> str:
    gtin = gtin.strip()
    return gtin.zfill(14) if is_digits(gtin) and len(gtin) <= 14 else gtin


# -- cleaning and routing -------------------------------------------------------------


def _parse(raw: str) -> Scan:
    if not isinstance(raw, str):
        raise TypeError(f"parse_scan expects str, got {type(raw).__name__}")
    text = raw.strip(" \t\r\n")
    if not text:
        raise EmptyScan("empty scan")
    if len(text) > MAX_SCAN_LENGTH:
        raise ScanTooLong(f"scan of {len(text)} characters; at most {MAX_SCAN_LENGTH}")
    text = _GS_SPELLINGS.sub(GS, text)
    for char in text:
        if char != GS and char != " " and not char.isprintable():
            raise MalformedBarcode(f"scan contains control character {char!r}")

    symbology: SymbologyIdentifier | None = None
    if text.startswith("]"):
        symbology = _symbology(text)
        text = text[len(symbology.value) :]
    body = text.strip(GS + " ")
    if not body:
        raise EmptyScan(f"scan {raw!r} holds no data")

    if symbology is not None:
        gs1 = symbology.gs1_symbology
        if gs1 in GS1Symbology.with_gtin():
            return _gtin_scan(_strip_add_on(gs1, body), raw)
        if gs1 is not None:
            return _gs1_scan(body, raw)
        return _code_scan(body, raw)
    if _HRI_START.match(body):
        return _hri_scan(body, raw)
    if GS in body:
        return _gs1_scan(body, raw)
    if is_digits(body):
        return _digits_scan(body, raw)
    if _IMPLICIT_GS1.match(body):
        return _gs1_scan(body, raw)
    return _code_scan(body, raw)


def _symbology(text: str) -> SymbologyIdentifier:
    try:
        symbology = SymbologyIdentifier.extract(text)
    except (ParseError, ValueError, IndexError) as exc:
        raise MalformedBarcode(f"unknown symbology identifier in {text[:4]!r}") from exc
    if len(symbology.value) < 3:
        raise MalformedBarcode(f"incomplete symbology identifier {symbology.value!r}")
    return symbology


def _strip_add_on(symbology: GS1Symbology, body: str) -> str:
    """EAN-13 with a 2/5 digit add-on (``]E3``) sends both; the add-on is not the GTIN."""
    if symbology is GS1Symbology.EAN_13_WITH_ADD_ON and len(body) in (15, 18):
        return body[:13]
    return body


def _digits_scan(digits: str, raw: str) -> Scan:
    n = len(digits)
    if n < 8:
        return _code_scan(digits, raw)  # location check digits, short internal codes
    if n <= 14:
        return _gtin_scan(digits, raw)
    if n == SSCC_LENGTH and (has_valid_check_digit(digits) or not digits.startswith(("01", "02"))):
        return _sscc_scan(digits, raw)  # a bare SSCC; no complete GS1 message has 18 digits
    if digits.startswith(("00", "01", "02")):
        return _gs1_scan(digits, raw)
    return _code_scan(digits, raw)  # e.g. a carrier tracking number


def _code_scan(body: str, raw: str) -> Scan:
    if GS in body:
        raise MalformedBarcode("a plain (non-GS1) code must not contain a group separator")
    return Scan(kind="code", code=body, raw=raw)


def _gtin_scan(digits: str, raw: str) -> Scan:
    gtin14 = to_gtin14(digits)
    try:
        Gtin.parse(gtin14, config=_CONFIG)
    except ParseError as exc:
        raise MalformedBarcode(f"GTIN {digits!r} refused: {exc}") from exc
    return Scan(kind="gtin", gtin14=gtin14, raw=raw)


def _sscc_scan(digits: str, raw: str) -> Scan:
    sscc = validate_sscc(digits)
    try:
        Sscc.parse(sscc, config=_CONFIG)
    except ParseError as exc:
        raise MalformedBarcode(f"SSCC {digits!r} refused: {exc}") from exc
    return Scan(kind="sscc", sscc=sscc, raw=raw)


# -- GS1 element strings --------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    element: GS1ElementString
    terminated: bool  # ended by a separator, or explicitly delimited (HRI form)
    at_end: bool


def _hri_scan(body: str, raw: str) -> Scan:
    compact = "".join(body.split())
    if not _HRI_FULL.fullmatch(compact):
        if re.search(r"\(\d*\)?$", compact):
            raise TruncatedBarcode(f"GS1 human-readable form {body!r} ends without data")
        raise MalformedBarcode(f"{body!r} is not in the form (AI)DATA(AI)DATA")
    try:
        message = GS1Message.parse_hri(body, config=_CONFIG)
    except ParseError as exc:
        raise _diagnose_hri(body, exc) from exc
    fields = [_Field(es, terminated=True, at_end=False) for es in message.element_strings]
    return _scan_from_fields(fields, raw)


def _gs1_scan(body: str, raw: str) -> Scan:
    return _scan_from_fields(_split_fields(body), raw)


def _split_fields(body: str) -> list[_Field]:
    """GS1Message.parse's loop, kept here so a failure says which field and why."""
    fields: list[_Field] = []
    rest = body
    while rest:
        try:
            ai = GS1ApplicationIdentifier.extract(rest)
        except ParseError as exc:
            raise MalformedBarcode(f"no GS1 application identifier at {rest[:6]!r}") from exc
        try:
            element = GS1ElementString.extract(rest, config=_CONFIG)
        except ParseError as exc:
            raise _diagnose_field(ai, rest) from exc
        rest = rest[len(element) :]
        terminated = rest.startswith(GS)
        if element.ai.ai in _VARIABLE_TEXT_AIS and rest and not terminated:
            raise _unterminated(element.ai.ai, element.value, rest)
        rest = rest.lstrip(GS)
        fields.append(_Field(element, terminated=terminated, at_end=not rest))
    return fields


def _unterminated(ai: str, value: str, rest: str) -> ScanError:
    error, what = (BadLot, "lot") if ai == "10" else (BadSerial, "serial")
    if len(value) == 20:
        return error(
            f"{what} {value + rest[:10]!r}... is longer than 20 characters or runs into "
            "the next field: the label lacks a separator (FNC1)"
        )
    return error(f"{what} {value!r} is followed by {rest[0]!r}, not allowed in a {what}")


def _diagnose_field(ai: GS1ApplicationIdentifier, rest: str) -> ScanError:
    data = rest[len(ai.ai) :]
    value = data.split(GS, 1)[0]
    at_end = value == data
    fixed = _FIXED_FORMAT.search(ai.format)
    if not value:
        error = TruncatedBarcode if at_end else MalformedBarcode
        return error(f"GS1 AI ({ai.ai}) has no data")
    if fixed:
        length = int(fixed.group(1))
        if is_digits(value) and len(value) < length:
            if at_end:
                return TruncatedBarcode(f"GS1 AI ({ai.ai}) {value!r} is cut short")
            return MalformedBarcode(f"GS1 AI ({ai.ai}) {value!r} is too short")
        value = value[:length]
    return _field_error(ai.ai, value)


def _diagnose_hri(body: str, exc: ParseError) -> ScanError:
    for ai_number, value in re.findall(r"\((\d+)\)([^(]*)", "".join(body.split())):
        try:
            ai = GS1ApplicationIdentifier.extract(ai_number)
        except ParseError:
            return MalformedBarcode(f"unknown GS1 application identifier ({ai_number})")
        if ai.ai != ai_number:
            return MalformedBarcode(f"unknown GS1 application identifier ({ai_number})")
        try:
            GS1ElementString.parse(ai_number + value, config=_CONFIG)
        except ParseError:
            fixed = _FIXED_FORMAT.search(ai.format)
            if fixed and is_digits(value) and len(value) < int(fixed.group(1)):
                return TruncatedBarcode(f"GS1 AI ({ai_number}) {value!r} is cut short")
            return _field_error(ai_number, value)
    return MalformedBarcode(f"unreadable GS1 human-readable form: {exc}")


def _field_error(ai: str, value: str) -> ScanError:
    if ai == "10":
        return BadLot(f"lot {value!r} is not 1-20 characters of the GS1 character set")
    if ai == "21":
        return BadSerial(f"serial {value!r} is not 1-20 characters of the GS1 character set")
    if ai == "17":
        return BadExpiry(f"expiry {value!r} is not a YYMMDD date")
    if ai in _DATE_AIS:
        return MalformedBarcode(f"GS1 AI ({ai}) {value!r} is not a YYMMDD date")
    return MalformedBarcode(f"GS1 AI ({ai}) value {value!r} is invalid")


def _scan_from_fields(fields: list[_Field], raw: str) -> Scan:
    values: dict[str, GS1ElementString] = {}
    for field in fields:
        element = field.element
        _refuse_soft_errors(element)
        if not element.value:
            error = TruncatedBarcode if field.at_end else MalformedBarcode
            raise error(f"GS1 AI {element.ai} has no data")
        seen = values.get(element.ai.ai)
        if seen is not None and seen.value != element.value:
            raise MalformedBarcode(f"GS1 AI {element.ai} appears twice with different values")
        values[element.ai.ai] = element
        if element.ai.ai in _VARIABLE_TEXT_AIS and not field.terminated:
            _refuse_swallowed_field(element.ai.ai, element.value)

    sscc = _value(values, "00")
    gtin = _value(values, "01") or _value(values, "02")
    count = _value(values, "37") or _value(values, "30")
    expiry_element = values.get("17")
    return Scan(
        kind="sscc" if sscc is not None else "gs1",
        gtin14=to_gtin14(gtin) if gtin is not None else None,
        lot=_value(values, "10"),
        expiry=expiry_element.date if expiry_element is not None else None,
        serial=_value(values, "21"),
        sscc=validate_sscc(sscc) if sscc is not None else None,
        count=int(count) if count is not None else None,
        raw=raw,
    )


def _value(values: dict[str, GS1ElementString], ai: str) -> str | None:
    element = values.get(ai)
    return element.value if element is not None else None


def _refuse_soft_errors(element: GS1ElementString) -> None:
    """biip stores a bad GTIN/SSCC/GLN inside a message as ``*_error``; refuse any."""
    for field in dataclasses.fields(element):
        message = getattr(element, field.name)
        if field.name.endswith("_error") and message:
            if is_digits(element.value) and not has_valid_check_digit(element.value):
                raise BadCheckDigit(f"GS1 AI {element.ai} {element.value!r}: wrong check digit")
            raise MalformedBarcode(f"GS1 AI {element.ai} {element.value!r}: {message}")
    if element.ai.ai == "17" and element.date is None:
        raise BadExpiry(f"expiry {element.value!r} is not a YYMMDD date")


def _refuse_swallowed_field(ai: str, value: str) -> None:
    """Heuristics 2 and 3 of the module docstring, for a lot/serial ending the scan."""
    error, what = (BadLot, "lot") if ai == "10" else (BadSerial, "serial")
    for match in _SWALLOWED_DATE.finditer(value):
        if _is_yymmdd(match.group(2)):
            raise error(
                f"{what} {value!r} seems to contain AI ({match.group(1)}) date "
                f"{match.group(2)}: the label lacks a separator (FNC1) after the {what}"
            )
    for match in _SWALLOWED_GTIN.finditer(value):
        if has_valid_check_digit(match.group(1)):
            raise error(
                f"{what} {value!r} seems to contain GTIN {match.group(1)}: "
                f"the label lacks a separator (FNC1) after the {what}"
            )


def _is_yymmdd(text: str) -> bool:
    year, month, day = 2000 + int(text[:2]), int(text[2:4]), int(text[4:])
    return 1 <= month <= 12 and day <= calendar.monthrange(year, month)[1]
