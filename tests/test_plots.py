"""The charts of ``smarterproctoring_async.plots``, drawn from the fake API's reports."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from matplotlib import pyplot
from matplotlib.axes import Axes

import smarterproctoring_async as sp
from smarterproctoring_async import frames, plots
from smarterproctoring_async.testing import FakeAPI

from .conftest import MakeClient, busiest, handle


@pytest.fixture(autouse=True)
def no_figure_left() -> Iterator[None]:
    yield
    pyplot.close("all")


@pytest.fixture
def install(fake: FakeAPI, make_client: MakeClient) -> sp.Install:
    return make_client().install(fake.data.installs[0]["sid"])


def heights(ax: Axes) -> list[float]:
    return [patch.get_height() for patch in ax.patches]


async def test_a_distribution_record_is_a_bar_per_row(install: sp.Install) -> None:
    record = await install.reports.modality_distribution()
    wire = record.to_dict()["modalities"]
    assert isinstance(wire, list)
    ax = plots.plot_report(record)
    assert heights(ax) == [row["count"] for row in wire]  # type: ignore[index, call-overload]
    assert [t.get_text() for t in ax.get_xticklabels()] == [row["modality"] for row in wire]  # type: ignore[index, call-overload]
    assert ax.get_ylabel() == "count" and "modalities" in ax.get_title()


async def test_a_volume_over_dates_is_a_line(install: sp.Install) -> None:
    record = await install.reports.appointment_volume()
    by_date = record.to_dict()["byDate"]
    assert isinstance(by_date, list)
    ax = plots.plot_report(record, rows="byDate")
    [line] = ax.get_lines()
    assert list(line.get_ydata()) == [row["count"] for row in by_date]  # type: ignore[index, call-overload]
    hours = plots.plot_report(record, rows="by_hour", label="hour")
    assert len(hours.patches) == len(record.to_dict()["byHour"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no list of objects 'nope'"):
        plots.plot_report(record, rows="nope")


async def test_list_report_rows_by_model_or_frame(install: sp.Install) -> None:
    volume = await install.reports.exam_volume().collect()
    by_models = plots.plot_report(volume, value="total_sessions")
    frame = frames.to_dataframe(volume)
    by_frame = plots.plot_report(frame, value="total_sessions")
    assert heights(by_models) == heights(by_frame) == list(frame["total_sessions"])
    assert by_models.get_xlabel() == "exam_title"  # the first text field that is no SID


async def test_events_per_type_are_counted_and_named(
    fake: FakeAPI, make_client: MakeClient
) -> None:
    client = make_client()
    session = busiest(fake)
    events = await handle(client, session).events().to_dataframe()
    types = await client.event_types().collect()
    ax = plots.plot_events_per_type(events, event_types=types)
    wanted: dict[str, int] = {}
    for event in session.events:
        wanted[event["eventTypeSid"]] = wanted.get(event["eventTypeSid"], 0) + 1
    assert sorted(p.get_width() for p in ax.patches) == sorted(wanted.values())
    named = {str(t.extra["name"]) for t in types}
    assert {t.get_text() for t in ax.get_yticklabels()} <= named


def test_without_matplotlib_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    rows = [{"label": "a", "count": 1}]
    with pytest.raises(ImportError, match=r"pip install 'smarterproctoring-async\[plot\]'"):
        plots.plot_report(rows)


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="report record or rows"):
        plots.plot_report("exam volume")
    with pytest.raises(ValueError, match="no list of objects"):
        plots.plot_report(sp.Record(extra={"total": 3}))
    with pytest.raises(ValueError, match="no numeric field"):
        plots.plot_report([{"label": "a"}])


def test_every_public_name_has_a_docstring() -> None:
    for name in plots.__all__:
        assert getattr(plots, name).__doc__, name
