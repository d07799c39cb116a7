"""Barcode scans and GS1 keys: what a handheld sent, and whether it is the right thing.

``parse_scan`` reads a keyboard-wedge scan into a ``Scan`` or a named ``ScanError``;
``match_item_scan`` checks a scan against the item/lot a pick or receipt expects.
"""

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
    ScanMismatch,
    ScanTooLong,
    TruncatedBarcode,
    WrongItem,
    WrongLot,
)
from shelfwise.barcodes.gs1 import (
    check_digit,
    has_valid_check_digit,
    is_valid_gtin,
    is_valid_sscc,
    to_gtin14,
    validate_sscc,
    with_check_digit,
)
from shelfwise.barcodes.scan import Scan, match_item_scan, parse_scan

__all__ = [
    "BadCheckDigit",
    "BadExpiry",
    "BadLot",
    "BadSerial",
    "EmptyScan",
    "ExpiredLot",
    "ExpiryMismatch",
    "MalformedBarcode",
    "Scan",
    "ScanError",
    "ScanMismatch",
    "ScanTooLong",
    "TruncatedBarcode",
    "WrongItem",
    "WrongLot",
    "check_digit",
    "has_valid_check_digit",
    "is_valid_gtin",
    "is_valid_sscc",
    "match_item_scan",
    "parse_scan",
    "to_gtin14",
    "validate_sscc",
    "with_check_digit",
]
