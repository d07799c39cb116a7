"""Typed reading of X12 elements, shared by every transaction-set mapping.

Mappings must turn strings into the warehouse's types (integer base-unit
quantities, dates, product identifiers) and fail with the *same* located
error whichever set they read. Keeping these conversions in one place means
"W01-01 is not a number" and "SN1-02 is not a number" are reported alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from shelfwise.integrations.edi.envelope import TransactionSet
from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode
from shelfwise.integrations.edi.tokenizer import Segment

PRODUCT_QUALIFIERS: dict[str, str] = {
    "VN": "vendor's item number",
    "VC": "vendor's catalog number",
    "VP": "vendor's part number",
    "UP": "UPC consumer package code (12 digits)",
    "UK": "GTIN-14",
    "EN": "EAN/GTIN-13",
    "UA": "U.P.C./EAN case code (the W01-03/W04-03/W07-03/W12-06 element)",
    "IN": "buyer's item number",
    "BP": "buyer's part number",
    "SK": "stock keeping unit",
    "CB": "buyer's catalog number",
    "PI": "purchaser's item code",
}
"""The product/service id qualifiers (data element 235) warehouses meet most."""

_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)")


@dataclass(frozen=True, slots=True)
class ProductId:
    """One product identifier with its X12 qualifier (``VN``, ``UP``, ``SK``, ...)."""

    qualifier: str
    value: str


def find_product(ids: Iterable[ProductId], *qualifiers: str) -> str | None:
    """The first id whose qualifier is among ``qualifiers``, in their order of preference."""
    ids = tuple(ids)
    for qualifier in qualifiers:
        for product in ids:
            if product.qualifier == qualifier:
                return product.value
    return None


def error_at(segment: Segment, element: int | None, code: EdiErrorCode, message: str) -> EdiError:
    """An :class:`EdiError` located at ``segment`` (and ``element`` when given)."""
    return EdiError(
        code,
        message,
        segment_id=segment.id,
        segment_position=segment.position,
        element_position=element,
    )


def expect_set(transaction: TransactionSet, set_id: str) -> None:
    """Refuse to map a transaction set with the wrong reader."""
    if transaction.id != set_id:
        raise error_at(
            transaction.segments[0],
            1,
            EdiErrorCode.UNKNOWN_TRANSACTION_SET,
            f"expected a {set_id}, got {transaction.id!r}",
        )


def required(segment: Segment, n: int) -> str:
    """Element ``n``, which must not be empty."""
    value = segment.element(n)
    if not value.strip():
        raise error_at(segment, n, EdiErrorCode.MISSING_ELEMENT, f"{segment.id}{n:02d} is required")
    return value.strip()


def optional(segment: Segment, n: int) -> str | None:
    """Element ``n`` stripped, or None when empty."""
    value = segment.element(n).strip()
    return value or None


def quantity(segment: Segment, n: int) -> int:
    """A required non-negative whole quantity in the item's base unit.

    X12 sends quantities as decimals (``12``, ``12.0``); the ledger keeps integers,
    so a fractional or negative value is a mapping error, not something to round.
    """
    value = required(segment, n)
    number = _decimal(segment, n, value)
    if number < 0:
        raise error_at(segment, n, EdiErrorCode.BAD_ELEMENT, f"quantity {value!r} is negative")
    if number != number.to_integral_value():
        raise error_at(segment, n, EdiErrorCode.BAD_ELEMENT, f"quantity {value!r} is fractional")
    return int(number)


def decimal(segment: Segment, n: int) -> Decimal | None:
    """A measurement such as a weight; None when empty."""
    value = segment.element(n).strip()
    return _decimal(segment, n, value) if value else None


def _decimal(segment: Segment, n: int, value: str) -> Decimal:
    if not _NUMBER.fullmatch(value):
        raise error_at(segment, n, EdiErrorCode.BAD_ELEMENT, f"{value!r} is not a number")
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards
        raise error_at(segment, n, EdiErrorCode.BAD_ELEMENT, f"{value!r} is not a number") from exc


def date_value(segment: Segment, n: int) -> date | None:
    """A CCYYMMDD (or legacy YYMMDD) date; None when empty."""
    value = segment.element(n).strip()
    if not value:
        return None
    if len(value) == 6 and value.isdigit():
        value = "20" + value
    if len(value) != 8 or not value.isdigit():
        raise error_at(segment, n, EdiErrorCode.BAD_ELEMENT, f"date {value!r} is not CCYYMMDD")
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise error_at(
            segment, n, EdiErrorCode.BAD_ELEMENT, f"date {value!r} does not exist"
        ) from exc


def product_ids(
    segment: Segment, pairs: Sequence[tuple[int, int]], *, case_code: int | None = None
) -> tuple[ProductId, ...]:
    """Qualifier/value pairs such as W01-04/05; a qualifier without value is an error.

    ``case_code`` names the fixed U.P.C. case code element of the warehouse
    segments (W01-03, W04-03, W07-03, W12-06); it is returned as qualifier ``UA``
    so every line carries its identifiers in one uniform tuple.
    """
    found: list[ProductId] = []
    if case_code is not None and (upc := optional(segment, case_code)):
        found.append(ProductId("UA", upc))
    for q, v in pairs:
        qualifier, value = optional(segment, q), optional(segment, v)
        if qualifier and value:
            found.append(ProductId(qualifier, value))
        elif qualifier or value:
            missing = v if qualifier else q
            raise error_at(
                segment,
                missing,
                EdiErrorCode.MISSING_ELEMENT,
                f"{segment.id}{q:02d}/{v:02d} must both be present",
            )
    return tuple(found)


def first(segments: Iterable[Segment], segment_id: str) -> Segment | None:
    """The first segment with this id, if any."""
    return next((s for s in segments if s.id == segment_id), None)


def require_segment(transaction: TransactionSet, segment_id: str) -> Segment:
    """The first ``segment_id`` in the set, or a missing_segment error located at SE."""
    found = first(transaction.body, segment_id)
    if found is None:
        se = transaction.segments[-1]
        raise EdiError(
            EdiErrorCode.MISSING_SEGMENT,
            f"{transaction.id} needs a {segment_id} segment before SE",
            segment_id=segment_id,
            segment_position=se.position,
        )
    return found


def format_quantity(value: int) -> str:
    """Quantities leave as plain integers; negative ones are refused at the edge."""
    if value < 0:
        raise ValueError(f"quantity {value} is negative")
    return str(value)


def format_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def check_line_count(segment: Segment | None, actual: int, what: str) -> None:
    """CTT01 is a hash total partners use to detect dropped lines; it must match."""
    if segment is None:
        return
    declared = quantity(segment, 1)
    if declared != actual:
        raise error_at(
            segment,
            1,
            EdiErrorCode.BAD_ELEMENT,
            f"CTT01 says {declared} {what}, found {actual}",
        )
