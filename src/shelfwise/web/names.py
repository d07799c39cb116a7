"""Readable names for the ids a page shows (bin codes, SKUs, owner and facility codes).

One ``Names`` per request: it remembers what it looked up, so a history page of fifty
lines asks for each location once. Lookups go through the scoped catalog services; an
item the caller may not see is shown by its id only.
"""

from __future__ import annotations

from typing import Any

from shelfwise.domain.errors import NotFound
from shelfwise.domain.locations import PHYSICAL_KINDS, LocationKind
from shelfwise.services import catalog
from shelfwise.services.context import Context

Scope = frozenset[int] | None


class Names:
    def __init__(self, ctx: Context, scope: Scope) -> None:
        self.ctx, self.scope = ctx, scope
        self._locations: dict[int, dict[str, Any] | None] = {}
        self._items: dict[int, dict[str, Any] | None] = {}
        self._owners: dict[int, str] | None = None
        self._facilities: dict[int, str] | None = None

    def location_row(self, location_id: int | None) -> dict[str, Any] | None:
        if location_id is None:
            return None
        if location_id not in self._locations:
            try:
                self._locations[location_id] = catalog.get_location(self.ctx, location_id)
            except NotFound:
                self._locations[location_id] = None
        return self._locations[location_id]

    def location(self, location_id: int | None) -> str:
        row = self.location_row(location_id)
        if row is None:
            return f"#{location_id}" if location_id is not None else ""
        if LocationKind(row["kind"]) in PHYSICAL_KINDS:
            return row["code"]
        return f"{row['kind']} ({self.facility(row['facility_id'])})"

    def is_physical(self, location_id: int) -> bool:
        row = self.location_row(location_id)
        return row is not None and LocationKind(row["kind"]) in PHYSICAL_KINDS

    def item_row(self, item_id: int) -> dict[str, Any] | None:
        if item_id not in self._items:
            try:
                self._items[item_id] = catalog.get_item(self.ctx, item_id, self.scope)
            except NotFound:
                self._items[item_id] = None
        return self._items[item_id]

    def item(self, item_id: int) -> str:
        row = self.item_row(item_id)
        return row["sku"] if row else f"#{item_id}"

    def owner(self, owner_id: int | None) -> str:
        if self._owners is None:
            self._owners = {o["id"]: o["code"] for o in catalog.list_owners(self.ctx, self.scope)}
        return self._owners.get(owner_id, f"#{owner_id}") if owner_id is not None else ""

    def facility(self, facility_id: int | None) -> str:
        if self._facilities is None:
            self._facilities = {f["id"]: f["code"] for f in catalog.list_facilities(self.ctx)}
        return self._facilities.get(facility_id, f"#{facility_id}") if facility_id else ""

    def facilities(self) -> dict[int, str]:
        self.facility(None)
        return dict(self._facilities or {})
