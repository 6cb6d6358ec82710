"""Reading the dashboard's page in the tests: one section's HTML by its id."""

from __future__ import annotations

import re

#: The panels' section ids, one per report the page shows (its registry name).
PANEL_IDS = (
    "exam-volume",
    "exams-by-week",
    "appointment-volume",
    "modality-distribution",
    "service-distribution",
    "proctor-volume",
    "unscheduled-learners",
)


def section(html: str, key: str) -> str:
    """The HTML of ``<section id="key">`` (sections do not nest)."""
    found = re.search(rf'<section id="{re.escape(key)}">(.*?)</section>', html, re.S)
    assert found is not None, f"no section {key} in the page"
    return found.group(1)
