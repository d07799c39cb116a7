"""Read queries behind the client portal: pages of orders, receipts and invoices, and the
detail of one, for the owners a caller may see.

Each list is one set-based query per page (line figures are aggregated in SQL, not
fetched per document) and takes the caller's ``scope``: the scope filter is applied in
SQL before any other filter, so an ``owner_id`` filter outside the scope finds nothing
rather than another client's rows. A detail of another owner's document raises the same
:class:`NotFound` as a document that does not exist, so a client cannot probe ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.services import billing, catalog, orders, receiving, shipping
from shelfwise.services.context import Context
from shelfwise.storage.billing_tables import invoices
from shelfwise.storage.outbound_tables import order_lines, shipments
from shelfwise.storage.outbound_tables import orders as orders_t
from shelfwise.storage.receiving_tables import receipt_lines, receipts
from shelfwise.storage.tables import items, owners

Scope = frozenset[int] | None
PAGE = 50
MAX_OFFSET = 10_000_000


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, where it starts, and whether another follows."""

    rows: list[dict[str, Any]]
    offset: int
    limit: int
    more: bool

    @property
    def previous(self) -> int | None:
        return max(0, self.offset - self.limit) if self.offset > 0 else None

    @property
    def next(self) -> int | None:
        return self.offset + self.limit if self.more else None


def _owned(stmt: Any, column: Any, scope: Scope, owner_id: int | None) -> Any:
    if scope is not None:
        stmt = stmt.where(column.in_(sorted(scope)))
    if owner_id is not None:
        stmt = stmt.where(column == owner_id)
    return stmt


def _page(conn: Connection, stmt: Any, offset: int, limit: int) -> Page:
    offset = min(max(0, offset), MAX_OFFSET)
    rows = [dict(r._mapping) for r in conn.execute(stmt.limit(limit + 1).offset(offset))]
    return Page(rows[:limit], offset, limit, len(rows) > limit)


def _skus(conn: Connection, owner_id: int, item_ids: set[int]) -> dict[int, dict[str, Any]]:
    """SKU and description of the owner's items among ``item_ids`` (one query)."""
    if not item_ids:
        return {}
    stmt = (sa.select(items.c.id, items.c.sku, items.c.description)
            .where(items.c.id.in_(sorted(item_ids)), items.c.owner_id == owner_id))
    return {r.id: {"sku": r.sku, "description": r.description} for r in conn.execute(stmt)}


def _name_lines(conn: Connection, owner_id: int, lines: list[dict[str, Any]]) -> None:
    """Put SKU and description on each line (an item of another owner stays an id)."""
    names = _skus(conn, owner_id, {ln["item_id"] for ln in lines})
    for ln in lines:
        ln.update(names.get(ln["item_id"], {"sku": f"#{ln['item_id']}", "description": ""}))


# -- orders -----------------------------------------------------------------------------


def order_page(ctx: Context, scope: Scope, *, owner_id: int | None = None,
               state: str | None = None, number: str | None = None, offset: int = 0,
               limit: int = PAGE) -> Page:
    """Orders newest first, each with its line count, units ordered and shipped, and its
    tracking number once shipped."""
    o, ln = orders_t, order_lines
    figures = (sa.select(ln.c.order_id, sa.func.count().label("lines"),
                         sa.func.sum(ln.c.ordered).label("units"),
                         sa.func.sum(ln.c.shipped).label("shipped_units"))
               .group_by(ln.c.order_id).subquery())
    stmt = (sa.select(o.c.id, o.c.owner_id, owners.c.code.label("owner"), o.c.number,
                      o.c.channel, o.c.state, o.c.carrier, o.c.service, o.c.created_at,
                      o.c.updated_at, figures.c.lines, figures.c.units,
                      figures.c.shipped_units, shipments.c.tracking_number)
            .join(owners, owners.c.id == o.c.owner_id)
            .outerjoin(figures, figures.c.order_id == o.c.id)
            .outerjoin(shipments, shipments.c.order_id == o.c.id)
            .order_by(o.c.id.desc()))
    stmt = _owned(stmt, o.c.owner_id, scope, owner_id)
    if state:
        stmt = stmt.where(o.c.state == state)
    if number:
        stmt = stmt.where(o.c.number.startswith(number, autoescape=True))
    with ctx.read() as conn:
        return _page(conn, stmt, offset, limit)


def order_detail(ctx: Context, order_id: int, scope: Scope) -> dict[str, Any]:
    """The order with named lines, its shipment (tracking) and its cartons' contents."""
    order = orders.get_order(ctx, order_id, scope)
    cartons = shipping.list_cartons(ctx, order_id, scope)
    with ctx.read() as conn:
        _name_lines(conn, order["owner_id"],
                    order["lines"] + [ln for c in cartons for ln in c["lines"]])
        ship = conn.execute(
            sa.select(shipments.c.id, shipments.c.carrier, shipments.c.service,
                      shipments.c.tracking_number, shipments.c.created_at)
            .where(shipments.c.order_id == order_id,
                   shipments.c.owner_id == order["owner_id"])).first()
    order["owner"] = catalog.get_owner(ctx, order["owner_id"], scope)["code"]
    order["shipment"] = dict(ship._mapping) if ship else None
    order["cartons"] = cartons
    return order


# -- receipts ---------------------------------------------------------------------------


def receipt_page(ctx: Context, scope: Scope, *, owner_id: int | None = None,
                 state: str | None = None, reference: str | None = None, offset: int = 0,
                 limit: int = PAGE) -> Page:
    """Receipts newest first, with expected, received and damaged units summed."""
    r, rl = receipts, receipt_lines
    figures = (sa.select(rl.c.receipt_id, sa.func.count().label("lines"),
                         sa.func.sum(rl.c.expected_qty).label("expected"),
                         sa.func.sum(rl.c.received_qty).label("received"),
                         sa.func.sum(rl.c.damaged_qty).label("damaged"))
               .group_by(rl.c.receipt_id).subquery())
    stmt = (sa.select(r.c.id, r.c.owner_id, owners.c.code.label("owner"), r.c.type,
                      r.c.reference, r.c.supplier, r.c.expected_date, r.c.state,
                      r.c.created_at, r.c.closed_at, figures.c.lines, figures.c.expected,
                      figures.c.received, figures.c.damaged)
            .join(owners, owners.c.id == r.c.owner_id)
            .outerjoin(figures, figures.c.receipt_id == r.c.id)
            .order_by(r.c.id.desc()))
    stmt = _owned(stmt, r.c.owner_id, scope, owner_id)
    if state:
        stmt = stmt.where(r.c.state == state)
    if reference:
        stmt = stmt.where(r.c.reference.startswith(reference, autoescape=True))
    with ctx.read() as conn:
        page = _page(conn, stmt, offset, limit)
    for row in page.rows:
        for k in ("lines", "expected", "received", "damaged"):
            row[k] = int(row[k] or 0)
        row["short"] = max(0, row["expected"] - row["received"])
        row["over"] = max(0, row["received"] - row["expected"])
    return page


def receipt_detail(ctx: Context, receipt_id: int, scope: Scope) -> dict[str, Any]:
    """The receipt with named lines (expected, received, damaged, over, short, status)
    and totals; ``discrepancies`` lists the lines that did not arrive as expected."""
    receipt = receiving.get_receipt(ctx, receipt_id, scope)
    with ctx.read() as conn:
        _name_lines(conn, receipt["owner_id"], receipt["lines"])
    receipt["owner"] = catalog.get_owner(ctx, receipt["owner_id"], scope)["code"]
    receipt["totals"] = {k: sum(int(ln[k]) for ln in receipt["lines"])
                         for k in ("expected", "received", "damaged", "good", "over", "short")}
    receipt["discrepancies"] = [ln for ln in receipt["lines"] if ln["status"] != "ok"]
    return receipt


# -- invoices ---------------------------------------------------------------------------


def invoice_page(ctx: Context, scope: Scope, *, owner_id: int | None = None,
                 state: str | None = None, period: str | None = None, offset: int = 0,
                 limit: int = PAGE) -> Page:
    """Invoices, latest period first."""
    i = invoices
    stmt = (sa.select(i.c.id, i.c.owner_id, owners.c.code.label("owner"), i.c.number,
                      i.c.period, i.c.state, i.c.currency, i.c.subtotal_cents,
                      i.c.minimum_topup_cents, i.c.total_cents, i.c.issued_at)
            .join(owners, owners.c.id == i.c.owner_id)
            .order_by(i.c.period.desc(), owners.c.code, i.c.id))
    stmt = _owned(stmt, i.c.owner_id, scope, owner_id)
    if state:
        stmt = stmt.where(i.c.state == state)
    if period:
        stmt = stmt.where(i.c.period == period)
    with ctx.read() as conn:
        return _page(conn, stmt, offset, limit)


def invoice_detail(ctx: Context, invoice_id: int, scope: Scope) -> dict[str, Any]:
    return billing.get_invoice(ctx, invoice_id, scope)


def invoice_document(ctx: Context, invoice_id: int, fmt: str, scope: Scope
                     ) -> tuple[bytes, str, str]:
    """The invoice as a file: ``(content, media type, file name)``."""
    body, media = billing.render_invoice(ctx, invoice_id, fmt, scope)
    with ctx.read() as conn:
        number = conn.execute(sa.select(invoices.c.number)
                              .where(invoices.c.id == invoice_id)).scalar_one()
    return body, media, f"{number}.{fmt}"

