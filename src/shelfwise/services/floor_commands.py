"""Running a warehouse-floor command (count, transfer, return, quarantine, replenish).

Each command is one write transaction that changes its document's state and posts its
movements through :func:`shelfwise.services.ledger.post_in`, so the document and the
ledger never disagree. A refused scan is recorded in its own transaction *before* the
command opens its own, then raised: the command itself writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from shelfwise.barcodes import (
    Scan,
    ScanError,
    ScanMismatch,
    WrongItem,
    match_item_scan,
    parse_scan,
)
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.domain.ledger import LocationFacts, MovementCommand
from shelfwise.domain.locations import LocationKind
from shelfwise.services import ledger, scans
from shelfwise.services.context import Context
from shelfwise.storage import catalog_store as cs
from shelfwise.storage.tables import item_gtins, items, locations

T = TypeVar("T")
Scope = frozenset[int] | None
MAX_ATTEMPTS = 4


class WrongLocation(ScanMismatch):
    """The scanned location barcode is not the location the task is at."""

    code = "wrong_location"


def run(ctx: Context, work: Callable[[Connection, list[MovementCommand]], T]) -> T:
    """Run ``work(conn, posted)`` in one write transaction (:func:`ledger.write`)."""
    return ledger.write(ctx, work)


def post(ctx: Context, conn: Connection, posted: list[MovementCommand],
         cmd: MovementCommand) -> int:
    """Post one movement inside the command's transaction; returns its id."""
    posted.append(cmd)
    return ledger.post_in(ctx, conn, [cmd])[0]["movement_id"]


def in_scope(scope: Scope, owner_id: int) -> bool:
    return scope is None or owner_id in scope


def check_owner(scope: Scope, owner_id: int) -> None:
    if not in_scope(scope, owner_id):
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")


def location(conn: Connection, ctx: Context, location_id: int) -> LocationFacts:
    loc = cs.location_facts(conn, [location_id], ctx.cache).get(location_id)
    if loc is None:
        raise NotFound(f"location {location_id} does not exist", code="location_not_found")
    return loc


def require_kind(loc: LocationFacts, kinds: Iterable[LocationKind], facility_id: int,
                 what: str) -> None:
    """Refuse a location of the wrong kind or facility (e.g. restocking onto a dock)."""
    kinds = frozenset(kinds)
    if loc.facility_id != facility_id:
        raise InvalidInput(f"{what} location {loc.id} is in another facility",
                           code="wrong_facility")
    if loc.kind not in kinds:
        raise InvalidInput(
            f"{what} location {loc.id} is {loc.kind}; expected {', '.join(sorted(kinds))}",
            code="wrong_location_kind")


def first_location(conn: Connection, facility_id: int, kind: LocationKind) -> int:
    """The facility's first active location of a kind (e.g. its quarantine cage)."""
    lid = conn.execute(
        sa.select(locations.c.id)
        .where(locations.c.facility_id == facility_id, locations.c.kind == kind.value,
               locations.c.active == sa.true())
        .order_by(locations.c.path_order, locations.c.id).limit(1)
    ).scalar()
    if lid is None:
        raise NotFound(f"facility {facility_id} has no {kind} location",
                       code="location_not_found")
    return lid


def virtual(conn: Connection, facility_id: int, kind: LocationKind) -> int:
    lid = conn.execute(
        sa.select(locations.c.id).where(locations.c.facility_id == facility_id,
                                        locations.c.kind == kind.value)
    ).scalar()
    if lid is None:
        raise NotFound(f"facility {facility_id} has no {kind} location",
                       code="location_not_found")
    return lid


def item_row(conn: Connection, item_id: int, owner_id: int) -> dict[str, Any]:
    row = cs.one(conn, sa.select(items).where(items.c.id == item_id,
                                              items.c.owner_id == owner_id))
    if row is None:
        raise NotFound(f"item {item_id} does not exist", code="item_not_found")
    return row


# ------------------------------------------------------------------ scans


def refuse(ctx: Context, err: ScanError, *, task_type: str, task_id: Any, expected: str,
           scanned: str, owner_id: int | None, facility_id: int | None, user: str,
           device: str) -> ScanError:
    """Record a refused scan (own transaction) and hand back the error to raise."""
    scans.record_exception(ctx, code=err.code, message=err.message, task_type=task_type,
                           task_id=task_id, expected=expected, scanned=scanned,
                           owner_id=owner_id, facility_id=facility_id, user=user,
                           device=device)
    return err


def check_location_scan(ctx: Context, raw: str, location_id: int, *, task_type: str,
                        task_id: Any, owner_id: int | None, user: str, device: str) -> None:
    """The scanned barcode must be the task's location; a mismatch is recorded."""
    with ctx.read() as conn:
        row = cs.one(conn, sa.select(locations.c.barcode, locations.c.facility_id)
                     .where(locations.c.id == location_id))
    assert row is not None
    if (raw or "").strip() != row["barcode"]:
        raise refuse(ctx, WrongLocation(f"scanned {raw!r}; this task is at {row['barcode']}"),
                     task_type=task_type, task_id=task_id, expected=row["barcode"],
                     scanned=raw or "", owner_id=owner_id, facility_id=row["facility_id"],
                     user=user, device=device)


def scan_item(ctx: Context, raw: str, *, owner_id: int, facility_id: int | None,
              task_type: str, task_id: Any, user: str, device: str,
              expected_item_id: int | None = None) -> tuple[int, Scan]:
    """Read an item scan of this owner: the item id it names and the parsed scan.

    With ``expected_item_id`` the scan must be that item (lot is checked by callers).
    Unreadable, unknown or wrong scans are recorded, then raised.
    """
    ctx_args = dict(task_type=task_type, task_id=task_id, scanned=raw or "",
                    owner_id=owner_id, facility_id=facility_id, user=user, device=device)
    try:
        scan = parse_scan(raw)
    except ScanError as e:
        raise refuse(ctx, e, expected="", **ctx_args) from None
    with ctx.read() as conn:
        if expected_item_id is not None:
            gtins = set(conn.execute(sa.select(item_gtins.c.gtin).where(
                item_gtins.c.item_id == expected_item_id)).scalars())
            try:
                match_item_scan(scan, gtins, None, None, ctx.now().date())
            except ScanError as e:
                raise refuse(ctx, e, expected=",".join(sorted(gtins)), **ctx_args) from None
            return expected_item_id, scan
        found = conn.execute(sa.select(item_gtins.c.item_id).where(
            item_gtins.c.owner_id == owner_id, item_gtins.c.gtin == (scan.gtin14 or ""))
        ).scalar()
    if found is None:
        err = WrongItem(f"scan {raw!r} is no item of this owner")
        raise refuse(ctx, err, expected="", **ctx_args)
    return found, scan


def changed_meanwhile(what: str, doc_id: int, code: str) -> Conflict:
    """A concurrent command moved the document first (its conditional UPDATE won)."""
    return Conflict(f"{what} {doc_id} was changed by another command meanwhile", code=code)
