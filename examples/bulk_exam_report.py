"""Pattern 2 of the reporting guide, bulk exam reporting: one exam's integrity events
summarised without a request per session.

The exam-level event list gives every event of every session in one paginated list;
the session-events report filters across the install (here: one time window); the
events-by-student report groups them by learner. Last, ``gather_exam_results`` gives
one result per session (details, events, annotations) from that same exam-level list.

    export SMARTERPROCTORING_TOKEN=...          # SMARTERPROCTORING_BASE_URL for a test API
    python examples/bulk_exam_report.py --install AI... --exam EX... --days 30
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

import smarterproctoring_async as sp


async def report(install_sid: str, exam_sid: str, days: int, end: datetime) -> None:
    async with sp.Client() as client:  # token and base URL from the environment
        install = client.install(install_sid)
        exam = install.exam(exam_sid)

        per_session: Counter[str] = Counter()
        subjects: Counter[str] = Counter()
        async for event in exam.events(status="Open"):
            per_session[event.session_sid or "?"] += 1
            subjects[event.subject or "(no subject)"] += 1
        print(f"open events: {sum(per_session.values())} in {len(per_session)} sessions")
        for subject, count in subjects.most_common(5):
            print(f"  {count:5}  {subject}")

        window = (end - timedelta(days=days), end)
        recent = await install.reports.session_events(
            exam_sid=exam_sid, event_time_range=window
        ).collect()
        print(f"events of the last {days} days (session-events report): {len(recent)}")

        by_student = await exam.events_by_student()
        students = by_student.extra.get("students") or []
        busiest = sorted(students, key=lambda s: -int(s.get("eventsCount") or 0))[:3]
        for student in busiest:
            name = f"{student.get('firstName')} {student.get('lastName')}"
            print(f"  {student.get('eventsCount'):5}  {name}")

        before = client.stats.requests
        results = await client.gather_exam_results([exam], only_terminal=True)
        done = [r for r in results if r.ok]
        events = sum(len(r.events or ()) for r in done)
        print(
            f"{len(done)} finished sessions with {events} events in "
            f"{client.stats.requests - before} requests "
            f"({sum(r.plan == 'exam' for r in done)} grouped from the exam-level list)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--install", required=True, help="the install SID (AI...)")
    parser.add_argument("--exam", required=True, help="the exam SID (EX...)")
    parser.add_argument("--days", type=int, default=30, help="the report's time window")
    parser.add_argument(
        "--until", type=date.fromisoformat, default=None, help="the window's end (default: now)"
    )
    args = parser.parse_args()
    end = datetime.now(timezone.utc)
    if args.until is not None:
        end = datetime.combine(args.until, time(), timezone.utc)
    asyncio.run(report(args.install, args.exam, args.days, end))


if __name__ == "__main__":
    main()
