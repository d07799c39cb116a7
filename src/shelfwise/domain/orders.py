"""Customer orders: channels, the order state machine and what a line's quantities mean.

An order moves through one table of allowed transitions (``TRANSITIONS``); every
service that changes an order's state goes through :func:`check_transition`, so an
order can never, say, ship before it is packed or be cancelled after it was waved.
A line's state is not stored separately: it is derived from its quantities, so it
can never disagree with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shelfwise.domain.errors import Conflict, InvalidInput


class Channel(StrEnum):
    B2C = "b2c"  # a consumer's web-shop order: small, many, parcel carriers
    B2B = "b2b"  # a retailer's or wholesaler's order: cases and pallets, appointments
    MARKETPLACE = "marketplace"  # an order from a marketplace (Amazon, eBay...) with its SLA


class OrderState(StrEnum):
    NEW = "new"  # accepted; nothing reserved yet
    BACKORDERED = "backordered"  # allocation ran and could reserve nothing
    PARTIALLY_ALLOCATED = "partially_allocated"  # some units reserved, the rest backordered
    ALLOCATED = "allocated"  # every unit reserved in a bin (holds placed)
    WAVED = "waved"  # released to the floor in a wave: pick tasks exist
    PICKED = "picked"  # every pick task closed; the goods sit in staging
    PACKED = "packed"  # every picked unit is in a carton with an SSCC
    SHIPPED = "shipped"  # handed to the carrier; stock posted to the customer
    CANCELLED = "cancelled"  # withdrawn before picking; its holds were voided


#: The one table of allowed transitions.
TRANSITIONS: dict[OrderState, frozenset[OrderState]] = {
    OrderState.NEW: frozenset({
        OrderState.ALLOCATED, OrderState.PARTIALLY_ALLOCATED, OrderState.BACKORDERED,
        OrderState.CANCELLED,
    }),
    OrderState.BACKORDERED: frozenset({
        OrderState.ALLOCATED, OrderState.PARTIALLY_ALLOCATED, OrderState.BACKORDERED,
        OrderState.CANCELLED,
    }),
    OrderState.PARTIALLY_ALLOCATED: frozenset({
        OrderState.ALLOCATED, OrderState.PARTIALLY_ALLOCATED, OrderState.WAVED,
        OrderState.CANCELLED, OrderState.BACKORDERED,  # a count voided what it had
    }),
    # A count that finds less than the bins promised voids holds: the order falls back.
    OrderState.ALLOCATED: frozenset({
        OrderState.WAVED, OrderState.CANCELLED, OrderState.PARTIALLY_ALLOCATED,
        OrderState.BACKORDERED,
    }),
    # Picking ends an order's wave: picked as far as it went, or back to backordered
    # when nothing at all could be picked (it waits for stock, out of the wave).
    OrderState.WAVED: frozenset({OrderState.PICKED, OrderState.BACKORDERED}),
    OrderState.PICKED: frozenset({OrderState.PACKED}),
    OrderState.PACKED: frozenset({OrderState.SHIPPED}),
    OrderState.SHIPPED: frozenset(),
    OrderState.CANCELLED: frozenset(),
}

#: States in which allocation may (re)try to reserve stock.
ALLOCATABLE = frozenset({
    OrderState.NEW, OrderState.BACKORDERED, OrderState.PARTIALLY_ALLOCATED,
})


def check_transition(current: OrderState, target: OrderState, order_id: int | str) -> None:
    if target not in TRANSITIONS[current]:
        raise Conflict(
            f"order {order_id} is {current}; it cannot become {target}",
            code="invalid_order_state", order_id=order_id, state=str(current),
        )


def parse_channel(value: str) -> Channel:
    try:
        return Channel(value)
    except ValueError:
        raise InvalidInput(
            f"unknown channel {value!r}; use one of {', '.join(c.value for c in Channel)}",
            code="invalid_channel",
        ) from None


class LineState(StrEnum):
    OPEN = "open"  # nothing reserved or picked yet
    BACKORDERED = "backordered"  # some units could not be reserved
    ALLOCATED = "allocated"  # every unit reserved or already picked
    PICKED = "picked"  # every obtainable unit is in staging
    PACKED = "packed"  # every picked unit is in a carton
    SHIPPED = "shipped"  # left the building
    CANCELLED = "cancelled"  # the order was cancelled


@dataclass(frozen=True)
class LineQuantities:
    """A line's figures, in base units. ``allocated`` is reserved and not yet picked;
    ``backordered`` is what no bin could give. ``allocated + picked + backordered ==
    ordered`` until the line ships (a short-shipped line ships ``picked``)."""

    ordered: int
    allocated: int = 0
    picked: int = 0
    packed: int = 0
    shipped: int = 0
    backordered: int = 0


def line_state(q: LineQuantities, order_state: OrderState) -> LineState:
    """Derive a line's state from its quantities (never stored, so never stale)."""
    if order_state == OrderState.CANCELLED:
        return LineState.CANCELLED
    if q.shipped > 0 or order_state == OrderState.SHIPPED:
        return LineState.SHIPPED
    if q.picked and q.packed >= q.picked and q.allocated == 0:
        return LineState.PACKED
    if q.picked and q.allocated == 0 and order_state in (OrderState.PICKED, OrderState.PACKED):
        return LineState.PICKED
    if q.backordered:
        return LineState.BACKORDERED
    if q.allocated or q.picked:
        return LineState.ALLOCATED
    return LineState.OPEN


def picking_done_state(units_picked: int) -> OrderState:
    """The state of a waved order once no pick task is open: picked (short or not) when
    any unit reached staging, else backordered, so an order with nothing to pack never
    sits in ``picked`` where only packing could move it."""
    return OrderState.PICKED if units_picked > 0 else OrderState.BACKORDERED


def allocation_state(lines: list[LineQuantities]) -> OrderState:
    """The order state that allocation leaves behind, from its lines' figures."""
    reserved = sum(q.allocated + q.picked for q in lines)
    short = sum(q.backordered for q in lines)
    if short == 0:
        return OrderState.ALLOCATED
    return OrderState.PARTIALLY_ALLOCATED if reserved else OrderState.BACKORDERED
