"""Server-side SVG charts are pure functions of their numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shelfwise.web import charts

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def test_stock_series_walks_back_from_today_to_the_level_before_the_first_movement():
    deltas = [(T0 + timedelta(days=2), -4), (T0 + timedelta(days=1), 6), (T0, 40)]
    series = charts.stock_series(42, deltas)
    assert [v for _, v in series] == [0, 40, 46, 42]
    assert series[-1][0] == T0 + timedelta(days=2)


def test_step_chart_says_how_many_points_and_the_current_level():
    svg = charts.step_chart("On hand", charts.stock_series(42, [(T0, 42)]))
    assert svg.startswith("<svg") and 'aria-label="On hand: 2 points, now 42"' in svg


def test_charts_escape_labels_so_a_sku_cannot_inject_markup():
    svg = charts.bar_chart("Orders <per> day", [("<b>", 3)])
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "Orders &lt;per&gt; day" in svg


def test_empty_charts_say_there_is_no_data_yet():
    assert "no data yet" in charts.step_chart("On hand", [])
    assert "no data yet" in charts.share_chart("Counts within tolerance", [("W1", None, "")])


def test_a_week_without_counts_is_a_gap_not_a_zero_bar():
    svg = charts.share_chart("Counts within tolerance",
                             [("W1", 95.0, "19 of 20"), ("W2", None, ""), ("W3", 50.0, "1 of 2")])
    assert 'data-label="W1" data-value="95"' in svg and 'data-label="W3" data-value="50"' in svg
    assert svg.count('class="bar"') == 2 and 'class="tick gap" data-label="W2"' in svg
