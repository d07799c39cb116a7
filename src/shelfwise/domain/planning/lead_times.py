"""Lead times learned from receipts, with a fallback to the configured supply terms.

A purchase order's lead time for an item is the time from the order (the PO was
created) to its first arrival at the dock (the first receipt scan of that item on it).
Observations are summarised per group as moments (count, sum, sum of squares), which a
database can aggregate and which pool exactly: the moments of a supplier x facility are
the sums of those of its items.

For each series the most specific estimate with enough observations wins:

1. supplier x item x facility, when that item has at least ``minimum`` receipts from
   the supplier at the facility;
2. supplier x facility (every item of the supplier delivered there), same threshold;
3. the configured lead time and its spread (supply terms, or the defaults).

Mean and sample standard deviation (n - 1) come from the moments. Fewer than
``minimum`` receipts say too little about the spread, which is what safety stock
needs, so they do not replace the configured figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_RECEIPTS = 3

# where each series' lead time came from (index into LEAD_TIME_SOURCES)
LEAD_TIME_SOURCES: tuple[str, ...] = ("configured", "item_receipts", "supplier_receipts")
CONFIGURED, ITEM_RECEIPTS, SUPPLIER_RECEIPTS = range(3)


@dataclass(frozen=True)
class Moments:
    """Count, sum and sum of squares of lead-time observations (days), per series."""

    count: np.ndarray
    total: np.ndarray
    squares: np.ndarray

    @classmethod
    def empty(cls, n: int) -> Moments:
        return cls(np.zeros(n), np.zeros(n), np.zeros(n))

    def mean(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.count > 0, self.total / np.maximum(self.count, 1), np.nan)

    def sd(self) -> np.ndarray:
        """Sample standard deviation; 0 for a single observation."""
        n = self.count
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = (self.squares - np.square(self.total) / np.maximum(n, 1)) / np.maximum(
                n - 1, 1
            )
        return np.sqrt(np.maximum(np.where(n > 1, spread, 0.0), 0.0))


def pool(moments: Moments, groups: np.ndarray, size: int) -> Moments:
    """Moments summed per group: ``groups[i]`` in ``[0, size)`` is row i's group."""
    return Moments(
        *(np.bincount(groups, weights=values, minlength=size)
          for values in (moments.count, moments.total, moments.squares))
    )


@dataclass(frozen=True)
class LeadTimes:
    """Lead time per series: mean and sd in days, receipts behind them, and the source."""

    mean: np.ndarray
    sd: np.ndarray
    receipts: np.ndarray
    source: np.ndarray

    def source_name(self, series: int) -> str:
        return LEAD_TIME_SOURCES[int(self.source[series])]


def choose_lead_times(
    item: Moments,
    supplier: Moments,
    configured_mean: np.ndarray,
    configured_sd: np.ndarray,
    minimum: int = MIN_RECEIPTS,
) -> LeadTimes:
    """Most specific estimate with at least ``minimum`` receipts, else the configured one."""
    use_item = item.count >= minimum
    use_supplier = ~use_item & (supplier.count >= minimum)
    mean = np.where(use_item, item.mean(), np.where(use_supplier, supplier.mean(),
                                                    configured_mean))
    sd = np.where(use_item, item.sd(), np.where(use_supplier, supplier.sd(), configured_sd))
    receipts = np.where(use_item, item.count, np.where(use_supplier, supplier.count, 0))
    source = np.where(use_item, ITEM_RECEIPTS, np.where(use_supplier, SUPPLIER_RECEIPTS,
                                                        CONFIGURED))
    return LeadTimes(
        np.maximum(mean, 0.0).astype(np.float64),
        sd.astype(np.float64),
        receipts.astype(np.int64),
        source.astype(np.int8),
    )
