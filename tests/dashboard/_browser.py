"""Debian's Chromium driven by Playwright's Python package (no browser download).

Without ``/usr/bin/chromium`` or the ``playwright`` package the browser tests are
skipped with a one-line reason, or fail where ``SMARTERPROCTORING_REQUIRE_BROWSER=1``
(CI), so that none is skipped there.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("SMARTERPROCTORING_CHROMIUM", "/usr/bin/chromium"))
#: Headless, no sandbox (CI runs as root in a container), nothing that phones home.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOW_TO_RUN = "apt-get install chromium; pip install playwright (no `playwright install`)"


def require_browser() -> None:
    """Skip (or fail, where required) unless Chromium and Playwright are both here."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"no Chromium at {CHROMIUM}")
    if importlib.util.find_spec("playwright") is None:
        missing.append("no playwright package")
    if not missing:
        return
    reason = "; ".join(missing)
    if os.environ.get("SMARTERPROCTORING_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} and SMARTERPROCTORING_REQUIRE_BROWSER=1", pytrace=False)
    pytest.skip(f"{reason}: {HOW_TO_RUN}")


def screenshot_paths() -> list[Path]:
    """Where to save the page: ``.ci/artifacts/`` in CI (``SMARTERPROCTORING_ARTIFACTS``),
    ``docs/dashboard.png`` when ``SMARTERPROCTORING_WRITE_DOCS_SCREENSHOT=1``."""
    paths = []
    artifacts = os.environ.get("SMARTERPROCTORING_ARTIFACTS")
    if artifacts:
        paths.append(Path(artifacts) / "dashboard.png")
    if os.environ.get("SMARTERPROCTORING_WRITE_DOCS_SCREENSHOT") == "1":
        paths.append(Path(__file__).resolve().parents[2] / "docs" / "dashboard.png")
    return paths
