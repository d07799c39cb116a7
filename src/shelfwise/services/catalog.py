"""Catalog commands and lookups: owners, facilities, zones, locations, items, lots.

``scope`` is the set of owner ids the caller may see (``None`` for warehouse staff who
work across owners). Another owner's object is reported exactly like a missing one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from shelfwise.domain.catalog import ItemSpec, validate_code, validate_lot_code
from shelfwise.domain.errors import Conflict, InvalidInput, NotFound
from shelfwise.domain.locations import (
    AUTO_VIRTUAL_KINDS,
    PHYSICAL_KINDS,
    LocationKind,
    virtual_code,
)
from shelfwise.services.context import Context
from shelfwise.storage import catalog_store as cs
from shelfwise.storage.tables import facilities, item_gtins, items, locations, lots, owners, zones

Scope = frozenset[int] | None


def _in_scope(scope: Scope, owner_id: int) -> bool:
    return scope is None or owner_id in scope


def create_owner(ctx: Context, code: str, name: str) -> dict[str, Any]:
    validate_code(code, "code")
    if not name or len(name) > 200:
        raise InvalidInput("name must be 1-200 characters", code="invalid_name")
    try:
        with ctx.write() as conn:
            oid = conn.execute(
                sa.insert(owners).values(code=code, name=name, created_at=ctx.now())
            ).inserted_primary_key[0]
    except IntegrityError:
        raise Conflict(f"owner {code!r} already exists", code="duplicate_owner") from None
    return get_owner(ctx, oid, None)


def get_owner(ctx: Context, owner_id: int, scope: Scope) -> dict[str, Any]:
    with ctx.read() as conn:
        row = cs.one(conn, sa.select(owners).where(owners.c.id == owner_id))
    if row is None or not _in_scope(scope, owner_id):
        raise NotFound(f"owner {owner_id} does not exist", code="owner_not_found")
    return row


def list_owners(ctx: Context, scope: Scope) -> list[dict[str, Any]]:
    stmt = sa.select(owners).order_by(owners.c.id)
    if scope is not None:
        stmt = stmt.where(owners.c.id.in_(list(scope)))
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def create_facility(ctx: Context, code: str, name: str) -> dict[str, Any]:
    """A facility comes with its virtual locations, so every movement has a counterparty."""
    validate_code(code, "code")
    if not name or len(name) > 200:
        raise InvalidInput("name must be 1-200 characters", code="invalid_name")
    try:
        with ctx.write() as conn:
            fid = conn.execute(
                sa.insert(facilities).values(code=code, name=name, created_at=ctx.now())
            ).inserted_primary_key[0]
            conn.execute(
                sa.insert(locations),
                [
                    {
                        "facility_id": fid,
                        "code": kind.value.upper(),
                        "barcode": virtual_code(code, kind),
                        "kind": kind.value,
                    }
                    for kind in AUTO_VIRTUAL_KINDS
                ],
            )
    except IntegrityError:
        raise Conflict(f"facility {code!r} already exists", code="duplicate_facility") from None
    return get_facility(ctx, fid)


def get_facility(ctx: Context, facility_id: int) -> dict[str, Any]:
    with ctx.read() as conn:
        row = cs.one(conn, sa.select(facilities).where(facilities.c.id == facility_id))
    if row is None:
        raise NotFound(f"facility {facility_id} does not exist", code="facility_not_found")
    return row


def list_facilities(ctx: Context) -> list[dict[str, Any]]:
    with ctx.read() as conn:
        return cs.rows(conn, sa.select(facilities).order_by(facilities.c.id))


def virtual_location(ctx: Context, facility_id: int, kind: LocationKind) -> int:
    key = ("virtual", facility_id, kind)
    if key not in ctx.cache:
        with ctx.read() as conn:
            lid = conn.execute(
                sa.select(locations.c.id).where(
                    locations.c.facility_id == facility_id, locations.c.kind == kind.value
                )
            ).scalar()
        if lid is None:
            raise NotFound(
                f"facility {facility_id} has no {kind} location", code="location_not_found"
            )
        ctx.cache[key] = lid
    return ctx.cache[key]


def create_zone(ctx: Context, facility_id: int, code: str, name: str) -> dict[str, Any]:
    validate_code(code, "code")
    get_facility(ctx, facility_id)
    try:
        with ctx.write() as conn:
            zid = conn.execute(
                sa.insert(zones).values(facility_id=facility_id, code=code, name=name or code)
            ).inserted_primary_key[0]
            return cs.one(conn, sa.select(zones).where(zones.c.id == zid))  # type: ignore[return-value]
    except IntegrityError:
        raise Conflict(f"zone {code!r} already exists", code="duplicate_zone") from None


def list_zones(ctx: Context, facility_id: int | None = None) -> list[dict[str, Any]]:
    stmt = sa.select(zones).order_by(zones.c.id)
    if facility_id is not None:
        stmt = stmt.where(zones.c.facility_id == facility_id)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def create_locations(ctx: Context, specs: list[dict[str, Any]]) -> list[int]:
    """Create physical locations in one transaction (all or nothing).

    Each spec: facility_id, code, kind, optional zone_id, barcode, capacity_units,
    path_order (the walking-path sort key; defaults to the code).
    """
    rows = []
    for s in specs:
        validate_code(s.get("code", ""), "code")
        try:
            kind = LocationKind(s.get("kind"))
        except ValueError:
            raise InvalidInput(
                f"unknown location kind {s.get('kind')!r}", code="invalid_kind"
            ) from None
        if kind not in PHYSICAL_KINDS:
            raise InvalidInput(
                f"{kind} locations are virtual and created with the facility", code="invalid_kind"
            )
        cap = s.get("capacity_units")
        if cap is not None and (not isinstance(cap, int) or cap <= 0):
            raise InvalidInput("capacity_units must be positive", code="invalid_capacity")
        rows.append(
            {
                "facility_id": s["facility_id"],
                "zone_id": s.get("zone_id"),
                "code": s["code"],
                "barcode": s.get("barcode") or s["code"],
                "kind": kind.value,
                "capacity_units": cap,
                "path_order": s.get("path_order") or s["code"],
            }
        )
    try:
        with ctx.write() as conn:
            facility_ids = {r["facility_id"] for r in rows}
            found = set(
                conn.execute(
                    sa.select(facilities.c.id).where(facilities.c.id.in_(facility_ids))
                ).scalars()
            )
            if facility_ids - found:
                raise NotFound(
                    f"facility {sorted(facility_ids - found)[0]} does not exist",
                    code="facility_not_found",
                )
            zone_ids = {r["zone_id"] for r in rows if r["zone_id"] is not None}
            if zone_ids:
                zmap = dict(
                    conn.execute(
                        sa.select(zones.c.id, zones.c.facility_id).where(zones.c.id.in_(zone_ids))
                    ).all()
                )
                for r in rows:
                    if r["zone_id"] is not None and zmap.get(r["zone_id"]) != r["facility_id"]:
                        raise NotFound(f"zone {r['zone_id']} does not exist", code="zone_not_found")
            result = conn.execute(
                sa.insert(locations).returning(locations.c.id, sort_by_parameter_order=True), rows
            )
            return [r[0] for r in result]
    except IntegrityError:
        raise Conflict(
            "a location code or barcode already exists", code="duplicate_location"
        ) from None


def get_location(ctx: Context, location_id: int) -> dict[str, Any]:
    with ctx.read() as conn:
        row = cs.one(conn, sa.select(locations).where(locations.c.id == location_id))
    if row is None:
        raise NotFound(f"location {location_id} does not exist", code="location_not_found")
    return row


def find_location_by_barcode(ctx: Context, barcode: str) -> dict[str, Any]:
    with ctx.read() as conn:
        row = cs.one(conn, sa.select(locations).where(locations.c.barcode == barcode))
    if row is None:
        raise NotFound(f"no location has barcode {barcode!r}", code="location_not_found")
    return row


def list_locations(
    ctx: Context,
    facility_id: int | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    stmt = sa.select(locations).order_by(locations.c.id).limit(limit).offset(offset)
    if facility_id is not None:
        stmt = stmt.where(locations.c.facility_id == facility_id)
    if kind is not None:
        stmt = stmt.where(locations.c.kind == kind)
    with ctx.read() as conn:
        return cs.rows(conn, stmt)


def create_items(ctx: Context, specs: list[ItemSpec], scope: Scope = None) -> list[int]:
    """Create items with their GTINs, all or nothing."""
    valid = [s.validated() for s in specs]
    for s in valid:
        if not _in_scope(scope, s.owner_id):
            raise NotFound(f"owner {s.owner_id} does not exist", code="owner_not_found")
    now = ctx.now()
    try:
        with ctx.write() as conn:
            owner_ids = {s.owner_id for s in valid}
            found = set(
                conn.execute(sa.select(owners.c.id).where(owners.c.id.in_(owner_ids))).scalars()
            )
            if owner_ids - found:
                raise NotFound(
                    f"owner {sorted(owner_ids - found)[0]} does not exist", code="owner_not_found"
                )
            rows = [
                {k: v for k, v in s.__dict__.items() if k != "gtins"} | {"created_at": now}
                for s in valid
            ]
            ids = [
                r[0]
                for r in conn.execute(
                    sa.insert(items).returning(items.c.id, sort_by_parameter_order=True), rows
                )
            ]
            grows = [
                {"owner_id": s.owner_id, "item_id": iid, "gtin": g}
                for s, iid in zip(valid, ids, strict=True)
                for g in s.gtins
            ]
            if grows:
                conn.execute(sa.insert(item_gtins), grows)
            return ids
    except IntegrityError as e:
        msg = str(e.orig).lower()
        what = "GTIN" if "gtin" in msg else "SKU"
        raise Conflict(
            f"an item with that {what} already exists", code=f"duplicate_{what.lower()}"
        ) from None


def create_item(ctx: Context, spec: ItemSpec, scope: Scope = None) -> dict[str, Any]:
    return get_item(ctx, create_items(ctx, [spec], scope)[0], scope)


def get_item(ctx: Context, item_id: int, scope: Scope) -> dict[str, Any]:
    with ctx.read() as conn:
        row = cs.item_with_gtins(conn, scope, item_id)
    if row is None:
        raise NotFound(f"item {item_id} does not exist", code="item_not_found")
    return row


def update_item(
    ctx: Context, item_id: int, scope: Scope, changes: dict[str, Any]
) -> dict[str, Any]:
    """Only descriptive fields may change; tracking flags and owner never do, because
    stock already on the ledger was recorded under them."""
    allowed = {
        "description",
        "weight_g",
        "length_mm",
        "width_mm",
        "height_mm",
        "unit_cost_cents",
        "case_pack",
    }
    bad = set(changes) - allowed
    if bad:
        raise InvalidInput(f"cannot change {sorted(bad)}", code="immutable_field")
    current = get_item(ctx, item_id, scope)
    spec = ItemSpec(
        **{k: current[k] for k in ItemSpec.__dataclass_fields__ if k != "gtins"}, gtins=()
    )
    ItemSpec(**{**spec.__dict__, **changes}).validated()
    if not changes:  # an empty patch changes nothing (and UPDATE ... SET  is not SQL)
        return current
    with ctx.write() as conn:
        conn.execute(sa.update(items).where(items.c.id == item_id).values(**changes))
    return get_item(ctx, item_id, scope)


def list_items(
    ctx: Context,
    scope: Scope,
    owner_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
    sku: str | None = None,
) -> list[dict[str, Any]]:
    stmt = sa.select(items).order_by(items.c.id).limit(limit).offset(offset)
    if scope is not None:
        stmt = stmt.where(items.c.owner_id.in_(list(scope)))
    if owner_id is not None:
        stmt = stmt.where(items.c.owner_id == owner_id)
    if sku is not None:
        stmt = stmt.where(items.c.sku == sku)
    with ctx.read() as conn:
        result = cs.rows(conn, stmt)
        gt = cs.gtins_for_items(conn, [r["id"] for r in result])
    for r in result:
        r["gtins"] = gt[r["id"]]
    return result


def find_items_by_gtin(ctx: Context, gtin14: str, scope: Scope) -> list[dict[str, Any]]:
    stmt = sa.select(item_gtins.c.item_id).where(item_gtins.c.gtin == gtin14)
    if scope is not None:
        stmt = stmt.where(item_gtins.c.owner_id.in_(list(scope)))
    with ctx.read() as conn:
        ids = list(conn.execute(stmt).scalars())
    return [get_item(ctx, i, scope) for i in ids]


def create_lot(
    ctx: Context, item_id: int, code: str, expiry: date | None, scope: Scope
) -> dict[str, Any]:
    validate_lot_code(code)
    item = get_item(ctx, item_id, scope)
    if not item["lot_tracked"]:
        raise InvalidInput(f"item {item_id} is not lot-tracked", code="lot_not_tracked")
    if item["expiry_tracked"] and expiry is None:
        raise InvalidInput(
            f"item {item_id} is expiry-tracked: the lot needs an expiry", code="expiry_required"
        )
    try:
        with ctx.write() as conn:
            lid = conn.execute(
                sa.insert(lots).values(
                    owner_id=item["owner_id"],
                    item_id=item_id,
                    code=code,
                    expiry=expiry,
                    created_at=ctx.now(),
                )
            ).inserted_primary_key[0]
            return cs.one(conn, sa.select(lots).where(lots.c.id == lid))  # type: ignore[return-value]
    except IntegrityError:
        raise Conflict(
            f"lot {code!r} already exists for item {item_id}", code="duplicate_lot"
        ) from None


def ensure_lot(
    ctx: Context, conn, owner_id: int, item_id: int, code: str, expiry: date | None
) -> None:
    """Create a lot inside an ongoing transaction if it is new (receiving uses this)."""
    validate_lot_code(code)
    exists = conn.execute(
        sa.select(lots.c.id).where(lots.c.item_id == item_id, lots.c.code == code)
    ).first()
    if not exists:
        conn.execute(
            sa.insert(lots).values(
                owner_id=owner_id, item_id=item_id, code=code, expiry=expiry, created_at=ctx.now()
            )
        )


def list_lots(ctx: Context, item_id: int, scope: Scope) -> list[dict[str, Any]]:
    get_item(ctx, item_id, scope)
    with ctx.read() as conn:
        return cs.rows(conn, sa.select(lots).where(lots.c.item_id == item_id).order_by(lots.c.id))


def lot_expiries(conn, item_ids: list[int]) -> dict[tuple[int, str], date | None]:
    if not item_ids:
        return {}
    return {
        (r.item_id, r.code): r.expiry
        for r in conn.execute(
            sa.select(lots.c.item_id, lots.c.code, lots.c.expiry).where(
                lots.c.item_id.in_(item_ids)
            )
        )
    }
