"""The endpoint declarations and methods against the API maker's route list.

Every endpoint declared in ``resources/`` must be a route of ``_swagger_routes.json``
(the package copy of the Swagger file), and every query name it can send one of that
route's parameters, of the same kind (enum values, SID prefix, "no %" pattern, date
format, required). Then every endpoint method is called with every filter set,
against the fake API, and the requests it really sent are checked the same way.
"""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import resources
from typing import Any

import pytest

import smarterproctoring_async as sp
from smarterproctoring_async import resources as handles_package
from smarterproctoring_async._endpoint import Endpoint
from smarterproctoring_async._filters import Filter, keyword_for
from smarterproctoring_async._protocol import SID_PREFIXES
from smarterproctoring_async.errors import InvalidFilterError
from smarterproctoring_async.testing import FakeAPI, FakeSession, generate_data

UTC = timezone.utc
ROUTES: dict[str, Any] = json.loads(
    resources.files("smarterproctoring_async").joinpath("_swagger_routes.json").read_text()
)["routes"]


ENDPOINTS: dict[str, Endpoint[Any]] = {
    name: value
    for module in vars(handles_package).values()
    if inspect.ismodule(module)
    for name, value in vars(module).items()
    if isinstance(value, Endpoint)
}
"""Every endpoint declared next to its method, by its constant's name."""


def query_params(route: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in ROUTES[route]["parameters"] if p["in"] == "query"}


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_endpoint_matches_its_swagger_route(name: str) -> None:
    endpoint = ENDPOINTS[name]
    assert endpoint.route in ROUTES, f"{name}: {endpoint.route} is not a Swagger route"
    params = query_params(endpoint.route)
    assert endpoint.paginated == ({"offset", "limit"} <= set(params))
    sent = set()
    for keyword, spec in endpoint.filters.items():
        if spec.kind == "span":
            assert keyword.endswith("_range"), f"{name}.{keyword}"
        else:
            assert keyword == keyword_for(spec.wire[0]), f"{name}.{keyword}: not snake_case"
        for wire in spec.wire:
            assert wire in params, f"{name}.{keyword}: {wire} is not a parameter of the route"
            assert wire not in ("offset", "limit"), "paging belongs to the Paginator"
            assert wire not in sent, f"{name}: {wire} sent by two keywords"
            sent.add(wire)
            check_kind(f"{name}.{keyword}", spec, params[wire])
    required = {n for n, p in params.items() if p.get("required") is True}
    assert required == {s.wire[0] for s in endpoint.filters.values() if s.required}


def check_kind(where: str, spec: Filter, param: dict[str, Any]) -> None:
    pattern = param.get("pattern")
    if spec.kind == "sid":
        prefix = SID_PREFIXES[spec.wire[0]]
        assert pattern == f"^{prefix}[a-f0-9]{{32}}$", where
    elif spec.kind == "text":
        assert param["type"] == "string" and "enum" not in param, where
        assert spec.no_percent == (pattern == "^[^%]*$"), where
        assert pattern in (None, "^[^%]*$"), where
    elif spec.kind == "choice":
        assert param["type"] == "string" and tuple(param["enum"]) == spec.allowed, where
    elif spec.kind == "choices":
        assert param["type"] == "array" and param.get("collectionFormat") == "multi", where
        assert tuple(param["items"]["enum"]) == spec.allowed, where
        assert spec.max_items == param.get("maxItems"), where
    elif spec.kind == "texts":
        assert param["type"] == "array" and param.get("collectionFormat") == "multi", where
        assert "enum" not in param["items"] and param["items"]["type"] == "string", where
    elif spec.kind == "flag":
        assert param["type"] == "boolean", where
    elif spec.kind in ("when", "span"):
        assert param["type"] == "string" and "format" not in param, where
        assert pattern in (".*Z", None), where
    else:  # pragma: no cover - a kind this test does not know yet
        pytest.fail(f"{where}: unchecked kind {spec.kind}")


def test_every_swagger_enum_of_an_offered_parameter_is_spelled_as_the_api_does() -> None:
    # A sanity check of the test above: sortOrder is everywhere ASC/DESC.
    for endpoint in ENDPOINTS.values():
        if "sort_order" in endpoint.filters:
            assert query_params(endpoint.route)["sortOrder"]["enum"] == ["ASC", "DESC"]


# Every endpoint method, walked against the fake API.


@dataclass
class Handles:
    client: sp.Client
    install: sp.Install
    exam: sp.Exam
    course: sp.Course
    enrollment_exam: sp.EnrollmentExam
    exam_sid: str
    session: sp.Session
    event_sid: str
    annotation_sid: str
    offering_sid: str


Method = Callable[[Handles], Callable[..., Any]]

WALK: dict[str, Method] = {
    "SESSION_DETAILS": lambda h: h.session.get,
    "SESSION_EVENT_REPORTS": lambda h: h.session.events,
    "SESSION_EVENT_REPORT": lambda h: functools.partial(h.session.event, h.event_sid),
    "SESSION_ANNOTATIONS": lambda h: h.session.annotations,
    "SESSION_ANNOTATION": lambda h: functools.partial(h.session.annotation, h.annotation_sid),
    "SESSION_EVENTS": lambda h: h.install.reports.session_events,
    "APPOINTMENTS": lambda h: h.install.reports.appointments,
    "UNSCHEDULED_LEARNERS": lambda h: h.install.reports.unscheduled_learners,
    "EXAM_VOLUME": lambda h: h.install.reports.exam_volume,
    "EXAMS_BY_WEEK": lambda h: h.install.reports.exams_by_week,
    "SERVICE_DISTRIBUTION": lambda h: h.install.reports.service_distribution,
    "APPOINTMENT_VOLUME": lambda h: h.install.reports.appointment_volume,
    "EXAM_TYPE_STATS": lambda h: h.install.reports.exam_type_stats,
    "MODALITY_DISTRIBUTION": lambda h: h.install.reports.modality_distribution,
    "PROCTOR_VOLUME": lambda h: h.install.reports.proctor_volume,
    "EXAM_OVERVIEW": lambda h: h.install.reports.exam_overview,
    "AUDIT": lambda h: h.install.reports.audit,
    "CHURN": lambda h: h.install.reports.churn,
    "SESSION_REQUESTS": lambda h: h.install.reports.session_requests,
    "EXAM_EVENTS": lambda h: h.exam.events,
    "EVENTS_BY_STUDENT": lambda h: h.exam.events_by_student,
    "ANNOTATIONS_BY_STUDENT": lambda h: h.exam.annotations_by_student,
    "ENROLLMENT_SESSIONS": lambda h: h.enrollment_exam.sessions,
    "COURSES": lambda h: h.install.courses,
    "COURSE": lambda h: h.course.get,
    "COURSE_EXAMS": lambda h: h.course.exams,
    "COURSE_ENROLLMENTS": lambda h: h.course.enrollments,
    "COURSE_ROSTER": lambda h: functools.partial(h.course.roster, h.exam_sid),
    "ENROLLMENTS": lambda h: h.install.enrollments,
    "EVENT_TYPES": lambda h: h.client.event_types,
    "SESSION_ANNOTATIONS_V2": lambda h: h.session.annotations_v2,
    "SESSION_ANNOTATION_V2": lambda h: functools.partial(h.session.annotation_v2, h.annotation_sid),
    "SESSION_STATUS": lambda h: h.session.status,
    "COURSE_OFFERINGS": lambda h: h.install.course_offerings,
    "COURSE_OFFERING": lambda h: h.install.course_offering(h.offering_sid).get,
    "COURSE_EXAM": lambda h: h.course.exam(h.exam_sid).get,
    "ANNOTATION_TYPES": lambda h: h.install.annotation_types,
    "TOKEN_TTL": lambda h: h.client.token_ttl,
    "TOKEN_CHECK": lambda h: h.client.check,
}


def sample(spec: Filter) -> object:
    """A valid value for a filter."""
    if spec.kind == "sid":
        return SID_PREFIXES[spec.wire[0]] + "0" * 32
    if spec.kind == "text":
        return "a"
    if spec.kind == "choice":
        return spec.allowed[-1]
    if spec.kind == "choices":
        return list(spec.allowed[: spec.max_items or 2])
    if spec.kind == "texts":
        return ["a", "b"]
    if spec.kind == "flag":
        return True
    if spec.kind == "when":
        return datetime(2025, 1, 1, tzinfo=UTC)
    if spec.kind == "span":
        return (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC))
    raise AssertionError(spec.kind)


@pytest.fixture
async def fake() -> AsyncIterator[FakeAPI]:
    async with FakeAPI(generate_data(seed=2, sessions_per_exam=3, events=(0, 4))) as api:
        yield api


@pytest.fixture
async def handles(fake: FakeAPI) -> AsyncIterator[Handles]:
    session = next(s for s in fake.data.sessions if s.events and s.annotations)
    course = str(fake.data.exam(session.exam_sid)["courseSid"])
    options: dict[str, Any] = {"rate_limit": None, "cache_ttl": None}
    async with sp.Client(fake.token, base_url=fake.base_url, **options) as client:
        yield handles_of(client, fake, session, course)


def handles_of(client: sp.Client, fake: FakeAPI, session: FakeSession, course: str) -> Handles:
    """A handle of each kind, around ``session`` (which has events and annotations)."""
    install = client.install(session.install_sid)
    return Handles(
        client=client,
        install=install,
        exam=install.exam(session.exam_sid),
        course=install.course(course),
        enrollment_exam=install.enrollment(session.enrollment_sid).exam(session.exam_sid),
        exam_sid=session.exam_sid,
        session=install.exam(session.exam_sid).session(session.sid),
        event_sid=session.events[0]["sid"],
        annotation_sid=session.annotations[0]["sid"],
        offering_sid=first_offering(fake),
    )


def first_offering(fake: FakeAPI) -> str:
    """A course offering SID the fake knows."""
    return str(fake.data.course_offerings[0]["sid"])


async def call(method: Callable[..., Any], **kwargs: Any) -> Any:
    result = method(**kwargs)
    if inspect.isawaitable(result):
        return await result
    assert isinstance(result, sp.Paginator)
    return await result.collect()


def keywords(method: Callable[..., Any]) -> set[str]:
    parameters = inspect.signature(method).parameters.values()
    return {p.name for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def typed_filters(method: Callable[..., Any]) -> str | None:
    """The name of the TypedDict a method's ``**filters`` is typed by, if any."""
    parameters = inspect.signature(method).parameters.values()
    rest = [p for p in parameters if p.kind is inspect.Parameter.VAR_KEYWORD]
    if not rest:
        return None
    annotation = str(rest[0].annotation)
    assert annotation.startswith("Unpack[") and annotation.endswith("]"), annotation
    return annotation[len("Unpack[") : -1]


@pytest.mark.parametrize("name", sorted(WALK))
async def test_each_method_sends_only_what_its_route_accepts(
    name: str, fake: FakeAPI, handles: Handles
) -> None:
    endpoint = ENDPOINTS[name]
    method = WALK[name](handles)
    # The signature and the table come from one TypedDict.
    declared = endpoint.declared.__name__ if endpoint.declared is not None else None
    assert typed_filters(method) == declared, "signature and declaration differ"
    assert keywords(method) == ({"cache"} if endpoint.cached else set())

    required = {k: sample(spec) for k, spec in endpoint.filters.items() if spec.required}
    for kwargs in (required, {k: sample(spec) for k, spec in endpoint.filters.items()}):
        fake.clear_requests()
        await call(method, **kwargs)
        assert fake.requests, "no request was made"
        for record in fake.requests:
            assert (record.route, record.status) == (endpoint.route, 200)
            names = {key for key, _ in record.query}
            allowed = set(query_params(endpoint.route))
            assert names <= allowed, f"{name} sent {names - allowed}"
            expected = {w for k in kwargs for w in endpoint.filters[k].wire}
            paging = {"offset", "limit"} if endpoint.paginated else set()
            assert names == expected | paging


# Every filter of every method is checked before any request: no server here.


@pytest.fixture
async def offline() -> AsyncIterator[Handles]:
    sid = "0" * 32
    retry = sp.RetryPolicy(max_attempts=1)
    async with sp.Client("t", base_url="http://127.0.0.1:9", retry=retry) as client:
        install = client.install("AI" + sid)
        yield Handles(
            client=client,
            install=install,
            exam=install.exam("EX" + sid),
            course=install.course("CU" + sid),
            enrollment_exam=install.enrollment("EN" + sid).exam("EX" + sid),
            exam_sid="EX" + sid,
            session=install.exam("EX" + sid).session("ES" + sid),
            event_sid="ER" + sid,
            annotation_sid="AN" + sid,
            offering_sid="CO" + sid,
        )


def bad_values(spec: Filter) -> list[tuple[object, str]]:
    """Values the filter must refuse, with what the message must say."""
    naive = datetime(2025, 1, 1)
    if spec.kind == "sid":
        return [("XX" + "0" * 32, f"must be '{SID_PREFIXES[spec.wire[0]]}'")]
    if spec.kind == "text":
        return [(1, "must be a str")] + ([("50%", "'%'")] if spec.no_percent else [])
    if spec.kind == "texts":
        return [(5, "must be a str or a list"), ([1], "must be a str")]
    if spec.kind in ("choice", "choices"):
        return [("no such value", repr(spec.allowed[0]))]
    if spec.kind == "flag":
        return [("yes", "True or False")]
    if spec.kind == "when":
        return [(naive, "naive")]
    if spec.kind == "span":
        return [((naive, naive), "naive"), ((datetime(2025, 1, 1, tzinfo=UTC),), "pair")]
    raise AssertionError(spec.kind)


@pytest.mark.parametrize("name", sorted(WALK))
async def test_each_filter_is_checked_before_any_request(name: str, offline: Handles) -> None:
    endpoint = ENDPOINTS[name]
    method = WALK[name](offline)
    base = {k: sample(s) for k, s in endpoint.filters.items() if s.required}
    for keyword, spec in endpoint.filters.items():
        for value, says in bad_values(spec):
            with pytest.raises(InvalidFilterError, match=keyword) as caught:
                await call(method, **{**base, keyword: value})
            assert says in str(caught.value)
    with pytest.raises(TypeError):
        await call(method, **base, not_a_filter=1)


#: Public methods of the handles that make no request: they return other handles.
HANDLE_MAKERS = {("Install", "exam"), ("Install", "course"), ("Install", "enrollment")}
HANDLE_MAKERS |= {("Exam", "session"), ("Enrollment", "exam")}
HANDLE_MAKERS |= {("Install", "course_offering"), ("Course", "exam")}
#: Methods built on the walked ones: they make no request of their own.
HANDLE_MAKERS |= {("Session", "wait_until_terminal")}


async def test_the_walk_covers_every_endpoint_and_every_method(offline: Handles) -> None:
    assert set(WALK) == set(ENDPOINTS)
    walked = set()
    for get in WALK.values():
        method = get(offline)
        method = getattr(method, "func", method)  # through functools.partial
        walked.add((type(method.__self__).__name__, method.__name__))
    assert ("Client", "event_types") in walked
    classes = (sp.Install, sp.Reports, sp.Exam, sp.Course, sp.Enrollment, sp.EnrollmentExam)
    classes += (sp.Session, sp.CourseOffering, sp.CourseExam)
    for cls in classes:
        for name, _ in inspect.getmembers(cls, inspect.isfunction):
            key = (cls.__name__, name)
            if name.startswith("_") or key in HANDLE_MAKERS:
                continue
            assert key in walked, f"{cls.__name__}.{name} is not walked"
