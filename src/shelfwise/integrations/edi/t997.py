"""997 Functional Acknowledgment: build from our own findings, write, and read.

Partners resend or escalate when they get no 997, and they fix their maps
from what the 997 says, so it must name the transaction set, segment and
element at fault. :func:`acknowledge` turns the :class:`EdiError` values the
envelope and mappings produced into AK3/AK4/AK5/AK9 codes, so one set of
error results drives both our logs and the partner's acknowledgment.

Segment map: AK1-01 functional id, AK1-02 group control number, AK1-03
version; per set AK2-01 set id, AK2-02 control number; AK3-01 segment id,
AK3-02 position in set, AK3-04 segment error; AK4-01 element position, AK4-03
element error, AK4-04 bad value; AK5-01 set status, AK5-02.. set errors;
AK9-01 group status, AK9-02 included, AK9-03 received, AK9-04 accepted,
AK9-05.. group errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from shelfwise.integrations.edi.elements import (
    error_at,
    expect_set,
    optional,
    quantity,
    require_segment,
    required,
)
from shelfwise.integrations.edi.envelope import FunctionalGroup, TransactionSet
from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode
from shelfwise.integrations.edi.tokenizer import Segment
from shelfwise.integrations.edi.writer import SegmentValues, TradingPartner, render_interchange


class AckStatus(StrEnum):
    """AK5-01 / AK9-01 acknowledgment codes."""

    ACCEPTED = "A"
    ACCEPTED_WITH_ERRORS = "E"
    PARTIALLY_ACCEPTED = "P"
    REJECTED = "R"


# Set-level (AK5, data element 718) codes for envelope problems inside ST..SE.
_SET_CODES = {
    EdiErrorCode.UNKNOWN_TRANSACTION_SET: "1",
    EdiErrorCode.CONTROL_NUMBER_MISMATCH: "3",
    EdiErrorCode.SEGMENT_COUNT_MISMATCH: "4",
    EdiErrorCode.DUPLICATE_CONTROL_NUMBER: "23",
}
# Segment-level (AK3-04, data element 720) codes.
_SEGMENT_CODES = {
    EdiErrorCode.BAD_SEGMENT: "1",
    EdiErrorCode.UNEXPECTED_SEGMENT: "2",
    EdiErrorCode.MISSING_SEGMENT: "3",
    EdiErrorCode.MISSING_ELEMENT: "8",
    EdiErrorCode.BAD_ELEMENT: "8",
}
# Element-level (AK4-03, data element 723) codes.
_ELEMENT_CODES = {EdiErrorCode.MISSING_ELEMENT: "1", EdiErrorCode.BAD_ELEMENT: "6"}
# Group-level (AK9, data element 716) codes for problems on the GE.
_GROUP_CODES = {
    EdiErrorCode.CONTROL_NUMBER_MISMATCH: "4",
    EdiErrorCode.TRANSACTION_COUNT_MISMATCH: "5",
}
_SEGMENTS_IN_ERROR = "5"


@dataclass(frozen=True, slots=True)
class ElementNote:
    """AK4: which element (1-based) is wrong, why, and the value received."""

    position: int
    error_code: str
    bad_value: str | None = None


@dataclass(frozen=True, slots=True)
class SegmentNote:
    """AK3: which segment (position counted from ST = 1) is wrong, and why."""

    segment_id: str
    position: int
    error_code: str
    elements: tuple[ElementNote, ...] = ()


@dataclass(frozen=True, slots=True)
class SetAcknowledgment:
    """AK2..AK5 for one transaction set."""

    set_id: str
    control_number: str
    status: AckStatus
    error_codes: tuple[str, ...] = ()
    segments: tuple[SegmentNote, ...] = ()


@dataclass(frozen=True, slots=True)
class FunctionalAcknowledgment:
    """One 997: the verdict on one functional group (AK1..AK9)."""

    functional_id: str
    group_control_number: str
    status: AckStatus
    sets_included: int
    sets_received: int
    sets_accepted: int
    sets: tuple[SetAcknowledgment, ...] = ()
    error_codes: tuple[str, ...] = ()
    version: str | None = None
    control_number: str | None = None
    """ST02 of the 997 this was read from; ignored when writing."""


def acknowledge(
    group: FunctionalGroup, errors: Sequence[EdiError] = ()
) -> FunctionalAcknowledgment:
    """The 997 content for ``group`` given the errors found in it (any order).

    Errors outside the group (ISA/IEA problems belong in a TA1) are ignored.
    A set with any error is rejected; the group is accepted, partially
    accepted or rejected according to how many sets were accepted.
    """
    sets = tuple(_set_ack(tx, [e for e in errors if _inside(tx, e)]) for tx in group.transactions)
    group_codes = tuple(
        dict.fromkeys(
            _GROUP_CODES[e.code]
            for e in errors
            if e.segment_position == group.ge_position and e.code in _GROUP_CODES
        )
    )
    accepted = sum(1 for s in sets if s.status is AckStatus.ACCEPTED)
    if group_codes or accepted == 0 and sets:
        status = AckStatus.REJECTED
    elif accepted < len(sets):
        status = AckStatus.PARTIALLY_ACCEPTED
    else:
        status = AckStatus.ACCEPTED
    return FunctionalAcknowledgment(
        functional_id=group.functional_id,
        group_control_number=group.control_number,
        status=status,
        sets_included=len(sets),
        sets_received=len(sets),
        sets_accepted=accepted,
        sets=sets,
        error_codes=group_codes,
        version=group.version or None,
    )


def _inside(tx: TransactionSet, error: EdiError) -> bool:
    return error.segment_position is not None and tx.contains(error.segment_position)


def _set_ack(tx: TransactionSet, errors: list[EdiError]) -> SetAcknowledgment:
    codes: list[str] = []
    notes: list[SegmentNote] = []
    by_position = {s.position: s for s in tx.segments}
    for error in errors:
        on_envelope = error.segment_id in ("ST", "SE")
        if on_envelope and error.code in _SET_CODES:
            codes.append(_SET_CODES[error.code])
            continue
        position = error.segment_position or tx.segments[0].position
        notes.append(_segment_note(tx, error, position, by_position.get(position)))
    if notes:
        codes.append(_SEGMENTS_IN_ERROR)
    return SetAcknowledgment(
        set_id=tx.id,
        control_number=tx.control_number,
        status=AckStatus.REJECTED if errors else AckStatus.ACCEPTED,
        error_codes=tuple(dict.fromkeys(codes)),
        segments=tuple(notes),
    )


def _segment_note(
    tx: TransactionSet, error: EdiError, position: int, segment: Segment | None
) -> SegmentNote:
    elements: tuple[ElementNote, ...] = ()
    if error.element_position is not None and error.code in _ELEMENT_CODES:
        bad = segment.element(error.element_position) if segment is not None else ""
        elements = (ElementNote(error.element_position, _ELEMENT_CODES[error.code], bad or None),)
    return SegmentNote(
        segment_id=error.segment_id or (segment.id if segment else ""),
        position=tx.position_in_set(position),
        error_code=_SEGMENT_CODES.get(error.code, "8"),
        elements=elements,
    )


def write_997(
    ack: FunctionalAcknowledgment,
    *,
    sender: TradingPartner | str,
    receiver: TradingPartner | str,
    control_number: int,
    clock: datetime,
) -> str:
    """A complete 997 interchange for ``ack``."""
    body: list[SegmentValues] = [("AK1", ack.functional_id, ack.group_control_number, ack.version)]
    for set_ack in ack.sets:
        body.append(("AK2", set_ack.set_id, set_ack.control_number))
        for note in set_ack.segments:
            body.append(("AK3", note.segment_id, str(note.position), None, note.error_code))
            for element in note.elements:
                body.append(
                    ("AK4", str(element.position), None, element.error_code, element.bad_value)
                )
        body.append(("AK5", set_ack.status.value, *set_ack.error_codes[:5]))
    body.append(
        (
            "AK9",
            ack.status.value,
            str(ack.sets_included),
            str(ack.sets_received),
            str(ack.sets_accepted),
            *ack.error_codes[:5],
        )
    )
    return render_interchange(
        "997", body, sender=sender, receiver=receiver, control_number=control_number, clock=clock
    )


def read_997(transaction: TransactionSet) -> FunctionalAcknowledgment:
    """Map a partner's 997 so we can mark our outbound documents accepted or rejected."""
    expect_set(transaction, "997")
    ak1 = require_segment(transaction, "AK1")
    ak9 = require_segment(transaction, "AK9")
    sets: list[SetAcknowledgment] = []
    ak2: Segment | None = None
    notes: list[SegmentNote] = []
    for segment in transaction.body:
        if segment.id == "AK2":
            ak2, notes = segment, []
        elif segment.id == "AK3" and ak2 is not None:
            notes.append(
                SegmentNote(required(segment, 1), quantity(segment, 2), optional(segment, 4) or "")
            )
        elif segment.id == "AK4" and notes:
            note = ElementNote(
                _element_position(segment), required(segment, 3), optional(segment, 4)
            )
            notes[-1] = replace(notes[-1], elements=(*notes[-1].elements, note))
        elif segment.id == "AK5" and ak2 is not None:
            sets.append(
                SetAcknowledgment(
                    set_id=required(ak2, 1),
                    control_number=required(ak2, 2),
                    status=_status(segment, 1),
                    error_codes=tuple(v for v in segment.elements[1:6] if v),
                    segments=tuple(notes),
                )
            )
            ak2 = None
    return FunctionalAcknowledgment(
        functional_id=required(ak1, 1),
        group_control_number=required(ak1, 2),
        status=_status(ak9, 1),
        sets_included=quantity(ak9, 2),
        sets_received=quantity(ak9, 3),
        sets_accepted=quantity(ak9, 4),
        sets=tuple(sets),
        error_codes=tuple(v for v in ak9.elements[4:9] if v),
        version=optional(ak1, 3),
        control_number=transaction.control_number,
    )


def _element_position(ak4: Segment) -> int:
    parts = ak4.components(1)
    if not parts or not parts[0].isdigit():
        raise error_at(ak4, 1, EdiErrorCode.BAD_ELEMENT, "AK4-01 must be an element position")
    return int(parts[0])


def _status(segment: Segment, n: int) -> AckStatus:
    value = required(segment, n)
    try:
        return AckStatus(value)
    except ValueError as exc:
        raise error_at(
            segment, n, EdiErrorCode.BAD_ELEMENT, f"{value!r} is not an acknowledgment code"
        ) from exc
