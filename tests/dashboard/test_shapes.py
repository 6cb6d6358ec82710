"""Series read by shape from report bodies the reference documents no schema for."""

from __future__ import annotations

from smarterproctoring_async.dashboard._shapes import count_by, figures, series_in, trend


def test_a_list_of_labelled_counts_is_a_series_preferring_a_counting_field() -> None:
    body = {"total": 3, "rows": [{"name": "a", "share": 0.5, "sessions": 2},
                                 {"name": "b", "share": 0.5, "sessions": 1}]}  # fmt: skip
    (series,) = series_in(body)
    assert series.title == "rows: sessions by name"
    assert (series.labels, series.values) == (("a", "b"), (2.0, 1.0))
    assert figures(body) == [("total", "3")]


def test_an_hour_of_the_day_is_a_label() -> None:
    (series,) = series_in({"byHour": [{"hour": 9, "count": 4}]})
    assert (series.labels, series.values) == (("9",), (4.0,))


def test_what_no_rule_fits_is_no_series() -> None:
    assert series_in([1, 2]) == []
    assert series_in({"rows": [{"only": "text"}], "flags": [True]}) == []
    assert trend([{"name": "no date"}]) is None
    assert trend([]) is None


def test_a_trend_sums_per_day_in_date_order_and_skips_bad_values() -> None:
    rows = [
        {"open": "2025-01-08T10:00:00Z", "n": 2},
        {"open": "2025-01-06T10:00:00Z", "n": 1},
        {"open": "2025-01-08T23:00:00Z", "n": 5},
        {"open": "not a date", "n": 100},
        {"open": "2025-01-09T00:00:00Z", "n": True},
    ]
    series = trend(rows)
    assert series is not None and series.title == "n by open"
    assert series.labels == ("2025-01-06", "2025-01-08", "2025-01-09")
    assert series.values == (1.0, 7.0, 0.0)


def test_rows_without_a_number_are_counted_per_day() -> None:
    series = trend([{"d": "2025-01-06"}, {"d": "2025-01-06"}])
    assert series is not None and series.values == (2.0,)


def test_count_by_takes_the_first_key_the_rows_hold() -> None:
    rows = [{"status": "Closed"}, {"status": "Closed"}, {"status": "Scheduled"}]
    series = count_by(rows, "serviceType", "status")
    assert series is not None and series.labels == ("Closed", "Scheduled")
    assert count_by([], "serviceType") is None
