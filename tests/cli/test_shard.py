"""export sessions --shard I/N and export merge: workers running at once give, merged,
exactly the records of one unsharded export; each session is in one shard; a worker's
rerun fetches only the report; bad values, foreign directories and incomplete shard
sets are refused. (Sharing the budget through Redis: test_shard_redis.py.)"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.dataset as ds
import pytest

from smarterproctoring_async.cli.budget import redacted
from smarterproctoring_async.testing import FakeAPI, Fault

from .conftest import cli_env, cli_process, install_of, jsonl_records

KINDS = ("sessions", "events", "annotations")
REPORT = "/v1/installs/{installSid}/reports/appointments"
FAST = ("--rate-limit", "1000")


def expected_shard(sid: str, count: int) -> int:
    """The documented rule, written out independently of the code under test."""
    return int(hashlib.sha256(sid.encode()).hexdigest()[:16], 16) % count + 1


def terminal_sids(api: FakeAPI) -> set[str]:
    return {s.sid for s in api.data.sessions if s.status in ("Closed", "Cancelled")}


def state_of(directory: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads((directory / "state.json").read_text())
    return state


def fetched_sessions(api: FakeAPI) -> set[str]:
    return {r.path.split("/sessions/")[1].split("/")[0] for r in api.requests
            if "/sessions/" in r.path}  # fmt: skip


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def records(directory: Path, kind: str, fmt: str) -> list[str]:
    """Every row of one kind as {field: text} (nulls and empty texts left out), sorted.

    Tabular rows are read back with ``_more`` spread out, so that files whose columns
    differ still compare equal when they hold the same records.
    """
    rows: list[dict[str, Any]] = []
    if fmt == "jsonl":
        rows = [json.loads(line) for line in jsonl_records(directory, kind)]
    elif fmt == "csv":
        with open(directory / f"{kind}.csv", newline="", encoding="utf-8") as handle:
            header, *body = list(csv.reader(handle))
        rows = [dict(zip(header, cells, strict=True)) for cells in body]
    else:
        rows = ds.dataset(directory / kind, format="parquet").to_table().to_pylist()
    found = []
    for row in rows:
        more = row.pop("_more", None) if fmt != "jsonl" else None
        row.update(json.loads(more) if more else {})
        text = {key: _text(value) for key, value in row.items() if value not in (None, "")}
        found.append(json.dumps(text, sort_keys=True))
    return sorted(found)


def test_four_workers_at_once_merge_to_the_records_of_one_export(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    shared, whole, merged = tmp_path / "shared", tmp_path / "whole", tmp_path / "merged"
    args = ["export", "sessions", "--install", install_of(api), "--out", str(shared), *FAST]
    api.latency = 0.005  # the workers' requests interleave at the fake
    workers = [cli_process(*args, "--shard", f"{i}/4", env=cli_env(api)) for i in range(1, 5)]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    for index, (worker, (out, err)) in enumerate(zip(workers, outputs, strict=True), 1):
        assert worker.returncode == 0, err
        assert out.startswith(f"shard {index}/4: exported "), out
    assert api.requests.max_in_flight > 1
    api.latency = 0.0
    assert cli("export", "sessions", "--install", install_of(api), "--out", str(whole),
               *FAST).code == 0  # fmt: skip
    ran = cli("export", "merge", str(shared), "--out", str(merged))
    assert ran.code == 0, ran.err
    for kind in KINDS:
        got, want = jsonl_records(merged, kind), jsonl_records(whole, kind)
        assert len(got) == len(want) and got == want, kind
    # Each session is in exactly one shard, the one its SID hashes to.
    terminal = terminal_sids(api)
    seen: dict[str, int] = {}
    for index in range(1, 5):
        directory = shared / f"shard-{index}-of-4"
        assert state_of(directory)["shard"] == {"index": index, "count": 4}
        rows = [json.loads(line) for line in jsonl_records(directory, "sessions")]
        assert rows, f"shard {index} is empty: the test data is too small"
        for sid in [row["sid"] for row in rows]:
            assert sid not in seen, f"{sid} in shards {seen.get(sid)} and {index}"
            assert expected_shard(sid, 4) == index
            seen[sid] = index
        assert set(state_of(directory)["sessions"]) == {r["sid"] for r in rows}
    assert set(seen) == terminal
    assert set(state_of(merged)["sessions"]) == terminal and state_of(merged)["shard"] is None


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_tabular_shards_merge_to_the_records_of_one_export_which_then_carries_on(
    api: FakeAPI, cli, tmp_path: Path, fmt: str
) -> None:
    base = ("export", "sessions", "--install", install_of(api), "--format", fmt, *FAST)
    shards = tmp_path / "shards"
    # Each shard fixes its columns from its first rows: lateField is a column of shard
    # 2 (all its sessions have it) and, in shard 1, only in _more (it appears in a
    # session fetched again after shard 1's columns were fixed).
    closed = sorted((s for s in api.data.sessions if s.status == "Closed"), key=lambda s: s.sid)
    for session in closed:
        if expected_shard(session.sid, 2) == 2:
            session.wire["lateField"] = 8
    for index in (1, 2):
        assert cli(*base, "--out", str(shards), "--shard", f"{index}/2").code == 0
    late = next(s for s in closed if expected_shard(s.sid, 2) == 1)
    late.wire["lateField"] = 7
    api.data.set_review(late.sid, "complete", 1_767_225_600_000)
    assert "1 changed" in cli(*base, "--out", str(shards), "--shard", "1/2").out
    assert cli(*base, "--out", str(tmp_path / "whole")).code == 0
    columns = [state_of(shards / f"shard-{i}-of-2")["kinds"]["sessions"]["columns"] for i in (1, 2)]
    assert "lateField" not in columns[0] and "lateField" in columns[1]
    ran = cli("export", "merge", str(tmp_path / "shards"), "--out", str(tmp_path / "merged"))
    assert ran.code == 0, ran.err
    for kind in KINDS:
        got = records(tmp_path / "merged", kind, fmt)
        assert got == records(tmp_path / "whole", kind, fmt), kind
    merged_columns = state_of(tmp_path / "merged")["kinds"]["sessions"]["columns"]
    assert (
        merged_columns[: len(columns[0]) - 1] == columns[0][:-1] and "lateField" in merged_columns
    )
    late_rows = [json.loads(r) for r in records(tmp_path / "merged", "sessions", fmt)]
    assert [r["sid"] for r in late_rows if r.get("lateField") == "7"] == [late.sid]
    # The merged directory is an ordinary export: it carries on without shards.
    api.clear_requests()
    again = cli(*base, "--out", str(tmp_path / "merged"))
    assert again.code == 0 and "exported 0 sessions" in again.out, again.out
    assert {r.route for r in api.requests} == {REPORT}


def test_a_rerun_of_one_worker_fetches_only_the_report_and_its_own_changes(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    args = ("export", "sessions", "--install", install_of(api), "--out", str(tmp_path), *FAST)
    for index in (1, 2, 3, 4):
        assert cli(*args, "--shard", f"{index}/4").code == 0
    api.clear_requests()
    again = cli(*args, "--shard", "2/4")
    assert again.code == 0 and "exported 0 sessions" in again.out
    assert api.requests.total > 0 and {r.route for r in api.requests} == {REPORT}
    changed = next(s for s in api.data.sessions
                   if s.status == "Closed" and expected_shard(s.sid, 4) == 3)  # fmt: skip
    api.data.set_review(changed.sid, "complete", 1_767_225_600_000)
    api.clear_requests()
    assert cli(*args, "--shard", "2/4").code == 0
    assert fetched_sessions(api) == set()
    ran = cli(*args, "--shard", "3/4")
    assert ran.code == 0 and "1 changed" in ran.out
    assert fetched_sessions(api) == {changed.sid}


@pytest.mark.parametrize("value", ["0/4", "5/4", "1/0", "-1/4", "a/4", "1/4/2", "1", "", "1.0/4"])
def test_a_bad_shard_is_a_usage_error_before_any_request(
    api: FakeAPI, cli, tmp_path: Path, value: str
) -> None:
    ran = cli("export", "sessions", "--install", install_of(api), "--out", str(tmp_path),
              "--shard", value)  # fmt: skip
    assert ran.code == 2 and "--shard" in ran.err
    assert api.requests.total == 0 and not any(tmp_path.iterdir())


def test_a_directory_of_another_layout_is_refused(api: FakeAPI, cli, tmp_path: Path) -> None:
    args = ("export", "sessions", "--install", install_of(api), *FAST)
    # An export without --shard where shard 1/4 would write, then that worker.
    assert cli(*args, "--out", str(tmp_path / "a" / "shard-1-of-4")).code == 0
    before = state_of(tmp_path / "a" / "shard-1-of-4")
    ran = cli(*args, "--out", str(tmp_path / "a"), "--shard", "1/4")
    assert ran.code == 2 and "--shard 1/4" in ran.err and "without --shard" in ran.err
    assert state_of(tmp_path / "a" / "shard-1-of-4") == before
    # A shard's directory given to an export without --shard, or to another shard.
    assert cli(*args, "--out", str(tmp_path / "b"), "--shard", "2/3").code == 0
    refused = cli(*args, "--out", str(tmp_path / "b" / "shard-2-of-3"))
    assert refused.code == 2 and "--shard 2/3" in refused.err
    (tmp_path / "b" / "shard-2-of-3").rename(tmp_path / "b" / "shard-2-of-4")
    moved = cli(*args, "--out", str(tmp_path / "b"), "--shard", "2/4")
    assert moved.code == 2 and "--shard 2/3" in moved.err and "--shard 2/4" in moved.err


def test_merge_refuses_a_missing_shard_and_names_it(api: FakeAPI, cli, tmp_path: Path) -> None:
    args = ("export", "sessions", "--install", install_of(api), "--out", str(tmp_path / "s"),
            *FAST)  # fmt: skip
    for index in (1, 3):
        assert cli(*args, "--shard", f"{index}/3").code == 0
    ran = cli("export", "merge", str(tmp_path / "s"), "--out", str(tmp_path / "m"))
    assert ran.code == 2 and "missing shard 2/3" in ran.err
    assert not (tmp_path / "m").exists()
    assert cli(*args, "--shard", "2/3").code == 0
    twice = cli("export", "merge", str(tmp_path / "s"), str(tmp_path / "s" / "shard-2-of-3"),
                "--out", str(tmp_path / "m"))  # fmt: skip
    assert twice.code == 2 and "shard 2/3 is given twice" in twice.err
    assert cli("export", "merge", str(tmp_path / "s"), "--out", str(tmp_path / "m")).code == 0
    full = cli("export", "merge", str(tmp_path / "s"), "--out", str(tmp_path / "m"))
    assert full.code == 2 and "not empty" in full.err


def test_merge_refuses_shards_of_another_format_or_layout(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    args = ("export", "sessions", "--install", install_of(api), *FAST)
    assert cli(*args, "--out", str(tmp_path / "j"), "--shard", "1/2").code == 0
    assert cli(*args, "--out", str(tmp_path / "c"), "--shard", "2/2", "--format", "csv").code == 0
    assert cli(*args, "--out", str(tmp_path / "t"), "--shard", "2/3").code == 0
    merge = ("export", "merge", "--out", str(tmp_path / "m"))
    formats = cli(*merge, str(tmp_path / "j"), str(tmp_path / "c"))
    assert formats.code == 2 and "format" in formats.err
    layouts = cli(*merge, str(tmp_path / "j"), str(tmp_path / "t"))
    assert layouts.code == 2 and "not one shard layout" in layouts.err
    assert cli(*args, "--out", str(tmp_path / "u")).code == 0
    unsharded = cli(*merge, str(tmp_path / "u"))
    assert unsharded.code == 2 and "without --shard" in unsharded.err
    assert not (tmp_path / "m").exists()


def test_an_unfinished_shard_is_merged_only_with_allow_partial(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    args = ("export", "sessions", "--install", install_of(api), "--out", str(tmp_path / "s"),
            *FAST)  # fmt: skip
    assert cli(*args, "--shard", "1/2").code == 0
    api.add_fault(Fault("status", route="/annotations", status=404, times=1))
    failing = cli(*args, "--shard", "2/2")
    assert failing.code == 1 and "1 failed" in failing.out
    merge = ("export", "merge", str(tmp_path / "s"))
    ran = cli(*merge, "--out", str(tmp_path / "m"))
    assert ran.code == 2 and "shard 2/2" in ran.err and "--allow-partial" in ran.err
    partial = cli(*merge, "--out", str(tmp_path / "m"), "--allow-partial")
    assert partial.code == 0 and "warning: shard 2/2" in partial.err
    assert state_of(tmp_path / "m")["complete"] is False
    assert len(state_of(tmp_path / "m")["sessions"]) == len(terminal_sids(api)) - 1
    assert cli(*args, "--shard", "2/2").code == 0  # the failed session, fetched again
    assert cli(*merge, "--out", str(tmp_path / "m2")).code == 0
    assert state_of(tmp_path / "m2")["complete"] is True
    assert set(state_of(tmp_path / "m2")["sessions"]) == terminal_sids(api)


def test_a_redis_url_is_shown_without_its_password() -> None:
    assert redacted("redis://:hunter2@cache:6379/0") == "redis://:***@cache:6379/0"
    assert redacted("rediss://app:hunter2@cache/1") == "rediss://app:***@cache/1"
    assert redacted("redis://cache:6379") == "redis://cache:6379"
    assert "hunter2" not in redacted("redis://:hunter2@[::1")  # unparsable: nothing shown


def test_merge_reads_what_a_shard_committed_even_before_its_renames(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    base = ("export", "sessions", "--install", install_of(api), *FAST)
    for index in (1, 2):
        assert cli(*base, "--out", str(tmp_path / "s"), "--shard", f"{index}/2").code == 0
    assert cli(*base, "--out", str(tmp_path / "whole")).code == 0
    # Killed while dropping changed rows: the state names the rewritten copy, the old
    # file (here: with an extra row first) was not replaced yet.
    shard = tmp_path / "s" / "shard-1-of-2"
    committed = (shard / "events.jsonl").read_bytes()
    (shard / "events.jsonl.compact").write_bytes(committed)
    (shard / "events.jsonl").write_bytes(committed.splitlines(keepends=True)[0] + committed)
    state = state_of(shard)
    state["swap"] = [["events.jsonl.compact", "events.jsonl"]]
    (shard / "state.json").write_text(json.dumps(state))
    ran = cli("export", "merge", str(tmp_path / "s"), "--out", str(tmp_path / "m"))
    assert ran.code == 0, ran.err
    assert jsonl_records(tmp_path / "m", "events") == jsonl_records(tmp_path / "whole", "events")
    assert (shard / "events.jsonl.compact").exists()  # the shard is left as it is
