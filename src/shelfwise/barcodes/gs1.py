"""GS1 check digits and GTIN normalisation (pure, standard library only).

GS1 keys (GTIN-8/12/13/14, SSCC-18, GLN) end in a mod-10 check digit: weights 3 and 1
alternate from the rightmost payload digit. GTINs are compared as GTIN-14 (left
padded with zeros) so a UPC-A, EAN-13 and GTIN-14 scan of one product match.
"""

from __future__ import annotations

import re

from shelfwise.barcodes.errors import BadCheckDigit, MalformedBarcode, TruncatedBarcode

GTIN_LENGTHS = frozenset({8, 12, 13, 14})
SSCC_LENGTH = 18

_DIGITS = re.compile(r"[0-9]+")


def is_digits(text: str) -> bool:
    """True for ASCII digits only (``str.isdigit`` also accepts '²' and Arabic digits)."""
    return _DIGITS.fullmatch(text) is not None


def check_digit(payload: str) -> int:
    """The mod-10 check digit for ``payload`` (the key without its last digit)."""
    if not is_digits(payload):
        raise ValueError(f"check digit payload must be ASCII digits, got {payload!r}")
    total = 0
    for position, char in enumerate(reversed(payload)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def has_valid_check_digit(key: str) -> bool:
    """True if ``key`` is at least two ASCII digits and its last digit checks."""
    return len(key) >= 2 and is_digits(key) and check_digit(key[:-1]) == int(key[-1])


def with_check_digit(payload: str) -> str:
    """``payload`` with its check digit appended (to make a GTIN or SSCC)."""
    return payload + str(check_digit(payload))


def is_valid_gtin(gtin: str) -> bool:
    return len(gtin) in GTIN_LENGTHS and has_valid_check_digit(gtin)


def is_valid_sscc(sscc: str) -> bool:
    return len(sscc) == SSCC_LENGTH and has_valid_check_digit(sscc)


def to_gtin14(gtin: str) -> str:
    """Normalise a GTIN-8/12/13/14 to GTIN-14, refusing a wrong length or check digit."""
    if not is_digits(gtin):
        raise MalformedBarcode(f"GTIN {gtin!r} must be digits only")
    if len(gtin) not in GTIN_LENGTHS:
        if len(gtin) < 14:
            raise TruncatedBarcode(f"GTIN {gtin!r} has {len(gtin)} digits; expected 8/12/13/14")
        raise MalformedBarcode(f"GTIN {gtin!r} has {len(gtin)} digits; expected 8/12/13/14")
    if not has_valid_check_digit(gtin):
        raise BadCheckDigit(
            f"GTIN {gtin!r} has check digit {gtin[-1]}, expected {check_digit(gtin[:-1])}"
        )
    return gtin.zfill(14)


def validate_sscc(sscc: str) -> str:
    """Return ``sscc`` if it is 18 digits with a good check digit, else a named error."""
    if not is_digits(sscc):
        raise MalformedBarcode(f"SSCC {sscc!r} must be digits only")
    if len(sscc) < SSCC_LENGTH:
        raise TruncatedBarcode(f"SSCC {sscc!r} has {len(sscc)} digits; expected 18")
    if len(sscc) > SSCC_LENGTH:
        raise MalformedBarcode(f"SSCC {sscc!r} has {len(sscc)} digits; expected 18")
    if not has_valid_check_digit(sscc):
        raise BadCheckDigit(
            f"SSCC {sscc!r} has check digit {sscc[-1]}, expected {check_digit(sscc[:-1])}"
        )
    return sscc
