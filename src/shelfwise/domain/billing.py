"""Usage billing rules: what is metered, how a rate card prices it, billing periods.

A 3PL bills each client brand (owner) for the work done for it. Every billable activity
is a metering event with a quantity in one unit; an invoice line is one activity's
quantity over a period times the rate card's price for it, rounded half-up to whole
cents; a monthly minimum tops the invoice up when activity was small.
Money is integer cents. Rates may carry fractions of a cent (storage is often priced
at 0.35 cents per unit-day), so they are ``Decimal`` with at most four places.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from shelfwise.domain.errors import InvalidInput
from shelfwise.domain.ledger import MovementType


class Activity(StrEnum):
    RECEIPT_LINES = "receipt_lines"  # document lines received (one per receipt, item, lot)
    UNITS_RECEIVED = "units_received"
    UNITS_PICKED = "units_picked"
    CARTONS_PACKED = "cartons_packed"
    ORDERS_SHIPPED = "orders_shipped"
    LINES_SHIPPED = "lines_shipped"  # order lines shipped (one per order and item)
    UNITS_SHIPPED = "units_shipped"
    RETURNS_PROCESSED = "returns_processed"  # one per return document received
    UNITS_RETURNED = "units_returned"
    STORAGE_UNIT_DAYS = "storage_unit_days"  # units on hand at the nightly snapshot
    STORAGE_LOCATION_DAYS = "storage_location_days"  # occupied locations at the snapshot


UNITS: dict[str, str] = {
    Activity.RECEIPT_LINES: "line",
    Activity.UNITS_RECEIVED: "unit",
    Activity.UNITS_PICKED: "unit",
    Activity.CARTONS_PACKED: "carton",
    Activity.ORDERS_SHIPPED: "order",
    Activity.LINES_SHIPPED: "line",
    Activity.UNITS_SHIPPED: "unit",
    Activity.RETURNS_PROCESSED: "return",
    Activity.UNITS_RETURNED: "unit",
    Activity.STORAGE_UNIT_DAYS: "unit_day",
    Activity.STORAGE_LOCATION_DAYS: "location_day",
}

#: Value-added tasks (kitting, labelling, gift wrap...) are activities ``vas.<task>``.
VAS_PREFIX = "vas."
_TASK = re.compile(r"[a-z][a-z0-9_]{0,39}")
_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_CURRENCY = re.compile(r"[A-Z]{3}")
#: The line that tops an invoice up to the monthly minimum (it has no metering events).
MINIMUM_TOPUP = "minimum_monthly_topup"
MAX_RATE_CENTS = Decimal(10**9)
MAX_MINIMUM_CENTS = 10**12
RATE_PLACES = Decimal("0.0001")


def vas_activity(task: str) -> str:
    """The activity name of a value-added task; refuses anything but a short slug."""
    if not isinstance(task, str) or not _TASK.fullmatch(task):
        raise InvalidInput(f"task {task!r} must be a lowercase slug like 'kitting'",
                           code="invalid_task")
    return VAS_PREFIX + task


def unit_of(activity: str) -> str:
    return UNITS.get(activity, "task" if activity.startswith(VAS_PREFIX) else "unit")


def is_known_activity(activity: str) -> bool:
    return activity in UNITS or (
        activity.startswith(VAS_PREFIX) and bool(_TASK.fullmatch(activity[len(VAS_PREFIX):])))


# -- what a movement meters -------------------------------------------------------------


@dataclass(frozen=True)
class Meter:
    """One metering event before it is stored: ``source`` makes it unique, so recording
    the same work twice (a receipt line scanned in three goes) meters it once."""

    facility_id: int
    activity: str
    quantity: int
    source_type: str
    source_id: str


#: Movement types that are billable work; others (moves, counts, transfers) are not.
BILLABLE_MOVEMENTS = frozenset({MovementType.RECEIPT, MovementType.PICK, MovementType.SHIP,
                                MovementType.RETURN})


def movement_meters(
    mtype: MovementType,
    movement_id: int,
    document: tuple[str, str],
    lines: Iterable[tuple[int, str, int, int]],
) -> list[Meter]:
    """Metering of one posted movement; ``lines`` are ``(item_id, lot, qty, facility_id)``
    with the facility where the work happened (the receiving side for receipts and
    returns, the shipping side for picks and shipments).

    Units are metered per movement; document lines once per document line (a receipt
    line per item and lot, a shipped order line per item), whatever the number of scans.
    """
    if mtype not in BILLABLE_MOVEMENTS:
        return []
    units: dict[int, int] = {}
    doc_lines: dict[tuple[int, str], int] = {}
    for item_id, lot, qty, fac in lines:
        units[fac] = units.get(fac, 0) + qty
        key = (item_id, lot) if mtype == MovementType.RECEIPT else (item_id, "")
        doc_lines.setdefault(key, fac)
    mid = str(movement_id)
    doc = f"{document[0]}:{document[1]}" if document[1] else f"movement:{mid}"
    out: list[Meter] = []
    if mtype == MovementType.RECEIPT:
        out += [Meter(f, Activity.UNITS_RECEIVED, q, "movement", mid) for f, q in units.items()]
        out += [Meter(f, Activity.RECEIPT_LINES, 1, "receipt_line", f"{doc}:{i}:{lot}")
                for (i, lot), f in doc_lines.items()]
    elif mtype == MovementType.PICK:
        out += [Meter(f, Activity.UNITS_PICKED, q, "movement", mid) for f, q in units.items()]
    elif mtype == MovementType.SHIP:
        out += [Meter(f, Activity.UNITS_SHIPPED, q, "movement", mid) for f, q in units.items()]
        out += [Meter(f, Activity.LINES_SHIPPED, 1, "order_line", f"{doc}:{i}")
                for (i, _), f in doc_lines.items()]
    else:
        out += [Meter(f, Activity.UNITS_RETURNED, q, "movement", mid) for f, q in units.items()]
        out += [Meter(f, Activity.RETURNS_PROCESSED, 1, "return", doc) for f in units]
    return out


# -- periods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month in UTC, named ``YYYY-MM``."""

    name: str
    start: datetime
    end: datetime  # exclusive

    @property
    def first_day(self) -> date:
        return self.start.date()


def parse_period(text: object) -> Period:
    m = _PERIOD.fullmatch(text) if isinstance(text, str) else None
    if m is None or not 1 <= int(m.group(2)) <= 12 or not 2000 <= int(m.group(1)) <= 2999:
        raise InvalidInput(f"period {text!r} must be a month like 2026-10", code="invalid_period")
    y, mo = int(m.group(1)), int(m.group(2))
    start = datetime(y, mo, 1, tzinfo=UTC)
    end = datetime(y + (mo == 12), mo % 12 + 1, 1, tzinfo=UTC)
    return Period(text, start, end)


# -- rate cards -------------------------------------------------------------------------


@dataclass(frozen=True)
class RateCard:
    """An owner's prices from ``effective_from``: cents per unit of each activity."""

    effective_from: date
    currency: str
    minimum_monthly_cents: int
    rates: Mapping[str, Decimal]

    def rates_json(self) -> dict[str, str]:
        return {a: format_rate(r) for a, r in sorted(self.rates.items())}


def format_rate(rate: Decimal) -> str:
    """A rate as text with no float noise and no needless zeros: ``25``, ``0.35``."""
    text = format(rate.quantize(RATE_PLACES), "f").rstrip("0").rstrip(".")
    return text or "0"


def parse_rate(activity: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise InvalidInput(f"rate of {activity} must be a number of cents", code="invalid_rate")
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"rate of {activity} must be a number of cents, got {value!r}",
                           code="invalid_rate") from None
    if not rate.is_finite() or rate < 0 or rate > MAX_RATE_CENTS:
        raise InvalidInput(f"rate of {activity} must be between 0 and {MAX_RATE_CENTS} cents",
                           code="invalid_rate")
    if rate != rate.quantize(RATE_PLACES):
        raise InvalidInput(f"rate of {activity} has more than 4 decimal places",
                           code="invalid_rate")
    return rate.quantize(RATE_PLACES)


def parse_rate_card(effective_from: object, currency: object, minimum_monthly_cents: object,
                    rates: object) -> RateCard:
    """Validate a rate card as a whole; the first broken rule is a named refusal."""
    if not isinstance(effective_from, date) or isinstance(effective_from, datetime):
        raise InvalidInput("effective_from must be a date", code="invalid_date")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise InvalidInput(f"currency {currency!r} must be an ISO code like USD",
                           code="invalid_currency")
    if (isinstance(minimum_monthly_cents, bool) or not isinstance(minimum_monthly_cents, int)
            or not 0 <= minimum_monthly_cents <= MAX_MINIMUM_CENTS):
        raise InvalidInput("minimum_monthly_cents must be whole cents, 0 or more",
                           code="invalid_minimum")
    if not isinstance(rates, Mapping):
        raise InvalidInput("rates must map activities to cents", code="invalid_rate")
    parsed: dict[str, Decimal] = {}
    for activity, value in rates.items():
        if not isinstance(activity, str) or not is_known_activity(activity):
            known = ", ".join(a.value for a in Activity)
            raise InvalidInput(f"unknown activity {activity!r}; activities are {known} and "
                               "vas.<task>", code="unknown_activity")
        parsed[activity] = parse_rate(activity, value)
    return RateCard(effective_from, currency, minimum_monthly_cents, parsed)


def card_in_force(cards: Sequence[RateCard], period: Period) -> RateCard | None:
    """The card billing a period: the latest one effective on the period's first day.
    A whole period has one price list, so an invoice line never mixes two rates."""
    valid = [c for c in cards if c.effective_from <= period.first_day]
    return max(valid, key=lambda c: c.effective_from) if valid else None


# -- pricing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PricedLine:
    activity: str
    unit: str
    quantity: int
    rate: Decimal
    amount_cents: int


@dataclass(frozen=True)
class Priced:
    lines: tuple[PricedLine, ...]
    subtotal_cents: int
    minimum_topup_cents: int

    @property
    def total_cents(self) -> int:
        return self.subtotal_cents + self.minimum_topup_cents


def amount_cents(quantity: int, rate: Decimal) -> int:
    return int((Decimal(quantity) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def price(quantities: Mapping[str, int], card: RateCard) -> Priced:
    """Invoice lines for an owner's metered quantities: one per activity, in a stable order
    (an activity the card has no price for is listed at 0, so the client still sees it);
    then the top-up to the monthly minimum, if activity fell short of it."""
    order = {a: n for n, a in enumerate(Activity)}
    lines = []
    for activity in sorted(quantities, key=lambda a: (order.get(a, len(order)), a)):
        qty = quantities[activity]
        rate = card.rates.get(activity, Decimal(0))
        lines.append(PricedLine(activity, unit_of(activity), qty, rate, amount_cents(qty, rate)))
    subtotal = sum(ln.amount_cents for ln in lines)
    return Priced(tuple(lines), subtotal, max(0, card.minimum_monthly_cents - subtotal))
