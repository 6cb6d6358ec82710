"""Series read by shape from report bodies the reference documents no schema for."""

from __future__ import annotations

from smarterproctoring_async.dashboard._shapes import (
    count_by,
    figures,
    series_in,
    trend,
    uncharted,
)


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


def test_a_null_group_in_the_first_row_hides_no_field() -> None:
    # A SQL GROUP BY gives a null group; read from the first row alone, the percentage
    # became the value and the count the label, and the "live" row was lost.
    body = {"total": 10, "modalities": [
        {"modality": None, "count": 3, "percentage": 30},
        {"modality": "live", "count": 7, "percentage": 70},
    ]}  # fmt: skip
    (series,) = series_in(body)
    assert series.title == "modalities: count by modality"
    assert (series.labels, series.values) == (("(none)", "live"), (3.0, 7.0))
    assert uncharted(body) == []


def test_a_list_no_rule_fits_is_kept_as_a_table_not_dropped() -> None:
    rows = [{"note": None}, {"note": None}]
    body = {"total": 2, "rows": rows}
    assert series_in(body) == [] and uncharted(body) == [("rows", rows)]


def test_a_trend_finds_its_date_past_a_first_row_without_one() -> None:
    rows = [{"open": None, "n": 1}, {"open": "2025-01-06T10:00:00Z", "n": 2}]
    series = trend(rows)
    assert series is not None and (series.labels, series.values) == (("2025-01-06",), (2.0,))


def test_an_object_panel_shows_an_uncharted_list_as_a_table() -> None:
    from smarterproctoring_async.dashboard._panels import PANELS

    render = next(p.render for p in PANELS if p.report == "proctor-volume")
    html = render({"total": 5, "proctors": [{"proctorSid": None, "note": "<b>x</b>"}]})
    assert "<h3>proctors</h3>" in html and "&lt;b&gt;x&lt;/b&gt;" in html
