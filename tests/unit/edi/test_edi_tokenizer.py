"""The tokenizer takes its delimiters from the ISA and numbers every segment."""

from pathlib import Path

import pytest

from shelfwise.integrations.edi import Delimiters, EdiError, EdiErrorCode, tokenize

DATA = Path(__file__).parents[2] / "data" / "edi"
ISA_4010 = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*SHELFWISE      "
    "*240301*0930*U*00401*000000042*0*P*>"
)


def sample(name: str) -> str:
    return (DATA / name).read_text()


def test_delimiters_come_from_the_isa_header() -> None:
    document = tokenize(sample("x12types_005010_945.edi"))
    assert document.delimiters == Delimiters(
        element="*", component=">", segment="~", repetition=None
    )


def test_newline_terminated_document_splits_into_numbered_segments() -> None:
    document = tokenize(sample("edienginetests_856.Crossdock.OK.edi"))
    assert document.delimiters.segment == "\n"
    assert [s.position for s in document.segments] == list(range(1, 62))
    assert [s.id for s in document.segments[:4]] == ["ISA", "GS", "ST", "BSN"]
    assert document.segments[-1].id == "IEA"


def test_missing_final_terminator_is_tolerated() -> None:
    text = sample("edienginetests_940.2.OK.edi")
    assert not text.endswith("\n")
    last = tokenize(text).segments[-1]
    assert (last.id, last.elements) == ("IEA", ("1", "000009221"))


def test_tilde_followed_by_crlf_is_tolerated() -> None:
    text = sample("x12types_005010_846.edi").replace("~\n", "~\r\n")
    ids = [s.id for s in tokenize(text).segments]
    assert ids == ["ISA", "GS", "ST", "BIA", "N1", "LIN", "QTY", "CTT", "SE", "GE", "IEA"]


def test_crlf_alone_can_terminate_segments() -> None:
    text = sample("edienginetests_940.2.OK.edi").replace("\n", "\r\n")
    document = tokenize(text)
    assert document.delimiters.segment == "\n"
    assert document.segments[3].elements == ("N", "35131", "POMAIL")


def test_elements_keep_their_isa_padding_and_empty_positions() -> None:
    isa, *_ = tokenize(sample("x12types_005010_945.edi")).segments
    assert len(isa.elements) == 16
    assert isa.element(6) == "SENDER         "
    assert isa.element(17) == ""


def test_unusual_delimiters_are_honoured_and_components_split_on_isa16() -> None:
    text = (
        "ISA|00|          |00|          |ZZ|ACME           |ZZ|SHELFWISE      "
        "|240301|0930|^|00501|000000042|0|P|:'"
        "GS|IB|ACME|SHELFWISE|20240301|0930|42|X|005010'ST|846|0001'"
        "QTY|17|40|CA:12'SE|3|0001'GE|1|42'IEA|1|000000042'"
    )
    document = tokenize(text)
    assert document.delimiters == Delimiters(
        element="|", component=":", segment="'", repetition="^"
    )
    qty = document.segments[3]
    assert qty.components(3) == ("CA", "12")


def test_repetition_separator_is_only_read_from_version_00402_onwards() -> None:
    text = ISA_4010.replace("*U*", "*^*") + "~IEA*0*000000042~"
    assert tokenize(text).delimiters.repetition is None


def test_bytes_that_are_not_utf8_are_read_as_latin1() -> None:
    text = sample("x12types_005010_846.edi").replace("SUPPLIER", "CAF\u00c9 SUPPLY")
    segments = tokenize(text.encode("latin-1")).segments
    assert segments[4].element(2) == "CAF\u00c9 SUPPLY"


def test_a_byte_order_mark_and_leading_blank_lines_are_skipped() -> None:
    text = "\ufeff\r\n" + sample("x12types_005010_846.edi")
    assert tokenize(text).segments[0].id == "ISA"


def test_empty_document_reports_a_missing_isa() -> None:
    with pytest.raises(EdiError) as caught:
        tokenize("")
    assert caught.value.code is EdiErrorCode.MISSING_SEGMENT
    assert (caught.value.segment_id, caught.value.segment_position) == ("ISA", 1)


def test_document_that_does_not_start_with_isa_reports_a_missing_isa() -> None:
    with pytest.raises(EdiError) as caught:
        tokenize("GS*OW*VENDOR*WAREHOUSE*20090902*1700*9221*X*004010~")
    assert caught.value.code is EdiErrorCode.MISSING_SEGMENT
    assert caught.value.segment_id == "ISA"


def test_document_that_ends_inside_the_isa_is_truncated() -> None:
    with pytest.raises(EdiError) as caught:
        tokenize(ISA_4010[:60])
    assert caught.value.code is EdiErrorCode.TRUNCATED
    assert (caught.value.segment_id, caught.value.segment_position) == ("ISA", 1)


def test_isa_without_a_terminator_is_truncated() -> None:
    with pytest.raises(EdiError) as caught:
        tokenize(ISA_4010)
    assert caught.value.code is EdiErrorCode.TRUNCATED


def test_component_separator_equal_to_element_separator_is_rejected() -> None:
    with pytest.raises(EdiError) as caught:
        tokenize(ISA_4010[:-1] + "*~IEA*0*000000042~")
    assert caught.value.code is EdiErrorCode.BAD_DELIMITERS
    assert caught.value.segment_id == "ISA"


def test_letter_used_as_segment_terminator_is_rejected() -> None:
    with pytest.raises(EdiError) as caught:
        tokenize(ISA_4010 + "XIEA*0*000000042X")
    assert caught.value.code is EdiErrorCode.BAD_DELIMITERS


def test_garbled_segment_id_is_reported_with_its_position() -> None:
    text = ISA_4010 + "~GS*OW*A*B*20240301*0930*1*X*004010~st*940*1~"
    with pytest.raises(EdiError) as caught:
        tokenize(text)
    assert caught.value.code is EdiErrorCode.BAD_SEGMENT
    assert caught.value.segment_position == 3
