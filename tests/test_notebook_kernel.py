"""The SDK in a real Jupyter kernel (ipykernel, driven by nbclient as CI runs the example
notebook): what a user sees when re-running the cell that creates the client."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

# Runs in a fresh interpreter: nbclient and the kernel's own warnings stay out of the
# test's -W error, and a kernel left behind by a failure dies with it.
RUN_CELLS = """
import json, sys
import nbformat
from nbclient import NotebookClient

cells = json.loads(sys.argv[1])
book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
NotebookClient(book, timeout=60, kernel_name="python3", allow_errors=True).execute()
outputs = []
for cell in book.cells:
    texts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            texts.append(out.name + ": " + out.text)
        elif out.output_type == "error":
            texts.append("error: " + out.ename + ": " + out.evalue)
        else:
            texts.append("result: " + str(out.get("data", {}).get("text/plain", "")))
    outputs.append("".join(texts))
print(json.dumps(outputs))
"""

START = """
import asyncio, gc, warnings, weakref
import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, generate_data
fake = FakeAPI(generate_data(seed=7, exams=1, sessions_per_exam=5))
await fake.start()
"""
CREATE = """
client = sp.Client(fake.token, base_url=fake.base_url, rate_limit=200)
install = client.install(fake.data.installs[0]["sid"])
rows = await install.reports.appointments().collect()
session = weakref.ref(client._transport.pool.session)
len(rows)
"""
KEEP = "first = session"
COLLECT = """
gc.collect()
await asyncio.sleep(0.2)
"""
CHECK = """
print("closed:", first() is None or first().closed)
"""


def run_cells(cells: list[str]) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", RUN_CELLS, json.dumps(cells)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found: Any = json.loads(done.stdout.splitlines()[-1])
    return [str(text) for text in found]


def test_rerunning_the_cell_that_creates_the_client() -> None:
    dev_mode = 'warnings.simplefilter("always", ResourceWarning)'
    cells = [START, CREATE, KEEP, CREATE, COLLECT, CHECK]
    cells += [dev_mode, KEEP, CREATE, COLLECT, CHECK, "await client.aclose()\nawait fake.stop()"]
    outputs = run_cells(cells)
    quiet, loud = "".join(outputs[:6]), "".join(outputs[6:])
    # The dropped client's session is closed, silently by default...
    assert "Unclosed" not in quiet and "stderr" not in quiet, quiet
    assert outputs[5] == "stdout: closed: True\n"
    # ... and with ResourceWarning shown, in one warning that says what to do.
    assert "Unclosed" not in loud, loud
    assert loud.count("ResourceWarning") == 1 and "await client.aclose()" in loud, loud
    assert outputs[10] == "stdout: closed: True\n"
    assert "error" not in "".join(outputs)


# Runs in a fresh interpreter too: a kernel, one cell interrupted as the stop button does.
INTERRUPT = """
import json, queue, sys, time
from jupyter_client.manager import start_new_kernel

manager, kernel = start_new_kernel(kernel_name="python3")

def run(code, interrupt_after=None):
    msg_id = kernel.execute(code)
    started, interrupted, found = time.monotonic(), False, []
    while time.monotonic() - started < 60:
        if interrupt_after is not None and not interrupted:
            if time.monotonic() - started > interrupt_after:
                manager.interrupt_kernel()
                interrupted = True
        try:
            msg = kernel.get_iopub_msg(timeout=0.05)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind, content = msg["msg_type"], msg["content"]
        if kind == "error":
            found.append({"ename": content["ename"], "evalue": content["evalue"]})
        elif kind == "stream":
            found.append({"stream": content["text"]})
        elif kind == "status" and content["execution_state"] == "idle":
            break
    return found

try:
    outputs = [run(sys.argv[1]), run(sys.argv[2], interrupt_after=1.5), run(sys.argv[3])]
finally:
    kernel.stop_channels()
    manager.shutdown_kernel(now=True)
print(json.dumps(outputs))
"""

SLOW = """
import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI, generate_data
fake = FakeAPI(generate_data(seed=7, exams=2, sessions_per_exam=30), latency=0.05)
await fake.start()
client = sp.Client(fake.token, base_url=fake.base_url, rate_limit=20)
install = client.install(fake.data.installs[0]["sid"])
kept = []
"""
GATHER = "await client.gather_session_results(install.reports.appointments(), into=kept)"
AFTER = "print(len(kept) > 0)\nawait client.aclose()\nawait fake.stop()"


def test_an_interrupted_cell_says_what_stopped_in_one_line() -> None:
    done = subprocess.run(
        [sys.executable, "-c", INTERRUPT, SLOW, GATHER, AFTER],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    setup, interrupted, after = json.loads(done.stdout.splitlines()[-1])
    assert setup == []
    assert interrupted == [
        {
            "ename": "CancelledError",
            "evalue": "the bulk run was cancelled (interrupted or timed out)",
        }
    ]
    assert after == [{"stream": "True\n"}]  # the kernel goes on, with what was fetched
