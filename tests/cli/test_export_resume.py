"""export sessions: a run killed with SIGKILL resumes to exactly the uninterrupted result;
a second run with nothing new sends only the appointments report; a changed session is
fetched again without leaving its old rows behind."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

from smarterproctoring_async.testing import FakeAPI

from .conftest import cli_env, cli_process, install_of, jsonl_records

KINDS = ("sessions", "events", "annotations")
REPORT = "/v1/installs/{installSid}/reports/appointments"


def committed(directory: Path) -> int:
    try:
        return len(json.loads((directory / "state.json").read_text())["sessions"])
    except (OSError, ValueError):
        return 0


def test_sigkill_then_resume_gives_the_uninterrupted_records(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    args = ["export", "sessions", "--install", install_of(api), "--commit-every", "0.05"]
    api.latency = 0.01
    child = cli_process(*args, "--out", str(killed), "--rate-limit", "12", env=cli_env(api))
    deadline = time.monotonic() + 20
    while committed(killed) < 3 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.01)
    time.sleep(random.uniform(0, 0.1))  # anywhere: between commits, mid-write, ...
    child.send_signal(signal.SIGKILL)
    child.communicate()
    assert child.returncode == -signal.SIGKILL
    closed = sum(1 for s in api.data.sessions if s.status in ("Closed", "Cancelled"))
    assert 3 <= committed(killed) < closed, "killed too late to test a resume"
    # A torn write: half a record after the committed length.
    with open(killed / "events.jsonl", "ab") as handle:
        handle.write(b'{"install_sid": "AI-torn", "sid": "ER')
    api.latency = 0.0
    fast = ("--rate-limit", "1000")
    resumed = cli(*args, *fast, "--out", str(killed))
    assert resumed.code == 0, resumed.err
    assert cli(*args, *fast, "--out", str(whole)).code == 0
    for kind in KINDS:
        got, want = jsonl_records(killed, kind), jsonl_records(whole, kind)
        assert len(got) == len(want) and got == want, kind
        assert len(set(got)) == len(got), f"{kind}: a record twice"
    state = json.loads((killed / "state.json").read_text())
    assert state["kinds"]["events"]["records"] == len(jsonl_records(whole, "events"))


def test_a_second_run_with_nothing_new_sends_only_the_report(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    args = ("export", "sessions", "--install", install_of(api), "--out", str(tmp_path),
            "--rate-limit", "1000")  # fmt: skip
    assert cli(*args).code == 0
    before = {kind: jsonl_records(tmp_path, kind) for kind in KINDS}
    # A crash mid-write after the last commit: the next run must cut it off, even
    # though it writes nothing over it.
    for kind in KINDS:
        with open(tmp_path / f"{kind}.jsonl", "ab") as handle:
            handle.write(b'{"install_sid": "AI-torn", "sid": "E')
    api.clear_requests()
    again = cli(*args)
    assert again.code == 0 and "exported 0 sessions" in again.out
    assert api.requests.total > 0
    assert {r.route for r in api.requests} == {REPORT}
    assert {kind: jsonl_records(tmp_path, kind) for kind in KINDS} == before


def test_a_changed_session_is_fetched_again_and_not_duplicated(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    args = ("export", "sessions", "--install", install_of(api), "--out", str(tmp_path),
            "--rate-limit", "1000")  # fmt: skip
    assert cli(*args).code == 0
    changed = next(s for s in api.data.sessions if s.status == "Closed" and s.annotations)
    other = next(s for s in api.data.sessions if s.status == "Closed" and s is not changed)
    api.data.set_review(changed.sid, "complete", 1_767_225_600_000)  # edits the version
    changed.annotations[0]["notes"] = "reviewed again"
    api.clear_requests()
    ran = cli(*args)
    assert ran.code == 0 and "1 changed" in ran.out
    fetched = {
        r.path.split("/sessions/")[1].split("/")[0] for r in api.requests if "/sessions/" in r.path
    }
    assert fetched == {changed.sid}
    rows = [json.loads(line) for line in jsonl_records(tmp_path, "annotations")]
    mine = [r for r in rows if r["session_sid"] == changed.sid]
    assert sorted(r["sid"] for r in mine) == sorted(a["sid"] for a in changed.annotations)
    assert any(r.get("notes") == "reviewed again" for r in mine)
    sessions = [json.loads(line) for line in jsonl_records(tmp_path, "sessions")]
    assert [s["sid"] for s in sessions].count(changed.sid) == 1
    assert [s["sid"] for s in sessions].count(other.sid) == 1
    events = jsonl_records(tmp_path, "events")
    assert len(set(events)) == len(events)
    assert len(events) == sum(
        len(s.events) for s in api.data.sessions if s.status in ("Closed", "Cancelled")
    )


def test_refetch_fetches_every_terminal_session_again_without_duplicates(
    api: FakeAPI, cli, tmp_path: Path
) -> None:
    args = ("export", "sessions", "--install", install_of(api), "--out", str(tmp_path),
            "--rate-limit", "1000")  # fmt: skip
    assert cli(*args).code == 0
    before = {kind: jsonl_records(tmp_path, kind) for kind in KINDS}
    # A change no report field shows: only --refetch can pick it up.
    edited = next(s for s in api.data.sessions if s.status == "Closed" and s.annotations)
    edited.annotations[0]["notes"] = "edited after the review"
    api.clear_requests()
    assert cli(*args).code == 0
    assert {r.route for r in api.requests} == {REPORT}
    api.clear_requests()
    ran = cli(*args, "--refetch")
    terminal = {s.sid for s in api.data.sessions if s.status in ("Closed", "Cancelled")}
    assert ran.code == 0 and f"{len(terminal)} changed" in ran.out
    fetched = {
        r.path.split("/sessions/")[1].split("/")[0] for r in api.requests if "/sessions/" in r.path
    }
    assert fetched == terminal
    after = {kind: jsonl_records(tmp_path, kind) for kind in KINDS}
    assert after["sessions"] == before["sessions"] and after["events"] == before["events"]
    notes = [json.loads(line).get("notes") for line in after["annotations"]]
    assert "edited after the review" in notes and len(after["annotations"]) == len(
        before["annotations"]
    )
