"""CSV and Parquet exports hold the same records as JSON Lines; parquet parts a crash
left uncommitted are removed; exam-events resumes after its committed rows."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pyarrow.dataset as ds

from smarterproctoring_async.cli.rows import split_row
from smarterproctoring_async.testing import FakeAPI

from .conftest import install_of

KINDS = ("sessions", "events", "annotations")
FAST = ("--rate-limit", "1000")


def as_cells(directory: Path, kind: str, columns: list[str]) -> list[tuple[str | None, ...]]:
    """The JSON Lines rows of one kind as the cells a tabular format holds, sorted."""
    text = (directory / f"{kind}.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines()]  # nested key order kept
    return sorted((tuple(split_row(columns, row)) for row in rows), key=repr)


def export(cli, api: FakeAPI, out: Path, fmt: str) -> None:
    ran = cli("export", "sessions", "--install", install_of(api), "--out", str(out),
              "--format", fmt, *FAST)  # fmt: skip
    assert ran.code == 0, ran.err


def test_csv_and_parquet_hold_the_jsonl_records(api: FakeAPI, cli, tmp_path: Path) -> None:
    for fmt in ("jsonl", "csv", "parquet"):
        export(cli, api, tmp_path / fmt, fmt)
    for kind in KINDS:
        with open(tmp_path / "csv" / f"{kind}.csv", newline="", encoding="utf-8") as handle:
            header, *body = list(csv.reader(handle))
        want = as_cells(tmp_path / "jsonl", kind, header)
        got_csv = sorted((tuple(c or None for c in row) for row in body), key=repr)
        # CSV cannot tell an empty text from null: both are an empty cell.
        assert got_csv == sorted((tuple(c or None for c in row) for row in want), key=repr), kind
        table = ds.dataset(tmp_path / "parquet" / kind, format="parquet").to_table()
        assert table.column_names == header
        got_parquet = sorted((tuple(r.values()) for r in table.to_pylist()), key=repr)
        assert got_parquet == want, kind


def test_parquet_removes_parts_not_committed_and_drops_changed_rows(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    export(cli, api, tmp_path, "parquet")
    before = ds.dataset(tmp_path / "events", format="parquet").count_rows()
    stray = tmp_path / "events" / "part-999999.parquet"  # a part no state names
    stray.write_bytes((next((tmp_path / "events").glob("part-*.parquet"))).read_bytes())
    changed = next(s for s in api.data.sessions if s.status == "Closed" and len(s.events))
    api.data.set_review(changed.sid, "pending", 1_767_225_600_000)
    export(cli, api, tmp_path, "parquet")
    assert not stray.exists()
    table = ds.dataset(tmp_path / "events", format="parquet").to_table()
    assert table.num_rows == before
    sids = table.column("sid").to_pylist()
    assert len(sids) == len(set(sids))
    sessions = ds.dataset(tmp_path / "sessions", format="parquet").to_table()
    assert sessions.column("sid").to_pylist().count(changed.sid) == 1


def test_exam_events_resume_appends_only_new_rows(api: FakeAPI, cli, tmp_path: Path) -> None:
    exam = api.data.exams[0]
    args = ("export", "exam-events", "--install", install_of(api), "--exam", str(exam["sid"]),
            "--out", str(tmp_path), *FAST)  # fmt: skip
    assert cli(*args).code == 0
    first = (tmp_path / "events.jsonl").read_bytes()
    expected = sum(len(s.events) for s in api.data.exam_sessions(str(exam["sid"])))
    assert len(first.splitlines()) == expected
    with open(tmp_path / "events.jsonl", "ab") as handle:
        handle.write(b'{"torn": ')  # a crash mid-write
    again = cli(*args)
    assert again.code == 0 and "exported 0 new" in again.out
    assert (tmp_path / "events.jsonl").read_bytes() == first
    last = api.data.exam_sessions(str(exam["sid"]))[-1]
    added = api.data.insert_event(last, at_head=False)
    ran = cli(*args)
    assert "exported 1 new" in ran.out
    lines = (tmp_path / "events.jsonl").read_bytes().splitlines()
    assert lines[:-1] == first.splitlines() and json.loads(lines[-1])["sid"] == added["sid"]


def test_a_directory_of_another_format_is_refused(api: FakeAPI, cli, tmp_path: Path) -> None:
    export(cli, api, tmp_path, "jsonl")
    ran = cli("export", "sessions", "--install", install_of(api), "--out", str(tmp_path),
              "--format", "csv")  # fmt: skip
    assert ran.code == 2 and "jsonl" in ran.err


def test_a_carriage_return_in_a_value_stays_in_its_csv_row_through_a_rewrite(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    holder = next(s for s in api.data.sessions if s.status == "Closed")
    other = next(s for s in api.data.sessions if s.status == "Closed" and s is not holder)
    api.data.add_event(holder, subject="first\rsecond", details="line\r\nbreak")
    export(cli, api, tmp_path, "csv")
    # A rewrite of the file (another session changed), then the holder's own change.
    api.data.set_review(other.sid, "complete", 1_767_225_600_000)
    export(cli, api, tmp_path, "csv")
    api.data.set_review(holder.sid, "complete", 1_767_225_600_000)
    export(cli, api, tmp_path, "csv")
    with open(tmp_path / "events.csv", newline="", encoding="utf-8") as handle:
        header, *body = list(csv.reader(handle))
    state = json.loads((tmp_path / "state.json").read_text())
    assert len(body) == state["kinds"]["events"]["records"]
    assert len(body) == sum(len(s.events) for s in api.data.sessions if s.status in (
        "Closed", "Cancelled"))  # fmt: skip
    at, subject = header.index("session_sid"), header.index("subject")
    assert all(row[at].startswith("ES") for row in body)
    assert [row[subject] for row in body].count("first\rsecond") == 1
