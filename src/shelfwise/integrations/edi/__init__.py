"""X12 EDI for the warehouse transaction sets (940, 943, 944, 945, 846, 856, 997).

Pure functions over text: no database, no files, no clock. The layers are

* :mod:`.tokenizer` -- delimiters from the ISA, numbered segments;
* :mod:`.envelope` -- ISA/GS/ST validation into an :class:`Interchange`;
* ``t940``/``t943``/``t856`` readers -> shipping orders and expected receipts;
* ``t945``/``t944``/``t846``/``t856``/``t997`` writers (and readers, so our own
  output and partners' copies can be read back).

Every problem is an :class:`EdiError` with a stable :class:`EdiErrorCode` and
the segment id, segment position and element position at fault.

Typical inbound use::

    interchange = parse_interchange(raw_bytes)
    for tx in interchange.transactions:
        order = read_940(tx)
"""

from shelfwise.integrations.edi.elements import PRODUCT_QUALIFIERS, ProductId, find_product
from shelfwise.integrations.edi.envelope import (
    KNOWN_SETS,
    ControlNumbers,
    FunctionalGroup,
    Interchange,
    TransactionSet,
    parse_interchange,
)
from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode
from shelfwise.integrations.edi.parties import Party
from shelfwise.integrations.edi.receipts import ExpectedLine, ExpectedReceipt
from shelfwise.integrations.edi.t846 import InventoryLine, InventorySnapshot, read_846, write_846
from shelfwise.integrations.edi.t856 import (
    Carton,
    CartonItem,
    OutboundShipment,
    ShipmentOrder,
    read_856,
    write_856,
)
from shelfwise.integrations.edi.t940 import OrderLine, ShippingOrder, read_940
from shelfwise.integrations.edi.t943 import read_943
from shelfwise.integrations.edi.t944 import ReceiptAdvice, ReceivedLine, read_944, write_944
from shelfwise.integrations.edi.t945 import ShippedLine, ShippingAdvice, read_945, write_945
from shelfwise.integrations.edi.t997 import (
    AckStatus,
    ElementNote,
    FunctionalAcknowledgment,
    SegmentNote,
    SetAcknowledgment,
    acknowledge,
    read_997,
    write_997,
)
from shelfwise.integrations.edi.tokenizer import Delimiters, Segment, TokenizedDocument, tokenize
from shelfwise.integrations.edi.writer import TradingPartner

__all__ = [
    "KNOWN_SETS",
    "PRODUCT_QUALIFIERS",
    "AckStatus",
    "Carton",
    "CartonItem",
    "ControlNumbers",
    "Delimiters",
    "EdiError",
    "EdiErrorCode",
    "ElementNote",
    "ExpectedLine",
    "ExpectedReceipt",
    "FunctionalAcknowledgment",
    "FunctionalGroup",
    "Interchange",
    "InventoryLine",
    "InventorySnapshot",
    "OrderLine",
    "OutboundShipment",
    "Party",
    "ProductId",
    "ReceiptAdvice",
    "ReceivedLine",
    "Segment",
    "SegmentNote",
    "SetAcknowledgment",
    "ShipmentOrder",
    "ShippedLine",
    "ShippingAdvice",
    "ShippingOrder",
    "TokenizedDocument",
    "TradingPartner",
    "TransactionSet",
    "acknowledge",
    "find_product",
    "parse_interchange",
    "read_846",
    "read_856",
    "read_940",
    "read_943",
    "read_944",
    "read_945",
    "read_997",
    "tokenize",
    "write_846",
    "write_856",
    "write_944",
    "write_945",
    "write_997",
]
