"""Named refusals for scans.

Every refused scan is one of these, with a stable ``code`` a handheld UI or the HTTP
layer can match on; ``message`` is for people. Nothing else escapes ``parse_scan``.

    ScanError
     ├── EmptyScan            nothing but whitespace (or only a symbology identifier)
     ├── ScanTooLong          more than 200 characters: not a label we print or accept
     ├── MalformedBarcode     control characters, unknown AI, garbage after a field
     ├── TruncatedBarcode     GTIN of 9-11 digits, GS1 field cut short at the end
     ├── BadCheckDigit        GTIN / SSCC whose mod-10 check digit is wrong
     ├── BadLot               AI 10 with bad characters, or one that swallowed a field
     ├── BadSerial            AI 21, same rules as the lot
     ├── BadExpiry            AI 17 that is not a real YYMMDD date
     └── ScanMismatch         a good scan of the wrong thing (see ``match_item_scan``)
          ├── WrongItem
          ├── WrongLot
          ├── ExpiredLot
          └── ExpiryMismatch
"""

from __future__ import annotations


class ScanError(Exception):
    """Base of every scan refusal. ``code`` is stable; ``message`` is for people."""

    code: str = "scan_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class EmptyScan(ScanError):
    code = "empty_scan"


class ScanTooLong(ScanError):
    code = "scan_too_long"


class MalformedBarcode(ScanError):
    code = "malformed_barcode"


class TruncatedBarcode(ScanError):
    code = "truncated_barcode"


class BadCheckDigit(ScanError):
    code = "bad_check_digit"


class BadLot(ScanError):
    code = "bad_lot"


class BadSerial(ScanError):
    code = "bad_serial"


class BadExpiry(ScanError):
    code = "bad_expiry"


class ScanMismatch(ScanError):
    """The scan is well formed but is not what the task expects."""

    code = "scan_mismatch"


class WrongItem(ScanMismatch):
    code = "wrong_item"


class WrongLot(ScanMismatch):
    code = "wrong_lot"


class ExpiredLot(ScanMismatch):
    code = "expired_lot"


class ExpiryMismatch(ScanMismatch):
    code = "expiry_mismatch"
