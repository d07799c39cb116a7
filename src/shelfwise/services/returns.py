"""Customer returns (RMA): authorise against a shipped order, receive, inspect.

Receiving posts one RETURN movement from the facility's customer location onto a
receiving dock; each line's inspection posts its own movement (restock, damaged or
scrap) and the RMA closes, in the same transaction, when the last line is decided.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain import returns as rules
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType, validate_quantity
from shelfwise.domain.locations import LocationKind
from shelfwise.domain.returns import Disposition, RmaState
from shelfwise.services import catalog
from shelfwise.services import floor_commands as fc
from shelfwise.services.context import Context
from shelfwise.services.receiving import claim, replay
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.counting_tables import advance, rma_lines, rmas
from shelfwise.storage.tables import facilities, items

Scope = frozenset[int] | None


@dataclass(frozen=True)
class RmaLine:
    item_id: int
    qty: int
    lot: str = ""


def create_rma(
    ctx: Context, *, owner_id: int, facility_id: int, order_reference: str,
    lines: Sequence[RmaLine], scope: Scope = None, idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Authorise a return of ``lines`` against the store order ``order_reference``.

    With ``idempotency_key`` a retried request returns the RMA the first one created
    (a customer-service tool that times out must not authorise the return twice)."""
    fc.check_owner(scope, owner_id)
    reference = (order_reference or "").strip()
    if not reference or len(reference) > 64:
        raise InvalidInput("an RMA needs the order reference it returns (1..64 characters)",
                           code="order_reference_required")
    if not lines or len(lines) > 1000:
        raise InvalidInput("an RMA needs 1..1000 lines", code="invalid_lines")
    for n, ln in enumerate(lines):
        validate_quantity(ln.qty, f"lines[{n}].qty")
    now = ctx.now()
    key = f"rma:{idempotency_key}" if idempotency_key else None
    request = {"owner_id": owner_id, "facility_id": facility_id, "order": reference,
               "lines": [[ln.item_id, ln.qty, ln.lot] for ln in lines]}

    def work(conn: Connection, _posted: list) -> int:
        prior = replay(conn, key, request)
        if prior is not None:
            return int(prior["rma_id"])
        if conn.execute(sa.select(facilities.c.id).where(facilities.c.id == facility_id)) \
                .first() is None:
            raise NotFound(f"facility {facility_id} does not exist", code="facility_not_found")
        for ln in lines:
            item = fc.item_row(conn, ln.item_id, owner_id)
            if ln.lot and not item["lot_tracked"]:
                raise InvalidInput(f"item {ln.item_id} is not lot-tracked",
                                   code="lot_not_tracked")
        rid = conn.execute(sa.insert(rmas).returning(rmas.c.id), {
            "owner_id": owner_id, "facility_id": facility_id, "order_reference": reference,
            "state": RmaState.AUTHORISED.value, "created_at": now,
        }).scalar_one()
        conn.execute(sa.insert(rma_lines), [
            {"rma_id": rid, "owner_id": owner_id, "item_id": ln.item_id, "lot": ln.lot,
             "qty": ln.qty} for ln in lines])
        claim(ctx, conn, key, request, {"rma_id": rid})
        return rid

    rid = fc.run(ctx, work)
    return get_rma(ctx, rid, scope)


def get_rma(ctx: Context, rma_id: int, scope: Scope) -> dict[str, Any]:
    with ctx.read() as conn:
        return _load(conn, rma_id, scope)


def _load(conn: Connection, rma_id: int, scope: Scope) -> dict[str, Any]:
    row = cs.one(conn, sa.select(rmas).where(rmas.c.id == rma_id))
    if row is None or not fc.in_scope(scope, row["owner_id"]):
        raise NotFound(f"RMA {rma_id} does not exist", code="rma_not_found")
    row["lines"] = cs.rows(conn, sa.select(rma_lines, items.c.sku)
                           .join(items, items.c.id == rma_lines.c.item_id)
                           .where(rma_lines.c.rma_id == rma_id).order_by(rma_lines.c.id))
    return row


def list_rmas(ctx: Context, scope: Scope, *, facility_id: int | None = None,
              state: str | None = None, order_reference: str | None = None,
              limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    stmt = sa.select(rmas).order_by(rmas.c.id.desc()).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(rmas.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(rmas.c.facility_id == facility_id)
    if state is not None:
        stmt = stmt.where(rmas.c.state == state)
    if order_reference is not None:
        stmt = stmt.where(rmas.c.order_reference == order_reference)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def receive_rma(
    ctx: Context, rma_id: int, *, to_location_id: int,
    received: Mapping[int, int] | None = None, user: str = "", device: str = "",
    scope: Scope = None,
) -> dict[str, Any]:
    """Receive the returned goods onto a receiving location. ``received`` maps line id to
    the quantity that arrived (default: as authorised; 0 = nothing came back)."""
    now = ctx.now()
    counts = dict(received or {})

    def work(conn: Connection, posted: list[MovementCommand]) -> dict[str, Any]:
        r = _load(conn, rma_id, scope)
        rules.check_transition(r["state"], RmaState.RECEIVED, rma_id)
        fc.require_kind(fc.location(conn, ctx, to_location_id), [LocationKind.RECEIVING],
                        r["facility_id"], "receiving")
        unknown = set(counts) - {ln["id"] for ln in r["lines"]}
        if unknown:
            raise InvalidInput(f"line {sorted(unknown)[0]} is not on this RMA",
                               code="unknown_line")
        customer = fc.virtual(conn, r["facility_id"], LocationKind.CUSTOMER)
        lines = []
        for ln in r["lines"]:
            qty = counts.get(ln["id"], ln["qty"])
            if isinstance(qty, bool) or not isinstance(qty, int) or not 0 <= qty <= ln["qty"]:
                raise InvalidInput(f"line {ln['id']} authorises {ln['qty']}; got {qty!r}",
                                   code="invalid_quantity")
            conn.execute(sa.update(rma_lines).where(rma_lines.c.id == ln["id"]).values(
                received_qty=qty, received_location_id=to_location_id))
            if qty:
                if ln["lot"]:
                    catalog.ensure_lot(ctx, conn, r["owner_id"], ln["item_id"], ln["lot"], None)
                lines.append(LineCommand(ln["item_id"], customer, to_location_id, qty, ln["lot"]))
        if not lines:
            raise InvalidInput("nothing was received; cancel the RMA instead",
                               code="nothing_received")
        if not advance(conn, rmas, rma_id, [RmaState.AUTHORISED.value],
                       RmaState.RECEIVED.value, received_at=now):
            raise fc.changed_meanwhile("RMA", rma_id, "invalid_rma_state")
        mid = fc.post(ctx, conn, posted, MovementCommand(
            owner_id=r["owner_id"], type=MovementType.RETURN, lines=tuple(lines),
            document_type="rma", document_id=str(rma_id), user=user, device=device,
            note=f"order {r['order_reference']}", idempotency_key=f"rma-receive:{rma_id}"))
        conn.execute(sa.update(rmas).where(rmas.c.id == rma_id)
                     .values(receive_movement_id=mid))
        _event(conn, "rma.received", r["owner_id"], {"rma_id": rma_id, "movement_id": mid},
               now)
        return {"rma_id": rma_id, "state": RmaState.RECEIVED.value, "movement_id": mid}

    return fc.run(ctx, work)


def inspect_line(
    ctx: Context, rma_id: int, line_id: int, *, disposition: str,
    to_location_id: int | None = None, reason: str = "", user: str = "", device: str = "",
    scope: Scope = None,
) -> dict[str, Any]:
    """Decide one received line: restock (to a storage/pick-face location), damaged (to
    a damaged location) or scrap (to the scrap account, with a reason)."""
    disp = rules.parse_disposition(disposition)
    if disp == Disposition.SCRAP and not reason.strip():
        raise InvalidInput("say why the return is scrapped", code="reason_required")
    now = ctx.now()

    def work(conn: Connection, posted: list[MovementCommand]) -> dict[str, Any]:
        r = _load(conn, rma_id, scope)
        if r["state"] != RmaState.RECEIVED.value:
            raise Conflict(f"RMA {rma_id} is {r['state']}; inspect received returns only",
                           code="invalid_rma_state")
        line = next((ln for ln in r["lines"] if ln["id"] == line_id), None)
        if line is None:
            raise NotFound(f"line {line_id} is not on RMA {rma_id}", code="rma_line_not_found")
        if line["disposition"] or not line["received_qty"]:
            raise Conflict(f"line {line_id} has nothing left to inspect",
                           code="line_already_inspected")
        mtype, kinds = rules.DISPOSITION_RULES[disp]
        if disp == Disposition.SCRAP:
            dst = fc.virtual(conn, r["facility_id"], LocationKind.SCRAP)
        elif to_location_id is not None:
            dst = to_location_id
        elif disp == Disposition.DAMAGED:
            dst = fc.first_location(conn, r["facility_id"], LocationKind.DAMAGED)
        else:
            raise InvalidInput("name the location to restock to", code="location_required")
        fc.require_kind(fc.location(conn, ctx, dst), kinds, r["facility_id"], "destination")
        done = conn.execute(
            sa.update(rma_lines).where(rma_lines.c.id == line_id, rma_lines.c.disposition == "")
            .values(disposition=disp.value, disposition_location_id=dst,
                    reason=(reason or disp.value).strip()[:64], inspected_at=now))
        if done.rowcount != 1:
            raise fc.changed_meanwhile("RMA line", line_id, "line_already_inspected")
        mid = fc.post(ctx, conn, posted, MovementCommand(
            owner_id=r["owner_id"], type=mtype,
            lines=(LineCommand(line["item_id"], line["received_location_id"], dst,
                               line["received_qty"], line["lot"]),),
            reason=(reason or f"return_{disp.value}").strip()[:64], document_type="rma",
            document_id=str(rma_id), user=user, device=device))
        conn.execute(sa.update(rma_lines).where(rma_lines.c.id == line_id)
                     .values(movement_id=mid))
        open_lines = conn.execute(sa.select(sa.func.count()).where(
            rma_lines.c.rma_id == rma_id, rma_lines.c.received_qty > 0,
            rma_lines.c.disposition == "")).scalar_one()
        state = RmaState.RECEIVED
        if open_lines == 0:
            rules.check_transition(r["state"], RmaState.CLOSED, rma_id)
            advance(conn, rmas, rma_id, [RmaState.RECEIVED.value], RmaState.CLOSED.value,
                    closed_at=now)
            state = RmaState.CLOSED
        _event(conn, "rma.inspected", r["owner_id"],
               {"rma_id": rma_id, "line_id": line_id, "disposition": disp.value,
                "movement_id": mid}, now)
        return {"rma_id": rma_id, "line_id": line_id, "disposition": disp.value,
                "movement_id": mid, "state": state.value}

    return fc.run(ctx, work)


def cancel_rma(ctx: Context, rma_id: int, *, scope: Scope = None) -> dict[str, Any]:
    with ctx.write() as conn:
        r = _load(conn, rma_id, scope)
        rules.check_transition(r["state"], RmaState.CANCELLED, rma_id)
        if not advance(conn, rmas, rma_id, [RmaState.AUTHORISED.value],
                       RmaState.CANCELLED.value, closed_at=ctx.now()):
            raise fc.changed_meanwhile("RMA", rma_id, "invalid_rma_state")
    return {"rma_id": rma_id, "state": RmaState.CANCELLED.value}


def _event(conn: Connection, topic: str, owner_id: int, payload: dict[str, Any], now) -> None:
    ls.insert_events(conn, [{"topic": topic, "owner_id": owner_id, "created_at": now,
                             "payload": json.dumps(payload)}])
