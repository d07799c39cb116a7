"""Render one outbound transaction set inside a complete, self-consistent envelope.

Partners reject a whole interchange when a count or control number is off,
so writers never compute them by hand: they hand their body segments here and
get back ISA..IEA with SE01, GE01, IEA01 and matching control numbers. The
clock and control number are passed in (no ``datetime.now()``), so output is
deterministic and a resend can reuse the same numbers on purpose.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shelfwise.integrations.edi.envelope import KNOWN_SETS
from shelfwise.integrations.edi.errors import EdiError, EdiErrorCode
from shelfwise.integrations.edi.tokenizer import Delimiters

SegmentValues = Sequence[str | None]
"""A segment to write: its id followed by element values (None means empty)."""

DEFAULT_DELIMITERS = Delimiters(element="*", component=">", segment="~", repetition="^")
VERSION = "00501"
GROUP_VERSION = "005010"
_MAX_CONTROL = 999_999_999


@dataclass(frozen=True, slots=True)
class TradingPartner:
    """An interchange sender or receiver: ISA05/06 or ISA07/08 (``ZZ`` = mutually defined)."""

    id: str
    qualifier: str = "ZZ"


def as_partner(value: TradingPartner | str) -> TradingPartner:
    return value if isinstance(value, TradingPartner) else TradingPartner(value)


def render_interchange(
    set_id: str,
    body: Sequence[SegmentValues],
    *,
    sender: TradingPartner | str,
    receiver: TradingPartner | str,
    control_number: int,
    clock: datetime,
    usage: str = "P",
    delimiters: Delimiters = DEFAULT_DELIMITERS,
) -> str:
    """ISA/GS/ST + ``body`` + SE/GE/IEA, one segment per line.

    ``control_number`` (1..999999999) becomes ISA13 (zero-padded), GS06 and
    ST02 (at least four digits), so the three levels can be traced to one send.
    """
    if not 1 <= control_number <= _MAX_CONTROL:
        raise ValueError(f"control number {control_number} is outside 1..{_MAX_CONTROL}")
    source, target = as_partner(sender), as_partner(receiver)
    st02 = f"{control_number:04d}"
    rows: list[SegmentValues] = [
        _isa(source, target, control_number, clock, usage, delimiters),
        (
            "GS",
            KNOWN_SETS[set_id],
            source.id,
            target.id,
            clock.strftime("%Y%m%d"),
            clock.strftime("%H%M"),
            str(control_number),
            "X",
            GROUP_VERSION,
        ),
        ("ST", set_id, st02),
        *body,
        ("SE", str(len(body) + 2), st02),
        ("GE", "1", str(control_number)),
        ("IEA", "1", f"{control_number:09d}"),
    ]
    forbidden = (*delimiters.characters(), "\r", "\n")
    lines = [
        _render(row, position, delimiters, forbidden, is_isa=position == 1)
        for position, row in enumerate(rows, start=1)
    ]
    return "\n".join(lines) + "\n"


def _isa(
    sender: TradingPartner,
    receiver: TradingPartner,
    control_number: int,
    clock: datetime,
    usage: str,
    delimiters: Delimiters,
) -> SegmentValues:
    for n, partner in ((6, sender), (8, receiver)):
        if not partner.id or len(partner.id) > 15 or len(partner.qualifier) != 2:
            raise EdiError(
                EdiErrorCode.BAD_ISA,
                f"partner {partner.id!r}/{partner.qualifier!r} does not fit ISA",
                segment_id="ISA",
                segment_position=1,
                element_position=n,
            )
    return (
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        sender.qualifier,
        sender.id.ljust(15),
        receiver.qualifier,
        receiver.id.ljust(15),
        clock.strftime("%y%m%d"),
        clock.strftime("%H%M"),
        delimiters.repetition or "U",
        VERSION,
        f"{control_number:09d}",
        "0",
        usage,
        delimiters.component,
    )


def _render(
    row: SegmentValues,
    position: int,
    delimiters: Delimiters,
    forbidden: tuple[str, ...],
    *,
    is_isa: bool,
) -> str:
    values = ["" if value is None else str(value) for value in row]
    segment_id = values[0]
    checked = values[1:-1] if is_isa else values[1:]  # ISA11/16 hold delimiters by design
    for n, value in enumerate(checked, start=1):
        if is_isa and n == 11:
            continue
        if any(char in value for char in forbidden):
            raise EdiError(
                EdiErrorCode.BAD_ELEMENT,
                f"value {value!r} contains a delimiter and cannot be sent",
                segment_id=segment_id,
                segment_position=position,
                element_position=n,
            )
    if not is_isa:
        while len(values) > 1 and values[-1] == "":
            values.pop()
    return delimiters.element.join(values) + delimiters.segment
