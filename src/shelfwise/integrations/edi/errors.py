"""The one error type the EDI layer raises, with a stable code and a location.

Trading partners need to know *where* a document is wrong, not just that it is:
a 997 acknowledgment names the segment and element at fault, and a support
person reading a log wants "SE at segment 17, element 1". So every problem --
envelope, tokenizing or mapping -- is an :class:`EdiError` carrying a stable
:class:`EdiErrorCode`, the segment id, the segment's 1-based position in the
interchange and, when it applies, the 1-based element position.

Codes are part of the public contract (logs, API problem documents, tests):
add new ones, never rename.
"""

from __future__ import annotations

from enum import StrEnum


class EdiErrorCode(StrEnum):
    """Stable machine-readable reasons; the value is what leaves the process."""

    BAD_ISA = "bad_isa"
    """The ISA header is not 16 fixed-width elements with valid values."""
    BAD_DELIMITERS = "bad_delimiters"
    """Delimiters in the ISA clash with each other or with data characters."""
    TRUNCATED = "truncated"
    """The text stops before the envelope is closed (no SE/GE/IEA)."""
    MISSING_SEGMENT = "missing_segment"
    """A required segment (ISA first, SE before GE, W05 in a 940, ...) is absent."""
    UNEXPECTED_SEGMENT = "unexpected_segment"
    """A segment appears where the envelope does not allow it."""
    BAD_SEGMENT = "bad_segment"
    """A segment id is not two or three upper-case letters/digits."""
    SEGMENT_COUNT_MISMATCH = "segment_count_mismatch"
    """SE01 differs from the number of segments ST..SE."""
    TRANSACTION_COUNT_MISMATCH = "transaction_count_mismatch"
    """GE01 differs from the number of transaction sets in the group."""
    GROUP_COUNT_MISMATCH = "group_count_mismatch"
    """IEA01 differs from the number of functional groups."""
    CONTROL_NUMBER_MISMATCH = "control_number_mismatch"
    """A trailer's control number differs from its header's (SE02/ST02, ...)."""
    DUPLICATE_CONTROL_NUMBER = "duplicate_control_number"
    """Two transaction sets in one group share an ST02."""
    UNKNOWN_TRANSACTION_SET = "unknown_transaction_set"
    """ST01 names a set this layer does not handle, or the wrong one for a reader."""
    MISSING_ELEMENT = "missing_element"
    """A required element is empty or absent."""
    BAD_ELEMENT = "bad_element"
    """An element has an invalid value: non-numeric or negative quantity, bad date."""


class EdiError(Exception):
    """A problem in an X12 document, located precisely enough to acknowledge it.

    ``segment_position`` counts segments from 1 at the ISA of the interchange;
    ``element_position`` counts data elements from 1 (ISA01, W01-01, ...).
    Either may be ``None`` when the problem is about the document as a whole.
    """

    def __init__(
        self,
        code: EdiErrorCode,
        message: str,
        *,
        segment_id: str | None = None,
        segment_position: int | None = None,
        element_position: int | None = None,
    ) -> None:
        self.code = code
        self.message = message
        self.segment_id = segment_id
        self.segment_position = segment_position
        self.element_position = element_position
        super().__init__(str(self))

    def __str__(self) -> str:
        where = []
        if self.segment_id is not None:
            where.append(self.segment_id)
        if self.segment_position is not None:
            where.append(f"segment {self.segment_position}")
        if self.element_position is not None:
            where.append(f"element {self.element_position}")
        location = f" at {', '.join(where)}" if where else ""
        return f"{self.code.value}{location}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"EdiError({self.code.value!r}, segment_id={self.segment_id!r}, "
            f"segment_position={self.segment_position!r}, "
            f"element_position={self.element_position!r})"
        )

    def as_problem(self) -> dict[str, object]:
        """A JSON-ready dict for logs and ``application/problem+json`` bodies."""
        return {
            "code": self.code.value,
            "detail": self.message,
            "segment_id": self.segment_id,
            "segment_position": self.segment_position,
            "element_position": self.element_position,
        }
