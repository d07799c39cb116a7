"""Lead times learned from receipts: the most specific estimate with enough receipts wins."""

from __future__ import annotations

import numpy as np
import pytest

from shelfwise.domain.planning.lead_times import (
    LEAD_TIME_SOURCES,
    Moments,
    choose_lead_times,
    pool,
)


def moments(*samples: list[float]) -> Moments:
    return Moments(
        np.array([len(s) for s in samples], dtype=float),
        np.array([sum(s) for s in samples], dtype=float),
        np.array([sum(x * x for x in s) for s in samples], dtype=float),
    )


def test_mean_and_sample_sd_come_from_the_moments() -> None:
    m = moments([4, 5, 6, 9], [7], [])
    assert m.mean()[:2] == pytest.approx([6.0, 7.0])
    assert np.isnan(m.mean()[2])
    assert m.sd() == pytest.approx([np.std([4, 5, 6, 9], ddof=1), 0.0, 0.0])


def test_pooled_moments_equal_the_moments_of_all_observations() -> None:
    pooled = pool(moments([2, 3], [10], [4, 4, 4]), np.array([0, 1, 0]), 2)
    direct = moments([2, 3, 4, 4, 4], [10])
    for got, want in zip((pooled.count, pooled.total, pooled.squares),
                         (direct.count, direct.total, direct.squares), strict=True):
        assert got == pytest.approx(want)


def test_item_then_supplier_then_configured_lead_time() -> None:
    item = moments([2, 3, 4], [2, 3], [])
    supplier = moments([2, 3, 4, 9], [2, 3, 8, 11], [1, 1])
    out = choose_lead_times(item, supplier, np.array([7.0, 7.0, 7.0]), np.array([2.0] * 3))
    assert out.mean == pytest.approx([3.0, 6.0, 7.0])
    assert out.sd == pytest.approx([1.0, np.std([2, 3, 8, 11], ddof=1), 2.0])
    assert out.receipts.tolist() == [3, 4, 0]
    assert [LEAD_TIME_SOURCES[s] for s in out.source] == [
        "item_receipts", "supplier_receipts", "configured"]
