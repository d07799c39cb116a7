"""Names and shapes of the demo's owners, items and buildings (data, no I/O)."""

from __future__ import annotations

import random

from shelfwise.domain.catalog import ItemSpec, with_check_digit

OWNERS = [
    ("ACME", "Acme Outdoor Co.", "0614141", False),
    ("NORDIC", "Nordic Home AB", "7350053", False),
    ("PEAK", "Peak Nutrition Ltd", "5012345", True),  # lot- and expiry-tracked
]
#: Each owner's usual supplier (the late supplier of the fault plan is another one).
SUPPLIERS = {"ACME": "Sierra Outdoor Supply", "NORDIC": "Nordic Living Wholesale",
             "PEAK": "Peak Labs Manufacturing"}
FACILITIES = [("WH1", "Reno Distribution Center"), ("WH2", "Columbus Fulfillment Center")]
ZONES = [("A", "Fast movers"), ("B", "Ambient reserve"), ("C", "Bulk")]
AISLES, BAYS, LEVELS = 6, 11, "ABCDE"

NOUNS = {
    "ACME": [
        "Tent",
        "Sleeping bag",
        "Headlamp",
        "Trail shoe",
        "Rain jacket",
        "Backpack",
        "Camp stove",
        "Water filter",
        "Trekking pole",
        "Dry bag",
    ],
    "NORDIC": [
        "Table lamp",
        "Linen throw",
        "Oak stool",
        "Wool rug",
        "Ceramic vase",
        "Pendant light",
        "Cushion cover",
        "Birch shelf",
        "Candle holder",
        "Mirror",
    ],
    "PEAK": [
        "Whey protein",
        "Energy gel",
        "Electrolyte tabs",
        "Protein bar",
        "Creatine",
        "Oat bar",
        "Recovery shake",
        "Multivitamin",
        "Caffeine gum",
        "Beta alanine",
    ],
}
ADJECTIVES = [
    "Classic",
    "Pro",
    "Lite",
    "Ultra",
    "Compact",
    "Deluxe",
    "Trail",
    "Urban",
    "Alpine",
    "Coastal",
    "Summit",
    "Nordic",
    "Eco",
    "Max",
    "Mini",
    "Select",
]
VARIANTS = [
    "Black",
    "Green",
    "Sand",
    "Navy",
    "Red",
    "Grey",
    "Natural",
    "Large",
    "Small",
    "Vanilla",
    "Chocolate",
    "Berry",
    "Citrus",
    "Unflavoured",
]


def demo_items(owner_ids: dict[str, int], per_owner: int, rng: random.Random) -> list[ItemSpec]:
    """Items with GS1 GTINs of each owner's company prefix (valid check digits)."""
    specs = []
    for code, _name, prefix, tracked in OWNERS:
        for n in range(per_owner):
            noun = NOUNS[code][n % len(NOUNS[code])]
            desc = f"{rng.choice(ADJECTIVES)} {noun.lower()} – {rng.choice(VARIANTS)}"
            body = f"{prefix}{n:05d}"  # 12 digits: GS1 prefix + item reference
            each = with_check_digit(body)  # EAN-13
            case = with_check_digit("1" + body)  # GTIN-14 of the case
            specs.append(
                ItemSpec(
                    owner_id=owner_ids[code],
                    sku=f"{code[:3]}-{noun[:4].upper().replace(' ', '')}-{n:04d}",
                    description=desc[:200],
                    gtins=(each, case),
                    case_pack=rng.choice([1, 4, 6, 12, 24]),
                    lot_tracked=tracked,
                    expiry_tracked=tracked,
                    weight_g=rng.randint(50, 9000),
                    length_mm=rng.randint(50, 800),
                    width_mm=rng.randint(50, 500),
                    height_mm=rng.randint(20, 400),
                    unit_cost_cents=rng.randint(150, 25000),
                )
            )
    return specs
