"""Envelope validation: counts and control numbers must agree, errors say where."""

from datetime import datetime
from pathlib import Path

import pytest

from shelfwise.integrations.edi import EdiError, parse_interchange
from shelfwise.integrations.edi.writer import render_interchange

DATA = Path(__file__).parents[2] / "data" / "edi"
CLOCK = datetime(2024, 3, 1, 9, 30)


def sample(name: str) -> str:
    return (DATA / name).read_text()


def order_interchange(control_number: int = 42) -> str:
    """A small valid 940 interchange: ISA=1, GS=2, ST=3, W05=4, LX=5, W01=6, SE=7."""
    body = [
        ("W05", "N", "SO-1001", "PO-77"),
        ("LX", "1"),
        ("W01", "24", "EA", None, "VN", "BOLT-M8"),
    ]
    return render_interchange(
        "940",
        body,
        sender="ACME",
        receiver="SHELFWISE",
        control_number=control_number,
        clock=CLOCK,
    )


def error_of(text: str, **kwargs: bool) -> EdiError:
    with pytest.raises(EdiError) as caught:
        parse_interchange(text, **kwargs)
    return caught.value


def where(error: EdiError) -> tuple[str, str | None, int | None, int | None]:
    return (error.code.value, error.segment_id, error.segment_position, error.element_position)


@pytest.mark.parametrize(
    "name",
    [
        "edienginetests_940.2.OK.edi",
        "edienginetests_856.Crossdock.OK.edi",
        "x12types_005010_846.edi",
    ],
)
def test_valid_samples_pass_strict_validation(name: str) -> None:
    interchange = parse_interchange(sample(name))
    assert interchange.problems == ()
    assert len(interchange.transactions) == 1


def test_interchange_exposes_parties_and_control_numbers_for_duplicate_detection() -> None:
    interchange = parse_interchange(sample("edienginetests_940.2.OK.edi"))
    assert (interchange.sender_qualifier, interchange.sender_id) == ("ZZ", "VENDOR")
    assert interchange.receiver_id == "WAREHOUSE"
    assert (interchange.version, interchange.usage) == ("00401", "P")
    (numbers,) = interchange.control_numbers()
    assert (numbers.interchange, numbers.group, numbers.transaction) == (
        "000009221",
        "9221",
        "20066",
    )
    assert numbers.transaction_set_id == "940"
    group = interchange.groups[0]
    assert (group.functional_id, group.version) == ("OW", "004010")


def test_transaction_set_keeps_st_and_se_around_its_body() -> None:
    (tx,) = parse_interchange(sample("x12types_005010_846.edi")).transactions
    assert [s.id for s in tx.segments] == ["ST", "BIA", "N1", "LIN", "QTY", "CTT", "SE"]
    assert [s.id for s in tx.body] == ["BIA", "N1", "LIN", "QTY", "CTT"]
    assert tx.position_in_set(tx.body[0].position) == 2


def test_945_sample_has_a_real_segment_count_error_on_its_se() -> None:
    error = error_of(sample("x12types_005010_945.edi"))
    assert where(error) == ("segment_count_mismatch", "SE", 18, 1)


def test_lenient_parse_collects_count_problems_and_still_returns_the_document() -> None:
    interchange = parse_interchange(sample("x12types_005010_945.edi"), strict=False)
    assert [where(p) for p in interchange.problems] == [("segment_count_mismatch", "SE", 18, 1)]
    assert interchange.transactions[0].id == "945"


def test_written_interchange_is_valid() -> None:
    interchange = parse_interchange(order_interchange())
    assert interchange.control_number == "000000042"
    assert interchange.groups[0].control_number == "42"


def test_wrong_se_segment_count_is_reported_on_se01() -> None:
    text = order_interchange().replace("SE*5*0042", "SE*9*0042")
    assert where(error_of(text)) == ("segment_count_mismatch", "SE", 7, 1)


def test_non_numeric_se_count_is_a_bad_element() -> None:
    text = order_interchange().replace("SE*5*0042", "SE*X*0042")
    assert where(error_of(text)) == ("bad_element", "SE", 7, 1)


def test_se02_differing_from_st02_is_a_control_number_mismatch() -> None:
    text = order_interchange().replace("SE*5*0042", "SE*5*0043")
    assert where(error_of(text)) == ("control_number_mismatch", "SE", 7, 2)


def test_ge02_differing_from_gs06_is_a_control_number_mismatch() -> None:
    text = order_interchange().replace("GE*1*42", "GE*1*43")
    assert where(error_of(text)) == ("control_number_mismatch", "GE", 8, 2)


def test_iea02_differing_from_isa13_is_a_control_number_mismatch() -> None:
    text = order_interchange().replace("IEA*1*000000042", "IEA*1*000000099")
    assert where(error_of(text)) == ("control_number_mismatch", "IEA", 9, 2)


def test_control_numbers_compare_numerically_despite_zero_padding() -> None:
    text = order_interchange().replace("GE*1*42", "GE*1*000042")
    assert parse_interchange(text).problems == ()


def test_ge01_must_count_the_transaction_sets() -> None:
    text = order_interchange().replace("GE*1*42", "GE*2*42")
    assert where(error_of(text)) == ("transaction_count_mismatch", "GE", 8, 1)


def test_iea01_must_count_the_functional_groups() -> None:
    text = order_interchange().replace("IEA*1*", "IEA*3*")
    assert where(error_of(text)) == ("group_count_mismatch", "IEA", 9, 1)


def test_file_cut_before_iea_is_truncated() -> None:
    text = order_interchange().split("\nIEA*")[0]
    assert where(error_of(text)) == ("truncated", "IEA", 9, None)


def test_file_cut_inside_a_transaction_set_is_truncated_before_se() -> None:
    text = order_interchange().split("\nSE*")[0]
    assert where(error_of(text)) == ("truncated", "SE", 7, None)


def test_file_cut_after_se_is_truncated_before_ge() -> None:
    text = order_interchange().split("\nGE*")[0]
    assert where(error_of(text, strict=False)) == ("truncated", "GE", 8, None)


def test_ge_without_a_closing_se_reports_the_missing_se_where_it_belonged() -> None:
    text = order_interchange().replace("SE*5*0042~\n", "")
    assert where(error_of(text)) == ("missing_segment", "SE", 7, None)


def test_st_outside_a_functional_group_reports_the_missing_gs() -> None:
    lines = order_interchange().splitlines()
    text = "\n".join(line for line in lines if not line.startswith(("GS*", "GE*")))
    assert where(error_of(text)) == ("missing_segment", "GS", 2, None)


def test_segments_after_iea_are_unexpected() -> None:
    text = order_interchange() + "W05*N*SO-1002~\n"
    assert where(error_of(text)) == ("unexpected_segment", "W05", 10, None)


def test_missing_isa_is_a_missing_segment() -> None:
    text = order_interchange().split("\n", 1)[1]
    assert where(error_of(text)) == ("missing_segment", "ISA", 1, None)


def test_isa_sender_of_the_wrong_width_is_a_bad_isa_naming_isa06() -> None:
    text = order_interchange().replace("ACME           ", "ACME", 1)
    assert where(error_of(text)) == ("bad_isa", "ISA", 1, 6)


def test_isa_with_a_non_numeric_control_number_is_a_bad_isa() -> None:
    text = order_interchange().replace("*000000042*", "*00000004X*", 1)
    assert where(error_of(text)) == ("bad_isa", "ISA", 1, 13)


def test_unknown_transaction_set_is_reported_on_st01() -> None:
    text = order_interchange().replace("ST*940*", "ST*810*")
    assert where(error_of(text)) == ("unknown_transaction_set", "ST", 3, 1)


def test_transaction_set_without_a_control_number_is_a_missing_element() -> None:
    text = order_interchange().replace("ST*940*0042", "ST*940")
    assert where(error_of(text)) == ("missing_element", "ST", 3, 2)


def test_repeated_st02_within_a_group_is_a_duplicate_control_number() -> None:
    head, rest = order_interchange().split("ST*", 1)
    st_to_se = "ST*" + rest.split("GE*")[0]
    text = head + st_to_se + st_to_se + "GE*2*42~\nIEA*1*000000042~\n"
    error = error_of(text)
    assert where(error) == ("duplicate_control_number", "ST", 8, 2)


def test_error_is_readable_and_serialisable() -> None:
    error = error_of(order_interchange().replace("SE*5*0042", "SE*9*0042"))
    assert str(error).startswith("segment_count_mismatch at SE, segment 7, element 1")
    assert error.as_problem()["code"] == "segment_count_mismatch"
