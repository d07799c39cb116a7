"""Request bodies. Strict types: a quantity is a JSON integer, never "5" or 5.0."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OwnerIn(Body):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


class FacilityIn(Body):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)


class ZoneIn(Body):
    facility_id: StrictInt
    code: str = Field(min_length=1, max_length=64)
    name: str = Field("", max_length=200)


class LocationIn(Body):
    facility_id: StrictInt
    code: str = Field(min_length=1, max_length=64)
    kind: str
    zone_id: StrictInt | None = None
    barcode: str | None = Field(None, max_length=64)
    capacity_units: StrictInt | None = None
    path_order: str | None = Field(None, max_length=64)


class ItemIn(Body):
    owner_id: StrictInt
    sku: str = Field(min_length=1, max_length=64)
    description: str = Field(min_length=1, max_length=200)
    gtins: list[str] = Field(default_factory=list, max_length=20)
    base_unit: str = Field("EA", max_length=16)
    case_pack: StrictInt = 1
    lot_tracked: StrictBool = False
    expiry_tracked: StrictBool = False
    serial_tracked: StrictBool = False
    weight_g: StrictInt = 0
    length_mm: StrictInt = 0
    width_mm: StrictInt = 0
    height_mm: StrictInt = 0
    unit_cost_cents: StrictInt = 0


class ItemPatch(Body):
    description: str | None = Field(None, min_length=1, max_length=200)
    case_pack: StrictInt | None = None
    weight_g: StrictInt | None = None
    length_mm: StrictInt | None = None
    width_mm: StrictInt | None = None
    height_mm: StrictInt | None = None
    unit_cost_cents: StrictInt | None = None


class LotIn(Body):
    code: str = Field(min_length=1, max_length=20)
    expiry: date | None = None


class LineIn(Body):
    item_id: StrictInt
    from_location_id: StrictInt
    to_location_id: StrictInt
    qty: StrictInt
    lot: str = Field("", max_length=20)


class MovementIn(Body):
    owner_id: StrictInt
    type: str
    lines: list[LineIn] = Field(min_length=1, max_length=1000)
    reason: str = Field("", max_length=64)
    document_type: str = Field("", max_length=32)
    document_id: str = Field("", max_length=64)
    device: str = Field("", max_length=64)
    scans: list[str] = Field(default_factory=list, max_length=100)
    note: str = Field("", max_length=500)


class HoldIn(Body):
    owner_id: StrictInt
    item_id: StrictInt
    facility_id: StrictInt
    qty: StrictInt
    location_id: StrictInt | None = None
    lot: str = Field("", max_length=20)
    document_type: str = Field("", max_length=32)
    document_id: str = Field("", max_length=64)
    expires_at: datetime | None = None


class HoldPostIn(Body):
    qty: StrictInt
    to_location_id: StrictInt
    from_location_id: StrictInt | None = None
    lot: str | None = Field(None, max_length=20)
    device: str = Field("", max_length=64)
    scans: list[str] = Field(default_factory=list, max_length=100)
