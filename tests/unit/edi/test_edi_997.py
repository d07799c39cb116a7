"""997 acknowledgments name the set, segment and element at fault, and round-trip."""

from datetime import datetime
from pathlib import Path

from shelfwise.integrations.edi import (
    AckStatus,
    EdiError,
    ElementNote,
    FunctionalAcknowledgment,
    SegmentNote,
    SetAcknowledgment,
    acknowledge,
    parse_interchange,
    read_940,
    read_997,
    write_997,
)

DATA = Path(__file__).parents[2] / "data" / "edi"
CLOCK = datetime(2024, 3, 1, 9, 45)
ISA = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*SHELFWISE      "
    "*240301*0930*^*00501*000000042*0*P*>~\n"
)


def two_orders(second_quantity: str = "6", ge01: str = "2") -> str:
    """A group with two 940s; the second one's W01 sits at interchange position 10."""
    return (
        ISA
        + "GS*OW*ACME*SHELFWISE*20240301*0930*42*X*005010~\n"
        + "ST*940*0001~\nW05*N*SO-1001~\nW01*24*EA**VN*BOLT-M8~\nSE*4*0001~\n"
        + f"ST*940*0002~\nW05*N*SO-1002~\nW01*{second_quantity}*EA**VN*NUT-M8~\nSE*4*0002~\n"
        + f"GE*{ge01}*42~\nIEA*1*000000042~\n"
    )


def map_all(text: str, strict: bool = True) -> tuple[object, list[EdiError]]:
    """What an inbound handler does: validate, map each set, collect the errors."""
    interchange = parse_interchange(text, strict=strict)
    errors = list(interchange.problems)
    for tx in interchange.transactions:
        try:
            read_940(tx)
        except EdiError as error:
            errors.append(error)
    return interchange, errors


def test_clean_group_is_accepted() -> None:
    interchange, errors = map_all(two_orders())
    ack = acknowledge(interchange.groups[0], errors)
    assert ack.status is AckStatus.ACCEPTED
    assert (ack.sets_included, ack.sets_received, ack.sets_accepted) == (2, 2, 2)
    assert [s.status for s in ack.sets] == [AckStatus.ACCEPTED, AckStatus.ACCEPTED]


def test_non_numeric_quantity_rejects_only_its_set_naming_segment_and_element() -> None:
    interchange, errors = map_all(two_orders(second_quantity="SIX"))
    ack = acknowledge(interchange.groups[0], errors)
    assert ack.status is AckStatus.PARTIALLY_ACCEPTED
    first, second = ack.sets
    assert first.status is AckStatus.ACCEPTED
    assert second == SetAcknowledgment(
        set_id="940",
        control_number="0002",
        status=AckStatus.REJECTED,
        error_codes=("5",),
        segments=(SegmentNote("W01", 3, "8", (ElementNote(1, "6", "SIX"),)),),
    )


def test_wrong_segment_count_in_the_945_sample_is_acknowledged_with_ak5_code_4() -> None:
    interchange = parse_interchange((DATA / "x12types_005010_945.edi").read_text(), strict=False)
    ack = acknowledge(interchange.groups[0], interchange.problems)
    assert ack.status is AckStatus.REJECTED
    assert ack.sets[0].error_codes == ("4",)
    assert (ack.functional_id, ack.group_control_number) == ("SW", "000000123")


def test_wrong_ge01_rejects_the_group_with_ak9_code_5() -> None:
    interchange, errors = map_all(two_orders(ge01="3"), strict=False)
    ack = acknowledge(interchange.groups[0], errors)
    assert (ack.status, ack.error_codes) == (AckStatus.REJECTED, ("5",))


def test_written_997_round_trips_with_the_same_values() -> None:
    interchange, errors = map_all(two_orders(second_quantity="SIX"))
    ack = acknowledge(interchange.groups[0], errors)
    text = write_997(ack, sender="SHELFWISE", receiver="ACME", control_number=97, clock=CLOCK)
    assert "AK3*W01*3**8~\nAK4*1**6*SIX~\nAK5*R*5~\nAK9*P*2*2*1~" in text
    reply = parse_interchange(text)
    assert reply.groups[0].functional_id == "FA"
    result = read_997(reply.transactions[0])
    assert isinstance(result, FunctionalAcknowledgment)
    assert result == FunctionalAcknowledgment(**{**_fields(ack), "control_number": "0097"})


def _fields(ack: FunctionalAcknowledgment) -> dict[str, object]:
    return {name: getattr(ack, name) for name in ack.__dataclass_fields__}
