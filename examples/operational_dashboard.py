"""Pattern 3 of the reporting guide, operational dashboard: scheduling health, volume
trends and proctor utilisation from the install-level reports.

The volume and distribution reports are cached by the client (15 minutes by default, the
guide's advice), so a dashboard can ask on every refresh: here the second refresh sends
no request for them.

    export SMARTERPROCTORING_TOKEN=...          # SMARTERPROCTORING_BASE_URL for a test API
    python examples/operational_dashboard.py --install AI...
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date, timedelta
from typing import Any

import smarterproctoring_async as sp


async def refresh(install: sp.Install, today: date) -> dict[str, Any]:
    """Everything the dashboard shows, fetched concurrently."""
    monday = today - timedelta(days=today.weekday())
    reports = install.reports
    peaks, weeks, modes, proctors, waiting = await asyncio.gather(
        reports.appointment_volume(appointment_date_range=(monday, monday + timedelta(days=6))),
        reports.exams_by_week(start_date=today - timedelta(weeks=8), end_date=today).collect(),
        reports.modality_distribution(),
        reports.proctor_volume(exam_session_status="Closed"),
        reports.unscheduled_learners().collect(),
    )
    return {
        "appointment volume this week": peaks.extra,
        "exams by week (8 weeks)": len(weeks),
        "modality distribution": modes.extra,
        "proctor volume": proctors.extra,
        "learners not scheduled yet": len(waiting),
    }


async def dashboard(install_sid: str, today: date) -> None:
    async with sp.Client() as client:  # token and base URL from the environment
        install = client.install(install_sid)
        for attempt in ("first refresh", "second refresh (cached reports)"):
            started = time.perf_counter()
            shown = await refresh(install, today)
            print(f"{attempt}: {time.perf_counter() - started:.3f} s")
        for name, value in shown.items():
            text = str(value)
            print(f"  {name}: {text if len(text) < 100 else text[:99] + '…'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--install", required=True, help="the install SID (AI...)")
    parser.add_argument(
        "--today", type=date.fromisoformat, default=date.today(), help="default: today"
    )
    args = parser.parse_args()
    asyncio.run(dashboard(args.install, args.today))


if __name__ == "__main__":
    main()
