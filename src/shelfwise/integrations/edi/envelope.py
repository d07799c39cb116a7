"""Validate the ISA/GS/ST envelope of an interchange and expose its parts.

The envelope is where partners' systems most often disagree with each other:
a hand-edited file whose SE01 no longer counts its segments, a resent file
whose trailer control number was not updated. Catching those here, before any
mapping, keeps bad documents out of the warehouse and gives the 997 writer
the exact segment and element at fault.

``parse_interchange(text)`` raises the first :class:`EdiError`. With
``strict=False`` the *count and control-number* problems (which do not
prevent reading the document) are collected in ``Interchange.problems``
instead; structural problems (missing ISA, truncation, unexpected segments)
always raise because there is no reliable document to return.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode
from shelfwise.integrations.edi.tokenizer import Delimiters, Segment, tokenize

KNOWN_SETS: Mapping[str, str] = {
    "846": "IB",
    "856": "SH",
    "940": "OW",
    "943": "AR",
    "944": "RE",
    "945": "SW",
    "997": "FA",
}
"""Transaction sets this layer maps, with their GS01 functional identifier code."""

_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
_ISA_DIGITS = (9, 10, 12, 13)
_ISA_CHOICES = {14: "01", 15: "PTI"}
_ENVELOPE_IDS = frozenset({"ISA", "GS", "ST", "SE", "GE", "IEA"})


@dataclass(frozen=True, slots=True)
class TransactionSet:
    """One ST..SE transaction set; ``segments`` includes the ST and SE themselves."""

    id: str
    control_number: str
    segments: tuple[Segment, ...]

    @property
    def body(self) -> tuple[Segment, ...]:
        """The segments between ST and SE -- what the mappings read."""
        return self.segments[1:-1]

    def position_in_set(self, segment_position: int) -> int:
        """1-based position counted from ST, as the 997 AK3 segment wants it."""
        return segment_position - self.segments[0].position + 1

    def contains(self, segment_position: int) -> bool:
        """Whether the interchange position falls inside this set (ST..SE)."""
        return self.segments[0].position <= segment_position <= self.segments[-1].position


@dataclass(frozen=True, slots=True)
class FunctionalGroup:
    """One GS..GE group of transaction sets of the same functional kind."""

    functional_id: str
    sender: str
    receiver: str
    date: str
    time: str
    control_number: str
    version: str
    transactions: tuple[TransactionSet, ...]
    gs_position: int = 0
    ge_position: int = 0


@dataclass(frozen=True, slots=True)
class ControlNumbers:
    """What identifies one transaction set for duplicate detection."""

    sender_id: str
    receiver_id: str
    interchange: str
    group: str
    transaction: str
    transaction_set_id: str


@dataclass(frozen=True, slots=True)
class Interchange:
    """A validated ISA..IEA interchange; ids are stripped of their ISA padding."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str
    time: str
    version: str
    control_number: str
    acknowledgment_requested: bool
    usage: str
    delimiters: Delimiters
    groups: tuple[FunctionalGroup, ...]
    problems: tuple[EdiError, ...] = ()

    @property
    def transactions(self) -> tuple[TransactionSet, ...]:
        """All transaction sets of all groups, in document order."""
        return tuple(tx for group in self.groups for tx in group.transactions)

    def control_numbers(self) -> tuple[ControlNumbers, ...]:
        """ISA13/GS06/ST02 per transaction set, to refuse a resent document."""
        return tuple(
            ControlNumbers(
                self.sender_id,
                self.receiver_id,
                self.control_number,
                group.control_number,
                tx.control_number,
                tx.id,
            )
            for group in self.groups
            for tx in group.transactions
        )


def parse_interchange(
    data: str | bytes, *, strict: bool = True, known_sets: Mapping[str, str] = KNOWN_SETS
) -> Interchange:
    """Tokenize and validate one interchange; see the module docstring for ``strict``."""
    document = tokenize(data)
    return _Reader(document.segments, strict, known_sets).interchange(document.delimiters)


class _Reader:
    """Walks the segment list once, keeping the cursor and collected problems."""

    def __init__(
        self, segments: tuple[Segment, ...], strict: bool, known_sets: Mapping[str, str]
    ) -> None:
        self.segments = segments
        self.strict = strict
        self.known_sets = known_sets
        self.problems: list[EdiError] = []
        self.cursor = 0

    def report(self, error: EdiError) -> None:
        """Raise in strict mode, otherwise remember the problem and go on."""
        if self.strict:
            raise error
        self.problems.append(error)

    def peek(self) -> Segment | None:
        if self.cursor < len(self.segments):
            return self.segments[self.cursor]
        return None

    def truncated(self, expected: str) -> EdiError:
        return EdiError(
            EdiErrorCode.TRUNCATED,
            f"document ends before {expected}",
            segment_id=expected,
            segment_position=len(self.segments) + 1,
        )

    def interchange(self, delimiters: Delimiters) -> Interchange:
        isa = self.segments[0]
        _check_isa(isa)
        self.cursor = 1
        groups: list[FunctionalGroup] = []
        while (segment := self.peek()) is not None and segment.id == "GS":
            groups.append(self.group())
        iea = self.peek()
        if iea is None:
            raise self.truncated("IEA")
        if iea.id != "IEA":
            raise _misplaced(iea, expected="GS or IEA", missing="GS" if iea.id == "ST" else None)
        self._check_count(iea, len(groups), EdiErrorCode.GROUP_COUNT_MISMATCH, "groups")
        self._check_control(iea, 2, isa.element(13), "ISA13")
        self.cursor += 1
        if (extra := self.peek()) is not None:
            raise _misplaced(extra, expected="nothing after IEA")
        return Interchange(
            sender_qualifier=isa.element(5),
            sender_id=isa.element(6).strip(),
            receiver_qualifier=isa.element(7),
            receiver_id=isa.element(8).strip(),
            date=isa.element(9),
            time=isa.element(10),
            version=isa.element(12),
            control_number=isa.element(13),
            acknowledgment_requested=isa.element(14) == "1",
            usage=isa.element(15),
            delimiters=delimiters,
            groups=tuple(groups),
            problems=tuple(self.problems),
        )

    def group(self) -> FunctionalGroup:
        gs = self.segments[self.cursor]
        for n in (1, 2, 3, 6, 8):
            _require(gs, n)
        self.cursor += 1
        sets: list[TransactionSet] = []
        while (segment := self.peek()) is not None and segment.id == "ST":
            sets.append(self.transaction_set())
        ge = self.peek()
        if ge is None:
            raise self.truncated("GE")
        if ge.id != "GE":
            missing = "GE" if ge.id in ("GS", "IEA") else None
            raise _misplaced(ge, expected="ST or GE", missing=missing)
        self._check_count(ge, len(sets), EdiErrorCode.TRANSACTION_COUNT_MISMATCH, "sets")
        self._check_control(ge, 2, gs.element(6), "GS06")
        seen: set[str] = set()
        for tx in sets:
            if tx.control_number in seen:
                self.report(
                    _at(
                        tx.segments[0],
                        2,
                        EdiErrorCode.DUPLICATE_CONTROL_NUMBER,
                        f"ST02 {tx.control_number!r} repeats within the group",
                    )
                )
            seen.add(tx.control_number)
        self.cursor += 1
        return FunctionalGroup(
            functional_id=gs.element(1),
            sender=gs.element(2),
            receiver=gs.element(3),
            date=gs.element(4),
            time=gs.element(5),
            control_number=gs.element(6),
            version=gs.element(8),
            transactions=tuple(sets),
            gs_position=gs.position,
            ge_position=ge.position,
        )

    def transaction_set(self) -> TransactionSet:
        start = self.cursor
        st = self.segments[start]
        _require(st, 1)
        _require(st, 2)
        if st.element(1) not in self.known_sets:
            self.report(
                _at(
                    st,
                    1,
                    EdiErrorCode.UNKNOWN_TRANSACTION_SET,
                    f"transaction set {st.element(1)!r} is not supported",
                )
            )
        self.cursor += 1
        while (segment := self.peek()) is not None and segment.id not in _ENVELOPE_IDS:
            self.cursor += 1
        se = self.peek()
        if se is None:
            raise self.truncated("SE")
        if se.id != "SE":
            raise _misplaced(se, expected="SE", missing="SE")
        self.cursor += 1
        segments = self.segments[start : self.cursor]
        self._check_count(se, len(segments), EdiErrorCode.SEGMENT_COUNT_MISMATCH, "segments")
        self._check_control(se, 2, st.element(2), "ST02")
        return TransactionSet(st.element(1), st.element(2), segments)

    def _check_count(self, trailer: Segment, actual: int, code: EdiErrorCode, what: str) -> None:
        declared = trailer.element(1)
        if not declared.isdigit():
            self.report(
                _at(trailer, 1, EdiErrorCode.BAD_ELEMENT, f"count {declared!r} is not a number")
            )
        elif int(declared) != actual:
            self.report(
                _at(trailer, 1, code, f"{trailer.id}01 says {declared} {what}, found {actual}")
            )

    def _check_control(self, trailer: Segment, n: int, header_value: str, header: str) -> None:
        value = trailer.element(n)
        if not _same_control(value, header_value):
            self.report(
                _at(
                    trailer,
                    n,
                    EdiErrorCode.CONTROL_NUMBER_MISMATCH,
                    f"{trailer.id}{n:02d} {value!r} differs from {header} {header_value!r}",
                )
            )


def _check_isa(isa: Segment) -> None:
    """ISA is fixed-width by definition; partners' parsers rely on the widths."""
    if isa.id != "ISA":
        raise _at(isa, None, EdiErrorCode.MISSING_SEGMENT, "interchange must start with ISA")
    if len(isa.elements) != 16:
        where = min(len(isa.elements) + 1, 17)
        raise _at(
            isa, where, EdiErrorCode.BAD_ISA, f"ISA has {len(isa.elements)} elements, needs 16"
        )
    for n, width in enumerate(_ISA_WIDTHS, start=1):
        value = isa.element(n)
        if len(value) != width:
            raise _at(
                isa,
                n,
                EdiErrorCode.BAD_ISA,
                f"ISA{n:02d} is {len(value)} characters wide, needs {width}",
            )
        if n in _ISA_DIGITS and not value.isdigit():
            raise _at(isa, n, EdiErrorCode.BAD_ISA, f"ISA{n:02d} {value!r} must be digits")
        if n in _ISA_CHOICES and value not in _ISA_CHOICES[n]:
            raise _at(
                isa,
                n,
                EdiErrorCode.BAD_ISA,
                f"ISA{n:02d} {value!r} must be one of {_ISA_CHOICES[n]!r}",
            )


def _require(segment: Segment, n: int) -> str:
    value = segment.element(n)
    if not value.strip():
        raise _at(segment, n, EdiErrorCode.MISSING_ELEMENT, f"{segment.id}{n:02d} is required")
    return value


def _same_control(a: str, b: str) -> bool:
    """Control numbers compare numerically (``000000123`` == ``123``) when numeric."""
    a, b = a.strip(), b.strip()
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def _misplaced(segment: Segment, *, expected: str, missing: str | None = None) -> EdiError:
    if missing is not None:
        return EdiError(
            EdiErrorCode.MISSING_SEGMENT,
            f"{missing} is missing before {segment.id}",
            segment_id=missing,
            segment_position=segment.position,
        )
    return _at(
        segment,
        None,
        EdiErrorCode.UNEXPECTED_SEGMENT,
        f"{segment.id} found where {expected} was expected",
    )


def _at(segment: Segment, element: int | None, code: EdiErrorCode, message: str) -> EdiError:
    return EdiError(
        code,
        message,
        segment_id=segment.id,
        segment_position=segment.position,
        element_position=element,
    )
