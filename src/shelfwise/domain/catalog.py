"""Catalog rules: what makes an owner, item, GTIN, facility, location or lot valid.

The owner (client brand) is part of every item key: two brands may use the same SKU.
GTINs are stored normalised to 14 digits so a UPC-A, EAN-13 or GTIN-14 scan of the
same product finds the same item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shelfwise.domain.errors import InvalidInput

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$")
LOT_RE = re.compile(r"^[!-~]{1,20}$")  # GS1 AI 10: up to 20 printable ASCII characters


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of the digits before it (weights 3,1,3,... from the right)."""
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalize_gtin(raw: str) -> str:
    """Return the GTIN-14 form of a GTIN-8/12/13/14, refusing a wrong check digit."""
    code = raw.strip()
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        raise InvalidInput(f"GTIN {raw!r} must be 8, 12, 13 or 14 digits", code="invalid_gtin")
    if gs1_check_digit(code[:-1]) != int(code[-1]):
        raise InvalidInput(f"GTIN {raw!r} has a wrong check digit", code="bad_check_digit")
    return code.zfill(14)


def with_check_digit(body: str) -> str:
    """Append the GS1 check digit to a 7/11/12/13-digit body (used to make demo GTINs)."""
    return body + str(gs1_check_digit(body))


def validate_code(value: str, what: str) -> str:
    """Codes (SKUs, facility, zone and location codes) are short and scanner-safe."""
    if not isinstance(value, str) or not CODE_RE.match(value):
        raise InvalidInput(
            f"{what} {value!r} must be 1-64 letters, digits or . _ : / -", code=f"invalid_{what}"
        )
    return value


def validate_lot_code(value: str) -> str:
    if not LOT_RE.match(value or ""):
        raise InvalidInput(
            f"lot {value!r} must be 1-20 printable ASCII characters", code="invalid_lot"
        )
    return value


@dataclass(frozen=True)
class ItemSpec:
    """Everything needed to create an item; quantities in base units, money in cents."""

    owner_id: int
    sku: str
    description: str
    gtins: tuple[str, ...] = ()
    base_unit: str = "EA"
    case_pack: int = 1
    lot_tracked: bool = False
    expiry_tracked: bool = False
    serial_tracked: bool = False
    weight_g: int = 0
    length_mm: int = 0
    width_mm: int = 0
    height_mm: int = 0
    unit_cost_cents: int = 0

    def validated(self) -> ItemSpec:
        validate_code(self.sku, "sku")
        if not self.description or len(self.description) > 200:
            raise InvalidInput("description must be 1-200 characters", code="invalid_description")
        if self.case_pack < 1 or self.case_pack > 100_000:
            raise InvalidInput("case_pack must be 1-100000", code="invalid_case_pack")
        for name in ("weight_g", "length_mm", "width_mm", "height_mm", "unit_cost_cents"):
            v = getattr(self, name)
            if v < 0 or v > 10**12:
                raise InvalidInput(f"{name} must be 0 or positive", code=f"invalid_{name}")
        if self.expiry_tracked and not self.lot_tracked:
            raise InvalidInput(
                "an expiry-tracked item must be lot-tracked", code="expiry_needs_lot"
            )
        gtins = tuple(dict.fromkeys(normalize_gtin(g) for g in self.gtins))
        return ItemSpec(**{**self.__dict__, "gtins": gtins})


def lot_expired(expiry: date | None, today: date) -> bool:
    return expiry is not None and expiry < today
