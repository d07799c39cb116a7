"""Split raw X12 text into numbered segments, using the delimiters the ISA declares.

X12 has no fixed delimiters: each interchange announces them in its ISA header
(element separator right after ``ISA``, repetition separator in ISA11 for
version 00402 and later, component separator in ISA16 and the segment
terminator right after it). Real partners also end segments with ``~`` plus a
newline, with a bare newline, or forget the final terminator -- all of which
are tolerated here so the envelope layer sees one clean list of segments.

Every segment keeps its 1-based position in the interchange so later errors
can say exactly where the problem is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode

_SEGMENT_ID = re.compile(r"[A-Z0-9]{2,3}")
_NEWLINES = "\r\n"
_LEADING_NOISE = "\ufeff \t\r\n"


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators of one interchange; ``repetition`` is None before 00402."""

    element: str = "*"
    component: str = ">"
    segment: str = "~"
    repetition: str | None = "^"

    def characters(self) -> tuple[str, ...]:
        """The separators that data values must never contain."""
        found = (self.element, self.component, self.segment, self.repetition)
        return tuple(c for c in found if c is not None)


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its id, its data elements (``elements[0]`` is XX01) and position."""

    id: str
    elements: tuple[str, ...]
    position: int
    component_separator: str = field(default=">", repr=False, compare=False)

    def element(self, n: int) -> str:
        """Element ``n`` (1-based) or ``""`` when absent -- X12 trims trailing empties."""
        if 1 <= n <= len(self.elements):
            return self.elements[n - 1]
        return ""

    def components(self, n: int) -> tuple[str, ...]:
        """Element ``n`` split into its composite parts."""
        value = self.element(n)
        return tuple(value.split(self.component_separator)) if value else ()


@dataclass(frozen=True, slots=True)
class TokenizedDocument:
    """Segments of one interchange in order, with the delimiters that split them."""

    delimiters: Delimiters
    segments: tuple[Segment, ...]


def decode(data: str | bytes) -> str:
    """Bytes as text: UTF-8 when valid, else Latin-1 (lossless, never fails)."""
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def tokenize(data: str | bytes) -> TokenizedDocument:
    """Split an interchange into segments; raises :class:`EdiError` on unusable input."""
    text = decode(data).lstrip(_LEADING_NOISE)
    delimiters = read_delimiters(text)
    pieces = _split_segments(text, delimiters.segment)
    segments: list[Segment] = []
    for piece in pieces:
        if not piece.strip():
            continue
        position = len(segments) + 1
        parts = piece.split(delimiters.element)
        segment_id = parts[0]
        if not _SEGMENT_ID.fullmatch(segment_id):
            raise EdiError(
                EdiErrorCode.BAD_SEGMENT,
                f"segment id {segment_id[:10]!r} is not 2-3 upper-case letters or digits",
                segment_id=segment_id[:3] or None,
                segment_position=position,
            )
        segments.append(Segment(segment_id, tuple(parts[1:]), position, delimiters.component))
    return TokenizedDocument(delimiters, tuple(segments))


def read_delimiters(text: str) -> Delimiters:
    """Delimiters declared by the ISA at the start of ``text``.

    The ISA16 position is found by counting element separators rather than by
    fixed offset, so a slightly mis-padded ISA still tokenizes and the
    envelope layer can report *which* ISA element has the wrong width.
    """
    if not text.startswith("ISA"):
        what = "document is empty" if not text else "document does not start with ISA"
        raise EdiError(EdiErrorCode.MISSING_SEGMENT, what, segment_id="ISA", segment_position=1)
    if len(text) < 4:
        raise _truncated_isa()
    element = text[3]
    separators = [3]
    while len(separators) < 16:
        found = text.find(element, separators[-1] + 1)
        if found < 0:
            raise _truncated_isa()
        separators.append(found)
    last = separators[-1]
    if last + 2 >= len(text):
        raise _truncated_isa()
    component = text[last + 1]
    terminator = text[last + 2]
    if terminator in _NEWLINES:
        terminator = "\n"
    isa11 = text[separators[10] + 1 : separators[11]]
    isa12 = text[separators[11] + 1 : separators[12]]
    # Before 00402 ISA11 is a standards id ("U"); many 5010 senders still put "U" there.
    is_separator = len(isa11) == 1 and not isa11.isalnum() and not isa11.isspace()
    repetition = isa11 if isa12 >= "00402" and is_separator else None
    delimiters = Delimiters(element, component, terminator, repetition)
    _check_distinct(delimiters)
    return delimiters


def _check_distinct(delimiters: Delimiters) -> None:
    """Separators must differ from each other and from anything a value may hold."""
    chars = delimiters.characters()
    for char in chars:
        if char.isalnum() or char == " " or (char in _NEWLINES and char != delimiters.segment):
            raise EdiError(
                EdiErrorCode.BAD_DELIMITERS,
                f"delimiter {char!r} could appear in data",
                segment_id="ISA",
                segment_position=1,
            )
    if len(set(chars)) != len(chars):
        raise EdiError(
            EdiErrorCode.BAD_DELIMITERS,
            f"delimiters {chars!r} are not distinct",
            segment_id="ISA",
            segment_position=1,
        )


def _split_segments(text: str, terminator: str) -> list[str]:
    """Pieces between terminators, without the newlines partners add for readability."""
    return [piece.strip(_NEWLINES) for piece in text.split(terminator)]


def _truncated_isa() -> EdiError:
    return EdiError(
        EdiErrorCode.TRUNCATED,
        "document ends inside the ISA header",
        segment_id="ISA",
        segment_position=1,
    )
