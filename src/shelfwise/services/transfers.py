"""Transfer orders between facilities: draft → shipped → received (or cancelled).

Shipping posts one TRANSFER_OUT movement from the source bins into the destination's
in-transit location, so the destination's ``in_transit`` figure shows what is on the
way; receiving posts TRANSFER_IN from in-transit into destination locations. Both
change the document's state in the same transaction as the movement.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain import transfers as rules
from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType, validate_quantity
from shelfwise.domain.locations import LocationKind
from shelfwise.domain.transfers import TransferState
from shelfwise.services import floor_commands as fc
from shelfwise.services.context import Context
from shelfwise.services.receiving import claim, replay
from shelfwise.storage import catalog_store as cs
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.counting_tables import advance, transfer_lines, transfer_orders
from shelfwise.storage.tables import facilities, items

Scope = frozenset[int] | None
SHIP_FROM = (LocationKind.STORAGE, LocationKind.PICK_FACE, LocationKind.STAGING,
             LocationKind.SHIPPING)
RECEIVE_INTO = (LocationKind.RECEIVING, LocationKind.STORAGE, LocationKind.PICK_FACE)


@dataclass(frozen=True)
class TransferLine:
    item_id: int
    qty: int
    lot: str = ""


@dataclass(frozen=True)
class ShipPick:
    """Where one line is picked from at the source (and, optionally, its scans)."""

    line_id: int
    from_location_id: int
    lot: str | None = None
    item_scan: str | None = None


def create_transfer(
    ctx: Context, *, owner_id: int, source_facility_id: int, dest_facility_id: int,
    lines: Sequence[TransferLine], reference: str = "", scope: Scope = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Draft a transfer order. With ``idempotency_key``, a retried request (a lost
    response, a double tap) returns the transfer the first one created instead of a twin;
    the same key with a different body is refused."""
    fc.check_owner(scope, owner_id)
    rules.check_facilities(source_facility_id, dest_facility_id)
    if not lines or len(lines) > 1000:
        raise InvalidInput("a transfer needs 1..1000 lines", code="invalid_lines")
    for n, ln in enumerate(lines):
        validate_quantity(ln.qty, f"lines[{n}].qty")
    now = ctx.now()
    key = f"transfer:{idempotency_key}" if idempotency_key else None
    request = {"owner_id": owner_id, "source": source_facility_id, "dest": dest_facility_id,
               "reference": reference[:64],
               "lines": [[ln.item_id, ln.qty, ln.lot] for ln in lines]}

    def work(conn: Connection, _posted: list) -> int:
        prior = replay(conn, key, request)
        if prior is not None:
            return int(prior["transfer_id"])
        for fid in (source_facility_id, dest_facility_id):
            if conn.execute(sa.select(facilities.c.id).where(facilities.c.id == fid)).first() \
                    is None:
                raise NotFound(f"facility {fid} does not exist", code="facility_not_found")
        for ln in lines:
            item = fc.item_row(conn, ln.item_id, owner_id)
            if ln.lot and not item["lot_tracked"]:
                raise InvalidInput(f"item {ln.item_id} is not lot-tracked",
                                   code="lot_not_tracked")
        tid = conn.execute(sa.insert(transfer_orders).returning(transfer_orders.c.id), {
            "owner_id": owner_id, "source_facility_id": source_facility_id,
            "dest_facility_id": dest_facility_id, "reference": reference[:64],
            "state": TransferState.DRAFT.value, "created_at": now,
        }).scalar_one()
        conn.execute(sa.insert(transfer_lines), [
            {"transfer_id": tid, "owner_id": owner_id, "item_id": ln.item_id,
             "lot": ln.lot, "qty": ln.qty} for ln in lines])
        claim(ctx, conn, key, request, {"transfer_id": tid})
        return tid

    tid = fc.run(ctx, work)
    return get_transfer(ctx, tid, scope)


def get_transfer(ctx: Context, transfer_id: int, scope: Scope) -> dict[str, Any]:
    with ctx.read() as conn:
        return _load(conn, transfer_id, scope)


def _load(conn: Connection, transfer_id: int, scope: Scope) -> dict[str, Any]:
    row = cs.one(conn, sa.select(transfer_orders).where(transfer_orders.c.id == transfer_id))
    if row is None or not fc.in_scope(scope, row["owner_id"]):
        raise NotFound(f"transfer {transfer_id} does not exist", code="transfer_not_found")
    row["lines"] = cs.rows(conn, sa.select(transfer_lines, items.c.sku)
                           .join(items, items.c.id == transfer_lines.c.item_id)
                           .where(transfer_lines.c.transfer_id == transfer_id)
                           .order_by(transfer_lines.c.id))
    return row


def list_transfers(ctx: Context, scope: Scope, *, facility_id: int | None = None,
                   state: str | None = None, limit: int = 50,
                   offset: int = 0) -> list[dict[str, Any]]:
    t = transfer_orders
    stmt = sa.select(t).order_by(t.c.id.desc()).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(t.c.owner_id.in_(list(scope)))
    if facility_id is not None:
        stmt = stmt.where(sa.or_(t.c.source_facility_id == facility_id,
                                 t.c.dest_facility_id == facility_id))
    if state is not None:
        stmt = stmt.where(t.c.state == state)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def ship_transfer(
    ctx: Context, transfer_id: int, *, picks: Sequence[ShipPick], user: str = "",
    device: str = "", scope: Scope = None,
) -> dict[str, Any]:
    """Pick every line from its source bin and post it into the destination's transit.

    Every line must be picked, in full (partial transfers are separate orders).
    """
    doc = get_transfer(ctx, transfer_id, scope)
    rules.check_transition(doc["state"], TransferState.SHIPPED, transfer_id)
    by_line = {p.line_id: p for p in picks}
    line_ids = {ln["id"] for ln in doc["lines"]}
    if set(by_line) != line_ids or len(picks) != len(by_line):
        raise InvalidInput("name exactly one pick per transfer line",
                           code="picks_do_not_match_lines")
    for ln in doc["lines"]:
        p = by_line[ln["id"]]
        if p.item_scan is not None:
            fc.scan_item(ctx, p.item_scan, owner_id=doc["owner_id"],
                         facility_id=doc["source_facility_id"], task_type="transfer",
                         task_id=transfer_id, user=user, device=device,
                         expected_item_id=ln["item_id"])
    now = ctx.now()

    def work(conn: Connection, posted: list[MovementCommand]) -> dict[str, Any]:
        d = _load(conn, transfer_id, scope)
        transit = fc.virtual(conn, d["dest_facility_id"], LocationKind.IN_TRANSIT)
        lines = []
        for ln in d["lines"]:
            p = by_line[ln["id"]]
            src = fc.location(conn, ctx, p.from_location_id)
            fc.require_kind(src, SHIP_FROM, d["source_facility_id"], "source")
            lot = ln["lot"] or (p.lot or "")
            if ln["lot"] and p.lot not in (None, "", ln["lot"]):
                raise InvalidInput(f"line {ln['id']} is for lot {ln['lot']!r}", code="wrong_lot")
            conn.execute(sa.update(transfer_lines).where(transfer_lines.c.id == ln["id"])
                         .values(from_location_id=p.from_location_id, lot=lot))
            lines.append(LineCommand(ln["item_id"], p.from_location_id, transit, ln["qty"], lot))
        if not advance(conn, transfer_orders, transfer_id, [TransferState.DRAFT.value],
                       TransferState.SHIPPED.value, shipped_at=now):
            raise fc.changed_meanwhile("transfer", transfer_id, "invalid_transfer_state")
        mid = fc.post(ctx, conn, posted, MovementCommand(
            owner_id=d["owner_id"], type=MovementType.TRANSFER_OUT, lines=tuple(lines),
            document_type="transfer", document_id=str(transfer_id), user=user,
            device=device, idempotency_key=f"transfer-ship:{transfer_id}"))
        conn.execute(sa.update(transfer_orders).where(transfer_orders.c.id == transfer_id)
                     .values(ship_movement_id=mid))
        _event(conn, "transfer.shipped", d, mid, now)
        return {"transfer_id": transfer_id, "state": TransferState.SHIPPED.value,
                "movement_id": mid}

    return fc.run(ctx, work)


def receive_transfer(
    ctx: Context, transfer_id: int, *, to_location_id: int,
    line_locations: Mapping[int, int] | None = None, user: str = "", device: str = "",
    scope: Scope = None,
) -> dict[str, Any]:
    """Receive every line from in-transit into ``to_location_id`` (or a per-line
    location from ``line_locations``) at the destination."""
    now = ctx.now()
    overrides = dict(line_locations or {})

    def work(conn: Connection, posted: list[MovementCommand]) -> dict[str, Any]:
        d = _load(conn, transfer_id, scope)
        rules.check_transition(d["state"], TransferState.RECEIVED, transfer_id)
        unknown = set(overrides) - {ln["id"] for ln in d["lines"]}
        if unknown:
            raise InvalidInput(f"line {sorted(unknown)[0]} is not on this transfer",
                               code="unknown_line")
        transit = fc.virtual(conn, d["dest_facility_id"], LocationKind.IN_TRANSIT)
        lines = []
        for ln in d["lines"]:
            dst = overrides.get(ln["id"], to_location_id)
            fc.require_kind(fc.location(conn, ctx, dst), RECEIVE_INTO, d["dest_facility_id"],
                            "receiving")
            conn.execute(sa.update(transfer_lines).where(transfer_lines.c.id == ln["id"])
                         .values(to_location_id=dst))
            lines.append(LineCommand(ln["item_id"], transit, dst, ln["qty"], ln["lot"]))
        if not advance(conn, transfer_orders, transfer_id, [TransferState.SHIPPED.value],
                       TransferState.RECEIVED.value, received_at=now):
            raise fc.changed_meanwhile("transfer", transfer_id, "invalid_transfer_state")
        mid = fc.post(ctx, conn, posted, MovementCommand(
            owner_id=d["owner_id"], type=MovementType.TRANSFER_IN, lines=tuple(lines),
            document_type="transfer", document_id=str(transfer_id), user=user,
            device=device, idempotency_key=f"transfer-receive:{transfer_id}"))
        conn.execute(sa.update(transfer_orders).where(transfer_orders.c.id == transfer_id)
                     .values(receive_movement_id=mid))
        _event(conn, "transfer.received", d, mid, now)
        return {"transfer_id": transfer_id, "state": TransferState.RECEIVED.value,
                "movement_id": mid}

    return fc.run(ctx, work)


def cancel_transfer(ctx: Context, transfer_id: int, *, scope: Scope = None) -> dict[str, Any]:
    now = ctx.now()
    with ctx.write() as conn:
        d = _load(conn, transfer_id, scope)
        rules.check_transition(d["state"], TransferState.CANCELLED, transfer_id)
        if not advance(conn, transfer_orders, transfer_id, [TransferState.DRAFT.value],
                       TransferState.CANCELLED.value, cancelled_at=now):
            raise fc.changed_meanwhile("transfer", transfer_id, "invalid_transfer_state")
        _event(conn, "transfer.cancelled", d, None, now)
    return {"transfer_id": transfer_id, "state": TransferState.CANCELLED.value}


def in_transit(ctx: Context, scope: Scope, facility_id: int) -> dict[str, list[dict[str, Any]]]:
    """What is on the road for a facility, from both ends: ``outbound`` (shipped from
    here, not yet received there) and ``inbound`` (shipped to here), per item and lot."""
    t, ln = transfer_orders, transfer_lines
    base = (sa.select(t.c.owner_id, ln.c.item_id, items.c.sku, ln.c.lot,
                      t.c.source_facility_id, t.c.dest_facility_id,
                      sa.func.sum(ln.c.qty).label("qty"))
            .join(ln, ln.c.transfer_id == t.c.id).join(items, items.c.id == ln.c.item_id)
            .where(t.c.state == TransferState.SHIPPED.value)
            .group_by(t.c.owner_id, ln.c.item_id, items.c.sku, ln.c.lot,
                      t.c.source_facility_id, t.c.dest_facility_id)
            .order_by(t.c.owner_id, ln.c.item_id, ln.c.lot))
    if scope is not None:
        base = base.where(t.c.owner_id.in_(list(scope)))
    with ctx.read() as conn:
        out = cs.rows(conn, base.where(t.c.source_facility_id == facility_id))
        inb = cs.rows(conn, base.where(t.c.dest_facility_id == facility_id))
    for r in out + inb:
        r["qty"] = int(r["qty"])
    return {"outbound": out, "inbound": inb}


def _event(conn: Connection, topic: str, d: dict[str, Any], mid: int | None, now) -> None:
    ls.insert_events(conn, [{"topic": topic, "owner_id": d["owner_id"], "created_at": now,
                             "payload": json.dumps({"transfer_id": d["id"],
                                                    "movement_id": mid})}])
