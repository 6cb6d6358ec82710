"""Exit codes, messages and output of the commands: errors, report, fake-api, demo,
--version, --help, progress, and the token kept out of every output."""

from __future__ import annotations

import argparse
import csv
import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import smarterproctoring_async
from smarterproctoring_async.cli import main
from smarterproctoring_async.cli.app import build_parser
from smarterproctoring_async.cli.progress import Progress
from smarterproctoring_async.testing import FakeAPI, Fault

from .conftest import TOKEN, cli_env, cli_process, install_of


def test_wrong_token_is_exit_3_with_one_line(api: FakeAPI, cli, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SMARTERPROCTORING_TOKEN", "wrong-" + TOKEN[::-1])
    ran = cli("sync", "--install", install_of(api), "--to", f"sqlite:///{tmp_path / 's.db'}")
    assert ran.code == 3
    assert ran.err.count("\n") == 1 and "authentication failed" in ran.err
    assert "Traceback" not in ran.err and TOKEN[::-1] not in ran.err + ran.out


def test_token_file_is_read_and_never_printed(api: FakeAPI, cli, monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SMARTERPROCTORING_TOKEN")
    secret = tmp_path / "token"
    secret.write_text(TOKEN + "\n")
    ran = cli("report", "appointments", "--install", install_of(api), "--token-file", str(secret),
              "--max-rows", "2")  # fmt: skip
    assert ran.code == 0, ran.err  # the fixture checks TOKEN is in neither stream


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--sessions", "-5"],
        ["demo", "--sessions", "zero"],
        ["sync", "--to", "sqlite:///x.db"],  # no --install
        ["sync", "--install", "AIx", "--interval", "5d"],
        ["export", "--out", "x", "--format", "xml"],
        ["export"],  # no --out
        ["report", "appointments"],
        ["nope"],
        [],
    ],
)
def test_bad_flags_are_exit_2(args: list[str], capsys) -> None:
    assert main(args) == 2
    assert "usage:" in capsys.readouterr().err


def test_missing_token_and_bad_values_are_exit_2(api: FakeAPI, cli, monkeypatch, tmp_path) -> None:
    install = install_of(api)
    bad_status = cli("report", "appointments", "--install", install, "--status", "closed")
    assert bad_status.code == 2 and "must be one of" in bad_status.err
    assert cli("report", "exam-overview", "--install", install).code == 2  # sort_by required
    assert cli("report", "appointments", "--install", "AI-not-a-sid").code == 2
    monkeypatch.delenv("SMARTERPROCTORING_TOKEN")
    ran = cli("sync", "--install", install, "--to", f"sqlite:///{tmp_path / 'o.db'}")
    assert ran.code == 2 and "SMARTERPROCTORING_TOKEN" in ran.err
    assert not (tmp_path / "o.db").exists()


def test_pause_beyond_max_retry_after_is_exit_4(api: FakeAPI, cli, tmp_path) -> None:
    api.add_fault(Fault("status", status=429, retry_after=120))
    ran = cli("report", "appointments", "--install", install_of(api), "--max-retry-after", "1")
    assert ran.code == 4 and ran.err.count("\n") == 1


def test_report_table_csv_json(api: FakeAPI, cli) -> None:
    install = install_of(api)
    closed = sorted(s.sid for s in api.data.sessions if s.status == "Closed")
    base = ("report", "appointments", "--install", install, "--status", "Closed",
            "--columns", "sid,status")  # fmt: skip
    table = cli(*base).out.splitlines()
    assert table[0].split() == ["sid", "status"] and set(table[1]) <= {"-", " "}
    assert sorted(line.split()[0] for line in table[2:]) == closed
    rows = list(csv.reader(io.StringIO(cli(*base, "--format", "csv").out)))
    assert rows[0] == ["sid", "status"] and sorted(r[0] for r in rows[1:]) == closed
    got = json.loads(cli(*base, "--format", "json").out)
    assert sorted(r["sid"] for r in got) == closed and all(r["status"] == "Closed" for r in got)
    one = json.loads(cli("report", "modality-distribution", "--install", install,
                         "--format", "json").out)  # fmt: skip
    assert isinstance(one, dict) and one


def test_report_list_names_every_report_and_its_filters(cli) -> None:
    listed = cli("report", "--list").out
    assert "appointments  (list;" in listed and "--appointment-after DATE" in listed
    assert "exam-overview" in listed and "(required)" in listed
    assert "appointment-volume  (one object;" in listed


def test_fake_api_prints_its_json_then_serves_until_sigint() -> None:
    child = cli_process("fake-api", "--seed", "2", env=cli_env_none())
    assert child.stdout is not None
    described = json.loads(child.stdout.readline())
    assert described["base_url"].startswith("http://127.0.0.1:")
    assert described["token"] and described["installs"][0]["exam_sids"]
    example = described["example"]
    assert example["status"] == "Closed" and example["session_sid"].startswith("ES")
    env = described["env"]
    assert env["SMARTERPROCTORING_BASE_URL"] == described["base_url"]
    probe = subprocess.run(
        [sys.executable, "-m", "smarterproctoring_async", "report", "session-events",
         "--install", example["install_sid"], "--exam-sid", example["exam_sid"],
         "--format", "json"],
        env={**cli_env_none(), **env}, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert probe.returncode == 0, probe.stderr
    rows = json.loads(probe.stdout)
    mine = [r for r in rows if r["sessionSid"] == example["session_sid"]]
    assert len(mine) == example["events"]
    child.send_signal(signal.SIGINT)
    assert child.wait(timeout=10) == 0
    child.communicate()


def cli_env_none() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("SMARTERPROCTORING_")}


def test_version(capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"smarterproctoring-async {smarterproctoring_async.__version__}"
    )


def _every_command() -> list[list[str]]:
    """The argv prefix of every parser: the top level, each command and subcommand."""
    found: list[list[str]] = []

    def walk(parser: argparse.ArgumentParser, prefix: list[str]) -> None:
        found.append(prefix)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    walk(child, [*prefix, name])

    walk(build_parser(), [])
    return found


def test_help_is_plain_text_with_examples_and_exit_codes(capsys) -> None:
    commands = _every_command()
    assert ["report", "appointments"] in commands and ["sync"] in commands
    assert ["export"] in commands
    for prefix in commands:
        assert main([*prefix, "--help"]) == 0, prefix
        text = capsys.readouterr().out
        assert "examples:" in text and "exit codes:" in text, prefix
        assert "``" not in text and ":func:" not in text and ":class:" not in text, prefix


def test_demo_runs_and_summarises(capsys) -> None:
    assert main(["demo", "--sessions", "4"]) == 0
    out = capsys.readouterr().out
    assert "synced 4 closed sessions" in out and "requests/s" in out
    assert "10 requests/s" in out and "faster" in out
    # The summary is read back from the store: 4 sessions in it, and the one run.
    assert "the store (a temporary file) now holds: 4 sessions, " in out and " 1 run " in out


def test_python_dash_m_is_the_cli() -> None:
    ran = subprocess.run([sys.executable, "-m", "smarterproctoring_async", "--version"],
                         capture_output=True, text=True, timeout=30)  # fmt: skip
    assert ran.returncode == 0 and ran.stdout.startswith("smarterproctoring-async ")


def test_parquet_without_pyarrow_is_exit_2(api: FakeAPI, tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pyarrow'] = None\n"
        "from smarterproctoring_async.cli import main\n"
        f"sys.exit(main(['export', '--from', 'sqlite:///{tmp_path}/s.db', "
        f"'--out', {str(tmp_path)!r}, '--format', 'parquet']))"
    )
    ran = subprocess.run([sys.executable, "-c", code], env=cli_env(api), capture_output=True,
                         text=True, timeout=30)  # fmt: skip
    assert ran.returncode == 2 and "pip install 'smarterproctoring-async[parquet]'" in ran.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal_and_prints_lines_otherwise() -> None:
    live, plain = _Terminal(), io.StringIO()
    for stream in (live, plain):
        progress = Progress("work", stream=stream)
        for done in range(3):
            progress.update(done, 3, force=True)
        progress.close()
    assert live.getvalue().count("\r") == 3 and live.getvalue().count("\n") == 1
    assert "\r" not in plain.getvalue() and plain.getvalue().count("\n") == 3


def test_columns_pick_the_fields_of_a_one_object_report(api: FakeAPI, cli) -> None:
    whole = cli("report", "exam-type-stats", "--install", install_of(api), "--format", "json")
    answer = json.loads(whole.out)
    picked = [name for name in answer if answer[name] is not None][:2]
    assert len(picked) == 2, answer
    ran = cli("report", "exam-type-stats", "--install", install_of(api),
              "--columns", ",".join(reversed(picked)))  # fmt: skip
    lines = ran.out.splitlines()
    assert ran.code == 0 and lines[0].split() == ["field", "value"], ran.out
    assert [line.split()[0] for line in lines[2:]] == list(reversed(picked))
    for line in lines[2:]:
        assert line.split(None, 1)[1].strip() != "", line  # the value is shown
