"""Usage metering: one event per billable piece of work, in the work's own transaction.

The ledger meters receipts, picks, shipments and returns as it posts them
(:func:`movement_events` + :func:`record_in` at the end of ``ledger.post_in``); packing
and shipping meter cartons and orders; :func:`meter_storage` snapshots stock nightly;
:func:`record_vas` meters value-added tasks. Because an event commits or rolls back
with its work, a failed movement leaves no event and a billed event always happened.
Every event has a unique source, so re-recording the same work meters it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.domain import billing as rules
from shelfwise.domain.errors import InvalidInput, NotFound
from shelfwise.domain.ledger import LocationFacts, MovementCommand, MovementType, validate_quantity
from shelfwise.domain.locations import PHYSICAL_KINDS
from shelfwise.services.context import Context
from shelfwise.storage.billing_tables import metering_events
from shelfwise.storage.tables import balances, facilities, locations, owners

#: Where the work of a movement type happens: the receiving side or the shipping side.
_TO_SIDE = frozenset({MovementType.RECEIPT, MovementType.RETURN})
_COLUMNS = ("owner_id", "facility_id", "activity", "quantity", "unit", "occurred_at",
            "source_type", "source_id")
_STATEMENTS: dict[str, tuple[str, Callable[[Any], Any]]] = {}


def _statement(conn: Connection) -> tuple[str, Callable[[Any], Any]]:
    """``INSERT ... ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL both speak it), so a
    second record of the same source is a no-op; and the driver-level form of a timestamp.

    It runs as a plain driver executemany: metering rides on every receipt, pick and
    shipment, and SQLAlchemy's per-row parameter processing would cost the ledger a fifth
    of its batched throughput. Built once per dialect.
    """
    dialect = conn.dialect
    found = _STATEMENTS.get(dialect.name)
    if found is None:
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        sql = (f"INSERT INTO metering_events ({', '.join(_COLUMNS)}) VALUES "
               f"({', '.join([mark] * len(_COLUMNS))}) ON CONFLICT DO NOTHING")
        ts = metering_events.c.occurred_at.type.dialect_impl(dialect).bind_processor(dialect)
        found = _STATEMENTS[dialect.name] = (sql, ts or (lambda v: v))
    return found


def record_in(conn: Connection, events: Sequence[Mapping[str, Any]]) -> None:
    """Record metering events inside the caller's transaction (one executemany).

    Each event has ``owner_id, facility_id, activity, quantity, occurred_at, source_type,
    source_id`` and optionally ``unit`` (defaults to the activity's unit). Timestamps
    are UTC. Rows go in source order, so two transactions metering the same document
    lines take the unique-index locks in the same order and never deadlock.
    """
    if not events:
        return
    sql, ts = _statement(conn)
    rows = sorted(
        (e["source_type"], e["source_id"], str(e["activity"]), e["owner_id"], e["facility_id"],
         e["quantity"], e.get("unit") or rules.unit_of(e["activity"]), e["occurred_at"])
        for e in events)
    conn.exec_driver_sql(sql, [(o, f, a, q, u, ts(at), st, si)
                               for st, si, a, o, f, q, u, at in rows])


def movement_events(
    cmds: Sequence[MovementCommand],
    movement_ids: Sequence[int],
    locs: Mapping[int, LocationFacts],
    now: datetime,
) -> list[dict[str, Any]]:
    """The metering events of posted movements (nothing for moves, counts, transfers)."""
    out: list[dict[str, Any]] = []
    for c, mid in zip(cmds, movement_ids, strict=True):
        if c.type not in rules.BILLABLE_MOVEMENTS:
            continue
        to_side = c.type in _TO_SIDE
        lines = [
            (ln.item_id, ln.lot, ln.qty,
             locs[ln.to_location_id if to_side else ln.from_location_id].facility_id)
            for ln in c.lines
        ]
        out += [
            {"owner_id": c.owner_id, "facility_id": m.facility_id, "activity": m.activity,
             "quantity": m.quantity, "occurred_at": now, "source_type": m.source_type,
             "source_id": m.source_id}
            for m in rules.movement_meters(c.type, mid, (c.document_type, c.document_id), lines)
        ]
    return out


def work_event(owner_id: int, facility_id: int, activity: str, source_type: str,
               source_id: int | str, now: datetime) -> dict[str, Any]:
    """One event of quantity 1 for a document of work (a packed carton, a shipped order)."""
    return {"owner_id": owner_id, "facility_id": facility_id, "activity": activity,
            "quantity": 1, "occurred_at": now, "source_type": source_type,
            "source_id": str(source_id)}


# -- value-added tasks ------------------------------------------------------------------


def record_vas(ctx: Context, owner_id: int, facility_id: int, task: str, qty: int, *,
               reference: str | None = None, scope: frozenset[int] | None = None
               ) -> dict[str, Any]:
    """Meter a value-added task (kitting, labelling, gift wrap) done for an owner.

    ``reference`` (a work-order number) makes the call idempotent: the same reference
    meters once. Without one, every call is new work.
    """
    activity = rules.vas_activity(task)
    validate_quantity(qty)
    if reference is not None and (not isinstance(reference, str) or not 0 < len(reference)
                                  <= 120):
        raise InvalidInput("reference must be 1-120 characters", code="invalid_reference")
    if scope is not None and owner_id not in scope:
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
    source_id = reference or uuid.uuid4().hex
    with ctx.write() as conn:
        if conn.execute(sa.select(owners.c.id).where(owners.c.id == owner_id)).first() is None:
            raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
        if conn.execute(sa.select(facilities.c.id).where(facilities.c.id == facility_id)
                        ).first() is None:
            raise NotFound(f"facility {facility_id} does not exist", code="facility_not_found")
        record_in(conn, [{"owner_id": owner_id, "facility_id": facility_id,
                          "activity": activity, "quantity": qty, "occurred_at": ctx.now(),
                          "source_type": "vas", "source_id": source_id}])
        row = conn.execute(sa.select(metering_events).where(
            metering_events.c.source_type == "vas", metering_events.c.source_id == source_id,
            metering_events.c.activity == activity, metering_events.c.owner_id == owner_id,
            metering_events.c.facility_id == facility_id)).first()
    if row is None or row.quantity != qty:
        raise InvalidInput(f"reference {reference!r} was already used for other work",
                           code="reference_reused")
    return _event_out(row._mapping)


# -- storage ----------------------------------------------------------------------------


def meter_storage(ctx: Context, day: date) -> dict[str, Any]:
    """Snapshot storage for ``day``: per owner and facility, the units on hand in physical
    locations (unit-days) and the locations they occupy (location-days).

    Run it nightly; it is idempotent per day (a second run of the same day meters
    nothing), so a scheduler that fires twice, or a re-run after a crash, never bills a
    day twice. The figures are whatever the balances hold when it runs.
    """
    if not isinstance(day, date) or isinstance(day, datetime):
        raise InvalidInput("day must be a date like 2026-10-05", code="invalid_date")
    at = datetime.combine(day, time(0), UTC)
    kinds = sorted(k.value for k in PHYSICAL_KINDS)
    stmt = (
        sa.select(balances.c.owner_id, balances.c.facility_id,
                  sa.func.sum(balances.c.qty), sa.func.count(sa.distinct(balances.c.location_id)))
        .join(locations, locations.c.id == balances.c.location_id)
        .where(locations.c.kind.in_(kinds), balances.c.qty > 0)
        .group_by(balances.c.owner_id, balances.c.facility_id)
        .order_by(balances.c.owner_id, balances.c.facility_id)
    )
    with ctx.write() as conn:
        rows = conn.execute(stmt).all()
        events = []
        for owner_id, facility_id, units, locs in rows:
            for activity, qty in ((rules.Activity.STORAGE_UNIT_DAYS, int(units)),
                                  (rules.Activity.STORAGE_LOCATION_DAYS, int(locs))):
                events.append({"owner_id": owner_id, "facility_id": facility_id,
                               "activity": activity.value, "quantity": qty, "occurred_at": at,
                               "source_type": "storage_day", "source_id": day.isoformat()})
        before = _count_day(conn, day)
        record_in(conn, events)
        written = _count_day(conn, day) - before
    return {"day": day.isoformat(), "owners": len({r[0] for r in rows}),
            "events_written": written, "already_metered": before > 0}


def _count_day(conn: Connection, day: date) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(metering_events).where(
        metering_events.c.source_type == "storage_day",
        metering_events.c.source_id == day.isoformat())).scalar_one()


# -- reading ----------------------------------------------------------------------------


def _event_out(r: Mapping[str, Any]) -> dict[str, Any]:
    return {k: r[k] for k in ("id", "owner_id", "facility_id", "activity", "quantity", "unit",
                              "occurred_at", "source_type", "source_id", "billed_invoice_id",
                              "invoice_line_id")}


def list_events(ctx: Context, scope: frozenset[int] | None = None, *,
                owner_id: int | None = None, activity: str | None = None,
                invoice_id: int | None = None, unbilled: bool = False,
                limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
    stmt = sa.select(metering_events).order_by(metering_events.c.id).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(metering_events.c.owner_id.in_(sorted(scope)))
    if owner_id is not None:
        stmt = stmt.where(metering_events.c.owner_id == owner_id)
    if activity is not None:
        stmt = stmt.where(metering_events.c.activity == activity)
    if invoice_id is not None:
        stmt = stmt.where(metering_events.c.billed_invoice_id == invoice_id)
    if unbilled:
        stmt = stmt.where(metering_events.c.billed_invoice_id.is_(None))
    with ctx.read() as conn:
        return [_event_out(r._mapping) for r in conn.execute(stmt)]
