"""Handlers of an install's own lists: courses, enrollments and course offerings.

Mirrors the client's ``resources/install.py``.
"""

from __future__ import annotations

from typing import Any

from .base import Call, Listing, table
from .filters import exact, field, flag, keep, text

HANDLERS, handles = table()

_INSTALL = "/v1/installs/{installSid}"

_COURSE_RULES = {
    "instructorSid": exact(field("instructorSid")),
    "courseOfferingSid": exact(field("courseOfferingSid")),
    "hasActiveExam": flag(field("activeExamCount")),
    "titleSearchText": text(field("title")),
    "codeSearchText": text(field("code")),
}
_COURSE_SORTS = {"courseCode": "code", "courseTitle": "title", "offeringSid": "courseOfferingSid"}


@handles(_INSTALL + "/courses")
def courses(call: Call) -> Any:
    """The courses of an install."""
    install = call.install()
    rows = [c for c in call.data.courses if c["installSid"] == install["sid"]]
    return Listing(keep(call, rows, _COURSE_RULES), sort_fields=_COURSE_SORTS)


_ENROLLMENT_RULES = {
    "userSid": exact(field("userSid")),
    "firstName": text(field("firstName")),
    "lastName": text(field("lastName")),
    "email": text(field("email")),
    "course": text(field("courseTitle")),
    "courseOffering": text(field("courseOfferingTitle")),
    "role": text(field("role")),
    "state": exact(field("state")),
}


@handles(_INSTALL + "/enrollments")
def enrollments(call: Call) -> Any:
    """The enrollments of an install."""
    install = call.install()
    rows = [e for e in call.data.enrollments if e["installSid"] == install["sid"]]
    return Listing(keep(call, rows, _ENROLLMENT_RULES))


@handles(_INSTALL + "/courseOfferings")
def course_offerings(call: Call) -> Any:
    """The course offerings of an install, in createdDate order (the route has no filters).

    The shape is a guess (undocumented); see ``data/build.py: offering_records``.
    """
    install = call.install()
    rows = [o for o in call.data.course_offerings if o["installSid"] == install["sid"]]
    rows.sort(key=lambda o: str(o["createdDate"]))
    return Listing(rows)


@handles(_INSTALL + "/courseOfferings/{offeringSid}")
def course_offering(call: Call) -> Any:
    """One course offering."""
    return call.offering()
