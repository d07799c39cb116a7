"""The ledger's pure rules: quantities, movement validation, deltas, location kinds, hold
states and catalog codes. No database: these run in milliseconds."""

from __future__ import annotations

from datetime import date

import pytest

from shelfwise.domain.catalog import (
    ItemSpec,
    gs1_check_digit,
    lot_expired,
    normalize_gtin,
    validate_code,
    validate_lot_code,
    with_check_digit,
)
from shelfwise.domain.errors import (
    Conflict,
    InsufficientStock,
    InvalidInput,
    NotFound,
    ShelfwiseError,
    Shortfall,
)
from shelfwise.domain.holds import TRANSITIONS, HoldState, check_transition
from shelfwise.domain.ledger import (
    MAX_LINE_QTY,
    MAX_LINES,
    REASON_REQUIRED,
    ItemFacts,
    LineCommand,
    LocationFacts,
    MovementCommand,
    MovementType,
    compute_deltas,
    guarded_keys,
    sorted_keys,
    validate_movement,
    validate_quantity,
)
from shelfwise.domain.locations import (
    AUTO_VIRTUAL_KINDS,
    BUCKETS,
    HELD_KINDS,
    IN_PROCESS_KINDS,
    PHYSICAL_KINDS,
    SELLABLE_KINDS,
    VIRTUAL_KINDS,
    LocationKind,
    buckets_for,
    is_guarded,
    virtual_code,
)

ACME, NORDIC = 1, 2
WH1, WH2 = 10, 20
TENT, GAS, LAMP = 100, 101, 102
# locations: id -> kind, all in WH1 except the WH2 ones
SUPPLIER, CUSTOMER, ADJUST, DOCK, BIN_A, BIN_B, STAGE, QUAR = 1, 2, 3, 4, 5, 6, 7, 8
TRANSIT2, BIN_WH2 = 9, 10

LOCS = {
    SUPPLIER: LocationFacts(SUPPLIER, WH1, LocationKind.SUPPLIER),
    CUSTOMER: LocationFacts(CUSTOMER, WH1, LocationKind.CUSTOMER),
    ADJUST: LocationFacts(ADJUST, WH1, LocationKind.ADJUSTMENT),
    DOCK: LocationFacts(DOCK, WH1, LocationKind.RECEIVING),
    BIN_A: LocationFacts(BIN_A, WH1, LocationKind.STORAGE),
    BIN_B: LocationFacts(BIN_B, WH1, LocationKind.PICK_FACE),
    STAGE: LocationFacts(STAGE, WH1, LocationKind.STAGING),
    QUAR: LocationFacts(QUAR, WH1, LocationKind.QUARANTINE),
    TRANSIT2: LocationFacts(TRANSIT2, WH2, LocationKind.IN_TRANSIT),
    BIN_WH2: LocationFacts(BIN_WH2, WH2, LocationKind.STORAGE),
}
ITEMS = {
    TENT: ItemFacts(TENT, ACME, lot_tracked=False),
    GAS: ItemFacts(GAS, ACME, lot_tracked=True),
    LAMP: ItemFacts(LAMP, NORDIC, lot_tracked=False),
}


def cmd(*lines: LineCommand, type: MovementType = MovementType.MOVE, reason: str = "",
        owner: int = ACME) -> MovementCommand:
    return MovementCommand(owner_id=owner, type=type, lines=lines, reason=reason)


def line(src: int = BIN_A, dst: int = BIN_B, qty: object = 5, item: int = TENT,
         lot: str = "") -> LineCommand:
    return LineCommand(item, src, dst, qty, lot)  # type: ignore[arg-type]


def code_of(exc_info: pytest.ExceptionInfo[ShelfwiseError]) -> str:
    return exc_info.value.code


# ------------------------------------------------------------------ quantities


@pytest.mark.parametrize("qty", [1, 24, MAX_LINE_QTY])
def test_a_positive_whole_quantity_is_accepted(qty: int) -> None:
    assert validate_quantity(qty) == qty


@pytest.mark.parametrize(
    ("qty", "code"),
    [
        (0, "invalid_quantity"),
        (-1, "invalid_quantity"),
        (True, "invalid_quantity"),
        (False, "invalid_quantity"),
        (5.0, "invalid_quantity"),
        ("5", "invalid_quantity"),
        (None, "invalid_quantity"),
        (MAX_LINE_QTY + 1, "quantity_too_large"),
        (2**63, "quantity_too_large"),
    ],
)
def test_a_quantity_that_is_not_a_sane_positive_integer_is_refused(qty: object,
                                                                    code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        validate_quantity(qty)
    assert code_of(e) == code and e.value.status == 422


def test_the_refusal_names_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"lines\[3\]\.qty"):
        validate_quantity(0, "lines[3].qty")


# ------------------------------------------------------------------ movement validation


def test_a_well_formed_movement_passes() -> None:
    validate_movement(cmd(line(), line(BIN_B, STAGE, 2)), ITEMS, LOCS)
    validate_movement(cmd(line(SUPPLIER, DOCK, 24, GAS, "L2406A"), type=MovementType.RECEIPT),
                      ITEMS, LOCS)
    validate_movement(cmd(line(ADJUST, BIN_A, 1), type=MovementType.ADJUSTMENT,
                          reason="COUNT_FOUND"), ITEMS, LOCS)


@pytest.mark.parametrize(
    ("command", "error", "code"),
    [
        (cmd(), InvalidInput, "empty_movement"),
        (cmd(*[line()] * (MAX_LINES + 1)), InvalidInput, "too_many_lines"),
        (cmd(line(ADJUST, BIN_A), type=MovementType.ADJUSTMENT), InvalidInput,
         "reason_required"),
        (cmd(line(BIN_A, ADJUST), type=MovementType.COUNT), InvalidInput, "reason_required"),
        (cmd(line(BIN_A, ADJUST), type=MovementType.SCRAP), InvalidInput, "reason_required"),
        (cmd(line(qty=0)), InvalidInput, "invalid_quantity"),
        (cmd(line(qty=-4)), InvalidInput, "invalid_quantity"),
        (cmd(line(qty="4")), InvalidInput, "invalid_quantity"),
        (cmd(line(qty=MAX_LINE_QTY + 1)), InvalidInput, "quantity_too_large"),
        (cmd(line(item=999)), NotFound, "item_not_found"),
        (cmd(line(item=LAMP)), NotFound, "item_not_found"),
        (cmd(line(item=TENT), owner=NORDIC), NotFound, "item_not_found"),
        (cmd(line(src=999)), NotFound, "location_not_found"),
        (cmd(line(dst=999)), NotFound, "location_not_found"),
        (cmd(line(BIN_A, BIN_A)), InvalidInput, "same_location"),
        (cmd(line(item=GAS)), InvalidInput, "lot_required"),
        (cmd(line(lot="L2406A")), InvalidInput, "lot_not_tracked"),
    ],
    ids=["no lines", "too many lines", "adjustment without reason", "count without reason",
         "scrap without reason", "zero", "negative", "string qty", "huge qty", "unknown item",
         "another owner's item", "item under the wrong owner", "unknown source",
         "unknown destination", "same location", "lot missing", "lot on untracked item"],
)
def test_a_movement_breaking_a_rule_is_refused_with_its_code(
    command: MovementCommand, error: type[ShelfwiseError], code: str
) -> None:
    with pytest.raises(error) as e:
        validate_movement(command, ITEMS, LOCS)
    assert code_of(e) == code


def test_another_owners_item_looks_exactly_like_a_missing_one() -> None:
    with pytest.raises(NotFound) as theirs:
        validate_movement(cmd(line(item=LAMP)), ITEMS, LOCS)
    with pytest.raises(NotFound) as missing:
        validate_movement(cmd(line(item=999)), ITEMS, LOCS)
    assert theirs.value.code == missing.value.code
    assert str(theirs.value).replace(str(LAMP), "?") == str(missing.value).replace("999", "?")


def test_a_bad_second_line_is_named_by_its_index() -> None:
    with pytest.raises(InvalidInput, match=r"lines\[1\]"):
        validate_movement(cmd(line(), line(BIN_B, BIN_B)), ITEMS, LOCS)


def test_only_adjustments_counts_and_scrap_need_a_reason() -> None:
    assert {MovementType.ADJUSTMENT, MovementType.COUNT, MovementType.SCRAP} == REASON_REQUIRED
    validate_movement(cmd(line(), type=MovementType.REPLENISH), ITEMS, LOCS)


# ------------------------------------------------------------------ deltas


def test_a_receipt_adds_to_the_dock_and_takes_from_the_supplier() -> None:
    d = compute_deltas([cmd(line(SUPPLIER, DOCK, 24), type=MovementType.RECEIPT)], LOCS)
    assert dict(d.balances) == {(ACME, TENT, SUPPLIER, ""): -24, (ACME, TENT, DOCK, ""): 24}
    assert {k: dict(v) for k, v in d.levels.items()} == {
        (ACME, TENT, WH1): {"on_hand": 24, "receiving": 24}}
    assert dict(d.outflows) == {(ACME, TENT, SUPPLIER, ""): 24}


def test_every_movement_sums_to_zero_per_item() -> None:
    moves = [
        cmd(line(SUPPLIER, DOCK, 30), type=MovementType.RECEIPT),
        cmd(line(DOCK, BIN_A, 30), line(SUPPLIER, BIN_B, 6, GAS, "L2406A")),
        cmd(line(BIN_A, STAGE, 4), line(STAGE, CUSTOMER, 4)),
        cmd(line(BIN_A, TRANSIT2, 5), type=MovementType.TRANSFER_OUT),
        cmd(line(TRANSIT2, BIN_WH2, 5), type=MovementType.TRANSFER_IN),
    ]
    d = compute_deltas(moves, LOCS)
    per_item: dict[tuple[int, str], int] = {}
    for (_, item, _, lot), q in d.balances.items():
        per_item[(item, lot)] = per_item.get((item, lot), 0) + q
    assert set(per_item.values()) == {0}


def test_a_move_within_sellable_stock_changes_no_figure() -> None:
    d = compute_deltas([cmd(line(BIN_A, BIN_B, 7))], LOCS)
    assert all(v == 0 for v in d.levels[(ACME, TENT, WH1)].values())
    assert d.balances[(ACME, TENT, BIN_A, "")] == -7
    assert d.balances[(ACME, TENT, BIN_B, "")] == 7


def test_picking_moves_units_from_sellable_to_in_process() -> None:
    d = compute_deltas([cmd(line(BIN_A, STAGE, 3), type=MovementType.PICK)], LOCS)
    assert dict(d.levels[(ACME, TENT, WH1)]) == {"on_hand": 0, "sellable": -3, "in_process": 3}


def test_quarantine_moves_units_from_sellable_to_held() -> None:
    d = compute_deltas([cmd(line(BIN_A, QUAR, 2), type=MovementType.HOLD)], LOCS)
    assert dict(d.levels[(ACME, TENT, WH1)]) == {"on_hand": 0, "sellable": -2, "held": 2}


def test_a_transfer_leaves_one_building_and_is_in_transit_to_the_other() -> None:
    d = compute_deltas([cmd(line(BIN_A, TRANSIT2, 5), type=MovementType.TRANSFER_OUT)], LOCS)
    assert dict(d.levels[(ACME, TENT, WH1)]) == {"on_hand": -5, "sellable": -5}
    assert dict(d.levels[(ACME, TENT, WH2)]) == {"in_transit": 5}
    d = compute_deltas([cmd(line(TRANSIT2, BIN_WH2, 5), type=MovementType.TRANSFER_IN)], LOCS)
    assert dict(d.levels[(ACME, TENT, WH2)]) == {"in_transit": -5, "on_hand": 5,
                                                  "sellable": 5}


def test_deltas_of_several_commands_add_up() -> None:
    d = compute_deltas([cmd(line(BIN_A, BIN_B, 2)), cmd(line(BIN_A, BIN_B, 3)),
                        cmd(line(BIN_B, BIN_A, 1))], LOCS)
    assert d.balances[(ACME, TENT, BIN_A, "")] == -4
    assert d.outflows[(ACME, TENT, BIN_A, "")] == 5
    assert d.outflows[(ACME, TENT, BIN_B, "")] == 1


def test_lots_are_separate_stock_keys() -> None:
    d = compute_deltas([cmd(line(SUPPLIER, BIN_A, 4, GAS, "L2406A"),
                            line(SUPPLIER, BIN_A, 6, GAS, "L2407B"))], LOCS)
    assert d.balances[(ACME, GAS, BIN_A, "L2406A")] == 4
    assert d.balances[(ACME, GAS, BIN_A, "L2407B")] == 6


def test_only_real_stock_is_guarded() -> None:
    keys = [(ACME, TENT, loc, "") for loc in LOCS]
    assert guarded_keys(keys, LOCS) == {
        (ACME, TENT, loc, "") for loc in (DOCK, BIN_A, BIN_B, STAGE, QUAR, TRANSIT2, BIN_WH2)}


def test_keys_are_written_in_one_global_order() -> None:
    keys = [(2, 1, 5, ""), (1, 9, 1, "B"), (1, 9, 1, "A"), (1, 2, 8, "")]
    assert sorted_keys(keys) == [(1, 2, 8, ""), (1, 9, 1, "A"), (1, 9, 1, "B"), (2, 1, 5, "")]


# ------------------------------------------------------------------ location kinds


def test_physical_and_virtual_kinds_partition_all_kinds() -> None:
    assert set(LocationKind) == PHYSICAL_KINDS | VIRTUAL_KINDS
    assert not PHYSICAL_KINDS & VIRTUAL_KINDS
    assert set(AUTO_VIRTUAL_KINDS) == VIRTUAL_KINDS


@pytest.mark.parametrize("kind", list(LocationKind))
def test_a_kind_is_guarded_when_its_stock_is_real(kind: LocationKind) -> None:
    assert is_guarded(kind) == (kind in PHYSICAL_KINDS or kind == LocationKind.IN_TRANSIT)


@pytest.mark.parametrize(
    ("kind", "buckets"),
    [
        (LocationKind.RECEIVING, ("on_hand", "receiving")),
        (LocationKind.STORAGE, ("on_hand", "sellable")),
        (LocationKind.PICK_FACE, ("on_hand", "sellable")),
        (LocationKind.STAGING, ("on_hand", "in_process")),
        (LocationKind.PACKING, ("on_hand", "in_process")),
        (LocationKind.SHIPPING, ("on_hand", "in_process")),
        (LocationKind.QUARANTINE, ("on_hand", "held")),
        (LocationKind.DAMAGED, ("on_hand", "held")),
        (LocationKind.IN_TRANSIT, ("in_transit",)),
        (LocationKind.SUPPLIER, ()),
        (LocationKind.CUSTOMER, ()),
        (LocationKind.ADJUSTMENT, ()),
        (LocationKind.SCRAP, ()),
        (LocationKind.PRODUCTION, ()),
    ],
)
def test_each_kind_counts_towards_its_figures(kind: LocationKind, buckets: tuple) -> None:
    assert buckets_for(kind) == buckets
    assert set(buckets) <= set(BUCKETS)


def test_every_physical_unit_is_on_hand_in_exactly_one_other_figure() -> None:
    for kind in PHYSICAL_KINDS:
        b = buckets_for(kind)
        assert b[0] == "on_hand" and len(b) == 2
    assert SELLABLE_KINDS | IN_PROCESS_KINDS | HELD_KINDS | {LocationKind.RECEIVING} == \
        PHYSICAL_KINDS


def test_virtual_locations_get_readable_codes() -> None:
    assert virtual_code("WH1", LocationKind.IN_TRANSIT) == "WH1:IN_TRANSIT"


# ------------------------------------------------------------------ holds


def test_a_pending_hold_may_be_posted_voided_or_expire() -> None:
    for target in (HoldState.POSTED, HoldState.VOIDED, HoldState.EXPIRED):
        check_transition(HoldState.PENDING, target, 1)


@pytest.mark.parametrize("final", [HoldState.POSTED, HoldState.VOIDED, HoldState.EXPIRED])
def test_a_closed_hold_never_changes_again(final: HoldState) -> None:
    assert TRANSITIONS[final] == frozenset()
    for target in HoldState:
        with pytest.raises(Conflict) as e:
            check_transition(final, target, 7)
        assert e.value.code == "invalid_hold_state" and e.value.status == 409
        assert "hold 7" in str(e.value)


def test_a_hold_cannot_go_back_to_pending() -> None:
    with pytest.raises(Conflict):
        check_transition(HoldState.PENDING, HoldState.PENDING, 1)


# ------------------------------------------------------------------ catalog codes


@pytest.mark.parametrize(
    ("raw", "gtin14"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("036000291452", "00036000291452"),  # UPC-A
        ("96385074", "00000096385074"),  # EAN-8
        ("10614141000415", "10614141000415"),  # GTIN-14 of a case
        (" 036000291452 ", "00036000291452"),
    ],
)
def test_a_gtin_is_stored_in_its_14_digit_form(raw: str, gtin14: str) -> None:
    assert normalize_gtin(raw) == gtin14


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("4006381333932", "bad_check_digit"),
        ("036000291453", "bad_check_digit"),
        ("403638133393", "bad_check_digit"),
        ("40063813339", "invalid_gtin"),
        ("400638133393A", "invalid_gtin"),
        ("", "invalid_gtin"),
        ("123456789012345", "invalid_gtin"),
    ],
)
def test_a_bad_gtin_is_refused(raw: str, code: str) -> None:
    with pytest.raises(InvalidInput) as e:
        normalize_gtin(raw)
    assert e.value.code == code


def test_check_digits_follow_gs1() -> None:
    assert gs1_check_digit("400638133393") == 1
    assert gs1_check_digit("03600029145") == 2
    assert with_check_digit("0950600000001") == "09506000000015"
    assert normalize_gtin(with_check_digit("0950600123456"))


@pytest.mark.parametrize("value", ["A-01-03-B", "TENT-2P", "WH1:DOCK", "x", "a/b.c_d"])
def test_scanner_safe_codes_are_accepted(value: str) -> None:
    assert validate_code(value, "sku") == value


@pytest.mark.parametrize("value", ["", "-leading-dash", "has space", "é-accent", "A" * 65, 12])
def test_codes_a_scanner_cannot_read_are_refused(value: object) -> None:
    with pytest.raises(InvalidInput) as e:
        validate_code(value, "sku")  # type: ignore[arg-type]
    assert e.value.code == "invalid_sku"


@pytest.mark.parametrize(("lot", "ok"), [("L2406A", True), ("L" * 20, True), ("", False),
                                         ("L" * 21, False), ("L 24", False),
                                         ("L\u00e924", False)])
def test_lot_codes_are_gs1_ai_10(lot: str, ok: bool) -> None:
    if ok:
        assert validate_lot_code(lot) == lot
    else:
        with pytest.raises(InvalidInput) as e:
            validate_lot_code(lot)
        assert e.value.code == "invalid_lot"


def test_an_item_spec_normalises_and_dedupes_its_gtins() -> None:
    spec = ItemSpec(ACME, "TENT-2P", "Two-person tent",
                    gtins=("036000291452", "00036000291452", "4006381333931")).validated()
    assert spec.gtins == ("00036000291452", "04006381333931")
    assert spec.sku == "TENT-2P" and spec.case_pack == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"sku": "bad sku"}, "invalid_sku"),
        ({"description": ""}, "invalid_description"),
        ({"description": "x" * 201}, "invalid_description"),
        ({"case_pack": 0}, "invalid_case_pack"),
        ({"case_pack": 100_001}, "invalid_case_pack"),
        ({"weight_g": -1}, "invalid_weight_g"),
        ({"unit_cost_cents": 10**13}, "invalid_unit_cost_cents"),
        ({"expiry_tracked": True}, "expiry_needs_lot"),
        ({"gtins": ("4006381333932",)}, "bad_check_digit"),
    ],
)
def test_an_invalid_item_spec_is_refused(change: dict, code: str) -> None:
    spec = ItemSpec(**{**ItemSpec(ACME, "TENT-2P", "Two-person tent").__dict__, **change})
    with pytest.raises(InvalidInput) as e:
        spec.validated()
    assert e.value.code == code


def test_a_lot_is_expired_only_after_its_expiry_day() -> None:
    today = date(2026, 10, 1)
    assert lot_expired(date(2026, 9, 30), today)
    assert not lot_expired(date(2026, 10, 1), today)
    assert not lot_expired(None, today)


# ------------------------------------------------------------------ errors


def test_a_shortfall_lists_every_short_key_at_once() -> None:
    err = InsufficientStock([
        Shortfall(ACME, TENT, BIN_A, "", needed=5, present=3, facility_id=WH1),
        Shortfall(ACME, GAS, None, "L2406A", needed=2, present=0, facility_id=WH1),
    ])
    body = err.to_dict()
    assert body["code"] == "insufficient_stock" and err.status == 409
    assert [s["short_by"] for s in body["shortfalls"]] == [2, 2]
    assert f"location {BIN_A}" in err.detail and f"facility {WH1}" in err.detail
    assert "lot L2406A" in err.detail


def test_an_error_keeps_its_class_status_and_an_explicit_code() -> None:
    assert InvalidInput("x").code == "invalid_input" and InvalidInput("x").status == 422
    assert NotFound("x", code="item_not_found").to_dict() == {"code": "item_not_found",
                                                              "detail": "x"}
    assert Conflict("x").status == 409
    assert InsufficientStock([], code="stock_allocated").code == "stock_allocated"
