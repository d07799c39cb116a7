"""The demo's world: its buildings (facilities, zones, ~2,000 bins), client brands and
items, created through the catalogue services, and the small model of them the
simulation keeps (where each item lives, what its home bin holds)."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field, replace
from datetime import datetime

from shelfwise.demo.catalog_data import (
    AISLES,
    BAYS,
    FACILITIES,
    LEVELS,
    NOUNS,
    OWNERS,
    ZONES,
    demo_items,
)
from shelfwise.demo.demand import DemandModel
from shelfwise.demo.planner import fitting_case_pack
from shelfwise.domain.locations import LocationKind
from shelfwise.services import catalog
from shelfwise.services.context import Context


class SimClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    id: int
    code: str
    supplier: int = 0
    customer: int = 0
    adjustment: int = 0
    in_transit: int = 0
    docks: list[int] = field(default_factory=list)
    staging: int = 0
    quarantine: int = 0
    damaged: int = 0
    storage: list[int] = field(default_factory=list)
    zone_of: dict[int, str] = field(default_factory=dict)  # storage bin -> zone code


@dataclass
class Sku:
    id: int
    owner_id: int
    case_pack: int
    lot_tracked: bool
    rate: float  # popularity: how often it is ordered relative to other items
    owner: str = ""
    sku: str = ""
    noun: str = ""
    home: dict[int, int] = field(default_factory=dict)  # facility -> home bin
    # facility -> deque of [lot, qty] in the home bin, oldest first
    stock: dict[int, deque] = field(default_factory=dict)


def build_sites(ctx: Context) -> list[Site]:
    sites = []
    for fcode, fname in FACILITIES:
        fid = catalog.create_facility(ctx, fcode, fname)["id"]
        s = Site(fid, fcode)
        for kind, attr in (
            (LocationKind.SUPPLIER, "supplier"),
            (LocationKind.CUSTOMER, "customer"),
            (LocationKind.ADJUSTMENT, "adjustment"),
            (LocationKind.IN_TRANSIT, "in_transit"),
        ):
            setattr(s, attr, catalog.virtual_location(ctx, fid, kind))
        specs = [
            {"facility_id": fid, "code": f"{fcode}-DOCK-{n:02d}", "kind": "receiving"}
            for n in range(1, 5)
        ]
        specs += [
            {"facility_id": fid, "code": f"{fcode}-STAGE-{n:02d}", "kind": "staging"}
            for n in range(1, 4)
        ]
        specs += [
            {"facility_id": fid, "code": f"{fcode}-PACK-01", "kind": "packing"},
            {"facility_id": fid, "code": f"{fcode}-SHIP-01", "kind": "shipping"},
            {"facility_id": fid, "code": f"{fcode}-QUAR-01", "kind": "quarantine"},
            {"facility_id": fid, "code": f"{fcode}-DMG-01", "kind": "damaged"},
        ]
        n_fixed = len(specs)
        for zcode, zname in ZONES:
            zid = catalog.create_zone(ctx, fid, zcode, zname)["id"]
            for a in range(1, AISLES + 1):
                for b in range(1, BAYS + 1):
                    for lv in LEVELS:
                        code = f"{zcode}-{a:02d}-{b:02d}-{lv}"
                        kind = "pick_face" if (zcode == "A" and lv == "A") else "storage"
                        specs.append(
                            {
                                "facility_id": fid,
                                "zone_id": zid,
                                "kind": kind,
                                "code": code,
                                "barcode": f"{fcode}-{code}",
                                "capacity_units": 2000,
                            }
                        )
        ids = catalog.create_locations(ctx, specs)
        s.docks, s.staging = ids[:4], ids[4]
        s.quarantine, s.damaged = ids[9], ids[10]
        s.storage = ids[n_fixed:]
        s.zone_of = {i: spec["code"].split("-")[0] for i, spec in zip(ids, specs, strict=True)
                     if "zone_id" in spec}
        sites.append(s)
    return sites


def build_catalog(ctx: Context, rng: random.Random, per_owner: int):
    owner_ids = {code: catalog.create_owner(ctx, code, name)["id"] for code, name, *_ in OWNERS}
    code_of = {v: k for k, v in owner_ids.items()}
    sites = build_sites(ctx)
    specs = demo_items(owner_ids, per_owner, rng)
    skus = []
    for n, spec in enumerate(specs):
        rate = rng.lognormvariate(0.6, 1.0) if rng.random() > 0.2 else rng.uniform(0.05, 0.3)
        owner = code_of[spec.owner_id]
        skus.append(Sku(n, spec.owner_id, spec.case_pack, spec.lot_tracked, min(rate, 60.0),
                        owner, spec.sku, NOUNS[owner][(n % per_owner) % len(NOUNS[owner])]))
    daily = DemandModel(skus).expected_daily()
    for s in skus:  # slow movers are bought in eaches
        s.case_pack = fitting_case_pack(s.case_pack, daily[s.id])
    specs = [replace(spec, case_pack=s.case_pack) for spec, s in zip(specs, skus, strict=True)]
    item_ids = catalog.create_items(ctx, specs)
    for s, iid in zip(skus, item_ids, strict=True):
        s.id = iid
        for site in sites:
            s.home[site.id] = rng.choice(site.storage)
            s.stock[site.id] = deque()
    return sites, skus
