"""Quarantine: put stock on hold in the facility's quarantine area, and release it.

Held stock is still on hand but counts as ``held``, never as available, because it sits
in a quarantine (or damaged) location; the hold is a real movement, so the ledger says
who held what, when and why.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from shelfwise.domain.errors import InvalidInput
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType, validate_quantity
from shelfwise.domain.locations import HELD_KINDS, SELLABLE_KINDS, LocationKind
from shelfwise.services import floor_commands as fc
from shelfwise.services.context import Context

Scope = frozenset[int] | None
#: Where held stock may come from: anywhere physical but already-held areas.
HOLDABLE_KINDS = frozenset({LocationKind.RECEIVING, LocationKind.STORAGE,
                            LocationKind.PICK_FACE, LocationKind.STAGING})


def hold_stock(
    ctx: Context, *, owner_id: int, item_id: int, from_location_id: int, qty: int,
    reason: str, lot: str = "", to_location_id: int | None = None, user: str = "",
    device: str = "", note: str = "", idempotency_key: str | None = None,
    scope: Scope = None,
) -> dict[str, Any]:
    """Move ``qty`` into quarantine (the facility's first quarantine location unless
    ``to_location_id`` names a quarantine/damaged one). A reason is required."""
    fc.check_owner(scope, owner_id)
    validate_quantity(qty)
    if not reason.strip():
        raise InvalidInput("say why the stock is held", code="reason_required")

    def work(conn: Connection, posted: list[MovementCommand]) -> dict[str, Any]:
        src = fc.location(conn, ctx, from_location_id)
        fc.require_kind(src, HOLDABLE_KINDS, src.facility_id, "source")
        dst_id = to_location_id if to_location_id is not None else fc.first_location(
            conn, src.facility_id, LocationKind.QUARANTINE)
        fc.require_kind(fc.location(conn, ctx, dst_id), HELD_KINDS, src.facility_id,
                        "quarantine")
        mid = fc.post(ctx, conn, posted, MovementCommand(
            owner_id=owner_id, type=MovementType.HOLD,
            lines=(LineCommand(item_id, from_location_id, dst_id, qty, lot),),
            reason=reason.strip()[:64], document_type="quarantine", user=user, device=device,
            note=note, idempotency_key=idempotency_key))
        return {"movement_id": mid, "from_location_id": from_location_id,
                "to_location_id": dst_id, "qty": qty}

    return fc.run(ctx, work)


def release_stock(
    ctx: Context, *, owner_id: int, item_id: int, from_location_id: int,
    to_location_id: int, qty: int, lot: str = "", reason: str = "released",
    user: str = "", device: str = "", idempotency_key: str | None = None,
    scope: Scope = None,
) -> dict[str, Any]:
    """Move held stock back to a storage or pick-face location of the same facility."""
    fc.check_owner(scope, owner_id)
    validate_quantity(qty)

    def work(conn: Connection, posted: list[MovementCommand]) -> dict[str, Any]:
        src = fc.location(conn, ctx, from_location_id)
        fc.require_kind(src, HELD_KINDS, src.facility_id, "held")
        fc.require_kind(fc.location(conn, ctx, to_location_id), SELLABLE_KINDS,
                        src.facility_id, "destination")
        mid = fc.post(ctx, conn, posted, MovementCommand(
            owner_id=owner_id, type=MovementType.RELEASE,
            lines=(LineCommand(item_id, from_location_id, to_location_id, qty, lot),),
            reason=(reason or "released").strip()[:64], document_type="quarantine",
            user=user, device=device, idempotency_key=idempotency_key))
        return {"movement_id": mid, "from_location_id": from_location_id,
                "to_location_id": to_location_id, "qty": qty}

    return fc.run(ctx, work)
