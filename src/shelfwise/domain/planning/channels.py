"""Channel allocation: ring-fence a facility's available stock per sales channel.

Wholesale (B2B), direct-to-consumer (B2C) and marketplace orders draw on one pool of
stock; a ring-fence keeps one channel's big order from emptying the shelf another
channel's promises rely on. A policy is a value, not a flag:

* ``fixed_share``: each channel gets a configured share (e.g. B2B 40 %, B2C 60 %);
* ``priority``: channels in order each get their expected demand over the cover period
  until stock runs out; the last channel gets whatever remains;
* ``forecast_proportional``: shares follow each channel's recent demand.

Quantities are integers apportioned by largest remainder, so for every series the
ring-fenced quantities sum to exactly the available stock, never more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from shelfwise.domain.errors import InvalidInput

CHANNELS: tuple[str, ...] = ("b2b", "b2c", "marketplace")
POLICIES = ("fixed_share", "priority", "forecast_proportional")


@dataclass(frozen=True)
class ChannelPolicy:
    """How available stock is split. ``shares`` for fixed_share, ``order`` for priority."""

    kind: str = "forecast_proportional"
    shares: Mapping[str, float] = field(default_factory=dict)
    order: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in POLICIES:
            raise InvalidInput(f"unknown channel policy {self.kind!r}; use one of "
                               f"{', '.join(POLICIES)}", code="invalid_channel_policy")
        unknown = (set(self.shares) | set(self.order)) - set(CHANNELS)
        if unknown:
            raise InvalidInput(f"unknown channel {sorted(unknown)[0]!r}", code="invalid_channel")
        if self.kind == "fixed_share":
            values = list(self.shares.values())
            if not values or any(not isinstance(v, int | float) or v < 0 for v in values) \
                    or sum(values) <= 0:
                raise InvalidInput("fixed_share needs non-negative shares that sum above 0",
                                   code="invalid_channel_policy")
        if self.kind == "priority" and (not self.order or len(set(self.order)) != len(self.order)):
            raise InvalidInput("priority needs an order of distinct channels",
                               code="invalid_channel_policy")

    @classmethod
    def from_dict(cls, raw: Mapping[str, object] | None) -> ChannelPolicy:
        if not raw:
            return cls()
        extra = set(raw) - {"kind", "shares", "order"}
        if extra:
            raise InvalidInput(f"unknown channel policy field {sorted(extra)[0]!r}",
                               code="invalid_channel_policy")
        shares = raw.get("shares") or {}
        order = raw.get("order") or ()
        if not isinstance(shares, Mapping) or not isinstance(order, Sequence) \
                or isinstance(order, str):
            raise InvalidInput("shares must be an object and order a list",
                               code="invalid_channel_policy")
        return cls(str(raw.get("kind", "forecast_proportional")), dict(shares), tuple(order))

    def channels(self, observed: Sequence[str]) -> tuple[str, ...]:
        """The channels this policy splits over: configured ones, else those with demand."""
        if self.kind == "fixed_share":
            return tuple(c for c in CHANNELS if self.shares.get(c, 0) > 0)
        if self.kind == "priority":
            return self.order
        return tuple(c for c in CHANNELS if c in observed) or ("b2c",)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "shares": dict(self.shares), "order": list(self.order)}


def apportion(total: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split integer ``total[n]`` by ``weights[n, c]`` with largest remainders (sums exactly).

    A row whose weights are all zero is split evenly.
    """
    total = np.maximum(np.asarray(total, dtype=np.int64), 0)
    w = np.asarray(weights, dtype=np.float64)
    w = np.where(w.sum(axis=1, keepdims=True) > 0, w, 1.0)
    raw = total[:, None] * w / w.sum(axis=1, keepdims=True)
    base = np.floor(raw).astype(np.int64)
    left = total - base.sum(axis=1)
    rank = np.argsort(np.argsort(-(raw - base), axis=1, kind="stable"), axis=1, kind="stable")
    return base + (rank < left[:, None]).astype(np.int64)


def allocate(available: np.ndarray, demand: np.ndarray, channels: Sequence[str],
             policy: ChannelPolicy) -> np.ndarray:
    """Ring-fenced quantity ``[series, channel]`` for ``channels``.

    ``demand[n, c]`` is each channel's expected demand over the cover period (priority)
    or recent demand (forecast_proportional).
    """
    available = np.maximum(np.asarray(available, dtype=np.int64), 0)
    demand = np.maximum(np.asarray(demand, dtype=np.float64), 0.0)
    if policy.kind == "fixed_share":
        shares = np.array([policy.shares.get(c, 0.0) for c in channels], dtype=np.float64)
        return apportion(available, np.broadcast_to(shares, demand.shape))
    if policy.kind == "forecast_proportional":
        return apportion(available, demand)
    out = np.zeros(demand.shape, dtype=np.int64)
    left = available.copy()
    for c in range(len(channels) - 1):
        take = np.minimum(left, np.ceil(demand[:, c]).astype(np.int64))
        out[:, c] = take
        left -= take
    out[:, -1] = left
    return out
