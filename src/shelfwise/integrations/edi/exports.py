"""EDI out: 945 shipping advice and 856 ASN when an order ships, 944 receipt advice when
a receipt closes, 846 inventory snapshots on demand.

Quantities come from the documents the floor services keep in step with the ledger
(order lines' ``shipped``, receipt lines' ``received``, cartons and their SSCCs, stock
levels), never recomputed here. A document that came in by EDI is answered with the
partner's own ids: the depositor order number, PO and product ids saved when the 940
or 943/856 was imported; anything else is described by SKU and GTIN.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.integrations import cursors
from shelfwise.integrations.edi.elements import ProductId
from shelfwise.integrations.edi.parties import Party
from shelfwise.integrations.edi.t846 import InventoryLine, InventorySnapshot, write_846
from shelfwise.integrations.edi.t856 import (
    Carton,
    CartonItem,
    OutboundShipment,
    ShipmentOrder,
    write_856,
)
from shelfwise.integrations.edi.t944 import ReceiptAdvice, ReceivedLine, write_944
from shelfwise.integrations.edi.t945 import ShippedLine, ShippingAdvice, write_945
from shelfwise.integrations.edi.writer import TradingPartner
from shelfwise.services import receiving, shipping
from shelfwise.services.context import Context
from shelfwise.services.orders import get_order
from shelfwise.storage import stock_queries
from shelfwise.storage.integration_tables import channel_configs as cc
from shelfwise.storage.integration_tables import integration_links as links
from shelfwise.storage.outbound_tables import shipments
from shelfwise.storage.tables import facilities, item_gtins, items, owners

KINDS = ("945", "856", "944", "846")
OUTBOUND_CURSOR = "edi.outbound"
WAREHOUSE_ID = "SHELFWISE"


def export(ctx: Context, kind: str, owner: int | str, *, order_id: int | None = None,
           receipt_id: int | None = None, facility_id: int | None = None,
           out_dir: str | Path = ".") -> Path:
    """Write one outbound document to ``out_dir`` and return its path.

    ``945``/``856`` need ``order_id`` (a shipped order), ``944`` a ``receipt_id``, ``846``
    snapshots the owner's stock (optionally one facility)."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", code="invalid_kind")
    with ctx.read() as conn:
        owner_id = _owner_id(conn, owner)
    if kind in ("945", "856"):
        if order_id is None:
            raise InvalidInput(f"a {kind} needs --order", code="missing_order")
        text, name = render_shipment(ctx, kind, owner_id, order_id)
    elif kind == "944":
        if receipt_id is None:
            raise InvalidInput("a 944 needs --receipt", code="missing_receipt")
        text, name = render_944(ctx, owner_id, receipt_id)
    else:
        text, name = render_846(ctx, owner_id, facility_id)
    path = Path(out_dir)
    path.mkdir(parents=True, exist_ok=True)
    target = path / name
    target.write_text(text)
    return target


def _owner_id(conn: Connection, owner: int | str) -> int:
    col = owners.c.id if isinstance(owner, int) or str(owner).isdigit() else owners.c.code
    value = int(owner) if col is owners.c.id else owner
    oid = conn.execute(sa.select(owners.c.id).where(col == value)).scalar()
    if oid is None:
        raise NotFound(f"owner {owner} does not exist", code="owner_not_found")
    return int(oid)


def _channel(conn: Connection, owner_id: int, channel_id: int | None) -> dict[str, Any]:
    stmt = sa.select(cc).where(cc.c.owner_id == owner_id, cc.c.channel == "edi")
    if channel_id is not None:
        stmt = stmt.where(cc.c.id == channel_id)
    r = conn.execute(stmt.order_by(cc.c.id)).first()
    if r is None:
        raise NotFound("this owner has no EDI partner configured", code="channel_not_found")
    return dict(r._mapping)


def _link(conn: Connection, doc_type: str, doc_id: int) -> dict[str, Any] | None:
    r = conn.execute(sa.select(links).where(links.c.document_type == doc_type,
                                            links.c.document_id == doc_id)).first()
    if r is None:
        return None
    return {**dict(r._mapping), "data": json.loads(r.data)}


def _number(ctx: Context, partner: str) -> int:
    with ctx.write() as conn:
        return cursors.next_number(conn, f"edi.control.{partner}", ctx.now())


def _parties(ch: dict[str, Any]) -> tuple[TradingPartner, TradingPartner]:
    return TradingPartner(WAREHOUSE_ID), TradingPartner(ch["partner_id"])


def _our_ids(conn: Connection, item_ids: Iterable[int]) -> dict[int, tuple[ProductId, ...]]:
    """SKU (and GTIN when known) for items the partner never described to us."""
    ids = sorted(set(item_ids))
    gt = dict(conn.execute(sa.select(item_gtins.c.item_id, item_gtins.c.gtin)
                           .where(item_gtins.c.item_id.in_(ids))
                           .order_by(item_gtins.c.id.desc())).all())
    return {r.id: (ProductId("SK", r.sku),) + ((ProductId("UK", gt[r.id]),) if r.id in gt
                                                 else ())
            for r in conn.execute(sa.select(items.c.id, items.c.sku).where(items.c.id.in_(ids)))}


def _partner_ids(link: dict[str, Any] | None) -> dict[int, tuple[ProductId, ...]]:
    if link is None:
        return {}
    return {ln["item_id"]: tuple(ProductId(q, v) for q, v in ln["product_ids"])
            for ln in link["data"].get("lines", ())}


def _one_plus_case(ids: tuple[ProductId, ...]) -> tuple[ProductId, ...]:
    """W12/LIN carry the case code plus one id: keep the partner's first choice."""
    case = [p for p in ids if p.qualifier == "UA"]
    other = [p for p in ids if p.qualifier != "UA"]
    return tuple(case[:1] + other[:1])


def _ship_to(order: dict[str, Any]) -> Party:
    a = order["ship_to"]
    return Party("ST", a["name"], address_lines=tuple(a.get("lines") or ()), city=a["city"],
                 postal_code=a["postcode"], country=a["country"])


def render_shipment(ctx: Context, kind: str, owner_id: int, order_id: int
                    ) -> tuple[str, str]:
    """The 945 (or 856) for a shipped order: what was ordered and what left, per line."""
    order = get_order(ctx, order_id, frozenset({owner_id}))
    if order["state"] != "shipped":
        raise InvalidInput(f"order {order['number']} has not shipped", code="not_shipped")
    with ctx.read() as conn:
        link = _link(conn, "order", order_id)
        ch = _channel(conn, owner_id, link["channel_id"] if link else None)
        ship = conn.execute(sa.select(shipments).where(shipments.c.order_id == order_id)).one()
        fac = conn.execute(sa.select(facilities.c.name).where(
            facilities.c.id == order["facility_id"])).scalar_one()
        ids = _partner_ids(link)
        ours = _our_ids(conn, [ln["item_id"] for ln in order["lines"]])
    pids = {i: _one_plus_case(ids.get(i) or ours[i]) for i in ours}
    data = link["data"] if link else {}
    sender, receiver = _parties(ch)
    number = _number(ctx, ch["partner_id"])
    ship_date = ship.created_at.date()
    if kind == "945":
        advice = ShippingAdvice(
            depositor_order_number=order["number"], ship_date=ship_date,
            shipment_id=ship.tracking_number, purchase_order_number=data.get("po"),
            ship_to=_ship_to(order), ship_from=Party("SF", fac),
            carrier_scac=data.get("carrier_scac"),
            lines=tuple(ShippedLine(pids[ln["item_id"]], ln["ordered"], ln["shipped"], "EA",
                                    line_number=str(ln["line_no"]))
                        for ln in order["lines"]))
        text = write_945(advice, sender=sender, receiver=receiver, control_number=number,
                         clock=ctx.now())
    else:
        cartons = tuple(
            Carton(c["sscc"], tuple(CartonItem(pids[ln["item_id"]], ln["qty"], "EA",
                                               ln["lot"] or None) for ln in c["lines"]))
            for c in shipping.list_cartons(ctx, order_id) if c["sscc"])
        asn = OutboundShipment(
            shipment_id=ship.tracking_number, ship_date=ship_date,
            ship_from=Party("SF", fac), ship_to=_ship_to(order),
            orders=(ShipmentOrder(data.get("po") or order["number"], cartons),),
            carrier_scac=data.get("carrier_scac"), bill_of_lading=ship.tracking_number)
        text = write_856(asn, sender=sender, receiver=receiver, control_number=number,
                         clock=ctx.now())
    return text, f"{kind}_{order['number']}_{number:09d}.edi"


def render_944(ctx: Context, owner_id: int, receipt_id: int) -> tuple[str, str]:
    """The 944 for a receipt: what actually arrived, per item and lot."""
    r = receiving.get_receipt(ctx, receipt_id, frozenset({owner_id}))
    with ctx.read() as conn:
        link = _link(conn, "receipt", receipt_id)
        ch = _channel(conn, owner_id, link["channel_id"] if link else None)
        ours = _our_ids(conn, [ln["item_id"] for ln in r["lines"]])
    ids = _partner_ids(link)
    data = link["data"] if link else {}
    lines = tuple(
        ReceivedLine(_w07_ids(ids.get(ln["item_id"]) or ours[ln["item_id"]]),
                     ln["received"], "EA", ln["lot"] or None)
        for ln in r["lines"] if ln["received"] > 0)
    advice = ReceiptAdvice(
        receipt_number=r["reference"], receipt_date=(r["closed_at"] or ctx.now()).date(),
        lines=lines, depositor_order_number=data.get("depositor_order_number"),
        shipment_id=data.get("shipment_id") or r["reference"])
    sender, receiver = _parties(ch)
    number = _number(ctx, ch["partner_id"])
    text = write_944(advice, sender=sender, receiver=receiver, control_number=number,
                     clock=ctx.now())
    return text, f"944_{r['reference']}_{number:09d}.edi"


def _w07_ids(ids: tuple[ProductId, ...]) -> tuple[ProductId, ...]:
    case = [p for p in ids if p.qualifier == "UA"]
    return tuple(case[:1] + [p for p in ids if p.qualifier != "UA"][:3])


def render_846(ctx: Context, owner_id: int, facility_id: int | None) -> tuple[str, str]:
    """An inventory snapshot: on hand and available per item (all facilities summed
    unless one is named)."""
    with ctx.read() as conn:
        ch = _channel(conn, owner_id, None)
        rows = stock_queries.levels(conn, frozenset({owner_id}), owner_id=owner_id,
                                    facility_id=facility_id, limit=1_000_000)
        totals: dict[int, list[int]] = {}
        for r in rows:
            t = totals.setdefault(r["item_id"], [0, 0])
            t[0] += r["on_hand"]
            t[1] += max(r["available"], 0)
        ours = _our_ids(conn, totals)
    now = ctx.now()
    snapshot = InventorySnapshot(
        reference=f"INV{now:%Y%m%d%H%M}", as_of=now,
        lines=tuple(InventoryLine(ours[i], "EA", on_hand=t[0], available=t[1])
                    for i, t in sorted(totals.items(), key=lambda kv: ours[kv[0]][0].value)))
    sender, receiver = _parties(ch)
    number = _number(ctx, ch["partner_id"])
    text = write_846(snapshot, sender=sender, receiver=receiver, control_number=number,
                     clock=now)
    return text, f"846_{snapshot.reference}_{number:09d}.edi"
