"""Packing and shipping.

Packing scan-verifies each unit into a carton (the right item, a lot that was picked
for this order, not expired), weighs it and gives it an SSCC. Shipping buys a label
from the order's carrier (outside the transaction; voided again if recording fails),
then in one transaction posts the packed units from staging to the customer
(``MovementType.SHIP``), stores the shipment and completes the order.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.barcodes import ScanError, WrongItem, WrongLot, match_item_scan, parse_scan
from shelfwise.domain.billing import Activity
from shelfwise.domain.carriers import (
    CarrierAdapter,
    Label,
    Parcel,
    Shipment,
    default_carriers,
    get_carrier,
)
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.domain.ledger import LineCommand, MovementCommand, MovementType
from shelfwise.domain.locations import LocationKind
from shelfwise.domain.orders import OrderState, check_transition
from shelfwise.domain.packing import (
    DEFAULT_COMPANY_PREFIX,
    CartonState,
    carton_weight_g,
    check_weight,
    make_sscc,
)
from shelfwise.domain.picking import WaveState
from shelfwise.labels import Address
from shelfwise.services import ledger, metering, scans
from shelfwise.services.context import Context
from shelfwise.services.orders import Scope, _in_scope, transact
from shelfwise.storage import ledger_store as ls
from shelfwise.storage.outbound_tables import (
    carton_lines,
    cartons,
    order_lines,
    orders,
    pick_tasks,
    shipments,
    waves,
)
from shelfwise.storage.tables import facilities, item_gtins, items, locations, lots

CARTON_TARE_G = 150


def carriers(ctx: Context) -> dict[str, CarrierAdapter]:
    """The carrier adapters this process uses (``manual`` built in); register more with
    :func:`register_carrier` at start-up."""
    return ctx.cache.setdefault("carriers", default_carriers())


def register_carrier(ctx: Context, adapter: CarrierAdapter) -> None:
    carriers(ctx)[adapter.code] = adapter


# -- packing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CartonRequest:
    """Units scanned into one carton (one scan per unit, or a GS1 scan with a count, AI
    30); ``weight_g`` from the pack-bench scale, else computed from item weights."""

    order_id: int
    scans: tuple[str, ...]
    weight_g: int | None = None


@dataclass
class _PackState:
    order: Any
    lines: dict[int, dict[str, Any]]  # line id -> line
    by_gtin: dict[str, list[int]]  # gtin14 -> line ids
    remaining: dict[tuple[int, str], int]  # (line id, lot) -> picked not yet packed
    expiry: dict[tuple[int, str], Any]
    weights: dict[int, int]


def _ids_in(column: Any) -> Any:
    return column.in_(sa.bindparam("ids", expanding=True))


_PACK_ORDERS = sa.select(orders.c.id, orders.c.owner_id, orders.c.facility_id,
                         orders.c.number, orders.c.state).where(_ids_in(orders.c.id))
_PACK_LINES = sa.select(order_lines.c.id, order_lines.c.order_id, order_lines.c.line_no,
                        order_lines.c.item_id).where(_ids_in(order_lines.c.order_id))
_PACK_GTINS = sa.select(item_gtins.c.item_id, item_gtins.c.owner_id, item_gtins.c.gtin).where(
    _ids_in(item_gtins.c.item_id))
_PICKED_QTY = (
    sa.select(pick_tasks.c.order_id, pick_tasks.c.order_line_id, pick_tasks.c.lot,
              sa.func.sum(pick_tasks.c.picked_qty))
    .where(_ids_in(pick_tasks.c.order_id))
    .group_by(pick_tasks.c.order_id, pick_tasks.c.order_line_id, pick_tasks.c.lot)
)
_PACKED_QTY = (
    sa.select(cartons.c.order_id, carton_lines.c.order_line_id, carton_lines.c.lot,
              sa.func.sum(carton_lines.c.qty))
    .join(cartons, cartons.c.id == carton_lines.c.carton_id)
    .where(_ids_in(cartons.c.order_id))
    .group_by(cartons.c.order_id, carton_lines.c.order_line_id, carton_lines.c.lot)
)


def _pack_states(conn: Connection, order_ids: set[int], scope: Scope
                 ) -> dict[int, _PackState]:
    """What each order has picked and not yet packed, per line and lot (set-based)."""
    ids = sorted(order_ids)
    found = {o.id: o for o in conn.execute(_PACK_ORDERS, {"ids": ids})}
    for oid in ids:
        o = found.get(oid)
        if o is None or not _in_scope(scope, o.owner_id):
            raise NotFound(f"order {oid} does not exist", code="order_not_found")
        if o.state != OrderState.PICKED.value:
            check_transition(OrderState(o.state), OrderState.PACKED, oid)
    lines: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    for r in ls.as_dicts(conn.execute(_PACK_LINES, {"ids": ids})):
        lines[r["order_id"]][r["id"]] = r
    item_ids = sorted({ln["item_id"] for ls_ in lines.values() for ln in ls_.values()})
    gtins: dict[tuple[int, int], list[str]] = defaultdict(list)
    for item_id, owner_id, g in conn.execute(_PACK_GTINS, {"ids": item_ids}):
        gtins[(owner_id, item_id)].append(g)
    remaining: dict[int, dict[tuple[int, str], int]] = defaultdict(lambda: defaultdict(int))
    for oid, lid, lot, q in conn.execute(_PICKED_QTY, {"ids": ids}):
        remaining[oid][(lid, lot)] += int(q or 0)
    for oid, lid, lot, q in conn.execute(_PACKED_QTY, {"ids": ids}):
        remaining[oid][(lid, lot)] -= int(q)
    exp: dict[tuple[int, str], Any] = {}
    if any(lot for rem in remaining.values() for _, lot in rem):
        exp = {(r.item_id, r.code): r.expiry for r in conn.execute(
            sa.select(lots.c.item_id, lots.c.code, lots.c.expiry)
            .where(lots.c.item_id.in_(item_ids)))}
    weights = dict(conn.execute(sa.select(items.c.id, items.c.weight_g)
                                .where(items.c.id.in_(item_ids))).all())
    out = {}
    for oid in ids:
        o, ls_ = found[oid], lines[oid]
        by_gtin: dict[str, list[int]] = defaultdict(list)
        for lid, ln in sorted(ls_.items()):
            for g in gtins[(o.owner_id, ln["item_id"])]:
                by_gtin[g].append(lid)
        rem = remaining[oid]
        expiry = {(lid, lot): exp.get((ls_[lid]["item_id"], lot)) for lid, lot in rem if lot}
        out[oid] = _PackState(o, ls_, by_gtin, rem, expiry, weights)
    return out


def _place_scan(st: _PackState, raw: str, today: date,
                matched: set[tuple[str, int, str]]) -> tuple[int, str, int]:
    """Which (line, lot) one scan packs, and how many units; a ScanError if none.
    ``matched`` remembers (scan, line, lot) already checked against the line, since a
    packer scans the same label once per unit and the check's answer cannot change."""
    scan = parse_scan(raw)
    qty = scan.count or 1
    line_ids = st.by_gtin.get(scan.gtin14 or "", [])
    if not line_ids:
        raise WrongItem(f"scan {raw!r} is not an item of order {st.order.number}")
    for lid in line_ids:
        lots_left = [lot for (l2, lot), q in st.remaining.items() if l2 == lid and q > 0]
        if not lots_left:
            continue
        if scan.lot is not None:
            if scan.lot not in lots_left:
                raise WrongLot(f"lot {scan.lot!r} was not picked for order {st.order.number}")
            lot = scan.lot
        elif lots_left == [""]:
            lot = ""
        elif len(lots_left) == 1:
            lot = lots_left[0]
        else:
            raise WrongLot("several lots were picked for this item: scan the lot label")
        ln = st.lines[lid]
        if (raw, lid, lot) not in matched:
            gtins = {g for g, ids in st.by_gtin.items() if lid in ids}
            match_item_scan(scan, gtins, lot or None, st.expiry.get((lid, lot)), today)
            matched.add((raw, lid, lot))
        if st.remaining[(lid, lot)] < qty:
            raise InvalidInput(f"only {st.remaining[(lid, lot)]} unit(s) of line "
                               f"{ln['line_no']} are left to pack", code="over_pack")
        st.remaining[(lid, lot)] -= qty
        return lid, lot, qty
    raise InvalidInput(f"every picked unit of {scan.gtin14} is already packed",
                       code="over_pack")


_SET_SSCC = "UPDATE cartons SET sscc = :sscc WHERE id = :id"
_INSERT_CARTON_LINE = ("INSERT INTO carton_lines (carton_id, order_line_id, item_id, lot, qty)"
                       " VALUES (:carton_id, :order_line_id, :item_id, :lot, :qty)")
_LINE_PACKED = "UPDATE order_lines SET packed = packed + :q WHERE id = :id"
_CARTONS_SHIPPED = ("UPDATE cartons SET state = :shipped, shipment_id = :shipment_id"
                    " WHERE order_id = :order_id AND state = :packed")


def pack_cartons(ctx: Context, requests: Sequence[CartonRequest], *, scope: Scope = None,
                 user: str = "", device: str = "") -> list[dict[str, Any]]:
    """Pack cartons (of one or many orders) in one transaction. A refused scan is
    recorded as a scan exception and nothing is packed."""
    if not requests:
        return []
    prefix = getattr(ctx.settings, "gs1_company_prefix", None) or DEFAULT_COMPANY_PREFIX
    now = ctx.now()

    def run(conn: Connection) -> list[dict[str, Any]]:
        states = _pack_states(conn, {r.order_id for r in requests}, scope)
        plans = []
        matched: set[tuple[str, int, str]] = set()
        today = now.date()
        for req in requests:
            if req.weight_g is not None:
                check_weight(req.weight_g)
            if not req.scans:
                raise InvalidInput("scan at least one unit into the carton", code="empty_carton")
            st = states[req.order_id]
            units: dict[tuple[int, str], int] = defaultdict(int)
            for raw in req.scans:
                try:
                    lid, lot, q = _place_scan(st, raw, today, matched)
                except ScanError as e:
                    raise _PackRefusal(st, e, raw) from None
                units[(lid, lot)] += q
            weight = req.weight_g or carton_weight_g(
                ((st.weights[st.lines[lid]["item_id"]], q) for (lid, _), q in units.items()),
                CARTON_TARE_G)
            plans.append((req, st, units, weight))
        cids = ls.insert_ids(conn, cartons, [
            {"order_id": req.order_id, "owner_id": st.order.owner_id, "weight_g": weight,
             "state": CartonState.PACKED.value, "packed_by": user, "created_at": now}
            for req, st, _, weight in plans])
        metering.record_in(conn, [
            metering.work_event(st.order.owner_id, st.order.facility_id,
                                Activity.CARTONS_PACKED, "carton", cid, now)
            for cid, (_, st, _, _) in zip(cids, plans, strict=True)])
        ssccs = [make_sscc(prefix, cid) for cid in cids]
        ls.executemany(conn, _SET_SSCC,
                       [{"id": c, "sscc": x} for c, x in zip(cids, ssccs, strict=True)])
        ls.executemany(conn, _INSERT_CARTON_LINE, [
            {"carton_id": cid, "order_line_id": lid, "item_id": st.lines[lid]["item_id"],
             "lot": lot, "qty": q}
            for cid, (_, st, units, _) in zip(cids, plans, strict=True)
            for (lid, lot), q in sorted(units.items())])
        out = [{"carton_id": cid, "order_id": req.order_id, "sscc": sscc, "weight_g": weight,
                "lines": [{"order_line_id": lid, "lot": lot, "qty": q}
                          for (lid, lot), q in sorted(units.items())]}
               for cid, sscc, (req, _, units, weight) in zip(cids, ssccs, plans, strict=True)]
        packed: dict[int, int] = defaultdict(int)
        for _, _, units, _ in plans:
            for (lid, _), q in units.items():
                packed[lid] += q
        ls.executemany(conn, _LINE_PACKED,
                       [{"id": k, "q": v} for k, v in sorted(packed.items())])
        done = [oid for oid, st in states.items()
                if all(q == 0 for q in st.remaining.values())]
        if done:
            conn.execute(sa.update(orders).where(orders.c.id.in_(done),
                                                 orders.c.state == OrderState.PICKED.value)
                         .values(state=OrderState.PACKED.value, updated_at=now))
        for c in out:
            c["order_state"] = (OrderState.PACKED if c["order_id"] in done
                                else OrderState.PICKED).value
        return out

    try:
        return transact(ctx, run)
    except _PackRefusal as r:
        scans.record_exception(
            ctx, code=r.err.code, message=r.err.message, task_type="pack",
            task_id=r.st.order.id, scanned=r.raw, owner_id=r.st.order.owner_id,
            facility_id=r.st.order.facility_id, user=user, device=device)
        raise r.err from None


class _PackRefusal(Exception):
    def __init__(self, st: _PackState, err: ScanError, raw: str) -> None:
        super().__init__(err.message)
        self.st, self.err, self.raw = st, err, raw


def pack_carton(ctx: Context, order_id: int, scans_: Sequence[str], *,
                weight_g: int | None = None, scope: Scope = None, user: str = "",
                device: str = "") -> dict[str, Any]:
    return pack_cartons(ctx, [CartonRequest(order_id, tuple(scans_), weight_g)], scope=scope,
                        user=user, device=device)[0]


# -- shipping --------------------------------------------------------------------------


def _address(text: str) -> Address:
    d = json.loads(text)
    return Address(d["name"], tuple(d.get("lines") or ()), d["city"], d["postcode"],
                   d["country"])


def ship_orders(ctx: Context, order_ids: Sequence[int], *, scope: Scope = None,
                user: str = "", device: str = "") -> list[dict[str, Any]]:
    """Ship packed orders: labels first, then one transaction posting every order's
    packed units from staging to the customer. Already shipped orders replay."""
    ids = sorted(set(order_ids))
    if not ids:
        return []
    with ctx.read() as conn:
        prep = _ship_prep(conn, ids, scope)
    bought: list[tuple[CarrierAdapter, Label, int]] = []
    try:
        for p in prep["todo"]:
            adapter = get_carrier(carriers(ctx), p["order"].carrier)
            quote = adapter.rate(p["shipment"])
            bought.append((adapter, adapter.label(p["shipment"]), quote.cost_cents))
        results = transact(ctx, lambda conn: _record_shipments(
            ctx, conn, prep, bought, user, device)) if prep["todo"] else {}
    except Exception:
        for adapter, label, _ in bought:
            adapter.void(label.tracking_number)
        raise
    return [results.get(oid) or prep["replays"][oid] for oid in ids]


def ship_order(ctx: Context, order_id: int, *, scope: Scope = None, user: str = "",
               device: str = "") -> dict[str, Any]:
    return ship_orders(ctx, [order_id], scope=scope, user=user, device=device)[0]


def ship_wave(ctx: Context, wave_id: int, *, scope: Scope = None, user: str = "",
              device: str = "") -> list[dict[str, Any]]:
    """Ship every packed order of a wave (one truck departure) at once."""
    stmt = sa.select(orders.c.id).where(orders.c.wave_id == wave_id,
                                        orders.c.state == OrderState.PACKED.value)
    if scope is not None:
        stmt = stmt.where(orders.c.owner_id.in_(list(scope)))
    with ctx.read() as conn:
        ids = list(conn.execute(stmt).scalars())
    return ship_orders(ctx, ids, scope=scope, user=user, device=device)


def _ship_prep(conn: Connection, ids: Sequence[int], scope: Scope) -> dict[str, Any]:
    rows = {r.id: r for r in conn.execute(sa.select(orders).where(orders.c.id.in_(ids)))}
    todo, replays = [], {}
    fac_names = dict(conn.execute(sa.select(facilities.c.id, facilities.c.name)).all())
    parcels_of: dict[int, list[Parcel]] = defaultdict(list)
    for r in conn.execute(sa.select(cartons.c.order_id, cartons.c.sscc, cartons.c.weight_g)
                          .where(cartons.c.order_id.in_(list(ids)),
                                 cartons.c.state == CartonState.PACKED.value)
                          .order_by(cartons.c.id)):
        parcels_of[r.order_id].append(Parcel(r.sscc, r.weight_g))
    for oid in ids:
        o = rows.get(oid)
        if o is None or not _in_scope(scope, o.owner_id):
            raise NotFound(f"order {oid} does not exist", code="order_not_found")
        if o.state == OrderState.SHIPPED.value:
            replays[oid] = {**_shipment_of(conn, oid), "replayed": True}
            continue
        check_transition(OrderState(o.state), OrderState.SHIPPED, oid)
        parcels = tuple(parcels_of[oid])
        ship_from = Address(fac_names.get(o.facility_id, ""), (), "", "", "")
        todo.append({"order": o, "shipment": Shipment(o.number, ship_from,
                                                      _address(o.ship_to), parcels,
                                                      o.service)})
    return {"todo": todo, "replays": replays}


def _shipment_of(conn: Connection, order_id: int) -> dict[str, Any]:
    s = conn.execute(sa.select(shipments).where(shipments.c.order_id == order_id)).first()
    if s is None:
        raise NotFound(f"order {order_id} has no shipment", code="shipment_not_found")
    return _shipment_out(dict(s._mapping))


def _shipment_out(s: dict[str, Any]) -> dict[str, Any]:
    s.pop("label", None)
    return {"shipment_id": s.pop("id"), **s, "order_state": OrderState.SHIPPED.value}


def _record_shipments(ctx: Context, conn: Connection, prep: dict[str, Any],
                      bought: list[tuple[CarrierAdapter, Label, int]], user: str, device: str
                      ) -> dict[int, dict[str, Any]]:
    now = ctx.now()
    todo = prep["todo"]
    oids = [p["order"].id for p in todo]
    n = conn.execute(sa.update(orders).where(orders.c.id.in_(oids),
                                             orders.c.state == OrderState.PACKED.value)
                     .values(state=OrderState.SHIPPED.value, updated_at=now)).rowcount
    if n != len(oids):
        raise Conflict("an order was shipped or changed concurrently; try again",
                       code="order_changed")
    staging = dict(conn.execute(sa.select(orders.c.id, waves.c.staging_location_id)
                                .join(waves, waves.c.id == orders.c.wave_id)
                                .where(orders.c.id.in_(oids))).all())
    customers = dict(conn.execute(sa.select(locations.c.facility_id, locations.c.id).where(
        locations.c.kind == LocationKind.CUSTOMER.value)).all())
    packed: dict[int, list[tuple[int, int, str, int]]] = defaultdict(list)
    for r in conn.execute(sa.select(cartons.c.order_id, carton_lines.c.order_line_id,
                                    carton_lines.c.item_id, carton_lines.c.lot,
                                    sa.func.sum(carton_lines.c.qty))
                          .join(cartons, cartons.c.id == carton_lines.c.carton_id)
                          .where(cartons.c.order_id.in_(oids),
                                 cartons.c.state == CartonState.PACKED.value)
                          .group_by(cartons.c.order_id, carton_lines.c.order_line_id,
                                    carton_lines.c.item_id, carton_lines.c.lot)):
        packed[r[0]].append((r[1], r[2], r[3], int(r[4])))
    cmds = []
    for p in todo:
        o = p["order"]
        if not packed[o.id]:
            raise InvalidInput(f"order {o.number} has nothing packed to ship",
                               code="nothing_to_ship")
        cmds.append(MovementCommand(
            owner_id=o.owner_id, type=MovementType.SHIP,
            lines=tuple(LineCommand(item, staging[o.id], customers[o.facility_id], q, lot)
                        for _, item, lot, q in sorted(packed[o.id], key=lambda x: x[:3])),
            document_type="order", document_id=o.number, user=user, device=device,
            scans=tuple(parcel.sscc for parcel in p["shipment"].parcels)))
    moves = ledger.post_in(ctx, conn, cmds)
    metering.record_in(conn, [
        metering.work_event(p["order"].owner_id, p["order"].facility_id,
                            Activity.ORDERS_SHIPPED, "order", p["order"].id, now)
        for p in todo])
    out: dict[int, dict[str, Any]] = {}
    ship_rows = []
    for p, (adapter, label, cost), mv in zip(todo, bought, moves, strict=True):
        o = p["order"]
        ship_rows.append({
            "order_id": o.id, "owner_id": o.owner_id, "carrier": adapter.code,
            "service": p["shipment"].service, "tracking_number": label.tracking_number,
            "cost_cents": cost, "label_format": label.format, "label": label.content,
            "movement_id": mv["movement_id"], "shipped_by": user, "created_at": now})
    sids = ls.insert_ids(conn, shipments, ship_rows)
    ls.executemany(conn, _CARTONS_SHIPPED, [
        {"order_id": p["order"].id, "shipment_id": sid, "packed": CartonState.PACKED.value,
         "shipped": CartonState.SHIPPED.value} for p, sid in zip(todo, sids, strict=True)])
    for p, sid, row in zip(todo, sids, ship_rows, strict=True):
        out[p["order"].id] = _shipment_out({"id": sid, **row}) | {"replayed": False}
    conn.execute(sa.update(order_lines).where(order_lines.c.order_id.in_(oids))
                 .values(shipped=order_lines.c.packed))
    _close_waves(conn, {p["order"].wave_id for p in todo}, now)
    ls.insert_events(conn, [
        {"topic": "order.shipped", "owner_id": p["order"].owner_id, "created_at": now,
         "payload": json.dumps({"order_id": p["order"].id,
                                "tracking_number": out[p["order"].id]["tracking_number"]})}
        for p in todo])
    return out


def _close_waves(conn: Connection, wave_ids: set[int], now: Any) -> None:
    for wid in sorted(w for w in wave_ids if w is not None):
        left = conn.execute(sa.select(sa.func.count()).select_from(orders).where(
            orders.c.wave_id == wid,
            orders.c.state.not_in([OrderState.SHIPPED.value, OrderState.CANCELLED.value])
        )).scalar_one()
        if left == 0:
            conn.execute(sa.update(waves).where(waves.c.id == wid,
                                                waves.c.state == WaveState.PICKED.value)
                         .values(state=WaveState.SHIPPED.value, updated_at=now))


def get_shipment(ctx: Context, shipment_id: int, scope: Scope = None) -> dict[str, Any]:
    with ctx.read() as conn:
        s = conn.execute(sa.select(shipments).where(shipments.c.id == shipment_id)).first()
    if s is None or not _in_scope(scope, s.owner_id):
        raise NotFound(f"shipment {shipment_id} does not exist", code="shipment_not_found")
    return _shipment_out(dict(s._mapping))


def get_label(ctx: Context, shipment_id: int, scope: Scope = None) -> tuple[bytes, str]:
    with ctx.read() as conn:
        s = conn.execute(sa.select(shipments.c.owner_id, shipments.c.label,
                                   shipments.c.label_format)
                         .where(shipments.c.id == shipment_id)).first()
    if s is None or not _in_scope(scope, s.owner_id):
        raise NotFound(f"shipment {shipment_id} does not exist", code="shipment_not_found")
    return bytes(s.label), s.label_format


def list_cartons(ctx: Context, order_id: int, scope: Scope = None) -> list[dict[str, Any]]:
    with ctx.read() as conn:
        o = conn.execute(sa.select(orders.c.owner_id).where(orders.c.id == order_id)).first()
        if o is None or not _in_scope(scope, o.owner_id):
            raise NotFound(f"order {order_id} does not exist", code="order_not_found")
        rows = [dict(r._mapping) for r in conn.execute(
            sa.select(cartons).where(cartons.c.order_id == order_id).order_by(cartons.c.id))]
        for c in rows:
            c["lines"] = [dict(r._mapping) for r in conn.execute(
                sa.select(carton_lines.c.order_line_id, carton_lines.c.item_id,
                          carton_lines.c.lot, carton_lines.c.qty)
                .where(carton_lines.c.carton_id == c["id"]).order_by(carton_lines.c.id))]
    return rows
