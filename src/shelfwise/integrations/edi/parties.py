"""N1/N2/N3/N4 party loops: ship-to, ship-from, warehouse, depositor, supplier.

Every warehouse set names its parties the same way, so one reader and one
writer serve them all. Party roles are the N101 entity codes (``ST`` ship to,
``SF`` ship from, ``WH`` warehouse, ``DE`` depositor, ``SU`` supplier, ``BY``
buying party).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from shelfwise.integrations.edi.elements import optional
from shelfwise.integrations.edi.tokenizer import Segment

_LOOP_MEMBERS = frozenset({"N2", "N3", "N4", "PER"})


@dataclass(frozen=True, slots=True)
class Party:
    """A named party with its optional code (N103/N104) and postal address."""

    role: str
    name: str = ""
    id_qualifier: str | None = None
    id: str | None = None
    address_lines: tuple[str, ...] = ()
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


def read_parties(segments: Iterable[Segment]) -> tuple[Party, ...]:
    """Every N1 loop among ``segments``; other segments end a loop and are skipped."""
    parties: list[Party] = []
    current: Party | None = None
    for segment in segments:
        if segment.id == "N1":
            if current is not None:
                parties.append(current)
            current = Party(
                role=segment.element(1).strip(),
                name=segment.element(2).strip(),
                id_qualifier=optional(segment, 3),
                id=optional(segment, 4),
            )
        elif current is not None and segment.id in _LOOP_MEMBERS:
            current = _extend(current, segment)
        elif current is not None:
            parties.append(current)
            current = None
    if current is not None:
        parties.append(current)
    return tuple(parties)


def _extend(party: Party, segment: Segment) -> Party:
    """``party`` with the N2 name, N3 address lines or N4 place added."""
    if segment.id == "N2":
        extra = " ".join(v.strip() for v in segment.elements[:2] if v.strip())
        return replace(party, name=f"{party.name} {extra}".strip())
    if segment.id == "N3":
        lines = tuple(v.strip() for v in segment.elements[:2] if v.strip())
        return replace(party, address_lines=(*party.address_lines, *lines))
    if segment.id == "N4":
        return replace(
            party,
            city=optional(segment, 1),
            state=optional(segment, 2),
            postal_code=optional(segment, 3),
            country=optional(segment, 4),
        )
    return party


def find_party(parties: Iterable[Party], role: str) -> Party | None:
    """The first party with this N101 role."""
    return next((p for p in parties if p.role == role), None)


def party_segments(party: Party) -> list[Sequence[str | None]]:
    """The N1/N3/N4 segments for ``party``, omitting the empty ones."""
    rows: list[Sequence[str | None]] = [
        ("N1", party.role, party.name, party.id_qualifier, party.id)
    ]
    lines = party.address_lines
    for start in range(0, len(lines), 2):
        rows.append(("N3", *lines[start : start + 2]))
    if party.city or party.state or party.postal_code or party.country:
        rows.append(("N4", party.city, party.state, party.postal_code, party.country))
    return rows
