"""The expected receipt that inbound 943 and 856 documents both become.

Receiving does not care whether the partner announced a delivery with a 943
(stock transfer from the depositor's own plant) or an 856 ASN (from a
supplier): it needs what is coming, how much, in which lot and carton, and
against which purchase order -- so both mappings produce this one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shelfwise.integrations.edi.elements import ProductId, find_product
from shelfwise.integrations.edi.parties import Party


@dataclass(frozen=True, slots=True)
class ExpectedLine:
    """One expected item quantity (whole units of ``unit``), with lot and carton if known."""

    quantity: int
    unit: str
    product_ids: tuple[ProductId, ...]
    lot: str | None = None
    expiry_date: date | None = None
    purchase_order_number: str | None = None
    sscc: str | None = None
    line_number: str | None = None

    @property
    def upc(self) -> str | None:
        return find_product(self.product_ids, "UP", "UK", "EN")

    @property
    def vendor_part_number(self) -> str | None:
        return find_product(self.product_ids, "VN", "VP", "VC")

    @property
    def sku(self) -> str | None:
        return find_product(self.product_ids, "SK", "IN", "BP")


@dataclass(frozen=True, slots=True)
class ExpectedReceipt:
    """An announced inbound delivery; ``source_set``/``control_number`` trace it back."""

    source_set: str
    control_number: str
    shipment_id: str
    depositor_order_number: str | None
    purchase_order_numbers: tuple[str, ...]
    ship_date: date | None
    expected_delivery_date: date | None
    ship_from: Party | None
    parties: tuple[Party, ...]
    carrier_scac: str | None
    bill_of_lading: str | None
    lines: tuple[ExpectedLine, ...]

    @property
    def total_quantity(self) -> int:
        return sum(line.quantity for line in self.lines)
