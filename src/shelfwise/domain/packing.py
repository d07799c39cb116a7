"""Cartons and their SSCCs.

Every carton that leaves gets a Serial Shipping Container Code: extension digit +
the warehouse's GS1 company prefix + a serial reference + a mod-10 check digit, 18
digits in all. The serial comes from the database (the carton's id), so two cartons
never share an SSCC for as long as the prefix's serial space lasts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from shelfwise.barcodes.gs1 import is_digits, validate_sscc, with_check_digit
from shelfwise.domain.errors import Conflict, InvalidInput

#: GS1 prefix used when a deployment has not configured its own (GS1 Global Office
#: range reserved for demonstrations); real warehouses set theirs.
DEFAULT_COMPANY_PREFIX = "0950600"


class CartonState(StrEnum):
    PACKED = "packed"  # closed, weighed, labelled with its SSCC
    SHIPPED = "shipped"  # handed to the carrier on a shipment


def make_sscc(company_prefix: str, serial: int, extension: int = 0) -> str:
    """Build an SSCC-18 and check it back through the GS1 rules."""
    if not is_digits(company_prefix) or not 6 <= len(company_prefix) <= 12:
        raise InvalidInput(f"GS1 company prefix {company_prefix!r} must be 6-12 digits",
                           code="invalid_company_prefix")
    if not 0 <= extension <= 9:
        raise InvalidInput("SSCC extension digit must be 0-9", code="invalid_sscc_extension")
    width = 16 - len(company_prefix)
    if serial < 0 or serial >= 10**width:
        raise Conflict(f"serial {serial} does not fit the {width}-digit SSCC serial reference "
                       f"of prefix {company_prefix}", code="sscc_serials_exhausted")
    return validate_sscc(with_check_digit(f"{extension}{company_prefix}{serial:0{width}d}"))


@dataclass(frozen=True)
class PackedUnit:
    order_line_id: int
    item_id: int
    lot: str
    qty: int


def carton_weight_g(units: Iterable[tuple[int, int]], tare_g: int = 0) -> int:
    """Weight of a carton from (unit weight in grams, qty) pairs plus the box itself,
    used when no scale reading is sent."""
    return tare_g + sum(w * q for w, q in units)


def check_weight(weight_g: object) -> int:
    if isinstance(weight_g, bool) or not isinstance(weight_g, int) or weight_g <= 0:
        raise InvalidInput("carton weight must be a positive whole number of grams",
                           code="invalid_weight")
    if weight_g > 1_000_000:
        raise InvalidInput("a carton over 1,000 kg is a pallet: check the scale",
                           code="invalid_weight")
    return weight_g
