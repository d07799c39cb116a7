"""Panel forecasting: each method on series with a known answer, the chooser, the measures.

Series are small (a few weeks to two years of daily sales for a handful of SKUs) so the
whole file runs in well under a few seconds.
"""

from __future__ import annotations

import numpy as np
import pytest

from shelfwise.domain.planning import (
    accuracy,
    averages,
    decomposed,
    intermittent,
    regression,
    smoothing,
)
from shelfwise.domain.planning.backtest import Selection, backtest_origins
from shelfwise.domain.planning.classify import (
    DEMAND_CLASSES,
    classify_demand,
    demand_intervals,
    selling_pattern,
    size_variation,
)
from shelfwise.domain.planning.forecast import FAMILIES, forecast_panel

WEEK = np.array([12.0, 10.0, 10.0, 11.0, 14.0, 30.0, 25.0])  # a shop's Monday..Sunday


def time_major(*series: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.stack(series).T, dtype=np.float32)


def weekly(weeks: int) -> np.ndarray:
    return np.tile(WEEK, weeks)


def test_every_smoother_forecasts_a_constant_series_as_that_constant():
    y = time_major(np.full(120, 8.0))
    ses = smoothing.exponential_smoothing(y, [120], 10, [0.1, 0.5])
    holt = smoothing.exponential_smoothing(y, [120], 10, [0.2], beta=[0.05], phi=0.98)
    winters = smoothing.exponential_smoothing(
        y, [120], 10, [0.2], beta=[0.01], gamma=[0.1], season=7
    )
    factors = smoothing.multiplicative_season(y, [120], 10, [0.2], [0.1], 7)
    for forecasts in (ses, holt, winters, factors):
        np.testing.assert_allclose(forecasts[-1], 8.0, atol=1e-4)


def test_moving_average_and_intermittent_methods_forecast_a_constant_as_itself():
    y = time_major(np.full(60, 5.0))
    np.testing.assert_allclose(averages.moving_average(y, [60], [7, 28]), 5.0)
    croston, sba = intermittent.croston(y, [60], [0.1])
    np.testing.assert_allclose(croston, 5.0, rtol=1e-6)
    np.testing.assert_allclose(sba, 5.0 * 0.95, rtol=1e-6)
    np.testing.assert_allclose(intermittent.tsb(y, [60], [0.1], [0.1]), 5.0, rtol=1e-5)


def test_seasonal_naive_repeats_the_last_week_in_step_with_the_calendar():
    y = time_major(weekly(8)[3:])  # history starts on a Thursday
    forecasts = averages.seasonal_average(y, [53], 14, 7, [1])
    expected = np.tile(np.roll(WEEK, -((3 + 53) % 7)), 2)
    np.testing.assert_allclose(forecasts[0, 0, 0], expected)


def test_holt_winters_learns_a_pure_weekly_pattern():
    y = time_major(weekly(30))
    forecasts = smoothing.exponential_smoothing(y, [210], 14, [0.1], gamma=[0.2], season=7)
    np.testing.assert_allclose(forecasts[0, 0, 0], weekly(2), atol=0.05)
    factors = smoothing.multiplicative_season(y, [210], 14, [0.1], [0.2], 7)
    np.testing.assert_allclose(factors[0, 0, 0], weekly(2), rtol=0.01)


def test_holt_extends_a_linear_trend():
    days = np.arange(200.0)
    y = time_major(20.0 + 0.5 * days)
    forecasts = smoothing.exponential_smoothing(y, [200], 10, [0.5], beta=[0.2], phi=1.0)
    np.testing.assert_allclose(forecasts[0, 0, 0], 20.0 + 0.5 * np.arange(200, 210), rtol=1e-3)


def test_croston_forecasts_size_over_interval_and_tsb_tracks_the_chance_of_a_sale():
    # 6 units every 4th day: demand rate 1.5 a day
    y = time_major(np.tile([6.0, 0.0, 0.0, 0.0], 50))
    croston, sba = intermittent.croston(y, [200], [0.2])
    np.testing.assert_allclose(croston[0, 0, 0, 0], 1.5, rtol=0.02)
    np.testing.assert_allclose(sba[0, 0, 0, 0], 1.5 * 0.9, rtol=0.02)
    tsb = intermittent.tsb(y, [200], [0.2], [0.05])
    np.testing.assert_allclose(tsb[0, 0, 0, 0], 1.5, rtol=0.1)


def test_tsb_forecast_decays_after_an_item_stops_selling_but_croston_does_not():
    y = time_major(np.concatenate([np.tile([3.0, 0.0], 50), np.zeros(60)]))
    croston, _ = intermittent.croston(y, [100, 160], [0.2])
    tsb = intermittent.tsb(y, [100, 160], [0.2], [0.1])
    assert croston[1, 0, 0, 0] == pytest.approx(croston[0, 0, 0, 0])
    assert tsb[1, 0, 0, 0] < 0.01 * tsb[0, 0, 0, 0]


def test_series_without_any_sale_forecast_zero():
    y = time_major(np.zeros(60))
    croston, sba = intermittent.croston(y, [60], [0.1])
    assert not croston.any() and not sba.any()
    assert not intermittent.tsb(y, [60], [0.1], [0.1]).any()


def test_classification_splits_on_adi_1_32_and_cv2_0_49():
    every_day = np.full(132, 4.0)
    variable = np.tile([1.0, 9.0], 66)  # CV^2 of sizes 0.64
    sparse = np.where(np.arange(132) % 2 == 0, 4.0, 0.0)  # ADI 2
    sparse_variable = np.where(np.arange(132) % 2 == 0, np.tile([1.0, 9.0, 9.0, 1.0], 33), 0)
    history = np.stack([every_day, variable, sparse, sparse_variable])
    assert [DEMAND_CLASSES[c] for c in classify_demand(history)] == [
        "smooth",
        "erratic",
        "intermittent",
        "lumpy",
    ]


def test_adi_of_exactly_1_32_counts_as_intermittent():
    history = np.zeros((1, 132))
    history[0, :100] = 3.0  # 132 days / 100 selling days = 1.32
    assert demand_intervals(history)[0] == pytest.approx(1.32)
    assert DEMAND_CLASSES[classify_demand(history)[0]] == "intermittent"


def test_cv2_of_exactly_0_49_counts_as_erratic():
    sizes = np.array([[3.0, 17.0] * 25])  # mean 10, variance 49
    assert size_variation(sizes)[0] == 0.49
    assert DEMAND_CLASSES[classify_demand(sizes)[0]] == "erratic"


def test_wape_bias_mase_and_rmsse_on_a_worked_example():
    history = np.array([[0.0, 2.0, 4.0, 2.0, 4.0]])  # from first sale: diffs 2, 2, 2
    actual = np.array([[3.0, 5.0]])
    forecast = np.array([[4.0, 4.0]])
    assert accuracy.wape(actual, forecast) == pytest.approx(2 / 8)
    assert accuracy.bias(actual, forecast) == pytest.approx(0.0)
    assert accuracy.mase(actual, forecast, history) == pytest.approx(1 / 2)
    assert accuracy.rmsse(actual, forecast, history) == pytest.approx(np.sqrt(1 / 4))


def test_scaled_errors_skip_series_that_never_varied():
    history = np.array([[0.0, 0.0, 0.0], [1.0, 3.0, 1.0]])
    actual = np.array([[1.0], [2.0]])
    forecast = np.array([[0.0], [2.0]])
    assert np.isnan(accuracy.rmsse_per_series(actual, forecast, history)[0])
    assert accuracy.rmsse(actual, forecast, history) == pytest.approx(0.0)


def test_backtest_origins_step_back_one_horizon_at_a_time():
    assert backtest_origins(100, 10, 3, 14) == [70, 80, 90]
    with pytest.raises(ValueError):
        backtest_origins(20, 10, 3, 14)


def test_chooser_picks_a_seasonal_method_for_a_weekly_pattern():
    rng = np.random.default_rng(7)
    pattern = weekly(52) + rng.normal(0, 1.0, 364)
    flat = 15.0 + rng.normal(0, 1.0, 364)
    result = forecast_panel(np.stack([pattern, flat]), horizon=14, season=7, combine=1)
    seasonal_methods = {"seasonal_naive", "seasonal_average", "holt_winters", "seasonal_factors"}
    method = result.chosen_methods()[0]
    seasonal_trend_line = method == "linear_trend" and "seasonal" in result.chosen_parameters(0)
    assert method in seasonal_methods or seasonal_trend_line
    assert np.abs(result.forecast[0] - weekly(2)).mean() < 1.5
    assert result.error_sd.shape == (2, 14)
    assert np.all(result.quantiles([0.1, 0.9])[..., 0] <= result.quantiles([0.1, 0.9])[..., 1])


def test_panel_result_equals_forecasting_each_series_alone():
    rng = np.random.default_rng(11)
    days = 200
    panel = np.stack(
        [
            rng.poisson(np.tile(WEEK, 30)[:days]),
            rng.poisson(5 + 0.05 * np.arange(days)),
            rng.poisson(0.3, days) * rng.integers(1, 6, days),
            rng.poisson(20, days),
            np.zeros(days),
        ]
    ).astype(np.float32)
    together = forecast_panel(panel, horizon=14, season=7, block_size=2, workers=2)
    for i in range(panel.shape[0]):
        alone = forecast_panel(panel[i : i + 1], horizon=14, season=7)
        np.testing.assert_allclose(together.forecast[i], alone.forecast[0], rtol=1e-5, atol=1e-5)
        assert together.method[i] == alone.method[0]
        assert together.parameter[i] == alone.parameter[0]
        np.testing.assert_allclose(together.error_sd[i], alone.error_sd[0], rtol=1e-5, atol=1e-5)


def test_adida_and_imapa_forecast_a_regular_sale_as_its_rate():
    pattern = np.tile([0.0, 0.0, 6.0], 20)  # one sale of 6 every third period
    adida, imapa = intermittent.aggregated(time_major(pattern), [60], [0.1, 0.3])
    np.testing.assert_allclose(adida[0, 0, 0, 0], 2.0, rtol=1e-5)  # 6 per 3-period bucket
    # IMAPA averages k = 1, 2, 3: SES on 1- and 2-period sums still swings around 2 per period
    assert 1.0 < imapa[0, 0, 0, 0] < 3.0


def test_sparse_series_never_get_a_season_or_an_unshrunk_trend_and_dense_ones_never_imapa():
    rng = np.random.default_rng(5)
    sparse = (rng.random(364) < 0.1) * rng.integers(1, 4, 364)
    dense = weekly(52) + rng.normal(0, 1.0, 364)
    result = forecast_panel(np.stack([sparse, dense]).astype(np.float32), 14, 7, combine=1)
    sparse_ok = {"moving_average", "ses", "ses_fit", "croston", "sba", "tsb", "adida", "imapa",
                 "shrunk_trend"}
    assert result.chosen_methods()[0] in sparse_ok
    assert result.chosen_methods()[1] not in {"adida", "imapa"}


def test_fill_rate_safety_grows_with_the_target_and_covers_a_persistent_lag():
    rng = np.random.default_rng(3)
    days = 400
    panel = np.stack([rng.poisson(20, days), rng.poisson(np.linspace(5, 60, days))]).astype(
        np.float32
    )
    result = forecast_panel(panel, horizon=14, season=7)
    low = result.fill_rate_safety(4, 0.90)
    high = result.fill_rate_safety(4, 0.99)
    assert np.all(high > low)
    assert high[1] > 0  # a rising series is under-forecast: stock must cover the lag


def test_no_method_looks_past_its_origin():
    """Changing every sale after a backtest origin changes nothing forecast from it."""
    rng = np.random.default_rng(21)
    days = 420
    panel = np.stack([
        rng.poisson(np.tile(WEEK, 60)[:days]),
        rng.poisson(np.linspace(4, 30, days)),
        (rng.random(days) < 0.2) * rng.integers(1, 5, days),
    ]).astype(np.float32)
    y = time_major(*panel)
    origins = [*backtest_origins(days, 14, 8, 14), days]
    later = y.copy()
    later[origins[0]:] = rng.poisson(50, later[origins[0]:].shape)
    for family in FAMILIES:
        if not family.names or family.names == ("ets",):
            continue
        before = family.run(y, origins, 14, 7)
        after = family.run(later, origins, 14, 7)
        for first, second in zip(before, after, strict=True):
            np.testing.assert_allclose(first[0], second[0], rtol=1e-5, atol=1e-4,
                                       err_msg=str(family.names))
        for offset, fit in getattr(before, "fits", {}).items():
            np.testing.assert_allclose(fit[0], after.fits[offset][0], rtol=1e-5,
                                       err_msg=str(family.names))


def test_profile_methods_keep_a_weekly_shape_on_a_moving_level():
    rng = np.random.default_rng(4)
    days = 364
    shape = WEEK / WEEK.mean()
    level = np.linspace(20, 40, days)
    sales = rng.poisson(level * np.tile(shape, 52)).astype(np.float32)
    y = time_major(sales)
    ((smoothed, fit),) = decomposed.profile_smoothing(y, [days], 14, [0.05, 0.2], 7)
    assert fit.shape == (1, 2, 1)
    factors = decomposed.profile(y, days, 7, 104)[:, 0]
    np.testing.assert_allclose(factors, shape[np.arange(7)], rtol=0.08)
    trend = decomposed.profile_trend(y, [days], 14, [182], 7)[0, 0, 0]
    truth = np.linspace(20, 40, days + 14)[days:] * np.tile(shape, 2)
    assert np.abs(trend - truth).mean() < 0.06 * truth.mean()
    # smoothing lags a rising level, the line does not
    assert np.abs(trend - truth).mean() < np.abs(smoothed[0, 1, 0] - truth).mean()


def test_shrunk_trend_keeps_a_clear_drift_and_drops_one_noise_explains():
    rng = np.random.default_rng(8)
    days = 700
    fading = (rng.random(days) < np.linspace(0.4, 0.05, days)) * 3.0
    steady = (rng.random(days) < 0.2) * 3.0
    out = regression.shrunk_trend(time_major(fading, steady), [days], 28)[0, 0]
    assert out[0, 0] < 0.5 * fading.mean()  # the fading item's rate is far below its mean
    assert out[0, -1] < out[0, 0]
    assert abs(out[1, -1] - out[1, 0]) < 0.02  # no drift invented
    assert abs(out[1, 0] - steady.mean()) < 0.1


def test_half_the_forecast_comes_from_the_in_sample_choice():
    actual = np.full((2, 3, 4), 10.0, dtype=np.float32)  # [folds, series, horizon]
    selection = Selection(actual, 4)

    def flat(values: list[float]) -> np.ndarray:  # [origins, G=1, series, 1]
        return np.tile(np.asarray(values, dtype=np.float32)[None, None, :, None], (3, 1, 1, 1))

    selection.offer(0, flat([10, 10, 10]))  # best by the backtest everywhere
    selection.offer(1, flat([11, 11, 11]))
    selection.offer(2, flat([20, 30, 40]))  # the in-sample choice, say
    chosen = selection.choose(2, anchors=np.array([2, 2, -1]), share=0.5)
    np.testing.assert_allclose(chosen["forecast"][:, 0], [15.25, 20.25, 10.5])
    np.testing.assert_allclose(chosen["errors"][0, :, 0], [-5.25, -10.25, -0.5])
    assert chosen["method"].tolist() == [0, 0, 0]  # named after the backtest's best


def test_a_slow_seller_closed_on_weekends_is_seasonal_not_intermittent():
    rng = np.random.default_rng(6)
    days = 364
    weekdays = np.tile([1, 1, 1, 1, 1, 0, 0], 52).astype(bool)
    closed_weekends = np.where(weekdays & (rng.random(days) < 0.7), rng.integers(1, 3, days), 0)
    random_days = np.where(rng.random(days) < 0.5, rng.integers(1, 3, days), 0)
    panel = np.stack([closed_weekends, random_days]).astype(np.float32)
    assert (classify_demand(panel) >= 2).all()  # both look intermittent by ADI
    assert selling_pattern(panel, 7).tolist() == [True, False]
    result = forecast_panel(panel, 14, 7)
    assert result.forecast[0, [5, 6]].max() < 0.3 * result.forecast[0, :5].mean()
