"""Whatever arrives, the EDI layer answers with a value or an EdiError -- nothing else."""

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shelfwise.integrations.edi import (
    EdiError,
    parse_interchange,
    read_846,
    read_856,
    read_940,
    read_943,
    read_944,
    read_945,
    read_997,
)

DATA = Path(__file__).parents[2] / "data" / "edi"
SAMPLES = [p.read_text() for p in sorted(DATA.glob("*.edi"))]
READERS = {
    "846": read_846,
    "856": read_856,
    "940": read_940,
    "943": read_943,
    "944": read_944,
    "945": read_945,
    "997": read_997,
}
ISA = (
    "ISA*00*          *00*          *ZZ*ACME           *ZZ*SHELFWISE      "
    "*240301*0930*^*00501*000000042*0*P*>~"
)
X12ISH = st.text(alphabet="ISAGETNWQLXH0123456789*~>^:\n\r -.", max_size=300)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_everything(data: str | bytes) -> None:
    """Validate strictly, then leniently and map every set, as an inbound handler would."""
    with contextlib.suppress(EdiError):
        parse_interchange(data)
    try:
        interchange = parse_interchange(data, strict=False)
        for tx in interchange.transactions:
            reader = READERS.get(tx.id)
            if reader is not None:
                reader(tx)
    except EdiError as error:
        assert error.code.value
        assert error.segment_position is None or error.segment_position >= 1


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_nothing_but_edi_error(data: bytes) -> None:
    read_everything(data)


@FUZZ
@given(st.text(max_size=400))
def test_arbitrary_text_raises_nothing_but_edi_error(text: str) -> None:
    read_everything(text)


@FUZZ
@given(X12ISH)
def test_text_after_a_valid_isa_raises_nothing_but_edi_error(tail: str) -> None:
    read_everything(ISA + tail)


@FUZZ
@given(st.sampled_from(SAMPLES), st.integers(0, 2000), st.integers(0, 40), X12ISH)
def test_corrupted_samples_raise_nothing_but_edi_error(
    sample: str, start: int, length: int, insert: str
) -> None:
    cut = start % (len(sample) + 1)
    read_everything(sample[:cut] + insert + sample[cut + length :])
