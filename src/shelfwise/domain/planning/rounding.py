"""Rounding a planned order quantity to what a supplier will accept.

Planning math yields real numbers; a purchase order is an integer number of base
units that respects the supplier's minimum order quantity (MOQ), case pack (units
per case, only whole cases ship) and order multiple (e.g. a pallet layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Rounding = Literal["up", "nearest"]


@dataclass(frozen=True, slots=True)
class OrderConstraints:
    """A supplier's ordering rules for one item, in the item's base unit.

    Invariant: every positive quantity produced by ``round_order_quantity`` is at
    least ``minimum_order_quantity`` and a multiple of both ``case_pack`` and
    ``order_multiple``.
    """

    minimum_order_quantity: int = 0
    case_pack: int = 1
    order_multiple: int = 1

    def __post_init__(self) -> None:
        if self.minimum_order_quantity < 0:
            raise ValueError("minimum_order_quantity must be non-negative")
        if self.case_pack < 1 or self.order_multiple < 1:
            raise ValueError("case_pack and order_multiple must be at least 1")

    @property
    def unit(self) -> int:
        """The smallest quantity that is a whole number of cases and of order multiples."""
        return math.lcm(self.case_pack, self.order_multiple)


def round_order_quantity(
    quantity: float,
    constraints: OrderConstraints | None = None,
    rounding: Rounding = "up",
) -> int:
    """The orderable quantity for a planned ``quantity``; 0 when nothing is needed.

    ``"up"`` (the default, never under-orders): the smallest multiple of the unit
    (lcm of case pack and order multiple) that is >= quantity and >= MOQ.
    ``"nearest"``: the closest multiple of the unit (ties round up), still at least
    one unit and the MOQ; for cost-driven quantities such as an EOQ, whose cost is
    flat near the optimum. The MOQ itself is rounded up to a whole unit.
    """
    if rounding not in ("up", "nearest"):
        raise ValueError(f"rounding must be 'up' or 'nearest', got {rounding!r}")
    rules = constraints or OrderConstraints()
    if quantity <= 0:
        return 0
    unit = rules.unit
    # Round away float noise first, so 240.00000000001 does not become a 241st unit.
    exact = round(quantity, 9)
    units = math.ceil(exact / unit) if rounding == "up" else max(1, math.floor(exact / unit + 0.5))
    minimum_units = math.ceil(rules.minimum_order_quantity / unit)
    return max(units, minimum_units) * unit
