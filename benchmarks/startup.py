"""Start-up: ``import smarterproctoring_async`` against ``import aiohttp``, fresh interpreters.

What it measures
    Wall time of a fresh ``python -c 'import X'`` for each of: nothing (the interpreter
    alone), ``aiohttp``, ``smarterproctoring_async``, and ``python -m
    smarterproctoring_async --help`` (the console script's cost to print its help).
    The commands run interleaved, round after round (so a noisy neighbour slows them
    all alike), in a shuffled order each round; the medians are printed, with the
    package's ratio to ``import aiohttp``. Then the ``-X importtime`` cumulative total of
    the package's top-level module (one more fresh run each), and whether ``--help``
    loaded aiohttp.

Targets
    ``import smarterproctoring_async`` <= 1.1 x ``import aiohttp`` (medians of the same
    run); ``--help`` never imports aiohttp.

Run
    python benchmarks/startup.py               # 20 rounds, ~30 s
    python benchmarks/startup.py --rounds 50
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import time

#: Label -> the arguments after ``python``.
COMMANDS: dict[str, list[str]] = {
    "python (nothing)": ["-c", "pass"],
    "import aiohttp": ["-c", "import aiohttp"],
    "import smarterproctoring_async": ["-c", "import smarterproctoring_async"],
    # What a program that makes a client pays: the client's modules load on first use.
    "import ... ; sp.Client": ["-c", "import smarterproctoring_async as sp; sp.Client"],
    "-m smarterproctoring_async --help": ["-m", "smarterproctoring_async", "--help"],
}


def _run(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def _importtime_total(module: str) -> int:
    """The cumulative microseconds ``-X importtime`` gives *module* (its own line)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True,
        capture_output=True,
        text=True,
    )
    for line in done.stderr.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == 3 and parts[2] == module:
            return int(parts[1])
    raise RuntimeError(f"no importtime line for {module}")


def _help_imports_aiohttp() -> bool:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "smarterproctoring_async", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    return any(line.rsplit("|", 1)[-1].strip() == "aiohttp" for line in done.stderr.splitlines())


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    times: dict[str, list[float]] = {label: [] for label in COMMANDS}
    for label, args in COMMANDS.items():  # warm the page cache and .pyc files first
        _run(args)
        del label
    for _ in range(options.rounds):
        order = list(COMMANDS.items())
        random.shuffle(order)
        for label, args in order:
            times[label].append(_run(args))
    medians = {label: statistics.median(values) for label, values in times.items()}
    width = max(map(len, COMMANDS))
    print(f"{options.rounds} interleaved rounds, fresh interpreters ({sys.version.split()[0]})")
    for label, value in medians.items():
        spread = statistics.quantiles(times[label], n=4) if options.rounds > 1 else [value] * 3
        print(
            f"  {label:<{width}}  median {value * 1000:7.1f} ms"
            f"  (quartiles {spread[0] * 1000:.1f}..{spread[2] * 1000:.1f})"
        )
    ratio = medians["import smarterproctoring_async"] / medians["import aiohttp"]
    verdict = "met" if ratio <= 1.1 else "MISSED"
    print(f"  ratio package / aiohttp: {ratio:.2f}  (target <= 1.10: {verdict})")
    print("-X importtime cumulative (one run each):")
    for module in ("aiohttp", "smarterproctoring_async"):
        print(f"  {module:<{width}}  {_importtime_total(module) / 1000:7.1f} ms")
    print(f"--help imports aiohttp: {'YES' if _help_imports_aiohttp() else 'no'}")


if __name__ == "__main__":
    main()
