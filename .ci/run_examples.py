"""Run ``examples/`` as users would, against the fake API, and check what they print.

The scripts run as separate processes against ``smarterproctoring-async fake-api`` (so
they read the token and base URL from the environment, as against the real API); the
notebook is executed with nbclient and must show DataFrames, a progress bar that
reached its total and two charts, and print no warning. Run from the repository root:
``python .ci/run_examples.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXAMPLES = Path("examples")
#: The fake's data is dated early 2025: the examples' time windows are put there.
DATA_DAY = "2025-01-20"
#: The MIME type of a widget (the notebook's progress bar) in a cell's outputs.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def run(script: str, *args: str, env: dict[str, str]) -> str:
    """Run one example; its standard output. Any failure ends the CI run."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    print(f"{script} {' '.join(args[-2:])}: exit {done.returncode}, "
          f"{time.monotonic() - started:.1f} s")  # fmt: skip
    if done.returncode != 0:
        sys.exit(f"{script} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def expect(pattern: str, text: str, what: str) -> re.Match[str]:
    found = re.search(pattern, text)
    if found is None:
        sys.exit(f"{what}: no match for {pattern!r} in:\n{text}")
    return found


def scripts() -> None:
    fake = subprocess.Popen(
        [sys.executable, "-m", "smarterproctoring_async", "fake-api", "--exams", "2",
         "--sessions-per-exam", "6", "--latency", "0.002"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert fake.stdout is not None
        described: dict[str, Any] = json.loads(fake.stdout.readline())
        env = {**os.environ, **described["env"]}
        install, exam = described["example"]["install_sid"], described["example"]["exam_sid"]
        with tempfile.TemporaryDirectory() as folder:
            db = str(Path(folder) / "sync.sqlite")
            first = run("post_session_sync.py", "--install", install, "--db", db, env=env)
            synced = int(expect(r"synced (\d+) sessions, 0 failed", first, "first sync")[1])
            assert synced > 0, first
            again = run("post_session_sync.py", "--install", install, "--db", db, env=env)
            expect(rf"synced 0 sessions, 0 failed, {synced} were stored before", again, "rerun")
        report = run("bulk_exam_report.py", "--install", install, "--exam", exam,
                     "--until", DATA_DAY, "--days", "60", env=env)  # fmt: skip
        expect(r"open events: [1-9]\d* in \d+ sessions", report, "bulk exam report")
        expect(r"session-events report\): [1-9]", report, "bulk exam report")
        expect(
            r"[1-9]\d* finished sessions with \d+ events in \d+ requests", report, "exam results"
        )
        board = run("operational_dashboard.py", "--install", install, "--today", DATA_DAY,
                    env=env)  # fmt: skip
        expect(r"modality distribution: \{'total': [1-9]", board, "dashboard")
    finally:
        fake.terminate()
        fake.wait(10)


def notebook() -> None:
    import nbformat
    from nbclient import NotebookClient

    path = EXAMPLES / "notebook.ipynb"
    started = time.monotonic()
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=120, kernel_name="python3", store_widget_state=True).execute()
    print(f"{path}: executed in {time.monotonic() - started:.1f} s")
    outputs = [out for cell in book.cells for out in cell.get("outputs", ())]
    for out in outputs:
        if out.get("output_type") == "error":
            sys.exit(f"{path}: {out['ename']}: {out['evalue']}")
    tables = [o for o in outputs if "<table" in str(o.get("data", {}).get("text/html", ""))]
    if len(tables) < 3:
        sys.exit(f"{path}: expected DataFrames shown as HTML tables, found {len(tables)}")
    bars = [
        state
        for state in book.metadata.get("widgets", {})
        .get("application/vnd.jupyter.widget-state+json", {})
        .get("state", {})
        .values()
        if state.get("model_name") in ("FloatProgressModel", "IntProgressModel")
    ]
    finished = [b for b in bars if 0 < b["state"].get("max", 0) == b["state"]["value"]]
    if not finished:
        sys.exit(f"{path}: no progress bar widget reached its total ({bars})")
    widgets = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
    if not widgets:
        sys.exit(f"{path}: no widget (progress bar) in the outputs")
    charts = [o for o in outputs if "image/png" in o.get("data", {})]
    if len(charts) < 2:
        sys.exit(f"{path}: expected charts shown as PNG images, found {len(charts)}")
    noise = [
        o["text"] for o in outputs if o.get("output_type") == "stream" and o["name"] == "stderr"
    ]
    if any("Unclosed" in text or "Traceback" in text for text in noise):
        sys.exit(f"{path}: warnings or errors printed:\n{''.join(noise)}")
    print(f"{path}: {len(tables)} DataFrames, {len(charts)} charts, a progress bar at "
          f"{finished[0]['state']['value']}/{finished[0]['state']['max']}")  # fmt: skip


if __name__ == "__main__":
    scripts()
    notebook()
    print("examples: ok")
