"""``sync`` then ``export``: the files hold exactly the store's records, typed in Parquet,
safe in CSV, atomic, with hostile server data, over a real store (SQLite and PostgreSQL)
and the fake API on loopback."""

from __future__ import annotations

import asyncio
import csv
import json
import math
import os
import signal
import stat
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI
from smarterproctoring_async.testing.server import responses

from .conftest import cli_env, cli_process, install_of, killed_if_left

TABLES = ("sessions", "events", "annotations")
FORMULA = '=HYPERLINK("http://evil","x")'
HOSTILE_TITLES = (
    FORMULA, "+1", "-2+3", "@SUM(A1)", "\tlead", "nul \x00 inside", "esc \x1b[31mred\x1b[0m",
    "bell \x07 and \r\n breaks",
)  # fmt: skip
BIG = 2**70


def store_rows(url: str, table: str) -> list[dict[str, Any]]:
    """Every row of one of the store's tables, read through the public API."""

    async def read() -> list[dict[str, Any]]:
        async with sp.Store(url) as store:
            return [row async for row in store.rows(table)]  # type: ignore[arg-type]

    return asyncio.run(read())


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def ascii_json(payload: Any) -> bytes:
    """JSON as a server may well send it: ``\\ud800`` escaped, which is valid JSON (the
    fake writes UTF-8, which has no bytes for a lone surrogate)."""
    return json.dumps(payload, separators=(",", ":")).encode()


def hostile(api: FakeAPI) -> str:
    """Give one closed session hostile annotations and a big-integer event; its SID."""
    session = next(s for s in api.data.sessions if s.status == "Closed")
    for title in HOSTILE_TITLES:
        api.data.add_annotation(session, title=title, extra={"big": BIG})
    api.data.add_event(session, subject=FORMULA, extra={"huge": -BIG, "note": "\x00"})
    session.wire["bigCounter"] = BIG
    return session.sid


def test_sync_then_export_jsonl_equals_the_store(api: FakeAPI, cli, store_url: str,
                                                 tmp_path: Path) -> None:  # fmt: skip
    synced = cli("sync", "--install", install_of(api), "--to", store_url)
    assert synced.code == 0, synced.err
    closed = sum(1 for s in api.data.sessions if s.status in ("Closed", "Cancelled"))
    assert f"{closed} stored, 0 unchanged" in synced.out and "requests" in synced.out
    out = tmp_path / "files"
    ran = cli("export", "--from", store_url, "--out", str(out))
    assert ran.code == 0, ran.err
    for table in TABLES:
        lines = (out / f"{table}.jsonl").read_text(encoding="utf-8").splitlines()
        expected = [as_json(row) for row in store_rows(store_url, table)]
        assert [json.loads(line) for line in lines] == expected
    assert len(lines) > 0
    # Nothing but the three files: no state, no temporary file left behind.
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.jsonl" for t in TABLES)
    # A second sync sends only the report's page(s) and stores nothing again.
    again = cli("sync", "--install", install_of(api), "--to", store_url)
    assert again.code == 0 and f"0 stored, {closed} unchanged" in again.out


def test_parquet_columns_are_typed_and_each_id_is_one_column(api: FakeAPI, cli, tmp_path: Path
                                                             ) -> None:  # fmt: skip
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert cli("sync", "--install", install_of(api), "--to", url).code == 0
    ran = cli("export", "--from", url, "--out", str(tmp_path), "--format", "parquet")
    assert ran.code == 0, ran.err
    sessions = pq.read_table(tmp_path / "sessions.parquet")
    types = {field.name: field.type for field in sessions.schema}
    assert types["stored_at"] == pa.timestamp("us", tz="UTC")
    assert types["appointment_date"] == pa.timestamp("us", tz="UTC")
    assert types["reviewed"] == pa.bool_() and types["details_from_report"] == pa.bool_()
    assert types["session_report_count"] == pa.int64() and types["session_sid"] == pa.string()
    assert "sessionSid" not in types and list(types).count("session_sid") == 1
    events = pq.read_table(tmp_path / "events.parquet")
    assert events.schema.field("position").type == pa.int64()
    assert events.schema.field("draft").type == pa.bool_()
    annotations = pq.read_table(tmp_path / "annotations.parquet")
    assert annotations.schema.field("session_time").type == pa.float64()
    for table, read in (("sessions", sessions), ("events", events), ("annotations", annotations)):
        assert read.to_pylist() == store_rows(url, table), table


def test_hostile_data_is_stored_exactly_and_exported_safely(
    api: FakeAPI, cli, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = hostile(api)
    synced = cli("sync", "--install", install_of(api), "--to", store_url)
    assert synced.code == 0, synced.err
    served = api.data.session(sid).annotations
    for fmt in ("jsonl", "csv", "parquet"):
        ran = cli("export", "--from", store_url, "--out", str(tmp_path / fmt), "--format", fmt)
        assert ran.code == 0 and "Traceback" not in ran.err, ran.err
    lines = (tmp_path / "jsonl" / "annotations.jsonl").read_text(encoding="utf-8").splitlines()
    mine = [json.loads(line) for line in lines if json.loads(line)["session_sid"] == sid]
    # The wire is the record exactly: NUL, escapes and big integers included.
    assert [json.loads(row["wire"]) for row in mine] == served
    wires = [json.loads(row["wire"]) for row in mine]
    assert [w["big"] for w in wires if w["title"] in HOSTILE_TITLES] == [BIG] * len(HOSTILE_TITLES)
    text = (tmp_path / "jsonl" / "sessions.jsonl").read_text("utf-8")
    session_rows = [json.loads(line) for line in text.splitlines()]
    assert (
        next(json.loads(r["wire"]) for r in session_rows if r["session_sid"] == sid)["bigCounter"]
        == BIG
    )
    titles = [row["title"] for row in mine]
    # PostgreSQL text cannot hold NUL: its typed column has U+FFFD (the wire the truth).
    nul = "\ufffd" if store_url.startswith("postgresql") else "\x00"
    assert FORMULA in titles and f"nul {nul} inside" in titles
    table = pq.read_table(tmp_path / "parquet" / "annotations.parquet").to_pylist()
    assert sorted(r["title"] for r in table if r["session_sid"] == sid) == sorted(titles)
    with (tmp_path / "csv" / "annotations.csv").open(encoding="utf-8", newline="") as file:
        cells = [row["title"] for row in csv.DictReader(file) if row["session_sid"] == sid]
    in_csv = [t.replace("\x00", "\ufffd") for t in titles]  # NUL: U+FFFD in CSV only
    assert sorted(cells) == sorted("'" + t if t[0] in "=+-@\t\r" else t for t in in_csv)
    assert "'" + FORMULA in cells and "'+1" in cells and "'\tlead" in cells
    assert "esc \x1b[31mred\x1b[0m" in cells  # data, not for a terminal: kept as it is


def test_csv_raw_writes_formula_cells_as_they_are(
    api: FakeAPI, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = hostile(api)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert cli("sync", "--install", install_of(api), "--to", url).code == 0
    for flag, expected in (([], "'" + FORMULA), (["--csv-raw"], FORMULA)):
        out = tmp_path / ("raw" if flag else "safe")
        assert cli("export", "--from", url, "--out", str(out), "--format", "csv", *flag).code == 0
        with (out / "events.csv").open(encoding="utf-8", newline="") as file:
            subjects = [r["subject"] for r in csv.DictReader(file) if r["session_sid"] == sid]
        assert expected in subjects, flag


def test_a_symlink_at_a_target_is_refused_and_not_followed(api: FakeAPI, cli, tmp_path: Path
                                                           ) -> None:  # fmt: skip
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert cli("sync", "--install", install_of(api), "--to", url).code == 0
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    out = tmp_path / "out"
    out.mkdir()
    (out / "events.jsonl").symlink_to(outside)
    ran = cli("export", "--from", url, "--out", str(out))
    assert ran.code == 2 and "symbolic link" in ran.err and ran.err.count("\n") == 1
    assert outside.read_text() == "keep me"
    assert not (out / "sessions.jsonl").exists()  # refused before anything was written


def test_an_export_replaces_its_files_whole(api: FakeAPI, cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "out"
    out.mkdir()
    (out / "sessions.csv").write_text("old,content\n" * 1000)
    (out / "sessions.csv").chmod(0o600)  # kept private by its owner: it stays so
    assert cli("sync", "--install", install_of(api), "--to", url).code == 0
    assert cli("export", "--from", url, "--out", str(out), "--format", "csv").code == 0
    text = (out / "sessions.csv").read_text(encoding="utf-8")
    assert "old,content" not in text and text.startswith("session_sid,")
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert stat.S_IMODE((out / "sessions.csv").stat().st_mode) == 0o600
    assert stat.S_IMODE((out / "events.csv").stat().st_mode) == 0o666 & ~_umask()  # new


def test_an_empty_store_exports_headers_and_schemas(cli, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store_rows(url, "sessions")  # opening the store creates it (export never does)
    for fmt in ("csv", "parquet"):
        assert cli("export", "--from", url, "--out", str(tmp_path / fmt), "--format", fmt).code == 0
    assert (tmp_path / "csv" / "events.csv").read_text().startswith("session_sid,position,")
    schema = pq.read_schema(tmp_path / "parquet" / "sessions.parquet")
    assert schema.field("reviewed").type == pa.bool_()


@pytest.mark.parametrize("job", ["sessions", "exam-events", "merge"])
def test_a_former_export_job_gets_one_line_saying_what_to_run(cli, job: str) -> None:
    ran = cli("export", job, "--install", "AI1", "--out", "x", "--commit-every", "3")
    assert ran.code == 2 and ran.err.count("\n") == 1
    assert "smarterproctoring-async sync --install" in ran.err and "export --from" in ran.err


def test_a_lone_surrogate_from_the_server_is_never_a_traceback(
    api: FakeAPI, cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(responses, "encode", ascii_json)
    session = next(s for s in api.data.sessions if s.status == "Closed")
    api.data.add_annotation(session, title="lone \ud800 surrogate")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    synced = cli("sync", "--install", install_of(api), "--to", url)
    # With orjson (the fast extra) the body is refused as not JSON: that session fails,
    # in one line, and is tried again next time; with the stdlib decoder it is stored.
    assert synced.code in (0, 1) and "Traceback" not in synced.err and "stored" in synced.out
    for fmt in ("jsonl", "csv", "parquet"):
        ran = cli("export", "--from", url, "--out", str(tmp_path / fmt), "--format", fmt)
        assert ran.code == 0 and "Traceback" not in ran.err, ran.err


def test_export_cells_never_carry_a_lone_surrogate_and_escape_formulas() -> None:
    from smarterproctoring_async.cli.export_files import csv_cell, jsonl_line

    assert csv_cell("a\ud800b", raw=False) == "a\ufffdb"
    assert csv_cell("=1+1", raw=False) == "'=1+1" and csv_cell("=1+1", raw=True) == "=1+1"
    assert csv_cell(-5, raw=False) == "-5" and csv_cell(True, raw=False) == "true"
    assert csv_cell(None, raw=False) == "" and csv_cell("\rx", raw=False) == "'\rx"
    line = jsonl_line({"t": "x\udc80\x00"})
    assert json.loads(line) == {"t": "x\ufffd\x00"} and line.encode("utf-8")
    # A typed float JSON cannot hold is null in JSON Lines: every line stays JSON.
    strict = jsonl_line({"a": math.inf, "b": -math.inf, "c": math.nan, "d": 0.5})
    assert json.loads(strict, parse_constant=_refuse) == {"a": None, "b": None, "c": None, "d": 0.5}


def _refuse(constant: str) -> object:
    raise ValueError(f"not JSON: {constant}")


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_an_unknown_install_is_refused_and_the_files_are_kept(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "out"
    assert cli("sync", "--install", install_of(api), "--to", url).code == 0
    assert cli("export", "--from", url, "--out", str(out), "--install", install_of(api)).code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    typo = install_of(api)[:-1] + ("0" if install_of(api)[-1] != "0" else "1")
    for wrong in (typo, "not-an-install"):
        ran = cli("export", "--from", url, "--out", str(out), "--install", wrong)
        assert ran.code == 2 and "holds no session of install" in ran.err, ran.err
        assert ran.err.count("\n") == 1
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_stopped_export_keeps_the_old_files_and_no_temporary_one(
    api: FakeAPI, cli, tmp_path: Path, signum: int, code: int
) -> None:
    api.data.add_session(status="Closed", events=30_000)  # an export that takes a while
    url = f"sqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "out"
    assert cli("sync", "--install", install_of(api), "--to", url).code == 0
    assert cli("export", "--from", url, "--out", str(out)).code == 0
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    worker = cli_process("export", "--from", url, "--out", str(out), env=cli_env(api))
    with killed_if_left(worker):
        deadline = time.monotonic() + 60
        while not any(p.name.endswith(".tmp") for p in out.iterdir()):  # writing now
            assert worker.poll() is None, "the export ended before it could be stopped"
            assert time.monotonic() < deadline
            time.sleep(0.005)
        worker.send_signal(signum)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == code, err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    # The three files as they were (not a new sessions file beside old events), and no
    # temporary file left behind.
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def test_a_full_standard_output_is_named_as_such_not_the_folder(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert cli("sync", "--install", install_of(api), "--to", url).code == 0
    command = [sys.executable, "-m", "smarterproctoring_async", "export", "--from", url,
               "--out", str(tmp_path / "out")]  # fmt: skip
    with open("/dev/full", "w") as full:
        ran = subprocess.run(command, env=cli_env(api), stdout=full, stderr=subprocess.PIPE,
                             text=True, timeout=60)  # fmt: skip
    assert ran.returncode == 1 and ran.stderr.rstrip().endswith("standard output"), ran.stderr
    assert (tmp_path / "out" / "events.jsonl").exists()  # the files were written
