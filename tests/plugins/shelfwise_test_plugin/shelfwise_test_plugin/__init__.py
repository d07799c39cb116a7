"""A plug-in package as a third party would write it: it imports Shelfwise's public
types but Shelfwise never imports it -- entry points in pyproject.toml announce it.

* ``PigeonPost`` -- a carrier adapter (rates by weight, "PGN" tracking numbers);
* ``SmallestBinFirst`` -- an allocation rule that empties the smallest bins first, so
  remnants are consolidated and bins freed for putaway;
* ``broken_feed`` points at a name that does not exist, to show a broken plug-in is
  listed with its error instead of stopping Shelfwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shelfwise.domain.allocation import Candidate
from shelfwise.domain.carriers import Label, Quote, Shipment, Tracking
from shelfwise.plugins import IntegrationInfo

INTEGRATION = IntegrationInfo("pigeon_feed", "Tells the pigeons what is in stock")


@dataclass
class PigeonPost:
    code: str = "pigeon"
    voided: set[str] = field(default_factory=set)

    def rate(self, shipment: Shipment) -> Quote:
        grams = sum(p.weight_g for p in shipment.parcels)
        return Quote(self.code, shipment.service, 150 + grams // 100, transit_days=1)

    def label(self, shipment: Shipment) -> Label:
        tracking = "PGN" + shipment.parcels[0].sscc[-10:]
        return Label(tracking, f"^XA^FD{tracking}^FS^XZ".encode(), "zpl")

    def track(self, tracking_number: str) -> Tracking:
        status = "voided" if tracking_number in self.voided else "in_transit"
        return Tracking(tracking_number, status, ("left the loft",))

    def void(self, tracking_number: str) -> bool:
        self.voided.add(tracking_number)
        return True


@dataclass(frozen=True)
class SmallestBinFirst:
    name: str = "smallest_bin_first"

    def eligible(self, c: Candidate, today: date) -> bool:
        return c.expiry is None or c.expiry >= today

    def rank(self, c: Candidate) -> tuple:
        return (c.available, c.path_order, c.location_id)
