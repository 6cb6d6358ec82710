"""The data a FakeAPI serves: ``generate_data`` builds it, ``FakeData`` holds and changes it.

Seeding a fake for a test::

    from smarterproctoring_async.testing import FakeAPI, generate_data

    data = generate_data(seed=7, installs=1, exams=2, sessions_per_exam=5,
                         events=(0, 50), annotations=(0, 5))  # the same for the same seed
    big = data.add_session(status="In Progress", events=250_000, annotations=3)
    data.set_status(big.sid, "Closed", when=...)       # ms since the epoch
    data.set_review(big.sid, "complete", when=...)     # pending / complete / not-required
    data.sessions[0].wire["notes"] = "edited"          # records are plain dicts: edit freely

    async with FakeAPI(data) as fake:
        ...                                            # fake.data is that same object

Modules: ``records`` (dates, SIDs, name pools), ``build`` (one record at a time),
``annotations`` (v1 records, their v2 form, the v2 type catalogue), ``events`` (the lazy
event list), ``dataset`` (FakeData, FakeSession), ``generate`` (generate_data), ``views``
(read-only sequence views the handlers serve huge lists through).
"""

from .dataset import REVIEW_STATUSES, FakeData
from .generate import generate_data
from .session import FakeSession

__all__ = ["REVIEW_STATUSES", "FakeData", "FakeSession", "generate_data"]
